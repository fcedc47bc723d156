//! Parameters of the block-Toeplitz graphical lasso ADMM: builder and checked form.

use crate::GlassoError;

/// Default memory of the Anderson acceleration.
const ANDERSON_DEFAULT: usize = 5;

/// Which method solves the problem. Both reach the same unique optimum; they differ in the
/// path and the cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Solver {
    /// A proximal Newton method on the `w` free numbers when there is one channel
    /// (`n = 1`: each iteration costs a Cholesky factorisation and an FFT of a `w x w`
    /// problem, and few are needed), ADMM otherwise. The default.
    #[default]
    Auto,
    /// ADMM whatever the shape (the reference's method; the ADMM settings below apply only
    /// to it).
    Admm,
}

/// Builder for the solver parameters (the tolerances and the iteration cap govern both
/// methods; the rest is ADMM's); only its checked form [`ValidGlassoParams`] can run.
#[derive(Clone, Debug)]
pub struct GlassoParams {
    lambda: f64,
    rho: f64,
    max_iters: usize,
    eps_abs: f64,
    eps_rel: f64,
    adaptive_rho: bool,
    spectral_rho: bool,
    over_relaxation: f64,
    penalize_diagonal: bool,
    anderson_memory: usize,
    solver: Solver,
}

impl GlassoParams {
    /// Parameters with sparsity weight `lambda` (no default: it is the model's main
    /// choice; the reference uses 1e-3 for CASC and 0.11 for TICC). Must be finite and >= 0.
    pub fn new(lambda: f64) -> Self {
        Self {
            lambda,
            rho: 1.0,
            max_iters: 1000,
            eps_abs: 1e-6,
            eps_rel: 1e-6,
            adaptive_rho: true,
            spectral_rho: true,
            over_relaxation: 1.6,
            penalize_diagonal: true,
            anderson_memory: ANDERSON_DEFAULT,
            solver: Solver::Auto,
        }
    }

    /// The method ([`Solver`]). Default [`Solver::Auto`].
    pub fn solver(mut self, solver: Solver) -> Self {
        self.solver = solver;
        self
    }

    /// ADMM penalty `rho` of a cold start when `spectral_rho(false)` (and of every solve,
    /// held fixed, when also `adaptive_rho(false)`). Default 1.0, as the reference. Must be
    /// finite and > 0.
    pub fn rho(mut self, rho: f64) -> Self {
        self.rho = rho;
        self
    }

    /// Maximum ADMM iterations. Default 1000, as the reference. Must be >= 1.
    pub fn max_iters(mut self, max_iters: usize) -> Self {
        self.max_iters = max_iters;
        self
    }

    /// Absolute stopping tolerance (scaled by the square root of the number of free
    /// entries). Default 1e-6. Must be finite and >= 0, and not both tolerances 0.
    pub fn eps_abs(mut self, eps_abs: f64) -> Self {
        self.eps_abs = eps_abs;
        self
    }

    /// Relative stopping tolerance. Default 1e-6. Must be finite and >= 0, and not both
    /// tolerances 0.
    pub fn eps_rel(mut self, eps_rel: f64) -> Self {
        self.eps_rel = eps_rel;
        self
    }

    /// Adapt `rho` by residual balancing during the first 200 iterations (Boyd et al. 2011,
    /// section 3.4.1: mu = 10, tau = 2), which changes the path but not the solution.
    /// Default true; false keeps `rho` fixed.
    pub fn adaptive_rho(mut self, adaptive: bool) -> Self {
        self.adaptive_rho = adaptive;
        self
    }

    /// Begin each solve (cold or warm) with `rho = sigma_min * sigma_max` of `S + lambda I`
    /// (one extra eigenvalue computation) instead of the `rho` setting or the warm start's
    /// rho; it usually saves most iterations. Default true; false together with
    /// `adaptive_rho(false)` runs the reference's fixed `rho`.
    pub fn spectral_rho(mut self, spectral: bool) -> Self {
        self.spectral_rho = spectral;
        self
    }

    /// Over-relaxation factor `alpha` of the Z and U steps (Boyd et al. 2011, section
    /// 3.4.3); 1.0 is plain ADMM. Default 1.6. Must be in (0, 2).
    pub fn over_relaxation(mut self, alpha: f64) -> Self {
        self.over_relaxation = alpha;
        self
    }

