//! Collapse into segments (7.1), maximal repeats (7.2) and the significance test with modules (7.3).

use std::ops::Range;

use crate::null::{Correction, MarkovNull, adjust_log_p};
use crate::sa::{count_non_overlapping, lcp_array, maximal_repeat_intervals, suffix_array};
pub use crate::segments::{Collapsed, collapse};
use crate::stats::poisson_log_sf;

/// Family-wise significance level of the independence null's Bonferroni test (the
/// reference's; docs/method.md section 7).
pub const FAMILY_ALPHA: f64 = 1e-3;

/// The stages of an assignment: its segments without the flicker (docs/method.md section 7,
/// step 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stages {
    /// The stage sequence (states and segments per recording).
    pub collapsed: Collapsed,
    /// First timestep of every stage.
    pub starts: Vec<usize>,
    /// Duration of every stage in timesteps (including the flicker it absorbed).
    pub durations: Vec<usize>,
    /// The shortest segment kept as a stage.
    pub min_len: usize,
}

/// Time-weighted median of the segment durations of `assignment` (segments broken at the
/// recording boundaries): the duration of the segment that a timestep drawn at random lies
/// in, at its median. 0 for an empty assignment.
pub fn typical_duration(assignment: &[usize], recordings: &[Range<usize>]) -> usize {
    let mut runs = Vec::new();
    for rec in recordings {
        let mut start = rec.start;
        for t in rec.start + 1..=rec.end {
            if t == rec.end || assignment[t] != assignment[start] {
                runs.push(t - start);
                start = t;
            }
        }
    }
    runs.sort_unstable();
    let total: usize = runs.iter().sum();
    let mut acc = 0;
    for d in runs {
        acc += d;
        if 2 * acc >= total {
            return d;
        }
    }
    0
}

/// The stage sequence of `assignment`: its segments (broken at recording boundaries) shorter
/// than `min_len` steps are flicker, not stages, and are dropped; the neighbours they
/// separated merge when they have the same state. Each stage spans from its first kept
/// segment to the next stage (the first one from its recording's start, the last one to its
/// recording's end), so the dropped steps count in the stage before them. A recording whose
/// segments are all shorter gives no stage. With `min_len <= 1` this is [`collapse`].
pub fn stage_sequence(assignment: &[usize], recordings: &[Range<usize>], min_len: usize) -> Stages {
    let mut states = Vec::new();
    let mut starts = Vec::new();
    let mut per_recording = Vec::with_capacity(recordings.len());
    let mut durations = Vec::new();
    for rec in recordings {
        let before = states.len();
        let mut start = rec.start;
        for t in rec.start + 1..=rec.end {
            if t == rec.end || assignment[t] != assignment[start] {
                let s = assignment[start];
                let first = states.len() == before;
                if t - start >= min_len && (first || states[states.len() - 1] != s) {
                    states.push(s);
                    starts.push(if first { rec.start } else { start });
                }
                start = t;
            }
        }
        let n = states.len() - before;
        for i in before..states.len() {
            let end = if i + 1 < states.len() {
                starts[i + 1]
            } else {
                rec.end
            };
            durations.push(end - starts[i]);
        }
        per_recording.push(n);
    }
    Stages {
        collapsed: Collapsed {
            states,
            per_recording,
        },
        starts,
        durations,
        min_len: min_len.max(1),
    }
}

/// Segment sequence with one distinct sentinel symbol (`k + j`) between consecutive
/// non-empty recordings, so that no repeat can span a boundary.
pub fn text_with_sentinels(collapsed: &Collapsed, k: usize) -> Vec<usize> {
    let mut text = Vec::with_capacity(collapsed.states.len() + collapsed.per_recording.len());
    let mut at = 0;
    let mut sentinel = k;
    for &n in &collapsed.per_recording {
        if n == 0 {
            continue;
        }
        if at > 0 {
            text.push(sentinel);
            sentinel += 1;
        }
        text.extend_from_slice(&collapsed.states[at..at + n]);
        at += n;
    }
    text
}

/// A maximal repeat of the segment sequence with its non-overlapping count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountedRepeat<'a> {
    /// The repeated states (borrowed from the text: long repeats are never copied).
    pub states: &'a [usize],
    /// Non-overlapping occurrences, greedy from the left.
    pub count: usize,
}

