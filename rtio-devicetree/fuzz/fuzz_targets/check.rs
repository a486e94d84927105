// Shared by both targets: run the whole pipeline, then check the invariants.
use rtio_devicetree::pipeline::{load_str, Options};

pub fn check(name: &str, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for dtc_only in [true, false] {
        let opts = Options {
            dtc_only,
            ..Options::default()
        };
        match load_str(name, &text, &opts) {
            Ok(c) => {
                let _ = rtio_devicetree::canonical::to_dts(&c.tree);
                let _ = rtio_devicetree::codegen::generate(&c);
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
            }
        }
    }
}
