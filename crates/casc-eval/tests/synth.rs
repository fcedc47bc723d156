//! Tests of the synthetic benchmark generator: parameters, matrices, layout, noise, samples, determinism.

use casc_eval::{EvalError, SynthParams, generate};
use faer::linalg::solvers::DenseSolveCore;
use faer::{Mat, Side};

fn small(macro_segments: usize, noise: f64, seed: u64) -> SynthParams {
    SynthParams::paper(macro_segments, noise, seed)
}

#[test]
fn paper_defaults() {
    let p = SynthParams::paper(1000, 0.2, 7);
    assert_eq!(
        (p.n_states, p.n_sensors, p.window, p.segment_len),
        (10, 5, 1, 15)
    );
    assert_eq!(
        (p.garbage_per_macro, p.motif.clone()),
        (6, vec![6, 7, 8, 9])
    );
    assert_eq!((p.delta, p.density), (0.6, 0.2));
    assert_eq!(p.n_steps(), 150_000);
    p.check().unwrap();
    let back = SynthParams::from_json(&p.to_json()).unwrap();
    assert_eq!(back, p);
}

#[test]
fn invalid_parameters_are_named() {
    type Edit = Box<dyn Fn(&mut SynthParams)>;
    let cases: Vec<(&str, Edit)> = vec![
        ("macro_segments", Box::new(|p| p.macro_segments = 0)),
        ("noise", Box::new(|p| p.noise = 1.5)),
        ("noise", Box::new(|p| p.noise = f64::NAN)),
        ("delta", Box::new(|p| p.delta = -0.1)),
        ("density", Box::new(|p| p.density = 2.0)),
        ("window", Box::new(|p| p.window = 0)),
        ("window", Box::new(|p| p.window = 1000)),
        ("n_sensors", Box::new(|p| p.n_sensors = 0)),
        ("n_states", Box::new(|p| p.n_states = 0)),
        ("segment_len", Box::new(|p| p.segment_len = 0)),
        ("motif", Box::new(|p| p.motif = vec![3, 10])),
        (
            "macro_segments",
            Box::new(|p| p.macro_segments = usize::MAX / 2),
        ),
        (
            "garbage_per_macro",
            Box::new(|p| {
                p.garbage_per_macro = 0;
                p.motif.clear();
            }),
        ),
    ];
    for (name, edit) in cases {
        let mut p = small(2, 0.1, 1);
        edit(&mut p);
        match p.check() {
            Err(EvalError::InvalidParameter { name: got, .. }) => assert_eq!(got, name),
            other => panic!("{name}: {other:?}"),
        }
        assert!(generate(&p).is_err());
    }
    // Window longer than the series.
    let mut p = small(1, 0.0, 1);
    p.segment_len = 1;
    p.window = 11;
    p.n_sensors = 2;
    assert!(matches!(
        p.check(),
        Err(EvalError::InvalidParameter { name: "window", .. })
    ));
}

fn eigenvalues(m: &Mat<f64>) -> Vec<f64> {
    m.self_adjoint_eigenvalues(Side::Lower).unwrap()
}

#[test]
fn precisions_are_sparse_and_positive_definite() {
    let mut p = small(1, 0.0, 3);
    p.n_sensors = 20;
    let d = generate(&p).unwrap();
    assert_eq!(d.precisions.len(), 10);
    for theta in &d.precisions {
        let n = 20;
        let off = (0..n)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .filter(|&(i, j)| i != j && theta[(i, j)] != 0.0)
            .count();
        // round(0.2 * 190) = 38 edges, both triangles.
        assert_eq!(off, 76);
        for i in 0..n {
            for j in 0..n {
                assert_eq!(theta[(i, j)], theta[(j, i)]);
                let v = theta[(i, j)].abs();
                if i != j && v != 0.0 {
                    assert!((0.3..=0.6).contains(&v), "{v}");
                }
            }
        }
        // Shifted so that the smallest eigenvalue is exactly 0.1 (up to rounding).
        let ev = eigenvalues(theta);
        let min = ev.iter().copied().fold(f64::INFINITY, f64::min);
        assert!((min - 0.1).abs() < 1e-10, "{min}");
    }
    // The paper's size: 2 edges out of 10 pairs.
    let d = generate(&small(1, 0.0, 3)).unwrap();
    for theta in &d.precisions {
        let nz = (0..5)
            .flat_map(|i| (0..5).map(move |j| (i, j)))
            .filter(|&(i, j)| i < j && theta[(i, j)] != 0.0)
            .count();
        assert_eq!(nz, 2);
    }
}

