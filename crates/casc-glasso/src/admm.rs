//! The block-Toeplitz graphical lasso solved by scaled-form ADMM (docs/method.md section 3).
//!
//! Variables `Theta`, `Z`, `U` (all `nw x nw`, kept exactly symmetric). Each iteration:
//! the `Theta` step by a symmetric eigendecomposition, the `Z` step by averaging the
//! entries tied by the Toeplitz constraint and soft-thresholding, the scaled dual update,
//! then the primal/dual stopping rule.
//!
//! Choices that change the path but not the fixed point (all in the checked parameters or
//! documented here): a spectral initial `rho`, residual balancing of `rho`,
//! over-relaxation, safeguarded Anderson acceleration of `(Z, U)`, a diagonal cold start
//! with a consistent dual, and, on warm starts, a dual predictor that shifts `U` by the
//! change of `S`.

use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::cholesky::llt::factor::{
    LltRegularization, cholesky_in_place, cholesky_in_place_scratch,
};
use faer::linalg::evd::{ComputeEigenvectors, self_adjoint_evd, self_adjoint_evd_scratch};
use faer::linalg::matmul::triangular::{BlockStructure, matmul};
use faer::{Accum, Mat, MatMut, MatRef, Par};

use crate::anderson::Anderson;
use crate::solution::PD_MARGIN;
use crate::{BlockShape, Diagnostics, GlassoError, Solution, ValidGlassoParams, WarmStart};

/// Residual balancing: change rho when one residual exceeds the other by this factor.
const BALANCE_MU: f64 = 10.0;
/// Residual balancing: multiply or divide rho by this factor.
const BALANCE_TAU: f64 = 2.0;
/// Residual balancing stops after this many iterations so that the tail runs with a fixed
/// rho, for which ADMM's convergence is guaranteed.
const BALANCE_ITERS: usize = 200;
/// Anderson acceleration stops after this many iterations, leaving plain ADMM (whose
/// convergence is guaranteed) for the rare very ill-conditioned problems it cannot help.
const ANDERSON_ITERS: usize = 1000;
/// When neither `Z` nor `Theta` is safely positive definite, `Theta`'s eigenvalues are raised
/// to this fraction of the largest (a condition number of at most `1e10`).
const EIGEN_FLOOR: f64 = 1e-10;

/// Runs ADMM on a checked, non-empty problem.
pub(crate) fn solve(
    s: MatRef<'_, f64>,
    shape: BlockShape,
    params: &ValidGlassoParams,
    warm: Option<&WarmStart>,
    par: Par,
) -> Result<Solution, GlassoError> {
    let mut admm = Admm::new(s, shape, params, warm, par);
    admm.run()?;
    admm.into_solution()
}

/// `(d + sqrt(d^2 + 4 rho)) / (2 rho)`, written without cancellation for negative `d`.
#[inline]
fn prox_logdet(d: f64, rho: f64) -> f64 {
    let root = (d * d + 4.0 * rho).sqrt();
    if d >= 0.0 {
        (d + root) / (2.0 * rho)
    } else {
        2.0 / (root - d)
    }
}

#[inline]
fn soft(x: f64, t: f64) -> f64 {
    if x > t {
        x - t
    } else if x < -t {
        x + t
    } else {
        0.0
    }
}

/// All ADMM state, preallocated so that the iteration loop does not allocate.
/// Square matrices are dense column-major `Vec`s of side `dim`, of which the loop keeps
/// the lower triangle authoritative and mirrors it.
struct Admm<'p> {
    shape: BlockShape,
    params: &'p ValidGlassoParams,
    par: Par,
    dim: usize,
    rho: f64,
    s: Vec<f64>,
    theta: Vec<f64>,
    z: Vec<f64>,
    u: Vec<f64>,
    /// EVD input, then the over-relaxed `Theta`, then Cholesky scratch.
    a: Vec<f64>,
    q: Mat<f64>,
    evals: Diag<f64>,
    /// Free entries of `Z`: block offset `d`, entry `(r, c)` at `d*n*n + c*n + r`
    /// (the offset-0 block stored in full, symmetric).
    zc: Vec<f64>,
    zc_prev: Vec<f64>,
    mem: MemBuffer,
    /// Anderson acceleration of `(Z, U)`, packed with square-root multiplicity weights so
    /// that Euclidean norms are full-matrix Frobenius norms.
    anderson: Option<Anderson>,
    sqrt_weights: Vec<f64>,
    x_pack: Vec<f64>,
    g_pack: Vec<f64>,
    diagnostics: Diagnostics,
}

