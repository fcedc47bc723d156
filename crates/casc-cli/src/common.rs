//! What the subcommands share: input options, failures with their exit codes, reading data
//! (files and standard input), checking the output folder, and writing to standard output
//! without panicking when the reader has gone away.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use casc::data::{ReadOptions, Table, read_csv, read_csv_from, series_from_tables};
use casc::{ErrorKind, FitError, Missing, Series};
use clap::Args;

/// Exit codes, as `--help` documents them.
pub const EXIT_HELP: &str = "\
Exit codes: 0 success, 2 usage or parameter error, 3 input data error, 4 numerical failure,
1 anything else.";

/// The path that stands for standard input.
pub const STDIN: &str = "-";

/// Options of how input files are read.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// What to do with empty cells, NaN, NA, N/A, null and infinities.
    #[arg(long, default_value_t = Missing::Error, value_parser = parse_missing)]
    pub missing: Missing,
    /// A column naming each row's recording (one file holding several recordings): its header
    /// name or its number (from 1).
    #[arg(long, value_name = "NAME")]
    pub sequence_column: Option<String>,
    /// A column holding each row's time (numbers or ISO-8601 timestamps): not a sensor; carried
    /// into assignments.csv and segments.csv beside `t`.
    #[arg(long, value_name = "NAME")]
    pub time_column: Option<String>,
    /// The sensor columns to read, in this order (names or numbers, comma-separated; default:
    /// every column that is not the time, the sequence or ignored).
    #[arg(long, value_name = "A,B,C", value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// Columns to leave out (names or numbers, comma-separated).
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    pub ignore_columns: Vec<String>,
    /// The delimiter: `,`, `;`, `tab` or any one character (default: comma, semicolon or tab,
    /// detected from the first lines).
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<char>,
}

fn parse_missing(s: &str) -> Result<Missing, String> {
    s.parse()
}

/// `--delimiter`: one ASCII character, or `tab`, `comma`, `semicolon`, `space`, `\t`.
pub fn parse_delimiter(s: &str) -> Result<char, String> {
    let c = match s {
        "tab" | "\\t" | "\t" => '\t',
        "comma" => ',',
        "semicolon" => ';',
        "space" => ' ',
        _ => {
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => c,
                _ => return Err(format!("{s:?} is not one character (or tab)")),
            }
        }
    };
    if !c.is_ascii() || matches!(c, '"' | '\n' | '\r') {
        return Err(format!(
            "{c:?} cannot be a delimiter: give one ASCII character other than a quote or a line break"
        ));
    }
    Ok(c)
}