/// All maximal repeats of length >= 2 of `text` with their non-overlapping counts, sorted by
/// length then states. The non-overlapping count is computed for every repeat of length 2
/// and for longer repeats with at least `min_count` occurrences; a longer repeat with fewer
/// occurrences carries its (overlapping) number of occurrences instead, an upper bound below
/// `min_count`, which is all the significance test needs to skip it.
pub fn counted_repeats(text: &[usize], min_count: usize) -> Vec<CountedRepeat<'_>> {
    let sa = suffix_array(text);
    let lcp = lcp_array(text, &sa);
    let intervals = maximal_repeat_intervals(text, &sa, &lcp, 2);
    let mut scratch = Vec::new();
    let mut out: Vec<CountedRepeat> = intervals
        .iter()
        .map(|iv| {
            let occurrences = iv.rb - iv.lb + 1;
            let count = if iv.len == 2 || occurrences >= min_count {
                scratch.clear();
                scratch.extend_from_slice(&sa[iv.lb..=iv.rb]);
                scratch.sort_unstable();
                count_non_overlapping(&scratch, iv.len)
            } else {
                occurrences
            };
            let p = sa[iv.lb];
            CountedRepeat {
                states: &text[p..p + iv.len],
                count,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.states
            .len()
            .cmp(&b.states.len())
            .then_with(|| a.states.cmp(b.states))
    });
    out
}

/// A module of the significance test: a sequence of states with a null log probability.
#[derive(Clone, Debug, PartialEq)]
struct Module {
    states: Vec<usize>,
    lp: f64,
}

/// A significant repeat before truncation to `max_motifs`.
#[derive(Clone, Debug, PartialEq)]
pub struct Significant {
    /// The states.
    pub states: Vec<usize>,
    /// Non-overlapping count.
    pub count: usize,
    /// `ln p` of the test without module replacement (the ranking key).
    pub log_p: f64,
    /// `ln p` of the test with module replacement (the one compared to the threshold; the
    /// same as `log_p` under the Markov null, which has no modules).
    pub log_p_modules: f64,
    /// Expected count under the null (without module replacement).
    pub expected: f64,
    /// `ln` of the p-value adjusted for the number of repeats tested (Bonferroni under the
    /// independence null; the chosen correction under the Markov null).
    pub log_adjusted_p: f64,
}

/// Null log probability of `states` after replacing module occurrences (longest module
/// first, then most probable, then lexicographically smallest; each module replaces its
/// non-overlapping occurrences among the not-yet-replaced symbols, from the left).
fn replaced_log_prob(states: &[usize], modules: &[Module], log_freq: &[f64]) -> f64 {
    // `None` marks a symbol already covered by a module.
    let mut raw: Vec<Option<usize>> = states.iter().map(|&s| Some(s)).collect();
    let mut lp = 0.0;
    // Modules are sorted longest first: skip those longer than the repeat at once.
    let first = modules.partition_point(|m| m.states.len() > states.len());
    for m in &modules[first..] {
        let len = m.states.len();
        let mut i = 0;
        while i + len <= raw.len() {
            if raw[i..i + len]
                .iter()
                .zip(&m.states)
                .all(|(a, &b)| *a == Some(b))
            {
                lp += m.lp;
                raw[i..i + len].fill(None);
                i += len;
            } else {
                i += 1;
            }
        }
    }
    lp + raw.iter().flatten().map(|&s| log_freq[s]).sum::<f64>()
}

