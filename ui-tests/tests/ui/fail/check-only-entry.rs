// The hidden check-only entry point runs the syntax-level rules without a context or devices.
fn main() {
    rtio_macros::__check!(chain [ tiny_write(ANY_DEVICE, [0; 16]), read(ANY_DEVICE, &mut local) ]);
}
