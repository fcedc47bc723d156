//! Property tests: structure of the ADMM output on random covariances, monotone sparsity
//! in lambda, and the streaming covariance against a naive two-pass computation.

mod common;

use casc_glasso::{
    BlockShape, GlassoParams, Par, is_block_toeplitz, log_det_spd, mean_and_covariance, solve,
};
use common::*;
use proptest::prelude::*;

fn params(lambda: f64) -> casc_glasso::ValidGlassoParams {
    GlassoParams::new(lambda).max_iters(5000).check().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn output_is_symmetric_block_toeplitz_positive_definite(
        seed in any::<u64>(),
        n in 1usize..4,
        w in 1usize..=3,
        t_extra in 0usize..60,
        lambda in prop_oneof![Just(0.0), 0.001f64..0.5],
    ) {
        let shape = BlockShape::new(n, w);
        // From fewer windows than dimensions (singular S) to plenty.
        let windows = 2 + t_extra;
        let s = random_covariance(seed, w - 1 + windows, shape);
        let sol = solve(s.as_ref(), shape, &params(lambda), None, Par::Seq).unwrap();
        // Nearly singular S with a tiny lambda is too ill-conditioned for ADMM to meet the
        // tolerance quickly; the structure must hold regardless.
        if windows >= 2 * shape.dim() && lambda > 0.0 {
            prop_assert!(sol.diagnostics.converged, "{:?}", sol.diagnostics);
        }
        let p = &sol.precision;
        for i in 0..shape.dim() {
            for j in 0..shape.dim() {
                prop_assert_eq!(p[(i, j)], p[(j, i)]);
            }
        }
        if sol.diagnostics.used_theta_fallback {
            prop_assert!(!sol.diagnostics.converged);
            prop_assert!(is_block_toeplitz(p.as_ref(), shape, 1e-2 * max_abs(p)));
        } else {
            prop_assert!(is_block_toeplitz(p.as_ref(), shape, 0.0));
        }
        prop_assert!(log_det_spd(p.as_ref(), Par::Seq).is_ok());
    }

    /// The solution is diagonal exactly when lambda is at least the largest off-diagonal
    /// group mean `|mean_group S|` (then `diag(1 / (s_rr + lambda))` meets the optimality
    /// conditions; below it the zero gradient cannot hold). Sparsity is not monotone in
    /// lambda in general (see `sparsity_is_not_monotone_in_lambda`), but this end of the
    /// path is sharp.
    #[test]
    fn diagonal_exactly_above_the_largest_group_mean(
        seed in any::<u64>(),
        n in 1usize..4,
        w in 1usize..=3,
        factor in prop_oneof![0.5f64..0.95, 1.05f64..2.0],
    ) {
        let shape = BlockShape::new(n, w);
        let s = random_covariance(seed, 60, shape);
        let dim = shape.dim();
        let mut sums = std::collections::BTreeMap::<(usize, usize, usize), (f64, f64)>::new();
        for b in 0..dim {
            for a in 0..dim {
                let (bi, r, bj, c) = (a / n, a % n, b / n, b % n);
                let key = if bi > bj { (bi - bj, r, c) } else if bi < bj { (bj - bi, c, r) } else { (0, r.max(c), r.min(c)) };
                let e = sums.entry(key).or_insert((0.0, 0.0));
                e.0 += s[(a, b)];
                e.1 += 1.0;
            }
        }
        let threshold = sums
            .iter()
            .filter(|((d, r, c), _)| !(*d == 0 && r == c))
            .map(|(_, (sum, count))| (sum / count).abs())
            .fold(0.0f64, f64::max);
        prop_assume!(threshold > 1e-3);
        let lambda = threshold * factor;
        let sol = solve(s.as_ref(), shape, &params(lambda), None, Par::Seq).unwrap();
        prop_assert!(sol.diagnostics.converged);
        let off_diagonal_nonzero = (0..dim)
            .flat_map(|i| (0..dim).map(move |j| (i, j)))
            .any(|(i, j)| i != j && sol.precision[(i, j)] != 0.0);
        prop_assert_eq!(off_diagonal_nonzero, factor < 1.0, "lambda/threshold = {}", factor);
    }

    #[test]
    fn covariance_matches_naive_two_pass(
        seed in any::<u64>(),
        dim in 1usize..6,
        rows in 1usize..200,
        offset in -1e3f64..1e3,
    ) {
        let mut rng = common::Rng::new(seed);
        let data: Vec<f64> = (0..rows * dim).map(|_| offset + rng.uniform()).collect();
        let (mu, cov) = mean_and_covariance(data.chunks(dim), dim).unwrap();
        let m = rows as f64;
        for a in 0..dim {
            let naive_mu = (0..rows).map(|r| data[r * dim + a]).sum::<f64>() / m;
            prop_assert!((mu[a] - naive_mu).abs() <= 1e-12 * (1.0 + offset.abs()));
            for b in 0..dim {
                let naive_mu_b = (0..rows).map(|r| data[r * dim + b]).sum::<f64>() / m;
                let c = (0..rows)
                    .map(|r| (data[r * dim + a] - naive_mu) * (data[r * dim + b] - naive_mu_b))
                    .sum::<f64>() / m;
                prop_assert!((cov[(a, b)] - c).abs() <= 1e-9, "({a},{b}): {} vs {c}", cov[(a, b)]);
                prop_assert_eq!(cov[(a, b)], cov[(b, a)]);
            }
        }
    }
}