impl<'p> Admm<'p> {
    fn new(
        s: MatRef<'_, f64>,
        shape: BlockShape,
        params: &'p ValidGlassoParams,
        warm: Option<&WarmStart>,
        par: Par,
    ) -> Self {
        let dim = shape.dim();
        let n = shape.n;
        let mut s_sym = vec![0.0; dim * dim];
        for j in 0..dim {
            for i in 0..dim {
                s_sym[i + j * dim] = 0.5 * (s[(i, j)] + s[(j, i)]);
            }
        }
        let req = StackReq::any_of(&[
            self_adjoint_evd_scratch::<f64>(dim, ComputeEigenvectors::Yes, par, Default::default()),
            cholesky_in_place_scratch::<f64>(dim, par, Default::default()),
        ]);
        let mut admm = Self {
            shape,
            params,
            par,
            dim,
            rho: params.rho(),
            s: s_sym,
            theta: vec![0.0; dim * dim],
            z: vec![0.0; dim * dim],
            u: vec![0.0; dim * dim],
            a: vec![0.0; dim * dim],
            q: Mat::zeros(dim, dim),
            evals: Diag::zeros(dim),
            zc: vec![0.0; shape.w * n * n],
            zc_prev: vec![0.0; shape.w * n * n],
            mem: MemBuffer::new(req),
            anderson: None,
            sqrt_weights: Vec::new(),
            x_pack: Vec::new(),
            g_pack: Vec::new(),
            diagnostics: Diagnostics {
                iterations: 0,
                primal_residual: 0.0,
                dual_residual: 0.0,
                converged: false,
                used_theta_fallback: false,
                floored_eigenvalues: 0,
            },
        };
        if params.anderson_memory() > 0 {
            admm.init_anderson(params.anderson_memory());
        }
        if let Some(ws) = warm {
            admm.load_warm(ws);
        } else {
            if params.spectral_rho() {
                admm.spectral_rho();
            }
            admm.cold_init();
        }
        admm
    }

    /// Per-channel factors `d_c` that carry `ws` over to this solve's scale: the square roots
    /// of [`WarmStart::scale_ratios`].
    fn channel_scales(&self, ws: &WarmStart) -> Vec<f64> {
        ws.scale_ratios(&self.s, self.params.lambda())
            .into_iter()
            .map(f64::sqrt)
            .collect()
    }

    /// Starts from `ws` carried over to this solve's scale by its [`Self::channel_scales`].
    fn load_warm(&mut self, ws: &WarmStart) {
        let scales = self.channel_scales(ws);
        let dim = self.dim;
        let n = self.shape.n;
        // rho: re-estimated from the new S (spectral), else carried over (adaptive), else
        // the caller's fixed value. U is rescaled so that the unscaled dual rho * U is kept
        // (and carried over to the new scale: it has the units of S).
        let scale = if self.params.spectral_rho() {
            self.spectral_rho();
            ws.rho / self.rho
        } else if self.params.adaptive_rho() {
            self.rho = ws.rho;
            1.0
        } else {
            ws.rho / self.rho
        };
        // Z through its free entries, so that it is exactly Toeplitz.
        for d in 0..self.shape.w {
            for c in 0..n {
                for r in 0..n {
                    let (i, j) = if d == 0 {
                        (r.max(c), r.min(c))
                    } else {
                        (d * n + r, c)
                    };
                    self.zc[d * n * n + c * n + r] = ws.z[(i, j)] / (scales[r] * scales[c]);
                }
            }
        }
        self.expand_z();
        // U: the previous one rescaled as above, then the dual predictor: at a fixed point
        // rho * U = Z^-1 - S, so a change of S moves U by -(S_new - S_old) / rho; the first
        // Theta step then reproduces the old Theta.
        for j in 0..dim {
            for i in 0..dim {
                let f = scales[i % n] * scales[j % n];
                let k = i + j * dim;
                self.u[k] = f * scale * 0.5 * (ws.u[(i, j)] + ws.u[(j, i)]);
                let s_old = f * 0.5 * (ws.s[(i, j)] + ws.s[(j, i)]);
                self.u[k] -= (self.s[k] - s_old) / self.rho;
            }
        }
    }

