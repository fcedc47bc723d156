//! The files of an output folder as types: `summary.json`, `states.json`, `motifs.json`, and
//! the rows of `assignments.csv` and `segments.csv`. Written with serde_json and the csv crate
//! (fields are quoted where they need it), and read back by the report and the tests.
//!
//! [`write_fit`] and [`write_prediction`] write a whole folder; the `read_*` functions read
//! one file each and name the file, line and column of what they cannot use.

use std::path::{Path, PathBuf};

use casc_fit::{
    Fit, FitParams, InitDiagnostics, IterationDiagnostics, Motif, Recording, Series,
    SplitMergeTrial,
};
use serde::{Deserialize, Deserializer, Serialize};

use crate::data::ReadOptions;

/// `summary.json`.
pub const SUMMARY_FILE: &str = "summary.json";
/// `states.json` (written by a fit only).
pub const STATES_FILE: &str = "states.json";
/// `motifs.json`.
pub const MOTIFS_FILE: &str = "motifs.json";
/// `assignments.csv`: the final state of every timestep.
pub const ASSIGNMENTS_FILE: &str = "assignments.csv";
/// `phase1_assignments.csv`: the state of every timestep after phase 1 (with motifs only).
pub const PHASE1_ASSIGNMENTS_FILE: &str = "phase1_assignments.csv";
/// `segments.csv`: maximal runs of one state (and one motif instance).
pub const SEGMENTS_FILE: &str = "segments.csv";
/// `model.casc`: the fitted model.
pub const MODEL_FILE: &str = "model.casc";

