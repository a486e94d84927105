//! Example 11: the DAC plays every queued sample at its own clock; underruns are counted.
use rtio_examples::dac;
use std::time::Duration;

#[test]
fn triple_buffering_keeps_the_dac_fed_and_the_sine_intact() {
    // 20 ms buffers, three queued: 40 ms of slack for the resubmitting thread.
    let r = dac::run(
        8_000,
        Duration::from_millis(400),
        3,
        Duration::from_millis(20),
        Duration::ZERO,
    )
    .unwrap();
    assert_eq!(
        r.played + r.underruns,
        r.clocked,
        "every clocked sample accounted"
    );
    assert_eq!(r.underruns, 0, "{r:?}");
    assert!(r.continuous, "the output is the sine, sample after sample");
    assert!((r.achieved_hz - 8_000.0).abs() < 8_000.0 * 0.02, "{r:?}");
    assert!(r.buffers >= 15, "{r:?}");
}

#[test]
fn a_slow_producer_makes_underruns_that_are_counted_not_hidden() {
    // Single buffering, and the producer sits 10 ms on every 5 ms buffer.
    let r = dac::run(
        32_000,
        Duration::from_millis(300),
        1,
        Duration::from_millis(5),
        Duration::from_millis(10),
    )
    .unwrap();
    assert_eq!(r.played + r.underruns, r.clocked);
    assert!(r.underruns > r.clocked / 3, "{r:?}");
    assert!(r.achieved_hz < 32_000.0 * 0.7, "{r:?}");
}

#[test]
fn the_wavetable_is_whole_periods() {
    let p = dac::period(32_000);
    assert_eq!(p.len(), 32);
    assert!(dac::follows(&[p[5], p[6], p[7], p[8]], &p));
    assert!(!dac::follows(&[p[5], p[7]], &p));
}