/// Significance test of docs/method.md section 7 over counted repeats (sorted by length).
///
/// Choices where the text is open (confirmed by the conformance vectors):
/// * the Bonferroni denominator is the number of maximal repeats of length > 2 (all of them,
///   whether or not they reach `min_instances`);
/// * a significant repeat becomes a module with log probability
///   `max(lp with module replacement, ln(count / L))`, like the length-2 modules.
///
/// Cost: linear in practice, but module replacement is `O(modules x length)` per tested
/// repeat, so a long purely periodic segment sequence (every prefix repeats) is slow:
/// 40,000 segments of one cycle `0 1 2 0 1 2 ...` take a few seconds.
pub fn significant_repeats(
    repeats: &[CountedRepeat<'_>],
    segment_states: &[usize],
    k: usize,
    min_instances: usize,
) -> Vec<Significant> {
    let l = segment_states.len();
    if l == 0 {
        return Vec::new();
    }
    let lf = l as f64;
    let mut counts = vec![0usize; k];
    for &s in segment_states {
        counts[s] += 1;
    }
    let log_freq: Vec<f64> = counts.iter().map(|&c| (c as f64 / lf).ln()).collect();
    let n_long = repeats.iter().filter(|r| r.states.len() > 2).count();
    let log_threshold = FAMILY_ALPHA.ln() - (n_long.max(1) as f64).ln();

    let mut modules: Vec<Module> = Vec::new();
    let mut out = Vec::new();
    let mut i = 0;
    while i < repeats.len() {
        // Process one length at a time; modules found at this length join afterwards.
        let len = repeats[i].states.len();
        let mut j = i;
        let mut new_modules = Vec::new();
        while j < repeats.len() && repeats[j].states.len() == len {
            let rep = &repeats[j];
            j += 1;
            let own_lp = (rep.count as f64 / lf).ln();
            if len == 2 {
                let lp = log_freq[rep.states[0]] + log_freq[rep.states[1]];
                new_modules.push(Module {
                    states: rep.states.to_vec(),
                    lp: lp.max(own_lp),
                });
                continue;
            }
            if rep.count < min_instances {
                continue;
            }
            let lp = replaced_log_prob(rep.states, &modules, &log_freq);
            let log_p_modules = poisson_log_sf(lf * lp.exp(), rep.count as u64);
            if log_p_modules < log_threshold {
                let lp0: f64 = rep.states.iter().map(|&s| log_freq[s]).sum();
                let log_p = poisson_log_sf(lf * lp0.exp(), rep.count as u64);
                out.push(Significant {
                    states: rep.states.to_vec(),
                    count: rep.count,
                    log_p,
                    log_p_modules,
                    expected: lf * lp0.exp(),
                    log_adjusted_p: (log_p + (n_long.max(1) as f64).ln()).min(0.0),
                });
                new_modules.push(Module {
                    states: rep.states.to_vec(),
                    lp: lp.max(own_lp),
                });
            }
        }
        modules.extend(new_modules);
        modules.sort_by(|a, b| {
            b.states
                .len()
                .cmp(&a.states.len())
                .then(b.lp.total_cmp(&a.lp))
                .then_with(|| a.states.cmp(&b.states))
        });
        i = j;
    }
    out
}

/// Significance test against the Markov null (docs/method.md section 7, step 3) over counted
/// repeats.
///
/// Every maximal repeat longer than 2 with at least `min_instances` non-overlapping
/// occurrences is tested ([`MarkovNull::log_p_value`] of its non-overlapping count); the
/// family is all maximal repeats longer than 2, tested or not (so selecting the frequent ones
/// does not make the test liberal); a repeat is significant when its adjusted p-value under
/// `correction` is below `alpha`.
pub fn markov_significant_repeats(
    repeats: &[CountedRepeat<'_>],
    null: &MarkovNull,
    min_instances: usize,
    correction: Correction,
    alpha: f64,
) -> Vec<Significant> {
    let n_long = repeats.iter().filter(|r| r.states.len() > 2).count();
    let tested: Vec<&CountedRepeat> = repeats
        .iter()
        .filter(|r| r.states.len() > 2 && r.count >= min_instances)
        .collect();
    let log_p: Vec<f64> = tested
        .iter()
        .map(|r| null.log_p_value(r.states, r.count))
        .collect();
    let adjusted = adjust_log_p(&log_p, n_long, correction);
    tested
        .iter()
        .zip(log_p.iter().zip(&adjusted))
        .filter(|(_, (_, adj))| **adj < alpha.ln())
        .map(|(r, (&lp, &adj))| Significant {
            states: r.states.to_vec(),
            count: r.count,
            log_p: lp,
            log_p_modules: lp,
            expected: null.expected_count(r.states),
            log_adjusted_p: adj,
        })
        .collect()
}

/// Ranks significant repeats by `ln p` (without module replacement) ascending, ties by states
/// lexicographically, and keeps the first `max_motifs`.
pub fn rank_candidates(mut sig: Vec<Significant>, max_motifs: usize) -> Vec<Significant> {
    sig.sort_by(|a, b| {
        a.log_p
            .total_cmp(&b.log_p)
            .then_with(|| a.states.cmp(&b.states))
    });
    sig.truncate(max_motifs);
    sig
}