/// Why an output file could not be written or read; the message names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// The file could not be opened, created or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A JSON file is not what casc writes (the message has the line and column).
    #[error("{}: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause, with its line and column.
        #[source]
        source: serde_json::Error,
    },
    /// A CSV file is not what casc writes.
    #[error("{}: {source}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// The cause, with its line.
        #[source]
        source: csv::Error,
    },
    /// A file parses but its contents do not fit together.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line, when the problem has one.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// The model file could not be written.
    #[error(transparent)]
    Model(#[from] casc_fit::FitError),
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A finite number, or `None` (written as `null`: JSON has no NaN).
pub fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// Rows of numbers where `null` stands for a non-finite entry (read as NaN).
fn nan_for_null_rows<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<f64>>, D::Error> {
    let rows = Vec::<Vec<Option<f64>>>::deserialize(d)?;
    Ok(rows
        .into_iter()
        .map(|r| r.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
        .collect())
}

/// A motif in the summary: its states and how many instances it has.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MotifBrief {
    /// The motif's states, in order.
    pub states: Vec<usize>,
    /// Its number of instances.
    pub instances: usize,
}

impl MotifBrief {
    fn list(motifs: &[Motif]) -> Vec<Self> {
        motifs
            .iter()
            .map(|m| Self {
                states: m.states.clone(),
                instances: m.instances.len(),
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
    Predict(PredictSummary),
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

/// A sensor's standardisation: `(x - mean) / sd`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scale {
    /// Subtracted.
    pub mean: f64,
    /// Divided by.
    pub sd: f64,
}

/// One state in `states.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StateEntry {
    /// State id.
    pub state: usize,
    /// Timesteps in the final assignment.
    pub timesteps: usize,
    /// Precision entries above the non-zero threshold.
    pub nonzeros: usize,
    /// Mean of the stacked window (`n * w`).
    pub mean: Vec<f64>,
    /// Block-Toeplitz precision, `n w` rows of `n w` numbers (`null` for a non-finite entry).
    #[serde(deserialize_with = "nan_for_null_rows")]
    pub precision: Vec<Vec<f64>>,
}

/// `states.json`: every state's Gaussian over the stacked window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatesFile {
    /// Sensor names, in column order.
    pub sensors: Vec<String>,
    /// Window length `w`.
    pub window: usize,
    /// The standardisation applied before fitting, when there was one.
    pub standardization: Option<Vec<Scale>>,
    /// The states, by id.
    pub states: Vec<StateEntry>,
}

impl StatesFile {
    /// The states of `fit`'s model, with their timestep counts.
    pub fn new(fit: &Fit) -> Self {
        let model = &fit.model;
        let d = model.window * model.n_sensors;
        Self {
            sensors: model.sensor_names.clone(),
            window: model.window,
            standardization: model
                .scales
                .as_ref()
                .map(|s| s.iter().map(|&(mean, sd)| Scale { mean, sd }).collect()),
            states: model
                .states
                .iter()
                .enumerate()
                .map(|(k, s)| StateEntry {
                    state: k,
                    timesteps: fit.state_counts[k],
                    nonzeros: s.nonzeros(),
                    mean: s.mean.clone(),
                    precision: s.precision.chunks(d).map(<[f64]>::to_vec).collect(),
                })
                .collect(),
        }
    }

    /// Checks that every state's mean and precision have the size the window and sensors give.
    fn check(&self, path: &Path) -> Result<(), OutputError> {
        let d = self.window * self.sensors.len();
        let invalid = |message: String| OutputError::Invalid {
            path: path.to_path_buf(),
            line: None,
            message,
        };
        if self.window == 0 {
            return Err(invalid("window must be at least 1".into()));
        }
        for (i, s) in self.states.iter().enumerate() {
            if s.mean.len() != d {
                return Err(invalid(format!(
                    "states[{i}].mean has {} numbers, expected {d} (window {} x {} sensors)",
                    s.mean.len(),
                    self.window,
                    self.sensors.len()
                )));
            }
            if s.precision.len() != d || s.precision.iter().any(|r| r.len() != d) {
                return Err(invalid(format!(
                    "states[{i}].precision must be {d} rows of {d} numbers (window {} x {} sensors)",
                    self.window,
                    self.sensors.len()
                )));
            }
        }
        Ok(())
    }
}

/// One instance of a motif in `motifs.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceEntry {
    /// First timestep (in the concatenated series).
    pub start: usize,
    /// Last timestep, inclusive.
    pub end: usize,
    /// First timestep of every stage.
    pub stage_starts: Vec<usize>,
    /// Instance score (log-odds plus motif score), `null` if not finite.
    pub score: Option<f64>,
    /// With several recordings: the recording the instance is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<String>,
    /// With several recordings: `start` counted inside the recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_start: Option<usize>,
    /// With several recordings: `end` counted inside the recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_end: Option<usize>,
}

/// One motif in `motifs.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MotifEntry {
    /// Motif id (its index).
    pub motif: usize,
    /// The motif's states, in order.
    pub states: Vec<usize>,
    /// Motif score (G-test against the null), `null` if not finite.
    pub score: Option<f64>,
    /// p-value of the significance test, `null` if not finite.
    pub p_value: Option<f64>,
    /// Number of instances.
    pub n_instances: usize,
    /// The instances, in time order.
    pub instances: Vec<InstanceEntry>,
}

/// The entries of `motifs.json` for `motifs` found in `series`.
pub fn motif_entries(series: &Series, motifs: &[Motif]) -> Vec<MotifEntry> {
    let multi = series.recordings().len() > 1;
    let locate = |t: usize| {
        series
            .recordings()
            .iter()
            .find(|r| r.range.contains(&t))
            .map(|r| (r.name.clone(), r.range.start))
    };
    motifs
        .iter()
        .enumerate()
        .map(|(i, m)| MotifEntry {
            motif: i,
            states: m.states.clone(),
            score: finite(m.score),
            p_value: finite(m.p_value),
            n_instances: m.instances.len(),
            instances: m
                .instances
                .iter()
                .map(|inst| {
                    let at = multi.then(|| locate(inst.start)).flatten();
                    InstanceEntry {
                        start: inst.start,
                        end: inst.end,
                        stage_starts: inst.stage_starts.clone(),
                        score: finite(inst.score),
                        recording: at.as_ref().map(|a| a.0.clone()),
                        local_start: at.as_ref().map(|a| inst.start - a.1),
                        local_end: at.as_ref().map(|a| inst.end - a.1),
                    }
                })
                .collect(),
        })
        .collect()
}

