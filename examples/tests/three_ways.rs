//! Example 7: blocking, polling and async read the same value.
use rtio_examples::three_ways;

#[test]
fn blocking_polling_and_async_agree() {
    let r = three_ways::run(19.25).unwrap();
    assert_eq!(r.blocking, 19.25);
    assert_eq!(r.polling.0, 19.25);
    assert_eq!(r.async_.0, 19.25);
    // How often polling found nothing, and how often the future was polled, depend on the
    // host's scheduling; the future is polled at least once and never spins.
    assert!(r.async_.1 >= 1 && r.async_.1 < 1000, "{:?}", r.async_);
}
