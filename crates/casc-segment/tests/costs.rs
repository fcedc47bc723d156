//! Cost-matrix tests: naive per-entry computation (full matrix and explicitly
//! inverted marginals), capping, thread-count independence.

mod common;

use casc_segment::{COST_CAP, CostMatrix, StateScorer, cost_matrix, cost_matrix_into};
use common::{Rng, inverse_logdet, leading, naive_cost, random_spd, to_faer};
use proptest::prelude::*;

struct State {
    mu: Vec<f64>,
    theta: Vec<f64>,
}

fn random_states(rng: &mut Rng, k: usize, p: usize) -> Vec<State> {
    (0..k)
        .map(|_| State {
            mu: (0..p).map(|_| rng.unif()).collect(),
            theta: random_spd(rng, p),
        })
        .collect()
}

/// A random positive definite block-Toeplitz precision (`n w x n w`, row-major): block
/// `(i, j)` is `A_{j-i}` above the diagonal and its transpose below, with `A_0` symmetric,
/// entries in `[-1, 1)` off the diagonal and diagonal entries above `p`, so that every row is
/// strictly diagonally dominant.
fn random_block_toeplitz(rng: &mut Rng, n: usize, w: usize) -> Vec<f64> {
    let p = n * w;
    let mut blocks: Vec<Vec<f64>> = (0..w)
        .map(|_| (0..n * n).map(|_| rng.unif()).collect())
        .collect();
    for a in 0..n {
        for b in 0..a {
            blocks[0][a * n + b] = blocks[0][b * n + a];
        }
        blocks[0][a * n + a] = p as f64 + 1.0 + rng.unif().abs();
    }
    let mut m = vec![0.0; p * p];
    for bi in 0..w {
        for bj in 0..w {
            for a in 0..n {
                for b in 0..n {
                    m[(bi * n + a) * p + bj * n + b] = if bj >= bi {
                        blocks[bj - bi][a * n + b]
                    } else {
                        blocks[bi - bj][b * n + a]
                    };
                }
            }
        }
    }
    m
}

/// States with block-Toeplitz precisions; the mean is stationary (one value per sensor
/// at every position of the window) or free.
fn toeplitz_states(rng: &mut Rng, k: usize, n: usize, w: usize, stationary: bool) -> Vec<State> {
    (0..k)
        .map(|_| {
            let mu = if stationary {
                let m: Vec<f64> = (0..n).map(|_| rng.unif()).collect();
                (0..n * w).map(|j| m[j % n]).collect()
            } else {
                (0..n * w).map(|_| rng.unif()).collect()
            };
            State {
                mu,
                theta: random_block_toeplitz(rng, n, w),
            }
        })
        .collect()
}

fn scorers(states: &[State], n: usize, w: usize) -> Vec<StateScorer> {
    states
        .iter()
        .map(|s| StateScorer::new(&s.mu, to_faer(&s.theta, n * w).as_ref(), n, w).unwrap())
        .collect()
}

/// The cost of timestep `t` computed naively: full window with the full matrix,
/// or, for the last w - 1 timesteps, the marginal obtained by inverting the
/// precision, taking the leading block and inverting it again.
fn naive_entry(x: &[f64], n: usize, w: usize, t: usize, s: &State) -> f64 {
    let t_len = x.len() / n;
    let k = (t_len - t).min(w);
    let z = &x[t * n..(t + k) * n];
    let c = if k == w {
        naive_cost(&s.theta, &s.mu, z)
    } else {
        let p = n * w;
        let (sigma, _) = inverse_logdet(&s.theta, p);
        let block = leading(&sigma, p, k * n);
        let (marg, _) = inverse_logdet(&block, k * n);
        naive_cost(&marg, &s.mu[..k * n], z)
    };
    c.min(COST_CAP)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn matches_naive(seed in any::<u64>(), n in 1usize..=3, w in 1usize..=4, k in 1usize..=3, t_len in 0usize..=14) {
        let mut rng = Rng(seed);
        let states = random_states(&mut rng, k, n * w);
        let x: Vec<f64> = (0..t_len * n).map(|_| 2.0 * rng.unif()).collect();
        let sc = scorers(&states, n, w);
        let c = cost_matrix(&x, n, &sc);
        prop_assert_eq!(c.n_steps(), t_len);
        prop_assert_eq!(c.n_states(), k);
        for t in 0..t_len {
            for (j, s) in states.iter().enumerate() {
                let want = naive_entry(&x, n, w, t, s);
                let got = c.get(t, j);
                prop_assert!((got - want).abs() <= 1e-9 * (1.0 + want.abs()),
                    "t = {}, k = {}: {} vs naive {}", t, j, got, want);
            }
        }
        // log_det agrees with the naive determinant.
        for (s, st) in sc.iter().zip(&states) {
            let (_, ld) = inverse_logdet(&st.theta, n * w);
            prop_assert!((s.log_det() - ld).abs() <= 1e-10 * (1.0 + ld.abs()));
        }
    }
}