/// A row of `assignments.csv`: `t,state`, with a leading `recording` column (and `t` counted
/// inside it) when the series has several recordings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentRow {
    /// The recording, with several.
    #[serde(default)]
    pub recording: Option<String>,
    /// Timestep (inside the recording when there are several).
    pub t: usize,
    /// State.
    pub state: usize,
}

/// A motif instance named in `segments.csv` (`M/I`: instance `I` of motif `M`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstanceRef {
    /// The motif.
    pub motif: usize,
    /// The instance of it.
    pub instance: usize,
}

/// A row of `segments.csv`: `start,end,state,motif`, end inclusive; a leading `recording`
/// column (and times counted inside it) when the series has several recordings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentRow {
    /// The recording, with several.
    pub recording: Option<String>,
    /// First timestep.
    pub start: usize,
    /// Last timestep, inclusive.
    pub end: usize,
    /// State.
    pub state: usize,
    /// The motif instance the segment belongs to, if any.
    pub motif: Option<InstanceRef>,
}

/// The on-disk form of a [`SegmentRow`].
#[derive(Serialize, Deserialize)]
struct SegmentRecord {
    #[serde(default)]
    recording: Option<String>,
    start: usize,
    end: usize,
    state: usize,
    #[serde(default)]
    motif: String,
}

fn membership(t_total: usize, motifs: &[Motif]) -> Vec<Option<InstanceRef>> {
    let mut m = vec![None; t_total];
    for (mi, motif) in motifs.iter().enumerate() {
        for (ii, inst) in motif.instances.iter().enumerate() {
            let end = inst.end.min(t_total.saturating_sub(1));
            for slot in m.iter_mut().take(end + 1).skip(inst.start) {
                *slot = Some(InstanceRef {
                    motif: mi,
                    instance: ii,
                });
            }
        }
    }
    m
}

/// The rows of `assignments.csv` for `assignment` over `series`.
pub fn assignment_rows(series: &Series, assignment: &[usize]) -> Vec<AssignmentRow> {
    let multi = series.recordings().len() > 1;
    let mut rows = Vec::with_capacity(assignment.len());
    for r in series.recordings() {
        for t in r.range.clone() {
            rows.push(AssignmentRow {
                recording: multi.then(|| r.name.clone()),
                t: if multi { t - r.range.start } else { t },
                state: assignment[t],
            });
        }
    }
    rows
}

/// The rows of `segments.csv`: maximal runs of one state and one motif instance, never across
/// a recording boundary.
pub fn segment_rows(series: &Series, assignment: &[usize], motifs: &[Motif]) -> Vec<SegmentRow> {
    let multi = series.recordings().len() > 1;
    let member = membership(assignment.len(), motifs);
    let mut rows = Vec::new();
    for r in series.recordings() {
        let off = if multi { r.range.start } else { 0 };
        let mut start = r.range.start;
        while start < r.range.end {
            let mut end = start;
            while end + 1 < r.range.end
                && assignment[end + 1] == assignment[start]
                && member[end + 1] == member[start]
            {
                end += 1;
            }
            rows.push(SegmentRow {
                recording: multi.then(|| r.name.clone()),
                start: start - off,
                end: end - off,
                state: assignment[start],
                motif: member[start],
            });
            start = end + 1;
        }
    }
    rows
}

fn csv_error(path: &Path) -> impl Fn(csv::Error) -> OutputError + '_ {
    move |source| OutputError::Csv {
        path: path.to_path_buf(),
        source,
    }
}

fn create(path: &Path) -> Result<std::fs::File, OutputError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    }
    std::fs::File::create(path).map_err(io_error(path))
}

