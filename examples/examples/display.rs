//! Example 4 (the demo): a 240x320 RGB565 framebuffer pushed over simulated 40 MHz SPI to a
//! 4-wire ILI9341.
//!
//! The controller tells commands from pixels by its D/C line ([`rtio_sim::Line`], a GPIO
//! here set from the application thread between transfers, as a driver does): the setup is
//! the datasheet's power-on sequence (SLPOUT, COLMOD 16-bit, MADCTL, the window, DISPON),
//! each frame a RAMWR command (D/C low) followed by the pixels (D/C high).
//!
//! With rtio the frame transfer runs in the background (the bus "DMA" and its interrupt are
//! the simulator's thread) while the application renders the next frame into the other
//! buffer; the owner only starts the transfer and waits (parked) for what is left of it.
//! The same frames are then pushed the way a polled blocking driver does it: render, then
//! transfer with the CPU spinning until the last byte is out.
//!
//! The figure printed is the *CPU-free fraction*: the share of wall time the application's
//! CPU was not held by the transfer, beside frames per second. For rtio that is the CPU time
//! the thread spent inside rtio calls (measured with the thread's scheduler statistics; a
//! parked wait costs none, the core could sleep or run other tasks); for the polled blocking
//! driver it is the whole duration of the blocking call, which holds the CPU by
//! construction.
//!
//! Run: `cargo run -p rtio-examples --example display [-- --frames N] [--png out.png]`
//! Test: `cargo test -p rtio-examples --example display`.

use rtio::{Context, Dev, Error, Rtio, Storage};
use rtio_examples::board::labels::lcd;
use rtio_examples::support;
use rtio_examples::support::{claim, thread_cpu};
use rtio_sim::{ili, Bus, Ili9341, Line};
use std::time::{Duration, Instant};

/// Display width (from the devicetree).
pub const WIDTH: u16 = lcd::WIDTH;
/// Display height (from the devicetree).
pub const HEIGHT: u16 = lcd::HEIGHT;
/// SPI clock (the display's `spi-max-frequency` in the devicetree).
pub const SPI_HZ: u32 = lcd::SPI_MAX_FREQUENCY;
/// Bytes per frame of pixel data (RGB565, big-endian); the RAMWR command before it is a
/// transfer of its own, with D/C low.
pub const FRAME_BYTES: usize = WIDTH as usize * HEIGHT as usize * 2;

/// Figures of one way of pushing frames.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    /// Frames pushed.
    pub frames: u32,
    /// Wall time.
    pub wall: Duration,
    /// CPU held by I/O calls (rtio: thread CPU time inside them; blocking: their duration).
    pub io_cpu: Duration,
    /// CPU time spent rendering.
    pub render: Duration,
    /// 1 - io_cpu / wall.
    pub cpu_free: f64,
    /// Frames per second.
    pub fps: f64,
}

/// What the example observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Pushed with rtio, rendering during the transfer.
    pub rtio: Figures,
    /// Pushed blocking (spinning), rendering between transfers.
    pub blocking: Figures,
    /// Bus time of one frame at 40 MHz.
    pub frame_bus_time: Duration,
    /// Whether the display shows exactly the last frame rendered.
    pub display_matches: bool,
    /// Memory-write commands (RAMWR) the display received.
    pub display_frames: u64,
    /// Command bytes the display did not know (0: the whole setup was understood).
    pub unknown_commands: u64,
    /// The final image as PNG.
    pub png: Vec<u8>,
    /// The final framebuffer, RGB565 row-major.
    pub framebuffer: Vec<u16>,
}

/// Renders frame `n` into `buf`: an animated plasma (a few sines per
/// pixel, the kind of work a UI or a game does per frame) with a moving box on top.
pub fn render(buf: &mut [u8], n: u32) {
    let t = n as f32 * 0.15;
    let (bx, by) = (
        (n * 7) % (WIDTH as u32 - 40),
        (n * 5) % (HEIGHT as u32 - 40),
    );
    for y in 0..HEIGHT as u32 {
        let fy = y as f32 / 24.0;
        for x in 0..WIDTH as u32 {
            let in_box = x >= bx && x < bx + 40 && y >= by && y < by + 40;
            let px: u16 = if in_box {
                0xFFE0 // yellow
            } else {
                let fx = x as f32 / 24.0;
                let v = (fx + t).sin()
                    + (fy + t * 0.7).sin()
                    + ((fx + fy + t) * 0.5).sin()
                    + ((fx * fx + fy * fy).sqrt() - t).sin();
                let r = ((v * 0.8).sin() * 15.5 + 15.5) as u16;
                let g = ((v * 0.8 + 2.1).sin() * 31.5 + 31.5) as u16;
                let b = ((v * 0.8 + 4.2).sin() * 15.5 + 15.5) as u16;
                (r << 11) | (g << 5) | b
            };
            let i = 2 * (y as usize * WIDTH as usize + x as usize);
            buf[i..i + 2].copy_from_slice(&px.to_be_bytes());
        }
    }
}

/// A command (D/C low), then its parameters (D/C high), each a blocking transfer.
fn command<K: rtio::caps::Write>(
    ctx: &Context,
    dev: Dev<K>,
    dc: &Line,
    cmd: u8,
    params: &[u8],
) -> Result<(), Error> {
    dc.set(false);
    let [c] = ctx.acquire()?.tiny_write(dev, &[cmd]).wait_checked()?;
    c.result()?;
    dc.set(true);
    for chunk in params.chunks(rtio::TINY_MAX) {
        let [c] = ctx.acquire()?.tiny_write(dev, chunk).wait_checked()?;
        c.result()?;
    }
    Ok(())
}

fn cpu_or(wall: Duration) -> impl FnMut() -> Duration {
    let t0 = Instant::now();
    move || thread_cpu().unwrap_or_else(|| wall + t0.elapsed())
}

