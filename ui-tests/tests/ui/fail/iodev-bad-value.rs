use rtio_macros::rtio_iodev;

#[rtio_iodev(read, bus = can, name = tmp105)]
pub struct Sensor;

fn main() {}
