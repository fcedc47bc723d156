//! The streaming predictor against batch prediction: the same states, whatever the window, the
//! standardisation and the chunking of the stream.

use casc_fit::{Costs, FitParams, Series, StreamPredictor, fit};
use proptest::prelude::*;

/// Two sensors, three regimes of different levels and spreads, `segments` of 30 steps.
fn regimes(segments: usize, seed: u64) -> Series {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let mut unif = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5
    };
    let mut values = Vec::new();
    for seg in 0..segments {
        let k = (seg * 7 + seg / 3) % 3;
        for _ in 0..30 {
            let a = unif();
            values.push(10.0 * k as f64 + a);
            values.push(-4.0 * k as f64 + (1.0 + k as f64) * unif() + 0.5 * a);
        }
    }
    Series::new(values, 2, None).unwrap()
}

fn streamed(model: &casc_fit::Model, series: &Series, max_lag: Option<usize>) -> Vec<usize> {
    let mut p = StreamPredictor::new(model, max_lag).unwrap();
    let mut out = Vec::new();
    for row in series.values().chunks_exact(series.n_sensors()) {
        p.push(row, &mut out);
        assert!(out.len() <= p.n_pushed());
    }
    p.finish(&mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn a_stream_gets_the_batch_states(
        w in 1usize..4,
        standardize in any::<bool>(),
        seed in 0u64..1000,
        beta in prop_oneof![Just(0.0), Just(5.0), Just(40.0)],
        conditional in any::<bool>(),
    ) {
        let series = regimes(9, seed);
        let params = FitParams::new(3)
            .window(w)
            .costs(if conditional { Costs::Conditional } else { Costs::Window })
            .beta(beta)
            .standardize(standardize)
            .motifs(false)
            .split_merge(false)
            .max_iters(3)
            .seed(seed)
            .check()
            .unwrap();
        let f = fit(&series, &params).unwrap();
        let batch = f.model.predict(&series).unwrap().assignment;
        prop_assert_eq!(streamed(&f.model, &series, None), batch.clone());
        // With a lag bound, every timestep is still decided exactly once.
        prop_assert_eq!(streamed(&f.model, &series, Some(5)).len(), batch.len());
    }

    /// A window chosen from the data pools a periodic series: the stream pools it the same
    /// way and gives every row of a block its decision.
    #[test]
    fn a_pooled_stream_gets_the_batch_states(
        period in 12usize..40,
        len in 300usize..700,
        conditional in any::<bool>(),
    ) {
        let values: Vec<f64> = (0..len)
            .map(|t| {
                let a = 2.0 * std::f64::consts::PI * t as f64 / period as f64;
                let amp = if (t / 150) % 2 == 0 { 1.0 } else { 3.0 };
                amp * a.sin() + 0.01 * ((t * 7919) % 13) as f64
            })
            .collect();
        let series = Series::new(values, 1, None).unwrap();
        let params = FitParams::new(2)
            .costs(if conditional { Costs::Conditional } else { Costs::Window })
            .motifs(false)
            .split_merge(false)
            .max_iters(3)
            .check()
            .unwrap();
        let f = fit(&series, &params).unwrap();
        prop_assert!(f.model.pool > 1, "pool {}", f.model.pool);
        let batch = f.model.predict(&series).unwrap().assignment;
        prop_assert_eq!(&batch, &f.assignment);
        prop_assert_eq!(streamed(&f.model, &series, None), batch);
    }
}

#[test]
fn a_stream_shorter_than_the_window_is_scored_by_marginals() {
    let series = regimes(6, 3);
    let params = FitParams::new(2)
        .window(4)
        .beta(10.0)
        .motifs(false)
        .check()
        .unwrap();
    let f = fit(&series, &params).unwrap();
    let short = Series::new(series.values()[..6].to_vec(), 2, None).unwrap();
    assert_eq!(
        streamed(&f.model, &short, None),
        f.model.predict(&short).unwrap().assignment
    );
    // A lag of 0 decides every timestep as it arrives.
    assert_eq!(streamed(&f.model, &short, Some(0)).len(), 3);
}
