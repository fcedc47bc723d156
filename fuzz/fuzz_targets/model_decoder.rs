//! Fuzz target: the model decoder. The input is a model file's payload (the fuzzer's corpus
//! starts from a real model's); the header and its CRC are computed here, so that the decoder,
//! not the checksum, meets every mutation. A model that decodes must be valid and must predict
//! (or refuse) without panicking.
#![no_main]

use casc::{Model, Series};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|payload: &[u8]| {
    let mut bytes = casc_fit::MAGIC.to_vec();
    bytes.extend_from_slice(&casc_fit::FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&casc_fit::crc32(payload).to_le_bytes());
    bytes.extend_from_slice(payload);
    let Ok(model) = Model::from_bytes(&bytes) else {
        return;
    };
    assert!(model.validate().is_ok());
    let n = model.n_sensors;
    if n == 0 || n * model.window > 64 {
        return;
    }
    let values: Vec<f64> = (0..40 * n).map(|i| ((i * 37 % 11) as f64).sin()).collect();
    let Ok(series) = Series::new(values, n, None) else {
        return;
    };
    if let Ok(p) = model.predict(&series) {
        assert_eq!(p.assignment.len(), series.n_steps());
        assert!(p.assignment.iter().all(|&s| s < model.n_states()));
    }
    let _ = casc::StreamPredictor::new(&model, Some(3));
});
