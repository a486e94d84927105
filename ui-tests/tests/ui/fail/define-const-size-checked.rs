// Sizes given as const expressions are checked by the same rules, as const assertions on the
// expression.
use rtio::Rtio;
use rtio_macros::rtio_define;

const SQ_DEPTH: usize = 8;
const CQ_DEPTH: usize = 4;

#[rtio_define(sq = SQ_DEPTH, cq = CQ_DEPTH)]
static SENSORS: Rtio;

fn main() {
    let _ = SENSORS.claim();
}
