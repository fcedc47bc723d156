//! Streaming switching-penalty Viterbi: fed one cost row at a time, emits the
//! timesteps whose state can no longer change.

use crate::SegmentError;
use crate::viterbi::{argmin_lowest, forward_step};

/// Parameters of [`OnlineViterbi`]; [`Self::check`] validates them.
#[derive(Clone, Debug, PartialEq)]
pub struct OnlineViterbiParams {
    k: usize,
    beta: f64,
    max_lag: Option<usize>,
}

/// Validated [`OnlineViterbiParams`], the only form [`OnlineViterbi::new`] takes.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidOnlineViterbiParams {
    k: usize,
    beta: f64,
    max_lag: Option<usize>,
}

impl OnlineViterbiParams {
    /// `k` states (no default: at least 1) and switching penalty `beta` (no
    /// default: finite, `>= 0`, in cost units).
    pub fn new(k: usize, beta: f64) -> Self {
        Self {
            k,
            beta,
            max_lag: None,
        }
    }

    /// Largest number of undecided timesteps kept; when exceeded, the oldest is
    /// decided by the currently best path and the recursion is constrained to
    /// it. Default `None`: never force, output identical to batch
    /// [`crate::viterbi`] (the undecided window is then unbounded in the worst
    /// case, e.g. two states with identical costs forever).
    pub fn max_lag(mut self, max_lag: Option<usize>) -> Self {
        self.max_lag = max_lag;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`SegmentError::InvalidParameter`] if `k == 0` or `beta` is negative or
    /// not finite.
    pub fn check(&self) -> Result<ValidOnlineViterbiParams, SegmentError> {
        if self.k == 0 {
            return Err(SegmentError::InvalidParameter {
                name: "k",
                value: self.k.to_string(),
                allowed: "at least 1",
            });
        }
        if !(self.beta >= 0.0 && self.beta.is_finite()) {
            return Err(SegmentError::InvalidParameter {
                name: "beta",
                value: self.beta.to_string(),
                allowed: "finite and >= 0",
            });
        }
        Ok(ValidOnlineViterbiParams {
            k: self.k,
            beta: self.beta,
            max_lag: self.max_lag,
        })
    }
}

/// Streaming form of [`crate::viterbi`].
///
/// Feed cost rows in time order with [`Self::push`]; it appends to the caller's
/// buffer the states of the timesteps that became final, in time order and
/// contiguous from timestep 0. A timestep is final when every surviving path
/// (the back-pointer chains from all `K` states at the newest timestep) passes
/// through the same state there. [`Self::finish`] decides the rest like the batch
/// decoder. Without a `max_lag`, the concatenated output equals
/// `viterbi(costs, k, beta).path` and the returned objective equals its cost bit
/// for bit. Memory is proportional to `K` times the number of undecided
/// timesteps, independent of the stream length.
///
/// With `max_lag = Some(l)`, whenever more than `l` timesteps are undecided the
/// oldest is forced to its state on the currently best path, and the values of
/// the undecided window are recomputed from the stored rows under that
/// constraint (so later decisions are exact given the forced ones; `O(K l)` per
/// forced timestep).
#[derive(Clone, Debug)]
pub struct OnlineViterbi {
    k: usize,
    beta: f64,
    max_lag: Option<usize>,
    words: usize,
    pushed: usize,
    decided: usize,
    forced: usize,
    /// Values `V` at the newest timestep.
    cur_v: Vec<f64>,
    /// Per undecided timestep (times `decided .. pushed`, oldest first):
    /// values, cost rows, predecessor flags and best previous state.
    v: Vec<f64>,
    rows: Vec<f64>,
    flags: Vec<u64>,
    best: Vec<usize>,
    /// Scratch: the new values, a state set, the backtracked states.
    nv: Vec<f64>,
    set: Vec<u64>,
    states: Vec<usize>,
}

