//! One channel (`n = 1`): the Toeplitz graphical lasso by a proximal Newton method on its
//! `w` free numbers (docs/method.md section 3.1).
//!
//! With one channel the precision is a symmetric Toeplitz matrix `Theta = sum_k theta_k E_k`
//! (`E_0 = I`, `E_k` the two `k`-th off-diagonals), so the objective of [`crate::solve`] is a
//! function of `w` numbers:
//! `f(theta) = -log det Theta + sum_k theta_k c_k + lambda sum_k m_k |theta_k|`, with
//! `c_k = tr(S E_k)` and `m_k` the number of entries `theta_k` fills. Its gradient is
//! `c_k - tr(Sigma E_k)` and its Hessian `tr(Sigma E_k Sigma E_l)` (`Sigma = Theta^-1`), a
//! `w x w` matrix read off the 2-D autocorrelation of `Sigma`, which one FFT gives. Each
//! iteration then costs a Cholesky factorisation, an inverse and an FFT of a `w x w` problem,
//! where an ADMM iteration costs an eigendecomposition; and Newton needs a few iterations
//! where ADMM needs tens. Same problem, same unique optimum, another path.
//!
//! The iteration is a proximal Newton method, as QUIC solves the plain graphical lasso
//! (Hsieh, Sustik, Dhillon and Ravikumar 2014), on the `w` numbers instead of `w^2`
//! entries: the quadratic model of the smooth part plus the exact penalty is minimised (a
//! `w`-variable lasso: coordinate descent to find the signs, Newton steps on the face of the
//! signs to converge), then a backtracking line search along the step with the Armijo
//! condition on `f`. Every trial point is factorised, so the iterates stay positive definite,
//! and the model's minimiser has exact zeros, which a full step keeps (a damped step scales
//! the numbers that leave the support; they are zero again once the steps are full).

use std::sync::Arc;

use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::cholesky::llt::factor::{
    LltRegularization, cholesky_in_place, cholesky_in_place_scratch,
};
use faer::linalg::cholesky::llt::inverse::{inverse, inverse_scratch};
use faer::linalg::solvers::Solve;
use faer::{Mat, MatMut, MatRef, Par};
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

use crate::solution::PD_MARGIN;
use crate::{BlockShape, Diagnostics, GlassoError, Solution, ValidGlassoParams, WarmStart};

/// Armijo constant of the line search.
const ARMIJO: f64 = 1e-4;
/// Halvings of the step before the line search gives up (the point is then optimal to
/// rounding, or the iteration reports that it did not converge).
const MAX_HALVINGS: usize = 40;
/// The line search's rounding allowance, relative to the sum of the objective's terms'
/// magnitudes (a few ulps of a sum of `w` terms).
const ROUNDING: f64 = 64.0 * f64::EPSILON;
/// The quadratic model is solved until its least-norm subgradient is this fraction of the
/// problem's (a superlinear rate without solving the model exactly far from the optimum).
const SUBPROBLEM_RATIO: f64 = 1e-3;
/// The model is never solved beyond this fraction of the stopping rule's tolerance.
const MODEL_FLOOR: f64 = 1e-2;
/// Coordinate-descent sweeps between two Newton steps on a face of the model.
const SWEEPS_PER_ROUND: usize = 3;
/// Rounds of sweeps and face steps of the model at most.
const MAX_ROUNDS: usize = 100;
/// Face steps of one model solve at most, per number.
const FACE_STEPS_PER_NUMBER: usize = 4;

/// Solves the one-channel problem of [`crate::solve`] (`shape.n == 1`, `s` checked square
/// and finite by the caller).
pub(crate) fn solve(
    s: MatRef<'_, f64>,
    shape: BlockShape,
    params: &ValidGlassoParams,
    warm: Option<&WarmStart>,
    par: Par,
) -> Result<Solution, GlassoError> {
    debug_assert_eq!(shape.n, 1);
    let mut newton = Newton::new(s, shape.w, params, par);
    let start = warm.and_then(|ws| newton.warm_theta(ws));
    newton.run(start)?;
    Ok(newton.into_solution(shape))
}

