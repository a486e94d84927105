//! Example 4: frames reach the display, and rtio leaves the CPU free where blocking does not.
use rtio_examples::display;

#[test]
fn frames_reach_the_display_and_rtio_frees_the_cpu() {
    let r = display::run(6).unwrap();
    assert!(
        r.display_matches,
        "the display shows the last rendered frame"
    );
    assert_eq!(r.display_frames, 12, "one RAMWR a frame");
    assert_eq!(
        r.unknown_commands, 0,
        "the whole setup was ILI9341 commands"
    );
    // 153600 pixel bytes at 40 MHz = 30.72 ms, plus 1 µs chip-select setup, plus the RAMWR
    // command's own transfer (1 byte, 1 µs setup).
    let us = r.frame_bus_time.as_micros();
    assert!((30_720..=30_722).contains(&us), "{us} µs");
    assert!(
        r.rtio.cpu_free > r.blocking.cpu_free,
        "rtio {:?} vs blocking {:?}",
        r.rtio,
        r.blocking
    );
    assert!(r.rtio.cpu_free > 0.5, "{:?}", r.rtio);
    // The PNG decodes (with the png crate) to the framebuffer, pixel for pixel.
    let dec = png::Decoder::new(&r.png[..]);
    let mut reader = dec.read_info().unwrap();
    let mut rgb = vec![0u8; reader.output_buffer_size()];
    let info = reader.next_frame(&mut rgb).unwrap();
    assert_eq!((info.width, info.height), (240, 320));
    assert_eq!(info.color_type, png::ColorType::Rgb);
    for (px, c) in r.framebuffer.iter().zip(rgb.chunks(3)) {
        let (r5, g6, b5) = (
            (px >> 11) as u8,
            ((px >> 5) & 0x3F) as u8,
            (px & 0x1F) as u8,
        );
        assert_eq!((c[0] >> 3, c[1] >> 2, c[2] >> 3), (r5, g6, b5));
    }
}
