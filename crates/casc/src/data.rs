//! Reading series from CSV files: header detection, clear errors with file, line and column,
//! and an explicit policy for missing values.

use std::fmt;
use std::path::{Path, PathBuf};

use casc_fit::Series;

/// What to do with a missing value (empty cell, `NaN`, `NA`, infinity).
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

/// A table read from a CSV file: row-major values, optional sensor names, optional per-row
/// sequence labels (from a sequence column).
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Row-major values (`rows x n`).
    pub values: Vec<f64>,
    /// Number of value columns.
    pub n: usize,
    /// Names from the header row, when there is one.
    pub names: Option<Vec<String>>,
    /// The value of the sequence column for each row, when one was requested.
    pub sequence: Option<Vec<String>>,
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
/// way (by the report).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReadOptions {
    /// Missing-value policy.
    pub missing: Missing,
    /// Name of a column that labels each row's recording (needs a header row).
    pub sequence_column: Option<String>,
}

fn is_missing_token(s: &str) -> bool {
    s.is_empty() || s.eq_ignore_ascii_case("nan") || s.eq_ignore_ascii_case("na")
}

/// Reads a comma-separated table of numbers: one row per timestep, a header row detected when
/// every cell of the first line is non-numeric, trailing blank lines ignored.
pub fn read_csv(path: &Path, opts: &ReadOptions) -> Result<Table, DataError> {
    let err = |line: Option<usize>, column: Option<usize>, message: String| DataError {
        path: path.to_path_buf(),
        line,
        column,
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| err(None, None, format!("cannot read: {e}")))?;
    parse_csv(&bytes, opts).map_err(|(line, column, message)| err(line, column, message))
}

type ParseError = (Option<usize>, Option<usize>, String);

