//! Bounded, proptest-driven fuzzing of the two parsers that read untrusted bytes: the CSV
//! reader and the model loader. They must answer with a value or an error, never a panic.

use casc::data::{Missing, ReadOptions, parse_csv};
use casc::{FitParams, Model, Series};
use proptest::prelude::*;

/// Bytes that look like CSV often enough to reach deep paths.
fn csv_like() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(b"1".to_vec()),
        Just(b"-2.5e3".to_vec()),
        Just(b"NaN".to_vec()),
        Just(b"inf".to_vec()),
        Just(b"".to_vec()),
        Just(b",".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"a".to_vec()),
        Just(b"\"x\"".to_vec()),
        Just(b" ".to_vec()),
        Just(vec![0xff]),
        Just(vec![0]),
        proptest::collection::vec(any::<u8>(), 0..4),
    ];
    proptest::collection::vec(token, 0..60).prop_map(|v| v.concat())
}

fn model_bytes() -> Vec<u8> {
    let values: Vec<f64> = (0..120).map(|i| ((i * 37 % 11) as f64).sin()).collect();
    let series = Series::new(values, 2, None).unwrap();
    let params = FitParams::new(2).motif_min_instances(1).check().unwrap();
    casc::fit(&series, &params).unwrap().model.to_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn csv_reader_never_panics(bytes in csv_like(), policy in 0usize..4, seq in any::<bool>()) {
        let missing = [Missing::Error, Missing::Drop, Missing::Ffill, Missing::Interpolate][policy];
        let opts = ReadOptions { missing, sequence_column: seq.then(|| "a".to_string()) };
        if let Ok(t) = parse_csv(&bytes, &opts) {
            prop_assert!(t.values.iter().all(|v| v.is_finite()));
            prop_assert_eq!(t.values.len() % t.n, 0);
        }
    }

    #[test]
    fn model_loader_never_panics(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8), cut in any::<prop::sample::Index>(), truncate in any::<bool>()) {
        let mut bytes = model_bytes();
        for (i, b) in &edits {
            let i = i.index(bytes.len());
            bytes[i] = *b;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        if let Ok(m) = Model::from_bytes(&bytes) {
            prop_assert!(m.validate().is_ok());
        }
    }

    #[test]
    fn model_loader_survives_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut with_magic = casc_fit::MAGIC.to_vec();
        with_magic.extend_from_slice(&bytes);
        let _ = Model::from_bytes(&bytes);
        let _ = Model::from_bytes(&with_magic);
    }
}
