//! The board: the interrupt table, clocks and pins, and the board's names for the driver
//! instances and typed iodev handles that [`crate::dt`] generates.
//!
//! Every address, IRQ line, bus address and iodev kind below comes from
//! `boards/lm3s6965evb.dts` through the generated [`crate::dt`] module; which driver serves
//! which compatible is declared once, in `build.rs`.

use crate::drivers::uart;
use crate::dt::labels;
use crate::mmio::Mmio;
use core::cell::Cell;
use critical_section::Mutex;

/// System clock after reset in QEMU: 200 MHz / (SYSDIV + 1) with SYSDIV = 15.
pub const SYSCLK_HZ: u32 = 12_500_000;

macro_rules! regs {
    ($node:path) => {{
        use $node as n;
        // SAFETY: the devicetree's `reg` of this node is its peripheral register block.
        unsafe { Mmio::at(n::REG_ADDRESS) }
    }};
}

// ---- interrupts ---------------------------------------------------------------------------

const LINES: usize = 64;

type Handler = Mutex<Cell<Option<fn()>>>;

static HANDLERS: [Handler; LINES] = [const { Mutex::new(Cell::new(None)) }; LINES];

#[derive(Clone, Copy)]
struct Irq(u16);

// SAFETY: `Irq` values come from the devicetree's `interrupts` and are below 64, the NVIC
// lines QEMU implements.
unsafe impl cortex_m::interrupt::InterruptNumber for Irq {
    fn number(self) -> u16 {
        self.0
    }
}

/// Routes external interrupt `irq` to `handler` and unmasks it in the NVIC.
pub fn bind(irq: u32, handler: fn()) {
    let i = irq as usize % LINES;
    crate::mask::driver(|cs| HANDLERS[i].borrow(cs).set(Some(handler)));
    // The firmware's critical sections use PRIMASK, not NVIC masks.
    // SAFETY: so unmasking a line cannot break a critical section.
    unsafe { cortex_m::peripheral::NVIC::unmask(Irq(i as u16)) };
}

/// Makes external interrupt `irq` pending: its handler runs as soon as nothing masks it.
pub fn pend(irq: u32) {
    cortex_m::peripheral::NVIC::pend(Irq(irq as u16 % LINES as u16));
}

/// Masks external interrupt `irq`.
pub fn unbind(irq: u32) {
    cortex_m::peripheral::NVIC::mask(Irq(irq as u16 % LINES as u16));
}

/// Called by the `DefaultHandler` of every program (see [`crate::handlers!`]).
pub fn dispatch(irqn: i16) {
    if irqn < 0 {
        return;
    }
    let h = crate::mask::driver(|cs| HANDLERS[irqn as usize % LINES].borrow(cs).get());
    if let Some(h) = h {
        h();
    }
}

// ---- clocks -------------------------------------------------------------------------------

const RCC: usize = 0x060;
const RCGC1: usize = 0x104;
const RCGC2: usize = 0x108;
const RCGC0: usize = 0x100;

/// System control.
pub const SYSCTL: Mmio = regs!(labels::sysctl);

/// Gates on the clocks of every peripheral the programs use and routes their pins (QEMU
/// models neither; silicon needs both).
pub fn enable_clocks() {
    SYSCTL.modify(RCGC0, 0, 1 << 16); // ADC
    SYSCTL.modify(RCGC1, 0, 1 << 0 | 1 << 4 | 1 << 12 | 1 << 16 | 1 << 17); // UART0 SSI0 I2C0 T0 T1
    SYSCTL.modify(RCGC2, 0, 0x7F); // GPIO A..G
    mux_pins();
}

/// Routes the peripheral pins (QEMU ignores AFSEL/DEN; silicon needs them): UART0 on
/// PA0/PA1, SSI0 clock/RX/TX on PA2/PA4/PA5 (its chip select is PD0, a plain output), I2C0
/// on PB2/PB3 with SDA open-drain.
pub fn mux_pins() {
    const PA: u32 = 1 << 0 | 1 << 1 | 1 << 2 | 1 << 4 | 1 << 5;
    const PB: u32 = 1 << 2 | 1 << 3;
    GPIOA.modify(GPIO_AFSEL, 0, PA);
    GPIOA.modify(GPIO_DEN, 0, PA);
    GPIOB.modify(GPIO_AFSEL, 0, PB);
    GPIOB.modify(GPIO_ODR, 0, 1 << 3);
    GPIOB.modify(GPIO_DEN, 0, PB);
}