#[test]
fn window_precisions_are_block_toeplitz() {
    let mut p = small(2, 0.1, 5);
    p.window = 3;
    let d = generate(&p).unwrap();
    let n = 5;
    let mut some_lag_block_asymmetric = false;
    for theta in &d.precisions {
        assert_eq!((theta.nrows(), theta.ncols()), (15, 15));
        for bi in 0..3 {
            for bj in 0..3 {
                for i in 0..n {
                    for j in 0..n {
                        let v = theta[(bi * n + i, bj * n + j)];
                        // Symmetric.
                        assert_eq!(v, theta[(bj * n + j, bi * n + i)]);
                        // Block (bi, bj) depends on bj - bi only.
                        if bi + 1 < 3 && bj + 1 < 3 {
                            assert_eq!(v, theta[((bi + 1) * n + i, (bj + 1) * n + j)]);
                        }
                    }
                }
            }
        }
        // Lag blocks: round(0.2 * 25) = 5 non-zeros each.
        for lag in 1..3 {
            let nz = (0..n)
                .flat_map(|i| (0..n).map(move |j| (i, j)))
                .filter(|&(i, j)| theta[(i, lag * n + j)] != 0.0)
                .count();
            assert_eq!(nz, 5);
            if (0..n).any(|i| (0..n).any(|j| theta[(i, lag * n + j)] != theta[(j, lag * n + i)])) {
                some_lag_block_asymmetric = true;
            }
        }
        let min = eigenvalues(theta).into_iter().fold(f64::INFINITY, f64::min);
        assert!((min - 0.1).abs() < 1e-10, "{min}");
    }
    assert!(some_lag_block_asymmetric);
    assert_eq!(d.x.len(), d.n_steps() * n);
    assert!(d.x.iter().all(|v| v.is_finite()));
}

#[test]
fn same_seed_same_bytes_different_seed_differs() {
    for window in [1, 2] {
        let mut p = small(5, 0.3, 11);
        p.window = window;
        let a = generate(&p).unwrap();
        let b = generate(&p).unwrap();
        assert_eq!(a.data_csv(), b.data_csv());
        assert_eq!(a.truth_csv(), b.truth_csv());
        assert_eq!(a.segments, b.segments);
        p.seed = 12;
        let c = generate(&p).unwrap();
        assert_ne!(a.data_csv(), c.data_csv());
        assert_ne!(a.truth, c.truth);
    }
}

#[test]
fn states_do_not_depend_on_length_or_noise() {
    let a = generate(&small(3, 0.0, 4)).unwrap();
    let b = generate(&small(9, 0.5, 4)).unwrap();
    assert_eq!(a.precisions, b.precisions);
}