/// Every entry of `c` equals `StateScorer::cost` of its window (or prefix) bit for bit.
fn assert_equals_scalar_cost(c: &CostMatrix, x: &[f64], n: usize, w: usize, sc: &[StateScorer]) {
    let t_len = x.len() / n;
    for t in 0..t_len {
        let kk = (t_len - t).min(w);
        for (j, s) in sc.iter().enumerate() {
            assert_eq!(
                c.get(t, j),
                s.cost(&x[t * n..(t + kk) * n]),
                "n={n} w={w} t={t} k={j}"
            );
        }
    }
}

/// The cost matrix computed on a pool of `threads` threads.
fn cost_matrix_with_threads(x: &[f64], n: usize, sc: &[StateScorer], threads: usize) -> CostMatrix {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| cost_matrix(x, n, sc))
}

/// Many blocks (several thousand timesteps, partial last block): the blocked
/// kernel equals `StateScorer::cost` bit for bit, for w = 1..=4.
#[test]
fn blocked_kernel_equals_scalar_cost() {
    for (n, w, t_len) in [(5, 1, 9_001), (2, 3, 5_003), (3, 4, 2_500), (1, 2, 17)] {
        let mut rng = Rng(7 + w as u64);
        let states = random_states(&mut rng, 4, n * w);
        let sc = scorers(&states, n, w);
        let x: Vec<f64> = (0..t_len * n).map(|_| 1.5 * rng.unif()).collect();
        let c = cost_matrix(&x, n, &sc);
        assert_equals_scalar_cost(&c, &x, n, w, &sc);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Block-Toeplitz precisions (scored from their first block row): the same costs as
    /// the naive computation, with a stationary or a free mean.
    #[test]
    fn block_toeplitz_matches_naive(seed in any::<u64>(), n in 1usize..=3, w in 1usize..=6, k in 1usize..=3, t_len in 0usize..=20, stationary in any::<bool>()) {
        let mut rng = Rng(seed);
        let states = toeplitz_states(&mut rng, k, n, w, stationary);
        let x: Vec<f64> = (0..t_len * n).map(|_| 2.0 * rng.unif()).collect();
        let sc = scorers(&states, n, w);
        for s in &sc {
            // A free mean, and windows under 3 observations, go through the factor.
            prop_assert_eq!(s.is_block_toeplitz(), w >= 3 && stationary);
        }
        let c = cost_matrix(&x, n, &sc);
        for t in 0..t_len {
            for (j, s) in states.iter().enumerate() {
                let want = naive_entry(&x, n, w, t, s);
                let got = c.get(t, j);
                prop_assert!((got - want).abs() <= 1e-9 * (1.0 + want.abs()),
                    "t = {}, k = {}: {} vs naive {}", t, j, got, want);
            }
        }
    }
}

/// The block-Toeplitz kernel equals `StateScorer::cost` bit for bit over many blocks,
/// beside a state scored through its factor (a precision that is not Toeplitz), whatever
/// the thread count; with free means every state goes through the factor.
#[test]
fn block_toeplitz_kernel_equals_scalar_cost() {
    for (n, w, t_len, stationary) in [
        (1, 40, 3_001, true),
        (3, 5, 4_099, false),
        (2, 3, 2_500, true),
        (4, 7, 30, false),
    ] {
        let mut rng = Rng(11 + w as u64);
        let mut states = toeplitz_states(&mut rng, 3, n, w, stationary);
        states.extend(random_states(&mut rng, 1, n * w));
        let sc = scorers(&states, n, w);
        // The fourth state's precision is not Toeplitz; a free mean goes through the factor.
        assert_eq!(
            sc.iter()
                .map(StateScorer::is_block_toeplitz)
                .collect::<Vec<_>>(),
            [stationary, stationary, stationary, false]
        );
        let x: Vec<f64> = (0..t_len * n).map(|_| 1.5 * rng.unif() - 0.5).collect();
        let c = cost_matrix_with_threads(&x, n, &sc, 2);
        assert_eq!(c, cost_matrix_with_threads(&x, n, &sc, 1), "n={n} w={w}");
        assert_equals_scalar_cost(&c, &x, n, w, &sc);
    }
}

/// A precision one rounding away from block Toeplitz is scored through its factor.
#[test]
fn nearly_toeplitz_is_not_toeplitz() {
    let (n, w) = (2, 4);
    let mut rng = Rng(5);
    let m = random_block_toeplitz(&mut rng, n, w);
    let p = n * w;
    assert!(
        StateScorer::new(&[0.0; 8], to_faer(&m, p).as_ref(), n, w)
            .unwrap()
            .is_block_toeplitz()
    );
    let toeplitz = |m: &[f64]| {
        StateScorer::new(&[0.0; 8], to_faer(m, p).as_ref(), n, w)
            .unwrap()
            .is_block_toeplitz()
    };
    // Block (1, 2) differs from block (0, 1) in its last bit, symmetrically.
    let (r, c) = (n + 1, 2 * n);
    let mut other = m.clone();
    other[r * p + c] = f64::from_bits(m[r * p + c].to_bits() + 1);
    other[c * p + r] = other[r * p + c];
    assert!(!toeplitz(&other));
    // The diagonal blocks are A_0 everywhere but A_0 itself is asymmetric in its last bit.
    let mut asym = m.clone();
    for i in 0..w {
        let k = (i * n + 1) * p + i * n;
        asym[k] = f64::from_bits(m[k].to_bits() + 1);
    }
    assert!(!toeplitz(&asym));
    // A mean that is not the same at every position of the window.
    let mean = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1e-300];
    let s = StateScorer::new(&mean, to_faer(&m, p).as_ref(), n, w).unwrap();
    assert!(!s.is_block_toeplitz());
}

