//! casc-motif: the motif step of CASC (docs/method.md section 7).
//!
//! Given the `T x K` costs of one EM iteration and the plain Viterbi assignment, this crate
//! collapses the assignment into stages (segments, without the flicker shorter than a
//! fraction of the typical segment), finds the maximal repeats of the stage sequence with a
//! suffix array, keeps the repeats that recur more often than a first-order Markov chain over
//! the stages explains (an extension test per repeat, with a Bonferroni or Benjamini-Hochberg
//! correction over all of them), decodes every candidate motif with a motif HMM whose stages
//! have minimum durations learned from the candidate's occurrences, scores the instances and
//! assigns them greedily. The result is the repaired assignment and the motifs with their
//! instances, observed and expected counts and p-values.
//!
//! The reference's behaviour (an independence null with modules and a Bonferroni threshold,
//! stages of any duration) stays available as [`Null::Independent`] with
//! [`StageDurations::Ignored`]; the conformance tests use it.
//!
//! One departure from section 7.6: a motif whose locked instances score 0 or less (no more
//! instances than the null expects) is dropped and its instances go back to the greedy, so
//! every motif returned has a positive score. On long series the extensions of a real motif
//! by one random state pass the repeat test, then keep only a few instances each.
//!
//! It does not compute costs, fit state models or run the plain Viterbi (those belong to
//! other casc crates): it knows costs and assignments only, never covariances.
//!
//! Entry points: [`motif_step`] (discover and apply, one phase-2 iteration) and
//! [`apply_motifs`] (apply given motifs to new data). The kernels ([`suffix_array`],
//! [`lcp_array`], [`maximal_repeats`], [`poisson_log_sf`], [`extension_log_sf`],
//! [`MarkovNull`], [`decode_motif`], [`decode_prepared_durations`], [`greedy`]) are public
//! for tests and benchmarks.

mod candidates;
mod greedy;
mod hmm;
mod null;
mod sa;
mod segments;
mod stats;

use std::ops::Range;

use rayon::prelude::*;

pub use candidates::{
    Collapsed, CountedRepeat, FAMILY_ALPHA, Significant, Stages, collapse, counted_repeats,
    markov_significant_repeats, rank_candidates, significant_repeats, stage_sequence,
    text_with_sentinels, typical_duration,
};
pub use greedy::{Span, greedy};
pub use hmm::{
    DecodeBuffers, HmmInput, MAX_MOTIF_LEN, PreparedCosts, RawInstance, decode_motif,
    decode_prepared, decode_prepared_durations,
};
pub use null::{Correction, MarkovNull, Null, adjust_log_p};
pub use sa::{
    Repeat, RepeatInterval, count_non_overlapping, lcp_array, maximal_repeat_intervals,
    maximal_repeats, suffix_array,
};
pub use stats::{
    ExtensionStep, extension_log_sf, hypergeometric_log_pmf, ln_choose, ln_factorial,
    poisson_log_sf, poisson_sf,
};

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

/// How the durations of segments and motif stages are taken into account.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageDurations {
    /// The reference's: every segment is a stage and a motif stage may last one step.
    Ignored,
    /// Stages have minimum durations (the default, with `fraction` 0.25). Segments shorter
    /// than `fraction` times the typical segment duration (the time-weighted median) are
    /// flicker: the significance test does not see them, and the stages around them merge.
    /// In the motif HMM, stage `i` lasts at least `max(that, fraction * median_i)` steps,
    /// `median_i` being the median duration of stage `i` over the candidate's occurrences
    /// in the stage sequence. So a one-step flicker does not pass for a stage.
    Minimum {
        /// Fraction of the typical duration, in (0, 1].
        fraction: f64,
    },
}

impl StageDurations {
    /// The default fraction of [`StageDurations::Minimum`].
    pub const DEFAULT_FRACTION: f64 = 0.25;
}

impl Default for StageDurations {
    /// Minimum durations with [`StageDurations::DEFAULT_FRACTION`].
    fn default() -> Self {
        StageDurations::Minimum {
            fraction: Self::DEFAULT_FRACTION,
        }
    }
}

impl std::fmt::Display for StageDurations {
    /// The fraction, or `off` for [`StageDurations::Ignored`] (what [`str::parse`] accepts).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StageDurations::Ignored => f.write_str("off"),
            StageDurations::Minimum { fraction } => write!(f, "{fraction}"),
        }
    }
}

