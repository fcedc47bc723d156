//! Reading series from CSV files and streams: the dialect (comma, semicolon or tab, quotes, a
//! byte-order mark), header detection, the choice of columns (values, a time column, a
//! recording column, columns left out), clear errors with file, line and column, and an
//! explicit policy for missing values.
//!
//! Files and standard input go through the same row reader ([`RowReader`], module `rows`);
//! the missing-value policies run row by row ([`GapFiller`], module `missing`), so a stream
//! gets the values a file of the same rows gets.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use casc_fit::{Series, TimeColumn};

mod dialect;
mod layout;
mod missing;
mod rows;
mod time;

pub use dialect::detect_delimiter;
pub use layout::is_missing_token;
pub use missing::GapFiller;
pub use rows::{RowInfo, RowReader};
pub use time::{parse_iso8601, parse_time};

/// What to do with a missing value (empty cell, `NaN`, `NA`, `N/A`, `null`, infinity).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Missing {
    /// Refuse the file, naming the first missing cell (the default).
    #[default]
    Error,
    /// Drop every row that has a missing value.
    Drop,
    /// Carry the last observed value of the sensor forward (backward at the start).
    Ffill,
    /// Interpolate linearly between the neighbouring observed values of the sensor.
    Interpolate,
}

impl Missing {
    /// Every policy with its name, as the command line spells it.
    pub const ALL: [(&'static str, Missing); 4] = [
        ("error", Missing::Error),
        ("drop", Missing::Drop),
        ("ffill", Missing::Ffill),
        ("interpolate", Missing::Interpolate),
    ];
}

impl std::str::FromStr for Missing {
    type Err = String;
    /// `error`, `drop`, `ffill` or `interpolate`.
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map(|&(_, m)| m)
            .ok_or_else(|| format!("{s:?} is not one of error, drop, ffill, interpolate"))
    }
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = Self::ALL
            .iter()
            .find(|(_, m)| m == self)
            .map_or("error", |p| p.0);
        f.write_str(name)
    }
}

/// A problem with an input file; the message names the file and, where there is one, the line
/// and column (both 1-based).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub struct DataError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    /// 1-based column, when the problem has one.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// A problem at a place in some CSV text: 1-based line and column where there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line.
    pub line: Option<usize>,
    /// 1-based column.
    pub column: Option<usize>,
    /// What is wrong, and what to do about it.
    pub message: String,
}

impl ParseError {
    /// A problem with the input as a whole (no line).
    pub fn whole(message: String) -> Self {
        Self {
            line: None,
            column: None,
            message,
        }
    }

    /// The same problem in the file `path`.
    pub fn in_file(self, path: &Path) -> DataError {
        DataError {
            path: path.to_path_buf(),
            line: self.line,
            column: self.column,
            message: self.message,
        }
    }
}

/// A table read from a CSV file: row-major values, optional sensor names, optional per-row
/// recording labels (from a sequence column), row numbers and times.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Row-major values (`rows x n`).
    pub values: Vec<f64>,
    /// Number of value columns.
    pub n: usize,
    /// The value columns' names from the header row, when there is one.
    pub names: Option<Vec<String>>,
    /// With a sequence column, each row's recording: the column's value, with `#1`, `#2`, ...
    /// appended when the value comes back after other values (a new recording).
    pub sequence: Option<Vec<String>>,
    /// Each row's number inside its recording: among the file's data rows from 0, or, with a
    /// sequence column, inside its run of equal labels. Rows dropped for missing values leave
    /// gaps.
    pub row_numbers: Vec<usize>,
    /// The time column, when one was asked for: one text per row, as written.
    pub time: Option<TimeColumn>,
    /// How many rows a `drop` policy removed, and how many cells were filled.
    pub missing_handled: usize,
}

impl Table {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.values.len() / self.n.max(1)
    }
}

/// Options of [`read_csv`]; recorded in `summary.json` so the files can be read again the same
/// way (by the report). Columns are named by their header name or their 1-based number.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReadOptions {
    /// Missing-value policy.
    pub missing: Missing,
    /// A column that labels each row's recording.
    pub sequence_column: Option<String>,
    /// A column that holds each row's time (a number or an ISO-8601 timestamp): not a sensor;
    /// carried into the outputs beside `t`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_column: Option<String>,
    /// The value columns to read, in this order (default: every column that is not the time,
    /// the sequence or ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
    /// Columns to leave out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_columns: Vec<String>,
    /// The delimiter (default: comma, semicolon or tab, detected from the first lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<char>,
}

impl ReadOptions {
    /// The defaults: missing values refused, every column a sensor, the delimiter detected.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the missing-value policy (default [`Missing::Error`]).
    pub fn missing(mut self, missing: Missing) -> Self {
        self.missing = missing;
        self
    }

