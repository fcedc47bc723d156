//! What a fit reports about itself: per-iteration figures, the initialisation, the
//! split-and-merge proposals and the seconds per phase. Plain data (serde), no logic.

/// How a fit went.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FitDiagnostics {
    /// The initialisation's figures.
    pub init: InitDiagnostics,
    /// One entry per EM iteration, both phases in order.
    pub iterations: Vec<IterationDiagnostics>,
    /// With an estimated `beta`: the successive estimates of `beta`, the last one used (else empty).
    pub beta_estimates: Vec<f64>,
    /// Whether the estimate of `beta` cycled (returned to a penalty it had left); it then
    /// stopped at the geometric mean of the cycle, the last of `beta_estimates`.
    #[serde(default)]
    pub beta_cycle: bool,
    /// Every split-and-merge proposal tried after phase 1, in order (empty when it is off).
    pub split_merge: Vec<SplitMergeTrial>,
    /// Every number of states the choice of `K` tried, with its criterion (empty when `K`
    /// was given).
    #[serde(default)]
    pub states: Vec<StatesTrial>,
    /// How the window was chosen from the data (`None` when it was given).
    #[serde(default)]
    pub window: Option<crate::window::WindowChoice>,
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
    /// The stage of the fit: `screening` (the winner's iterations), `beta pilot`, `phase 1`,
    /// `phase 1 (whole series)` or `phase 2`.
    #[serde(default)]
    pub stage: String,
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
    /// ADMM tolerance of this iteration's M-step (loose while searching, the parameters' at
    /// the fixed point).
    #[serde(default)]
    pub tolerance: f64,
    /// Wall-clock seconds of the iteration.
    pub seconds: f64,
}

/// Diagnostics of the initialisation.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InitDiagnostics {
    /// Points the mixture was fitted on.
    pub sample_size: usize,
    /// Best k-means inertia over the restarts (on the sample).
    pub kmeans_inertia: f64,
    /// Mixture EM iterations run.
    pub gmm_iterations: usize,
    /// Mean log-likelihood per point of the mixture at the end (on the sample).
    pub gmm_mean_log_likelihood: f64,
    /// Every screened initialisation with its objective after the screening iterations.
    pub candidates: Vec<(String, f64)>,
    /// The initialisation that was kept.
    pub chosen: String,
}

/// One proposal tried by the split-and-merge refinement.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SplitMergeTrial {
    /// Round, from 0; a round ends when one of its proposals is kept.
    pub round: usize,
    /// The state that absorbed `freed`.
    pub kept: usize,
    /// The state whose timesteps were given away; its id then holds part of `split`.
    pub freed: usize,
    /// The state divided in two.
    pub split: usize,
    /// Objective after a few rough EM iterations from the proposal (on the sketch of a long
    /// series), by which proposals are ranked.
    pub objective: f64,
    /// For the best proposals of its round: the objective after EM from it to a fixed point,
    /// the figure compared with `baseline`. A proposal that after its ranking iterations is a
    /// partition already refined in an earlier round is not run again: this is that
    /// refinement's result.
    #[serde(default)]
    pub refined_objective: Option<f64>,
    /// Objective of the current result on the same data, the figure to beat.
    pub baseline: f64,
    /// Whether this proposal was kept.
    pub accepted: bool,
}

/// One fit scored by the choice of `K`: a number of states on the path (from the most states
/// down), or a split of the path's one-state result.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StatesTrial {
    /// The number of states.
    pub states: usize,
    /// The held-out score: the negative log-likelihood of held-out blocks under states
    /// re-estimated without them, tempered by the costs' autocorrelation time and given in the
    /// costs' units (docs/method.md section 10.1); the lowest is chosen. `None`
    /// when the fit left a state empty: it is a smaller number in disguise, which the path
    /// scores itself.
    pub criterion: Option<f64>,
    /// The summed costs of the assignment (twice its negative log-likelihood, as the costs
    /// count it).
    pub emission: f64,
    /// Free parameters counted (non-zero precision entries, means, the switching rate).
    pub parameters: usize,
    /// Switches of the assignment.
    pub switches: usize,
    /// Whether this fit was grown from the path's one-state result by splitting it (tried when
    /// the path chooses one state), instead of merged down.
    #[serde(default)]
    pub grown: bool,
    /// Whether this fit was chosen.
    pub chosen: bool,
}
