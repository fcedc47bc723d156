//! Prediction matches columns by name: a file whose named columns come in another order gets
//! the states of the original, in a batch and in a stream; names that do not match are refused.

use std::sync::OnceLock;

use casc::data::{ReadOptions, parse_csv, series_from_tables};
use casc::{FitParams, Model, Series, StreamPredictor};
use proptest::prelude::*;

const NAMES: [&str; 4] = ["speed", "rpm", "temp", "load"];

/// Three regimes of four sensors with different levels and couplings.
fn values(seed: u64, rows: usize) -> Vec<f64> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let mut unif = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5
    };
    let mut v = Vec::with_capacity(rows * 4);
    for t in 0..rows {
        let k = ((t / 25) * 7 % 3) as f64;
        let a = unif();
        v.extend([
            10.0 * k + a,
            -3.0 * k + (1.0 + k) * unif(),
            k * a + unif(),
            5.0 - k + 0.5 * unif(),
        ]);
    }
    v
}

/// A model fitted once on named columns (standardised, so that the scales are matched too).
fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let names = NAMES.iter().map(|s| s.to_string()).collect();
        let series = Series::new(values(1, 300), 4, Some(names)).unwrap();
        let params = FitParams::new(3)
            .window(2)
            .beta(10.0)
            .standardize(true)
            .motifs(false)
            .check()
            .unwrap();
        casc::fit(&series, &params).unwrap().model
    })
}

/// The CSV text of `values` (4 per row) with the columns in `order`, and a header unless not
/// `named`.
fn csv(values: &[f64], order: &[usize], named: bool) -> String {
    let mut text = String::new();
    if named {
        let header: Vec<&str> = order.iter().map(|&j| NAMES[j]).collect();
        text.push_str(&header.join(","));
        text.push('\n');
    }
    for row in values.chunks_exact(4) {
        let cells: Vec<String> = order.iter().map(|&j| row[j].to_string()).collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    text
}

fn read(text: &str) -> Series {
    let t = parse_csv(text.as_bytes(), &ReadOptions::default()).unwrap();
    series_from_tables(vec![("f".into(), t)]).unwrap()
}

fn streamed(model: &Model, text: &str) -> Vec<usize> {
    let mut reader = casc::RowReader::new(text.as_bytes(), &ReadOptions::default(), 1).unwrap();
    let mut p = StreamPredictor::new(model, None).unwrap();
    p.match_columns(reader.n_values(), reader.names()).unwrap();
    let (mut row, mut out) = (Vec::new(), Vec::new());
    while reader.read_row(&mut row).unwrap().is_some() {
        p.push(&row, &mut out);
    }
    p.finish(&mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn a_permuted_file_with_names_gets_the_original_states(
        order in Just(vec![0usize, 1, 2, 3]).prop_shuffle(),
        seed in 2u64..1000,
        rows in 30usize..120,
    ) {
        let model = model();
        let v = values(seed, rows);
        let original = model.predict(&read(&csv(&v, &[0, 1, 2, 3], true))).unwrap();
        let permuted_text = csv(&v, &order, true);
        let permuted = model.predict(&read(&permuted_text)).unwrap();
        prop_assert_eq!(&permuted.assignment, &original.assignment);
        prop_assert_eq!(streamed(model, &permuted_text), original.assignment);
    }
}

#[test]
fn unnamed_or_mismatched_columns() {
    let model = model();
    let v = values(7, 60);
    let original = model.predict(&read(&csv(&v, &[0, 1, 2, 3], true))).unwrap();
    // Without a header, by position, with a warning.
    let headerless = read(&csv(&v, &[0, 1, 2, 3], false));
    let m = model.match_columns(4, None).unwrap();
    assert!(!m.by_name && m.warning.unwrap().contains("no header"));
    assert_eq!(model.predict(&headerless).unwrap(), original);
    // The permuted file without a header is taken as it is: its states differ.
    let reversed = read(&csv(&v, &[3, 2, 1, 0], false));
    assert_ne!(
        model.predict(&reversed).unwrap().assignment,
        original.assignment
    );
    // Names that are not the model's are listed.
    let text = csv(&v, &[0, 1, 2, 3], true).replacen("load", "weight", 1);
    let e = model.predict(&read(&text)).unwrap_err().to_string();
    assert!(
        e.contains("missing \"load\"") && e.contains("not in the model \"weight\""),
        "{e}"
    );
    let e = model.match_columns(3, None).unwrap_err().to_string();
    assert!(e.contains("3 columns but the model was fitted on 4"), "{e}");
    let dup: Vec<String> = ["speed", "speed", "temp", "load"]
        .map(String::from)
        .to_vec();
    let e = model.match_columns(4, Some(&dup)).unwrap_err().to_string();
    assert!(e.contains("two columns \"speed\""), "{e}");
}