    /// Sets rho to `sigma_min * sigma_max` of `S + lambda I` (rho has the units of
    /// `S^2`; this is the classic `sqrt(m L)` choice for the curvature `Theta^-1 (x) Theta^-1`
    /// of `-log det`, estimated from `S`). Keeps the given rho if the estimate fails.
    fn spectral_rho(&mut self) {
        let dim = self.dim;
        self.a.copy_from_slice(&self.s);
        let stack = MemStack::new(&mut self.mem);
        if self_adjoint_evd(
            MatRef::from_column_major_slice(&self.a, dim, dim),
            self.evals.as_mut(),
            None,
            self.par,
            stack,
            Default::default(),
        )
        .is_ok()
        {
            let ev = self.evals.column_vector();
            let lam = self.params.lambda();
            let lo = ev[0].max(0.0) + lam;
            let hi = ev[dim - 1].max(0.0) + lam;
            let r = lo * hi;
            if r.is_finite() && r > 0.0 {
                self.rho = r;
            }
        }
    }

    /// Cold start at `Z = diag(1 / (s_rr + lambda))` (the solution when lambda removes every
    /// off-diagonal entry), with `U = (Z^-1 - S) / rho` so that the first Theta step returns
    /// this Z: the optimum itself when the penalty zeroes everything off the diagonal.
    fn cold_init(&mut self) {
        let dim = self.dim;
        let n = self.shape.n;
        let w = self.shape.w;
        let lam = self.params.lambda();
        for r in 0..n {
            let mut m = 0.0;
            for i in 0..w {
                let k = i * n + r;
                m += self.s[k + k * dim];
            }
            let v = m / w as f64 + lam;
            self.zc[r * n + r] = 1.0 / v;
        }
        self.expand_z();
        for j in 0..dim {
            for i in 0..dim {
                let k = i + j * dim;
                let zinv = if i == j { 1.0 / self.z[k] } else { 0.0 };
                self.u[k] = (zinv - self.s[k]) / self.rho;
            }
        }
    }

    fn init_anderson(&mut self, memory: usize) {
        let (n, w, dim) = (self.shape.n, self.shape.w, self.dim);
        let mut weights = Vec::with_capacity(w * n * n + dim * (dim + 1) / 2);
        for d in 0..w {
            let mult = if d == 0 {
                w as f64
            } else {
                2.0 * (w - d) as f64
            };
            weights.extend(std::iter::repeat_n(mult.sqrt(), n * n));
        }
        for j in 0..dim {
            for i in j..dim {
                weights.push(if i == j { 1.0 } else { 2f64.sqrt() });
            }
        }
        let len = weights.len();
        self.anderson = Some(Anderson::new(memory, len));
        self.sqrt_weights = weights;
        self.x_pack = vec![0.0; len];
        self.g_pack = vec![0.0; len];
    }

    /// Packs `(zc, U lower)` into `out`, weighted.
    fn pack(zc: &[f64], u: &[f64], dim: usize, weights: &[f64], out: &mut [f64]) {
        let nz = zc.len();
        for (k, (o, &v)) in out[..nz].iter_mut().zip(zc).enumerate() {
            *o = v * weights[k];
        }
        let mut k = nz;
        for j in 0..dim {
            for i in j..dim {
                out[k] = u[i + j * dim] * weights[k];
                k += 1;
            }
        }
    }

    /// Inverse of [`Self::pack`] into `zc`, `U` (mirrored) and the full `Z`.
    fn unpack_g(&mut self) {
        let dim = self.dim;
        let nz = self.zc.len();
        for k in 0..nz {
            self.zc[k] = self.g_pack[k] / self.sqrt_weights[k];
        }
        let mut k = nz;
        for j in 0..dim {
            for i in j..dim {
                let v = self.g_pack[k] / self.sqrt_weights[k];
                self.u[i + j * dim] = v;
                self.u[j + i * dim] = v;
                k += 1;
            }
        }
        self.expand_z();
    }