#[test]
fn costs_are_capped() {
    let n = 2;
    let theta = to_faer(&[1e6, 0.0, 0.0, 1e6], 2);
    let s = StateScorer::new(&[0.0, 0.0], theta.as_ref(), n, 1).unwrap();
    let x = [0.0, 0.0, 1.0, 1.0, 100.0, -100.0, 0.001, 0.0];
    let c = cost_matrix(&x, n, std::slice::from_ref(&s));
    assert_eq!(c.get(1, 0), COST_CAP);
    assert_eq!(c.get(2, 0), COST_CAP);
    assert!(c.get(0, 0) < COST_CAP);
    // 1e6 * 1e-6 - ln(1e12)
    assert!((c.get(3, 0) - (1.0 - 1e12f64.ln())).abs() < 1e-9);
    assert!(c.as_slice().iter().all(|&v| v <= COST_CAP));
}

#[test]
fn same_result_with_one_and_two_threads() {
    let (n, w, t_len) = (3, 2, 20_011);
    let mut rng = Rng(42);
    let states = random_states(&mut rng, 5, n * w);
    let sc = scorers(&states, n, w);
    let x: Vec<f64> = (0..t_len * n).map(|_| rng.unif()).collect();
    let one = cost_matrix_with_threads(&x, n, &sc, 1);
    let two = cost_matrix_with_threads(&x, n, &sc, 2);
    assert_eq!(one, two);
    let mut buf = vec![f64::NAN; t_len * sc.len()];
    cost_matrix_into(&x, n, &sc, &mut buf);
    assert_eq!(buf, one.into_vec());
}

