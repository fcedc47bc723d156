//! Loading an output folder into a checked [`ReportInput`]: the typed files of
//! [`casc::output`], the state runs in global time (from `assignments.csv`: one row per
//! timestep, whatever the row numbers), the sensor values of the data CSVs named in
//! `summary.json` when they can still be found, and, for a prediction, the states of the model
//! it applied when the model file can still be found.

use std::path::{Path, PathBuf};

use casc::Series;
use casc::output::{
    ASSIGNMENTS_FILE, AssignmentRow, FitSummary, MOTIFS_FILE, MotifEntry, OutputError, STATES_FILE,
    SUMMARY_FILE, StatesFile, Summary, read_assignments, read_motifs, read_states, read_summary,
};
use casc::{Model, ReadOptions, Recording};

use crate::downsampling::Run;
use crate::{ReportError, ReportOptions};

/// The files of an output folder that the page shows, as read by [`casc::output`].
#[derive(Clone, Debug)]
pub struct OutputFiles {
    /// `summary.json`, of a fit or a prediction.
    pub summary: Summary,
    /// `states.json`: written by a fit (required with a fit's summary), not by a prediction.
    pub states: Option<StatesFile>,
    /// `motifs.json`.
    pub motifs: Vec<MotifEntry>,
    /// `assignments.csv`.
    pub assignments: Vec<AssignmentRow>,
}

impl OutputFiles {
    /// Reads `summary.json`, `motifs.json`, `assignments.csv` and, for a fit, `states.json`
    /// from `dir`.
    pub fn read(dir: &Path) -> Result<Self, ReportError> {
        let summary = read_summary(&dir.join(SUMMARY_FILE))?;
        let states = match summary {
            Summary::Fit(_) => Some(read_states(&dir.join(STATES_FILE))?),
            Summary::Predict(_) => None,
        };
        Ok(Self {
            summary,
            states,
            motifs: read_motifs(&dir.join(MOTIFS_FILE))?,
            assignments: read_assignments(&dir.join(ASSIGNMENTS_FILE))?,
        })
    }
}

/// Everything the page shows, read and checked: build it with [`ReportInput::load`] from a
/// folder or [`ReportInput::new`] from files in memory, then [`ReportInput::render`].
#[derive(Clone, Debug)]
pub struct ReportInput {
    pub(crate) summary: Summary,
    /// The summary's recordings (one covering every step when it names none).
    recordings: Vec<Recording>,
    pub(crate) states: Option<StatesFile>,
    /// For a prediction whose states come from its model file: that file.
    pub(crate) states_from: Option<PathBuf>,
    /// For a prediction: why its model's states are not shown.
    pub(crate) states_note: Option<String>,
    pub(crate) motifs: Vec<MotifEntry>,
    /// Maximal runs of one state over the whole series, from `assignments.csv`.
    pub(crate) runs: Vec<Run>,
    /// Each timestep's state.
    pub(crate) steps: Vec<usize>,
    pub(crate) data: Option<Series>,
    /// Why the sensor values are not shown, when they are not.
    pub(crate) data_note: Option<String>,
    /// What the page shows besides the files.
    pub(crate) options: ReportOptions,
}

impl ReportInput {
    /// Reads the folder `dir` ([`OutputFiles::read`]) and the data CSVs named in `summary.json`:
    /// as given (absolute, or relative to the current directory), else inside `dir`, else
    /// relative to each folder above `dir` (where the fit may have run); read with the options
    /// recorded in the summary, if any. A data file that cannot be used is recorded as a note
    /// shown on the page.
    pub fn load(dir: &Path) -> Result<Self, ReportError> {
        let mut input = Self::check(OutputFiles::read(dir)?, dir)?;
        if let Summary::Predict(p) = &input.summary
            && input.states.is_none()
        {
            let model = p.model.clone();
            match locate(&model, dir).map(|path| (Model::load(&path), path)) {
                None => input.states_note = Some(format!("the model file {model} was not found")),
                Some((Err(e), _)) => {
                    input.states_note = Some(format!("the model file cannot be read ({e:#})"))
                }
                Some((Ok(m), path)) => {
                    let states = StatesFile::from_model(&m, input.state_counts());
                    if states.sensors.len() == input.n_sensors() {
                        input.states = Some(states);
                        input.states_from = Some(path);
                    } else {
                        input.states_note = Some(format!(
                            "the model file {model} has {} sensors, this folder {}",
                            states.sensors.len(),
                            input.n_sensors()
                        ));
                    }
                }
            }
        }
        Ok(match input.read_data(dir) {
            Ok(series) => input.with_data(series),
            Err(note) => Self {
                data_note: Some(note),
                ..input
            },
        })
    }