impl OnlineViterbi {
    /// A decoder with no timestep fed yet.
    pub fn new(params: &ValidOnlineViterbiParams) -> Self {
        let k = params.k;
        let words = k.div_ceil(64);
        Self {
            k,
            beta: params.beta,
            max_lag: params.max_lag,
            words,
            pushed: 0,
            decided: 0,
            forced: 0,
            cur_v: vec![0.0; k],
            v: Vec::new(),
            rows: Vec::new(),
            flags: Vec::new(),
            best: Vec::new(),
            nv: vec![0.0; k],
            set: vec![0; words],
            states: Vec::new(),
        }
    }

    /// Number of rows fed so far.
    pub fn n_pushed(&self) -> usize {
        self.pushed
    }

    /// Number of timesteps emitted so far (the next emitted state is for this
    /// timestep).
    pub fn n_decided(&self) -> usize {
        self.decided
    }

    /// Number of timesteps decided by the `max_lag` rule rather than by
    /// agreement of all surviving paths.
    pub fn n_forced(&self) -> usize {
        self.forced
    }

    /// Number of undecided timesteps currently held.
    pub fn n_undecided(&self) -> usize {
        self.best.len()
    }

    /// Feeds the costs of the next timestep (`row.len() == k`) and appends the
    /// states of every timestep that became final to `out`; returns how many.
    ///
    /// # Panics
    /// If `row.len() != k`.
    #[track_caller]
    pub fn push(&mut self, row: &[f64], out: &mut Vec<usize>) -> usize {
        assert_eq!(
            row.len(),
            self.k,
            "cost row has {} entries, expected k = {}",
            row.len(),
            self.k
        );
        let before = out.len();
        let words = self.words;
        self.flags.resize(self.flags.len() + words, 0);
        let fl = self.flags.len() - words;
        if self.pushed == 0 {
            self.nv.copy_from_slice(row);
            self.best.push(0);
        } else {
            let b = forward_step(
                &self.cur_v,
                row,
                self.beta,
                &mut self.nv,
                &mut self.flags[fl..],
            );
            self.best.push(b);
        }
        std::mem::swap(&mut self.cur_v, &mut self.nv);
        self.v.extend_from_slice(&self.cur_v);
        self.rows.extend_from_slice(row);
        self.pushed += 1;
        self.emit_coalesced(out);
        if let Some(lag) = self.max_lag {
            while self.best.len() > lag {
                self.force_oldest(out);
                self.emit_coalesced(out);
            }
        }
        out.len() - before
    }

    /// Decides every remaining timestep (final state: the lowest-id minimiser of
    /// the values, then the stored back-pointers, as [`crate::viterbi`]), appends
    /// them to `out`, and returns the objective of the whole emitted path (0 for
    /// an empty stream).
    pub fn finish(mut self, out: &mut Vec<usize>) -> f64 {
        if self.pushed == 0 {
            return 0.0;
        }
        let (s, cost) = argmin_lowest(&self.cur_v);
        let len = self.best.len();
        if len > 0 {
            self.backtrack(len - 1, s);
            out.extend_from_slice(&self.states);
        }
        cost
    }

    /// Predecessor of state `s` at window entry `i >= 1`.
    #[inline]
    fn pred(&self, i: usize, s: usize) -> usize {
        if self.flags[i * self.words + s / 64] >> (s % 64) & 1 == 1 {
            self.best[i]
        } else {
            s
        }
    }

    /// Fills `self.states[0..=last]` with the back-pointer chain ending in state
    /// `s` at window entry `last`.
    fn backtrack(&mut self, last: usize, mut s: usize) {
        self.states.clear();
        self.states.resize(last + 1, 0);
        self.states[last] = s;
        for i in (1..=last).rev() {
            s = self.pred(i, s);
            self.states[i - 1] = s;
        }
    }

    /// Drops the oldest `m` window entries.
    fn drop_front(&mut self, m: usize) {
        let (k, words) = (self.k, self.words);
        self.v.drain(..m * k);
        self.rows.drain(..m * k);
        self.flags.drain(..m * words);
        self.best.drain(..m);
        self.decided += m;
    }

