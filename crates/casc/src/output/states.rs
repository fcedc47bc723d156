//! `states.json`: every state's Gaussian over the stacked window.

use std::path::Path;

use casc_fit::{Fit, Model};
use serde::{Deserialize, Serialize};

use super::{OutputError, nan_for_null_rows};

/// A sensor's standardisation: `(x - mean) / sd`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scale {
    /// Subtracted.
    pub mean: f64,
    /// Divided by.
    pub sd: f64,
}

/// One state in `states.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StateEntry {
    /// State id.
    pub state: usize,
    /// Timesteps in the final assignment.
    pub timesteps: usize,
    /// Precision entries above the non-zero threshold.
    pub nonzeros: usize,
    /// Mean of the stacked window (`n * w`).
    pub mean: Vec<f64>,
    /// Block-Toeplitz precision, `n w` rows of `n w` numbers (`null` for a non-finite entry).
    #[serde(deserialize_with = "nan_for_null_rows")]
    pub precision: Vec<Vec<f64>>,
}

/// `states.json`: every state's Gaussian over the stacked window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatesFile {
    /// Sensor names, in column order.
    pub sensors: Vec<String>,
    /// Window length `w`.
    pub window: usize,
    /// The standardisation applied before fitting, when there was one.
    pub standardization: Option<Vec<Scale>>,
    /// The states, by id.
    pub states: Vec<StateEntry>,
}

impl StatesFile {
    /// The states of `fit`'s model, with their timestep counts.
    pub fn new(fit: &Fit) -> Self {
        Self::from_model(&fit.model, &fit.state_counts)
    }

    /// The states of `model`, with `timesteps[k]` timesteps in state `k` (0 where missing).
    pub fn from_model(model: &Model, timesteps: &[usize]) -> Self {
        let d = model.window * model.n_sensors;
        Self {
            sensors: model.sensor_names.clone(),
            window: model.window,
            standardization: model
                .scales
                .as_ref()
                .map(|s| s.iter().map(|&(mean, sd)| Scale { mean, sd }).collect()),
            states: model
                .states
                .iter()
                .enumerate()
                .map(|(k, s)| StateEntry {
                    state: k,
                    timesteps: timesteps.get(k).copied().unwrap_or(0),
                    nonzeros: s.nonzeros(),
                    mean: s.mean.clone(),
                    precision: s.precision.chunks(d).map(<[f64]>::to_vec).collect(),
                })
                .collect(),
        }
    }

    /// Checks that every state's mean and precision have the size the window and sensors give.
    pub(crate) fn check(&self, path: &Path) -> Result<(), OutputError> {
        let d = self.window * self.sensors.len();
        let invalid = |message: String| OutputError::Invalid {
            path: path.to_path_buf(),
            line: None,
            message,
        };
        if self.window == 0 {
            return Err(invalid("window must be at least 1".into()));
        }
        for (i, s) in self.states.iter().enumerate() {
            if s.mean.len() != d {
                return Err(invalid(format!(
                    "states[{i}].mean has {} numbers, expected {d} (window {} x {} sensors)",
                    s.mean.len(),
                    self.window,
                    self.sensors.len()
                )));
            }
            if s.precision.len() != d || s.precision.iter().any(|r| r.len() != d) {
                return Err(invalid(format!(
                    "states[{i}].precision must be {d} rows of {d} numbers (window {} x {} sensors)",
                    self.window,
                    self.sensors.len()
                )));
            }
        }
        Ok(())
    }
}
