//! Behaviour of the block-Toeplitz graphical lasso solver: exact cases, optimality
//! (KKT), degenerate inputs, errors and warm starts.

mod common;

use casc_glasso::{
    BlockShape, GlassoError, GlassoParams, Par, is_block_toeplitz, log_det_spd,
    mean_and_covariance, solve,
};
use common::check_kkt;
use common::*;
use faer::Mat;

fn tight(lambda: f64) -> casc_glasso::ValidGlassoParams {
    GlassoParams::new(lambda)
        .eps_abs(1e-10)
        .eps_rel(1e-10)
        .max_iters(20_000)
        .check()
        .unwrap()
}

#[test]
fn lambda_zero_window_one_is_the_inverse() {
    for seed in 0..5 {
        let shape = BlockShape::new(4, 1);
        let s = random_covariance(seed, 60, shape);
        let sol = solve(s.as_ref(), shape, &tight(0.0), None, Par::Seq).unwrap();
        assert!(sol.diagnostics.converged);
        let inv = spd_inverse(&s);
        let rel = max_abs_diff(&sol.precision, &inv) / max_abs(&inv);
        assert!(rel < 1e-6, "seed {seed}: relative error {rel:e}");
    }
}

#[test]
fn lambda_zero_toeplitz_s_is_the_inverse_when_the_inverse_is_toeplitz() {
    // w = 2, n = 1: the inverse of a 2x2 symmetric matrix with equal diagonal is Toeplitz,
    // so the constrained optimum is the plain inverse.
    let shape = BlockShape::new(1, 2);
    let s = Mat::from_fn(2, 2, |i, j| if i == j { 2.0 } else { 0.5 });
    let sol = solve(s.as_ref(), shape, &tight(0.0), None, Par::Seq).unwrap();
    let inv = spd_inverse(&s);
    assert!(max_abs_diff(&sol.precision, &inv) < 1e-8);
}

#[test]
fn diagonal_covariance_by_hand() {
    // S diagonal, w = 1: Theta is diagonal with S_ii - 1/Theta_ii + lambda = 0, so
    // Theta_ii = 1 / (S_ii + lambda).
    let shape = BlockShape::new(3, 1);
    let diag = [1.0, 2.0, 0.5];
    let s = Mat::from_fn(3, 3, |i, j| if i == j { diag[i] } else { 0.0 });
    let lambda = 0.1;
    let sol = solve(s.as_ref(), shape, &tight(lambda), None, Par::Seq).unwrap();
    for (i, d) in diag.iter().enumerate() {
        for j in 0..3 {
            let expected = if i == j { 1.0 / (d + lambda) } else { 0.0 };
            assert!((sol.precision[(i, j)] - expected).abs() < 1e-8);
        }
    }
}

#[test]
fn kkt_conditions_hold_on_small_cases() {
    for (seed, n, w, lambda) in [
        (1, 2, 2, 0.05),
        (2, 3, 2, 0.1),
        (3, 2, 3, 0.02),
        (4, 3, 1, 0.2),
    ] {
        let shape = BlockShape::new(n, w);
        let s = random_covariance(seed, 80, shape);
        let sol = solve(s.as_ref(), shape, &tight(lambda), None, Par::Seq).unwrap();
        assert!(sol.diagnostics.converged);
        assert!(
            count_zeros(&sol.precision) > 0 || lambda < 0.1,
            "expected some sparsity"
        );
        check_kkt(&s, &sol.precision, shape, lambda, 1e-6);
    }
}

#[test]
fn sparsity_is_not_monotone_in_lambda() {
    // A counterexample found by proptest to "a larger lambda never gives fewer zeros": the
    // graphical lasso path is not monotone in general (an entry can leave zero as lambda
    // grows because its neighbours shrink). Both solutions satisfy the optimality
    // conditions, so this is the problem, not the solver.
    let shape = BlockShape::new(3, 2);
    let s = random_covariance(5352081557162041094, 40, shape);
    let lo = 0.01712043744989449;
    let hi = 2.1155758751136817 * lo;
    let a = solve(s.as_ref(), shape, &tight(lo), None, Par::Seq).unwrap();
    let b = solve(s.as_ref(), shape, &tight(hi), None, Par::Seq).unwrap();
    check_kkt(&s, &a.precision, shape, lo, 1e-6);
    check_kkt(&s, &b.precision, shape, hi, 1e-6);
    assert_eq!(count_zeros(&a.precision), 6);
    assert_eq!(count_zeros(&b.precision), 4);
    assert_eq!(a.precision[(5, 0)], 0.0);
    assert_ne!(b.precision[(5, 0)], 0.0);
}

#[test]
fn kkt_check_rejects_a_wrong_answer() {
    // The KKT check itself must be able to fail: perturb the optimum.
    let shape = BlockShape::new(2, 2);
    let s = random_covariance(1, 80, shape);
    let sol = solve(s.as_ref(), shape, &tight(0.05), None, Par::Seq).unwrap();
    let mut wrong = sol.precision.clone();
    for i in 0..4 {
        wrong[(i, i)] *= 1.01;
    }
    let r = std::panic::catch_unwind(|| check_kkt(&s, &wrong, shape, 0.05, 1e-6));
    assert!(r.is_err());
}

