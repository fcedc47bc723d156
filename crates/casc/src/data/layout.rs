//! The layout of a table, from its first row and the reading options: whether the first row is
//! a header, which columns hold values (in which order), which one is the time and which the
//! recording label; and the parsing of one row's cells with messages that say what to do.

use super::dialect::{DETECTED, delimiter_name};
use super::time::{parse_iso8601, parse_time};
use super::{Missing, ParseError, ReadOptions};

/// A cell read as a missing value: empty, `NaN`, `NA`, `N/A` or `null` (any case).
pub fn is_missing_token(s: &str) -> bool {
    s.is_empty()
        || ["nan", "na", "n/a", "null"]
            .iter()
            .any(|t| s.eq_ignore_ascii_case(t))
}

fn is_numberish(s: &str) -> bool {
    s.parse::<f64>().is_ok() || is_missing_token(s)
}

/// Which column is what.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    /// Columns in every row.
    pub width: usize,
    /// The header's names, when the first row is a header.
    pub header: Option<Vec<String>>,
    /// The value columns, in the order the table takes them.
    pub values: Vec<usize>,
    /// The value columns' names (with a header).
    pub names: Option<Vec<String>>,
    /// The time column and its name.
    pub time: Option<(usize, String)>,
    /// The recording column.
    pub sequence: Option<usize>,
    /// The delimiter (for hints).
    pub delimiter: u8,
}

fn err(line: Option<usize>, column: Option<usize>, message: String) -> ParseError {
    ParseError {
        line,
        column,
        message,
    }
}

/// How a column is named in a flag's value: its header name, or its 1-based number.
fn spec_of(header: Option<&[String]>, j: usize) -> String {
    match header {
        Some(h) if !h[j].is_empty() && !h[j].contains([',', ' ', '"', '\'']) => h[j].clone(),
        Some(h) if !h[j].is_empty() && !h[j].contains('"') => format!("\"{}\"", h[j]),
        _ => (j + 1).to_string(),
    }
}

/// How a column is named in a message: `"speed"` or `3`.
fn label_of(header: Option<&[String]>, j: usize) -> String {
    match header {
        Some(h) if !h[j].is_empty() => format!("{:?}", h[j]),
        _ => (j + 1).to_string(),
    }
}

