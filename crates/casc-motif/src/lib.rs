//! casc-motif: the motif step of CASC (docs/method.md section 7).
//!
//! Given the `T x K` costs of one EM iteration and the plain Viterbi assignment, this crate
//! collapses the assignment into segments, finds the maximal repeats of the segment sequence
//! with a suffix array, keeps the repeats that are significant against an independence null
//! (Poisson test with modules and a Bonferroni threshold), decodes every candidate motif with
//! a motif HMM, scores the instances and assigns them greedily. The result is the repaired
//! assignment and the motifs with their instances.
//!
//! One departure from section 7.6: a motif whose locked instances score 0 or less (no more
//! instances than the independence null expects) is dropped and its instances go back to the
//! greedy, so every motif returned has a positive score. On long series the extensions of a
//! real motif by one random state pass the repeat test, then keep only a few instances each.
//!
//! It does not compute costs, fit state models or run the plain Viterbi (those belong to
//! other casc crates): it knows costs and assignments only, never covariances.
//!
//! Entry points: [`motif_step`] (discover and apply, one phase-2 iteration) and
//! [`apply_motifs`] (apply given motifs to new data). The kernels ([`suffix_array`],
//! [`lcp_array`], [`maximal_repeats`], [`poisson_log_sf`], [`decode_motif`], [`greedy`])
//! are public for tests and benchmarks.

mod candidates;
mod greedy;
mod hmm;
mod sa;
mod stats;

use std::ops::Range;

use rayon::prelude::*;

pub use candidates::{
    Collapsed, CountedRepeat, FAMILY_ALPHA, Significant, collapse, counted_repeats,
    rank_candidates, significant_repeats, text_with_sentinels,
};
pub use greedy::{Span, greedy};
pub use hmm::{
    DecodeBuffers, HmmInput, MAX_MOTIF_LEN, PreparedCosts, RawInstance, decode_motif,
    decode_prepared,
};
pub use sa::{
    Repeat, RepeatInterval, count_non_overlapping, lcp_array, maximal_repeat_intervals,
    maximal_repeats, suffix_array,
};
pub use stats::{ln_factorial, poisson_log_sf, poisson_sf};

/// Errors of the motif step: invalid parameters or inputs.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum MotifError {
    /// A parameter is outside its allowed range.
    #[error("parameter `{name}` = {value} is invalid: allowed range is {allowed}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// The value given, formatted.
        value: String,
        /// The allowed range.
        allowed: &'static str,
    },
    /// The recordings are not contiguous, in order, and covering `0..T`.
    #[error(
        "recording {index} is {start}..{end} but should start at {expected_start} (recordings must be contiguous, in order, and cover 0..{t})"
    )]
    BadRecordings {
        /// Index of the offending recording (or the number of recordings if coverage ends early).
        index: usize,
        /// Its start.
        start: usize,
        /// Its end.
        end: usize,
        /// Where it should start.
        expected_start: usize,
        /// Number of timesteps.
        t: usize,
    },
    /// A state in the plain assignment is not below `k`.
    #[error("plain assignment at timestep {index} is state {state}, but there are only {k} states")]
    StateOutOfRange {
        /// Timestep.
        index: usize,
        /// The state found.
        state: usize,
        /// Number of states.
        k: usize,
    },
    /// A cost is NaN or infinite.
    #[error("cost at timestep {t}, state {state} is not finite ({value})")]
    NonFiniteCost {
        /// Timestep.
        t: usize,
        /// State.
        state: usize,
        /// The value.
        value: f64,
    },
    /// A motif given to [`apply_motifs`] is too short, too long or names an unknown state.
    #[error("motif {index} ({states:?}) is invalid: it needs 2..={max_len} states, each below {k}")]
    BadMotif {
        /// Index of the motif.
        index: usize,
        /// Its states.
        states: Vec<usize>,
        /// Number of states.
        k: usize,
        /// Longest motif supported.
        max_len: usize,
    },
}

