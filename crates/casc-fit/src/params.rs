//! Parameters of a fit: a builder that documents each default and checks into [`ValidFitParams`].
//!
//! A leaf of the crate (besides the error type).

use casc_glasso::{GlassoParams, ValidGlassoParams};
use casc_motif::{Correction, MotifParams, Null, StageDurations, ValidMotifParams};

use crate::error::{FitError, ParamError};

/// The switching penalty `beta`, in cost units (twice the negative log-likelihood).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Beta {
    /// Used as given.
    Fixed(f64),
    /// Estimated from the data (the switching rate of the fitted segmentation, scaled by the
    /// residuals' autocorrelation time), starting from `start`.
    Estimated {
        /// Where the estimate starts.
        start: f64,
    },
}

impl Beta {
    /// The CASC paper's value on its synthetic data, where the estimate starts by default.
    pub const PAPER: f64 = 25.0;

    /// Estimated from the data, starting from the paper's 25 (the default).
    pub fn estimated() -> Self {
        Beta::Estimated { start: Self::PAPER }
    }

    /// The value given, or where the estimate starts.
    pub fn value(self) -> f64 {
        match self {
            Beta::Fixed(b) | Beta::Estimated { start: b } => b,
        }
    }
}

/// The number of states `K`: given, or chosen from the data in a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum States {
    /// Exactly `K` states (at least 1).
    Fixed(usize),
    /// The number in `min..=max` that the data supports best, by a held-out likelihood along
    /// a path that merges states down from `max` (see the method's description).
    Auto {
        /// The fewest states considered (at least 1).
        min: usize,
        /// The most states considered.
        max: usize,
    },
}

impl States {
    /// The default range of [`States::auto`].
    pub const DEFAULT_MAX: usize = 12;

    /// Chosen from the data among 1 to [`States::DEFAULT_MAX`].
    pub fn auto() -> Self {
        States::Auto {
            min: 1,
            max: Self::DEFAULT_MAX,
        }
    }
}

impl From<usize> for States {
    /// A number is a fixed number of states.
    fn from(k: usize) -> Self {
        States::Fixed(k)
    }
}

/// The window: how many consecutive observations a state's Gaussian spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// `w` observations (at least 1), no pooling.
    Fixed(usize),
    /// Chosen from the data: a span covering the period (one sensor) or the decorrelation
    /// time (several), pooled into at most 8 lags (see the method's description).
    Auto,
}

impl From<usize> for Window {
    /// A number is a fixed window.
    fn from(w: usize) -> Self {
        Window::Fixed(w)
    }
}

/// What a state's mean over the window may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateMean {
    /// The same value at every position of the window, per sensor, like the block-Toeplitz
    /// precision: a window of a periodic signal is scored alike whatever its phase (default).
    #[default]
    Stationary,
    /// A free vector over the window's `n * w` values (the reference's).
    Free,
}

/// How a timestep is scored under a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Costs {
    /// By the window of `w` observations that starts at it (TICC's cost; each observation
    /// is counted in `w` windows).
    #[default]
    Window,
    /// Given the `w - 1` observations before it, under the state's Gaussian over windows:
    /// the costs of a stretch in one state add up to its log-likelihood, each observation
    /// counted once (an autoregressive HMM's emission).
    Conditional,
}

impl From<f64> for Beta {
    /// A number is a fixed penalty.
    fn from(b: f64) -> Self {
        Beta::Fixed(b)
    }
}

/// Builder for the parameters of a fit. Only the number of states has no default.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FitParams {
    n_states: States,
    window: Window,
    #[serde(default)]
    mean: StateMean,
    #[serde(default)]
    costs: Costs,
    lambda: f64,
    beta: Beta,
    max_iters: usize,
    motifs: bool,
    gamma: f64,
    motif_min_instances: usize,
    max_motifs: usize,
    motif_iters: usize,
    #[serde(default)]
    motif_null: Null,
    #[serde(default)]
    motif_correction: Correction,
    #[serde(default)]
    stage_durations: StageDurations,
    seed: u64,
    init_restarts: usize,
    standardize: bool,
    split_merge: bool,
}

