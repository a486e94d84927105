//! The OLED: renders a frame (border, title, grey ramp) into a buffer and pushes it over
//! SPI in the background as one transaction (window commands with D/C# low, then 4096 data
//! bytes with D/C# high). The runner takes a screenshot through QEMU's monitor and compares
//! it with `expected/oled.png`.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use panic_semihosting as _;
use rtio::{Rtio, Storage};
use rtio_firmware::drivers::oled::{FRAME_BYTES, FULL_WINDOW, HEIGHT, WIDTH};
use rtio_firmware::{board, exit, println, report};

rtio_firmware::handlers!();

static STORAGE: Storage<4, 4> = Storage::new();
static CTX: Rtio = Rtio::new(&STORAGE).with_clock(&board::CLOCK);

/// 5x7 glyphs, one byte per row, bit 4 = leftmost pixel.
fn glyph(c: u8) -> [u8; 7] {
    match c {
        b'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        b'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        b'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        b'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        b'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        b'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        b'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        b'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        b'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        b'D' => [0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E],
        _ => [0; 7],
    }
}

struct Frame<'a>(&'a mut [u8; FRAME_BYTES]);

impl Frame<'_> {
    /// Sets pixel (x, y) to grey `level` (0..=15); two pixels per byte, left in the high nibble.
    fn set(&mut self, x: usize, y: usize, level: u8) {
        if x >= WIDTH || y >= HEIGHT {
            return;
        }
        let b = &mut self.0[y * WIDTH / 2 + x / 2];
        *b = if x.is_multiple_of(2) {
            *b & 0x0F | level << 4
        } else {
            *b & 0xF0 | level & 0x0F
        };
    }
    fn rect(&mut self, x0: usize, y0: usize, w: usize, h: usize, level: u8) {
        for y in y0..y0 + h {
            for x in x0..x0 + w {
                self.set(x, y, level);
            }
        }
    }
    fn text(&mut self, x0: usize, y0: usize, s: &[u8], scale: usize, level: u8) {
        for (i, &c) in s.iter().enumerate() {
            for (row, bits) in glyph(c).iter().enumerate() {
                for col in 0..5 {
                    if bits & (0x10 >> col) != 0 {
                        let x = x0 + i * 6 * scale + col * scale;
                        self.rect(x, y0 + row * scale, scale, scale, level);
                    }
                }
            }
        }
    }
}

fn render(buf: &mut [u8; FRAME_BYTES]) {
    let mut f = Frame(buf);
    f.0.fill(0);
    // Border.
    f.rect(0, 0, WIDTH, 1, 15);
    f.rect(0, HEIGHT - 1, WIDTH, 1, 15);
    f.rect(0, 0, 1, HEIGHT, 15);
    f.rect(WIDTH - 1, 0, 1, HEIGHT, 15);
    // Title, 4x scaled, and a smaller line in mid grey.
    f.text(6, 4, b"RTIO", 4, 15);
    f.text(102, 6, b"QEMU", 1, 8);
    f.text(102, 16, b"OLED", 1, 5);
    // Grey ramp: the 16 levels of the SSD0323.
    for level in 0..16u8 {
        f.rect(2 + level as usize * 7 + 6, 40, 7, 18, level);
    }
}

#[entry]
fn main() -> ! {
    board::enable_clocks();
    board::start_clock(board::SYSCLK_HZ);
    board::init_uart(board::SYSCLK_HZ);
    board::init_ssi(board::SYSCLK_HZ);
    let ctx = CTX.claim_with(&rtio::wait::WFE).unwrap();

    let frame = cortex_m::singleton!(: [u8; FRAME_BYTES] = [0; FRAME_BYTES]).unwrap();
    render(frame);
    // One transaction: the window commands, then the frame data.
    let _chain = ctx
        .chain::<2>()
        .unwrap()
        .tiny_write(board::OLED, &FULL_WINDOW)
        .transaction()
        .write(board::OLED, frame)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap(); // in the background
    let mut results = [Ok(0); 2];
    let mut got = 0;
    while got < 2 {
        if let Some(c) = ctx.try_consume() {
            results[got] = c.result();
            got += 1;
        }
    }
    println!("oled: window {:?}, frame {:?}", results[0], results[1]);
    let sent = report::failure("oled: frame", &["window commands", "frame data"], &results);

    // Keep the picture until the runner has its screenshot: it sends one byte.
    let go = cortex_m::singleton!(: [u8; 1] = [0]).unwrap();
    let _chain = ctx
        .acquire()
        .unwrap()
        .read(board::UART0, go)
        .prepare()
        .unwrap();
    println!("oled: frame on screen");
    ctx.submit(1).unwrap();
    let _ = rtio_firmware::consume(&ctx);
    println!("oled: done");
    exit(sent && results == [Ok(6), Ok(FRAME_BYTES)])
}