/// Parameters of the motif step (builder); [`MotifParams::check`] validates them.
#[derive(Clone, Debug)]
pub struct MotifParams {
    beta: f64,
    gamma: f64,
    min_instances: usize,
    max_motifs: usize,
}

impl MotifParams {
    /// Starts a builder with the switching penalty `beta` (the same as the plain Viterbi's).
    pub fn new(beta: f64) -> Self {
        Self {
            beta,
            gamma: 0.8,
            min_instances: 10,
            max_motifs: 50,
        }
    }
    /// Motif aggressiveness `gamma` in (0, 1]: garbage pays `-ln(gamma)` per timestep. Default 0.8.
    pub fn gamma(mut self, gamma: f64) -> Self {
        self.gamma = gamma;
        self
    }
    /// Instances a motif needs to be tested and to be kept (`motif_min_instances`). Default 10.
    pub fn min_instances(mut self, n: usize) -> Self {
        self.min_instances = n;
        self
    }
    /// Candidates kept after the significance test, smallest p-value first. Default 50.
    pub fn max_motifs(mut self, n: usize) -> Self {
        self.max_motifs = n;
        self
    }
    /// Validates: `beta` finite and >= 0, `0 < gamma <= 1`, `min_instances >= 1`, `max_motifs >= 1`.
    pub fn check(&self) -> Result<ValidMotifParams, MotifError> {
        if !(self.beta.is_finite() && self.beta >= 0.0) {
            return Err(MotifError::InvalidParameter {
                name: "beta",
                value: self.beta.to_string(),
                allowed: "finite and >= 0",
            });
        }
        if !(self.gamma > 0.0 && self.gamma <= 1.0) {
            return Err(MotifError::InvalidParameter {
                name: "gamma",
                value: self.gamma.to_string(),
                allowed: "(0, 1]",
            });
        }
        if self.min_instances < 1 {
            return Err(MotifError::InvalidParameter {
                name: "min_instances",
                value: self.min_instances.to_string(),
                allowed: ">= 1",
            });
        }
        if self.max_motifs < 1 {
            return Err(MotifError::InvalidParameter {
                name: "max_motifs",
                value: self.max_motifs.to_string(),
                allowed: ">= 1",
            });
        }
        Ok(ValidMotifParams {
            beta: self.beta,
            gamma: self.gamma,
            min_instances: self.min_instances,
            max_motifs: self.max_motifs,
        })
    }
}

/// Validated parameters of the motif step.
#[derive(Clone, Debug)]
pub struct ValidMotifParams {
    beta: f64,
    gamma: f64,
    min_instances: usize,
    max_motifs: usize,
}

impl ValidMotifParams {
    /// Switching penalty.
    pub fn beta(&self) -> f64 {
        self.beta
    }
    /// Motif aggressiveness in (0, 1].
    pub fn gamma(&self) -> f64 {
        self.gamma
    }
    /// Minimum number of instances of a motif.
    pub fn min_instances(&self) -> usize {
        self.min_instances
    }
    /// Maximum number of candidate motifs.
    pub fn max_motifs(&self) -> usize {
        self.max_motifs
    }
}

/// One locked instance of a motif.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Instance {
    /// First timestep.
    pub start: usize,
    /// First timestep of every stage; `stage_starts[0] == start`.
    pub stage_starts: Vec<usize>,
    /// Last timestep (inclusive).
    pub end: usize,
    /// Instance score: log-odds against the plain assignment plus the motif score (7.5).
    pub score: f64,
}

/// A kept motif with its locked instances (in time order).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Motif {
    /// The motif's states.
    pub states: Vec<usize>,
    /// Motif score (G-test, 7.5) on the final assignment.
    pub score: f64,
    /// p-value of the significance test without module replacement (may underflow to 0;
    /// [`Candidate::log_p_value`] keeps its logarithm).
    pub p_value: f64,
    /// Locked instances, in time order.
    pub instances: Vec<Instance>,
}