impl FitParams {
    /// Parameters for `n_states` states (a number, or [`States::auto`] to choose it from the
    /// data) with the CASC paper's synthetic-data defaults.
    pub fn new(n_states: impl Into<States>) -> Self {
        Self {
            n_states: n_states.into(),
            window: Window::Auto,
            mean: StateMean::Stationary,
            costs: Costs::Window,
            lambda: 1e-3,
            beta: Beta::estimated(),
            max_iters: 15,
            motifs: true,
            gamma: 0.8,
            motif_min_instances: 10,
            max_motifs: 50,
            motif_iters: 10,
            motif_null: Null::default(),
            motif_correction: Correction::default(),
            stage_durations: StageDurations::default(),
            seed: 0,
            init_restarts: 4,
            standardize: false,
            split_merge: true,
        }
    }

    /// The window: a number `w` (consecutive observations per stacked window), or
    /// [`Window::Auto`] (chosen from the data, the default). A window of 1 is the CASC
    /// paper's setting.
    pub fn window(mut self, w: impl Into<Window>) -> Self {
        self.window = w.into();
        self
    }
    /// What a state's mean over the window may be. Default [`StateMean::Stationary`];
    /// [`StateMean::Free`] is the reference's (no difference with a window of 1).
    pub fn mean(mut self, mean: StateMean) -> Self {
        self.mean = mean;
        self
    }
    /// How a timestep is scored under a state. Default [`Costs::Window`] (TICC's).
    pub fn costs(mut self, costs: Costs) -> Self {
        self.costs = costs;
        self
    }
    /// Sparsity penalty `lambda` of the graphical lasso. Default 1e-3.
    pub fn lambda(mut self, lambda: f64) -> Self {
        self.lambda = lambda;
        self
    }
    /// Switching penalty `beta`: a number (`25.0`, or [`Beta::Fixed`]) is used as given;
    /// [`Beta::Estimated`] estimates it from the data. Default: estimated, starting from the
    /// paper's 25.
    pub fn beta(mut self, beta: impl Into<Beta>) -> Self {
        self.beta = beta.into();
        self
    }
    /// Maximum EM iterations of phase 1 (plain TICC). Default 15.
    pub fn max_iters(mut self, n: usize) -> Self {
        self.max_iters = n;
        self
    }
    /// Whether to run phase 2, the motif phase. Default true.
    pub fn motifs(mut self, on: bool) -> Self {
        self.motifs = on;
        self
    }
    /// Motif aggressiveness `gamma` in (0, 1]; lower repairs more. Default 0.8.
    pub fn gamma(mut self, gamma: f64) -> Self {
        self.gamma = gamma;
        self
    }
    /// Instances a motif needs to be kept. Default 10.
    pub fn motif_min_instances(mut self, n: usize) -> Self {
        self.motif_min_instances = n;
        self
    }
    /// Candidate motifs kept per iteration. Default 50.
    pub fn max_motifs(mut self, n: usize) -> Self {
        self.max_motifs = n;
        self
    }
    /// Maximum EM iterations of phase 2. Default 10.
    pub fn motif_iters(mut self, n: usize) -> Self {
        self.motif_iters = n;
        self
    }
    /// The null model of the motifs' significance test. Default [`Null::Markov`] (a
    /// first-order chain over segments); [`Null::Independent`] is the reference's.
    pub fn motif_null(mut self, null: Null) -> Self {
        self.motif_null = null;
        self
    }
    /// The correction for testing many candidate motifs. Default [`Correction::Bonferroni`];
    /// [`Correction::BenjaminiHochberg`] controls the false discovery rate instead.
    pub fn motif_correction(mut self, correction: Correction) -> Self {
        self.motif_correction = correction;
        self
    }
    /// How segment and motif-stage durations count. Default [`StageDurations::Minimum`]
    /// with fraction 0.25 (flicker shorter than a quarter of the typical segment is no
    /// stage); [`StageDurations::Ignored`] is the reference's.
    pub fn stage_durations(mut self, durations: StageDurations) -> Self {
        self.stage_durations = durations;
        self
    }
    /// Seed of every random choice (initialisation, re-seeding of empty states). Default 0.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// k-means++ restarts of the initialisation. Default 4.
    pub fn init_restarts(mut self, n: usize) -> Self {
        self.init_restarts = n;
        self
    }
    /// Standardise every sensor to mean 0 and standard deviation 1 before fitting (the model
    /// remembers the scales and applies them when predicting). Default false.
    pub fn standardize(mut self, on: bool) -> Self {
        self.standardize = on;
        self
    }