/// All state of one solve; square matrices are dense column-major `Vec`s of side `w`.
struct Newton<'p> {
    w: usize,
    params: &'p ValidGlassoParams,
    par: Par,
    /// The symmetrised covariance.
    s: Vec<f64>,
    /// `c_k = tr(S E_k)`.
    c: Vec<f64>,
    /// `m_k`: how many entries of the matrix `theta_k` fills.
    mult: Vec<f64>,
    /// `lambda * m_k` (0 for `k = 0` when the diagonal is not penalised).
    pen: Vec<f64>,
    theta: Vec<f64>,
    /// Cholesky factor of the current `Theta` (lower triangle).
    chol: Vec<f64>,
    /// Cholesky factor of the line search's trial point.
    trial: Vec<f64>,
    /// `Theta^-1`, both triangles.
    sigma: Vec<f64>,
    mem: MemBuffer,
    hessian: Hessian,
    diagnostics: Diagnostics,
}

impl<'p> Newton<'p> {
    fn new(s: MatRef<'_, f64>, w: usize, params: &'p ValidGlassoParams, par: Par) -> Self {
        let mut s_sym = vec![0.0; w * w];
        for j in 0..w {
            for i in 0..w {
                s_sym[i + j * w] = 0.5 * (s[(i, j)] + s[(j, i)]);
            }
        }
        let c = diagonal_sums(&s_sym, w);
        let mult: Vec<f64> = (0..w).map(|k| multiplicity(w, k)).collect();
        let lam = params.lambda();
        let pen = (0..w)
            .map(|k| {
                if k == 0 && !params.penalize_diagonal() {
                    0.0
                } else {
                    lam * mult[k]
                }
            })
            .collect();
        let req = StackReq::any_of(&[
            cholesky_in_place_scratch::<f64>(w, par, Default::default()),
            inverse_scratch::<f64>(w, par),
        ]);
        Self {
            w,
            params,
            par,
            s: s_sym,
            c,
            mult,
            pen,
            theta: vec![0.0; w],
            chol: vec![0.0; w * w],
            trial: vec![0.0; w * w],
            sigma: vec![0.0; w * w],
            mem: MemBuffer::new(req),
            hessian: Hessian::new(w),
            diagnostics: Diagnostics {
                iterations: 0,
                primal_residual: 0.0,
                dual_residual: 0.0,
                converged: false,
                used_theta_fallback: false,
                floored_eigenvalues: 0,
            },
        }
    }

    /// The warm start's first column carried over to this covariance's scale (a precision
    /// scales as `1 / d^2` when the covariance scales as `d^2`: [`WarmStart::scale_ratios`],
    /// as the ADMM carries its warm starts over), or `None` when it is not finite.
    fn warm_theta(&self, ws: &WarmStart) -> Option<Vec<f64>> {
        let ratio = ws.scale_ratios(&self.s, self.params.lambda())[0];
        let theta: Vec<f64> = (0..self.w).map(|k| ws.z[(k, 0)] / ratio).collect();
        theta.iter().all(|v| v.is_finite()).then_some(theta)
    }

    /// The objective at `theta` whose Cholesky factor's log-determinant is `log_det`, and the
    /// sum of its terms' magnitudes (the scale of its rounding).
    fn objective(&self, theta: &[f64], log_det: f64) -> (f64, f64) {
        let (mut terms, mut magnitude) = (0.0, log_det.abs());
        for ((t, c), p) in theta.iter().zip(&self.c).zip(&self.pen) {
            let v = t * c + p * t.abs();
            terms += v;
            magnitude += v.abs();
        }
        (terms - log_det, magnitude)
    }