#[test]
fn singular_covariances_give_finite_positive_definite_results() {
    let shape = BlockShape::new(3, 2);
    let mut rng = Rng::new(7);
    let base = series(&mut rng, 50, 3);
    // Sensor 2 duplicates sensor 0.
    let mut dup = base.clone();
    // Sensor 1 is constant.
    let mut constant = base.clone();
    for t in 0..50 {
        dup[t * 3 + 2] = dup[t * 3];
        constant[t * 3 + 1] = 4.0;
    }
    // Fewer windows than dimensions.
    let few = base[..3 * 4].to_vec();
    for x in [dup, constant, few] {
        let (_, s) = mean_and_covariance(windows(&x, shape), shape.dim()).unwrap();
        let ev = s.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
        assert!(
            ev[0] <= 1e-12 * ev[ev.len() - 1],
            "S should be singular: {ev:?}"
        );
        let params = GlassoParams::new(0.05).check().unwrap();
        let sol = solve(s.as_ref(), shape, &params, None, Par::Seq).unwrap();
        assert!(sol.diagnostics.converged, "{:?}", sol.diagnostics);
        assert!(
            sol.precision
                .col_iter()
                .all(|c| c.iter().all(|x| x.is_finite()))
        );
        assert!(
            log_det_spd(sol.precision.as_ref(), Par::Seq)
                .unwrap()
                .is_finite()
        );
        assert!(is_block_toeplitz(sol.precision.as_ref(), shape, 0.0));
    }
}

#[test]
fn non_finite_covariance_is_an_error() {
    let shape = BlockShape::new(2, 1);
    for bad in [f64::NAN, f64::INFINITY] {
        let mut s = Mat::<f64>::identity(2, 2);
        s[(1, 0)] = bad;
        let params = GlassoParams::new(0.1).check().unwrap();
        let r = solve(s.as_ref(), shape, &params, None, Par::Seq);
        assert!(
            matches!(r, Err(GlassoError::NonFinite { row: 1, col: 0, .. })),
            "{r:?}"
        );
    }
}

#[test]
fn wrong_sizes_are_errors() {
    let params = GlassoParams::new(0.1).check().unwrap();
    let s = Mat::<f64>::identity(4, 4);
    let r = solve(s.as_ref(), BlockShape::new(3, 1), &params, None, Par::Seq);
    assert!(matches!(
        r,
        Err(GlassoError::ShapeMismatch { expected: 3, .. })
    ));
    let sol = solve(s.as_ref(), BlockShape::new(2, 2), &params, None, Par::Seq).unwrap();
    let r = solve(
        s.as_ref(),
        BlockShape::new(4, 1),
        &params,
        Some(&sol.warm),
        Par::Seq,
    );
    assert!(matches!(
        r,
        Err(GlassoError::ShapeMismatch {
            what: "warm start",
            ..
        })
    ));
}

#[test]
fn empty_shape_is_trivial() {
    let params = GlassoParams::new(0.1).check().unwrap();
    let s = Mat::<f64>::zeros(0, 0);
    let sol = solve(s.as_ref(), BlockShape::new(0, 3), &params, None, Par::Seq).unwrap();
    assert_eq!(sol.precision.nrows(), 0);
    assert!(sol.diagnostics.converged);
}

#[test]
fn warm_start_reaches_the_cold_answer() {
    let shape = BlockShape::new(3, 3);
    let mut rng = Rng::new(11);
    let x = series(&mut rng, 300, 3);
    let all: Vec<&[f64]> = windows(&x, shape).collect();
    let (_, s1) = mean_and_covariance(all.iter().copied(), shape.dim()).unwrap();
    // A slightly different set of windows, as after one EM reassignment.
    let (_, s2) = mean_and_covariance(all.iter().copied().skip(15), shape.dim()).unwrap();
    for adaptive in [true, false] {
        let params = GlassoParams::new(0.05)
            .eps_abs(1e-10)
            .eps_rel(1e-10)
            .max_iters(50_000)
            .adaptive_rho(adaptive)
            .check()
            .unwrap();
        let first = solve(s1.as_ref(), shape, &params, None, Par::Seq).unwrap();
        let cold = solve(s2.as_ref(), shape, &params, None, Par::Seq).unwrap();
        let warm = solve(s2.as_ref(), shape, &params, Some(&first.warm), Par::Seq).unwrap();
        assert!(cold.diagnostics.converged && warm.diagnostics.converged);
        let diff = max_abs_diff(&cold.precision, &warm.precision) / max_abs(&cold.precision);
        assert!(diff < 1e-6, "adaptive {adaptive}: {diff:e}");
        assert_eq!(count_zeros(&cold.precision), count_zeros(&warm.precision));
        assert!(
            warm.diagnostics.iterations <= cold.diagnostics.iterations,
            "warm {} vs cold {}",
            warm.diagnostics.iterations,
            cold.diagnostics.iterations
        );
        // Re-solving the same problem from its own end state stops almost at once.
        let again = solve(s2.as_ref(), shape, &params, Some(&cold.warm), Par::Seq).unwrap();
        assert!(again.diagnostics.iterations <= 3, "{:?}", again.diagnostics);
    }
}

