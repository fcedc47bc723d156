//! Viterbi tests: brute force, random paths, beta = 0 and huge beta, conformance
//! vectors from the reference implementation, segments round trip, streaming.

use casc_segment::{OnlineViterbi, OnlineViterbiParams, Segment, path_cost, segments, viterbi};
use proptest::prelude::*;

/// Costs with many exact ties (small integers) or continuous values.
fn costs_strategy(max_t: usize, max_k: usize) -> impl Strategy<Value = (usize, Vec<f64>)> {
    (1..=max_k, 0..=max_t, any::<bool>()).prop_flat_map(|(k, t, ints)| {
        let elem = if ints {
            (0i32..4).prop_map(f64::from).boxed()
        } else {
            (-5.0f64..5.0).boxed()
        };
        (Just(k), proptest::collection::vec(elem, t * k))
    })
}

fn brute_force(costs: &[f64], k: usize, beta: f64) -> f64 {
    let t_len = costs.len() / k;
    let mut best = f64::INFINITY;
    let total = k.pow(t_len as u32);
    let mut path = vec![0; t_len];
    for code in 0..total {
        let mut c = code;
        for p in path.iter_mut() {
            *p = c % k;
            c /= k;
        }
        best = best.min(path_cost(costs, k, &path, beta));
    }
    if t_len == 0 { 0.0 } else { best }
}

