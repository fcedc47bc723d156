//! `summary.json`: what a fit or a prediction read, did and found.

use std::path::{Path, PathBuf};

use casc_fit::{
    Fit, FitParams, InitDiagnostics, IterationDiagnostics, Motif, Recording, Series,
    SplitMergeTrial,
};
use serde::{Deserialize, Serialize};

use super::finite;
use crate::data::ReadOptions;

/// A motif in the summary: its states, how many instances it has, and its test.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MotifBrief {
    /// The motif's states, in order.
    pub states: Vec<usize>,
    /// Its number of instances.
    pub instances: usize,
    /// Occurrences in the stage sequence the significance test saw (absent in older files).
    #[serde(default)]
    pub observed_count: Option<usize>,
    /// Expected count there under the null, `null` if not finite or absent.
    #[serde(default)]
    pub expected_count: Option<f64>,
    /// p-value of the test, `null` if not finite or absent.
    #[serde(default)]
    pub p_value: Option<f64>,
    /// Adjusted p-value (q-value under Benjamini-Hochberg), `null` if not finite or absent.
    #[serde(default)]
    pub adjusted_p_value: Option<f64>,
}

impl MotifBrief {
    fn list(motifs: &[Motif]) -> Vec<Self> {
        motifs
            .iter()
            .map(|m| Self {
                states: m.states.clone(),
                instances: m.instances.len(),
                observed_count: Some(m.count),
                expected_count: finite(m.expected_count),
                p_value: finite(m.p_value),
                adjusted_p_value: finite(m.adjusted_p_value),
            })
            .collect()
    }
}

/// EM iterations per phase.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseIterations {
    /// Phase 1 (TICC), on the whole series (and the sketch of a long one).
    pub phase1: usize,
    /// Phase 2 (motifs).
    pub phase2: usize,
}

/// Whether each phase converged.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseConvergence {
    /// Phase 1 stopped because the assignment repeated, not at the iteration cap.
    pub phase1: bool,
    /// The same for phase 2; `None` when it did not run.
    pub phase2: Option<bool>,
}

/// Wall-clock seconds of a fit, per phase.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitSeconds {
    /// Reading the input files.
    pub read: f64,
    /// Estimating beta, when it was estimated.
    pub beta: Option<f64>,
    /// Initialisation.
    pub init: f64,
    /// Phase 1.
    pub phase1: f64,
    /// Split-and-merge, when it ran.
    pub split_merge: Option<f64>,
    /// Phase 2, when it ran.
    pub phase2: Option<f64>,
    /// The whole fit.
    pub fit: f64,
    /// The whole command, reading and writing included (up to writing this file).
    pub total: f64,
}

/// `summary.json` of `casc fit`: inputs, parameters, criterion, convergence and timings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FitSummary {
    /// The input files, as given.
    pub inputs: Vec<String>,
    /// Timesteps over all recordings.
    pub n_steps: usize,
    /// Sensors.
    pub n_sensors: usize,
    /// The recordings, with their rows in the concatenated series.
    pub recordings: Vec<Recording>,
    /// The parameters as given.
    pub parameters: FitParams,
    /// The switching penalty used (estimated or given).
    pub beta: f64,
    /// Bayesian information criterion (docs/method.md section 10), `null` if not finite.
    pub bic: Option<f64>,
    /// EM iterations per phase.
    pub iterations: PhaseIterations,
    /// Whether each phase converged.
    pub converged: PhaseConvergence,
    /// Timesteps per state in the final assignment.
    pub state_counts: Vec<usize>,
    /// The motifs kept.
    pub motifs: Vec<MotifBrief>,
    /// Seconds per phase.
    pub seconds: FitSeconds,
    /// How the initialisation went.
    pub init: InitDiagnostics,
    /// Every split-and-merge proposal tried.
    pub split_merge: Vec<SplitMergeTrial>,
    /// The successive estimates of beta (empty when it was given).
    pub beta_estimates: Vec<f64>,
    /// Whether the estimate of beta cycled and stopped at the geometric mean of the cycle
    /// (the last of `beta_estimates`).
    #[serde(default)]
    pub beta_cycle: bool,
    /// How the window was chosen from the data (absent when it was given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_choice: Option<casc_fit::WindowChoice>,
    /// The choice of the number of states: every number tried with its criterion, the
    /// chosen one marked (empty when the number was given).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub states_choice: Vec<casc_fit::StatesTrial>,
    /// One entry per EM iteration, in order.
    pub iteration_log: Vec<IterationDiagnostics>,
    /// How the input files were read (missing-value policy, sequence column), so that they can
    /// be read again the same way; `None` when the writer did not say (see
    /// [`FitSummary::with_read_options`]), and in files written before this field existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_options: Option<ReadOptions>,
}

