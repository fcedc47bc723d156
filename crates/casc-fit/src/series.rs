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

/// A `T x n` series of finite values, row-major, split into independent recordings.
///
/// No window, switching penalty or motif instance spans two recordings.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    values: Vec<f64>,
    n: usize,
    names: Vec<String>,
    recordings: Vec<Recording>,
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
        let names = match names {
            Some(names) if names.len() == n => names,
            Some(names) => {
                return Err(FitError::Data(format!(
                    "{} sensor names given for {n} sensors",
                    names.len()
                )));
            }
            None => (0..n).map(|i| format!("x{i}")).collect(),
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
            recordings,
        })
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
            recordings: self.recordings.clone(),
        }
    }
}
