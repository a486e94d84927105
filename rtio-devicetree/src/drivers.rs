//! Driver declarations: which Rust driver serves which `compatible`, declared once per
//! program, so that the generator emits every driver instance, its iodev and its typed
//! handle from the tree (the analogue of Zephyr's `I2C_DT_IODEV_DEFINE(name, node)`).
//!
//! A declaration names a compatible, the driver's type and a constant expression that builds
//! it. The expression is placed in the node's generated module, so the node's own constants
//! are in scope by name (`BUS_ADDRESS`, `CHIP_SELECT`, `REG_ADDRESS`, `INTERRUPTS`,
//! `CLOCK_FREQUENCY`, ...), and so are:
//!
//! | name | what |
//! |---|---|
//! | `DRIVER` | this node's driver instance (for a driver that refers to itself) |
//! | `IODEV` | this node's iodev (nodes whose binding has an iodev kind) |
//! | `super::DRIVER` | the bus controller's driver (the parent node's) |
//! | `$children` | `&[&child_a::DRIVER, &child_b::DRIVER]`: the enabled children that have a driver, in tree order |
//!
//! From build.rs (the firmware's drivers):
//!
//! ```no_run
//! let _ = rtio_devicetree::Builder::new("boards/app.dts")
//!     .driver(
//!         "ti,stellaris-i2c",
//!         "crate::drivers::i2c::I2cBus",
//!         "crate::drivers::i2c::I2cBus::new(crate::board::regs(REG_ADDRESS), INTERRUPTS[0], $children)",
//!     )
//!     .driver(
//!         "ti,tmp105",
//!         "crate::drivers::i2c::I2cDevice",
//!         "crate::drivers::i2c::I2cDevice::new(&super::DRIVER, BUS_ADDRESS)",
//!     )
//!     .generate();
//! ```
//!
//! and the same declarations in the `devicetree!` macro (`drivers { "ti,tmp105" => Type =
//! expr, ... }`). For each enabled node whose compatible (any entry of its list, first match
//! wins) has a declaration, the node's module gets
//!
//! ```text
//! pub static DRIVER: crate::drivers::i2c::I2cDevice = crate::drivers::i2c::I2cDevice::new(&super::DRIVER, BUS_ADDRESS);
//! pub static IODEV: ::rtio::Iodev = ::rtio::Iodev::new(&DRIVER);   // with an iodev kind
//! pub const DEV: ::rtio::Dev<Kind> = /* the handle, of this node's kind only */;
//! ```
//!
//! A simulated model is built when the program runs, so it is not a `static`: declare it with
//! [`Driver::attach`] (in `devicetree!`: `"ti,tmp105" => fn attach<T: rtio_sim::I2cTarget>(bus:
//! &'static rtio_sim::Bus, model: T) -> &'static rtio_sim::I2cDevice<T> {
//! bus.attach_i2c(BUS_ADDRESS, model) }`), and the node's module gets that function,
//! returning the device and the node's typed handle. One devicetree then describes the board
//! for the firmware's static drivers and for the simulation's models.
//!
//! A node with a driver is used ([`crate::Options::used`]): the checks that need a binding
//! are errors for it. Errors ([`Code::Driver`], `DT0310`): a node named in
//! [`crate::Options::used`] whose binding has an iodev kind but no driver serves it (when the
//! program declares drivers at all); a driver that takes its bus controller's driver
//! (`super::DRIVER`) on a node whose parent has none; two declarations for one compatible.

use std::collections::HashSet;

use crate::bindings::Bindings;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{NodeId, Tree};
use crate::passes::{binding_of, compatibles, enabled};

/// Which Rust driver serves a `compatible` (see the [module docs](self)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Driver {
    /// The compatible string it serves, e.g. `ti,tmp105`.
    pub compatible: String,
    /// The driver's type, a path valid where the generated code is included (a static
    /// driver), or the signature of the attach function (a run-time model, see
    /// [`Driver::attach`]).
    pub ty: String,
    /// A constant expression of type `ty`, evaluated in the node's module; for a run-time
    /// model, the attach function's body.
    pub init: String,
    /// A run-time model ([`Driver::attach`]) rather than a static driver instance.
    pub attach: Option<AttachFn>,
    /// For one node only ([`Driver::for_node`]): its label, full path or alias. Such a
    /// driver is not an iodev (`DRIVER` only) and takes precedence over the compatible's.
    pub node: Option<String>,
}

