//! Example 4 (the demo): a 320x240 RGB565 framebuffer pushed over simulated 40 MHz SPI.
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

use crate::board::labels::lcd;
use crate::support::{claim, thread_cpu};
use rtio::{Error, Rtio, Storage};
use rtio_sim::{cmd, Bus, Display};
use std::time::{Duration, Instant};

/// Display width (from the devicetree).
pub const WIDTH: u16 = lcd::WIDTH as u16;
/// Display height (from the devicetree).
pub const HEIGHT: u16 = lcd::HEIGHT as u16;
/// SPI clock (the display's `spi-max-frequency` in the devicetree).
pub const SPI_HZ: u32 = lcd::SPI_MAX_FREQUENCY;
/// Bytes per frame on the wire: the RAMWR command byte and the pixels.
pub const FRAME_BYTES: usize = 1 + WIDTH as usize * HEIGHT as usize * 2;

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
    /// Memory-write commands the display completed.
    pub display_frames: u64,
    /// The final image as PNG.
    pub png: Vec<u8>,
    /// The final framebuffer, RGB565 row-major.
    pub framebuffer: Vec<u16>,
}

/// Renders frame `n` into `buf` (command byte first): an animated plasma (a few sines per
/// pixel, the kind of work a UI or a game does per frame) with a moving box on top.
pub fn render(buf: &mut [u8], n: u32) {
    buf[0] = cmd::RAMWR;
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
            let i = 1 + 2 * (y as usize * WIDTH as usize + x as usize);
            buf[i..i + 2].copy_from_slice(&px.to_be_bytes());
        }
    }
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
    let lcd = spi.attach_spi(lcd::CHIP_SELECT as u8, Display::new(WIDTH, HEIGHT));
    let dev = lcd.dev_as::<lcd::Kind>(); // write-only: a read would not compile
    let mut front = vec![0u8; FRAME_BYTES];
    let mut back = vec![0u8; FRAME_BYTES];
    let mut cpu = cpu_or(Duration::ZERO);

    // Setup (blocking): full-screen window, display on.
    let ctx = claim(&RTIO)?;
    let caset = [
        cmd::CASET,
        0,
        0,
        ((WIDTH - 1) >> 8) as u8,
        (WIDTH - 1) as u8,
    ];
    let paset = [
        cmd::PASET,
        0,
        0,
        ((HEIGHT - 1) >> 8) as u8,
        (HEIGHT - 1) as u8,
    ];
    let setup = ctx
        .chain::<3>()?
        .tiny_write(dev, &caset)
        .tiny_write(dev, &paset)
        .tiny_write(dev, &[cmd::DISPON])
        .wait()?;
    for c in &setup {
        c.result()?;
    }
    let bus0 = spi.busy_time();

    // rtio: transfer frame n in the background while rendering frame n + 1.
    render(&mut front, 0);
    let (mut io, mut rend) = (Duration::ZERO, Duration::ZERO);
    let t0 = Instant::now();
    for n in 0..frames {
        let (f, b) = (&front, &mut back);
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
    let ctx = RTIO_SPIN
        .claim_with(&rtio::wait::SPIN)
        .ok_or(Error::QueueFull)?;
    let (mut io, mut rend) = (Duration::ZERO, Duration::ZERO);
    let t0 = Instant::now();
    let mut last = 0;
    for n in 0..frames {
        let c0 = cpu();
        render(&mut front, frames + n);
        let c1 = cpu();
        let w0 = Instant::now();
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
    let (display_matches, display_frames, png, framebuffer) = lcd.with(|d| {
        let ok = d
            .framebuffer()
            .iter()
            .zip(expect[1..].chunks(2))
            .all(|(&p, e)| p.to_be_bytes() == [e[0], e[1]]);
        (ok, d.frames(), d.to_png(), d.framebuffer().to_vec())
    });
    Ok(Report {
        rtio: rtio_fig,
        blocking,
        frame_bus_time,
        display_matches,
        display_frames,
        png,
        framebuffer,
    })
}
