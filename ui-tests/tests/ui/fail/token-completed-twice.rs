// Rule 14: an iodev token completes once; completing consumes it.
use rtio::{IodevApi, Token};

struct Driver;

impl IodevApi for Driver {
    fn submit(&'static self, token: Token) {
        token.ok(0);
        token.ok(0);
    }
}

fn main() {}
