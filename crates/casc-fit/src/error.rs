//! Errors of the orchestration crate: parameter errors apart from data and numerical ones.

use std::path::PathBuf;

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
    /// A numerical step failed in a way that no fallback could absorb.
    #[error("numerical failure: {0}")]
    Numerical(String),
    /// A model file could not be read or written.
    #[error("model file {path}: {reason}")]
    ModelFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The data does not match the model it is applied to.
    #[error("{0}")]
    ModelMismatch(String),
}