fn figures(frames: u32, wall: Duration, io_cpu: Duration, render: Duration) -> Figures {
    let w = wall.as_secs_f64().max(1e-9);
    Figures {
        frames,
        wall,
        io_cpu,
        render,
        cpu_free: (1.0 - io_cpu.as_secs_f64() / w).clamp(0.0, 1.0),
        fps: frames as f64 / w,
    }
}

/// Pushes `frames` frames both ways.
///
/// # Errors
/// Any transfer error.
pub fn run(frames: u32) -> Result<Report, Error> {
    static STORAGE: Storage<4, 4> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
    static STORAGE_SPIN: Storage<4, 4> = Storage::new();
    static RTIO_SPIN: Rtio = Rtio::new(&STORAGE_SPIN).with_clock(&rtio::time::STD_CLOCK);

    let spi = Bus::spi("spi0", SPI_HZ);
    let dc = Line::new(true);
    // at the node's chip select, with the node's kind: write-only, a read would not compile
    let (lcd, dev) = lcd::attach(spi, Ili9341::new(dc.clone()));
    let mut front = vec![0u8; FRAME_BYTES];
    let mut back = vec![0u8; FRAME_BYTES];
    let mut cpu = cpu_or(Duration::ZERO);

    // Setup (blocking): the power-on sequence and the full-screen window.
    let ctx = claim(&RTIO)?;
    let (w, h) = ((WIDTH - 1).to_be_bytes(), (HEIGHT - 1).to_be_bytes());
    command(&ctx, dev, &dc, ili::SWRESET, &[])?;
    std::thread::sleep(Duration::from_millis(5)); // 5 ms after a software reset
    command(&ctx, dev, &dc, ili::SLPOUT, &[])?;
    command(&ctx, dev, &dc, ili::COLMOD, &[0x55])?; // 16 bits a pixel
    command(&ctx, dev, &dc, ili::MADCTL, &[0x00])?;
    command(&ctx, dev, &dc, ili::CASET, &[0, 0, w[0], w[1]])?;
    command(&ctx, dev, &dc, ili::PASET, &[0, 0, h[0], h[1]])?;
    command(&ctx, dev, &dc, ili::DISPON, &[])?;
    let bus0 = spi.busy_time();

    // rtio: transfer frame n in the background while rendering frame n + 1.
    render(&mut front, 0);
    let (mut io, mut rend) = (Duration::ZERO, Duration::ZERO);
    let t0 = Instant::now();
    for n in 0..frames {
        let (f, b) = (&front, &mut back);
        let c0 = cpu();
        command(&ctx, dev, &dc, ili::RAMWR, &[])?; // D/C is high for the pixels after it
        io += cpu() - c0;
        ctx.scope(|s| {
            let c0 = cpu();
            let op = s.write(dev, f)?;
            let c1 = cpu();
            render(b, n + 1);
            let c2 = cpu();
            let r = s.wait(op);
            let c3 = cpu();
            io += (c1 - c0) + (c3 - c2);
            rend += c2 - c1;
            r
        })?;
        std::mem::swap(&mut front, &mut back);
    }
    let rtio_fig = figures(frames, t0.elapsed(), io, rend);
    let frame_bus_time: Duration = spi.busy_time().into();
    let frame_bus_time = (frame_bus_time - Duration::from(bus0)) / frames.max(1);
    drop(ctx);

    // Blocking: render, then push with the CPU spinning on the transfer.
    let ctx = RTIO_SPIN.claim_with(&rtio::wait::SPIN)?;
    let (mut io, mut rend) = (Duration::ZERO, Duration::ZERO);
    let t0 = Instant::now();
    let mut last = 0;
    for n in 0..frames {
        let c0 = cpu();
        render(&mut front, frames + n);
        let c1 = cpu();
        let w0 = Instant::now();
        command(&ctx, dev, &dc, ili::RAMWR, &[])?;
        ctx.scope(|s| {
            let op = s.write(dev, &front)?;
            s.wait(op)
        })?;
        io += w0.elapsed(); // a polled driver holds the CPU for the whole call
        rend += c1 - c0;
        last = frames + n;
    }
    let blocking = figures(frames, t0.elapsed(), io, rend);

    let mut expect = vec![0u8; FRAME_BYTES];
    render(&mut expect, last);
    let (display_matches, display_frames, unknown_commands, png, framebuffer) = lcd.with(|d| {
        let fb: Vec<u16> = (0..HEIGHT)
            .flat_map(|y| (0..WIDTH).map(move |x| (x, y)))
            .map(|(x, y)| d.panel_rgb565(x, y))
            .collect();
        let ok = fb
            .iter()
            .zip(expect.chunks(2))
            .all(|(&p, e)| p.to_be_bytes() == [e[0], e[1]]);
        (ok, d.memory_writes(), d.unknown_commands(), d.to_png(), fb)
    });
    Ok(Report {
        rtio: rtio_fig,
        blocking,
        frame_bus_time,
        display_matches,
        display_frames,
        unknown_commands,
        png,
        framebuffer,
    })
}

// The printing: `cargo run -p rtio-examples --example display`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let frames = support::arg("frames")
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    println!(
        "pushing {frames} frames of {}x{} RGB565 ({} bytes) over {} MHz SPI, twice...",
        WIDTH,
        HEIGHT,
        FRAME_BYTES,
        SPI_HZ / 1_000_000
    );
    let r = run(frames)?;
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

// The assertions: `cargo test -p rtio-examples --example display`.
/// Example 4: frames reach the display, and rtio leaves the CPU free where blocking does not.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_reach_the_display_and_rtio_frees_the_cpu() {
        let r = run(6).unwrap();
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
}
