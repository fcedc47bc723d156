//! Orchestration of casc: initialisation, the EM loop of TICC (phase 1) and of CASC's motif phase
//! (phase 2), empty-state re-seeding, convergence, BIC, and the fitted [`Model`].
//!
//! Data flows `Series -> windows -> costs -> assignment -> motifs -> Fit`. The stage crates do the
//! numerical work: `casc-glasso` fits each state, `casc-segment` scores and segments,
//! `casc-motif` finds and applies motifs. This crate reads no files and prints nothing: file
//! formats and the command line live in the `casc` crate.

mod auto_beta;
mod em;
mod error;
mod init;
mod model;
mod model_file;
mod params;
mod series;
mod split_merge;

pub use auto_beta::{AUTO_BETA_ROUNDS, beta_estimate};
pub use casc_motif::{Instance, Motif};
pub use em::{COVARIANCE_RIDGE, MAX_ABS_VALUE, RESEED_RUN, SCREEN_STEPS, fit};
pub use error::{FitError, ParamError};
pub use init::InitDiagnostics;
pub use model::{Model, NONZERO_THRESHOLD, Prediction, StateModel};
pub use model_file::{FORMAT_VERSION, MAGIC, crc32};
pub use params::{FitParams, ValidFitParams};
pub use series::{Recording, Series};
pub use split_merge::{SPLIT_MERGE_ROUNDS, SplitMergeTrial};

/// The result of a fit: the model, the assignment, the motifs and how the fit went.
#[derive(Clone, Debug)]
pub struct Fit {
    /// The fitted model (states and motifs), ready to save or apply to new data.
    pub model: Model,
    /// Final state per timestep.
    pub assignment: Vec<usize>,
    /// State per timestep at the end of phase 1 (plain TICC).
    pub phase1_assignment: Vec<usize>,
    /// Motifs kept in the last motif step, with their instances (empty without phase 2).
    pub motifs: Vec<Motif>,
    /// Number of timesteps per state in the final assignment.
    pub state_counts: Vec<usize>,
    /// Bayesian information criterion (ALGORITHM.md §8); lower is better.
    pub bic: f64,
    /// Per-iteration and per-phase diagnostics.
    pub diagnostics: FitDiagnostics,
}

/// How a fit went.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FitDiagnostics {
    /// The initialisation's figures.
    pub init: InitDiagnostics,
    /// One entry per EM iteration, both phases in order.
    pub iterations: Vec<IterationDiagnostics>,
    /// With `auto_beta`: the successive estimates of `beta`, the last one used (else empty).
    pub beta_estimates: Vec<f64>,
    /// Every split-and-merge proposal tried after phase 1, in order (empty when it is off).
    pub split_merge: Vec<SplitMergeTrial>,
    /// Whether phase 1 stopped by convergence rather than the iteration cap.
    pub phase1_converged: bool,
    /// Whether phase 2 converged (`None` when it did not run).
    pub phase2_converged: Option<bool>,
    /// Wall-clock seconds per phase.
    pub seconds: Timing,
}

/// Wall-clock seconds per phase.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Timing {
    /// Estimating beta (the plain TICC fits it takes), when it is estimated.
    pub beta: Option<f64>,
    /// Initialisation (k-means++ and the mixture).
    pub init: f64,
    /// Phase 1 (TICC).
    pub phase1: f64,
    /// Split-and-merge refinement after phase 1, when it ran.
    pub split_merge: Option<f64>,
    /// Phase 2 (motifs), when it ran.
    pub phase2: Option<f64>,
    /// Whole fit.
    pub total: f64,
}

/// Figures of one EM iteration.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IterationDiagnostics {
    /// 1 for TICC, 2 for the motif phase.
    pub phase: u8,
    /// Iteration number inside the phase, from 0.
    pub iteration: usize,
    /// Timesteps whose state changed in this iteration.
    pub changed_steps: usize,
    /// Empty states re-seeded before the M-step.
    pub empty_states_reseeded: usize,
    /// ADMM iterations per state.
    pub admm_iterations: Vec<usize>,
    /// Whether every state's ADMM met its tolerance.
    pub admm_all_converged: bool,
    /// States whose ADMM estimate fell back to the Theta iterate.
    pub theta_fallbacks: usize,
    /// Motifs kept in this iteration (phase 2).
    pub motifs: usize,
    /// Objective of the new assignment: summed costs plus beta times switches.
    pub objective: f64,
    /// Wall-clock seconds of the iteration.
    pub seconds: f64,
}