fn beta_strategy() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(1.0), 0.0f64..6.0]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn equals_brute_force((k, costs) in costs_strategy(7, 3), beta in beta_strategy()) {
        let v = viterbi(&costs, k, beta);
        let best = brute_force(&costs, k, beta);
        prop_assert_eq!(v.path.len(), costs.len() / k);
        prop_assert!((v.cost - best).abs() <= 1e-12 * (1.0 + best.abs()), "{} vs {}", v.cost, best);
        prop_assert_eq!(v.cost, path_cost(&costs, k, &v.path, beta));
    }

    /// With small integer costs (exact sums, many ties), the path is the optimal
    /// path that is smallest when compared from the last timestep backwards
    /// (lowest final state, then lowest predecessor, ...).
    #[test]
    fn ties_pick_reverse_lexicographic_smallest_optimum(
        k in 1usize..=3,
        t_len in 0usize..=6,
        raw in proptest::collection::vec(0i32..3, 18),
        beta in prop_oneof![Just(0.0), Just(1.0), Just(2.0)],
    ) {
        let costs: Vec<f64> = raw[..t_len * k].iter().map(|&c| f64::from(c)).collect();
        let v = viterbi(&costs, k, beta);
        let mut best: Option<(f64, Vec<usize>)> = None;
        let mut path = vec![0; t_len];
        for code in 0..k.pow(t_len as u32) {
            let mut c = code;
            for p in path.iter_mut() {
                *p = c % k;
                c /= k;
            }
            let pc = path_cost(&costs, k, &path, beta);
            let rev: Vec<usize> = path.iter().rev().copied().collect();
            let better = match &best {
                None => true,
                Some((bc, brev)) => pc < *bc || (pc == *bc && rev < *brev),
            };
            if better {
                best = Some((pc, rev));
            }
        }
        let (_, brev) = best.unwrap();
        let want: Vec<usize> = brev.into_iter().rev().collect();
        prop_assert_eq!(v.path, want);
    }

    #[test]
    fn never_above_a_random_path((k, costs) in costs_strategy(60, 5), beta in beta_strategy(), seed in any::<u64>()) {
        let t_len = costs.len() / k;
        let v = viterbi(&costs, k, beta);
        let mut s = seed;
        let path: Vec<usize> = (0..t_len).map(|_| { s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); ((s >> 33) as usize) % k }).collect();
        prop_assert!(v.cost <= path_cost(&costs, k, &path, beta) + 1e-9);
    }

    #[test]
    fn beta_zero_is_pointwise_argmin((k, costs) in costs_strategy(30, 5)) {
        let v = viterbi(&costs, k, 0.0);
        for (t, &s) in v.path.iter().enumerate() {
            let row = &costs[t * k..(t + 1) * k];
            let min = row.iter().copied().fold(f64::INFINITY, f64::min);
            let first = row.iter().position(|&c| c == min).unwrap();
            prop_assert_eq!(s, first);
        }
    }

    #[test]
    fn huge_beta_gives_one_segment((k, costs) in costs_strategy(40, 5)) {
        let v = viterbi(&costs, k, 1e9);
        prop_assert!(segments(&v.path).len() <= 1);
        if !v.path.is_empty() {
            // ... the single best state (lowest id on ties).
            let t_len = costs.len() / k;
            let sums: Vec<f64> = (0..k).map(|s| path_cost(&costs, k, &vec![s; t_len], 0.0)).collect();
            let min = sums.iter().copied().fold(f64::INFINITY, f64::min);
            prop_assert_eq!(v.path[0], sums.iter().position(|&c| c == min).unwrap());
        }
    }

    #[test]
    fn segments_round_trip(path in proptest::collection::vec(0usize..4, 0..50)) {
        let segs = segments(&path);
        let mut back = Vec::new();
        for (i, s) in segs.iter().enumerate() {
            prop_assert!(s.start <= s.end);
            if i > 0 {
                prop_assert_eq!(s.start, segs[i - 1].end + 1);
                prop_assert_ne!(s.state, segs[i - 1].state);
            }
            back.extend(std::iter::repeat_n(s.state, s.end - s.start + 1));
        }
        prop_assert_eq!(back, path);
    }

    #[test]
    fn online_equals_batch((k, costs) in costs_strategy(80, 4), beta in beta_strategy()) {
        let v = viterbi(&costs, k, beta);
        let mut o = OnlineViterbi::new(&OnlineViterbiParams::new(k, beta).check().unwrap());
        let mut out = Vec::new();
        for row in costs.chunks_exact(k) {
            o.push(row, &mut out);
            prop_assert_eq!(out.len(), o.n_decided());
            prop_assert_eq!(&out[..], &v.path[..out.len()]);
        }
        let cost = o.finish(&mut out);
        prop_assert_eq!(out, v.path);
        prop_assert_eq!(cost, v.cost);
    }

    #[test]
    fn online_with_lag_is_a_valid_bounded_path((k, costs) in costs_strategy(80, 4), beta in beta_strategy(), lag in 0usize..6) {
        let t_len = costs.len() / k;
        let v = viterbi(&costs, k, beta);
        let mut o = OnlineViterbi::new(&OnlineViterbiParams::new(k, beta).max_lag(Some(lag)).check().unwrap());
        let mut out = Vec::new();
        for row in costs.chunks_exact(k) {
            o.push(row, &mut out);
            prop_assert!(o.n_undecided() <= lag);
        }
        let cost = o.finish(&mut out);
        prop_assert_eq!(out.len(), t_len);
        prop_assert!(out.iter().all(|&s| s < k));
        if t_len > 0 {
            // The objective reported is that of the emitted path, never better than optimal.
            let pc = path_cost(&costs, k, &out, beta);
            prop_assert!((cost - pc).abs() <= 1e-9 * (1.0 + pc.abs()), "{} vs {}", cost, pc);
            prop_assert!(pc >= v.cost - 1e-9);
        }
    }
}

#[test]
fn conformance_vectors() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/conformance/reference_vectors.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = json["viterbi"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for (i, case) in cases.iter().enumerate() {
        let rows = case["costs"].as_array().unwrap();
        let k = rows[0].as_array().unwrap().len();
        let costs: Vec<f64> = rows
            .iter()
            .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
            .collect();
        let beta = case["beta"].as_f64().unwrap();
        let want: Vec<usize> = case["path"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let v = viterbi(&costs, k, beta);
        assert_eq!(v.path, want, "case {i}");
    }
}

#[test]
fn segments_example() {
    assert_eq!(
        segments(&[1, 1, 1]),
        vec![Segment {
            start: 0,
            end: 2,
            state: 1
        }]
    );
}

#[test]
fn same_result_with_one_and_two_threads() {
    // viterbi is sequential, but run it in both pools to pin the claim.
    let k = 4;
    let costs: Vec<f64> = (0..4000)
        .map(|i| ((i * 7919) % 101) as f64 / 10.0)
        .collect();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| viterbi(&costs, k, 2.5))
    };
    assert_eq!(run(1), run(2));
}

#[test]
#[should_panic(expected = "beta")]
fn negative_beta_panics() {
    let _ = viterbi(&[0.0, 1.0], 2, -1.0);
}
