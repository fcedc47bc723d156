//! What a solve returns, whichever method ran: the estimate, the state to warm-start the
//! next solve from, and diagnostics.

use faer::{Mat, MatRef};

use crate::BlockShape;

/// The returned precision's Cholesky pivots must be at least this fraction of its largest
/// diagonal entry: a matrix that passes one Cholesky only by rounding may fail another (the
/// scorer's, in another variable order), so "positive definite" keeps a margin.
pub(crate) const PD_MARGIN: f64 = 1e-12;

/// The state a later solve can start from: the previous `Z`, the scaled dual `U`, the `rho`
/// that `U` is scaled by, and the covariance they were fitted to.
#[derive(Clone, Debug)]
pub struct WarmStart {
    pub(crate) shape: BlockShape,
    pub(crate) z: Mat<f64>,
    pub(crate) u: Mat<f64>,
    pub(crate) s: Mat<f64>,
    pub(crate) rho: f64,
}

impl WarmStart {
    /// Per-channel ratios `d_c^2` that carry this warm start over to the covariance `s`
    /// (column-major, `n*w` square, of this shape): the ratio of the channel's summed variance
    /// plus `lambda` (the scale the cold start gives the channel) in `s` to that in the
    /// covariance this state was fitted to, or 1 when that is not a positive finite number. A
    /// precision scales as `D^-1 Theta D^-1` when a covariance scales as `D S D`, with `D`
    /// constant over a channel's lags, so the carried-over start stays block Toeplitz.
    /// Without it, a warm start from a covariance 100 times larger put ADMM's first `Z` step
    /// about 80 times too far, and ADMM walked back by about `1 / rho` per iteration, into its
    /// iteration cap.
    pub(crate) fn scale_ratios(&self, s: &[f64], lambda: f64) -> Vec<f64> {
        let n = self.shape.n;
        let dim = self.shape.dim();
        (0..n)
            .map(|c| {
                let (mut new, mut old) = (0.0, 0.0);
                for i in (c..dim).step_by(n) {
                    new += s[i + i * dim] + lambda;
                    old += self.s[(i, i)] + lambda;
                }
                let ratio = new / old;
                if ratio.is_finite() && ratio > 0.0 {
                    ratio
                } else {
                    1.0
                }
            })
            .collect()
    }

    /// The block shape of the solve that produced this state.
    pub fn shape(&self) -> BlockShape {
        self.shape
    }
    /// The last `Z` iterate (exactly block Toeplitz and symmetric).
    pub fn z(&self) -> MatRef<'_, f64> {
        self.z.as_ref()
    }
    /// The last scaled dual iterate `U` (the unscaled dual is `rho * U`).
    pub fn u(&self) -> MatRef<'_, f64> {
        self.u.as_ref()
    }
    /// The penalty `rho` in force at the end of the solve.
    pub fn rho(&self) -> f64 {
        self.rho
    }
    /// The (symmetrised) covariance `S` of the solve that produced this state.
    pub fn covariance(&self) -> MatRef<'_, f64> {
        self.s.as_ref()
    }
}

/// How a solve went.
#[derive(Clone, Debug)]
pub struct Diagnostics {
    /// Iterations run: of ADMM, or Newton steps of the one-channel method (at least 1).
    pub iterations: usize,
    /// Final primal residual: ADMM's `||Theta - Z||_F`; Newton's last step measured (when
    /// converged, the step that met the rule, then taken if the objective accepts it in full
    /// and the rule holds at its end), Frobenius norms.
    pub primal_residual: f64,
    /// Final dual residual: ADMM's `rho * ||Z - Z_prev||_F`; Newton's least-norm subgradient
    /// (Frobenius norm of its entrywise mean over the tied entries).
    pub dual_residual: f64,
    /// Whether the stopping rule was met within `max_iters`.
    pub converged: bool,
    /// True when `Z` was not positive definite and `Theta` was returned instead.
    pub used_theta_fallback: bool,
    /// Eigenvalues of `Theta` raised to `1e-10` times the largest because `Theta`, positive
    /// definite in exact arithmetic, did not survive rounding (0 almost always; only with
    /// `used_theta_fallback`).
    pub floored_eigenvalues: usize,
}

/// The estimate of one solve, the state to warm-start the next one from, and diagnostics.
#[derive(Clone, Debug)]
pub struct Solution {
    /// The sparse block-Toeplitz precision matrix (`Z`, or `Theta` on fallback).
    pub precision: Mat<f64>,
    /// State for warm-starting a later solve on a similar covariance.
    pub warm: WarmStart,
    /// Iterations, residuals, convergence and fallback.
    pub diagnostics: Diagnostics,
}
