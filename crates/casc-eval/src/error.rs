//! The error type of casc-eval.

use std::path::PathBuf;

/// Everything that can go wrong in casc-eval: invalid parameters, unreadable or
/// malformed files, inputs of inconsistent lengths, numerical failure.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A generator parameter is out of its allowed range.
    #[error("parameter `{name}` = {value} is invalid: {allowed}")]
    InvalidParameter {
        /// Name of the parameter (the `SynthParams` field).
        name: &'static str,
        /// The rejected value, formatted.
        value: String,
        /// What is allowed.
        allowed: String,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A value in a label or mask file could not be parsed.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// Line number, starting at 1.
        line: usize,
        /// Column (comma-separated field) number, starting at 1.
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// Two sequences that must cover the same timesteps have different lengths.
    #[error("{what}: expected {expected} timesteps (as in the truth), got {got}")]
    LengthMismatch {
        /// Which input has the wrong length.
        what: &'static str,
        /// Length of the truth.
        expected: usize,
        /// Length of the other input.
        got: usize,
    },
    /// A state label is too large to index a confusion matrix.
    #[error("{what}: label {label} is larger than {max}; relabel the states 0..K-1")]
    LabelTooLarge {
        /// Which input holds the label.
        what: &'static str,
        /// The label.
        label: usize,
        /// The largest label accepted.
        max: usize,
    },
    /// Parameters could not be read from JSON.
    #[error("invalid parameters JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// There is nothing to score.
    #[error("the truth has no timesteps: nothing to score")]
    Empty,
    /// A generated state's matrix was not positive definite (should not happen;
    /// report it with the parameters).
    #[error("state {state}: {what} is not positive definite (pivot {pivot})")]
    NotPositiveDefinite {
        /// The state (or the state mixed into a noisy segment).
        state: usize,
        /// Which matrix failed.
        what: &'static str,
        /// Index of the failing Cholesky pivot.
        pivot: usize,
    },
}
