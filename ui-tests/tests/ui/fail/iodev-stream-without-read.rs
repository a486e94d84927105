use rtio_macros::rtio_iodev;

#[rtio_iodev(stream, bus = i2c)]
pub struct Microphone;

fn main() {}