    /// Writes the full `Z` from its free entries.
    fn expand_z(&mut self) {
        let dim = self.dim;
        let n = self.shape.n;
        for j in 0..dim {
            let (bj, c) = (j / n, j % n);
            for i in j..dim {
                let (bi, r) = (i / n, i % n);
                let v = self.zc[(bi - bj) * n * n + c * n + r];
                self.z[i + j * dim] = v;
                self.z[j + i * dim] = v;
            }
        }
    }

    fn run(&mut self) -> Result<(), GlassoError> {
        let p = self.shape.free_entries() as f64;
        let eps_abs = p.sqrt() * self.params.eps_abs();
        let eps_rel = self.params.eps_rel();
        let max_iters = self.params.max_iters();
        for iteration in 1..=max_iters {
            if self.anderson.is_some() {
                Self::pack(
                    &self.zc,
                    &self.u,
                    self.dim,
                    &self.sqrt_weights,
                    &mut self.x_pack,
                );
            }
            self.theta_step(iteration)?;
            std::mem::swap(&mut self.zc, &mut self.zc_prev);
            self.z_step();
            self.expand_z();
            let norms = self.dual_update();
            let r = norms.primal;
            let s = self.rho * self.z_change();
            self.diagnostics.iterations = iteration;
            self.diagnostics.primal_residual = r;
            self.diagnostics.dual_residual = s;
            if !(r.is_finite() && s.is_finite()) {
                return Err(GlassoError::Diverged { iteration });
            }
            let eps_pri = eps_abs + eps_rel * norms.theta.max(norms.z);
            let eps_dual = eps_abs + eps_rel * self.rho * norms.u;
            if r <= eps_pri && s <= eps_dual {
                self.diagnostics.converged = true;
                break;
            }
            let rho_before = self.rho;
            if self.params.adaptive_rho() && iteration <= BALANCE_ITERS {
                self.balance(r, s);
            }
            // The last iterate is always a plain step, so Z is exactly sparse.
            if iteration < max_iters.min(ANDERSON_ITERS) && self.anderson.is_some() {
                if self.rho != rho_before {
                    if let Some(aa) = self.anderson.as_mut() {
                        aa.reset();
                    }
                } else {
                    Self::pack(
                        &self.zc,
                        &self.u,
                        self.dim,
                        &self.sqrt_weights,
                        &mut self.g_pack,
                    );
                    if let Some(aa) = self.anderson.as_mut() {
                        aa.step(&self.x_pack, &mut self.g_pack);
                    }
                    self.unpack_g();
                }
            }
        }
        tracing::trace!(
            iterations = self.diagnostics.iterations,
            converged = self.diagnostics.converged,
            rho = self.rho,
            "toeplitz glasso admm finished"
        );
        Ok(())
    }

    /// `Theta = argmin -log det + tr(S Theta) + rho/2 ||Theta - Z + U||^2`.
    fn theta_step(&mut self, iteration: usize) -> Result<(), GlassoError> {
        let dim = self.dim;
        let rho = self.rho;
        for j in 0..dim {
            for i in j..dim {
                let k = i + j * dim;
                self.a[k] = rho * (self.z[k] - self.u[k]) - self.s[k];
            }
        }
        let stack = MemStack::new(&mut self.mem);
        self_adjoint_evd(
            MatRef::from_column_major_slice(&self.a, dim, dim),
            self.evals.as_mut(),
            Some(self.q.as_mut()),
            self.par,
            stack,
            Default::default(),
        )
        .map_err(|_| GlassoError::EigenDecomposition { iteration })?;
        // Theta = Q diag(f) Q^T = (Q diag(sqrt f)) (Q diag(sqrt f))^T, with f > 0.
        let evals = self.evals.column_vector();
        for k in 0..dim {
            let g = prox_logdet(evals[k], rho).sqrt();
            for x in self.q.col_as_slice_mut(k) {
                *x *= g;
            }
        }
        matmul(
            MatMut::from_column_major_slice_mut(&mut self.theta, dim, dim),
            BlockStructure::TriangularLower,
            Accum::Replace,
            self.q.as_ref(),
            BlockStructure::Rectangular,
            self.q.transpose(),
            BlockStructure::Rectangular,
            1.0,
            self.par,
        );
        for j in 0..dim {
            for i in j + 1..dim {
                self.theta[j + i * dim] = self.theta[i + j * dim];
            }
        }
        Ok(())
    }