    /// Factorises `Toeplitz(theta)` into `self.trial`; its log-determinant when it is
    /// positive definite with the margin the ADMM asks of its answer, else `None`.
    fn factor_into_trial(&mut self, theta: &[f64]) -> Option<f64> {
        let w = self.w;
        for j in 0..w {
            for i in j..w {
                self.trial[i + j * w] = theta[i - j];
            }
        }
        let stack = MemStack::new(&mut self.mem);
        cholesky_in_place(
            MatMut::from_column_major_slice_mut(&mut self.trial, w, w),
            LltRegularization::default(),
            self.par,
            stack,
            Default::default(),
        )
        .ok()?;
        let floor = PD_MARGIN * theta[0];
        let mut log_det = 0.0;
        for i in 0..w {
            let l = self.trial[i + i * w];
            if !(l * l >= floor && l.is_finite()) {
                return None;
            }
            log_det += 2.0 * l.ln();
        }
        Some(log_det)
    }

    /// `Sigma = Theta^-1` from the current factor, both triangles.
    fn invert(&mut self) {
        let w = self.w;
        let stack = MemStack::new(&mut self.mem);
        inverse(
            MatMut::from_column_major_slice_mut(&mut self.sigma, w, w),
            MatRef::from_column_major_slice(&self.chol, w, w),
            self.par,
            stack,
        );
        for j in 0..w {
            for i in j + 1..w {
                self.sigma[j + i * w] = self.sigma[i + j * w];
            }
        }
    }

    fn run(&mut self, start: Option<Vec<f64>>) -> Result<(), GlassoError> {
        let w = self.w;
        let p = w as f64;
        let eps_abs = p.sqrt() * self.params.eps_abs();
        let eps_rel = self.params.eps_rel();
        // A warm start that is not positive definite (with the margin) gives way to the
        // ADMM's cold start: the optimum when the penalty removes every off-diagonal number.
        let warm = start.and_then(|t| self.factor_into_trial(&t).map(|ld| (t, ld)));
        let (theta, log_det) = match warm {
            Some(started) => started,
            None => {
                let mean = (0..w).map(|i| self.s[i + i * w]).sum::<f64>() / p;
                let mut t = vec![0.0; w];
                t[0] = 1.0 / (mean + self.params.lambda());
                let log_det = self
                    .factor_into_trial(&t)
                    .ok_or(GlassoError::Diverged { iteration: 0 })?;
                (t, log_det)
            }
        };
        std::mem::swap(&mut self.chol, &mut self.trial);
        self.theta = theta;
        let (mut f, mut magnitude) = self.objective(&self.theta, log_det);
        let mut grad = vec![0.0; w];
        let mut next = vec![0.0; w];
        let mut target = vec![0.0; w];
        let mut steps = 0;
        loop {
            // The stopping rule, at the current iterate, in the ADMM's units: a full-matrix
            // Frobenius norm of the (entrywise mean) least-norm subgradient against the norm
            // of `Sigma - S` (the ADMM's unscaled dual at a fixed point), and, as the ADMM
            // asks both of its residuals to be small, the Newton step this iterate would take
            // against the norm of `Theta`.
            let (residual, dual_norm) = self.evaluate(&mut grad);
            self.diagnostics.dual_residual = residual;
            let dual_met = residual <= eps_abs + eps_rel * dual_norm;
            let primal_tol = eps_abs + eps_rel * self.weighted_norm(|k| self.theta[k]);
            if steps == self.params.max_iters() && !dual_met {
                break;
            }
            // The proximal Newton direction: the minimiser of the quadratic model of the
            // smooth part plus the exact penalty, solved to a fraction of the residual.
            let h = self.hessian.compute(&self.sigma);
            target.copy_from_slice(&self.theta);
            // Near the optimum the model needs no more accuracy than a fraction of the
            // stopping tolerance: the step only has to be measured against it (solving it to
            // `1e-3` of a residual already below the tolerance ran into rounding, and into the
            // face-step bound, at window 400).
            let stop_tol = eps_abs + eps_rel * dual_norm;
            let tol = (SUBPROBLEM_RATIO * residual).max(MODEL_FLOOR * stop_tol);
            lasso_model(
                h,
                w,
                &grad,
                &self.theta,
                &self.pen,
                &self.mult,
                &mut target,
                tol,
            );
            let mut decrease = 0.0;
            for k in 0..w {
                let d = target[k] - self.theta[k];
                decrease += grad[k] * d + self.pen[k] * (target[k].abs() - self.theta[k].abs());
            }
            // A model that finds no decrease proposes no step.
            let descent = decrease < 0.0;
            let proposed = if descent {
                self.weighted_norm(|k| target[k] - self.theta[k])
            } else {
                0.0
            };
            if dual_met && proposed <= primal_tol {
                self.diagnostics.primal_residual = proposed;
                self.diagnostics.converged = true;
                // The rule holds here; the step it measured leaves an error of the order of
                // its square, so it is taken when the objective accepts it in full and the
                // rule still holds at its end (checked there), which makes the answer
                // nearly exact at no Hessian's cost.
                self.polish(&target, f, magnitude, decrease, eps_abs, eps_rel);
                break;
            }
            if !descent || steps == self.params.max_iters() {
                // No descent with the subgradient above its tolerance: the gradient is at its
                // rounding. Not converged.
                break;
            }
            steps += 1;
            let mut alpha = 1.0;
            let mut accepted = None;
            for _ in 0..MAX_HALVINGS {
                for k in 0..w {
                    next[k] = self.theta[k] + alpha * (target[k] - self.theta[k]);
                }
                if let Some(log_det) = self.factor_into_trial(&next) {
                    let (f_next, m_next) = self.objective(&next, log_det);
                    // Near the optimum the decrease falls below the rounding of the
                    // objective's terms: a step that raises it by no more than that is taken.
                    let rounding = ROUNDING * magnitude.max(m_next);
                    if f_next <= f + ARMIJO * alpha * decrease + rounding {
                        accepted = Some((f_next, m_next));
                        break;
                    }
                }
                alpha *= 0.5;
            }
            let Some((f_next, m_next)) = accepted else {
                // No step lowers the objective: as above, not converged.
                break;
            };
            let step_norm = self.weighted_norm(|k| next[k] - self.theta[k]);
            std::mem::swap(&mut self.chol, &mut self.trial);
            std::mem::swap(&mut self.theta, &mut next);
            (f, magnitude) = (f_next, m_next);
            self.diagnostics.primal_residual = step_norm;
            if !f.is_finite() {
                return Err(GlassoError::Diverged { iteration: steps });
            }
        }
        self.diagnostics.iterations = steps.max(1);
        tracing::trace!(
            iterations = self.diagnostics.iterations,
            converged = self.diagnostics.converged,
            "toeplitz glasso newton finished"
        );
        Ok(())
    }