#[test]
fn warm_start_from_a_covariance_at_another_scale_converges_like_a_cold_start() {
    // A state's covariance can change scale between two solves (a re-seeded state, a state
    // that takes over another's windows). Started from Z and U as they were, the first Z
    // step landed about 80 times too far and ADMM ran into its cap; carried over to the new
    // channel scales, the warm start is as good as a cold one.
    let shape = BlockShape::new(3, 2);
    let s1 = random_covariance(21, 200, shape);
    let other = random_covariance(22, 200, shape);
    let d = [10.0, 0.1, 1.0];
    let n = shape.n;
    for (label, factor) in [("100 times larger", 100.0), ("100 times smaller", 0.01)] {
        let s2 = Mat::from_fn(shape.dim(), shape.dim(), |i, j| {
            factor * d[i % n] * d[j % n] * other[(i, j)]
        });
        let params = GlassoParams::new(0.05)
            .eps_abs(1e-6)
            .eps_rel(1e-6)
            .check()
            .unwrap();
        let first = solve(s1.as_ref(), shape, &params, None, Par::Seq).unwrap();
        let cold = solve(s2.as_ref(), shape, &params, None, Par::Seq).unwrap();
        let warm = solve(s2.as_ref(), shape, &params, Some(&first.warm), Par::Seq).unwrap();
        assert!(
            cold.diagnostics.converged,
            "{label}: {:?}",
            cold.diagnostics
        );
        assert!(
            warm.diagnostics.converged,
            "{label}: {:?}",
            warm.diagnostics
        );
        assert!(
            warm.diagnostics.iterations as f64 <= 1.1 * cold.diagnostics.iterations as f64 + 10.0,
            "{label}: warm {} vs cold {}",
            warm.diagnostics.iterations,
            cold.diagnostics.iterations
        );
        let diff = max_abs_diff(&warm.precision, &cold.precision) / max_abs(&cold.precision);
        assert!(diff < 1e-3, "{label}: {diff:e}");
    }
}

#[test]
fn fixed_rho_warm_start_from_an_adaptive_solve_rescales_u() {
    let shape = BlockShape::new(2, 2);
    let s = random_covariance(5, 100, shape);
    let adaptive = tight(0.05);
    let fixed = GlassoParams::new(0.05)
        .eps_abs(1e-10)
        .eps_rel(1e-10)
        .max_iters(50_000)
        .adaptive_rho(false)
        .spectral_rho(false)
        .rho(3.0)
        .check()
        .unwrap();
    let a = solve(s.as_ref(), shape, &adaptive, None, Par::Seq).unwrap();
    let b = solve(s.as_ref(), shape, &fixed, Some(&a.warm), Par::Seq).unwrap();
    assert!(b.diagnostics.converged);
    assert!(max_abs_diff(&a.precision, &b.precision) < 1e-7);
    assert!(b.diagnostics.iterations <= 3, "{:?}", b.diagnostics);
}

#[test]
fn acceleration_keeps_the_fixed_point() {
    // Over-relaxation, Anderson acceleration, residual balancing and the spectral rho change
    // the path only: all variants reach the plain reference iteration's answer.
    let shape = BlockShape::new(3, 2);
    let s = random_covariance(9, 100, shape);
    let base = || {
        GlassoParams::new(0.05)
            .eps_abs(1e-11)
            .eps_rel(1e-11)
            .max_iters(50_000)
    };
    let reference = base()
        .adaptive_rho(false)
        .spectral_rho(false)
        .over_relaxation(1.0)
        .anderson_memory(0);
    let plain = solve(
        s.as_ref(),
        shape,
        &reference.check().unwrap(),
        None,
        Par::Seq,
    )
    .unwrap();
    assert!(plain.diagnostics.converged);
    for variant in [
        base(),
        base().anderson_memory(0),
        base().over_relaxation(1.0),
        base().adaptive_rho(false),
        base().spectral_rho(false),
        base().anderson_memory(12),
    ] {
        let sol = solve(s.as_ref(), shape, &variant.check().unwrap(), None, Par::Seq).unwrap();
        assert!(sol.diagnostics.converged);
        assert!(sol.diagnostics.iterations < plain.diagnostics.iterations);
        let diff = max_abs_diff(&plain.precision, &sol.precision);
        assert!(diff < 1e-8, "{variant:?}: {diff:e}");
        assert_eq!(count_zeros(&plain.precision), count_zeros(&sol.precision));
    }
}

#[test]
fn non_convergence_is_reported_not_an_error() {
    let shape = BlockShape::new(3, 2);
    let s = random_covariance(9, 100, shape);
    let params = GlassoParams::new(0.05).max_iters(2).check().unwrap();
    let sol = solve(s.as_ref(), shape, &params, None, Par::Seq).unwrap();
    assert!(!sol.diagnostics.converged);
    assert_eq!(sol.diagnostics.iterations, 2);
}