/// A significant maximal repeat (candidate motif) of 7.3.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The states.
    pub states: Vec<usize>,
    /// Non-overlapping occurrences in the segment sequence.
    pub count: usize,
    /// p-value without module replacement (may underflow to 0).
    pub p_value: f64,
    /// Natural log of the p-value (finite far below `f64` underflow; the ranking key).
    pub log_p_value: f64,
}

/// Result of one motif step.
#[derive(Clone, Debug)]
pub struct MotifStep {
    /// The assignment after greedy locking (plain assignment where no motif was locked).
    pub assignment: Vec<usize>,
    /// Kept motifs, in candidate order (best p-value first).
    pub motifs: Vec<Motif>,
    /// All candidates after the significance test, best first (at most `max_motifs`).
    pub candidates: Vec<Candidate>,
}

/// Checks shapes (panics: caller mistakes) and data (errors).
#[track_caller]
fn validate(
    costs: &[f64],
    k: usize,
    plain: &[usize],
    recordings: &[Range<usize>],
) -> Result<(), MotifError> {
    let t = plain.len();
    assert!(k >= 1, "k must be >= 1");
    assert_eq!(
        costs.len(),
        t * k,
        "costs has {} entries, expected T*k = {}*{}",
        costs.len(),
        t,
        k
    );
    let mut expected = 0;
    for (index, r) in recordings.iter().enumerate() {
        if r.start != expected || r.end < r.start || r.end > t {
            return Err(MotifError::BadRecordings {
                index,
                start: r.start,
                end: r.end,
                expected_start: expected,
                t,
            });
        }
        expected = r.end;
    }
    if expected != t {
        return Err(MotifError::BadRecordings {
            index: recordings.len(),
            start: expected,
            end: expected,
            expected_start: expected,
            t,
        });
    }
    if let Some((index, &state)) = plain.iter().enumerate().find(|(_, s)| **s >= k) {
        return Err(MotifError::StateOutOfRange { index, state, k });
    }
    if let Some(i) = costs.iter().position(|c| !c.is_finite()) {
        return Err(MotifError::NonFiniteCost {
            t: i / k,
            state: i % k,
            value: costs[i],
        });
    }
    Ok(())
}

/// Motif score of 7.5: `2 N (ln N - ln L - sum_i ln p(m_i))` with `p(k) = (count_k + 1) / (L + K)`
/// over the segment states; 0 when `N == 0` or there are no segments.
pub fn motif_score(motif: &[usize], n_instances: usize, segment_states: &[usize], k: usize) -> f64 {
    let l = segment_states.len();
    if n_instances == 0 || l == 0 {
        return 0.0;
    }
    let mut counts = vec![0usize; k];
    for &s in segment_states {
        counts[s] += 1;
    }
    let denom = (l + k) as f64;
    let sum_lp: f64 = motif
        .iter()
        .map(|&m| ((counts[m] + 1) as f64 / denom).ln())
        .sum();
    let n = n_instances as f64;
    2.0 * n * (n.ln() - (l as f64).ln() - sum_lp)
}