    /// At the current iterate: `Sigma` (inverted from its factor), the gradient into `grad`,
    /// and the stopping rule's two norms, the least-norm subgradient (full-matrix Frobenius
    /// norm of its mean over the tied entries) and `||Sigma - S||_F`.
    fn evaluate(&mut self, grad: &mut [f64]) -> (f64, f64) {
        self.invert();
        let sums = diagonal_sums(&self.sigma, self.w);
        for ((g, c), s) in grad.iter_mut().zip(&self.c).zip(&sums) {
            *g = c - s;
        }
        let residual = self.weighted_norm(|k| {
            min_norm_subgradient(self.theta[k], grad[k], self.pen[k]) / self.mult[k]
        });
        (residual, frobenius_diff(&self.sigma, &self.s))
    }

    /// Moves a converged iterate to `target` (its Newton step) when the full step passes the
    /// line search's test and the stopping rule holds at `target` too; else leaves it.
    fn polish(
        &mut self,
        target: &[f64],
        f: f64,
        magnitude: f64,
        decrease: f64,
        eps_abs: f64,
        eps_rel: f64,
    ) {
        if decrease.is_nan() || decrease >= 0.0 {
            return;
        }
        let Some(log_det) = self.factor_into_trial(target) else {
            return;
        };
        let (f_next, m_next) = self.objective(target, log_det);
        if f_next > f + ARMIJO * decrease + ROUNDING * magnitude.max(m_next) {
            return;
        }
        let (chol, theta, sigma) = (self.chol.clone(), self.theta.clone(), self.sigma.clone());
        std::mem::swap(&mut self.chol, &mut self.trial);
        self.theta.copy_from_slice(target);
        let mut grad = vec![0.0; self.w];
        let (residual, dual_norm) = self.evaluate(&mut grad);
        if residual <= eps_abs + eps_rel * dual_norm {
            self.diagnostics.dual_residual = residual;
        } else {
            (self.chol, self.theta, self.sigma) = (chol, theta, sigma);
        }
    }

