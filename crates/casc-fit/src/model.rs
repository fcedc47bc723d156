//! The fitted model: per-state Gaussians and motifs, applicable to new data.
//!
//! Uses the assignment module only (costs and Viterbi), not the EM.

use casc_motif::Motif;
use casc_segment::StateScorer;

use crate::assign;
use crate::error::FitError;
use crate::params::ValidFitParams;
use crate::series::Series;

/// One state's Gaussian over a stacked window: mean (`n*w`) and precision (`nw x nw`, row-major).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StateModel {
    /// Mean of the stacked window.
    pub mean: Vec<f64>,
    /// Block-Toeplitz precision matrix, row-major.
    pub precision: Vec<f64>,
}

impl StateModel {
    /// The precision as a faer matrix.
    pub fn precision_mat(&self) -> faer::Mat<f64> {
        let d = self.mean.len();
        faer::Mat::from_fn(d, d, |i, j| self.precision[i * d + j])
    }

    /// Entries of the precision counted as non-zero (|x| > 2e-5, docs/method.md section 10).
    pub fn nonzeros(&self) -> usize {
        self.precision
            .iter()
            .filter(|v| v.abs() > NONZERO_THRESHOLD)
            .count()
    }
}

/// Threshold above which a precision entry counts as non-zero in BIC and reports.
pub const NONZERO_THRESHOLD: f64 = 2e-5;

/// A fitted model: everything needed to label new data without refitting.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Model {
    /// The parameters the model was fitted with (as given: an estimated `beta` is in
    /// [`beta`](Self::beta)).
    pub params: ValidFitParams,
    /// Number of sensors `n`.
    pub n_sensors: usize,
    /// Window length `w`.
    pub window: usize,
    /// Switching penalty used for assignment (the estimate, when it was estimated).
    pub beta: f64,
    /// Sensor names, from the CSV header or generated.
    pub sensor_names: Vec<String>,
    /// Per-sensor (mean, sd) applied before scoring when the fit standardised its input.
    pub scales: Option<Vec<(f64, f64)>>,
    /// The states' Gaussians, indexed by state id.
    pub states: Vec<StateModel>,
    /// The motifs kept by the fit (state sequences with their fit-time score and p-value).
    pub motifs: Vec<Motif>,
}

/// States and motif instances predicted for a series by a [`Model`].
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// State per timestep.
    pub assignment: Vec<usize>,
    /// The assignment before motif repair (equal to `assignment` without motifs).
    pub plain_assignment: Vec<usize>,
    /// Motifs with their instances in this series.
    pub motifs: Vec<Motif>,
    /// The cost matrix (`T x K`, row-major) the assignment was computed from.
    pub costs: Vec<f64>,
}

impl Model {
    /// Number of states `K`.
    pub fn n_states(&self) -> usize {
        self.states.len()
    }

    /// Scorers for every state (Cholesky factors prepared once).
    pub fn scorers(&self) -> Result<Vec<StateScorer>, FitError> {
        self.states
            .iter()
            .enumerate()
            .map(|(k, s)| {
                StateScorer::new(
                    &s.mean,
                    s.precision_mat().as_ref(),
                    self.n_sensors,
                    self.window,
                )
                .map_err(|source| FitError::Scorer { state: k, source })
            })
            .collect()
    }

    /// The series as the model sees it (standardised with the fit's scales when it was).
    pub fn prepare(&self, series: &Series) -> Result<Series, FitError> {
        if series.n_sensors() != self.n_sensors {
            return Err(FitError::ModelMismatch(format!(
                "the data has {} sensors but the model was fitted on {}",
                series.n_sensors(),
                self.n_sensors
            )));
        }
        Ok(match &self.scales {
            Some(s) => series.standardized(s),
            None => series.clone(),
        })
    }

    /// The cost matrix of a (prepared) series under this model, recording by recording.
    pub fn costs(&self, series: &Series) -> Result<Vec<f64>, FitError> {
        let scorers = self.scorers()?;
        Ok(assign::costs(
            series.values(),
            series.n_sensors(),
            &series.ranges(),
            &scorers,
        ))
    }

    /// States for new data from the saved states (costs + Viterbi) and instances of the saved
    /// motifs (motif HMMs + greedy assignment), without refitting.
    pub fn predict(&self, series: &Series) -> Result<Prediction, FitError> {
        let series = self.prepare(series)?;
        let costs = self.costs(&series)?;
        let k = self.n_states();
        let ranges = series.ranges();
        let plain = assign::plain_assignment(&costs, k, &ranges, self.beta);
        if self.motifs.is_empty() || !self.params.motifs() {
            return Ok(Prediction {
                assignment: plain.clone(),
                plain_assignment: plain,
                motifs: Vec::new(),
                costs,
            });
        }
        let params = self.params.motif(self.beta)?;
        let known: Vec<Vec<usize>> = self.motifs.iter().map(|m| m.states.clone()).collect();
        let step = casc_motif::apply_motifs(&costs, k, &plain, &ranges, &known, &params)
            .map_err(FitError::Motif)?;
        Ok(Prediction {
            assignment: step.assignment,
            plain_assignment: plain,
            motifs: step.motifs,
            costs,
        })
    }
}