#[test]
fn cost_matrix_accessors() {
    let c = CostMatrix::from_vec(2, 3, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!(c.n_steps(), 2);
    assert_eq!(c.n_states(), 3);
    assert_eq!(c.get(1, 2), 5.0);
    assert_eq!(c.row(1), &[3.0, 4.0, 5.0]);
    assert_eq!(c.as_slice().len(), 6);
}

#[test]
#[should_panic(expected = "expected T * K")]
fn from_vec_checks_size() {
    let _ = CostMatrix::from_vec(2, 3, vec![0.0; 5]);
}

#[test]
fn no_states_or_no_steps() {
    let eye = faer::Mat::<f64>::identity(2, 2);
    let s = StateScorer::new(&[0.0, 0.0], eye.as_ref(), 1, 2).unwrap();
    assert_eq!(cost_matrix(&[], 1, std::slice::from_ref(&s)).n_steps(), 0);
    assert_eq!(cost_matrix(&[1.0, 2.0], 1, &[]).as_slice().len(), 0);
    // T = 1 < w = 2: the only timestep is scored with the marginal.
    let c = cost_matrix(&[1.0], 1, std::slice::from_ref(&s));
    assert_eq!(c.get(0, 0), 1.0);
}

#[test]
fn non_pd_precision_is_an_error() {
    let mut rng = Rng(3);
    let mut m = random_spd(&mut rng, 6);
    m[0] = -1.0;
    let r = StateScorer::new(&[0.0; 6], to_faer(&m, 6).as_ref(), 2, 3);
    assert!(matches!(
        r,
        Err(casc_segment::SegmentError::NotPositiveDefinite { .. })
    ));
    // Indefinite but with a positive diagonal.
    let m = [1.0, 2.0, 2.0, 1.0];
    let r = StateScorer::new(&[0.0; 2], to_faer(&m, 2).as_ref(), 1, 2);
    assert!(r.is_err());
}

/// The conditional cost of the last observation is the window's cost minus its prefix's, and
/// the conditional costs of a series sum to the chain rule's log-likelihood: the cost of the
/// marginal of the first `w` observations plus one conditional per later step.
#[test]
fn conditional_costs_are_differences_of_window_costs() {
    for (n, w) in [(1, 1), (1, 4), (2, 3), (3, 2)] {
        let d = n * w;
        // A diagonally dominant symmetric block-Toeplitz precision.
        let mut blocks = vec![0.0; w * n * n];
        for lag in 0..w {
            for r in 0..n {
                for c in 0..n {
                    let v = if lag == 0 && r == c {
                        3.0 + r as f64
                    } else {
                        0.3 / (1 + lag + r + c) as f64
                    };
                    blocks[lag * n * n + r * n + c] = v;
                }
            }
        }
        let theta = faer::Mat::from_fn(d, d, |i, j| {
            let (bi, r, bj, c) = (i / n, i % n, j / n, j % n);
            if bi >= bj {
                blocks
                    [(bi - bj) * n * n + r * n + c.min(r).max(if bi == bj { c.min(r) } else { c })]
            } else {
                blocks[(bj - bi) * n * n + c * n + r]
            }
        });
        let theta = faer::Mat::from_fn(d, d, |i, j| 0.5 * (theta[(i, j)] + theta[(j, i)]));
        let mean: Vec<f64> = (0..d).map(|i| 0.1 * i as f64).collect();
        let s = casc_segment::StateScorer::new(&mean, theta.as_ref(), n, w).unwrap();
        let t = 9;
        let x: Vec<f64> = (0..t * n)
            .map(|i| ((i * 37) % 11) as f64 / 5.0 - 1.0)
            .collect();
        for k in 1..=w {
            let z = &x[..k * n];
            let expected = s.cost(z)
                - if k > 1 {
                    s.cost(&z[..(k - 1) * n])
                } else {
                    0.0
                };
            let got = s.conditional_cost(z);
            assert!(
                (got - expected).abs() < 1e-10,
                "n {n} w {w} k {k}: {got} vs {expected}"
            );
        }
        let mut out = vec![0.0; t];
        casc_segment::conditional_cost_matrix_into(&x, n, std::slice::from_ref(&s), &mut out);
        for tau in 0..t {
            let start = (tau + 1).saturating_sub(w);
            let z = &x[start * n..(tau + 1) * n];
            assert_eq!(out[tau], s.conditional_cost(z));
        }
        // Chain rule for the first w observations.
        let sum: f64 = out[..w.min(t)].iter().sum();
        assert!((sum - s.cost(&x[..w * n])).abs() < 1e-9, "n {n} w {w}");
    }
}