    /// The full-matrix Frobenius norm of the symmetric Toeplitz matrix whose numbers are
    /// `v(k)`.
    fn weighted_norm(&self, v: impl Fn(usize) -> f64) -> f64 {
        (0..self.w)
            .map(|k| {
                let x = v(k);
                self.mult[k] * x * x
            })
            .sum::<f64>()
            .sqrt()
    }

    fn into_solution(self, shape: BlockShape) -> Solution {
        let w = self.w;
        let theta = &self.theta;
        let precision = Mat::from_fn(w, w, |i, j| theta[i.abs_diff(j)]);
        // A consistent dual for an ADMM that resumes from here: at a fixed point
        // `rho * U = Z^-1 - S`.
        let rho = self.params.rho();
        let u = Mat::from_fn(w, w, |i, j| {
            (self.sigma[i + j * w] - self.s[i + j * w]) / rho
        });
        let s = Mat::from_fn(w, w, |i, j| self.s[i + j * w]);
        Solution {
            warm: WarmStart {
                shape,
                z: precision.clone(),
                u,
                s,
                rho,
            },
            precision,
            diagnostics: self.diagnostics,
        }
    }
}

/// How many entries of a `w x w` symmetric Toeplitz matrix its `k`-th number fills.
fn multiplicity(w: usize, k: usize) -> f64 {
    if k == 0 {
        w as f64
    } else {
        2.0 * (w - k) as f64
    }
}

/// `tr(M E_k)` for every `k`: the sums of the `k`-th sub- and super-diagonals of the
/// symmetric column-major `m`.
fn diagonal_sums(m: &[f64], w: usize) -> Vec<f64> {
    (0..w)
        .map(|k| {
            let sub: f64 = (k..w).map(|i| m[i + (i - k) * w]).sum();
            if k == 0 { sub } else { 2.0 * sub }
        })
        .collect()
}

/// `||A - B||_F` of two square column-major matrices.
fn frobenius_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// The element of least magnitude of the subdifferential of `g * t + pen * |t|` at `t`.
fn min_norm_subgradient(t: f64, g: f64, pen: f64) -> f64 {
    if t != 0.0 {
        g + pen * t.signum()
    } else if g > pen {
        g - pen
    } else if g < -pen {
        g + pen
    } else {
        0.0
    }
}