/// Decodes, scores, greedily assigns and re-scores (7.4-7.6).
fn decode_and_assign(
    costs: &[f64],
    k: usize,
    plain: &[usize],
    recordings: &[Range<usize>],
    segment_states: &[usize],
    motifs: &[Candidate],
    params: &ValidMotifParams,
) -> (Vec<usize>, Vec<Motif>) {
    let input = HmmInput {
        costs,
        k,
        plain,
        recordings,
        beta: params.beta,
        garbage_penalty: -params.gamma.ln(),
    };
    let prepared = PreparedCosts::new(&input);
    // Independent decodes in parallel; `collect` keeps the motif order, so the result does
    // not depend on the thread count.
    let decoded: Vec<Vec<RawInstance>> = motifs
        .par_iter()
        .map_init(DecodeBuffers::default, |buf, m| {
            decode_prepared(&prepared, &m.states, buf)
        })
        .collect();
    let scores: Vec<f64> = motifs
        .iter()
        .zip(&decoded)
        .map(|(m, inst)| motif_score(&m.states, inst.len(), segment_states, k))
        .collect();
    let mut spans = Vec::new();
    let mut owner = Vec::new();
    for (mi, inst) in decoded.iter().enumerate() {
        for (ii, x) in inst.iter().enumerate() {
            spans.push(Span {
                motif: mi,
                start: x.start(),
                end: x.end,
                score: x.log_odds + scores[mi],
            });
            owner.push((mi, ii));
        }
    }
    // A motif whose locked instances are no more than the independence null expects by chance
    // (score <= 0 on the final segment sequence, the score that is reported) is no evidence of
    // recurrence, however significant its repeat count was: a long series makes a real motif's
    // extensions by one random state significant, and the greedy then leaves them a few
    // instances each. Such a motif is dropped and its instances go back to the greedy; every
    // pass drops at least one motif, so this ends.
    let mut active = vec![true; motifs.len()];
    let (locked, assignment, final_segments) = loop {
        let ids: Vec<usize> = (0..spans.len())
            .filter(|&i| active[spans[i].motif])
            .collect();
        let live: Vec<Span> = ids.iter().map(|&i| spans[i]).collect();
        let locked: Vec<Vec<usize>> = greedy(&live, motifs.len(), params.min_instances)
            .into_iter()
            .map(|v| v.into_iter().map(|i| ids[i]).collect())
            .collect();
        let mut assignment = plain.to_vec();
        for (mi, ids) in locked.iter().enumerate() {
            for &id in ids {
                let x = &decoded[owner[id].0][owner[id].1];
                for (stage, &from) in x.stage_starts.iter().enumerate() {
                    let to = x.stage_starts.get(stage + 1).copied().unwrap_or(x.end + 1);
                    assignment[from..to].fill(motifs[mi].states[stage]);
                }
            }
        }
        let final_segments = collapse(&assignment, recordings).states;
        let mut dropped = false;
        for (mi, l) in locked.iter().enumerate() {
            if !l.is_empty() && motif_score(&motifs[mi].states, l.len(), &final_segments, k) <= 0.0
            {
                active[mi] = false;
                dropped = true;
            }
        }
        if !dropped {
            break (locked, assignment, final_segments);
        }
    };
    // The survivors' scores on the final segment sequence; instance log-odds stay those
    // against the plain assignment (against the final one they would be 0 by construction).
    let kept = locked
        .iter()
        .enumerate()
        .filter(|(_, ids)| !ids.is_empty())
        .map(|(mi, ids)| {
            let score = motif_score(&motifs[mi].states, ids.len(), &final_segments, k);
            let instances = ids
                .iter()
                .map(|&id| {
                    let x = &decoded[owner[id].0][owner[id].1];
                    Instance {
                        start: x.start(),
                        stage_starts: x.stage_starts.clone(),
                        end: x.end,
                        score: x.log_odds + score,
                    }
                })
                .collect();
            Motif {
                states: motifs[mi].states.clone(),
                score,
                p_value: motifs[mi].p_value,
                instances,
            }
        })
        .collect();
    (assignment, kept)
}

/// Candidate motifs of 7.1-7.3 for a plain assignment, best first.
pub fn find_candidates(
    k: usize,
    plain: &[usize],
    recordings: &[Range<usize>],
    params: &ValidMotifParams,
) -> Vec<Candidate> {
    let collapsed = collapse(plain, recordings);
    let text = text_with_sentinels(&collapsed, k);
    let repeats = counted_repeats(&text, params.min_instances);
    let sig = significant_repeats(&repeats, &collapsed.states, k, params.min_instances);
    rank_candidates(sig, params.max_motifs)
        .into_iter()
        .map(|s| Candidate {
            states: s.states,
            count: s.count,
            p_value: s.log_p.exp(),
            log_p_value: s.log_p,
        })
        .collect()
}

