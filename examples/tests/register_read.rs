//! Example 1: the chain reads the register the sensor holds, write first, then read.
use rtio_examples::register_read;

#[test]
fn chained_register_read_returns_the_temperature_in_chain_order() {
    let r = register_read::run(23.5).unwrap();
    assert_eq!(r.raw, [0x17, 0x80]);
    assert_eq!(r.celsius, 23.5);
    assert_eq!(r.completions, vec![(1, Ok(1)), (2, Ok(2))]);
    // Two I2C transfers at 100 kHz: (1+9+9+1) + (1+9+18+1) bits = 490 µs of bus time.
    assert_eq!(r.bus_time, std::time::Duration::from_micros(490));
    assert!(
        r.elapsed >= r.bus_time,
        "the chain cannot beat the bus: {:?}",
        r.elapsed
    );
}