/// Minimises the proximal Newton model `q(x) = g.(x - theta) + (x - theta)' H (x - theta) / 2
/// + sum_k pen_k |x_k|` over `x` (a lasso with the dense positive definite `H`), from `x`
/// (`theta` on entry), until its least-norm subgradient has full-matrix norm at most `tol`
/// (or [`MAX_ROUNDS`] rounds, or [`FACE_STEPS_PER_NUMBER`] `* w` face steps). Each round runs [`SWEEPS_PER_ROUND`] sweeps of coordinate descent,
/// which find the signs, then Newton steps on the face of the current signs, which converge
/// on it where coordinate descent would crawl (`H` is as ill-conditioned as `Sigma` squared):
/// each step goes to the face's minimiser or stops where the first number reaches zero, so
/// `q` never increases.
#[allow(clippy::too_many_arguments)]
fn lasso_model(
    h: &[f64],
    w: usize,
    g: &[f64],
    theta: &[f64],
    pen: &[f64],
    mult: &[f64],
    x: &mut [f64],
    tol: f64,
) {
    // r = g + H (x - theta), the smooth part's gradient at x.
    let gradient = |x: &[f64], r: &mut [f64]| {
        r.copy_from_slice(g);
        for (k, (&xk, &tk)) in x.iter().zip(theta).enumerate() {
            let d = xk - tk;
            if d != 0.0 {
                for (ri, &hik) in r.iter_mut().zip(&h[k * w..(k + 1) * w]) {
                    *ri += d * hik;
                }
            }
        }
    };
    let model = |x: &[f64], r: &[f64]| {
        // With r = g + H d: g.d + d'Hd/2 = (g + r).d / 2.
        let mut q = 0.0;
        for k in 0..w {
            q += 0.5 * (g[k] + r[k]) * (x[k] - theta[k]) + pen[k] * x[k].abs();
        }
        q
    };
    let residual = |x: &[f64], r: &[f64]| {
        (0..w)
            .map(|k| {
                let v = min_norm_subgradient(x[k], r[k], pen[k]);
                v * v / mult[k]
            })
            .sum::<f64>()
            .sqrt()
    };
    let mut r = vec![0.0; w];
    gradient(x, &mut r);
    let mut trial = vec![0.0; w];
    let mut trial_r = vec![0.0; w];
    // Each face step factorises up to a w x w matrix; the signs usually settle in one or two
    // rounds, and this bounds the worst case. An unfinished model still gives a descent step.
    let mut face_steps = FACE_STEPS_PER_NUMBER * w;
    for _ in 0..MAX_ROUNDS {
        if residual(x, &r) <= tol {
            return;
        }
        for _ in 0..SWEEPS_PER_ROUND {
            for k in 0..w {
                let hkk = h[k + k * w];
                if hkk.is_nan() || hkk <= 0.0 {
                    continue;
                }
                let v = soft(x[k] - r[k] / hkk, pen[k] / hkk);
                let delta = v - x[k];
                if delta != 0.0 {
                    x[k] = v;
                    for (ri, &hik) in r.iter_mut().zip(&h[k * w..(k + 1) * w]) {
                        *ri += delta * hik;
                    }
                }
            }
        }
        if residual(x, &r) <= tol {
            return;
        }
        // Newton steps on the face, each ending at its minimiser or at a new zero.
        for _ in 0..=w {
            if face_steps == 0 {
                return;
            }
            face_steps -= 1;
            let face: Vec<usize> = (0..w).filter(|&k| x[k] != 0.0).collect();
            if face.is_empty() {
                break;
            }
            let m = face.len();
            let hff = Mat::from_fn(m, m, |i, j| h[face[i] + face[j] * w]);
            let rhs = Mat::from_fn(m, 1, |i, _| {
                let k = face[i];
                -(r[k] + pen[k] * x[k].signum())
            });
            let Some(e) = spd_solve(&hff, &rhs) else {
                break;
            };
            let (mut t, mut hit) = (1.0, None);
            for (i, &k) in face.iter().enumerate() {
                if (x[k] + e[i]) * x[k].signum() < 0.0 {
                    let tk = -x[k] / e[i];
                    if tk < t {
                        t = tk;
                        hit = Some(k);
                    }
                }
            }
            // First the whole step with every number that crosses zero stopped at zero (it
            // drops them all at once, where the exact path drops one per factorisation: 467
            // factorisations for one cold model at window 400); if that does not lower the
            // model, the step to the first crossing, which always does.
            let mut projected = false;
            if hit.is_some() {
                trial.copy_from_slice(x);
                for (i, &k) in face.iter().enumerate() {
                    let v = x[k] + e[i];
                    trial[k] = if v * x[k].signum() < 0.0 { 0.0 } else { v };
                }
                gradient(&trial, &mut trial_r);
                projected = model(&trial, &trial_r) < model(x, &r);
            }
            if !projected {
                trial.copy_from_slice(x);
                for (i, &k) in face.iter().enumerate() {
                    trial[k] += t * e[i];
                }
                if let Some(k) = hit {
                    trial[k] = 0.0;
                }
                gradient(&trial, &mut trial_r);
            }
            // Rounding in an ill-conditioned face can spoil the step: keep it only if the
            // model went down.
            let (q_trial, q_now) = (model(&trial, &trial_r), model(x, &r));
            if q_trial.is_nan() || q_trial > q_now {
                break;
            }
            x.copy_from_slice(&trial);
            r.copy_from_slice(&trial_r);
            if hit.is_none() {
                break;
            }
        }
    }
}