    /// Split-and-merge refinement after phase 1: proposals that merge two similar states and
    /// split a heterogeneous one, kept when EM from them lowers the objective. Default true.
    pub fn split_merge(mut self, on: bool) -> Self {
        self.split_merge = on;
        self
    }

    /// Checks every parameter's range; data-dependent limits are checked by the fit.
    pub fn check(&self) -> Result<ValidFitParams, ParamError> {
        match self.n_states {
            States::Fixed(0) => {
                return Err(ParamError::new("states", 0, "must be at least 1"));
            }
            States::Auto { min, max } if min == 0 || min > max => {
                return Err(ParamError::new(
                    "states",
                    format!("{min}..{max}"),
                    "must be a range of at least 1 state, the smaller bound first",
                ));
            }
            _ => {}
        }
        if self.window == Window::Fixed(0) {
            return Err(ParamError::new("window", 0, "must be at least 1 (or auto)"));
        }
        if !(self.lambda.is_finite() && self.lambda >= 0.0) {
            return Err(ParamError::new(
                "lambda",
                self.lambda,
                "must be finite and >= 0",
            ));
        }
        let b = self.beta.value();
        if !(b.is_finite() && b >= 0.0) {
            return Err(ParamError::new("beta", b, "must be finite and >= 0"));
        }
        if self.max_iters == 0 {
            return Err(ParamError::new(
                "max-iters",
                self.max_iters,
                "must be at least 1",
            ));
        }
        if !(self.gamma > 0.0 && self.gamma <= 1.0) {
            return Err(ParamError::new("gamma", self.gamma, "must be in (0, 1]"));
        }
        if self.motif_min_instances == 0 {
            return Err(ParamError::new(
                "motif-min-instances",
                self.motif_min_instances,
                "must be at least 1",
            ));
        }
        if self.max_motifs == 0 {
            return Err(ParamError::new(
                "max-motifs",
                self.max_motifs,
                "must be at least 1",
            ));
        }
        if self.motifs && self.motif_iters == 0 {
            return Err(ParamError::new(
                "motif-iters",
                self.motif_iters,
                "must be at least 1 (use --no-motifs to skip the motif phase)",
            ));
        }
        if self.init_restarts == 0 {
            return Err(ParamError::new(
                "init-restarts",
                self.init_restarts,
                "must be at least 1",
            ));
        }
        // The stage crates check again; their errors name their own parameter.
        let glasso = GlassoParams::new(self.lambda)
            .check()
            .map_err(|e| match e {
                casc_glasso::GlassoError::InvalidParameter {
                    name,
                    value,
                    allowed,
                } => ParamError::new(name, value, allowed),
                other => ParamError::new("lambda", self.lambda, other.to_string()),
            })?;
        self.motif_params(b)?;
        Ok(ValidFitParams {
            raw: self.clone(),
            glasso,
        })
    }

    /// The motif step's parameters with switching penalty `beta`.
    fn motif_params(&self, beta: f64) -> Result<ValidMotifParams, ParamError> {
        MotifParams::new(beta)
            .gamma(self.gamma)
            .min_instances(self.motif_min_instances)
            .max_motifs(self.max_motifs)
            .null(self.motif_null)
            .correction(self.motif_correction)
            .durations(self.stage_durations)
            .check()
            .map_err(|e| match e {
                casc_motif::MotifError::InvalidParameter {
                    name,
                    value,
                    allowed,
                } => ParamError::new(name, value, allowed),
                other => ParamError::new("gamma", self.gamma, other.to_string()),
            })
    }
}

/// Checked parameters: the only form a fit accepts. Serialised as the [`FitParams`] they were
/// checked from, and checked again when deserialised.
#[derive(Clone, Debug)]
pub struct ValidFitParams {
    raw: FitParams,
    glasso: ValidGlassoParams,
}

