//! The operations and modifiers `chain!` knows: names, parameters, and what each implies.

/// One operation of a chain: mirrors a method of `rtio::Chain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// `nop()`.
    Nop,
    /// `read(iodev, buffer)`.
    Read,
    /// `read_pool(iodev, min, preferred)`.
    ReadPool,
    /// `read_multishot(iodev, min, preferred)`.
    ReadMultishot,
    /// `write(iodev, buffer)`.
    Write,
    /// `tiny_write(iodev, [bytes])`.
    TinyWrite,
    /// `write_previous(iodev)`: writes the buffer of the nearest earlier `read`.
    WritePrevious,
    /// `transceive(iodev, tx, rx)`.
    Transceive,
    /// `callback(f, arg)`.
    Callback,
    /// `delay(duration)`.
    Delay,
    /// `delay_until(instant)`.
    DelayUntil,
    /// `link_timeout(duration)`.
    LinkTimeout,
    /// `await_signal()`.
    AwaitSignal,
    /// `await_on(iodev)`.
    AwaitOn,
    /// `i2c_configure(iodev, hz)`.
    I2cConfigure,
    /// `i2c_recover(iodev)`.
    I2cRecover,
    /// `spi_configure(iodev, hz, mode)`.
    SpiConfigure,
}

/// Every operation with its parameters, in the order the docs list them.
pub const OPS: &[(&str, OpKind, &[&str])] = &[
    ("nop", OpKind::Nop, &[]),
    ("read", OpKind::Read, &["iodev", "buffer"]),
    (
        "read_pool",
        OpKind::ReadPool,
        &["iodev", "min", "preferred"],
    ),
    (
        "read_multishot",
        OpKind::ReadMultishot,
        &["iodev", "min", "preferred"],
    ),
    ("write", OpKind::Write, &["iodev", "buffer"]),
    ("tiny_write", OpKind::TinyWrite, &["iodev", "data"]),
    ("write_previous", OpKind::WritePrevious, &["iodev"]),
    ("transceive", OpKind::Transceive, &["iodev", "tx", "rx"]),
    ("callback", OpKind::Callback, &["f", "arg"]),
    ("delay", OpKind::Delay, &["duration"]),
    ("delay_until", OpKind::DelayUntil, &["instant"]),
    ("link_timeout", OpKind::LinkTimeout, &["duration"]),
    ("await_signal", OpKind::AwaitSignal, &[]),
    ("await_on", OpKind::AwaitOn, &["iodev"]),
    ("i2c_configure", OpKind::I2cConfigure, &["iodev", "hz"]),
    ("i2c_recover", OpKind::I2cRecover, &["iodev"]),
    (
        "spi_configure",
        OpKind::SpiConfigure,
        &["iodev", "hz", "mode"],
    ),
];

/// Modifiers that follow an operation: `.userdata(7)`.
pub const MODIFIERS: &[(&str, usize)] = &[
    ("userdata", 1),
    ("priority", 1),
    ("no_response", 0),
    ("hardlink", 0),
    ("multishot", 0),
];

impl OpKind {
    /// The operation called `name`.
    pub fn from_name(name: &str) -> Option<OpKind> {
        OPS.iter().find(|(n, ..)| *n == name).map(|(_, k, _)| *k)
    }

    fn entry(self) -> &'static (&'static str, OpKind, &'static [&'static str]) {
        OPS.iter().find(|(_, k, _)| *k == self).unwrap_or(&OPS[0])
    }

    /// Its name (and the `rtio::Chain` method).
    pub fn name(self) -> &'static str {
        self.entry().0
    }

    /// Its parameters.
    pub fn params(self) -> &'static [&'static str] {
        self.entry().2
    }

    /// How it is written: `read(iodev, buffer)`.
    pub fn signature(self) -> String {
        format!("{}({})", self.name(), self.params().join(", "))
    }

    /// Whether its first argument is an iodev.
    pub fn has_iodev(self) -> bool {
        self.params().first() == Some(&"iodev")
    }

    /// Whether it holds a buffer that its completion must hand back (S3).
    pub fn owns_buffer(self) -> bool {
        matches!(
            self,
            OpKind::Read
                | OpKind::ReadPool
                | OpKind::ReadMultishot
                | OpKind::Write
                | OpKind::Transceive
        )
    }

    /// Whether it reads into a pool buffer.
    pub fn is_pool(self) -> bool {
        matches!(self, OpKind::ReadPool | OpKind::ReadMultishot)
    }
}

/// The list of operation names, for help lines.
pub fn op_names() -> String {
    OPS.iter()
        .map(|(n, ..)| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The list of modifier names, for help lines.
pub fn modifier_names() -> String {
    MODIFIERS
        .iter()
        .map(|(n, a)| format!("`.{n}({})`", if *a == 0 { "" } else { "..." }))
        .collect::<Vec<_>>()
        .join(", ")
}
