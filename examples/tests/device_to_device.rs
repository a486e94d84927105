//! Example 2: the sensor's bytes land on the block device while the main loop keeps running.
use rtio_examples::device_to_device;

#[test]
fn sensor_bytes_reach_the_block_device_without_blocking_the_loop() {
    let r = device_to_device::run(36.5).unwrap();
    assert_eq!(
        r.completions,
        vec![
            (1, Ok(1)),
            (2, Ok(2)),
            (3, Ok(6)),
            (4, Ok(4)),
            (5, Ok(2)),
            (6, Ok(510)),
            (7, Ok(2)),
            (8, Ok(4))
        ],
        "in chain order, every entry once"
    );
    assert_eq!(r.data_response & 0x1F, 0x05, "the card accepted the block");
    assert_eq!(r.block_head, [0x24, 0x80, 0x00, 0x00]);
    assert_eq!(r.celsius, 36.5);
    // The loop ran while ~0.5 ms of I2C and SPI traffic was in flight.
    assert!(
        r.loop_count > 100,
        "main loop only ran {} times",
        r.loop_count
    );
}
