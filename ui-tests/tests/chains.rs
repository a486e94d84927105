//! What `chain!` does at run time, in every build profile (these are plain tests, so
//! `cargo test --release` runs them without debug assertions too).
use rtio::{ChainError, Error, Rtio};
use rtio_macros::{chain, rtio_define};
use ui_tests::{leak, TEMP};

#[rtio_define(sq = 4, cq = 4)]
static A: Rtio;
#[rtio_define(sq = 4, cq = 4)]
static B: Rtio;
#[rtio_define(sq = 4, cq = 4)]
static C: Rtio;

fn nack(_: Result<usize, Error>, _: usize) -> Result<usize, Error> {
    Err(Error::Nack)
}

/// The owner side of `B` passed to a chain checked against `A`: refused with
/// `WrongContext` before any entry is taken (not a debug-only assertion, not a panic).
#[test]
fn a_chain_on_the_owner_side_of_another_context_is_refused_in_every_build() {
    let b = B.claim().unwrap();
    let prepared = chain!(b: A, [ tiny_write(TEMP, [0x00]) ]);
    assert_eq!(prepared.unwrap_err(), Error::WrongContext);
    let waited = chain!(b: A, [ nop(), read(TEMP, leak::<2>()) ] => wait);
    let e = waited.unwrap_err();
    assert_eq!((e.error(), e.entry()), (Error::WrongContext, None));
    assert_eq!(B.reserved(), 0, "no entry of B was taken");
    assert_eq!(A.reserved(), 0, "nor of A");
    // The right owner side still works.
    drop(b);
    let a = A.claim().unwrap();
    let [c] = chain!(a: A, [ tiny_write(TEMP, [0x00]) ] => wait).unwrap();
    assert_eq!(c.result(), Ok(1));
}

/// S17: `=> wait` is `Err` when an entry failed, naming the entry that failed first and its
/// own error (not the `Canceled` of the entries after it), with every completion and buffer.
#[test]
fn s17_wait_reports_the_entry_that_failed_first_with_its_own_error() {
    let c = C.claim().unwrap();
    let rx = leak::<2>();
    let r = chain!(c: C, [ tiny_write(TEMP, [0x00]), callback(nack, 0), read(TEMP, rx) ] => wait);
    let e: ChainError<3> = r.unwrap_err();
    assert_eq!((e.entry(), e.error()), (Some(1), Error::Nack));
    assert_eq!(
        e.to_string(),
        "entry 1 of 3 failed: device did not acknowledge (NACK)"
    );
    let done = e.into_completions().expect("the chain ran");
    assert_eq!(done[0].result(), Ok(1));
    assert_eq!(done[2].result(), Err(Error::Canceled));
    assert_eq!(
        done[2].buffer().data().map(<[u8]>::len),
        Some(2),
        "the buffer came back (S3)"
    );
    // Through `?`, the cause is what a caller of `rtio::Error` sees.
    let f = || -> Result<(), Error> {
        chain!(c: C, [ callback(nack, 0), nop() ] => wait)?;
        Ok(())
    };
    assert_eq!(f(), Err(Error::Nack));
    // A chain where every entry succeeds is `Ok`.
    let [w, t] =
        chain!(c: C, [ tiny_write(TEMP, [0x00]), read(TEMP, leak::<2>()) ] => wait).unwrap();
    assert_eq!((w.result(), t.result()), (Ok(1), Ok(2)));
    assert_eq!(C.reserved(), 0);
}

#[rtio_define(sq = 4, cq = 4)]
static D: Rtio;

/// `=> wait_scoped`: a chain and a bus transaction on borrowed (stack) buffers, in blocking
/// form, checked like any `chain!`; the result is the last operation's, a failure names the
/// entry that failed first (S17), and every entry is free afterwards (S3: the buffers never
/// left the caller).
#[test]
fn wait_scoped_runs_a_chain_on_borrowed_buffers() {
    let d = D.claim().unwrap();
    let mut rx = [0u8; 2];
    let reg = [0x00u8];
    let n = chain!(d: D, [ transaction[ write(TEMP, &reg), read(TEMP, &mut rx) ] ] => wait_scoped);
    assert_eq!(n, Ok(2));
    assert_eq!(rx, [0x19, 0x1a]);
    // A tiny write on borrowed buffers carries any number of bytes (no inline limit).
    let mut page = [0u8; 32];
    let n = chain!(d: D, [ tiny_write(TEMP, [0u8; 20]), read(TEMP, &mut page) ] => wait_scoped);
    assert_eq!(n, Ok(32));
    assert_eq!(page[31], 0x19 + 31);
    // The wrong owner side is refused, as for every form.
    let wrong = chain!(d: A, [ read(TEMP, &mut rx) ] => wait_scoped);
    assert_eq!(wrong.unwrap_err().error(), Error::WrongContext);
    assert_eq!(D.reserved(), 0);
}
