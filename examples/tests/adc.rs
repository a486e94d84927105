//! Example 5: every ADC sample is delivered, still buffered, or reported as overrun.
use rtio::Error;
use rtio_examples::adc;
use std::sync::Mutex;
use std::time::Duration;

/// The example owns one static context: run its cases one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
fn adc_stream_at_8khz_delivers_the_rate_and_accounts_for_every_sample() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let r = adc::run(8_000, Duration::from_millis(500), Duration::ZERO).unwrap();
    assert!(r.accounted(), "{r:?}");
    assert_eq!(
        r.gap_samples, r.overruns as u64,
        "gaps found == overruns reported"
    );
    // The ADC's sample clock runs at the rate asked for...
    let produced_hz = r.produced as f64 / r.elapsed.as_secs_f64();
    assert!((produced_hz - 8_000.0).abs() < 400.0, "{produced_hz} {r:?}");
    // ...and what did not reach the reader is reported (on an idle host: nothing).
    let lost_hz = r.overruns as f64 / r.elapsed.as_secs_f64();
    assert!(
        (r.achieved_hz + lost_hz - produced_hz).abs() < 600.0,
        "{r:?}"
    );
    assert_eq!(r.final_result, Err(Error::Canceled));
    assert_eq!(r.pool_free.0, r.pool_free.1);
}

#[test]
fn a_slow_reader_makes_overruns_that_are_reported_not_hidden() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // Each buffer is held 30 ms while 128 samples arrive every 4 ms: the pool (16 blocks)
    // runs dry, the FIFO (512) fills, and the ADC drops samples.
    let r = adc::run(
        32_000,
        Duration::from_millis(400),
        Duration::from_millis(30),
    )
    .unwrap();
    assert!(r.overruns > 0, "{r:?}");
    assert!(
        r.flagged_buffers > 0,
        "buffers after a drop carry the overrun flag"
    );
    assert_eq!(
        r.gap_samples, r.overruns as u64,
        "gaps found == overruns reported"
    );
    assert!(r.accounted(), "{r:?}");
    assert_eq!(r.pool_free.0, r.pool_free.1);
}