    /// Whether `lambda` also applies to the diagonal entries. Default true: the objective
    /// of docs/method.md section 3 penalises every entry, as the reference does.
    pub fn penalize_diagonal(mut self, penalize: bool) -> Self {
        self.penalize_diagonal = penalize;
        self
    }

    /// Memory of the safeguarded Anderson acceleration of the `(Z, U)` iteration (0 turns it
    /// off). It changes the path, not the fixed point, and the last iterate is always a
    /// plain ADMM step. Default 5. Must be at most 20.
    pub fn anderson_memory(mut self, memory: usize) -> Self {
        self.anderson_memory = memory;
        self
    }

    /// Checks every parameter and returns the runnable form, or the first invalid parameter.
    pub fn check(&self) -> Result<ValidGlassoParams, GlassoError> {
        let invalid = |name, value, allowed| {
            Err(GlassoError::InvalidParameter {
                name,
                value,
                allowed,
            })
        };
        if !(self.lambda.is_finite() && self.lambda >= 0.0) {
            return invalid("lambda", self.lambda, "finite and >= 0");
        }
        if !(self.rho.is_finite() && self.rho > 0.0) {
            return invalid("rho", self.rho, "finite and > 0");
        }
        if self.max_iters == 0 {
            return invalid("max_iters", 0.0, ">= 1");
        }
        if !(self.eps_abs.is_finite() && self.eps_abs >= 0.0) {
            return invalid("eps_abs", self.eps_abs, "finite and >= 0");
        }
        if !(self.eps_rel.is_finite() && self.eps_rel >= 0.0) {
            return invalid("eps_rel", self.eps_rel, "finite and >= 0");
        }
        if self.eps_abs == 0.0 && self.eps_rel == 0.0 {
            return invalid("eps_abs", 0.0, "> 0 when eps_rel is 0");
        }
        if !(self.over_relaxation > 0.0 && self.over_relaxation < 2.0) {
            return invalid("over_relaxation", self.over_relaxation, "in (0, 2)");
        }
        if self.anderson_memory > 20 {
            return invalid("anderson_memory", self.anderson_memory as f64, "<= 20");
        }
        Ok(ValidGlassoParams {
            lambda: self.lambda,
            rho: self.rho,
            max_iters: self.max_iters,
            eps_abs: self.eps_abs,
            eps_rel: self.eps_rel,
            adaptive_rho: self.adaptive_rho,
            spectral_rho: self.spectral_rho,
            over_relaxation: self.over_relaxation,
            penalize_diagonal: self.penalize_diagonal,
            anderson_memory: self.anderson_memory,
            solver: self.solver,
        })
    }
}

/// Checked ADMM parameters, produced by [`GlassoParams::check`].
#[derive(Clone, Debug)]
pub struct ValidGlassoParams {
    lambda: f64,
    rho: f64,
    max_iters: usize,
    eps_abs: f64,
    eps_rel: f64,
    adaptive_rho: bool,
    spectral_rho: bool,
    over_relaxation: f64,
    penalize_diagonal: bool,
    anderson_memory: usize,
    solver: Solver,
}