/// One motif step (docs/method.md section 7) given the costs and the plain Viterbi assignment of
/// this iteration. k = number of states.
///
/// `costs` is row-major `T x k` (`costs[t * k + state]`), `plain` has length `T`, and
/// `recordings` are contiguous ranges in order covering `0..T` (`&[0..T]` for one series):
/// segments break at their boundaries, no repeat spans one, and the motif HMM starts afresh
/// in each. Panics if `costs.len() != T * k` or `k == 0`.
#[track_caller]
pub fn motif_step(
    costs: &[f64],
    k: usize,
    plain: &[usize],
    recordings: &[Range<usize>],
    params: &ValidMotifParams,
) -> Result<MotifStep, MotifError> {
    validate(costs, k, plain, recordings)?;
    let candidates = find_candidates(k, plain, recordings, params);
    let segment_states = collapse(plain, recordings).states;
    let (assignment, motifs) = decode_and_assign(
        costs,
        k,
        plain,
        recordings,
        &segment_states,
        &candidates,
        params,
    );
    Ok(MotifStep {
        assignment,
        motifs,
        candidates,
    })
}

/// For applying a saved model to new data: decode the given motifs (each a state sequence) and
/// do the greedy assignment (§7.4-7.6) without discovering candidates.
///
/// Motif p-values are recomputed on this data: the Poisson test without module replacement
/// (7.3) of each motif's non-overlapping count in the segment sequence of `plain`. The
/// returned `candidates` list the given motifs in the given order with those values, and the
/// greedy breaks score ties by that order. Errors if a motif has fewer than 2 states, more
/// than [`MAX_MOTIF_LEN`], or a state `>= k`.
#[track_caller]
pub fn apply_motifs(
    costs: &[f64],
    k: usize,
    plain: &[usize],
    recordings: &[Range<usize>],
    motifs: &[Vec<usize>],
    params: &ValidMotifParams,
) -> Result<MotifStep, MotifError> {
    validate(costs, k, plain, recordings)?;
    for (index, m) in motifs.iter().enumerate() {
        if m.len() < 2 || m.len() > MAX_MOTIF_LEN || m.iter().any(|&s| s >= k) {
            return Err(MotifError::BadMotif {
                index,
                states: m.clone(),
                k,
                max_len: MAX_MOTIF_LEN,
            });
        }
    }
    let collapsed = collapse(plain, recordings);
    let text = text_with_sentinels(&collapsed, k);
    let l = collapsed.states.len();
    let mut counts = vec![0usize; k];
    for &s in &collapsed.states {
        counts[s] += 1;
    }
    let candidates: Vec<Candidate> = motifs
        .iter()
        .map(|m| {
            let positions: Vec<usize> = (0..text.len().saturating_sub(m.len() - 1))
                .filter(|&p| text[p..p + m.len()] == m[..])
                .collect();
            let count = count_non_overlapping(&positions, m.len());
            let lp0: f64 = m
                .iter()
                .map(|&s| (counts[s] as f64 / l.max(1) as f64).ln())
                .sum();
            let log_p = if l == 0 {
                0.0
            } else {
                poisson_log_sf(l as f64 * lp0.exp(), count as u64)
            };
            Candidate {
                states: m.clone(),
                count,
                p_value: log_p.exp(),
                log_p_value: log_p,
            }
        })
        .collect();
    let (assignment, kept) = decode_and_assign(
        costs,
        k,
        plain,
        recordings,
        &collapsed.states,
        &candidates,
        params,
    );
    Ok(MotifStep {
        assignment,
        motifs: kept,
        candidates,
    })
}

/// The README's example, compiled and run as a doctest.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