    /// Over-relaxed `Theta` into `a`, then the free entries of `Z`: group mean of
    /// `a + U`, soft-thresholded by `lambda / rho`.
    fn z_step(&mut self) {
        let dim = self.dim;
        let n = self.shape.n;
        let w = self.shape.w;
        let alpha = self.params.over_relaxation();
        for j in 0..dim {
            for i in j..dim {
                let k = i + j * dim;
                self.a[k] = alpha * self.theta[k] + (1.0 - alpha) * self.z[k];
            }
        }
        let thr = self.params.lambda() / self.rho;
        let pen_diag = self.params.penalize_diagonal();
        for d in 0..w {
            let count = (w - d) as f64;
            for c in 0..n {
                let r0 = if d == 0 { c } else { 0 };
                for r in r0..n {
                    // The group is block (i, i-d), entry (r, c), i = d..w, mirrored in the
                    // upper triangle; both triangles hold the same values.
                    let mut sum = 0.0;
                    for i in d..w {
                        let k = (i * n + r) + ((i - d) * n + c) * dim;
                        sum += self.a[k] + self.u[k];
                    }
                    let mean = sum / count;
                    let v = if d == 0 && r == c && !pen_diag {
                        mean
                    } else {
                        soft(mean, thr)
                    };
                    self.zc[d * n * n + c * n + r] = v;
                    if d == 0 {
                        self.zc[r * n + c] = v;
                    }
                }
            }
        }
    }

    /// `U += a - Z` (a = over-relaxed Theta) and the Frobenius norms the stopping rule needs.
    fn dual_update(&mut self) -> Norms {
        let dim = self.dim;
        let mut acc = [0.0f64; 4];
        for j in 0..dim {
            for i in j..dim {
                let k = i + j * dim;
                let wgt = if i == j { 1.0 } else { 2.0 };
                let z = self.z[k];
                let t = self.theta[k];
                let u = self.u[k] + self.a[k] - z;
                self.u[k] = u;
                self.u[j + i * dim] = u;
                acc[0] += wgt * (t - z) * (t - z);
                acc[1] += wgt * t * t;
                acc[2] += wgt * z * z;
                acc[3] += wgt * u * u;
            }
        }
        Norms {
            primal: acc[0].sqrt(),
            theta: acc[1].sqrt(),
            z: acc[2].sqrt(),
            u: acc[3].sqrt(),
        }
    }

    /// `||Z - Z_prev||_F` over the full matrix, from the free entries and their multiplicities.
    fn z_change(&self) -> f64 {
        let n = self.shape.n;
        let w = self.shape.w;
        let mut total = 0.0;
        for d in 0..w {
            let mult = if d == 0 {
                w as f64
            } else {
                2.0 * (w - d) as f64
            };
            let block = d * n * n..(d + 1) * n * n;
            let ss: f64 = self.zc[block.clone()]
                .iter()
                .zip(&self.zc_prev[block])
                .map(|(a, b)| (a - b) * (a - b))
                .sum();
            total += mult * ss;
        }
        total.sqrt()
    }

    /// Residual balancing; rescales U so that the unscaled dual `rho * U` is unchanged.
    fn balance(&mut self, r: f64, s: f64) {
        let factor = if r > BALANCE_MU * s {
            BALANCE_TAU
        } else if s > BALANCE_MU * r {
            1.0 / BALANCE_TAU
        } else {
            return;
        };
        self.rho *= factor;
        let inv = 1.0 / factor;
        for x in &mut self.u {
            *x *= inv;
        }
    }

