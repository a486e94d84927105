use rtio_macros::rtio_iodev;

#[rtio_iodev(read)]
pub struct Sensor<T> {
    pub inner: T,
}

fn main() {}
