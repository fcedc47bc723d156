//! The fitted model: per-state Gaussians and motifs, applicable to new data.
//!
//! Uses the assignment module only (costs and Viterbi), not the EM.

use casc_motif::Motif;
use casc_segment::StateScorer;

use crate::assign;
use crate::error::FitError;
use crate::params::ValidFitParams;
use crate::series::{Series, default_names};

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
    /// Window length `w`, in pooled rows.
    pub window: usize,
    /// Rows of the data averaged into one row before scoring (1: none; a window chosen
    /// from the data pools when it must span a long period).
    pub pool: usize,
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

/// How the columns of some data are matched to a model's sensors ([`Model::match_columns`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnMatch {
    /// For each of the model's sensors, in the model's order, the data column that holds it.
    pub order: Vec<usize>,
    /// Whether the columns were matched by name (else by position).
    pub by_name: bool,
    /// Something to tell the user about the match (columns taken by position although the
    /// model or the data has names).
    pub warning: Option<String>,
}

impl ColumnMatch {
    /// Whether the data's columns are used as they are (same order).
    pub fn is_identity(&self) -> bool {
        self.order.iter().enumerate().all(|(i, &j)| i == j)
    }
}

/// `"a", "b", "c"`.
fn quoted_list<S: AsRef<str>>(names: &[S]) -> String {
    names
        .iter()
        .map(|s| format!("{:?}", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// [`Model::match_columns`] for a model whose sensors are `sensor_names`.
pub(crate) fn match_columns(
    sensor_names: &[String],
    width: usize,
    names: Option<&[String]>,
) -> Result<ColumnMatch, FitError> {
    let n = sensor_names.len();
    let named = sensor_names != default_names(n).as_slice();
    let positional = |width: usize, warning: Option<String>| {
        if width == n {
            Ok(ColumnMatch {
                order: (0..n).collect(),
                by_name: false,
                warning,
            })
        } else {
            Err(FitError::ModelMismatch(format!(
                "the data has {width} columns but the model was fitted on {n} sensors ({})",
                quoted_list(sensor_names)
            )))
        }
    };
    let Some(names) = names else {
        let warning = named.then(|| {
            format!(
                "the data has no header: its columns are taken as the model's sensors in order ({})",
                sensor_names.join(", ")
            )
        });
        return positional(width, warning);
    };
    let mut seen = std::collections::HashSet::new();
    if let Some(d) = names.iter().find(|g| !seen.insert(g.as_str())) {
        return Err(FitError::ModelMismatch(format!(
            "the data names two columns {d:?}: columns are matched to the model's sensors by name"
        )));
    }
    let mut model_seen = std::collections::HashSet::new();
    let model_unique = sensor_names.iter().all(|s| model_seen.insert(s.as_str()));
    let missing: Vec<&String> = sensor_names.iter().filter(|s| !names.contains(s)).collect();
    let extra: Vec<&String> = names.iter().filter(|g| !sensor_names.contains(g)).collect();
    if model_unique && missing.is_empty() && extra.is_empty() {
        let order = sensor_names
            .iter()
            .map(|s| names.iter().position(|g| g == s).unwrap_or(0))
            .collect();
        return Ok(ColumnMatch {
            order,
            by_name: true,
            warning: None,
        });
    }
    if !named || !model_unique {
        let warning = format!(
            "the model's sensors have no names ({}): the data's columns ({}) are taken in their order",
            sensor_names.join(", "),
            names.join(", ")
        );
        return positional(names.len(), Some(warning));
    }
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("missing {}", quoted_list(&missing)));
    }
    if !extra.is_empty() {
        parts.push(format!("not in the model {}", quoted_list(&extra)));
    }
    Err(FitError::ModelMismatch(format!(
        "the data's columns do not match the model's sensors ({}): {}",
        quoted_list(sensor_names),
        parts.join("; ")
    )))
}

impl Model {
    /// Whether the model's sensors were named when it was fitted (not the generated
    /// `x0, x1, ...` of data without a header).
    pub fn has_sensor_names(&self) -> bool {
        self.sensor_names != default_names(self.n_sensors)
    }

    /// Matches `width` data columns named `names` (`None`: the data has no names) to the
    /// model's sensors.
    ///
    /// When both have names and the data's names are the model's, in any order, the columns
    /// are matched by name. Data without names, or a model without names (fitted on data
    /// without a header), is matched by position when the number of columns is right, with a
    /// warning when the other side has names. Otherwise the error lists the model's sensors
    /// that are missing and the data's columns the model does not know.
    pub fn match_columns(
        &self,
        width: usize,
        names: Option<&[String]>,
    ) -> Result<ColumnMatch, FitError> {
        match_columns(&self.sensor_names, width, names)
    }

    /// The series with its columns in the model's order ([`Model::match_columns`] on its names,
    /// or by position when it has none); recordings, row numbers and times are kept.
    pub fn align(&self, series: &Series) -> Result<Series, FitError> {
        let names = series.has_names().then(|| series.names());
        let m = self.match_columns(series.n_sensors(), names)?;
        Ok(if m.is_identity() {
            series.clone()
        } else {
            series.select_sensors(&m.order)
        })
    }

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

    /// The series as the model sees it: its columns matched to the model's sensors
    /// ([`Model::align`]), standardised with the fit's scales when the fit was.
    pub fn prepare(&self, series: &Series) -> Result<Series, FitError> {
        let aligned = self.align(series)?;
        Ok(match &self.scales {
            Some(s) => aligned.standardized(s),
            None => aligned,
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
            self.params.costs() == crate::params::Costs::Conditional,
        ))
    }

    /// States for new data from the saved states (costs + Viterbi) and instances of the saved
    /// motifs (motif HMMs + greedy assignment), without refitting. The data's columns are
    /// matched to the model's sensors by name first ([`Model::prepare`]).
    pub fn predict(&self, series: &Series) -> Result<Prediction, FitError> {
        let prepared = self.prepare(series)?;
        if self.pool <= 1 {
            return self.predict_prepared(&prepared);
        }
        // Score the pooled series, then give every row its block's labels and costs.
        let s = self.pool;
        let ranges = prepared.ranges();
        let (values, pooled) =
            crate::window::pool(prepared.values(), prepared.n_sensors(), &ranges, s);
        let lengths = prepared
            .recordings()
            .iter()
            .zip(&pooled)
            .map(|(r, p)| (r.name.clone(), p.len()))
            .collect();
        let small = Series::from_recordings(
            values,
            prepared.n_sensors(),
            Some(prepared.names().to_vec()),
            lengths,
        )?;
        let p = self.predict_prepared(&small)?;
        let k = self.n_states();
        let rows: Vec<usize> = crate::window::expand(
            &(0..small.n_steps()).collect::<Vec<_>>(),
            &ranges,
            &pooled,
            s,
        );
        Ok(Prediction {
            assignment: crate::window::expand(&p.assignment, &ranges, &pooled, s),
            plain_assignment: crate::window::expand(&p.plain_assignment, &ranges, &pooled, s),
            motifs: expand_motifs(&p.motifs, &ranges, &pooled, s),
            costs: rows
                .iter()
                .flat_map(|&u| p.costs[u * k..(u + 1) * k].iter().copied())
                .collect(),
        })
    }

    /// [`Model::predict`] on a prepared series at the model's (pooled) rate.
    fn predict_prepared(&self, series: &Series) -> Result<Prediction, FitError> {
        let costs = self.costs(series)?;
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

/// Motifs found on a pooled series, their instances given back in the rows of the original
/// (`ranges`; `pooled` are the pooled recordings, `s` rows per pooled row).
pub(crate) fn expand_motifs(
    motifs: &[Motif],
    ranges: &[std::ops::Range<usize>],
    pooled: &[std::ops::Range<usize>],
    s: usize,
) -> Vec<Motif> {
    use crate::window::{first_row, last_row};
    motifs
        .iter()
        .map(|m| Motif {
            instances: m
                .instances
                .iter()
                .map(|i| casc_motif::Instance {
                    start: first_row(i.start, ranges, pooled, s),
                    end: last_row(i.end, ranges, pooled, s),
                    stage_starts: i
                        .stage_starts
                        .iter()
                        .map(|&u| first_row(u, ranges, pooled, s))
                        .collect(),
                    score: i.score,
                })
                .collect(),
            ..m.clone()
        })
        .collect()
}