/// The signature of a generated attach function ([`Driver::attach`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachFn {
    /// The function's name, e.g. `attach`.
    pub name: String,
    /// Its generic parameters with their bounds, without the angle brackets (may be empty).
    pub generics: String,
    /// Its parameters, without the parentheses.
    pub params: String,
    /// The type its body returns: a device that has `fn iodev(&'static self) -> &'static
    /// rtio::Iodev` (a simulated bus device).
    pub device: String,
}

impl Driver {
    /// A declaration: `compatible` is served by `ty`, built by `init`.
    pub fn new(
        compatible: impl Into<String>,
        ty: impl Into<String>,
        init: impl Into<String>,
    ) -> Driver {
        Driver {
            compatible: compatible.into(),
            ty: ty.into(),
            init: init.into(),
            attach: None,
            node: None,
        }
    }

    /// A driver instance for one node, named by label, full path or alias, that is not an
    /// iodev: the node's module gets `DRIVER` only (no `IODEV`, no `DEV`). For peripherals
    /// the program uses otherwise, where one compatible serves two roles (the lm3s6965's
    /// timer 0 is the runtime's clock, timer 1 the ADC's trigger). The node is used: it
    /// must exist and be enabled.
    pub fn for_node(
        node: impl Into<String>,
        ty: impl Into<String>,
        init: impl Into<String>,
    ) -> Driver {
        let node = node.into();
        Driver {
            compatible: String::new(),
            ty: ty.into(),
            init: init.into(),
            attach: None,
            node: Some(node),
        }
    }

    /// A run-time model for `compatible` (a simulated device, built and attached when the
    /// program runs, so not a `static`): the node's module gets
    ///
    /// ```text
    /// pub fn NAME<GENERICS>(PARAMS) -> (DEVICE, ::rtio::Dev<Kind>) {
    ///     let device: DEVICE = { BODY };
    ///     (device, /* the device's iodev with this node's kind */)
    /// }
    /// ```
    ///
    /// `BODY` sees the node's constants, as an `init` does: `bus.attach_i2c(BUS_ADDRESS,
    /// model)` attaches the model at the node's own address, and the handle returned has the
    /// node's kind, so neither can be another node's.
    pub fn attach(compatible: impl Into<String>, sig: AttachFn, body: impl Into<String>) -> Driver {
        Driver {
            compatible: compatible.into(),
            ty: sig.device.clone(),
            init: body.into(),
            attach: Some(sig),
            node: None,
        }
    }

    /// Whether the expression takes the bus controller's driver.
    pub fn uses_bus_driver(&self) -> bool {
        self.init.contains("super::DRIVER")
    }
}

/// The declaration that serves node `id`: the first entry of its compatible list that has one.
pub fn driver_of<'d>(tree: &Tree, id: NodeId, drivers: &'d [Driver]) -> Option<&'d Driver> {
    let own = drivers.iter().find(|d| {
        d.node
            .as_deref()
            .is_some_and(|n| crate::passes::used_nodes_bound::resolve(tree, n) == Some(id))
    });
    own.or_else(|| {
        compatibles(tree, id).into_iter().find_map(|c| {
            drivers
                .iter()
                .find(|d| d.node.is_none() && d.compatible == c)
        })
    })
}

/// The enabled nodes that get a generated driver.
pub fn driven_nodes(tree: &Tree, drivers: &[Driver]) -> HashSet<NodeId> {
    if drivers.is_empty() {
        return HashSet::new();
    }
    tree.walk()
        .into_iter()
        .filter(|&id| enabled(tree, id) && driver_of(tree, id, drivers).is_some())
        .collect()
}