/// `A^-1 b` for a symmetric positive definite `A` by Cholesky; when rounding leaves `A`
/// indefinite, with a ridge of `1e-12` then `1e-8` of its largest diagonal entry; `None`
/// when all fail.
fn spd_solve(a: &Mat<f64>, b: &Mat<f64>) -> Option<Vec<f64>> {
    let m = a.nrows();
    let scale = (0..m).map(|i| a[(i, i)]).fold(0.0f64, f64::max);
    for ridge in [0.0, 1e-12, 1e-8] {
        let mut a = a.clone();
        for i in 0..m {
            a[(i, i)] += ridge * scale;
        }
        if let Ok(llt) = a.llt(faer::Side::Lower) {
            let x = llt.solve(b);
            let x: Vec<f64> = (0..m).map(|i| x[(i, 0)]).collect();
            if x.iter().all(|v| v.is_finite()) {
                return Some(x);
            }
        }
    }
    None
}

/// Soft-thresholding of `x` by `t`.
fn soft(x: f64, t: f64) -> f64 {
    if x > t {
        x - t
    } else if x < -t {
        x + t
    } else {
        0.0
    }
}

/// The Hessian `H_kl = tr(Sigma E_k Sigma E_l)` from the 2-D autocorrelation
/// `R(x, y) = sum_{i,j} Sigma_ij Sigma_{i+x, j+y}` (zero outside the matrix), computed by a
/// zero-padded FFT: with `J^a` the shift `(J^a)_{i,i+a} = 1`, `tr(Sigma J^a Sigma J^b) =
/// R(-b, a)`, and `E_k = J^k + J^-k`.
struct Hessian {
    w: usize,
    /// The FFT length, at least `2w - 1` so that the circular correlation is the linear one.
    len: usize,
    forward: Arc<dyn Fft<f64>>,
    backward: Arc<dyn Fft<f64>>,
    buf: Vec<Complex<f64>>,
    transposed: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
    h: Vec<f64>,
}

impl Hessian {
    fn new(w: usize) -> Self {
        let len = fft_len(2 * w.max(1) - 1);
        let mut planner = FftPlanner::new();
        let forward = planner.plan_fft_forward(len);
        let backward = planner.plan_fft_inverse(len);
        let scratch_len = forward
            .get_inplace_scratch_len()
            .max(backward.get_inplace_scratch_len());
        Self {
            w,
            len,
            forward,
            backward,
            buf: Vec::new(),
            transposed: Vec::new(),
            scratch: vec![Complex::default(); scratch_len],
            h: vec![0.0; w * w],
        }
    }

    /// The Hessian at `sigma` (column-major `w x w`, symmetric), column-major `w x w`.
    fn compute(&mut self, sigma: &[f64]) -> &[f64] {
        let (w, len) = (self.w, self.len);
        if self.buf.is_empty() {
            self.buf = vec![Complex::default(); len * len];
            self.transposed = vec![Complex::default(); len * len];
        }
        // Row x of `buf` holds row x of Sigma, zero-padded.
        self.buf.fill(Complex::default());
        for x in 0..w {
            for y in 0..w {
                self.buf[x * len + y] = Complex::new(sigma[x + y * w], 0.0);
            }
        }
        self.forward
            .process_with_scratch(&mut self.buf[..w * len], &mut self.scratch);
        transpose(&self.buf, &mut self.transposed, len);
        self.forward
            .process_with_scratch(&mut self.transposed, &mut self.scratch);
        // |X|^2 is the transform of the autocorrelation.
        for v in &mut self.transposed {
            *v = Complex::new(v.norm_sqr(), 0.0);
        }
        self.backward
            .process_with_scratch(&mut self.transposed, &mut self.scratch);
        transpose(&self.transposed, &mut self.buf, len);
        self.backward
            .process_with_scratch(&mut self.buf, &mut self.scratch);
        let norm = 1.0 / (len * len) as f64;
        let buf = &self.buf;
        let r = |x: isize, y: isize| {
            let xi = x.rem_euclid(len as isize) as usize;
            let yi = y.rem_euclid(len as isize) as usize;
            buf[xi * len + yi].re * norm
        };
        for l in 0..w {
            for k in 0..w {
                let (ki, li) = (k as isize, l as isize);
                self.h[k + l * w] = match (k, l) {
                    (0, 0) => r(0, 0),
                    (0, _) => 2.0 * r(li, 0),
                    (_, 0) => 2.0 * r(0, ki),
                    _ => 2.0 * (r(li, ki) + r(-li, ki)),
                };
            }
        }
        // Exactly symmetric, as the Cholesky factorisation of its blocks expects.
        for l in 0..w {
            for k in l + 1..w {
                let v = 0.5 * (self.h[k + l * w] + self.h[l + k * w]);
                self.h[k + l * w] = v;
                self.h[l + k * w] = v;
            }
        }
        &self.h
    }
}

