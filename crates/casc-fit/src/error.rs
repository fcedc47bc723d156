//! Errors of the orchestration crate: parameter errors apart from data and numerical ones, and
//! the stage crates' errors carried as sources with the state they concern.
//!
//! A leaf of the crate.

use std::path::PathBuf;

use casc_glasso::GlassoError;
use casc_motif::MotifError;
use casc_segment::SegmentError;

/// A parameter outside its allowed range, found before any work starts.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
#[error("invalid parameter {name} = {value}: {allowed}")]
pub struct ParamError {
    /// The parameter's name as the command line spells it (`states`, `lambda`, ...).
    pub name: &'static str,
    /// The rejected value, rendered.
    pub value: String,
    /// What would be accepted.
    pub allowed: String,
}

impl ParamError {
    pub(crate) fn new(name: &'static str, value: impl ToString, allowed: impl ToString) -> Self {
        Self {
            name,
            value: value.to_string(),
            allowed: allowed.to_string(),
        }
    }
}

/// What a model file holds that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelFileError {
    /// The file could not be read or written.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The file does not start with the magic bytes of a model.
    #[error("not a casc model file (wrong magic bytes)")]
    NotAModel,
    /// The file ends before its header or payload does.
    #[error("truncated: {0}")]
    Truncated(String),
    /// Written by a newer casc.
    #[error(
        "written by a newer casc (format version {version}); this casc reads up to version {newest}: upgrade casc"
    )]
    Newer {
        /// The file's format version.
        version: u32,
        /// The newest this build reads.
        newest: u32,
    },
    /// Written by an older casc whose format this one no longer reads.
    #[error(
        "written by an older casc (format version {version}), which this casc no longer reads: fit the model again"
    )]
    Older {
        /// The file's format version.
        version: u32,
    },
    /// The checksum does not match, or the payload does not decode.
    #[error("corrupted: {0}")]
    Corrupted(String),
    /// The payload decodes, but its parts do not fit together (sizes, state ids, parameters).
    #[error("inconsistent model: {0}")]
    Inconsistent(String),
}

/// Everything that can stop a fit or a prediction.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FitError {
    /// A parameter is out of range, alone or for this data (`K` larger than the number of windows).
    #[error(transparent)]
    Param(#[from] ParamError),
    /// The data cannot be used as given (non-finite value, wrong shape, too short).
    #[error("{0}")]
    Data(String),
    /// The graphical lasso of one state failed in a way no fallback absorbed.
    #[error("numerical failure in the graphical lasso of state {state}")]
    Glasso {
        /// The state.
        state: usize,
        /// What the solver reported.
        #[source]
        source: GlassoError,
    },
    /// A state's model cannot score windows (its precision is not positive definite).
    #[error("numerical failure: state {state} cannot be scored")]
    Scorer {
        /// The state.
        state: usize,
        /// What the scorer reported.
        #[source]
        source: SegmentError,
    },
    /// The motif step refused its input.
    #[error("the motif step failed")]
    Motif(#[source] MotifError),
    /// A model file could not be read or written.
    #[error("model file {}", path.display())]
    ModelFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: ModelFileError,
    },
    /// The data does not match the model it is applied to.
    #[error("{0}")]
    ModelMismatch(String),
    /// The observer asked the fit to stop.
    #[error("the fit was cancelled")]
    Cancelled,
}

/// The kind of a [`FitError`], for front ends that map errors to exit codes or exceptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A parameter is out of range (exit code 2 on the command line, `ValueError` in Python).
    Parameter,
    /// The data, a model file, or data that does not match its model (exit code 3).
    Data,
    /// A numerical step failed (exit code 4).
    Numerical,
    /// The fit was cancelled.
    Cancelled,
}

impl FitError {
    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            FitError::Param(_) => ErrorKind::Parameter,
            FitError::Data(_) | FitError::ModelFile { .. } | FitError::ModelMismatch(_) => {
                ErrorKind::Data
            }
            FitError::Motif(e) => match e {
                MotifError::InvalidParameter { .. } => ErrorKind::Parameter,
                // A motif that names an unknown state comes from a model file.
                MotifError::BadMotif { .. } => ErrorKind::Data,
                _ => ErrorKind::Numerical,
            },
            FitError::Glasso { source, .. } => match source {
                GlassoError::InvalidParameter { .. } => ErrorKind::Parameter,
                _ => ErrorKind::Numerical,
            },
            FitError::Scorer { .. } => ErrorKind::Numerical,
            FitError::Cancelled => ErrorKind::Cancelled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_cause() {
        let motif_param = FitError::Motif(MotifError::InvalidParameter {
            name: "gamma",
            value: "2".into(),
            allowed: "(0, 1]",
        });
        assert_eq!(motif_param.kind(), ErrorKind::Parameter);
        let bad_motif = FitError::Motif(MotifError::BadMotif {
            index: 0,
            states: vec![7],
            k: 3,
            max_len: 16,
        });
        assert_eq!(bad_motif.kind(), ErrorKind::Data);
        let cost = FitError::Motif(MotifError::NonFiniteCost {
            t: 1,
            state: 0,
            value: f64::NAN,
        });
        assert_eq!(cost.kind(), ErrorKind::Numerical);
        // The stage error is the source, not part of the message.
        let e = FitError::Scorer {
            state: 2,
            source: SegmentError::NotPositiveDefinite {
                index: 0,
                pivot: -1.0,
            },
        };
        assert_eq!(e.to_string(), "numerical failure: state 2 cannot be scored");
        let src = std::error::Error::source(&e).expect("a source").to_string();
        assert!(!src.is_empty());
        assert_eq!(FitError::Cancelled.kind(), ErrorKind::Cancelled);
        assert_eq!(
            FitError::Data("x".into()).kind(),
            ErrorKind::Data,
            "data errors exit with 3"
        );
    }
}
