//! Reporting what a chain did: the entry that failed first and its own error (S17), and the
//! program's command line (semihosting).

use rtio::{Completion, Error};

/// Where a chain failed: the first entry whose error is not `Canceled` (the cause; the
/// `Canceled` of its successors only follows from it, S4), or, when every error is
/// `Canceled` (the chain was cancelled), the first of those. `None` when all succeeded.
pub fn first_failure(results: &[Result<usize, Error>]) -> Option<(usize, Error)> {
    let mut canceled = None;
    for (i, r) in results.iter().enumerate() {
        match r {
            Err(Error::Canceled) => {
                if canceled.is_none() {
                    canceled = Some((i, Error::Canceled));
                }
            }
            Err(e) => return Some((i, *e)),
            Ok(_) => {}
        }
    }
    canceled
}

/// The results of a chain's completions, in entry order (S6).
pub fn results<const N: usize>(c: &[Completion; N]) -> [Result<usize, Error>; N] {
    core::array::from_fn(|i| c[i].result())
}

/// Prints `what: ok (<last result>)` or `what: failed at entry i (<names[i]>): Err(..)`;
/// returns whether every entry succeeded.
pub fn chain(what: &str, names: &[&str], results: &[Result<usize, Error>]) -> bool {
    match first_failure(results) {
        None => {
            crate::println!("{}: {:?}", what, results.last().copied().unwrap_or(Ok(0)));
            true
        }
        Some((i, e)) => {
            crate::println!(
                "{}: failed at entry {} ({}): {:?}{}",
                what,
                i,
                names.get(i).copied().unwrap_or("?"),
                Err::<usize, _>(e),
                hint(e)
            );
            false
        }
    }
}

/// Like [`chain`], but prints only a failure; returns whether every entry succeeded.
pub fn failure(what: &str, names: &[&str], results: &[Result<usize, Error>]) -> bool {
    first_failure(results).is_none() || chain(what, names, results)
}

/// A short explanation of device error codes the drivers return.
fn hint(e: Error) -> &'static str {
    match e {
        Error::Device(r1) if r1 & 0x20 != 0 => " (SD R1 address error: block past the end)",
        Error::Device(r1) if r1 & 0x40 != 0 => " (SD R1 parameter error)",
        Error::Device(0) => " (SD card not initialized)",
        Error::Nack => " (no device answered at that I2C address)",
        _ => "",
    }
}

/// The program's command line as QEMU passes it (`-semihosting-config ...,arg=a,arg=b`
/// gives "a b"; without `arg=` it is the kernel's file name), in `buf`.
pub fn cmdline(buf: &mut [u8]) -> &str {
    let mut block = [buf.as_mut_ptr() as usize, buf.len()];
    // SAFETY: SYS_GET_CMDLINE (0x15) writes at most block[1] bytes to block[0], which is
    // `buf`, and the length it wrote back into block[1]; both outlive the call.
    let r = unsafe {
        cortex_m_semihosting::syscall1(
            cortex_m_semihosting::nr::GET_CMDLINE,
            block.as_mut_ptr() as usize,
        )
    };
    if r != 0 {
        return "";
    }
    let n = block[1].min(buf.len());
    core::str::from_utf8(&buf[..n]).unwrap_or("")
}

/// The value of `key=value` in the command line, as a number.
pub fn arg_u32(key: &str) -> Option<u32> {
    let mut buf = [0u8; 128];
    let line = cmdline(&mut buf);
    line.split(' ').find_map(|w| {
        let v = w.strip_prefix(key)?.strip_prefix('=')?;
        v.parse().ok()
    })
}

/// Whether the command line holds the word `word`.
pub fn has_arg(word: &str) -> bool {
    let mut buf = [0u8; 128];
    cmdline(&mut buf).split(' ').any(|w| w == word)
}

/// FNV-1a (32 bits) over `data`, continuing from `h` (start with [`FNV_START`]): a digest the
/// runner recomputes from what it sent.
pub fn fnv1a(mut h: u32, data: &[u8]) -> u32 {
    for &b in data {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// FNV-1a's offset basis.
pub const FNV_START: u32 = 0x811C_9DC5;

/// A short formatted text on the stack (no allocator): labels for [`chain`].
pub struct Text {
    buf: [u8; 64],
    len: usize,
}

impl Text {
    /// `args` formatted, cut at 64 bytes.
    pub fn new(args: core::fmt::Arguments) -> Text {
        let mut t = Text {
            buf: [0; 64],
            len: 0,
        };
        let _ = core::fmt::write(&mut t, args);
        t
    }
}

impl core::fmt::Write for Text {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

impl core::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        // A cut in the middle of a character shows as "?" (the texts here are ASCII).
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("?")
    }
}
