//! The one-channel solver (a proximal Newton method on the `w` free numbers, chosen by
//! `Solver::Auto` when `n = 1`) against ADMM on the same problems, the optimality conditions,
//! the stopping rule at the tolerances the fit uses, warm starts and rank-deficient
//! covariances.

mod common;

use casc_glasso::{
    BlockShape, GlassoParams, Par, Solution, Solver, is_block_toeplitz, log_det_spd, solve,
};
use common::*;
use faer::Mat;
use proptest::prelude::*;

fn tight(lambda: f64, solver: Solver) -> casc_glasso::ValidGlassoParams {
    GlassoParams::new(lambda)
        .eps_abs(1e-10)
        .eps_rel(1e-10)
        .max_iters(50_000)
        .solver(solver)
        .check()
        .unwrap()
}

/// A cold solve of `s` at the tight tolerance by `solver`.
fn cold(s: &Mat<f64>, shape: BlockShape, lambda: f64, solver: Solver) -> Solution {
    solve(s.as_ref(), shape, &tight(lambda, solver), None, Par::Seq).unwrap()
}

/// The objectives of Newton's and ADMM's answers, evaluated independently of either.
fn objectives(s: &Mat<f64>, newton: &Solution, admm: &Solution, lambda: f64) -> (f64, f64) {
    (
        objective(s, &newton.precision, lambda),
        objective(s, &admm.precision, lambda),
    )
}

/// The objective both solvers minimise, evaluated independently of either.
fn objective(s: &Mat<f64>, theta: &Mat<f64>, lambda: f64) -> f64 {
    let dim = s.nrows();
    let mut f = -log_det_spd(theta.as_ref(), Par::Seq).unwrap();
    for j in 0..dim {
        for i in 0..dim {
            f += s[(i, j)] * theta[(i, j)] + lambda * theta[(i, j)].abs();
        }
    }
    f
}

#[test]
fn newton_and_admm_reach_the_same_optimum() {
    for (seed, w, t, lambda) in [
        (1, 1, 50, 0.1),
        (2, 2, 40, 0.05),
        (3, 5, 80, 0.02),
        (4, 10, 200, 0.1),
        (5, 10, 200, 0.005),
        (6, 24, 300, 0.05),
        (7, 40, 600, 0.01),
    ] {
        let shape = BlockShape::new(1, w);
        let s = random_covariance(seed, t, shape);
        let newton = cold(&s, shape, lambda, Solver::Auto);
        let admm = cold(&s, shape, lambda, Solver::Admm);
        assert!(
            newton.diagnostics.converged,
            "w {w}: {:?}",
            newton.diagnostics
        );
        assert!(admm.diagnostics.converged, "w {w}: {:?}", admm.diagnostics);
        assert!(!newton.diagnostics.used_theta_fallback);
        assert!(is_block_toeplitz(newton.precision.as_ref(), shape, 0.0));
        let rel = max_abs_diff(&newton.precision, &admm.precision) / max_abs(&admm.precision);
        assert!(
            rel < 1e-6,
            "w {w} lambda {lambda}: relative difference {rel:e}"
        );
        check_kkt(&s, &newton.precision, shape, lambda, 1e-7 * w as f64);
        let (fn_, fa) = objectives(&s, &newton, &admm, lambda);
        assert!(fn_ <= fa + 1e-9 * fa.abs(), "w {w}: newton {fn_} admm {fa}");
        // Newton's point: few iterations where ADMM needs tens.
        assert!(
            newton.diagnostics.iterations <= 40,
            "w {w}: {} Newton iterations",
            newton.diagnostics.iterations
        );
    }
}

#[test]
fn a_smooth_signal_at_a_long_window() {
    // A sum of two sines and a little noise at window 60: a strongly autocorrelated signal
    // whose covariance is close to singular, the case that makes ADMM slow.
    let w = 60;
    let t = 2000;
    let mut rng = common::Rng::new(11);
    let x: Vec<f64> = (0..t)
        .map(|i| {
            let i = i as f64;
            (i / 7.0).sin() + 0.5 * (i / 23.0).cos() + 0.05 * rng.uniform()
        })
        .collect();
    let shape = BlockShape::new(1, w);
    let (_, s) = casc_glasso::mean_and_covariance(windows(&x, shape), w).unwrap();
    for lambda in [0.001, 0.05] {
        let sol = cold(&s, shape, lambda, Solver::Auto);
        assert!(sol.diagnostics.converged, "{:?}", sol.diagnostics);
        check_kkt(&s, &sol.precision, shape, lambda, 1e-6);
        let admm = cold(&s, shape, lambda, Solver::Admm);
        let (fn_, fa) = objectives(&s, &sol, &admm, lambda);
        assert!(
            fn_ <= fa + 1e-9 * fa.abs(),
            "lambda {lambda}: newton {fn_} admm {fa}"
        );
    }
}