impl InputArgs {
    /// The reader's options.
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions {
            missing: self.missing,
            sequence_column: self.sequence_column.clone(),
            time_column: self.time_column.clone(),
            columns: self.columns.clone(),
            ignore_columns: self.ignore_columns.clone(),
            delimiter: self.delimiter,
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

/// Standard output was closed by its reader (`casc ... | head -1`): not an error to report.
#[derive(Debug)]
pub struct ClosedPipe;

impl fmt::Display for ClosedPipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for ClosedPipe {}

impl Failure {
    /// Whether this is a closed standard output, to end on quietly.
    pub fn is_closed_pipe(&self) -> bool {
        self.error.downcast_ref::<ClosedPipe>().is_some()
    }
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

/// A write to standard output that failed: a closed pipe ends quietly, anything else is an
/// error (exit code 1).
pub fn stdout_error(e: std::io::Error) -> Failure {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        fail(0)(ClosedPipe.into())
    } else {
        fail(1)(anyhow::Error::from(e).context("writing to standard output"))
    }
}

/// Writes `args` to standard output (a closed pipe is [`ClosedPipe`], not a panic).
pub fn print(args: fmt::Arguments<'_>) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_fmt(args)
        .and_then(|()| out.flush())
        .map_err(stdout_error)
}

/// `println!` that returns a [`Failure`] instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::common::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use say;

/// Writes a warning line to standard error (ignoring a closed standard error).
pub fn warn(message: impl fmt::Display) {
    let _ = writeln!(std::io::stderr(), "warning: {message}");
}

/// Reads the input files into one series; `-` reads standard input (once).
pub fn read_input(paths: &[PathBuf], input: &InputArgs) -> Result<Series, Failure> {
    let opts = input.read_options();
    if paths.iter().filter(|p| p.as_os_str() == STDIN).count() > 1 {
        return Err(usage("standard input (-) can be read only once"));
    }
    let mut tables: Vec<(String, Table)> = Vec::with_capacity(paths.len());
    for p in paths {
        let table = if p.as_os_str() == STDIN {
            read_csv_from(std::io::stdin().lock(), Path::new("<stdin>"), &opts)
                .map(|t| ("stdin".to_string(), t))
        } else {
            read_csv(p, &opts).map(|t| {
                let name = p.file_stem().map_or_else(
                    || p.display().to_string(),
                    |s| s.to_string_lossy().into_owned(),
                );
                (name, t)
            })
        };
        let table = table.map_err(|e| fail(3)(e.into()))?;
        tables.push(table);
    }
    series_from_tables(tables).map_err(|e| Failure {
        code: exit_code(e.kind()),
        error: e.into(),
    })
}

/// Creates the output folder and checks it is writable, before any work (exit code 2: the
/// `--out` given cannot be used).
pub fn prepare_out(dir: &Path) -> Result<(), Failure> {
    casc::output::prepare_dir(dir).map_err(|e| fail(2)(anyhow::anyhow!("--out: {e}")))
}

/// Warns about the states no timestep ended in (`counts[k]` timesteps in state `k`).
pub fn warn_empty_states(counts: &[usize]) {
    if let Some(m) = empty_states_message(counts) {
        warn(m);
    }
}

/// The warning about the states without a timestep, if there are any.
fn empty_states_message(counts: &[usize]) -> Option<String> {
    let empty: Vec<String> = counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == 0)
        .map(|(k, _)| k.to_string())
        .collect();
    let (which, verb) = match empty.len() {
        0 => return None,
        1 => (format!("state {}", empty[0]), "has"),
        _ => (format!("states {}", empty.join(", ")), "have"),
    };
    Some(format!(
        "{which} {verb} no timestep in the final assignment: the data may have fewer states (try a smaller --states)"
    ))
}

/// Refuses, before fitting, what the fit would otherwise report against the wrong parameter
/// (or not at all): a window that leaves fewer full windows than states (reported against
/// `window`, with the largest window that fits), and an estimate of beta from fewer than three
/// rows (a switching rate needs two pairs of consecutive rows).
pub fn check_fit_input(series: &Series, params: &casc::ValidFitParams) -> Result<(), Failure> {
    // With a range of states, the fewest must fit.
    let k = match params.states() {
        casc::States::Fixed(k) => k,
        casc::States::Auto { min, .. } => min,
    };
    // A window chosen from the data fits the data by construction.
    let w = match params.window() {
        casc::Window::Fixed(w) => w,
        casc::Window::Auto => 1,
    };
    let lengths: Vec<usize> = series.recordings().iter().map(|r| r.range.len()).collect();
    let windows = |w: usize| -> usize { lengths.iter().map(|&l| (l + 1).saturating_sub(w)).sum() };
    if w > 1 && windows(w) < k && windows(1) >= k {
        let fits = (1..w).rev().find(|&v| windows(v) >= k).unwrap_or(1);
        return Err(fail(2)(anyhow::anyhow!(
            "invalid parameter window = {w}: {} rows leave {} full window{} of {w} rows, fewer than the {k} states; the largest window that leaves {k} is {fits}",
            series.n_steps(),
            windows(w),
            if windows(w) == 1 { "" } else { "s" }
        )));
    }
    let pairs: usize = lengths.iter().map(|l| l.saturating_sub(1)).sum();
    if matches!(params.beta(), casc::Beta::Estimated { .. }) && (1..2).contains(&pairs) {
        return Err(fail(2)(anyhow::anyhow!(
            "invalid parameter beta = auto: estimating the switching penalty needs at least 3 rows, and the data has {}; give --beta (such as --beta 25)",
            series.n_steps()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_states_are_named() {
        assert_eq!(empty_states_message(&[3, 4]), None);
        assert_eq!(
            empty_states_message(&[3, 0, 4]).unwrap(),
            "state 1 has no timestep in the final assignment: the data may have fewer states (try a smaller --states)"
        );
        assert!(
            empty_states_message(&[0, 2, 0])
                .unwrap()
                .starts_with("states 0, 2 have no timestep")
        );
    }

    #[test]
    fn delimiters_by_name() {
        assert_eq!(parse_delimiter("tab"), Ok('\t'));
        assert_eq!(parse_delimiter(";"), Ok(';'));
        assert!(parse_delimiter("\"").is_err());
        assert!(parse_delimiter(";;").is_err());
    }
}
