// Rule 28: `chain!` only prepares. Dropping the handle on the spot is the mark of a
// forgotten `ctx.submit(..)`: `rtio::ChainHandle` is `#[must_use]` (a warning by default,
// an error here under `deny`).
#![deny(unused_must_use)]
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::TEMP;

#[rtio_define(sq = 2, cq = 2)]
static SENSORS: Rtio;

fn main() -> Result<(), rtio::Error> {
    let ctx = SENSORS.claim().unwrap();
    chain!(ctx: SENSORS, [ tiny_write(TEMP, [0x00]) ])?;
    Ok(())
}
