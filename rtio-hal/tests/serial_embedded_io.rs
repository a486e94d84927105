//! Evidence: an embedded-io 0.7 consumer crate over `Serial`. `embedded-io-adapters` (the
//! embedded-io project's own adapters, unchanged) turns the UART iodev into a
//! `std::io::Read + Write`, and std's line reader and formatter run on top of it: the
//! application code only constructs the adapters.

use embedded_io_adapters::std::ToStd;
use rtio::{Mempool, PoolStorage, Rtio, Storage};
use rtio_hal::Serial;
use rtio_sim::Uart;
use std::io::{BufRead, BufReader, Write};

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn embedded_io_adapters_and_std_line_reading_run_over_serial() {
    static POOL_STORAGE: PoolStorage<4, 64> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<4, 4> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let uart = Uart::device("serial-eio", 1_000_000, 256);
    let ctx = RTIO.claim().unwrap();
    let mut port = ToStd::new(Serial::new(&ctx, uart.dev()));

    // A modem-style exchange: a formatted command out, reply lines in.
    write!(port, "AT+CGMR={}\r\n", 7).unwrap();
    port.flush().unwrap();
    assert_eq!(uart.take_written(), b"AT+CGMR=7\r\n");
    uart.inject(b"+CGMR: rtio-sim 1.0\r\nOK\r\n");
    let mut lines = BufReader::new(port).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "+CGMR: rtio-sim 1.0");
    assert_eq!(lines.next().unwrap().unwrap(), "OK");
    assert_eq!(POOL.free_blocks(), 4);
}
