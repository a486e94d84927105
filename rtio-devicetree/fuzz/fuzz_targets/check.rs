// Shared by both targets: run the whole pipeline in every mode, then check the invariants:
// no panic, every diagnostic span inside the file it names, rendering total.
use rtio_devicetree::pipeline::{load_str, Options};

fn modes() -> [Options; 4] {
    [
        Options {
            dtc_only: true,
            ..Options::default()
        },
        Options::default(),
        // nodes in use (by label, path, alias, and names that match nothing) and strict mode
        Options {
            strict: true,
            used: ["a", "&l", "/a", "/a/b@1", "l", "serial0", "nope"]
                .map(String::from)
                .to_vec(),
            ..Options::default()
        },
        // generated bindings: drivers by compatible (a bus controller listing its
        // children), for one node, and a run-time model; used nodes must be served
        Options {
            used: ["a", "l", "nope"].map(String::from).to_vec(),
            drivers: vec![
                rtio_devicetree::Driver::new("rtio,i2c-controller", "B", "B::new($children)"),
                rtio_devicetree::Driver::new("ti,tmp105", "D", "D::new(&super::DRIVER)"),
                rtio_devicetree::Driver::for_node("l", "N", "N"),
                rtio_devicetree::Driver::attach(
                    "atmel,24c32",
                    rtio_devicetree::drivers::AttachFn {
                        name: "attach".into(),
                        generics: String::new(),
                        params: "bus: &'static Bus".into(),
                        device: "&'static D".into(),
                    },
                    "bus.attach(BUS_ADDRESS)",
                ),
            ],
            ..Options::default()
        },
    ]
}

pub fn check(name: &str, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for opts in modes() {
        match load_str(name, &text, &opts) {
            Ok(c) => {
                let _ = rtio_devicetree::canonical::to_dts(&c.tree);
                let _ = rtio_devicetree::codegen::generate(&c);
                let _ = c.render_warnings();
                let _ = c.cargo_rendered_warning_lines();
            }
            Err(d) => {
                assert!(!d.list.is_empty());
                for diag in &d.list {
                    for (s, _) in diag.primary.iter().chain(diag.secondary.iter()) {
                        let f = d.sources.get(s.file).expect("span names a known file");
                        assert!(s.start <= s.end && s.end as usize <= f.text().len());
                    }
                }
                let _ = d.render();
                let _ = d.cargo_rendered_lines();
            }
        }
    }
}
