use rtio_macros::rtio_iodev;

#[rtio_iodev(read, erase, bus = i2c)]
pub struct Sensor;

fn main() {}
