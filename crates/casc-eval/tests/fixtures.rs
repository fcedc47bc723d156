//! Checks that the checked-in fixtures (`fixtures/*/`) are exactly what the generator produces from their params.json.
//!
//! Regenerate them with `cargo xtask fixtures` after a deliberate change to the generator.

use std::path::Path;

use casc_eval::{SynthParams, generate};

#[test]
fn checked_in_fixtures_regenerate_byte_for_byte() {
    let base = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures"));
    let mut dirs: Vec<_> = std::fs::read_dir(base)
        .expect("fixtures folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("params.json").is_file())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 3,
        "expected the generated fixtures, found {dirs:?}"
    );
    let mut stale = Vec::new();
    for dir in &dirs {
        let json = std::fs::read_to_string(dir.join("params.json")).unwrap();
        let params = SynthParams::from_json(&json).unwrap();
        assert_eq!(
            params.to_json(),
            json,
            "{}: params.json is not canonical",
            dir.display()
        );
        let data = generate(&params).unwrap();
        for (file, expected) in [
            ("data.csv", data.data_csv()),
            ("truth.csv", data.truth_csv()),
            ("motif.csv", data.motif_csv()),
        ] {
            let on_disk = std::fs::read(dir.join(file)).unwrap_or_default();
            if on_disk != expected.as_bytes() {
                stale.push(dir.join(file));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "fixtures differ from the generator (run `cargo xtask fixtures` if the change is deliberate): {stale:?}"
    );
}