#[test]
fn rank_deficient_covariances_give_positive_definite_optima() {
    // Fewer windows than the window length: S is singular, the penalty keeps the problem
    // bounded, and the optimum is still positive definite and optimal.
    for (seed, w, windows) in [(1, 8, 3), (2, 20, 5), (3, 30, 1)] {
        let shape = BlockShape::new(1, w);
        let s = random_covariance(seed, w - 1 + windows, shape);
        let lambda = 0.05;
        let sol = cold(&s, shape, lambda, Solver::Auto);
        assert!(sol.diagnostics.converged, "{:?}", sol.diagnostics);
        assert!(log_det_spd(sol.precision.as_ref(), Par::Seq).is_ok());
        check_kkt(&s, &sol.precision, shape, lambda, 1e-6);
    }
}

#[test]
fn warm_starts_reach_the_cold_optimum_in_fewer_iterations() {
    let shape = BlockShape::new(1, 12);
    let lambda = 0.02;
    let p = tight(lambda, Solver::Auto);
    let a = random_covariance(1, 400, shape);
    // A nearby covariance, and the same one at another scale.
    let b = {
        let other = random_covariance(2, 400, shape);
        Mat::from_fn(12, 12, |i, j| 0.8 * a[(i, j)] + 0.2 * other[(i, j)])
    };
    let first = solve(a.as_ref(), shape, &p, None, Par::Seq).unwrap();
    for target in [b.clone(), Mat::from_fn(12, 12, |i, j| 100.0 * b[(i, j)])] {
        let cold = solve(target.as_ref(), shape, &p, None, Par::Seq).unwrap();
        let warm = solve(target.as_ref(), shape, &p, Some(&first.warm), Par::Seq).unwrap();
        assert!(warm.diagnostics.converged);
        let rel = max_abs_diff(&warm.precision, &cold.precision) / max_abs(&cold.precision);
        assert!(rel < 1e-8, "relative difference {rel:e}");
        assert!(
            warm.diagnostics.iterations <= cold.diagnostics.iterations,
            "warm {} cold {}",
            warm.diagnostics.iterations,
            cold.diagnostics.iterations
        );
    }
    // The warm start an ADMM solve returns, and the one this solver returns to an ADMM, work
    // too: both describe the same fixed point.
    let admm = tight(lambda, Solver::Admm);
    let from_admm = solve(a.as_ref(), shape, &admm, None, Par::Seq).unwrap();
    let n1 = solve(b.as_ref(), shape, &p, Some(&from_admm.warm), Par::Seq).unwrap();
    let a1 = solve(b.as_ref(), shape, &admm, Some(&first.warm), Par::Seq).unwrap();
    assert!(n1.diagnostics.converged && a1.diagnostics.converged);
    let rel = max_abs_diff(&n1.precision, &a1.precision) / max_abs(&a1.precision);
    assert!(rel < 1e-6, "relative difference {rel:e}");
}

#[test]
fn an_iteration_cap_is_reported_not_an_error() {
    let shape = BlockShape::new(1, 30);
    let s = random_covariance(3, 300, shape);
    let p = GlassoParams::new(0.01).max_iters(1).check().unwrap();
    let sol = solve(s.as_ref(), shape, &p, None, Par::Seq).unwrap();
    assert!(!sol.diagnostics.converged);
    assert_eq!(sol.diagnostics.iterations, 1);
    // Still a valid estimate: positive definite, exactly Toeplitz.
    assert!(log_det_spd(sol.precision.as_ref(), Par::Seq).is_ok());
    assert!(is_block_toeplitz(sol.precision.as_ref(), shape, 0.0));
}

/// The least-norm subgradient of the problem at `theta` (a full-matrix Frobenius norm of its
/// mean over each group of tied entries) and `||Theta^-1 - S||_F`, computed from the dense
/// inverse, independently of the solver.
fn subgradient_norm(s: &Mat<f64>, theta: &Mat<f64>, lambda: f64, diagonal: bool) -> (f64, f64) {
    let w = s.nrows();
    let g = s - spd_inverse(theta);
    let mut total = 0.0;
    for k in 0..w {
        let mult = if k == 0 { w } else { 2 * (w - k) } as f64;
        let mean = (k..w).map(|i| g[(i, i - k)]).sum::<f64>() / (w - k) as f64;
        let pen = if k == 0 && !diagonal { 0.0 } else { lambda };
        let t = theta[(k, 0)];
        let nu = if t != 0.0 {
            mean + pen * t.signum()
        } else if mean.abs() > pen {
            mean - pen * mean.signum()
        } else {
            0.0
        };
        total += mult * nu * nu;
    }
    let dual = (0..w)
        .flat_map(|j| (0..w).map(move |i| (i, j)))
        .map(|(i, j)| g[(i, j)] * g[(i, j)])
        .sum::<f64>()
        .sqrt();
    (total.sqrt(), dual)
}