#[test]
fn truth_has_the_macro_segment_structure() {
    let p = small(40, 0.3, 2);
    let d = generate(&p).unwrap();
    assert_eq!(d.n_steps(), 40 * 10 * 15);
    assert_eq!(d.segments.len(), 400);
    for (s, seg) in d.segments.iter().enumerate() {
        assert_eq!((seg.start, seg.len), (s * 15, 15));
        let within = s % 10;
        assert_eq!(seg.in_motif, within >= 6);
        if within >= 6 {
            assert_eq!(seg.state, within);
        }
        assert!(seg.state < 10);
        for t in seg.start..seg.start + 15 {
            assert_eq!(d.truth[t], seg.state);
            assert_eq!(d.motif_mask[t], seg.in_motif);
        }
    }
    // Garbage states are uniform over all 10 states: each appears.
    for k in 0..10 {
        assert!(d.segments.iter().any(|s| !s.in_motif && s.state == k));
    }
    let motif_lines = d.motif_csv().lines().filter(|l| *l == "1").count();
    assert_eq!(motif_lines, 40 * 4 * 15);
    assert_eq!(d.truth_csv().lines().count(), d.n_steps());
    let csv = d.data_csv();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), d.n_steps());
    // Values round-trip exactly.
    let first: Vec<f64> = rows[0].split(',').map(|v| v.parse().unwrap()).collect();
    assert_eq!(first, d.x[..5].to_vec());
}

#[test]
fn noise_level_sets_the_perturbed_fraction() {
    let d = generate(&small(100, 0.0, 9)).unwrap();
    assert!(d.segments.iter().all(|s| s.mixed_with.is_none()));
    let d = generate(&small(100, 1.0, 9)).unwrap();
    assert!(
        d.segments
            .iter()
            .all(|s| s.mixed_with.is_some_and(|o| o < 5))
    );
    let d = generate(&small(1000, 0.3, 9)).unwrap();
    let frac = d.segments.iter().filter(|s| s.mixed_with.is_some()).count() as f64 / 10_000.0;
    assert!((frac - 0.3).abs() < 0.02, "{frac}");
}

/// Empirical covariance (mean known to be zero) of the given rows.
fn empirical_cov(rows: &[&[f64]], n: usize) -> Mat<f64> {
    let mut c = Mat::<f64>::zeros(n, n);
    for r in rows {
        for i in 0..n {
            for j in 0..n {
                c[(i, j)] += r[i] * r[j];
            }
        }
    }
    c / faer::Scale(rows.len() as f64)
}

fn max_abs(m: &Mat<f64>) -> f64 {
    (0..m.nrows())
        .flat_map(|i| (0..m.ncols()).map(move |j| (i, j)))
        .map(|(i, j)| m[(i, j)].abs())
        .fold(0.0, f64::max)
}

#[test]
fn samples_have_the_states_covariance() {
    let p = small(500, 0.0, 21);
    let d = generate(&p).unwrap();
    let n = 5;
    for state in [0, 7] {
        let rows: Vec<&[f64]> = (0..d.n_steps())
            .filter(|&t| d.truth[t] == state)
            .map(|t| &d.x[t * n..(t + 1) * n])
            .collect();
        assert!(rows.len() > 3000);
        let emp = empirical_cov(&rows, n);
        let truth = d.precisions[state].llt(Side::Lower).unwrap().inverse();
        let err = max_abs(&(&emp - &truth));
        assert!(
            err < 0.08 * max_abs(&truth),
            "state {state}: {err} vs {}",
            max_abs(&truth)
        );
    }
}

#[test]
fn perturbed_segments_mix_covariances() {
    // With noise 1 and delta 1 every segment samples another state's Gaussian
    // (one of 0..5): motif state 9 then has the average covariance of states 0..5.
    let mut p = small(300, 1.0, 21);
    p.delta = 1.0;
    let d = generate(&p).unwrap();
    let n = 5;
    let rows: Vec<&[f64]> = d
        .segments
        .iter()
        .filter(|s| s.state == 9 && s.mixed_with == Some(2))
        .flat_map(|s| (s.start..s.start + s.len).map(|t| &d.x[t * n..(t + 1) * n]))
        .collect();
    assert!(rows.len() > 500);
    let emp = empirical_cov(&rows, n);
    let truth = d.precisions[2].llt(Side::Lower).unwrap().inverse();
    let err = max_abs(&(&emp - &truth));
    assert!(err < 0.2 * max_abs(&truth), "{err} vs {}", max_abs(&truth));
}