impl PartialEq for ValidFitParams {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl ValidFitParams {
    /// The builder these were checked from (for reports and model files).
    pub fn raw(&self) -> &FitParams {
        &self.raw
    }
    /// Number of states `K` when it is given; the largest of the range when it is chosen.
    pub fn n_states(&self) -> usize {
        match self.raw.n_states {
            States::Fixed(k) => k,
            States::Auto { max, .. } => max,
        }
    }
    /// The number of states as given: fixed, or a range to choose from.
    pub fn states(&self) -> States {
        self.raw.n_states
    }
    /// The same parameters choosing the number of states in `min..=max`.
    pub(crate) fn with_state_range(&self, min: usize, max: usize) -> Result<Self, FitError> {
        let mut raw = self.raw.clone();
        raw.n_states = States::Auto { min, max };
        Ok(raw.check()?)
    }
    /// The same parameters with `k` states (along the choice of the number of states).
    pub(crate) fn with_states(&self, k: usize) -> Result<Self, FitError> {
        let mut raw = self.raw.clone();
        raw.n_states = States::Fixed(k);
        Ok(raw.check()?)
    }
    /// The window as given.
    pub fn window(&self) -> Window {
        self.raw.window
    }
    /// The window length when it is fixed (the fit resolves [`Window::Auto`] to a fixed
    /// window before it runs); 1 for `Auto`.
    pub(crate) fn window_len(&self) -> usize {
        match self.raw.window {
            Window::Fixed(w) => w,
            Window::Auto => 1,
        }
    }
    /// The same parameters with the window fixed at `w` (after the choice from the data).
    pub(crate) fn with_window(&self, w: usize) -> Result<Self, FitError> {
        let mut raw = self.raw.clone();
        raw.window = Window::Fixed(w);
        Ok(raw.check()?)
    }
    /// What a state's mean over the window may be.
    pub fn mean(&self) -> StateMean {
        self.raw.mean
    }
    /// How a timestep is scored under a state.
    pub fn costs(&self) -> Costs {
        self.raw.costs
    }
    /// Sparsity penalty.
    pub fn lambda(&self) -> f64 {
        self.raw.lambda
    }
    /// Switching penalty: fixed or estimated.
    pub fn beta(&self) -> Beta {
        self.raw.beta
    }
    /// Phase-1 iteration cap.
    pub fn max_iters(&self) -> usize {
        self.raw.max_iters
    }
    /// Whether phase 2 runs.
    pub fn motifs(&self) -> bool {
        self.raw.motifs
    }
    /// Motif aggressiveness.
    pub fn gamma(&self) -> f64 {
        self.raw.gamma
    }
    /// Phase-2 iteration cap.
    pub fn motif_iters(&self) -> usize {
        self.raw.motif_iters
    }
    /// Random seed.
    pub fn seed(&self) -> u64 {
        self.raw.seed
    }
    /// k-means++ restarts.
    pub fn init_restarts(&self) -> usize {
        self.raw.init_restarts
    }
    /// Whether sensors are standardised first.
    pub fn standardize(&self) -> bool {
        self.raw.standardize
    }
    /// Whether the split-and-merge refinement runs after phase 1.
    pub fn split_merge(&self) -> bool {
        self.raw.split_merge
    }
    /// The graphical-lasso parameters derived from these.
    pub fn glasso(&self) -> &ValidGlassoParams {
        &self.glasso
    }
    /// Instances a motif needs to be kept.
    pub fn motif_min_instances(&self) -> usize {
        self.raw.motif_min_instances
    }
    /// Candidate motifs kept per iteration.
    pub fn max_motifs(&self) -> usize {
        self.raw.max_motifs
    }
    /// The null model of the motifs' significance test.
    pub fn motif_null(&self) -> Null {
        self.raw.motif_null
    }
    /// The correction for testing many candidate motifs.
    pub fn motif_correction(&self) -> Correction {
        self.raw.motif_correction
    }
    /// How segment and motif-stage durations count.
    pub fn stage_durations(&self) -> StageDurations {
        self.raw.stage_durations
    }
    /// The motif step's parameters with the switching penalty `beta` actually used.
    pub fn motif(&self, beta: f64) -> Result<ValidMotifParams, FitError> {
        Ok(self.raw.motif_params(beta)?)
    }
}

impl serde::Serialize for ValidFitParams {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for ValidFitParams {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        FitParams::deserialize(d)?
            .check()
            .map_err(serde::de::Error::custom)
    }
}
