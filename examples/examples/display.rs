//! Example 4 (the demo): 240x320 RGB565 frames over simulated 40 MHz SPI to a 4-wire ILI9341, rtio vs blocking.
//! `cargo run -p rtio-examples --example display [-- --frames N] [--png out.png]`
use rtio_examples::{display, support};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let frames = support::arg("frames")
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    println!(
        "pushing {frames} frames of {}x{} RGB565 ({} bytes) over {} MHz SPI, twice...",
        display::WIDTH,
        display::HEIGHT,
        display::FRAME_BYTES,
        display::SPI_HZ / 1_000_000
    );
    let r = display::run(frames)?;
    println!("one frame occupies the bus for {:?}", r.frame_bus_time);
    println!("                      CPU free   frames/s   render/frame   I/O CPU/frame");
    for (name, f) in [
        ("rtio (background)", r.rtio),
        ("blocking (polled)", r.blocking),
    ] {
        println!(
            "  {name:<18}  {:>7.1}%   {:>8.1}   {:>12.2?}   {:>13.2?}",
            f.cpu_free * 100.0,
            f.fps,
            f.render / f.frames.max(1),
            f.io_cpu / f.frames.max(1)
        );
    }
    println!(
        "display shows the last frame rendered: {} ({} memory writes)",
        r.display_matches, r.display_frames
    );
    if let Some(path) = support::arg("png") {
        std::fs::write(&path, &r.png)?;
        println!("framebuffer written to {path}");
    }
    Ok(())
}