#[test]
fn windowed_samples_follow_the_conditional_chain() {
    // One state, window 2: x_t = B x_{t-1} + e_t with B = C_10 C_00^{-1} and
    // Cov(e) = C_11 - B C_01. Check the empirical lag-1 regression recovers B.
    let mut p = small(400, 0.0, 8);
    p.n_states = 1;
    p.motif = vec![0];
    p.garbage_per_macro = 0;
    p.segment_len = 50;
    p.window = 2;
    let d = generate(&p).unwrap();
    let n = 5;
    let c = d.precisions[0].llt(Side::Lower).unwrap().inverse();
    let c00 = c.submatrix(0, 0, n, n).to_owned();
    let c10 = c.submatrix(n, 0, n, n).to_owned();
    let b = &c10 * c00.llt(Side::Lower).unwrap().inverse();
    // Empirical: B_hat = (sum x_t x_{t-1}^T) (sum x_{t-1} x_{t-1}^T)^{-1}.
    let t_total = d.n_steps();
    let mut sxy = Mat::<f64>::zeros(n, n);
    let mut syy = Mat::<f64>::zeros(n, n);
    for t in 1..t_total {
        let x = &d.x[t * n..(t + 1) * n];
        let y = &d.x[(t - 1) * n..t * n];
        for i in 0..n {
            for j in 0..n {
                sxy[(i, j)] += x[i] * y[j];
                syy[(i, j)] += y[i] * y[j];
            }
        }
    }
    let b_hat = &sxy * syy.llt(Side::Lower).unwrap().inverse();
    let err = max_abs(&(&b_hat - &b));
    assert!(err < 0.05 + 0.1 * max_abs(&b), "{err} vs {}", max_abs(&b));
    assert!(
        max_abs(&b) > 0.01,
        "the test needs a non-trivial regression"
    );
}

#[test]
fn write_dir_writes_three_files() {
    let d = generate(&small(2, 0.2, 1)).unwrap();
    let dir = std::env::temp_dir().join(format!("casc-eval-synth-{}", std::process::id()));
    d.write_dir(&dir).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("data.csv")).unwrap(),
        d.data_csv()
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("truth.csv")).unwrap(),
        d.truth_csv()
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("motif.csv")).unwrap(),
        d.motif_csv()
    );
    let truth = casc_eval::read_labels(&dir.join("truth.csv")).unwrap();
    let mask = casc_eval::read_mask(&dir.join("motif.csv")).unwrap();
    assert_eq!((truth, mask), (d.truth.clone(), d.motif_mask.clone()));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn without_the_motif_every_segment_is_random() {
    let with = small(300, 0.2, 5);
    let mut without = with.clone();
    without.plant_motif = false;
    // The default is not written, so existing params.json files keep their bytes.
    assert!(!with.to_json().contains("plant_motif"));
    assert!(without.to_json().contains("\"plant_motif\": false"));
    assert_eq!(SynthParams::from_json(&without.to_json()).unwrap(), without);
    let (a, b) = (generate(&with).unwrap(), generate(&without).unwrap());
    assert_eq!(a.precisions, b.precisions, "the states do not change");
    assert_eq!(
        (a.n_steps(), b.segments.len()),
        (b.n_steps(), a.segments.len())
    );
    assert!(b.motif_mask.iter().all(|&m| !m) && b.segments.iter().all(|s| !s.in_motif));
    // Every slot of the macro-segment, including the motif's, draws uniformly from all states.
    let per_macro = with.garbage_per_macro + with.motif.len();
    for slot in [0, per_macro - 1] {
        let mut counts = [0usize; 10];
        for s in b.segments.iter().skip(slot).step_by(per_macro) {
            counts[s.state] += 1;
        }
        assert!(
            counts.iter().all(|&c| (10..=55).contains(&c)),
            "slot {slot}: {counts:?}"
        );
    }
    // With the motif, the last slot is always the motif's last state.
    assert!(
        a.segments
            .iter()
            .skip(per_macro - 1)
            .step_by(per_macro)
            .all(|s| s.state == 9 && s.in_motif)
    );
}