    /// Emits the timesteps through which all surviving paths pass.
    fn emit_coalesced(&mut self, out: &mut Vec<usize>) {
        let len = self.best.len();
        if len == 0 {
            return;
        }
        // Set of states on surviving paths, walking back from the newest entry.
        self.set.fill(0);
        for s in 0..self.k {
            self.set[s / 64] |= 1 << (s % 64);
        }
        let mut i = len - 1;
        let found = loop {
            if self.set.iter().map(|w| w.count_ones()).sum::<u32>() == 1 {
                let s = self
                    .set
                    .iter()
                    .enumerate()
                    .find(|(_, w)| **w != 0)
                    .map_or(0, |(wi, w)| wi * 64 + w.trailing_zeros() as usize);
                break Some((i, s));
            }
            if i == 0 {
                break None;
            }
            let fl = &self.flags[i * self.words..(i + 1) * self.words];
            let mut any_switch = false;
            for (sw, f) in self.set.iter_mut().zip(fl) {
                any_switch |= *sw & f != 0;
                *sw &= !f;
            }
            if any_switch {
                let b = self.best[i];
                self.set[b / 64] |= 1 << (b % 64);
            }
            i -= 1;
        };
        if let Some((c, s)) = found {
            self.backtrack(c, s);
            out.extend_from_slice(&self.states);
            self.drop_front(c + 1);
        }
    }

    /// Decides the oldest undecided timestep by the currently best path and
    /// recomputes the window's values under that constraint.
    fn force_oldest(&mut self, out: &mut Vec<usize>) {
        let len = self.best.len();
        let (b, _) = argmin_lowest(&self.cur_v);
        self.backtrack(len - 1, b);
        let s0 = self.states[0];
        out.push(s0);
        self.forced += 1;
        let k = self.k;
        for (j, v) in self.v[..k].iter_mut().enumerate() {
            if j != s0 {
                *v = f64::INFINITY;
            }
        }
        let words = self.words;
        for i in 1..len {
            let (prev, next) = self.v.split_at_mut(i * k);
            let prev = &prev[(i - 1) * k..];
            let next = &mut next[..k];
            let row = &self.rows[i * k..(i + 1) * k];
            let flags = &mut self.flags[i * words..(i + 1) * words];
            self.best[i] = forward_step(prev, row, self.beta, next, flags);
        }
        self.cur_v.copy_from_slice(&self.v[(len - 1) * k..]);
        self.drop_front(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_parameters() {
        assert!(matches!(
            OnlineViterbiParams::new(0, 1.0).check(),
            Err(SegmentError::InvalidParameter { name: "k", .. })
        ));
        assert!(matches!(
            OnlineViterbiParams::new(2, -1.0).check(),
            Err(SegmentError::InvalidParameter { name: "beta", .. })
        ));
        assert!(matches!(
            OnlineViterbiParams::new(2, f64::NAN).check(),
            Err(SegmentError::InvalidParameter { name: "beta", .. })
        ));
        assert!(
            OnlineViterbiParams::new(2, 0.0)
                .max_lag(Some(0))
                .check()
                .is_ok()
        );
    }

    #[test]
    fn decides_early_when_paths_agree() {
        // beta = 0: every timestep is final as soon as it is fed.
        let p = OnlineViterbiParams::new(2, 0.0).check().unwrap();
        let mut o = OnlineViterbi::new(&p);
        let mut out = Vec::new();
        assert_eq!(o.push(&[1.0, 0.0], &mut out), 0); // two surviving endpoints
        assert_eq!(o.push(&[0.0, 1.0], &mut out), 1); // both come from state 1
        assert_eq!(out, vec![1]);
        let cost = o.finish(&mut out);
        assert_eq!(out, vec![1, 0]);
        assert_eq!(cost, 0.0);
    }

    #[test]
    fn max_lag_bounds_the_window() {
        let p = OnlineViterbiParams::new(2, 100.0)
            .max_lag(Some(3))
            .check()
            .unwrap();
        let mut o = OnlineViterbi::new(&p);
        let mut out = Vec::new();
        for _ in 0..20 {
            // Equal costs and a large beta: both states survive forever.
            o.push(&[0.0, 0.0], &mut out);
            assert!(o.n_undecided() <= 3);
        }
        assert!(o.n_forced() > 0);
        o.finish(&mut out);
        assert_eq!(out, vec![0; 20]);
    }
}