#[test]
fn converged_means_the_stopping_rule_holds_at_the_fits_tolerances() {
    // The fit solves at 1e-3 (ranking), 1e-4 (search) and 1e-6 (the fixed point); the engine
    // keeps a converged fit as the fixed point, so `converged` must mean what it says.
    for (seed, w, t, lambda) in [(1, 6, 60, 0.05), (2, 20, 300, 0.001), (3, 40, 500, 0.01)] {
        let shape = BlockShape::new(1, w);
        let s = random_covariance(seed, t, shape);
        for eps in [1e-3, 1e-4, 1e-6] {
            let p = GlassoParams::new(lambda)
                .eps_abs(eps)
                .eps_rel(eps)
                .check()
                .unwrap();
            let sol = solve(s.as_ref(), shape, &p, None, Par::Seq).unwrap();
            assert!(
                sol.diagnostics.converged,
                "w {w} eps {eps}: {:?}",
                sol.diagnostics
            );
            let (nu, dual) = subgradient_norm(&s, &sol.precision, lambda, true);
            let tol = (w as f64).sqrt() * eps + eps * dual;
            assert!(
                nu <= tol * (1.0 + 1e-6),
                "w {w} eps {eps}: {nu:e} > {tol:e}"
            );
            let reported = sol.diagnostics.dual_residual;
            assert!(
                (reported - nu).abs() <= 1e-6 * tol,
                "w {w} eps {eps}: reported {reported:e}, recomputed {nu:e}"
            );
        }
    }
}

#[test]
fn an_unpenalised_diagonal_gives_the_admm_optimum() {
    for (seed, w, t, lambda) in [(4, 5, 80, 0.1), (5, 16, 300, 0.02)] {
        let shape = BlockShape::new(1, w);
        let s = random_covariance(seed, t, shape);
        let params = |solver| {
            GlassoParams::new(lambda)
                .eps_abs(1e-10)
                .eps_rel(1e-10)
                .max_iters(50_000)
                .penalize_diagonal(false)
                .solver(solver)
                .check()
                .unwrap()
        };
        let newton = solve(s.as_ref(), shape, &params(Solver::Auto), None, Par::Seq).unwrap();
        let admm = solve(s.as_ref(), shape, &params(Solver::Admm), None, Par::Seq).unwrap();
        assert!(newton.diagnostics.converged && admm.diagnostics.converged);
        let rel = max_abs_diff(&newton.precision, &admm.precision) / max_abs(&admm.precision);
        assert!(rel < 1e-6, "w {w}: relative difference {rel:e}");
        let (nu, _) = subgradient_norm(&s, &newton.precision, lambda, false);
        assert!(nu < 1e-7, "w {w}: subgradient {nu:e}");
        // And it is not the penalised problem's answer.
        let (nu_pen, _) = subgradient_norm(&s, &newton.precision, lambda, true);
        assert!(nu_pen > 1e-3, "w {w}: {nu_pen:e}");
    }
}

#[test]
fn admm_resumes_from_the_newton_warm_start_at_its_fixed_point() {
    // The warm start Newton returns carries the ADMM's dual at the fixed point, so an ADMM
    // solve of the same problem from it stops at once where it started.
    let shape = BlockShape::new(1, 15);
    let s = random_covariance(6, 400, shape);
    let newton = cold(&s, shape, 0.02, Solver::Auto);
    let admm = GlassoParams::new(0.02)
        .eps_abs(1e-8)
        .eps_rel(1e-8)
        .solver(Solver::Admm)
        .check()
        .unwrap();
    let resumed = solve(s.as_ref(), shape, &admm, Some(&newton.warm), Par::Seq).unwrap();
    assert!(resumed.diagnostics.converged);
    assert!(
        resumed.diagnostics.iterations <= 3,
        "{} iterations",
        resumed.diagnostics.iterations
    );
    let rel = max_abs_diff(&resumed.precision, &newton.precision) / max_abs(&newton.precision);
    assert!(rel < 1e-7, "relative difference {rel:e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// On random one-channel problems, from singular to well-conditioned covariances, the
    /// Newton answer meets the optimality conditions and is no worse than ADMM's.
    #[test]
    fn newton_meets_the_optimality_conditions(
        seed in any::<u64>(),
        w in 1usize..=16,
        t_extra in 0usize..120,
        lambda in 0.001f64..0.5,
    ) {
        let shape = BlockShape::new(1, w);
        let s = random_covariance(seed, w + 1 + t_extra, shape);
        let sol = cold(&s, shape, lambda, Solver::Auto);
        prop_assert!(sol.diagnostics.converged, "{:?}", sol.diagnostics);
        prop_assert!(is_block_toeplitz(sol.precision.as_ref(), shape, 0.0));
        check_kkt(&s, &sol.precision, shape, lambda, 1e-6);
        let admm = cold(&s, shape, lambda, Solver::Admm);
        let (fn_, fa) = objectives(&s, &sol, &admm, lambda);
        prop_assert!(fn_ <= fa + 1e-9 * fa.abs(), "newton {} admm {}", fn_, fa);
    }
}