    /// Sets the recording column (default none).
    pub fn sequence_column(mut self, column: impl Into<String>) -> Self {
        self.sequence_column = Some(column.into());
        self
    }

    /// Sets the time column (default none).
    pub fn time_column(mut self, column: impl Into<String>) -> Self {
        self.time_column = Some(column.into());
        self
    }

    /// Reads only these value columns, in this order (default: all the others).
    pub fn columns<S: Into<String>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.columns = Some(columns.into_iter().map(Into::into).collect());
        self
    }

    /// Leaves these columns out (default none).
    pub fn ignore_columns<S: Into<String>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.ignore_columns = columns.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the delimiter (default: detected).
    pub fn delimiter(mut self, delimiter: char) -> Self {
        self.delimiter = Some(delimiter);
        self
    }
}

/// Lines read to detect the delimiter of a file.
pub const SAMPLE_LINES: usize = 20;

/// Reads a table of numbers from a CSV file: one row per timestep (see [`RowReader`] for the
/// dialect and the header, [`ReadOptions`] for the columns and missing values).
pub fn read_csv(path: &Path, opts: &ReadOptions) -> Result<Table, DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError {
        path: path.to_path_buf(),
        line: None,
        column: None,
        message: format!("cannot read: {e}"),
    })?;
    parse_csv(&bytes, opts).map_err(|e| e.in_file(path))
}

/// Reads a table from `input` (standard input, a pipe) to its end, as [`read_csv`] reads a
/// file; errors are reported in `name` (such as `<stdin>`).
pub fn read_csv_from(
    mut input: impl Read,
    name: &Path,
    opts: &ReadOptions,
) -> Result<Table, DataError> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes).map_err(|e| DataError {
        path: name.to_path_buf(),
        line: None,
        column: None,
        message: format!("cannot read: {e}"),
    })?;
    parse_csv(&bytes, opts).map_err(|e| e.in_file(name))
}

/// Parses CSV bytes (see [`read_csv`]); errors carry 1-based line and column.
pub fn parse_csv(bytes: &[u8], opts: &ReadOptions) -> Result<Table, ParseError> {
    if bytes.contains(&0) || bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        let line = bytes.iter().position(|&b| b == 0).map_or(1, |p| {
            bytes[..p].iter().filter(|&&b| b == b'\n').count() + 1
        });
        let message = dialect::not_text(bytes).unwrap_or_default();
        return Err(ParseError {
            line: Some(line),
            column: None,
            message,
        });
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        return Err(ParseError {
            line: Some(line),
            column: None,
            message: "this is not UTF-8 text".into(),
        });
    }
    let mut reader = RowReader::new(bytes, opts, SAMPLE_LINES)?;
    let n = reader.n_values();
    let names = reader.names().map(<[String]>::to_vec);
    let time_name = reader.time_name().map(str::to_string);
    let mut values = Vec::new();
    let mut infos = Vec::new();
    let mut row = Vec::with_capacity(n);
    while let Some(info) = reader.read_row(&mut row)? {
        values.extend_from_slice(&row);
        infos.push(info);
    }
    if infos.is_empty() {
        return Err(ParseError::whole(
            "the file has a header but no data rows".into(),
        ));
    }
    // Recordings and row numbers from the sequence column, before any row is dropped.
    let (labels, numbers) = match opts.sequence_column {
        Some(_) => {
            let raw: Vec<&str> = infos
                .iter()
                .map(|i| i.sequence.as_deref().unwrap_or(""))
                .collect();
            let (labels, numbers) = recordings_of(&raw);
            (Some(labels), numbers)
        }
        None => (None, infos.iter().map(|i| i.number).collect()),
    };
    let mut filler = GapFiller::new(opts.missing, n);
    let mut kept_values = Vec::with_capacity(values.len());
    let mut kept = Vec::with_capacity(infos.len());
    let mut sink = |i: usize, v: &[f64]| {
        kept_values.extend_from_slice(v);
        kept.push(i);
    };
    for (i, r) in values.chunks_exact(n).enumerate() {
        filler.push(i, r, &mut sink);
    }
    let handled = filler.finish(&mut sink).map_err(|j| {
        let column = names
            .as_ref()
            .map_or_else(|| (j + 1).to_string(), |h| format!("{:?}", h[j]));
        ParseError::whole(format!("column {column} has no observed value at all"))
    })?;
    if kept.is_empty() {
        return Err(ParseError::whole(
            "every row has a missing value: nothing is left after --missing drop".into(),
        ));
    }
    let time = time_name.map(|name| TimeColumn {
        name,
        values: kept
            .iter()
            .map(|&i| infos[i].time.clone().unwrap_or_default())
            .collect(),
    });
    Ok(Table {
        values: kept_values,
        n,
        names,
        sequence: labels.map(|l| kept.iter().map(|&i| l[i].clone()).collect()),
        row_numbers: kept.iter().map(|&i| numbers[i]).collect(),
        time,
        missing_handled: handled,
    })
}

