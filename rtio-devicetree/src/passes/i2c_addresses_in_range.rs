//! After this pass every enabled device on an I2C bus has a `reg` whose address fits 7 bits
//! (or 10 bits with the `I2C_TEN_BIT_ADDRESS` flag, bit 31), and no two enabled devices on
//! one bus share an address.

use std::collections::HashMap;

use crate::bindings::Bus;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::Tree;
use crate::syntax::Example;

use super::{binding_of, enabled, Ctx};

/// Flag in the first `reg` cell marking a 10-bit address (Linux `I2C_TEN_BIT_ADDRESS`).
pub const TEN_BIT: u32 = 1 << 31;

/// Reports out-of-range, missing and duplicated I2C addresses.
pub fn run(tree: &Tree, ctx: &Ctx<'_>, diags: &mut Vec<Diagnostic>) {
    for bus in tree.walk() {
        if !enabled(tree, bus)
            || super::in_overlay(tree, bus)
            || tree.node(bus).name == "__overlay__"
        {
            continue;
        }
        if binding_of(tree, bus, ctx.bindings).and_then(|b| b.provides_bus) != Some(Bus::I2c) {
            continue;
        }
        let mut seen: HashMap<u32, crate::source::Span> = HashMap::new();
        for dev in tree.children(bus).collect::<Vec<_>>() {
            if !enabled(tree, dev) {
                continue;
            }
            // a device of another bus type is reported by devices_on_right_bus
            if binding_of(tree, dev, ctx.bindings)
                .and_then(|b| b.on_bus)
                .is_some_and(|b| b != Bus::I2c)
            {
                continue;
            }
            let n = tree.node(dev);
            let Some(p) = n.prop("reg") else {
                diags.push(
                    Diagnostic::error(
                        Code::I2cAddress,
                        format!("I2C device `{}` has no `reg`", tree.path(dev)),
                    )
                    .at(n.name_span, "no address")
                    .help(format!(
                        "add `{}` with the device's 7-bit address",
                        tree.syntax.property("reg", Example::Cells(&[0x48]))
                    )),
                );
                continue;
            };
            let span = p.value.span_or(p.name_span);
            let Some(first) = p.value.as_cells().and_then(|c| c.first().copied()) else {
                continue; // reg_matches_cells reports it
            };
            let (addr, max) = if first & TEN_BIT != 0 {
                (first & !TEN_BIT, 0x3ff)
            } else {
                (first, 0x7f)
            };
            if addr > max {
                diags.push(
                    Diagnostic::error(
                        Code::I2cAddress,
                        format!("I2C address 0x{addr:x} of `{}` is out of range", tree.path(dev)),
                    )
                    .at(span, format!("must be at most 0x{max:x}"))
                    .help(if max == 0x7f {
                        "7-bit addresses are 0x00..=0x7f; for a 10-bit address set bit 31 (I2C_TEN_BIT_ADDRESS)".to_string()
                    } else {
                        "10-bit addresses are 0x000..=0x3ff".to_string()
                    }),
                );
                continue;
            }
            if let Some(prev) = seen.get(&first) {
                diags.push(
                    Diagnostic::error(
                        Code::I2cAddress,
                        format!(
                            "I2C address 0x{addr:x} is used twice on `{}`",
                            tree.path(bus)
                        ),
                    )
                    .at(span, "second device at this address")
                    .also(*prev, "first device here")
                    .help("give each device on one bus its own address, or disable one"),
                );
            } else {
                seen.insert(first, span);
            }
        }
    }
}
