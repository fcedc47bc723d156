//! Streaming prediction: a [`Model`] applied to rows that arrive one at a time, each timestep's
//! state emitted as soon as it is final (every surviving Viterbi path agrees on it, or it is
//! `max_lag` steps old). Memory is bounded by the window and the undecided span, never by the
//! length of the stream; nothing is allocated per row once the undecided span stops growing.
//! Motifs are not applied to a stream.

use std::collections::VecDeque;

use casc_segment::{OnlineViterbi, OnlineViterbiParams, SegmentError, StateScorer};

use crate::error::{FitError, ParamError};
use crate::model::Model;

/// A model labelling a stream of rows. Without `max_lag`, the states it emits equal those of
/// [`Model::predict`] on the whole series (without motifs).
pub struct StreamPredictor {
    scorers: Vec<StateScorer>,
    scales: Option<Vec<(f64, f64)>>,
    online: OnlineViterbi,
    n: usize,
    w: usize,
    /// The last `w` rows (or fewer), oldest first, row-major.
    window: VecDeque<f64>,
    costs: Vec<f64>,
    pushed: usize,
}

impl StreamPredictor {
    /// A predictor for `model`; `max_lag` bounds how many timesteps may stay undecided (0
    /// decides each one as it arrives).
    pub fn new(model: &Model, max_lag: Option<usize>) -> Result<Self, FitError> {
        let k = model.n_states();
        let params = OnlineViterbiParams::new(k, model.beta)
            .max_lag(max_lag)
            .check()
            .map_err(|e| match e {
                SegmentError::InvalidParameter {
                    name,
                    value,
                    allowed,
                } => FitError::Param(ParamError::new(name, value, allowed)),
                other => FitError::Data(format!("inconsistent model: {other}")),
            })?;
        Ok(Self {
            scorers: model.scorers()?,
            scales: model.scales.clone(),
            online: OnlineViterbi::new(&params),
            n: model.n_sensors,
            w: model.window,
            window: VecDeque::with_capacity(model.n_sensors * model.window),
            costs: vec![0.0; k],
            pushed: 0,
        })
    }

    /// Number of sensors a row must have.
    pub fn n_sensors(&self) -> usize {
        self.n
    }

    /// Rows pushed so far.
    pub fn n_pushed(&self) -> usize {
        self.pushed
    }

    /// Feeds one row (in the units of the data the model was fitted on; it is standardised
    /// here when the model was) and appends the states of the timesteps that became final to
    /// `out`, oldest first.
    ///
    /// # Panics
    /// If `row.len()` is not the model's number of sensors.
    #[track_caller]
    pub fn push(&mut self, row: &[f64], out: &mut Vec<usize>) {
        assert_eq!(row.len(), self.n, "a row has one value per sensor");
        match &self.scales {
            Some(s) => self
                .window
                .extend(row.iter().zip(s).map(|(v, (m, sd))| (v - m) / sd)),
            None => self.window.extend(row.iter().copied()),
        }
        self.pushed += 1;
        if self.window.len() == self.n * self.w {
            self.score_front(self.w);
            self.online.push(&self.costs, out);
            self.window.drain(..self.n);
        }
    }

    /// Ends the stream: scores the last `w - 1` timesteps with the marginal of the part of the
    /// window that exists, and appends every remaining state to `out`.
    pub fn finish(mut self, out: &mut Vec<usize>) {
        let mut left = self.window.len() / self.n;
        while left > 0 {
            self.score_front(left);
            self.online.push(&self.costs, out);
            self.window.drain(..self.n);
            left -= 1;
        }
        self.online.finish(out);
    }

    /// Costs of the window made of the oldest `len` rows held.
    fn score_front(&mut self, len: usize) {
        let z = &self.window.make_contiguous()[..len * self.n];
        for (c, sc) in self.costs.iter_mut().zip(&self.scorers) {
            *c = sc.cost(z);
        }
    }
}
