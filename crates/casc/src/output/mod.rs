//! The files of an output folder as types: `summary.json`, `states.json`, `motifs.json`, and
//! the rows of `assignments.csv` and `segments.csv`. Written with serde_json and the csv crate
//! (fields are quoted where they need it), and read back by the report and the tests.
//!
//! [`write_fit`] and [`write_prediction`] write a whole folder; the `read_*` functions read
//! one file each and name the file, line and column of what they cannot use.

use std::path::{Path, PathBuf};

use casc_fit::{Fit, Series};
use serde::{Deserialize, Deserializer, Serialize};

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

pub(crate) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
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
pub(crate) fn nan_for_null_rows<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<Vec<f64>>, D::Error> {
    let rows = Vec::<Vec<Option<f64>>>::deserialize(d)?;
    Ok(rows
        .into_iter()
        .map(|r| r.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
        .collect())
}

mod motifs;
mod rows;
mod states;
mod summary;

pub use motifs::{InstanceEntry, MotifEntry, motif_entries};
pub use rows::{
    AssignmentRow, InstanceRef, SegmentRow, assignment_rows, read_assignments, read_segments,
    segment_rows, time_header, write_assignments, write_segments,
};
pub use states::{Scale, StateEntry, StatesFile};
pub use summary::{
    FitSeconds, FitSummary, MotifBrief, PhaseConvergence, PhaseIterations, PredictSeconds,
    PredictSummary, Summary,
};

pub(crate) fn create(path: &Path) -> Result<std::fs::File, OutputError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    }
    std::fs::File::create(path).map_err(io_error(path))
}

/// Creates the output folder `dir` (and its parents) if missing and checks that a file can be
/// created in it, so that a long run does not end on a permission error. Call it before the
/// work that fills the folder.
pub fn prepare_dir(dir: &Path) -> Result<(), OutputError> {
    if dir.exists() && !dir.is_dir() {
        return Err(OutputError::Io {
            path: dir.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "this is a file, not a folder",
            ),
        });
    }
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let probe = dir.join(format!(".casc-write-check-{}", std::process::id()));
    std::fs::File::create(&probe)
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|source| OutputError::Io {
            path: dir.to_path_buf(),
            source: std::io::Error::new(
                source.kind(),
                format!("cannot write into this folder: {source}"),
            ),
        })
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
    let time = series.time().map(|c| c.name.as_str());
    write_assignments(
        &dir.join(ASSIGNMENTS_FILE),
        &assignment_rows(series, &fit.assignment),
        time,
    )?;
    if fit.model.params.motifs() {
        write_assignments(
            &dir.join(PHASE1_ASSIGNMENTS_FILE),
            &assignment_rows(series, &fit.phase1_assignment),
            time,
        )?;
    }
    write_segments(
        &dir.join(SEGMENTS_FILE),
        &segment_rows(series, &fit.assignment, &fit.motifs),
        time,
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
    let time = series.time().map(|c| c.name.as_str());
    write_assignments(
        &dir.join(ASSIGNMENTS_FILE),
        &assignment_rows(series, &prediction.assignment),
        time,
    )?;
    write_segments(
        &dir.join(SEGMENTS_FILE),
        &segment_rows(series, &prediction.assignment, &prediction.motifs),
        time,
    )?;
    write_json(
        &dir.join(MOTIFS_FILE),
        &motif_entries(series, &prediction.motifs),
    )?;
    write_json(&dir.join(SUMMARY_FILE), summary)
}

pub(crate) fn read_text(path: &Path) -> Result<Vec<u8>, OutputError> {
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
        Summary::Predict(Box::new(from_json(path, &bytes)?))
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

#[cfg(test)]
mod tests;
