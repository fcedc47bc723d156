//! The input of a fit: a multivariate series made of one or more recordings.

use std::ops::Range;

use crate::error::FitError;

/// One recording inside a [`Series`]: its name and its rows.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Recording {
    /// Name shown in outputs (a file name, or the value of the sequence column).
    pub name: String,
    /// The rows of the recording in the concatenated series.
    pub range: Range<usize>,
}

/// A time of each row, as read from a time column: its name and each timestep's text (a
/// number or an ISO-8601 timestamp, kept as written so that outputs join back to the input).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeColumn {
    /// The column's name.
    pub name: String,
    /// One text per timestep, in series order.
    pub values: Vec<String>,
}

/// A `T x n` series of finite values, row-major, split into independent recordings.
///
/// No window, switching penalty or motif instance spans two recordings. Besides the values, a
/// series may say what its rows were in the input: their number inside their recording
/// ([`Series::with_row_numbers`]; rows dropped for missing values leave gaps) and a time
/// column ([`Series::with_time`]). The fit ignores both; the output files use them.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    values: Vec<f64>,
    n: usize,
    names: Vec<String>,
    /// Whether `names` were given (false: generated `x0, x1, ...`).
    named: bool,
    recordings: Vec<Recording>,
    /// Each timestep's row number inside its recording, when it is not the position.
    rows: Option<Vec<usize>>,
    time: Option<TimeColumn>,
}

/// The names a series without names gets: `x0, x1, ...`.
pub fn default_names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("x{i}")).collect()
}

impl Series {
    /// One recording from row-major values; sensors are named `x0, x1, ...` unless `names` is given.
    pub fn new(values: Vec<f64>, n: usize, names: Option<Vec<String>>) -> Result<Self, FitError> {
        let rows = values.len().checked_div(n).unwrap_or(0);
        Self::from_recordings(values, n, names, vec![("series".to_string(), rows)])
    }

    /// Several recordings concatenated in `values`; `lengths` gives each one's name and number of rows.
    pub fn from_recordings(
        values: Vec<f64>,
        n: usize,
        names: Option<Vec<String>>,
        lengths: Vec<(String, usize)>,
    ) -> Result<Self, FitError> {
        if n == 0 {
            return Err(FitError::Data("the series has no sensor columns".into()));
        }
        if !values.len().is_multiple_of(n) {
            return Err(FitError::Data(format!(
                "{} values do not form rows of {n} sensors",
                values.len()
            )));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(FitError::Data(format!(
                "value at row {}, sensor {} is {} (not finite)",
                i / n,
                i % n,
                values[i]
            )));
        }
        let named = names.is_some();
        let names = match names {
            Some(names) if names.len() == n => names,
            Some(names) => {
                return Err(FitError::Data(format!(
                    "{} sensor names given for {n} sensors",
                    names.len()
                )));
            }
            None => default_names(n),
        };
        let mut recordings = Vec::with_capacity(lengths.len());
        let mut start = 0;
        for (name, len) in lengths {
            if len == 0 {
                return Err(FitError::Data(format!("recording {name:?} has no rows")));
            }
            recordings.push(Recording {
                name,
                range: start..start + len,
            });
            start += len;
        }
        if start != values.len() / n {
            return Err(FitError::Data(format!(
                "recording lengths add up to {start} rows but the series has {}",
                values.len() / n
            )));
        }
        if recordings.is_empty() {
            return Err(FitError::Data("the series has no rows".into()));
        }
        Ok(Self {
            values,
            n,
            names,
            named,
            recordings,
            rows: None,
            time: None,
        })
    }

    /// The same series with each timestep's row number inside its recording (as `t` in the
    /// output files): one per timestep, increasing inside each recording. Without it a
    /// timestep's number is its position in its recording.
    pub fn with_row_numbers(mut self, rows: Vec<usize>) -> Result<Self, FitError> {
        if rows.len() != self.n_steps() {
            return Err(FitError::Data(format!(
                "{} row numbers for {} timesteps",
                rows.len(),
                self.n_steps()
            )));
        }
        for r in &self.recordings {
            if let Some(i) = rows[r.range.clone()].windows(2).position(|p| p[0] >= p[1]) {
                return Err(FitError::Data(format!(
                    "row numbers of recording {:?} do not increase at timestep {}",
                    r.name,
                    i + 1
                )));
            }
        }
        let identity = self
            .recordings
            .iter()
            .all(|r| r.range.clone().all(|t| rows[t] == t - r.range.start));
        self.rows = (!identity).then_some(rows);
        Ok(self)
    }