/// The smallest length at least `min` whose only prime factors are 2, 3 and 5 (fast FFTs).
fn fft_len(min: usize) -> usize {
    let mut n = min.max(1);
    loop {
        let mut m = n;
        for p in [2, 3, 5] {
            while m.is_multiple_of(p) {
                m /= p;
            }
        }
        if m == 1 {
            return n;
        }
        n += 1;
    }
}

/// `out = in^T` for square `len x len` row-major buffers.
fn transpose(input: &[Complex<f64>], out: &mut [Complex<f64>], len: usize) {
    for i in 0..len {
        for j in 0..len {
            out[j * len + i] = input[i * len + j];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `tr(Sigma E_k Sigma E_l)` by dense products.
    fn brute_hessian(sigma: &Mat<f64>) -> Mat<f64> {
        let w = sigma.nrows();
        let e = |k: usize| Mat::from_fn(w, w, |i, j| if i.abs_diff(j) == k { 1.0 } else { 0.0 });
        Mat::from_fn(w, w, |k, l| {
            let m = sigma * e(k) * sigma * e(l);
            (0..w).map(|i| m[(i, i)]).sum()
        })
    }

    #[test]
    fn the_fft_hessian_is_the_trace_of_products() {
        for w in [1, 2, 3, 5, 8] {
            // Any symmetric matrix will do for the identity; this one is not Toeplitz.
            let sigma = Mat::from_fn(w, w, |i, j| {
                let (a, b) = (i.min(j) as f64, i.max(j) as f64);
                1.0 / (1.0 + a + 2.0 * b) + if i == j { 1.0 } else { 0.0 }
            });
            let col: Vec<f64> = (0..w * w).map(|k| sigma[(k % w, k / w)]).collect();
            let mut hess = Hessian::new(w);
            let h = hess.compute(&col).to_vec();
            let brute = brute_hessian(&sigma);
            for l in 0..w {
                for k in 0..w {
                    let (a, b) = (h[k + l * w], brute[(k, l)]);
                    assert!(
                        (a - b).abs() <= 1e-12 * (1.0 + b.abs()),
                        "w {w} ({k},{l}): {a} vs {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn fft_lengths_are_smooth_and_long_enough() {
        assert_eq!(fft_len(1), 1);
        assert_eq!(fft_len(7), 8);
        assert_eq!(fft_len(799), 800);
        assert_eq!(fft_len(299), 300);
        assert_eq!(fft_len(13), 15);
    }

    #[test]
    fn the_subgradient_of_least_norm_by_hand() {
        assert_eq!(min_norm_subgradient(1.0, 0.5, 2.0), 2.5);
        assert_eq!(min_norm_subgradient(-1.0, 0.5, 2.0), -1.5);
        assert_eq!(min_norm_subgradient(0.0, 0.5, 2.0), 0.0);
        assert_eq!(min_norm_subgradient(0.0, 3.0, 2.0), 1.0);
        assert_eq!(min_norm_subgradient(0.0, -3.0, 2.0), -1.0);
    }
}