/// Sets SYSDIV (QEMU: SYSCLK = 200 MHz / (SYSDIV + 1)); returns the new SYSCLK in Hz.
/// SYSDIV = 0 gives the finest SysTick resolution for benchmarks (1 tick = 5 instructions
/// under `-icount shift=0`); silicon would not run that fast.
pub fn set_sysdiv(sysdiv: u32) -> u32 {
    SYSCTL.modify(RCC, 0xF << 23, (sysdiv & 0xF) << 23);
    200_000_000 / (sysdiv + 1)
}

// ---- pins ---------------------------------------------------------------------------------

const GPIO_DIR: usize = 0x400;
const GPIO_AFSEL: usize = 0x420;
const GPIO_ODR: usize = 0x50C;
const GPIO_DEN: usize = 0x51C;

/// GPIO port A (UART0, SSI0 pins).
pub const GPIOA: Mmio = regs!(labels::gpioa);
/// GPIO port B (I2C0 pins).
pub const GPIOB: Mmio = regs!(labels::gpiob);

/// GPIO port C (PC7: OLED D/C#).
pub const GPIOC: Mmio = regs!(labels::gpioc);
/// GPIO port D (PD0: SSI0 target select).
pub const GPIOD: Mmio = regs!(labels::gpiod);

/// A GPIO output pin (DATA is address-masked: offset `mask << 2` touches only that pin).
#[derive(Debug, Clone, Copy)]
pub struct Pin {
    port: Mmio,
    mask: u32,
}

impl Pin {
    /// Pin `n` of `port`.
    pub const fn new(port: Mmio, n: u32) -> Pin {
        Pin { port, mask: 1 << n }
    }
    /// Makes it a digital output.
    pub fn output(self) {
        self.port.modify(GPIO_AFSEL, self.mask, 0);
        self.port.modify(GPIO_DEN, 0, self.mask);
        self.port.modify(GPIO_DIR, 0, self.mask);
    }
    /// Drives it.
    pub fn set(self, high: bool) {
        self.port
            .write((self.mask as usize) << 2, if high { self.mask } else { 0 });
    }
}

/// PD0: high selects the OLED, low the SD card.
pub const SSI_SELECT: Pin = Pin::new(GPIOD, 0);
/// PC7: OLED D/C# (low = command, high = data).
pub const OLED_DC: Pin = Pin::new(GPIOC, 7);

// ---- the runtime clock --------------------------------------------------------------------

/// Timer 0 as the rtio clock: a 1 ms periodic tick (the model cannot read the counter).
pub use labels::timer0::DRIVER as CLOCK;

/// Starts [`CLOCK`] at `sysclk_hz`.
pub fn start_clock(sysclk_hz: u32) {
    CLOCK.start(sysclk_hz);
    bind(labels::timer0::INTERRUPTS[0], || CLOCK.on_interrupt());
}

// ---- I2C0: TMP105 and AT24C EEPROM --------------------------------------------------------
//
// The driver instances, iodevs and typed handles below are generated from the devicetree
// (build.rs declares which driver serves which compatible): each node's module has
// `DRIVER`, and a device's `IODEV` and `DEV: Dev<Kind>`. Here they get the board's names.

/// An address where no device answers: every operation fails with `Nack`.
pub use labels::absent::DEV as ABSENT;
/// The AT24C EEPROM (QEMU 7.2: always two address bytes).
pub use labels::eeprom::DEV as EEPROM;
/// The I2C0 master (its devices are the enabled children of `i2c0` that have a driver).
pub use labels::i2c0::DRIVER as I2C0;
/// The TMP105 temperature sensor.
pub use labels::temp::DEV as TMP105;