/// Checks the declarations against the tree: see the [module docs](self) for the errors.
/// `named` are the nodes of [`crate::Options::used`], with the name each was used by.
pub fn check(
    tree: &Tree,
    bindings: &Bindings,
    drivers: &[Driver],
    named: &[(String, NodeId)],
    diags: &mut Vec<Diagnostic>,
) {
    let mut seen = HashSet::new();
    let mut nodes = HashSet::new();
    for d in drivers {
        if let Some(n) = &d.node {
            let id = crate::passes::used_nodes_bound::resolve(tree, n);
            if id.is_some() && !nodes.insert(id) {
                diags.push(
                    Diagnostic::error(
                        Code::Driver,
                        format!("two drivers are declared for node `{n}`"),
                    )
                    .help("declare one driver per node"),
                );
            }
            continue;
        }
        if !seen.insert(d.compatible.as_str()) {
            diags.push(
                Diagnostic::error(
                    Code::Driver,
                    format!("two drivers are declared for `{}`", d.compatible),
                )
                .help("declare one driver per compatible"),
            );
        }
    }
    if drivers.is_empty() {
        return;
    }
    for (name, id) in named {
        let id = *id;
        if driver_of(tree, id, drivers).is_some() {
            continue;
        }
        let Some(kind) = binding_of(tree, id, bindings).and_then(|b| b.iodev.as_ref()) else {
            continue;
        };
        let n = tree.node(id);
        let span = n
            .prop("compatible")
            .map(|p| p.value.span_or(p.name_span))
            .unwrap_or(n.name_span);
        let compat = compatibles(tree, id).join("\", \"");
        let first = compatibles(tree, id)
            .first()
            .copied()
            .unwrap_or("vendor,device");
        diags.push(
            Diagnostic::error(
                Code::Driver,
                format!(
                    "`{name}` is used, but no driver serves `{}` (compatible \"{compat}\", iodev kind `{}`)",
                    tree.path(id),
                    kind.kind
                ),
            )
            .at(span, "no driver declared for this compatible")
            .help(format!(
                "declare one: `Builder::driver(\"{first}\", TYPE, INIT)` in build.rs, or `drivers {{ \"{first}\" => TYPE = INIT }}` in `devicetree!`"
            )),
        );
    }
    for id in driven_nodes(tree, drivers) {
        let Some(d) = driver_of(tree, id, drivers) else {
            continue;
        };
        if !d.uses_bus_driver() {
            continue;
        }
        let parent = tree.node(id).parent;
        if parent.is_some_and(|p| driver_of(tree, p, drivers).is_some()) {
            continue;
        }
        let n = tree.node(id);
        let (ppath, pcompat) = match parent {
            Some(p) => (
                tree.path(p),
                compatibles(tree, p)
                    .first()
                    .map_or("no compatible".to_string(), |c| format!("\"{c}\"")),
            ),
            None => ("/".to_string(), "the root".to_string()),
        };
        diags.push(
            Diagnostic::error(
                Code::Driver,
                format!(
                    "the driver of `{}` (`{}`) takes its bus controller's driver (`super::DRIVER`), but `{ppath}` ({pcompat}) has none",
                    tree.path(id),
                    d.compatible
                ),
            )
            .at(n.name_span, "this node's driver needs its parent's")
            .help(format!("declare a driver for {pcompat} too")),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::pipeline::{load_str, Options};

    const BOARD: &str = "/dts-v1/;\n/ {\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n\
        \ti2c0: i2c@4000 {\n\t\tcompatible = \"rtio,i2c-controller\";\n\t\treg = <0x4000 0x100>;\n\
        \t\t#address-cells = <1>;\n\t\t#size-cells = <0>;\n\
        \t\ttemp: tmp105@48 {\n\t\t\tcompatible = \"ti,tmp105\";\n\t\t\treg = <0x48>;\n\t\t};\n\
        \t\teeprom: eeprom@50 {\n\t\t\tcompatible = \"atmel,24c32\";\n\t\t\treg = <0x50>;\n\t\t};\n\
        \t\toff: tmp105@49 {\n\t\t\tcompatible = \"ti,tmp105\";\n\t\t\treg = <0x49>;\n\
        \t\t\tstatus = \"disabled\";\n\t\t};\n\t};\n};\n";

    fn opts(drivers: &[(&str, &str, &str)], used: &[&str]) -> Options {
        Options {
            drivers: drivers
                .iter()
                .map(|(c, t, i)| super::Driver::new(*c, *t, *i))
                .collect(),
            used: used.iter().map(|s| s.to_string()).collect(),
            ..Options::default()
        }
    }

    fn code(o: &Options) -> String {
        let c = load_str("b.dts", BOARD, o).unwrap_or_else(|d| panic!("{}", d.render()));
        crate::codegen::generate(&c)
    }

    fn error(o: &Options) -> String {
        load_str("b.dts", BOARD, o)
            .err()
            .map(|d| d.render())
            .unwrap_or_else(|| panic!("accepted"))
    }

    #[test]
    fn a_driven_node_gets_driver_iodev_and_typed_handle() {
        let c = code(&opts(
            &[
                (
                    "rtio,i2c-controller",
                    "Bus",
                    "Bus::new(REG_ADDRESS, $children)",
                ),
                ("ti,tmp105", "Dev", "Dev::new(&super::DRIVER, BUS_ADDRESS)"),
            ],
            &["temp"],
        ));
        assert!(
            c.contains("pub static DRIVER: Bus = Bus::new(REG_ADDRESS, &[&tmp105_48::DRIVER]);"),
            "enabled children with a driver only: {c}"
        );
        assert!(c.contains("pub static DRIVER: Dev = Dev::new(&super::DRIVER, BUS_ADDRESS);"));
        assert!(c.contains("pub static IODEV: ::rtio::Iodev = ::rtio::Iodev::new(&DRIVER);"));
        assert!(
            c.contains("pub const DEV: ::rtio::Dev<Kind> = ::rtio::Dev::new_unchecked(&IODEV);")
        );
        assert_eq!(
            c.matches("pub const DEV:").count(),
            1,
            "the bus has no kind: {c}"
        );
        assert!(!c.contains("tmp105_49"), "disabled nodes get nothing");
    }

    #[test]
    fn a_run_time_model_gets_an_attach_function_returning_the_typed_handle() {
        let sig = super::AttachFn {
            name: "attach".into(),
            generics: "T: Model".into(),
            params: "bus: &'static Bus, model: T".into(),
            device: "&'static Device<T>".into(),
        };
        let mut o = opts(&[], &["temp"]);
        o.drivers.push(super::Driver::attach(
            "ti,tmp105",
            sig,
            "bus.attach_i2c(BUS_ADDRESS, model)",
        ));
        let c = code(&o);
        assert!(
            c.contains("pub fn attach<T: Model>(bus: &'static Bus, model: T) -> (&'static Device<T>, ::rtio::Dev<Kind>) {"),
            "{c}"
        );
        assert!(
            c.contains("let device: &'static Device<T> = { bus.attach_i2c(BUS_ADDRESS, model) };")
        );
        assert!(c.contains("let dev = ::rtio::Dev::new_unchecked(device.iodev());"));
        assert!(!c.contains("static DRIVER"), "a model is not a static: {c}");
    }

    #[test]
    fn a_node_driver_takes_precedence_and_is_not_an_iodev() {
        let mut o = opts(&[("ti,tmp105", "Dev", "Dev::new(BUS_ADDRESS)")], &[]);
        o.drivers.push(super::Driver::for_node(
            "temp",
            "Probe",
            "Probe::new(BUS_ADDRESS)",
        ));
        let c = code(&o);
        assert!(
            c.contains("pub static DRIVER: Probe = Probe::new(BUS_ADDRESS);"),
            "{c}"
        );
        assert!(!c.contains("pub const DEV:"), "{c}");
        o.drivers.push(super::Driver::for_node("off", "P", "P"));
        let e = error(&o);
        assert!(
            e.contains("error[DT0309]: `off` is used, but `/i2c@4000/tmp105@49` is disabled"),
            "{e}"
        );
    }

    #[test]
    fn without_drivers_nothing_is_generated_or_required() {
        let c = code(&opts(&[], &["temp", "eeprom"]));
        assert!(!c.contains("DRIVER"));
    }

    #[test]
    fn a_used_device_without_a_driver_is_an_error_naming_node_and_compatible() {
        let e = error(&opts(&[("ti,tmp105", "T", "T")], &["temp", "eeprom"]));
        assert!(
            e.contains("error[DT0310]: `eeprom` is used, but no driver serves `/i2c@4000/eeprom@50` (compatible \"atmel,24c32\", iodev kind `eeprom`)"),
            "{e}"
        );
        assert!(e.contains("b.dts:15:"), "at the compatible: {e}");
        assert!(
            e.contains("Builder::driver(\"atmel,24c32\", TYPE, INIT)"),
            "{e}"
        );
    }

    #[test]
    fn a_device_driver_that_needs_its_bus_driver_without_one_is_an_error() {
        let e = error(&opts(&[("ti,tmp105", "T", "T::new(&super::DRIVER)")], &[]));
        assert!(
            e.contains("the driver of `/i2c@4000/tmp105@48` (`ti,tmp105`) takes its bus controller's driver (`super::DRIVER`), but `/i2c@4000` (\"rtio,i2c-controller\") has none"),
            "{e}"
        );
    }

    #[test]
    fn a_compatible_declared_twice_is_an_error() {
        let e = error(&opts(
            &[("ti,tmp105", "A", "A"), ("ti,tmp105", "B", "B")],
            &[],
        ));
        assert!(
            e.contains("two drivers are declared for `ti,tmp105`"),
            "{e}"
        );
    }

    #[test]
    fn a_driven_node_is_used_so_its_unknown_compatible_is_an_error() {
        let board = BOARD.replace("\"atmel,24c32\"", "\"atmel,24c23\"");
        let o = opts(&[("atmel,24c23", "E", "E")], &[]);
        assert!(
            load_str("b.dts", &board, &Options::default()).is_ok(),
            "a warning only"
        );
        let e = load_str("b.dts", &board, &o).err().map(|d| d.render());
        assert!(e.as_deref().is_some_and(|e| e.contains("DT0307")), "{e:?}");
    }
}
