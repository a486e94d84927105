use rtio_macros::rtio_iodev;

#[rtio_iodev(read, bus = i2c, address = 0x148)]
pub struct Sensor;

fn main() {}
