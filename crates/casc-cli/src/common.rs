//! What the subcommands share: input options, failures with their exit codes, reading data.

use std::path::PathBuf;

use casc::{ErrorKind, FitError, Missing, ReadOptions, Series};
use clap::Args;

/// Exit codes, as `--help` documents them.
pub const EXIT_HELP: &str = "\
Exit codes: 0 success, 2 usage or parameter error, 3 input data error, 4 numerical failure,
1 anything else.";

/// Options of how input files are read.
#[derive(Args, Debug)]
pub struct InputArgs {
    /// What to do with empty cells, NaN, NA and infinities.
    #[arg(long, default_value_t = Missing::Error, value_parser = parse_missing)]
    pub missing: Missing,
    /// A column naming each row's recording (one file holding several recordings).
    #[arg(long, value_name = "NAME")]
    pub sequence_column: Option<String>,
}

fn parse_missing(s: &str) -> Result<Missing, String> {
    s.parse()
}

impl InputArgs {
    /// The reader's options.
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions {
            missing: self.missing,
            sequence_column: self.sequence_column.clone(),
        }
    }
}

/// A failure with the exit code the command line documents.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub code: u8,
    /// What went wrong, with its causes.
    pub error: anyhow::Error,
}

/// A closure that wraps an error as a failure with exit code `code`.
pub fn fail(code: u8) -> impl FnOnce(anyhow::Error) -> Failure {
    move |error| Failure { code, error }
}

/// A usage error (exit code 2).
pub fn usage(message: impl Into<String>) -> Failure {
    fail(2)(anyhow::anyhow!(message.into()))
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure { code: 1, error }
    }
}

impl From<FitError> for Failure {
    fn from(e: FitError) -> Self {
        Failure {
            code: exit_code(e.kind()),
            error: e.into(),
        }
    }
}

impl From<casc::ParamError> for Failure {
    fn from(e: casc::ParamError) -> Self {
        fail(2)(e.into())
    }
}

/// The exit code of an error kind.
pub fn exit_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Parameter => 2,
        ErrorKind::Data => 3,
        ErrorKind::Numerical => 4,
        _ => 1,
    }
}

/// Reads the input files into one series.
pub fn read_input(paths: &[PathBuf], input: &InputArgs) -> Result<Series, Failure> {
    casc::read_series(paths, &input.read_options()).map_err(|e| {
        let code = match &e {
            casc::ReadSeriesError::Data(_) => 3,
            casc::ReadSeriesError::Series(f) => exit_code(f.kind()),
            _ => 1,
        };
        Failure {
            code,
            error: e.into(),
        }
    })
}
