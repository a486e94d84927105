//! Example 7: blocking, polling and async read the same value.
use rtio_examples::three_ways;

#[test]
fn blocking_polling_and_async_agree() {
    let r = three_ways::run(19.25).unwrap();
    assert_eq!(r.blocking, 19.25);
    assert_eq!(r.polling.0, 19.25);
    assert_eq!(r.async_.0, 19.25);
    assert!(r.polling.1 > 0, "polling found the bus busy at least once");
    assert!(r.async_.1 >= 2, "the future was pending, then woken");
}