impl FitSummary {
    /// The summary of `fit` on `series` read from `inputs`; `read_seconds` and `total_seconds`
    /// are the caller's (reading the files, and the whole command so far).
    pub fn new(
        series: &Series,
        inputs: &[PathBuf],
        fit: &Fit,
        read_seconds: f64,
        total_seconds: f64,
    ) -> Self {
        let d = &fit.diagnostics;
        let count = |p: u8| d.iterations.iter().filter(|i| i.phase == p).count();
        Self {
            inputs: inputs.iter().map(|p| p.display().to_string()).collect(),
            n_steps: series.n_steps(),
            n_sensors: series.n_sensors(),
            recordings: series.recordings().to_vec(),
            parameters: fit.model.params.raw().clone(),
            beta: fit.model.beta,
            bic: finite(fit.bic),
            iterations: PhaseIterations {
                phase1: count(1),
                phase2: count(2),
            },
            converged: PhaseConvergence {
                phase1: d.phase1_converged,
                phase2: d.phase2_converged,
            },
            state_counts: fit.state_counts.clone(),
            motifs: MotifBrief::list(&fit.motifs),
            seconds: FitSeconds {
                read: read_seconds,
                beta: d.seconds.beta,
                init: d.seconds.init,
                phase1: d.seconds.phase1,
                split_merge: d.seconds.split_merge,
                phase2: d.seconds.phase2,
                fit: d.seconds.total,
                total: total_seconds,
            },
            init: d.init.clone(),
            split_merge: d.split_merge.clone(),
            beta_estimates: d.beta_estimates.clone(),
            beta_cycle: d.beta_cycle,
            window_choice: d.window.clone(),
            states_choice: d.states.clone(),
            iteration_log: d.iterations.clone(),
            read_options: None,
        }
    }

    /// Records how the input files were read (for the report, which reads them again).
    pub fn with_read_options(mut self, opts: &ReadOptions) -> Self {
        self.read_options = Some(opts.clone());
        self
    }
}

/// Wall-clock seconds of a prediction.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PredictSeconds {
    /// Costs, assignment and motifs.
    pub predict: f64,
}

/// `summary.json` of `casc predict`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PredictSummary {
    /// The model file, as given.
    pub model: String,
    /// The input files, as given.
    pub inputs: Vec<String>,
    /// Timesteps over all recordings.
    pub n_steps: usize,
    /// Sensors.
    pub n_sensors: usize,
    /// The recordings, with their rows in the concatenated series.
    pub recordings: Vec<Recording>,
    /// Timesteps per state.
    pub state_counts: Vec<usize>,
    /// The model's motifs with their instances in this data.
    pub motifs: Vec<MotifBrief>,
    /// Seconds.
    pub seconds: PredictSeconds,
    /// How the input files were read, as in [`FitSummary::read_options`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_options: Option<ReadOptions>,
}

/// A `summary.json`, of a fit or of a prediction.
#[derive(Clone, Debug)]
pub enum Summary {
    /// Written by `casc fit` (and `casc select --out`).
    Fit(Box<FitSummary>),
    /// Written by `casc predict`.
    Predict(Box<PredictSummary>),
}

impl Summary {
    /// Timesteps over all recordings.
    pub fn n_steps(&self) -> usize {
        match self {
            Summary::Fit(s) => s.n_steps,
            Summary::Predict(s) => s.n_steps,
        }
    }
    /// The recordings.
    pub fn recordings(&self) -> &[Recording] {
        match self {
            Summary::Fit(s) => &s.recordings,
            Summary::Predict(s) => &s.recordings,
        }
    }
    /// The input files.
    pub fn inputs(&self) -> &[String] {
        match self {
            Summary::Fit(s) => &s.inputs,
            Summary::Predict(s) => &s.inputs,
        }
    }
}

impl PredictSummary {
    /// The summary of `prediction` by the model at `model` on `series` read from `inputs`.
    pub fn new(
        model: &Path,
        inputs: &[PathBuf],
        series: &Series,
        n_states: usize,
        prediction: &casc_fit::Prediction,
        seconds: f64,
    ) -> Self {
        let mut counts = vec![0usize; n_states];
        for &s in &prediction.assignment {
            counts[s] += 1;
        }
        Self {
            model: model.display().to_string(),
            inputs: inputs.iter().map(|p| p.display().to_string()).collect(),
            n_steps: series.n_steps(),
            n_sensors: series.n_sensors(),
            recordings: series.recordings().to_vec(),
            state_counts: counts,
            motifs: MotifBrief::list(&prediction.motifs),
            seconds: PredictSeconds { predict: seconds },
            read_options: None,
        }
    }

    /// Records how the input files were read (for the report, which reads them again).
    pub fn with_read_options(mut self, opts: &ReadOptions) -> Self {
        self.read_options = Some(opts.clone());
        self
    }
}