impl std::str::FromStr for StageDurations {
    type Err = String;
    /// `off` for [`StageDurations::Ignored`], or a fraction for [`StageDurations::Minimum`]
    /// (its range is checked by [`MotifParams::check`]).
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("off") {
            return Ok(StageDurations::Ignored);
        }
        s.parse::<f64>()
            .map(|fraction| StageDurations::Minimum { fraction })
            .map_err(|_| format!("{s:?} is neither a fraction nor `off`"))
    }
}

/// Parameters of the motif step (builder); [`MotifParams::check`] validates them.
#[derive(Clone, Debug)]
pub struct MotifParams {
    beta: f64,
    gamma: f64,
    min_instances: usize,
    max_motifs: usize,
    null: Null,
    correction: Correction,
    alpha: f64,
    durations: StageDurations,
}

/// Default level of the Markov null's corrected test ([`MotifParams::alpha`]): a 1% chance of
/// any false discovery under Bonferroni.
pub const MARKOV_ALPHA: f64 = 0.01;

impl MotifParams {
    /// Starts a builder with the switching penalty `beta` (the same as the plain Viterbi's).
    pub fn new(beta: f64) -> Self {
        Self {
            beta,
            gamma: 0.8,
            min_instances: 10,
            max_motifs: 50,
            null: Null::default(),
            correction: Correction::default(),
            alpha: MARKOV_ALPHA,
            durations: StageDurations::default(),
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
    /// The null model of the significance test. Default [`Null::Markov`];
    /// [`Null::Independent`] is the reference's.
    pub fn null(mut self, null: Null) -> Self {
        self.null = null;
        self
    }
    /// The correction for testing many candidates under the Markov null. Default
    /// [`Correction::Bonferroni`]. (The independence null always uses its own Bonferroni
    /// threshold, as the reference does.)
    pub fn correction(mut self, correction: Correction) -> Self {
        self.correction = correction;
        self
    }
    /// Level of the Markov null's test: a candidate is significant when its adjusted p-value
    /// is below `alpha`. Default [`MARKOV_ALPHA`] = 0.01. (The independence null keeps the
    /// reference's [`FAMILY_ALPHA`].)
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }
    /// Stage durations. Default [`StageDurations::Minimum`] with fraction 0.25;
    /// [`StageDurations::Ignored`] is the reference's.
    pub fn durations(mut self, durations: StageDurations) -> Self {
        self.durations = durations;
        self
    }
    /// Validates: `beta` finite and >= 0, `0 < gamma <= 1`, `min_instances >= 1`,
    /// `max_motifs >= 1`, `0 < alpha < 1`, a duration fraction in (0, 1].
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
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(MotifError::InvalidParameter {
                name: "alpha",
                value: self.alpha.to_string(),
                allowed: "(0, 1)",
            });
        }
        if let StageDurations::Minimum { fraction } = self.durations
            && !(fraction > 0.0 && fraction <= 1.0)
        {
            return Err(MotifError::InvalidParameter {
                name: "min_stage_fraction",
                value: fraction.to_string(),
                allowed: "(0, 1]",
            });
        }
        Ok(ValidMotifParams {
            beta: self.beta,
            gamma: self.gamma,
            min_instances: self.min_instances,
            max_motifs: self.max_motifs,
            null: self.null,
            correction: self.correction,
            alpha: self.alpha,
            durations: self.durations,
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
    null: Null,
    correction: Correction,
    alpha: f64,
    durations: StageDurations,
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
    /// The null model of the significance test.
    pub fn null(&self) -> Null {
        self.null
    }
    /// The multiple-testing correction (Markov null).
    pub fn correction(&self) -> Correction {
        self.correction
    }
    /// Level of the Markov null's corrected test.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
    /// How stage durations are taken into account.
    pub fn durations(&self) -> StageDurations {
        self.durations
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
    /// Motif score (G-test against independent stage frequencies, 7.5) of its instances on
    /// the final stage sequence; it ranks instances in the greedy, whatever the null.
    pub score: f64,
    /// p-value of the significance test (without module replacement under the independence
    /// null; may underflow to 0, [`Candidate::log_p_value`] keeps its logarithm).
    pub p_value: f64,
    /// The p-value adjusted for all the repeats tested (q-value under Benjamini-Hochberg).
    pub adjusted_p_value: f64,
    /// Non-overlapping occurrences in the stage sequence the test saw.
    pub count: usize,
    /// Expected count under the null in that sequence.
    pub expected_count: f64,
    /// Minimum duration of every stage in the motif HMM, in timesteps.
    pub min_durations: Vec<usize>,
    /// Locked instances, in time order.
    pub instances: Vec<Instance>,
}

/// A significant maximal repeat (candidate motif) of 7.3.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The states.
    pub states: Vec<usize>,
    /// Non-overlapping occurrences in the stage sequence.
    pub count: usize,
    /// Expected count under the null.
    pub expected_count: f64,
    /// p-value (without module replacement under the independence null; may underflow to 0).
    pub p_value: f64,
    /// Natural log of the p-value (finite far below `f64` underflow; the ranking key).
    pub log_p_value: f64,
    /// The p-value adjusted for all the repeats tested.
    pub adjusted_p_value: f64,
    /// Natural log of the adjusted p-value.
    pub log_adjusted_p_value: f64,
    /// Minimum duration of every stage in the motif HMM.
    pub min_durations: Vec<usize>,
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

/// The stage sequence reversed in every recording (its Markov null is the backward chain).
fn reversed(c: &Collapsed) -> Collapsed {
    let mut states = Vec::with_capacity(c.states.len());
    let mut at = 0;
    for &n in &c.per_recording {
        states.extend(c.states[at..at + n].iter().rev());
        at += n;
    }
    Collapsed {
        states,
        per_recording: c.per_recording.clone(),
    }
}

/// Occurrences of `prefix` in `segments` that have room for `len` states in their recording.
fn prefix_occurrences(segments: &Collapsed, prefix: &[usize], len: usize) -> u64 {
    let mut at = 0;
    let mut n = 0;
    for &m in &segments.per_recording {
        let s = &segments.states[at..at + m];
        at += m;
        if m >= len {
            n += s[..m - len + prefix.len()]
                .windows(prefix.len())
                .filter(|w| *w == prefix)
                .count() as u64;
        }
    }
    n
}

/// Whether `long` (with `n_long` instances) is a chance extension of the shorter candidate
/// `short` on the final stage sequence under the Markov null: `short` is a prefix (or a
/// suffix) of `long`, and the states `long` adds after (before) it follow `short`'s
/// occurrences no more often than the chain's transitions explain, at level `alpha`.
fn chance_extension(
    long: &[usize],
    short: &[usize],
    n_long: usize,
    forward: (&Collapsed, &MarkovNull),
    backward: (&Collapsed, &MarkovNull),
    alpha: f64,
) -> bool {
    if short.len() >= long.len() {
        return false;
    }
    let test = |(segments, null): (&Collapsed, &MarkovNull), long: &[usize], short: &[usize]| {
        let start = prefix_occurrences(segments, short, long.len());
        null.log_p_extension(long, short.len(), start, n_long) > alpha.ln()
    };
    if long.starts_with(short) && test(forward, long, short) {
        return true;
    }
    if long.ends_with(short) {
        let (l, s): (Vec<usize>, Vec<usize>) = (
            long.iter().rev().copied().collect(),
            short.iter().rev().copied().collect(),
        );
        return test(backward, &l, &s);
    }
    false
}

/// The sequence the significance test sees: the stages of the plain assignment, with the
/// duration of every symbol of its text (0 for a sentinel).
struct Discovery {
    stages: Stages,
    text: Vec<usize>,
    text_durations: Vec<usize>,
}

impl Discovery {
    fn new(plain: &[usize], recordings: &[Range<usize>], k: usize, p: &ValidMotifParams) -> Self {
        let min_len = match p.durations {
            StageDurations::Ignored => 1,
            StageDurations::Minimum { fraction } => {
                ((fraction * typical_duration(plain, recordings) as f64).ceil() as usize).max(1)
            }
        };
        let stages = stage_sequence(plain, recordings, min_len);
        let text = text_with_sentinels(&stages.collapsed, k);
        let mut text_durations = Vec::with_capacity(text.len());
        let mut at = 0;
        for &n in &stages.collapsed.per_recording {
            if n == 0 {
                continue;
            }
            if at > 0 {
                text_durations.push(0);
            }
            text_durations.extend_from_slice(&stages.durations[at..at + n]);
            at += n;
        }
        Self {
            stages,
            text,
            text_durations,
        }
    }

    /// Start positions in the text of every occurrence of `motif` (overlapping).
    fn positions(&self, motif: &[usize]) -> Vec<usize> {
        (0..self.text.len().saturating_sub(motif.len() - 1))
            .filter(|&p| self.text[p..p + motif.len()] == motif[..])
            .collect()
    }

    /// Minimum stage durations of `motif` learned from its occurrences at `positions`.
    fn min_durations(&self, positions: &[usize], r: usize, p: &ValidMotifParams) -> Vec<usize> {
        let StageDurations::Minimum { fraction } = p.durations else {
            return vec![1; r];
        };
        let floor = self.stages.min_len;
        (0..r)
            .map(|i| {
                let mut d: Vec<usize> = positions
                    .iter()
                    .map(|&q| self.text_durations[q + i])
                    .collect();
                if d.is_empty() {
                    return floor;
                }
                d.sort_unstable();
                let median = d[d.len() / 2];
                ((fraction * median as f64).ceil() as usize).max(floor)
            })
            .collect()
    }
}

/// Decodes, scores, greedily assigns and re-scores (7.4-7.6).
#[allow(clippy::too_many_arguments)]
fn decode_and_assign(
    costs: &[f64],
    k: usize,
    plain: &[usize],
    recordings: &[Range<usize>],
    discovery: &Discovery,
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
            decode_prepared_durations(&prepared, &m.states, &m.min_durations, buf)
        })
        .collect();
    // The score that ranks instances is the reference's whatever the null: it favours the
    // longer of two nested motifs, and a longer one that only adds chance states to a shorter
    // one is recognised below.
    let score = |segments: &Collapsed, m: &Candidate, n: usize| {
        motif_score(&m.states, n, &segments.states, k)
    };
    let scores: Vec<f64> = motifs
        .iter()
        .zip(&decoded)
        .map(|(m, inst)| score(&discovery.stages.collapsed, m, inst.len()))
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
    // A motif whose locked instances are no more than independent stages would give by
    // chance (score <= 0 on the final stage sequence, the score that is reported) is no
    // evidence of recurrence, however significant its repeat count was: a long series makes
    // a real motif's extensions by one random state significant, and the greedy then leaves
    // them a few instances each. Under the Markov null a motif that only extends a shorter
    // candidate by chance states is dropped too. Either way its instances go back to the
    // greedy; every pass drops at least one motif, so this ends.
    let min_len = discovery.stages.min_len;
    let mut active = vec![true; motifs.len()];
    let (locked, assignment, final_scores) = loop {
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
        let final_segments = stage_sequence(&assignment, recordings, min_len).collapsed;
        let final_scores: Vec<f64> = locked
            .iter()
            .enumerate()
            .map(|(mi, l)| score(&final_segments, &motifs[mi], l.len()))
            .collect();
        let mut dropped = false;
        for (mi, l) in locked.iter().enumerate() {
            if !l.is_empty() && final_scores[mi] <= 0.0 {
                active[mi] = false;
                dropped = true;
            }
        }
        // Under the Markov null a kept motif that only extends a shorter candidate by states
        // that follow (or precede) it by chance is the shorter motif again: dropped, its
        // instances go back to the shorter one.
        if !dropped && params.null == Null::Markov {
            let backward_segments = reversed(&final_segments);
            let forward = (&final_segments, &MarkovNull::fit(&final_segments, k));
            let backward = (&backward_segments, &MarkovNull::fit(&backward_segments, k));
            let kept: Vec<usize> = (0..motifs.len())
                .filter(|&i| !locked[i].is_empty())
                .collect();
            let live: Vec<usize> = (0..motifs.len()).filter(|&i| active[i]).collect();
            for &a in &kept {
                if live.iter().any(|&b| {
                    b != a
                        && chance_extension(
                            &motifs[a].states,
                            &motifs[b].states,
                            locked[a].len(),
                            forward,
                            backward,
                            params.alpha,
                        )
                }) {
                    active[a] = false;
                    dropped = true;
                }
            }
        }
        if !dropped {
            break (locked, assignment, final_scores);
        }
    };
    // The survivors' scores on the final stage sequence; instance log-odds stay those
    // against the plain assignment (against the final one they would be 0 by construction).
    let kept = locked
        .iter()
        .enumerate()
        .filter(|(_, ids)| !ids.is_empty())
        .map(|(mi, ids)| {
            let score = final_scores[mi];
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
            let m = &motifs[mi];
            Motif {
                states: m.states.clone(),
                score,
                p_value: m.p_value,
                adjusted_p_value: m.adjusted_p_value,
                count: m.count,
                expected_count: m.expected_count,
                min_durations: m.min_durations.clone(),
                instances,
            }
        })
        .collect();
    (assignment, kept)
}

/// Candidates of 7.1-7.3 on a discovery sequence, best first.
fn candidates_of(k: usize, discovery: &Discovery, params: &ValidMotifParams) -> Vec<Candidate> {
    let repeats = counted_repeats(&discovery.text, params.min_instances);
    let segments = &discovery.stages.collapsed;
    let sig = match params.null {
        Null::Independent => {
            significant_repeats(&repeats, &segments.states, k, params.min_instances)
        }
        Null::Markov => markov_significant_repeats(
            &repeats,
            &MarkovNull::fit(segments, k),
            params.min_instances,
            params.correction,
            params.alpha,
        ),
    };
    // A repeat longer than the motif HMM decodes (a whole recording that recurs, as in data
    // pasted end to end) is no motif of this method's kind; the shorter repeats inside it
    // are tested on their own.
    let sig: Vec<_> = sig
        .into_iter()
        .filter(|s| s.states.len() <= MAX_MOTIF_LEN)
        .collect();
    rank_candidates(sig, params.max_motifs)
        .into_iter()
        .map(|s| {
            let positions = discovery.positions(&s.states);
            let min_durations = discovery.min_durations(&positions, s.states.len(), params);
            Candidate {
                count: s.count,
                expected_count: s.expected,
                p_value: s.log_p.exp(),
                log_p_value: s.log_p,
                adjusted_p_value: s.log_adjusted_p.exp(),
                log_adjusted_p_value: s.log_adjusted_p,
                min_durations,
                states: s.states,
            }
        })
        .collect()
}

/// Candidate motifs of 7.1-7.3 for a plain assignment, best first.
pub fn find_candidates(
    k: usize,
    plain: &[usize],
    recordings: &[Range<usize>],
    params: &ValidMotifParams,
) -> Vec<Candidate> {
    candidates_of(k, &Discovery::new(plain, recordings, k, params), params)
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
    let discovery = Discovery::new(plain, recordings, k, params);
    let candidates = candidates_of(k, &discovery, params);
    let (assignment, motifs) =
        decode_and_assign(costs, k, plain, recordings, &discovery, &candidates, params);
    Ok(MotifStep {
        assignment,
        motifs,
        candidates,
    })
}

/// For applying a saved model to new data: decode the given motifs (each a state sequence) and
/// do the greedy assignment (§7.4-7.6) without discovering candidates.
///
/// Each motif's count, expected count and p-value are recomputed on this data's stage
/// sequence under the chosen null (the independence null's test without module
/// replacement), adjusted over the given motifs, and its minimum stage durations are learned
/// from its occurrences here. The returned `candidates` list the given motifs in the given
/// order with those values, and the greedy breaks score ties by that order. Errors if a motif
/// has fewer than 2 states, more than [`MAX_MOTIF_LEN`], or a state `>= k`.
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
    let discovery = Discovery::new(plain, recordings, k, params);
    let segments = &discovery.stages.collapsed;
    let l = segments.states.len();
    let mut counts = vec![0usize; k];
    for &s in &segments.states {
        counts[s] += 1;
    }
    let markov = MarkovNull::fit(segments, k);
    let tested: Vec<(usize, Vec<usize>, f64, f64)> = motifs
        .iter()
        .map(|m| {
            let positions = discovery.positions(m);
            let count = count_non_overlapping(&positions, m.len());
            let (expected, log_p) = match params.null {
                Null::Independent => {
                    let lp0: f64 = m
                        .iter()
                        .map(|&s| (counts[s] as f64 / l.max(1) as f64).ln())
                        .sum();
                    let log_p = if l == 0 {
                        0.0
                    } else {
                        poisson_log_sf(l as f64 * lp0.exp(), count as u64)
                    };
                    (l as f64 * lp0.exp(), log_p)
                }
                Null::Markov => (markov.expected_count(m), markov.log_p_value(m, count)),
            };
            let min_durations = discovery.min_durations(&positions, m.len(), params);
            (count, min_durations, expected, log_p)
        })
        .collect();
    let log_p: Vec<f64> = tested.iter().map(|t| t.3).collect();
    let correction = match params.null {
        Null::Independent => Correction::Bonferroni,
        Null::Markov => params.correction,
    };
    let adjusted = adjust_log_p(&log_p, motifs.len(), correction);
    let candidates: Vec<Candidate> = motifs
        .iter()
        .zip(tested)
        .zip(adjusted)
        .map(
            |((m, (count, min_durations, expected, log_p)), adj)| Candidate {
                states: m.clone(),
                count,
                expected_count: expected,
                p_value: log_p.exp(),
                log_p_value: log_p,
                adjusted_p_value: adj.exp(),
                log_adjusted_p_value: adj,
                min_durations,
            },
        )
        .collect();
    let (assignment, kept) =
        decode_and_assign(costs, k, plain, recordings, &discovery, &candidates, params);
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