/// Starts I2C0 at its devicetree `clock-frequency`.
pub fn init_i2c(sysclk_hz: u32) {
    I2C0.init(sysclk_hz, labels::i2c0::CLOCK_FREQUENCY);
    bind(labels::i2c0::INTERRUPTS[0], || I2C0.on_interrupt());
}

// ---- UART0 --------------------------------------------------------------------------------

/// UART0 as a byte stream (`-serial stdio` on the QEMU command line).
pub use labels::uart0::DEV as UART0;
use labels::uart0::{DRIVER as UART0_DRV, IODEV as UART0_IODEV};

/// Starts UART0 at its devicetree `current-speed`.
pub fn init_uart(sysclk_hz: u32) {
    UART0_DRV.init(sysclk_hz, labels::uart0::CURRENT_SPEED);
    bind(labels::uart0::INTERRUPTS[0], || UART0_DRV.on_interrupt());
    // A UART stream waiting for a pool block retries on the clock's tick.
    CLOCK.set_tick_hook(|| UART0_DRV.on_tick());
}

/// What UART0 does with input when its receive ring is full (default: hold the sender).
pub fn uart0_set_overflow(policy: uart::Overflow) {
    UART0_DRV.set_overflow(policy);
}

/// Bytes UART0 had to drop since start (its ring was full under [`uart::Overflow::Drop`], or
/// the PL011 overran).
pub fn uart0_dropped() -> u32 {
    UART0_IODEV.overruns()
}

/// Bytes UART0 read from the line since start, kept or dropped.
pub fn uart0_seen() -> u32 {
    UART0_DRV.seen()
}

/// Bytes waiting in UART0's receive ring.
pub fn uart0_buffered() -> usize {
    UART0_DRV.buffered()
}

// ---- SSI0: SSD0323 OLED and SD card -------------------------------------------------------

/// The SSD0323 OLED (write-only).
pub use labels::oled::DEV as OLED;
/// The SD card in SPI mode (blocks of 512 bytes; see [`crate::drivers::sd`]).
pub use labels::sd::DEV as SD;
/// The SSI0 controller (PL022), shared by the OLED and the SD card.
pub use labels::ssi0::DRIVER as SSI0;

/// Starts SSI0 at the fastest `spi-max-frequency` of its targets.
pub fn init_ssi(sysclk_hz: u32) {
    SSI0.init(sysclk_hz, labels::sd::SPI_MAX_FREQUENCY);
    bind(labels::ssi0::INTERRUPTS[0], || SSI0.on_interrupt());
}

// ---- ADC, triggered by Timer 1 ------------------------------------------------------------

/// ADC sequencer 0 as a stream of 16-bit samples (multishot reads into pool buffers).
pub use labels::adc0::DEV as ADC0;
use labels::adc0::{DRIVER as ADC0_DRV, IODEV as ADC0_IODEV};
/// Timer 1: the ADC trigger.
pub use labels::timer1::DRIVER as ADC_TRIGGER;

/// Starts the ADC (sequencer 0) without a trigger yet.
pub fn init_adc() {
    ADC0_DRV.init();
    bind(labels::adc0::INTERRUPTS[0], || ADC0_DRV.on_interrupt());
}

/// Samples `rate_hz` times per second (QEMU: two samples per trigger).
pub fn start_adc_trigger(sysclk_hz: u32, rate_hz: u32) {
    ADC_TRIGGER.start(sysclk_hz / rate_hz);
}

/// The overrun count of the ADC stream (samples the driver had to drop).
pub fn adc_overruns() -> u32 {
    ADC0_IODEV.overruns()
}

// ---- the gamepad (GPIO E and F) -----------------------------------------------------------

/// The navigation switch as a stream of key events (see [`crate::drivers::gamepad`]).
pub use labels::keys::DEV as KEYS;
use labels::keys::DRIVER as KEYS_DRV;

/// Starts the gamepad's edge interrupts. (The PL061 nodes have no binding, so the
/// generator types their one-cell `interrupts` as a plain `u32`.)
pub fn init_keys() {
    KEYS_DRV.init();
    bind(labels::gpioe::INTERRUPTS, || KEYS_DRV.on_interrupt());
    bind(labels::gpiof::INTERRUPTS, || KEYS_DRV.on_interrupt());
}