/// Each row's recording from its raw label: a run of equal labels is one recording, named by
/// its label, with `#1`, `#2`, ... when the label has had a run before (skipping names that are
/// labels themselves); and each row's number inside its run.
fn recordings_of(raw: &[&str]) -> (Vec<String>, Vec<usize>) {
    let existing: std::collections::HashSet<&str> = raw.iter().copied().collect();
    let mut runs_of = std::collections::HashMap::<&str, usize>::new();
    let mut labels = Vec::with_capacity(raw.len());
    let mut numbers = Vec::with_capacity(raw.len());
    let mut start = 0;
    while start < raw.len() {
        let label = raw[start];
        let mut end = start;
        while end < raw.len() && raw[end] == label {
            end += 1;
        }
        let c = runs_of.entry(label).or_insert(0);
        let name = if *c == 0 {
            label.to_string()
        } else {
            let mut name = format!("{label}#{c}");
            while existing.contains(name.as_str()) {
                *c += 1;
                name = format!("{label}#{c}");
            }
            name
        };
        *c += 1;
        for (k, _) in (start..end).enumerate() {
            labels.push(name.clone());
            numbers.push(k);
        }
        start = end;
    }
    (labels, numbers)
}

/// `t` with its columns in the order of `names` (the first file's), when both have names and
/// they are the same set; an error naming the columns when they are not.
fn match_names(
    file: &str,
    mut t: Table,
    names: Option<&[String]>,
) -> Result<Table, casc_fit::FitError> {
    let (Some(first), Some(these)) = (names, t.names.as_deref()) else {
        return Ok(t);
    };
    if first == these {
        return Ok(t);
    }
    let order: Option<Vec<usize>> = first
        .iter()
        .map(|f| these.iter().position(|c| c == f))
        .collect();
    match order {
        Some(order) => {
            t.values = t
                .values
                .chunks_exact(t.n)
                .flat_map(|row| order.iter().map(move |&j| row[j]))
                .collect();
            t.names = Some(first.to_vec());
            Ok(t)
        }
        None => Err(casc_fit::FitError::Data(format!(
            "{file} has the columns {} but the first file has {}: give every file the same columns (--columns picks them)",
            these.join(", "),
            first.join(", ")
        ))),
    }
}

/// Builds a [`Series`] from tables: one recording per file, or, with a sequence column, one per
/// run of equal labels (a label that reappears later starts a new recording with a suffix).
/// Files whose header names the same columns in another order are reordered to the first
/// file's order; the row numbers and the time column are carried into the series.
pub fn series_from_tables(tables: Vec<(String, Table)>) -> Result<Series, casc_fit::FitError> {
    let n = tables.first().map_or(0, |t| t.1.n);
    let names = tables.first().and_then(|t| t.1.names.clone());
    let mut lengths = Vec::new();
    let mut values = Vec::new();
    let mut rows = Vec::new();
    let time_name = tables
        .first()
        .and_then(|t| t.1.time.as_ref().map(|c| c.name.clone()));
    let mut times = Vec::new();
    for (name, t) in tables {
        if t.n != n {
            return Err(casc_fit::FitError::Data(format!(
                "{name} has {} value columns but the first file has {n}",
                t.n
            )));
        }
        match (&time_name, &t.time) {
            (None, None) => {}
            (Some(n), Some(c)) if *n == c.name => times.extend_from_slice(&c.values),
            _ => {
                return Err(casc_fit::FitError::Data(format!(
                    "{name} does not have the time column of the first file"
                )));
            }
        }
        let t = match_names(&name, t, names.as_deref())?;
        match &t.sequence {
            None => lengths.push((name.clone(), t.rows())),
            Some(seq) => {
                let mut start = 0;
                let mut seen = std::collections::HashMap::<&str, usize>::new();
                while start < seq.len() {
                    let label = &seq[start];
                    let mut end = start;
                    while end < seq.len() && seq[end] == *label {
                        end += 1;
                    }
                    let c = seen.entry(label.as_str()).or_insert(0);
                    let rec = if *c == 0 {
                        label.clone()
                    } else {
                        format!("{label}#{c}")
                    };
                    *c += 1;
                    lengths.push((rec, end - start));
                    start = end;
                }
            }
        }
        values.extend_from_slice(&t.values);
        rows.extend_from_slice(&t.row_numbers);
    }
    let series = Series::from_recordings(values, n, names, lengths)?;
    let series = if rows.len() == series.n_steps() {
        series.with_row_numbers(rows)?
    } else {
        series
    };
    match time_name {
        Some(name) => series.with_time(TimeColumn {
            name,
            values: times,
        }),
        None => Ok(series),
    }
}

#[cfg(test)]
mod tests;
