// `chain!(ctx: NAME, ..)` checks against what #[rtio_define] recorded about NAME; a context
// written by hand has no such record.
use rtio::{Rtio, Storage};
use rtio_macros::chain;
use ui_tests::TEMP;

static STORAGE: Storage<4, 4> = Storage::new();
static HAND_MADE: Rtio = Rtio::new(&STORAGE);

fn main() {
    let ctx = HAND_MADE.claim().unwrap();
    let _ = chain!(ctx: HAND_MADE, [ tiny_write(TEMP, [0]) ]);
}
