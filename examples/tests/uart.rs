//! Example 6: UART reads complete, time out, or are cancelled: one completion each.
use rtio::Error;
use rtio_examples::uart;

#[test]
fn uart_read_completes_times_out_and_cancels() {
    let r = uart::run().unwrap();
    assert_eq!(r.complete.0, vec![(1, Ok(8)), (2, Ok(0))]);
    assert_eq!(r.complete.1, b"RTIO-OK!");
    assert_eq!(
        r.timed_out.0,
        vec![(3, Err(Error::TimedOut)), (4, Err(Error::TimedOut))]
    );
    assert!(r.timeout_after >= std::time::Duration::from_millis(100));
    assert_eq!(r.canceled.0, vec![(5, Err(Error::Canceled))]);
    assert_eq!(r.transmitted, b"hello, world\r\n");
    // 14 bytes at 115200 baud, 10 bits each: 1.215 ms.
    assert!(r.write_time >= std::time::Duration::from_micros(1215));
    // The multishot read: the line, in at least one buffer per burst, then Canceled.
    // The three bytes of the timed-out read were still in the FIFO: they come first.
    assert_eq!(r.line, b"abc$GPGGA,123519,4807.038,N*47\n");
    assert!(r.line_shots >= 3, "{} shots", r.line_shots);
    assert_eq!(r.stream_end, Err(Error::Canceled));
    assert_eq!(r.io_sent, b"AT+GMR\r\n");
    assert_eq!(r.io_reply, b"OK\r\n");
    assert_eq!(r.pool_free.0, r.pool_free.1);
}
