use rtio_macros::rtio_define;

#[rtio_define(sq = 4, cq = 4)]
fn sensors() {}

fn main() {
    sensors();
}
