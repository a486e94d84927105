use rtio_macros::rtio_iodev;

#[rtio_iodev(read, write, read)]
pub struct Sensor;

fn main() {}
