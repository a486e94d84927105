//! Example 10: rtio's queues over an async HAL: data, priority order, cancellation.
use rtio_examples::async_hal;

#[test]
fn an_async_hal_serves_chains_by_priority_and_cancels_queued_reads() {
    let r = async_hal::run(21.25).unwrap();
    assert_eq!(r.celsius, 21.25);
    assert_eq!(
        r.order,
        vec![(2, Ok(2)), (1, Ok(2))],
        "high priority first (S12)"
    );
    assert_eq!(r.canceled, Err(rtio::Error::Canceled));
}