/// Writes `rows` to `path` as `assignments.csv` (the `recording` column only when the rows
/// have one).
pub fn write_assignments(path: &Path, rows: &[AssignmentRow]) -> Result<(), OutputError> {
    let e = csv_error(path);
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(create(path)?));
    let multi = rows.iter().any(|r| r.recording.is_some());
    if multi {
        w.write_record(["recording", "t", "state"]).map_err(&e)?;
    } else {
        w.write_record(["t", "state"]).map_err(&e)?;
    }
    for r in rows {
        let (t, s) = (r.t.to_string(), r.state.to_string());
        if multi {
            let name = r.recording.as_deref().unwrap_or("");
            w.write_record([name, &t, &s]).map_err(&e)?;
        } else {
            w.write_record([&t, &s]).map_err(&e)?;
        }
    }
    w.flush().map_err(io_error(path))
}

/// Writes `rows` to `path` as `segments.csv`.
pub fn write_segments(path: &Path, rows: &[SegmentRow]) -> Result<(), OutputError> {
    let e = csv_error(path);
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(create(path)?));
    let multi = rows.iter().any(|r| r.recording.is_some());
    let mut header = vec!["start", "end", "state", "motif"];
    if multi {
        header.insert(0, "recording");
    }
    w.write_record(&header).map_err(&e)?;
    for r in rows {
        let motif = r
            .motif
            .map(|m| format!("{}/{}", m.motif, m.instance))
            .unwrap_or_default();
        let (start, end, state) = (r.start.to_string(), r.end.to_string(), r.state.to_string());
        let mut rec = vec![start.as_str(), end.as_str(), state.as_str(), motif.as_str()];
        if multi {
            rec.insert(0, r.recording.as_deref().unwrap_or(""));
        }
        w.write_record(&rec).map_err(&e)?;
    }
    w.flush().map_err(io_error(path))
}

/// Writes `value` to `path` as pretty-printed JSON.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), OutputError> {
    use std::io::Write as _;
    let mut f = std::io::BufWriter::new(create(path)?);
    serde_json::to_writer_pretty(&mut f, value).map_err(|source| OutputError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    f.flush().map_err(io_error(path))
}

/// Writes every output file of a fit into `dir` (created if missing): assignments, phase-1
/// assignments (with motifs), segments, states, motifs, summary and the model.
pub fn write_fit(
    dir: &Path,
    series: &Series,
    fit: &Fit,
    summary: &FitSummary,
) -> Result<(), OutputError> {
    write_assignments(
        &dir.join(ASSIGNMENTS_FILE),
        &assignment_rows(series, &fit.assignment),
    )?;
    if fit.model.params.motifs() {
        write_assignments(
            &dir.join(PHASE1_ASSIGNMENTS_FILE),
            &assignment_rows(series, &fit.phase1_assignment),
        )?;
    }
    write_segments(
        &dir.join(SEGMENTS_FILE),
        &segment_rows(series, &fit.assignment, &fit.motifs),
    )?;
    write_json(&dir.join(STATES_FILE), &StatesFile::new(fit))?;
    write_json(&dir.join(MOTIFS_FILE), &motif_entries(series, &fit.motifs))?;
    write_json(&dir.join(SUMMARY_FILE), summary)?;
    fit.model.save(&dir.join(MODEL_FILE))?;
    Ok(())
}