    /// The same input drawn with `options` (detail windows).
    pub fn with_options(mut self, options: ReportOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks that the files fit together (times inside the series, recordings of the summary,
    /// sizes of the states) and builds the input, without sensor values. Errors name the file
    /// by its bare name (`segments.csv`).
    pub fn new(files: OutputFiles) -> Result<Self, ReportError> {
        Self::check(files, Path::new(""))
    }

    /// The same input with the sensor values to plot: `series` must have the run's timesteps,
    /// sensors and recordings, else it is dropped and the page says why.
    pub fn with_data(mut self, series: Series) -> Self {
        let (t, n) = (series.n_steps(), series.n_sensors());
        if n != self.n_sensors() || t != self.n_steps() {
            let hint = if self.read_options().is_none() {
                " (was a missing-value policy or a sequence column used?)"
            } else {
                ""
            };
            self.data_note = Some(format!(
                "sensor values not shown: the data has {t} rows of {n} values; the run had {} timesteps of {} sensors{hint}",
                self.n_steps(),
                self.n_sensors()
            ));
        } else if series
            .recordings()
            .iter()
            .map(|r| &r.range)
            .ne(self.recordings.iter().map(|r| &r.range))
        {
            self.data_note = Some(format!(
                "sensor values not shown: the data's recordings ({}) are not the run's ({})",
                describe(series.recordings()),
                describe(&self.recordings)
            ));
        } else {
            self.data = Some(series);
            self.data_note = None;
        }
        self
    }

    fn check(files: OutputFiles, dir: &Path) -> Result<Self, ReportError> {
        let invalid = |file: &str, line: Option<usize>, message: String| {
            ReportError::Malformed(OutputError::Invalid {
                path: dir.join(file),
                line,
                message,
            })
        };
        let OutputFiles {
            summary,
            states,
            motifs,
            assignments,
        } = files;
        let n_steps = summary.n_steps();
        let mut recordings = summary.recordings().to_vec();
        if recordings.is_empty() {
            recordings.push(Recording {
                name: String::new(),
                range: 0..n_steps,
            });
        }
        for (i, r) in recordings.iter().enumerate() {
            if r.range.start > r.range.end || r.range.end > n_steps {
                return Err(invalid(
                    SUMMARY_FILE,
                    None,
                    format!(
                        "recordings[{i}] has the range {}..{}, outside 0..{n_steps} (n_steps)",
                        r.range.start, r.range.end
                    ),
                ));
            }
        }

        let n_sensors = sensors_of(&summary);
        match (&summary, &states) {
            (Summary::Fit(_), None) => {
                return Err(invalid(
                    STATES_FILE,
                    None,
                    "a fit's folder needs its states".into(),
                ));
            }
            (_, Some(st)) => {
                let d = st.window * st.sensors.len();
                if st.sensors.len() != n_sensors {
                    return Err(invalid(
                        STATES_FILE,
                        None,
                        format!(
                            "{} sensors, but summary.json has {n_sensors}",
                            st.sensors.len()
                        ),
                    ));
                }
                for (i, s) in st.states.iter().enumerate() {
                    if s.precision.len() != d || s.precision.iter().any(|r| r.len() != d) {
                        return Err(invalid(
                            STATES_FILE,
                            None,
                            format!("states[{i}].precision must be {d} rows of {d} numbers"),
                        ));
                    }
                }
            }
            (Summary::Predict(_), None) => {}
        }

        for (i, m) in motifs.iter().enumerate() {
            for (j, inst) in m.instances.iter().enumerate() {
                let ordered = inst.start <= inst.end
                    && inst.stage_starts.windows(2).all(|w| w[0] <= w[1])
                    && inst.stage_starts.first().is_none_or(|&f| f >= inst.start)
                    && inst.stage_starts.last().is_none_or(|&l| l <= inst.end);
                if !ordered || inst.end >= n_steps {
                    return Err(invalid(
                        MOTIFS_FILE,
                        None,
                        format!(
                            "motifs[{i}].instances[{j}]: start {}, stage starts {:?}, end {} are not in order inside 0..{n_steps}",
                            inst.start, inst.stage_starts, inst.end
                        ),
                    ));
                }
            }
        }

        let (runs, steps) = runs_from_assignments(&assignments, &recordings, n_steps)
            .map_err(|(line, message)| invalid(ASSIGNMENTS_FILE, line, message))?;
        Ok(Self {
            summary,
            recordings,
            states,
            states_from: None,
            states_note: None,
            motifs,
            runs,
            steps,
            data: None,
            data_note: None,
            options: ReportOptions::default(),
        })
    }

    /// Reads the data CSVs of the summary's `inputs`; on failure, the note to show.
    fn read_data(&self, dir: &Path) -> Result<Series, String> {
        let inputs = self.summary.inputs();
        if inputs.is_empty() {
            return Err("sensor values not shown: summary.json names no input file".into());
        }
        if inputs.iter().any(|p| p == "-") {
            return Err("sensor values not shown: the data was read from standard input (fit a file to see its sensors here)".into());
        }
        let mut paths = Vec::with_capacity(inputs.len());
        for p in inputs {
            let path = locate(p, dir).ok_or_else(|| {
                format!(
                    "sensor values not shown: the data file {p} was not found (a relative path is looked up from the current directory, the output folder and the folders above it)"
                )
            })?;
            paths.push(path);
        }
        let opts = self.read_options().cloned().unwrap_or_default();
        casc::read_series(&paths, &opts).map_err(|e| format!("sensor values not shown: {e}"))
    }

    /// Timesteps over all recordings.
    pub(crate) fn n_steps(&self) -> usize {
        self.summary.n_steps()
    }

    /// The recordings, with their rows in the concatenated series.
    pub(crate) fn recordings(&self) -> &[Recording] {
        &self.recordings
    }

    /// Sensors, as the summary counts them.
    pub(crate) fn n_sensors(&self) -> usize {
        sensors_of(&self.summary)
    }

    /// Sensor names of the data's columns: from the data's header, else from the states (a
    /// fit's data has its states' order), else none.
    pub(crate) fn sensor_names(&self) -> &[String] {
        match (&self.data, &self.states) {
            (Some(d), _) if d.has_names() => d.names(),
            (_, Some(s)) => &s.sensors,
            (Some(d), None) => d.names(),
            (None, None) => &[],
        }
    }

    /// The window length, known from the states.
    pub(crate) fn window(&self) -> Option<usize> {
        self.states.as_ref().map(|s| s.window)
    }

    /// The number of states.
    pub(crate) fn n_states(&self) -> usize {
        match &self.states {
            Some(s) => s.states.len(),
            None => self.state_counts().len(),
        }
    }

    /// Timesteps per state, from the summary.
    pub(crate) fn state_counts(&self) -> &[usize] {
        match &self.summary {
            Summary::Fit(s) => &s.state_counts,
            Summary::Predict(s) => &s.state_counts,
        }
    }

    /// Timesteps of state `s` (from `states.json` for a fit, else the summary).
    pub(crate) fn timesteps_of(&self, s: usize) -> Option<usize> {
        match &self.states {
            Some(st) => st.states.iter().find(|v| v.state == s).map(|v| v.timesteps),
            None => self.state_counts().get(s).copied(),
        }
    }

    /// How many state colours the page needs: every state named anywhere gets its own.
    pub(crate) fn n_colors(&self) -> usize {
        let named = self
            .runs
            .iter()
            .map(|r| r.state + 1)
            .chain(
                self.states
                    .iter()
                    .flat_map(|s| s.states.iter().map(|e| e.state + 1)),
            )
            .max()
            .unwrap_or(0);
        named.max(self.n_states())
    }

    /// The fit's summary, when this is a fit's folder.
    pub(crate) fn fit(&self) -> Option<&FitSummary> {
        match &self.summary {
            Summary::Fit(s) => Some(s),
            Summary::Predict(_) => None,
        }
    }

    fn read_options(&self) -> Option<&ReadOptions> {
        match &self.summary {
            Summary::Fit(s) => s.read_options.as_ref(),
            Summary::Predict(s) => s.read_options.as_ref(),
        }
    }
}

fn sensors_of(summary: &Summary) -> usize {
    match summary {
        Summary::Fit(s) => s.n_sensors,
        Summary::Predict(s) => s.n_sensors,
    }
}

/// `name: rows` for each recording.
fn describe(recordings: &[Recording]) -> String {
    recordings
        .iter()
        .map(|r| format!("{}: {} rows", r.name, r.range.len()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where the data file `given` (as named in the summary) is now: as given, inside `dir` (by its
/// path, then by its name), or relative to each folder above `dir`.
fn locate(given: &str, dir: &Path) -> Option<PathBuf> {
    let given = PathBuf::from(given);
    let mut candidates = vec![
        given.clone(),
        dir.join(&given),
        dir.join(given.file_name().unwrap_or_default()),
    ];
    if given.is_relative()
        && let Ok(abs) = std::path::absolute(dir)
    {
        candidates.extend(abs.ancestors().skip(1).map(|a| a.join(&given)));
    }
    candidates.into_iter().find(|c| c.is_file())
}

/// Runs of one state in global time, and each timestep's state.
type RunsAndSteps = (Vec<Run>, Vec<usize>);
/// A problem at a 1-based line (when it is about one) of a file.
type LineError = (Option<usize>, String);

/// The rows of `assignments.csv` (one per timestep, in order) as runs of one state in global
/// time, and each timestep's state; the rows' recordings must be the summary's. An error has
/// the 1-based line, when it is about one, and what is wrong.
fn runs_from_assignments(
    rows: &[AssignmentRow],
    recordings: &[Recording],
    n_steps: usize,
) -> Result<RunsAndSteps, LineError> {
    if rows.len() != n_steps {
        return Err((
            None,
            format!(
                "{} rows, but summary.json has {n_steps} timesteps",
                rows.len()
            ),
        ));
    }
    let several = recordings.len() > 1;
    let mut runs: Vec<Run> = Vec::new();
    let mut steps = Vec::with_capacity(n_steps);
    let mut rec = 0;
    for (t, row) in rows.iter().enumerate() {
        let line = t + 2; // after the header
        while rec + 1 < recordings.len() && t >= recordings[rec].range.end {
            rec += 1;
        }
        match (&row.recording, several) {
            (Some(name), _) if recordings.iter().all(|r| &r.name != name) => {
                return Err((
                    Some(line),
                    format!("recording {name:?} is not in summary.json"),
                ));
            }
            (Some(name), _) if *name != recordings[rec].name => {
                return Err((
                    Some(line),
                    format!(
                        "this row is timestep {t}, in recording {:?} by summary.json, not {name:?}",
                        recordings[rec].name
                    ),
                ));
            }
            (None, true) => {
                return Err((
                    Some(line),
                    "no recording named, but summary.json has several".into(),
                ));
            }
            _ => {}
        }
        steps.push(row.state);
        match runs.last_mut() {
            Some(last) if last.state == row.state => last.end = t,
            _ => runs.push(Run {
                start: t,
                end: t,
                state: row.state,
            }),
        }
    }
    Ok((runs, steps))
}

#[cfg(test)]
mod tests;