impl Layout {
    /// The layout given the first row's `cells` (trimmed), at line `line`.
    pub fn new(
        cells: &[&str],
        line: usize,
        opts: &ReadOptions,
        delimiter: u8,
    ) -> Result<Layout, ParseError> {
        let width = cells.len();
        let any_name = cells.iter().any(|c| !c.is_empty());
        // A header's names are neither numbers, missing values nor timestamps.
        let is_header = any_name
            && cells
                .iter()
                .all(|c| c.is_empty() || !(is_numberish(c) || parse_iso8601(c).is_some()));
        let header: Option<Vec<String>> =
            is_header.then(|| cells.iter().map(|c| c.to_string()).collect());
        let h = header.as_deref();
        let at = |column: Option<usize>, message: String| err(Some(line), column, message);
        let resolve = |spec: &str, flag: &str| -> Result<usize, ParseError> {
            if let Some(j) = h.and_then(|h| h.iter().position(|c| c == spec)) {
                return Ok(j);
            }
            if let Ok(k) = spec.trim().parse::<usize>()
                && (1..=width).contains(&k)
            {
                return Ok(k - 1);
            }
            Err(at(
                None,
                match h {
                    Some(h) => format!(
                        "{flag} {spec:?}: the header has no column named so (columns: {}); a column can also be given by its number, 1 to {width}",
                        h.join(", ")
                    ),
                    None => format!(
                        "{flag} {spec:?}: the file has no header row, so give the column's number (1 to {width})"
                    ),
                },
            ))
        };
        let time = opts
            .time_column
            .as_deref()
            .map(|s| resolve(s, "--time-column"))
            .transpose()?;
        let sequence = opts
            .sequence_column
            .as_deref()
            .map(|s| resolve(s, "--sequence-column"))
            .transpose()?;
        if let (Some(t), Some(s)) = (time, sequence)
            && t == s
        {
            return Err(at(
                Some(t + 1),
                format!(
                    "column {} cannot be both the time column and the sequence column",
                    label_of(h, t)
                ),
            ));
        }
        let mut ignored = vec![false; width];
        for spec in &opts.ignore_columns {
            ignored[resolve(spec, "--ignore-columns")?] = true;
        }
        let role = |j: usize| -> Option<&'static str> {
            if Some(j) == time {
                Some("the time column")
            } else if Some(j) == sequence {
                Some("the sequence column")
            } else if ignored[j] {
                Some("ignored (--ignore-columns)")
            } else {
                None
            }
        };
        let values: Vec<usize> = match &opts.columns {
            Some(specs) => {
                let mut v = Vec::with_capacity(specs.len());
                for spec in specs {
                    let j = resolve(spec, "--columns")?;
                    if let Some(r) = role(j) {
                        return Err(at(
                            Some(j + 1),
                            format!("--columns names column {}, which is {r}", label_of(h, j)),
                        ));
                    }
                    if v.contains(&j) {
                        return Err(at(
                            Some(j + 1),
                            format!("--columns names column {} twice", label_of(h, j)),
                        ));
                    }
                    v.push(j);
                }
                v
            }
            None => (0..width).filter(|&j| role(j).is_none()).collect(),
        };
        if values.is_empty() {
            return Err(at(None, "the file has no value columns".into()));
        }
        if let Some(h) = h {
            let used: Vec<usize> = values.iter().copied().chain(time).chain(sequence).collect();
            for &j in &used {
                if h[j].is_empty() {
                    let message = if j + 1 == width {
                        format!(
                            "the header ends with an empty name: is there a {} at the end of line {line}? Remove it, or leave the column out with --ignore-columns {}",
                            delimiter_name(delimiter),
                            j + 1
                        )
                    } else {
                        format!(
                            "column {} of the header has no name: name it, or leave it out with --ignore-columns {}",
                            j + 1,
                            j + 1
                        )
                    };
                    return Err(at(Some(j + 1), message));
                }
                if let Some(k) = (0..width).find(|&k| k != j && h[k] == h[j] && !ignored[k]) {
                    let (a, b) = (j.min(k), j.max(k));
                    return Err(at(
                        Some(b + 1),
                        format!(
                            "the header names two columns {:?} (columns {} and {}): rename one, or leave one out with --ignore-columns {}",
                            h[j],
                            a + 1,
                            b + 1,
                            b + 1
                        ),
                    ));
                }
            }
        }
        let names = h.map(|h| values.iter().map(|&j| h[j].clone()).collect());
        let time = time.map(|t| {
            let name = h.map_or_else(|| "time".to_string(), |h| h[t].clone());
            (t, name)
        });
        Ok(Layout {
            width,
            header,
            values,
            names,
            time,
            sequence,
            delimiter,
        })
    }

    /// Reads the cells of one data row at `line` (1-based): the values in the table's order into
    /// `values` (NaN for a missing value, unless `missing` refuses it), and the row's time and
    /// recording label.
    pub fn parse_row(
        &self,
        cells: &[&str],
        line: usize,
        missing: Missing,
        values: &mut Vec<f64>,
    ) -> Result<(Option<String>, Option<String>), ParseError> {
        let at = |column: usize, message: String| err(Some(line), Some(column + 1), message);
        if cells.len() != self.width {
            let first = if self.header.is_some() {
                "the header"
            } else {
                "the first row"
            };
            return Err(err(
                Some(line),
                None,
                format!(
                    "this row has {} columns but {first} has {}",
                    cells.len(),
                    self.width
                ),
            ));
        }
        values.clear();
        for &j in &self.values {
            let cell = cells[j];
            let v = if is_missing_token(cell) {
                f64::NAN
            } else {
                match cell.parse::<f64>() {
                    Ok(v) if v.is_finite() => v,
                    Ok(_) => f64::NAN,
                    Err(_) => {
                        return Err(at(
                            j,
                            format!(
                                "{cell:?} is not a number (column {}); {}",
                                label_of(self.header.as_deref(), j),
                                self.hint(cell, j)
                            ),
                        ));
                    }
                }
            };
            if v.is_nan() && missing == Missing::Error {
                let what = if cell.is_empty() {
                    "an empty cell".to_string()
                } else {
                    format!("{cell:?}")
                };
                return Err(at(
                    j,
                    format!(
                        "{what} is a missing or non-finite value (choose --missing drop|ffill|interpolate to accept it)"
                    ),
                ));
            }
            values.push(v);
        }
        let time = match &self.time {
            None => None,
            Some((t, name)) => {
                let cell = cells[*t];
                if cell.is_empty() {
                    return Err(at(
                        *t,
                        format!("the time column {name:?} has an empty cell"),
                    ));
                }
                if parse_time(cell).is_none() {
                    return Err(at(
                        *t,
                        format!(
                            "{cell:?} in the time column {name:?} is neither a number nor an ISO-8601 time (such as 2024-05-01T12:00:00.250)"
                        ),
                    ));
                }
                Some(cell.to_string())
            }
        };
        let sequence = self.sequence.map(|s| cells[s].to_string());
        Ok((time, sequence))
    }

    /// What to do about the text `cell` in value column `j`.
    fn hint(&self, cell: &str, j: usize) -> String {
        let spec = spec_of(self.header.as_deref(), j);
        if parse_iso8601(cell).is_some() {
            return format!(
                "if it is each row's time, use --time-column {spec}; to leave the column out, --ignore-columns {spec}"
            );
        }
        if let Some(&d) = DETECTED
            .iter()
            .find(|&&d| d != self.delimiter && cell.contains(d as char))
        {
            let b = cell.as_bytes();
            let decimal_comma = d == b','
                && cell.matches(',').count() == 1
                && b.iter().all(|c| c.is_ascii_digit() || b"-+,".contains(c));
            if decimal_comma {
                return "decimal commas are not read as numbers: write 1.5, not 1,5".into();
            }
            return format!(
                "the file may be {}-separated: give --delimiter {}",
                delimiter_name(d),
                if d == b'\t' {
                    "tab".to_string()
                } else {
                    format!("'{}'", d as char)
                }
            );
        }
        format!(
            "if it names each row's recording, use --sequence-column {spec}; to leave the column out, --ignore-columns {spec}"
        )
    }
}
