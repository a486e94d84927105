//! Example 4: frames reach the display, and rtio leaves the CPU free where blocking does not.
use rtio_examples::display;

#[test]
fn frames_reach_the_display_and_rtio_frees_the_cpu() {
    let r = display::run(6).unwrap();
    assert!(
        r.display_matches,
        "the display shows the last rendered frame"
    );
    assert_eq!(r.display_frames, 12);
    // 153601 bytes at 40 MHz = 30.72 ms, plus 1 µs chip-select setup.
    let us = r.frame_bus_time.as_micros();
    assert!((30_720..=30_722).contains(&us), "{us} µs");
    assert!(
        r.rtio.cpu_free > r.blocking.cpu_free,
        "rtio {:?} vs blocking {:?}",
        r.rtio,
        r.blocking
    );
    assert!(r.rtio.cpu_free > 0.5, "{:?}", r.rtio);
    assert_eq!(&r.png[1..4], b"PNG");
}