    /// The same series with a time column: one text per timestep.
    pub fn with_time(mut self, time: TimeColumn) -> Result<Self, FitError> {
        if time.values.len() != self.n_steps() {
            return Err(FitError::Data(format!(
                "the time column {:?} has {} values for {} timesteps",
                time.name,
                time.values.len(),
                self.n_steps()
            )));
        }
        self.time = Some(time);
        Ok(self)
    }

    /// Whether the sensor names were given (`false` when they are the generated `x0, x1, ...`).
    pub fn has_names(&self) -> bool {
        self.named
    }

    /// The row number of timestep `t` (global) inside its recording: its position there, or
    /// the number given by [`Series::with_row_numbers`].
    ///
    /// # Panics
    /// If `t` is not a timestep of the series.
    #[track_caller]
    pub fn row_number(&self, t: usize) -> usize {
        match &self.rows {
            Some(rows) => rows[t],
            None => {
                let r = self
                    .recordings
                    .iter()
                    .find(|r| r.range.contains(&t))
                    .expect("a timestep of the series");
                t - r.range.start
            }
        }
    }

    /// Whether some timestep's row number differs from its position in its recording (rows
    /// were dropped).
    pub fn has_row_gaps(&self) -> bool {
        self.rows.is_some()
    }

    /// The time column, when there is one.
    pub fn time(&self) -> Option<&TimeColumn> {
        self.time.as_ref()
    }

    /// A copy made of the sensors `order` (indices into this series' sensors, in the order
    /// wanted), with their names; recordings, row numbers and times are kept.
    ///
    /// # Panics
    /// If `order` is empty or names a sensor that does not exist.
    #[track_caller]
    pub fn select_sensors(&self, order: &[usize]) -> Series {
        assert!(!order.is_empty(), "at least one sensor");
        assert!(order.iter().all(|&j| j < self.n), "sensors of the series");
        let values = self
            .values
            .chunks_exact(self.n)
            .flat_map(|row| order.iter().map(move |&j| row[j]))
            .collect();
        Series {
            values,
            n: order.len(),
            names: order.iter().map(|&j| self.names[j].clone()).collect(),
            named: self.named,
            recordings: self.recordings.clone(),
            rows: self.rows.clone(),
            time: self.time.clone(),
        }
    }

    /// Number of timesteps `T` (all recordings).
    pub fn n_steps(&self) -> usize {
        self.values.len() / self.n
    }

    /// Number of sensors `n`.
    pub fn n_sensors(&self) -> usize {
        self.n
    }

    /// The values, row-major `T x n`.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The sensor names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The recordings, in order; their ranges cover `0..T`.
    pub fn recordings(&self) -> &[Recording] {
        &self.recordings
    }

    /// The recordings' row ranges.
    pub fn ranges(&self) -> Vec<Range<usize>> {
        self.recordings.iter().map(|r| r.range.clone()).collect()
    }

    /// Per-sensor mean and standard deviation over all rows (a constant sensor gets 1). Computed
    /// on values divided by the sensor's largest magnitude, so that values near 1e300 do not
    /// overflow when squared.
    pub fn column_scales(&self) -> Vec<(f64, f64)> {
        let t = self.n_steps() as f64;
        (0..self.n)
            .map(|j| {
                let col = || self.values.iter().skip(j).step_by(self.n);
                let big = col().fold(0.0f64, |m, v| m.max(v.abs()));
                if big == 0.0 {
                    return (0.0, 1.0);
                }
                let mean = col().map(|v| v / big).sum::<f64>() / t;
                let var = col()
                    .map(|v| (v / big - mean) * (v / big - mean))
                    .sum::<f64>()
                    / t;
                let sd = var.sqrt() * big;
                let sd = if sd > 0.0 && sd.is_finite() { sd } else { 1.0 };
                (mean * big, sd)
            })
            .collect()
    }

    /// The largest absolute value in the series.
    pub fn max_abs(&self) -> f64 {
        self.values.iter().fold(0.0f64, |m, v| m.max(v.abs()))
    }

    /// A copy with every sensor transformed as `(x - mean) / sd`.
    pub fn standardized(&self, scales: &[(f64, f64)]) -> Series {
        assert_eq!(scales.len(), self.n, "one scale per sensor");
        let values = self
            .values
            .chunks_exact(self.n)
            .flat_map(|row| row.iter().zip(scales).map(|(v, (m, s))| (v - m) / s))
            .collect();
        Series {
            values,
            n: self.n,
            names: self.names.clone(),
            named: self.named,
            recordings: self.recordings.clone(),
            rows: self.rows.clone(),
            time: self.time.clone(),
        }
    }
}
