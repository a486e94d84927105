use rtio_macros::rtio_iodev;

#[rtio_iodev(read, write, bus = spi, address = 0x48)]
pub struct Sensor;

fn main() {}