impl ValidGlassoParams {
    /// Sparsity weight lambda.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }
    /// Initial (or fixed) ADMM penalty rho.
    pub fn rho(&self) -> f64 {
        self.rho
    }
    /// Maximum ADMM iterations.
    pub fn max_iters(&self) -> usize {
        self.max_iters
    }
    /// Absolute stopping tolerance.
    pub fn eps_abs(&self) -> f64 {
        self.eps_abs
    }
    /// Relative stopping tolerance.
    pub fn eps_rel(&self) -> f64 {
        self.eps_rel
    }
    /// Whether rho adapts by residual balancing.
    pub fn adaptive_rho(&self) -> bool {
        self.adaptive_rho
    }
    /// Whether each solve begins from the spectral estimate of rho.
    pub fn spectral_rho(&self) -> bool {
        self.spectral_rho
    }
    /// Over-relaxation factor alpha (1.0 = plain ADMM).
    pub fn over_relaxation(&self) -> f64 {
        self.over_relaxation
    }
    /// Memory of the Anderson acceleration (0 = off).
    pub fn anderson_memory(&self) -> usize {
        self.anderson_memory
    }
    /// The method.
    pub fn solver(&self) -> Solver {
        self.solver
    }
    /// Whether lambda applies to diagonal entries.
    pub fn penalize_diagonal(&self) -> bool {
        self.penalize_diagonal
    }
    /// The same parameters with both stopping tolerances at least `eps` (a looser solve for
    /// the early iterations of an EM loop, whose M-steps need not be exact: the answer moves
    /// to the same fixed point, only less far). Tighter tolerances than the current are
    /// ignored.
    pub fn loosened(&self, eps: f64) -> Self {
        let mut p = self.clone();
        if eps.is_finite() && eps > 0.0 {
            p.eps_abs = p.eps_abs.max(eps);
            p.eps_rel = p.eps_rel.max(eps);
        }
        p
    }

    /// The same parameters with at most `max_iters` ADMM iterations (at least 1; more than
    /// the current cap is ignored).
    pub fn capped(&self, max_iters: usize) -> Self {
        let mut p = self.clone();
        p.max_iters = p.max_iters.min(max_iters.max(1));
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(p: GlassoParams, expected: &str) {
        match p.check() {
            Err(GlassoError::InvalidParameter { name, .. }) => assert_eq!(name, expected),
            other => panic!("expected InvalidParameter({expected}), got {other:?}"),
        }
    }

    #[test]
    fn loosened_and_capped_only_relax() {
        let v = GlassoParams::new(0.1).check().unwrap();
        let r = v.loosened(1e-3).capped(100);
        assert_eq!((r.eps_abs(), r.eps_rel(), r.max_iters()), (1e-3, 1e-3, 100));
        // Tighter tolerances and a higher cap than the current ones are ignored; 0 means 1.
        let t = r.loosened(1e-9).capped(5_000);
        assert_eq!((t.eps_abs(), t.eps_rel(), t.max_iters()), (1e-3, 1e-3, 100));
        assert_eq!(v.capped(0).max_iters(), 1);
        assert_eq!(r.lambda(), v.lambda());
    }

    #[test]
    fn defaults_are_documented_values() {
        let v = GlassoParams::new(0.1).check().unwrap();
        assert_eq!(v.lambda(), 0.1);
        assert_eq!(v.rho(), 1.0);
        assert_eq!(v.max_iters(), 1000);
        assert_eq!(v.eps_abs(), 1e-6);
        assert_eq!(v.eps_rel(), 1e-6);
        assert!(v.adaptive_rho());
        assert!(v.spectral_rho());
        assert_eq!(v.over_relaxation(), 1.6);
        assert!(v.penalize_diagonal());
        assert_eq!(v.anderson_memory(), 5);
    }

    #[test]
    fn each_invalid_parameter_is_named() {
        rejected(GlassoParams::new(-1.0), "lambda");
        rejected(GlassoParams::new(f64::NAN), "lambda");
        rejected(GlassoParams::new(f64::INFINITY), "lambda");
        rejected(GlassoParams::new(0.1).rho(0.0), "rho");
        rejected(GlassoParams::new(0.1).rho(f64::NAN), "rho");
        rejected(GlassoParams::new(0.1).max_iters(0), "max_iters");
        rejected(GlassoParams::new(0.1).eps_abs(-1e-6), "eps_abs");
        rejected(GlassoParams::new(0.1).eps_rel(f64::NAN), "eps_rel");
        rejected(GlassoParams::new(0.1).eps_abs(0.0).eps_rel(0.0), "eps_abs");
        rejected(
            GlassoParams::new(0.1).over_relaxation(2.0),
            "over_relaxation",
        );
        rejected(
            GlassoParams::new(0.1).over_relaxation(0.0),
            "over_relaxation",
        );
    }

    #[test]
    fn error_message_names_parameter_value_and_range() {
        let e = GlassoParams::new(0.1).rho(-2.0).check().unwrap_err();
        assert_eq!(
            e.to_string(),
            "parameter `rho` = -2 is invalid: allowed finite and > 0"
        );
    }
}