/// Writes the output files of a prediction into `dir`: assignments, segments, motifs, summary.
pub fn write_prediction(
    dir: &Path,
    series: &Series,
    prediction: &casc_fit::Prediction,
    summary: &PredictSummary,
) -> Result<(), OutputError> {
    write_assignments(
        &dir.join(ASSIGNMENTS_FILE),
        &assignment_rows(series, &prediction.assignment),
    )?;
    write_segments(
        &dir.join(SEGMENTS_FILE),
        &segment_rows(series, &prediction.assignment, &prediction.motifs),
    )?;
    write_json(
        &dir.join(MOTIFS_FILE),
        &motif_entries(series, &prediction.motifs),
    )?;
    write_json(&dir.join(SUMMARY_FILE), summary)
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

fn read_text(path: &Path) -> Result<Vec<u8>, OutputError> {
    std::fs::read(path).map_err(io_error(path))
}

fn from_json<T: serde::de::DeserializeOwned>(path: &Path, bytes: &[u8]) -> Result<T, OutputError> {
    serde_json::from_slice(bytes).map_err(|source| OutputError::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a `summary.json` of a fit or a prediction (told apart by the `model` entry that only
/// a prediction's summary has).
pub fn read_summary(path: &Path) -> Result<Summary, OutputError> {
    let bytes = read_text(path)?;
    let value: serde_json::Value = from_json(path, &bytes)?;
    let predict = value.get("model").is_some() && value.get("parameters").is_none();
    Ok(if predict {
        Summary::Predict(from_json(path, &bytes)?)
    } else {
        Summary::Fit(Box::new(from_json(path, &bytes)?))
    })
}

/// Reads a `states.json` and checks the sizes of its means and precisions.
pub fn read_states(path: &Path) -> Result<StatesFile, OutputError> {
    let s: StatesFile = from_json(path, &read_text(path)?)?;
    s.check(path)?;
    Ok(s)
}

/// Reads a `motifs.json` and checks each instance's times are in order.
pub fn read_motifs(path: &Path) -> Result<Vec<MotifEntry>, OutputError> {
    let motifs: Vec<MotifEntry> = from_json(path, &read_text(path)?)?;
    for (i, m) in motifs.iter().enumerate() {
        for (j, inst) in m.instances.iter().enumerate() {
            let ordered = inst.start <= inst.end
                && inst.stage_starts.windows(2).all(|w| w[0] <= w[1])
                && inst.stage_starts.first().is_none_or(|&f| f >= inst.start)
                && inst.stage_starts.last().is_none_or(|&l| l <= inst.end);
            if !ordered {
                return Err(OutputError::Invalid {
                    path: path.to_path_buf(),
                    line: None,
                    message: format!(
                        "motifs[{i}].instances[{j}]: start {}, stage starts {:?} and end {} are not in order",
                        inst.start, inst.stage_starts, inst.end
                    ),
                });
            }
        }
    }
    Ok(motifs)
}

/// Reads an `assignments.csv`.
pub fn read_assignments(path: &Path) -> Result<Vec<AssignmentRow>, OutputError> {
    let bytes = read_text(path)?;
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    r.deserialize()
        .collect::<Result<Vec<AssignmentRow>, _>>()
        .map_err(csv_error(path))
}

/// Reads a `segments.csv`; a `motif` cell is empty or `M/I`.
pub fn read_segments(path: &Path) -> Result<Vec<SegmentRow>, OutputError> {
    let bytes = read_text(path)?;
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let mut rows = Vec::new();
    for rec in r.deserialize::<SegmentRecord>() {
        let rec = rec.map_err(csv_error(path))?;
        let line = rows.len() + 2;
        let motif = if rec.motif.is_empty() {
            None
        } else {
            let parsed = rec.motif.split_once('/').and_then(|(m, i)| {
                Some(InstanceRef {
                    motif: m.parse().ok()?,
                    instance: i.parse().ok()?,
                })
            });
            Some(parsed.ok_or_else(|| OutputError::Invalid {
                path: path.to_path_buf(),
                line: Some(line),
                message: format!("motif {:?} is not M/I (motif / instance)", rec.motif),
            })?)
        };
        if rec.start > rec.end {
            return Err(OutputError::Invalid {
                path: path.to_path_buf(),
                line: Some(line),
                message: format!("segment starts at {} after its end {}", rec.start, rec.end),
            });
        }
        rows.push(SegmentRow {
            recording: rec.recording,
            start: rec.start,
            end: rec.end,
            state: rec.state,
            motif,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("casc-output-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn two_recordings() -> Series {
        Series::from_recordings(
            vec![0.0; 7],
            1,
            None,
            vec![("a,b \"quoted\"".into(), 3), ("second".into(), 4)],
        )
        .unwrap()
    }

    #[test]
    fn names_with_commas_and_quotes_survive_a_round_trip() {
        let series = two_recordings();
        let dir = tmp("quote");
        let assignment = [0, 0, 1, 1, 1, 0, 0];
        let rows = assignment_rows(&series, &assignment);
        write_assignments(&dir.join("a.csv"), &rows).unwrap();
        let text = std::fs::read_to_string(dir.join("a.csv")).unwrap();
        assert!(
            text.starts_with("recording,t,state\n\"a,b \"\"quoted\"\"\",0,0\n"),
            "{text}"
        );
        assert_eq!(read_assignments(&dir.join("a.csv")).unwrap(), rows);

        let motifs = vec![Motif {
            states: vec![1, 0],
            score: 1.0,
            p_value: 0.5,
            instances: vec![casc_fit::Instance {
                start: 4,
                end: 6,
                stage_starts: vec![4, 5],
                score: 2.0,
            }],
        }];
        let segs = segment_rows(&series, &assignment, &motifs);
        write_segments(&dir.join("s.csv"), &segs).unwrap();
        let back = read_segments(&dir.join("s.csv")).unwrap();
        assert_eq!(back, segs);
        let text = std::fs::read_to_string(dir.join("s.csv")).unwrap();
        assert_eq!(
            text,
            "recording,start,end,state,motif\n\
             \"a,b \"\"quoted\"\"\",0,1,0,\n\
             \"a,b \"\"quoted\"\"\",2,2,1,\n\
             second,0,0,1,\n\
             second,1,1,1,0/0\n\
             second,2,3,0,0/0\n"
        );
        let entries = motif_entries(&series, &motifs);
        assert_eq!(entries[0].instances[0].recording.as_deref(), Some("second"));
        assert_eq!(entries[0].instances[0].local_start, Some(1));
        write_json(&dir.join("m.json"), &entries).unwrap();
        assert_eq!(read_motifs(&dir.join("m.json")).unwrap(), entries);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn one_recording_has_no_recording_column() {
        let series = Series::new(vec![0.0; 3], 1, None).unwrap();
        let dir = tmp("single");
        let rows = assignment_rows(&series, &[2, 2, 0]);
        write_assignments(&dir.join("a.csv"), &rows).unwrap();
        let text = std::fs::read_to_string(dir.join("a.csv")).unwrap();
        assert_eq!(text, "t,state\n0,2\n1,2\n2,0\n");
        assert_eq!(read_assignments(&dir.join("a.csv")).unwrap(), rows);
        let segs = segment_rows(&series, &[2, 2, 0], &[]);
        write_segments(&dir.join("s.csv"), &segs).unwrap();
        let text = std::fs::read_to_string(dir.join("s.csv")).unwrap();
        assert_eq!(text, "start,end,state,motif\n0,1,2,\n2,2,0,\n");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn malformed_files_are_named_with_their_line() {
        let dir = tmp("bad");
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("s.csv");
        std::fs::write(&p, "start,end,state,motif\n0,1,0,\n2,3,1,x\n").unwrap();
        let e = read_segments(&p).unwrap_err().to_string();
        assert!(e.contains("s.csv:3") && e.contains("\"x\""), "{e}");
        std::fs::write(&p, "start,end,state,motif\n5,1,0,\n").unwrap();
        assert!(
            read_segments(&p)
                .unwrap_err()
                .to_string()
                .contains("after its end")
        );
        let j = dir.join("states.json");
        std::fs::write(
            &j,
            r#"{"sensors":["a"],"window":1,"standardization":null,
               "states":[{"state":0,"timesteps":1,"nonzeros":1,"mean":[0,1],"precision":[[1]]}]}"#,
        )
        .unwrap();
        let e = read_states(&j).unwrap_err().to_string();
        assert!(e.contains("states[0].mean has 2 numbers"), "{e}");
        std::fs::write(&j, "{\"sensors\": [1]}").unwrap();
        let e = read_states(&j).unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
        // null precision entries (non-finite values) are read as NaN, not refused.
        std::fs::write(
            &j,
            r#"{"sensors":["a"],"window":1,"standardization":null,
               "states":[{"state":0,"timesteps":1,"nonzeros":1,"mean":[0],"precision":[[null]]}]}"#,
        )
        .unwrap();
        assert!(read_states(&j).unwrap().states[0].precision[0][0].is_nan());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