    /// Whether the column-major `m` is positive definite with a margin: its Cholesky
    /// factorisation (in the work buffer) succeeds and every pivot is at least
    /// [`PD_MARGIN`] times the largest diagonal entry.
    fn is_safely_positive_definite(&mut self, m: &[f64]) -> bool {
        let dim = self.dim;
        let max_diag = (0..dim).map(|i| m[i + i * dim]).fold(0.0f64, f64::max);
        self.a.copy_from_slice(m);
        let stack = MemStack::new(&mut self.mem);
        let ok = cholesky_in_place(
            MatMut::from_column_major_slice_mut(&mut self.a, dim, dim),
            LltRegularization::default(),
            self.par,
            stack,
            Default::default(),
        )
        .is_ok();
        ok && (0..dim).all(|i| {
            let l = self.a[i + i * dim];
            l * l >= PD_MARGIN * max_diag
        })
    }

    /// `Theta` with its eigenvalues raised to [`EIGEN_FLOOR`] times the largest, and how many
    /// were raised. `Theta` is `Q diag(f) Q^T` with `f > 0`, but rebuilt from eigenvalues
    /// that span more decades than rounding keeps (lambda = 0 on a nearly singular
    /// covariance), it can lose definiteness.
    fn floored_theta(&mut self) -> Result<(Mat<f64>, usize), GlassoError> {
        let dim = self.dim;
        let stack = MemStack::new(&mut self.mem);
        self_adjoint_evd(
            MatRef::from_column_major_slice(&self.theta, dim, dim),
            self.evals.as_mut(),
            Some(self.q.as_mut()),
            self.par,
            stack,
            Default::default(),
        )
        .map_err(|_| GlassoError::EigenDecomposition {
            iteration: self.diagnostics.iterations,
        })?;
        let evals = self.evals.column_vector();
        let largest = (0..dim).map(|k| evals[k]).fold(0.0f64, f64::max);
        if !(largest > 0.0 && largest.is_finite()) {
            return Err(GlassoError::Diverged {
                iteration: self.diagnostics.iterations,
            });
        }
        let floor = EIGEN_FLOOR * largest;
        let mut raised = 0;
        let values: Vec<f64> = (0..dim)
            .map(|k| {
                if evals[k] < floor {
                    raised += 1;
                    floor
                } else {
                    evals[k]
                }
            })
            .collect();
        let q = &self.q;
        let mut out = Mat::from_fn(dim, dim, |i, j| {
            (0..dim)
                .map(|k| q[(i, k)] * values[k] * q[(j, k)])
                .sum::<f64>()
        });
        for j in 0..dim {
            for i in j + 1..dim {
                let v = 0.5 * (out[(i, j)] + out[(j, i)]);
                out[(i, j)] = v;
                out[(j, i)] = v;
            }
        }
        Ok((out, raised))
    }

    fn into_solution(mut self) -> Result<Solution, GlassoError> {
        let dim = self.dim;
        let from = |v: &Vec<f64>| Mat::from_fn(dim, dim, |i, j| v[i + j * dim]);
        let z = std::mem::take(&mut self.z);
        let use_z = self.is_safely_positive_definite(&z);
        self.z = z;
        self.diagnostics.used_theta_fallback = !use_z;
        let precision = if use_z {
            from(&self.z)
        } else {
            tracing::debug!(
                iterations = self.diagnostics.iterations,
                "Z is not positive definite; returning Theta"
            );
            let theta = std::mem::take(&mut self.theta);
            let theta_ok = self.is_safely_positive_definite(&theta);
            self.theta = theta;
            if theta_ok {
                from(&self.theta)
            } else {
                let (floored, raised) = self.floored_theta()?;
                tracing::debug!(
                    raised,
                    "Theta lost definiteness to rounding; eigenvalues floored"
                );
                self.diagnostics.floored_eigenvalues = raised;
                floored
            }
        };
        Ok(Solution {
            precision,
            warm: WarmStart {
                shape: self.shape,
                z: from(&self.z),
                u: from(&self.u),
                s: from(&self.s),
                rho: self.rho,
            },
            diagnostics: self.diagnostics,
        })
    }
}

struct Norms {
    primal: f64,
    theta: f64,
    z: f64,
    u: f64,
}