/// Parses CSV bytes (see [`read_csv`]); errors carry 1-based line and column.
pub fn parse_csv(bytes: &[u8], opts: &ReadOptions) -> Result<Table, ParseError> {
    if bytes.contains(&0) {
        let line = bytes[..bytes.iter().position(|&b| b == 0).unwrap_or(0)]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        return Err((
            Some(line),
            None,
            "this is not a text file (it contains NUL bytes)".into(),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        (Some(line), None, "this is not UTF-8 text".to_string())
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let last = lines.iter().rposition(|l| !l.trim().is_empty());
    let Some(last) = last else {
        return Err((None, None, "the file is empty".into()));
    };
    let lines = &lines[..=last];
    let first: Vec<&str> = lines[0].split(',').map(|c| c.trim()).collect();
    let numeric = |c: &str| c.parse::<f64>().is_ok() || is_missing_token(c);
    let has_header = first.iter().all(|c| !numeric(c) || c.starts_with('"'));
    let header: Option<Vec<String>> = has_header.then(|| {
        first
            .iter()
            .map(|c| c.trim_matches('"').trim().to_string())
            .collect()
    });
    let width = first.len();
    let seq_col = match (&opts.sequence_column, &header) {
        (None, _) => None,
        (Some(name), Some(h)) => Some(h.iter().position(|c| c == name).ok_or_else(|| {
            (
                Some(1),
                None,
                format!(
                    "the header has no column named {name:?} (columns: {})",
                    h.join(", ")
                ),
            )
        })?),
        (Some(name), None) => {
            return Err((
                Some(1),
                None,
                format!("--sequence-column {name:?} needs a header row, and the file has none"),
            ));
        }
    };
    let n = width - usize::from(seq_col.is_some());
    if n == 0 {
        return Err((Some(1), None, "the file has no value columns".into()));
    }
    let body_start = usize::from(has_header);
    if body_start >= lines.len() {
        return Err((None, None, "the file has a header but no data rows".into()));
    }
    let mut values = Vec::with_capacity((lines.len() - body_start) * n);
    let mut sequence = seq_col.map(|_| Vec::with_capacity(lines.len()));
    let mut cells: Vec<&str> = Vec::with_capacity(width);
    for (i, line) in lines.iter().enumerate().skip(body_start) {
        let lineno = i + 1;
        if line.trim().is_empty() {
            return Err((Some(lineno), None, "blank line inside the data".into()));
        }
        cells.clear();
        cells.extend(line.split(','));
        if cells.len() != width {
            return Err((
                Some(lineno),
                None,
                format!(
                    "this row has {} columns but the first row has {width}",
                    cells.len()
                ),
            ));
        }
        for (j, cell) in cells.iter().enumerate() {
            let cell = cell.trim();
            if Some(j) == seq_col {
                if let Some(s) = sequence.as_mut() {
                    s.push(cell.trim_matches('"').to_string());
                }
                continue;
            }
            let v = if is_missing_token(cell) {
                f64::NAN
            } else {
                match cell.parse::<f64>() {
                    Ok(v) if v.is_finite() => v,
                    Ok(_) => f64::NAN,
                    Err(_) => {
                        return Err((
                            Some(lineno),
                            Some(j + 1),
                            format!("{cell:?} is not a number"),
                        ));
                    }
                }
            };
            if v.is_nan() && opts.missing == Missing::Error {
                let what = if cell.is_empty() {
                    "an empty cell".to_string()
                } else {
                    format!("{cell:?}")
                };
                return Err((
                    Some(lineno),
                    Some(j + 1),
                    format!(
                        "{what} is a missing or non-finite value (choose --missing drop|ffill|interpolate to accept it)"
                    ),
                ));
            }
            values.push(v);
        }
    }
    let mut table = Table {
        values,
        n,
        names: header.map(|h| {
            h.into_iter()
                .enumerate()
                .filter(|(j, _)| Some(*j) != seq_col)
                .map(|(_, c)| c)
                .collect()
        }),
        sequence,
        missing_handled: 0,
    };
    handle_missing(&mut table, opts.missing).map_err(|m| (None, None, m))?;
    Ok(table)
}

fn handle_missing(t: &mut Table, policy: Missing) -> Result<(), String> {
    let n = t.n;
    let rows = t.rows();
    match policy {
        Missing::Error => Ok(()),
        Missing::Drop => {
            let keep: Vec<bool> = t
                .values
                .chunks_exact(n)
                .map(|r| r.iter().all(|v| v.is_finite()))
                .collect();
            let dropped = keep.iter().filter(|k| !**k).count();
            if dropped == rows {
                return Err(
                    "every row has a missing value: nothing is left after --missing drop".into(),
                );
            }
            let mut values = Vec::with_capacity((rows - dropped) * n);
            for (r, k) in t.values.chunks_exact(n).zip(&keep) {
                if *k {
                    values.extend_from_slice(r);
                }
            }
            t.values = values;
            if let Some(s) = t.sequence.take() {
                t.sequence = Some(
                    s.into_iter()
                        .zip(&keep)
                        .filter(|(_, k)| **k)
                        .map(|(s, _)| s)
                        .collect(),
                );
            }
            t.missing_handled = dropped;
            Ok(())
        }
        Missing::Ffill | Missing::Interpolate => {
            for j in 0..n {
                let col: Vec<f64> = (0..rows).map(|r| t.values[r * n + j]).collect();
                let observed: Vec<usize> = (0..rows).filter(|&r| col[r].is_finite()).collect();
                if observed.is_empty() {
                    return Err(format!("column {} has no observed value at all", j + 1));
                }
                for r in 0..rows {
                    if col[r].is_finite() {
                        continue;
                    }
                    t.missing_handled += 1;
                    // Nearest observed neighbours on each side.
                    let after = observed.partition_point(|&o| o < r);
                    let prev = after.checked_sub(1).map(|i| observed[i]);
                    let next = observed.get(after).copied();
                    let v = match (policy, prev, next) {
                        (Missing::Interpolate, Some(p), Some(q)) => {
                            let f = (r - p) as f64 / (q - p) as f64;
                            col[p] + f * (col[q] - col[p])
                        }
                        (_, Some(p), _) => col[p],
                        (_, None, Some(q)) => col[q],
                        (_, None, None) => unreachable!("observed is non-empty"),
                    };
                    t.values[r * n + j] = v;
                }
            }
            Ok(())
        }
    }
}

/// Builds a [`Series`] from tables: one recording per file, or, with a sequence column, one per
/// run of equal labels (a label that reappears later starts a new recording with a suffix).
pub fn series_from_tables(tables: Vec<(String, Table)>) -> Result<Series, casc_fit::FitError> {
    let n = tables.first().map_or(0, |t| t.1.n);
    let names = tables.first().and_then(|t| t.1.names.clone());
    let mut lengths = Vec::new();
    let mut values = Vec::new();
    for (name, t) in tables {
        if t.n != n {
            return Err(casc_fit::FitError::Data(format!(
                "{name} has {} value columns but the first file has {n}",
                t.n
            )));
        }
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
    }
    Series::from_recordings(values, n, names, lengths)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Table, ParseError> {
        parse_csv(s.as_bytes(), &ReadOptions::default())
    }

    #[test]
    fn header_is_detected_and_trailing_blank_lines_ignored() {
        let t = parse("a,b\n1,2\n3,4\n\n\n").unwrap();
        assert_eq!(t.names, Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(t.values, vec![1.0, 2.0, 3.0, 4.0]);
        let t = parse("1,2\r\n3,4\r\n").unwrap();
        assert_eq!(t.names, None);
        assert_eq!(t.rows(), 2);
    }

    #[test]
    fn errors_name_line_and_column() {
        assert_eq!(parse("1,2\n3,x\n").unwrap_err().0, Some(2));
        assert_eq!(parse("1,2\n3,x\n").unwrap_err().1, Some(2));
        let e = parse("1,2\n3\n").unwrap_err();
        assert_eq!(e.0, Some(2));
        assert!(e.2.contains("1 columns"), "{}", e.2);
        assert_eq!(parse("1,2\nNaN,3\n").unwrap_err().1, Some(1));
        assert_eq!(parse("1,2\ninf,3\n").unwrap_err().0, Some(2));
        assert!(parse("").unwrap_err().2.contains("empty"));
        assert!(parse("a,b\n").unwrap_err().2.contains("no data rows"));
        assert!(
            parse_csv(b"1,2\n\x00\x01", &ReadOptions::default())
                .unwrap_err()
                .2
                .contains("not a text")
        );
        assert!(parse("1,2\n\n3,4\n").unwrap_err().2.contains("blank line"));
        assert_eq!(parse("1,2e300\n").unwrap().values, vec![1.0, 2e300]);
    }

    #[test]
    fn missing_policies() {
        let opts = |m| ReadOptions {
            missing: m,
            sequence_column: None,
        };
        let s = b"1,10\n,20\nNaN,NA\n4,40\n";
        let t = parse_csv(s, &opts(Missing::Drop)).unwrap();
        assert_eq!(t.values, vec![1.0, 10.0, 4.0, 40.0]);
        let t = parse_csv(s, &opts(Missing::Ffill)).unwrap();
        assert_eq!(t.values, vec![1.0, 10.0, 1.0, 20.0, 1.0, 20.0, 4.0, 40.0]);
        let t = parse_csv(s, &opts(Missing::Interpolate)).unwrap();
        assert_eq!(t.values, vec![1.0, 10.0, 2.0, 20.0, 3.0, 30.0, 4.0, 40.0]);
        let t = parse_csv(b",1\n2,3\n", &opts(Missing::Ffill)).unwrap();
        assert_eq!(t.values, vec![2.0, 1.0, 2.0, 3.0]);
    }

    #[test]
    fn sequence_column_splits_recordings() {
        let opts = ReadOptions {
            missing: Missing::Error,
            sequence_column: Some("run".into()),
        };
        let t = parse_csv(b"run,a\nx,1\nx,2\ny,3\nx,4\n", &opts).unwrap();
        assert_eq!(t.n, 1);
        assert_eq!(t.names, Some(vec!["a".to_string()]));
        let s = series_from_tables(vec![("f".into(), t)]).unwrap();
        let names: Vec<_> = s
            .recordings()
            .iter()
            .map(|r| (r.name.clone(), r.range.clone()))
            .collect();
        assert_eq!(
            names,
            vec![("x".into(), 0..2), ("y".into(), 2..3), ("x#1".into(), 3..4)]
        );
    }
}
