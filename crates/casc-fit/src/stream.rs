//! Streaming prediction: a [`Model`] applied to rows that arrive one at a time, each timestep's
//! state emitted as soon as it is final (every surviving Viterbi path agrees on it, or it is
//! `max_lag` steps old). Memory is bounded by the window and the undecided span, never by the
//! length of the stream; nothing is allocated per row once the undecided span stops growing.
//! Motifs are not applied to a stream.

use std::collections::VecDeque;

use casc_segment::{OnlineViterbi, OnlineViterbiParams, SegmentError, StateScorer};

use crate::error::{FitError, ParamError};
use crate::model::{ColumnMatch, Model, match_columns};

/// A model labelling a stream of rows. Without `max_lag`, the states it emits equal those of
/// [`Model::predict`] on the whole series (without motifs).
///
/// Rows are in the model's sensor order unless [`StreamPredictor::match_columns`] was given
/// the stream's column names: then they are in the stream's order and reordered here.
pub struct StreamPredictor {
    scorers: Vec<StateScorer>,
    /// The model's sensor names.
    sensor_names: Vec<String>,
    /// For each sensor, the column of a pushed row that holds it (`None`: the same order).
    order: Option<Vec<usize>>,
    /// A row in the model's order (reused).
    reordered: Vec<f64>,
    scales: Option<Vec<(f64, f64)>>,
    /// Conditional costs: each row scored given the `w - 1` before it.
    conditional: bool,
    online: OnlineViterbi,
    n: usize,
    w: usize,
    /// The last `w` rows (or fewer), oldest first, row-major.
    window: VecDeque<f64>,
    costs: Vec<f64>,
    pushed: usize,
    /// Rows per pooled row (1: none).
    pool: usize,
    /// Sum of the rows of the pooled row being filled, and how many there are.
    acc: Vec<f64>,
    acc_rows: usize,
    /// Rows of each pooled row not yet decided, oldest first.
    sizes: VecDeque<usize>,
    /// Decisions on pooled rows (reused).
    decided: Vec<usize>,
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
            sensor_names: model.sensor_names.clone(),
            order: None,
            reordered: Vec::with_capacity(model.n_sensors),
            scales: model.scales.clone(),
            conditional: model.params.costs() == crate::params::Costs::Conditional,
            online: OnlineViterbi::new(&params),
            n: model.n_sensors,
            w: model.window,
            window: VecDeque::with_capacity(model.n_sensors * model.window),
            costs: vec![0.0; k],
            pushed: 0,
            pool: model.pool.max(1),
            acc: vec![0.0; model.n_sensors],
            acc_rows: 0,
            sizes: VecDeque::new(),
            decided: Vec::new(),
        })
    }

    /// Number of sensors a row must have.
    pub fn n_sensors(&self) -> usize {
        self.n
    }

    /// Matches the stream's columns, named `names` (`None`: the stream has no header), to the
    /// model's sensors as [`Model::match_columns`] does; from then on [`push`](Self::push)
    /// takes rows in the stream's order. Returns the match (with its warning, if any).
    pub fn match_columns(
        &mut self,
        width: usize,
        names: Option<&[String]>,
    ) -> Result<ColumnMatch, FitError> {
        let m = match_columns(&self.sensor_names, width, names)?;
        self.order = (!m.is_identity()).then(|| m.order.clone());
        Ok(m)
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
        let row = match &self.order {
            Some(order) => {
                self.reordered.clear();
                self.reordered.extend(order.iter().map(|&j| row[j]));
                &self.reordered[..]
            }
            None => row,
        };
        self.pushed += 1;
        if self.pool == 1 {
            match &self.scales {
                Some(s) => self
                    .window
                    .extend(row.iter().zip(s).map(|(v, (m, sd))| (v - m) / sd)),
                None => self.window.extend(row.iter().copied()),
            }
            self.score_newest(out);
            return;
        }
        // Pooled: average `pool` rows, then score the pooled row; each decision stands for
        // the rows of its block.
        for ((a, v), j) in self.acc.iter_mut().zip(row).zip(0..) {
            *a += match &self.scales {
                Some(s) => (v - s[j].0) / s[j].1,
                None => *v,
            };
        }
        self.acc_rows += 1;
        if self.acc_rows == self.pool {
            self.flush_pool(out);
        }
    }

    /// Scores the pooled row being filled and expands the decisions it brings.
    fn flush_pool(&mut self, out: &mut Vec<usize>) {
        let m = self.acc_rows as f64;
        self.window.extend(self.acc.iter().map(|a| a / m));
        self.acc.iter_mut().for_each(|a| *a = 0.0);
        self.sizes.push_back(self.acc_rows);
        self.acc_rows = 0;
        let mut decided = std::mem::take(&mut self.decided);
        decided.clear();
        self.score_newest(&mut decided);
        self.expand(&decided, out);
        self.decided = decided;
    }

    /// Gives each decision of a pooled row to every row of its block.
    fn expand(&mut self, decided: &[usize], out: &mut Vec<usize>) {
        for &d in decided {
            let rows = self.sizes.pop_front().unwrap_or(1);
            out.extend(std::iter::repeat_n(d, rows));
        }
    }

    /// Scores the newest (pooled) row held in the window, when it can be.
    fn score_newest(&mut self, out: &mut Vec<usize>) {
        if self.conditional {
            // The newest row given the ones before it: decided as it arrives.
            let z = self.window.make_contiguous();
            for (c, sc) in self.costs.iter_mut().zip(&self.scorers) {
                *c = sc.conditional_cost(z);
            }
            self.online.push(&self.costs, out);
            if self.window.len() == self.n * self.w {
                self.window.drain(..self.n);
            }
        } else if self.window.len() == self.n * self.w {
            self.score_front(self.w);
            self.online.push(&self.costs, out);
            self.window.drain(..self.n);
        }
    }

    /// Ends the stream: scores the last `w - 1` timesteps with the marginal of the part of the
    /// window that exists, and appends every remaining state to `out`.
    pub fn finish(mut self, out: &mut Vec<usize>) {
        if self.pool > 1 && self.acc_rows > 0 {
            // A last, shorter block.
            self.flush_pool(out);
        }
        let mut decided = std::mem::take(&mut self.decided);
        decided.clear();
        if !self.conditional {
            let mut left = self.window.len() / self.n;
            while left > 0 {
                self.score_front(left);
                self.online.push(&self.costs, &mut decided);
                self.window.drain(..self.n);
                left -= 1;
            }
        }
        let pool = self.pool;
        let mut sizes = std::mem::take(&mut self.sizes);
        self.online.finish(&mut decided);
        if pool == 1 {
            out.extend_from_slice(&decided);
        } else {
            for d in decided {
                let rows = sizes.pop_front().unwrap_or(1);
                out.extend(std::iter::repeat_n(d, rows));
            }
        }
    }

    /// Costs of the window made of the oldest `len` rows held.
    fn score_front(&mut self, len: usize) {
        let z = &self.window.make_contiguous()[..len * self.n];
        for (c, sc) in self.costs.iter_mut().zip(&self.scorers) {
            *c = sc.cost(z);
        }
    }
}
