//! Choosing the number of states from the data ([`States::Auto`](crate::States)).
//!
//! The fit runs phase 1 with the most states allowed, then merges states down one at a time:
//! the two whose merge raises the summed cost least become one (an empty state goes first),
//! and a few EM iterations settle the result. Every number of states on the path is scored by
//! how well its states explain held-out data ([`held_out`]); the lowest score wins, and the fit
//! goes on from the path's result at that number. One fit at the largest number plus a few
//! iterations per merge, instead of one fit per number; and each result starts from a richer
//! one, so none is stuck in a poor local optimum of its own initialisation.

use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::assign;
use crate::diagnostics::{IterationDiagnostics, StatesTrial};
use crate::engine::{Accuracy, Engine, StateFit};
use crate::error::FitError;
use crate::model::NONZERO_THRESHOLD;
use crate::observer::Watch;
use crate::phase::{self, PhaseOutcome, PhaseSpec, Start};
use crate::split_merge::{self, merge_candidates};

/// EM iterations after each merge.
const MERGE_ITERS: usize = 5;

/// Splits of the one state tried, with two states, when the path chooses one.
const GROW_PROPOSALS: usize = 3;

/// Largest lag of the integrated autocorrelation of the costs.
const MAX_COST_LAG: usize = 64;

/// What a fitted assignment's trial reports besides its score: its summed costs (twice its
/// negative log-likelihood, as the fit's costs count it), its free parameters (every non-zero
/// free number of each used state's block-Toeplitz precision, its mean, and the switching
/// probability) and `tau`, the integrated autocorrelation time of the costs themselves inside
/// segments: the number of consecutive costs that carry one independent cost's evidence,
/// whether because windows overlap (each observation is in `w` of them) or because the
/// observations are correlated (1 for independent observations and a window of 1).
pub(crate) struct Evidence {
    pub(crate) emission: f64,
    pub(crate) parameters: usize,
    pub(crate) tau: f64,
}

/// The [`Evidence`] of `outcome`'s assignment; `costs` (`T x K`) receives its states' costs.
pub(crate) fn evidence(
    engine: &Engine<'_>,
    outcome: &PhaseOutcome,
    costs: &mut [f64],
) -> Result<Evidence, FitError> {
    let k = engine.k;
    let (n, w) = (engine.n, engine.w);
    let scorers = engine.scorers(&outcome.fits)?;
    engine.costs(&scorers, costs);
    let a = &outcome.assignment;
    let c: Vec<f64> = a
        .iter()
        .enumerate()
        .map(|(t, &s)| costs[t * k + s])
        .collect();
    let emission: f64 = c.iter().sum();
    let tau = cost_autocorrelation_time(&c, a, k, &engine.ranges);
    let used = assign::counts(a, k).iter().filter(|&&c| c > 0).count();
    let mut parameters = usize::from(used > 1);
    for (s, f) in outcome.fits.iter().enumerate() {
        if a.iter().all(|&x| x != s) {
            continue;
        }
        // Free numbers of a block-Toeplitz precision: the lower triangle of the diagonal
        // block, and every entry of the blocks below it in the first block column.
        let p = &f.precision;
        for lag in 0..w {
            for r in 0..n {
                for cc in 0..n {
                    if lag == 0 && cc > r {
                        continue;
                    }
                    if p[(lag * n + r, cc)].abs() > NONZERO_THRESHOLD {
                        parameters += 1;
                    }
                }
            }
        }
        parameters += if engine.stationary_mean { n } else { n * w };
    }
    Ok(Evidence {
        emission,
        parameters,
        tau,
    })
}

/// Blocks per fold of [`held_out`]'s two interleaved folds (fewer when a block would be shorter
/// than [`HELD_OUT_MIN_WINDOWS`] windows).
const HELD_OUT_BLOCKS: usize = 10;

/// Shortest block of [`held_out`], in windows: a window that straddles two blocks is in
/// neither fold, so short blocks would lose most of their windows.
const HELD_OUT_MIN_WINDOWS: usize = 4;

/// The blocks of [`held_out`]: each recording of `ranges` (covering `0..len`) cut into equal
/// blocks of about `len / (2 HELD_OUT_BLOCKS)` steps (at least `HELD_OUT_MIN_WINDOWS w`, and one
/// block for a shorter recording, two for a short series of one recording), numbered on
/// across recordings. Returns every timestep's block and the number of blocks; block `b` is in
/// fold `b % 2`, so neighbours never share one.
fn blocks(ranges: &[std::ops::Range<usize>], len: usize, w: usize) -> (Vec<usize>, usize) {
    let target = (len / (2 * HELD_OUT_BLOCKS))
        .max(HELD_OUT_MIN_WINDOWS * w)
        .max(1);
    let mut block = vec![0usize; len];
    let mut next = 0usize;
    // A single recording shorter than two blocks is still cut in two: one block would leave
    // both folds without a held-out window, and every number the same score.
    let single = ranges.len() == 1;
    for r in ranges {
        let nb = (r.len() / target)
            .max(if single { 2 } else { 1 })
            .min(r.len().max(1));
        for (i, b) in block[r.clone()].iter_mut().enumerate() {
            *b = next + i * nb / r.len();
        }
        next += nb;
    }
    (block, next)
}

/// The held-out score of a fitted assignment, lower is better: the series is cut into
/// [`blocks`] that alternate between two folds. Each fold's states are re-estimated from the
/// assignment's windows inside the other fold's blocks (warm-started from the fit), and score
/// its own blocks by the [`forward`] algorithm of a hidden Markov chain over the states, with
/// the training fold's switching rate and state frequencies; each window's likelihood is
/// tempered by `tau`, the costs' autocorrelation time, as overlapping windows see each
/// observation `w` times. A window that straddles two blocks is in neither fold, and a state
/// without a training window cannot explain a held-out one (a state seen in one place only
/// does not recur). Returns each block's negative log-likelihood in cost units (times `2 tau`,
/// so scores of different fits compare), 0 for a block without a scored window; `costs`
/// (`T x K`) is scratch.
///
/// No penalty: a state that does not recur in the other fold, or that splits one state into
/// two, explains held-out data no better and is estimated from fewer windows.
pub(crate) fn held_out(
    engine: &Engine<'_>,
    outcome: &PhaseOutcome,
    costs: &mut [f64],
    tau: f64,
) -> Result<Vec<f64>, FitError> {
    let (k, w, len) = (engine.k, engine.w, engine.full.len());
    let a = &outcome.assignment;
    let (block, n_blocks) = blocks(&engine.ranges, len, w);
    // The block that holds all of `lo..hi`, if one does.
    let inside =
        |lo: usize, hi: usize| (hi <= len && block[lo] == block[hi - 1]).then_some(block[lo]);
    // Timestep `t`'s cost reads `t..t + w`, or `t + 1 - w..=t` with conditional costs (what
    // exists of them at a recording's end or start).
    let cost_block = |t: usize| {
        if engine.conditional {
            inside((t + 1).saturating_sub(w), t + 1)
        } else {
            inside(t, t + w)
        }
    };
    let window_block = |t: usize| engine.owned(t).and_then(|o| inside(o, o + w));
    let prev: Vec<Option<StateFit>> = outcome.fits.iter().cloned().map(Some).collect();
    let mut scores = vec![0.0; n_blocks];
    let mut rows: Vec<f64> = Vec::new();
    for fold in 0..2 {
        let train = |t: usize| window_block(t).is_some_and(|b| b % 2 != fold);
        let stats = engine.stats_of(a, train);
        let available: Vec<usize> = (0..k).filter(|&s| stats[s].is_some()).collect();
        if available.is_empty() {
            continue;
        }
        let fits = engine.m_step(&stats, &prev, Accuracy::Rough)?;
        let scorers = engine.scorers(&fits)?;
        engine.costs(&scorers, costs);
        // The training fold's switching rate and state frequencies.
        let (mut pairs, mut switches) = (0usize, 0usize);
        let mut freq = vec![0.0f64; k];
        for t in (0..len).filter(|&t| train(t)) {
            freq[a[t]] += 1.0;
            // Consecutive training windows lie in one block, so in one recording.
            if t > 0 && train(t - 1) {
                pairs += 1;
                switches += usize::from(a[t] != a[t - 1]);
            }
        }
        let m = available.len();
        let p = if m > 1 && pairs > 0 {
            (switches as f64 / pairs as f64).clamp(0.5 / pairs as f64, 0.5)
        } else {
            0.0
        };
        let n_train: f64 = available.iter().map(|&s| freq[s]).sum();
        let log_initial: Vec<f64> = available
            .iter()
            .map(|&s| (freq[s] / n_train).ln())
            .collect();
        // Each held-out block's run of scored timesteps, then its forward pass.
        let mut t = 0;
        while t < len {
            let Some(b) = cost_block(t).filter(|b| b % 2 == fold) else {
                t += 1;
                continue;
            };
            rows.clear();
            while t < len && cost_block(t) == Some(b) {
                rows.extend(available.iter().map(|&s| -costs[t * k + s] / (2.0 * tau)));
                t += 1;
            }
            scores[b] -= 2.0 * tau * forward(&rows, m, &log_initial, p);
        }
    }
    Ok(scores)
}

/// `ln` of the probability of a hidden Markov chain's observations by the forward algorithm:
/// `log_emission` is row-major `T x m` (row `t`: each state's log-likelihood of observation
/// `t`), `log_initial` the states' initial log-probabilities; the chain stays with probability
/// `1 - p` and moves to each other state with `p / (m - 1)`.
fn forward(log_emission: &[f64], m: usize, log_initial: &[f64], p: f64) -> f64 {
    if log_emission.is_empty() {
        return 0.0;
    }
    let (log_stay, log_move) = if m > 1 {
        ((1.0 - p).ln(), (p / (m - 1) as f64).ln())
    } else {
        (0.0, f64::NEG_INFINITY)
    };
    let mut alpha: Vec<f64> = log_initial
        .iter()
        .zip(&log_emission[..m])
        .map(|(a, b)| a + b)
        .collect();
    let mut next = vec![0.0; m];
    for row in log_emission.chunks_exact(m).skip(1) {
        // The two largest terms, so that every state's "all the others" sum is scaled by the
        // largest of its others without searching for it again.
        let (mut i1, mut i2) = (usize::MAX, usize::MAX);
        for (i, &v) in alpha.iter().enumerate() {
            if i1 == usize::MAX || v > alpha[i1] {
                i2 = i1;
                i1 = i;
            } else if i2 == usize::MAX || v > alpha[i2] {
                i2 = i;
            }
        }
        for (i, out) in next.iter_mut().enumerate() {
            let stay = alpha[i] + log_stay;
            let moved = if m > 1 {
                let top = alpha[if i == i1 { i2 } else { i1 }];
                let sum: f64 = (0..m)
                    .filter(|&j| j != i)
                    .map(|j| (alpha[j] - top).exp())
                    .sum();
                top + sum.ln() + log_move
            } else {
                f64::NEG_INFINITY
            };
            let hi = stay.max(moved);
            *out = hi + ((stay - hi).exp() + (moved - hi).exp()).ln() + row[i];
        }
        std::mem::swap(&mut alpha, &mut next);
    }
    let hi = alpha.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    hi + alpha.iter().map(|a| (a - hi).exp()).sum::<f64>().ln()
}

/// `1 + 2 sum_l rho_l` of the costs `c` about their states' means, inside segments of `a`,
/// summed up to the first lag whose correlation is below 0.05 (or [`MAX_COST_LAG`]).
fn cost_autocorrelation_time(
    c: &[f64],
    a: &[usize],
    k: usize,
    ranges: &[std::ops::Range<usize>],
) -> f64 {
    let counts = assign::counts(a, k);
    let mut mean = vec![0.0; k];
    for (&x, &s) in c.iter().zip(a) {
        mean[s] += x;
    }
    for (m, &n) in mean.iter_mut().zip(&counts) {
        *m /= n.max(1) as f64;
    }
    let d: Vec<f64> = c.iter().zip(a).map(|(&x, &s)| x - mean[s]).collect();
    let var: f64 = d.iter().map(|x| x * x).sum();
    if var <= 0.0 {
        return 1.0;
    }
    let mut tau = 1.0;
    for lag in 1..MAX_COST_LAG {
        let mut num = 0.0;
        for r in ranges {
            for t in r.start + lag..r.end {
                if a[t] == a[t - lag] {
                    num += d[t] * d[t - lag];
                }
            }
        }
        let rho = num / var;
        if rho < 0.05 {
            break;
        }
        tau += 2.0 * rho;
    }
    tau
}

/// Scores `outcome` (fitted on `engine`) as a trial of the choice: its figures, and its
/// [`held_out`] score (tempered by `tau`, or by its own costs' autocorrelation time when `None`)
/// when its fit uses every state; a result that leaves states empty is a smaller number in
/// disguise, which the path reaches and scores itself. Returns the trial and the `tau` used;
/// `costs` (`T x K`) is scratch.
fn trial(
    engine: &Engine<'_>,
    outcome: &PhaseOutcome,
    costs: &mut [f64],
    tau: Option<f64>,
    grown: bool,
) -> Result<(StatesTrial, f64), FitError> {
    let ev = evidence(engine, outcome, costs)?;
    let tau = tau.unwrap_or(ev.tau);
    let all_used = assign::counts(&outcome.assignment, engine.k)
        .iter()
        .all(|&c| c > 0);
    let criterion = if all_used {
        Some(held_out(engine, outcome, costs, tau)?.iter().sum())
    } else {
        None
    };
    let trial = StatesTrial {
        states: engine.k,
        criterion,
        emission: ev.emission,
        parameters: ev.parameters,
        switches: assign::switches(&outcome.assignment, &engine.ranges),
        grown,
        chosen: false,
    };
    Ok((trial, tau))
}

/// The states of `outcome` (fitted on `engine`'s series with `engine.k` states) merged down to
/// `min`; returns the number with the lowest [`held_out`] score among those whose fit uses
/// every state (and when that is one, among the best splits of it too), with its outcome, and
/// every fit's figures. `spec` is the phase-1 EM run after each merge (capped at a few
/// iterations).
pub(crate) fn choose(
    engine: &Engine<'_>,
    outcome: PhaseOutcome,
    spec: PhaseSpec<'_>,
    min: usize,
    watch: Watch<'_>,
) -> Result<(usize, PhaseOutcome, Vec<StatesTrial>), FitError> {
    let len = engine.full.len();
    let mut trials = Vec::new();
    let mut eng = engine.with_states(engine.k);
    let mut current = outcome;
    let mut costs = vec![0.0; len * eng.k];
    // The best score, its trial and its outcome.
    let mut best: Option<(f64, usize, PhaseOutcome)> = None;
    // One tempering for every number of states: the autocorrelation time of the richest
    // fit's costs, the least correlated by states that do not fit.
    let mut tau = None;
    loop {
        if watch.cancelled() {
            return Err(FitError::Cancelled);
        }
        let k = eng.k;
        let (t, used) = trial(&eng, &current, &mut costs[..len * k], tau, false)?;
        tau = Some(used);
        let score = t.criterion;
        trials.push(t);
        // Ties go to the fewer states.
        if let Some(v) = score
            && best.as_ref().is_none_or(|b| v <= b.0)
        {
            best = Some((v, trials.len() - 1, clone_outcome(&current)));
        }
        if k <= min.max(1) {
            break;
        }
        // The merge: an empty state if there is one, else the cheapest pair.
        let counts = assign::counts(&current.assignment, k);
        let (kept, freed) = match counts.iter().rposition(|&c| c == 0) {
            Some(e) => ((e + 1) % k, e),
            None => {
                let scorers = eng.scorers(&current.fits)?;
                eng.costs(&scorers, &mut costs[..len * k]);
                match merge_candidates(&costs[..len * k], k, &current.assignment).first() {
                    Some(&m) => m,
                    None => break,
                }
            }
        };
        let assignment: Vec<usize> = current
            .assignment
            .iter()
            .map(|&s| {
                let s = if s == freed { kept } else { s };
                if s > freed { s - 1 } else { s }
            })
            .collect();
        let mut fits = current.fits;
        fits.remove(freed);
        eng = eng.with_states(k - 1);
        let start = Start {
            assignment,
            fits: Some(fits),
            rng: current.rng,
        };
        let mut log: Vec<IterationDiagnostics> = Vec::new();
        current = phase::run(
            &eng,
            spec.capped(MERGE_ITERS.min(spec.max_iters)),
            start,
            &mut costs[..len * (k - 1)],
            &mut log,
            watch.quiet(),
        )?;
    }
    if trials.iter().filter_map(|t| t.criterion).all(|c| c == 0.0) {
        tracing::warn!(
            "the series is too short to hold out data: every number of states scores 0 and the \
             fewest are chosen"
        );
    }
    let (best_score, mut chosen, mut outcome) =
        best.ok_or_else(|| FitError::Data("no number of states to choose".into()))?;
    // One state is the answer that erases every segment, and the path's only 2-state fit came
    // down from the fit at the most states (on a short series that fit often ends with one or
    // two states used): before answering one, the best splits of it are fitted with two states
    // and scored the same way.
    if trials[chosen].states == 1 && engine.k > 1 {
        let starts = split_merge::split_starts(&engine.with_states(1), &outcome, GROW_PROPOSALS);
        let up = engine.with_states(2);
        let spec = spec.capped(MERGE_ITERS.min(spec.max_iters));
        let grown: Vec<Result<(StatesTrial, PhaseOutcome), FitError>> = starts
            .into_par_iter()
            .map(|start| {
                let mut buf = vec![0.0; len * 2];
                let mut log: Vec<IterationDiagnostics> = Vec::new();
                let out = phase::run(&up, spec, start, &mut buf, &mut log, watch.quiet())?;
                let (t, _) = trial(&up, &out, &mut buf, tau, true)?;
                Ok((t, out))
            })
            .collect();
        let mut winner: Option<(f64, usize, PhaseOutcome)> = None;
        for g in grown {
            let (t, out) = g?;
            let score = t.criterion;
            trials.push(t);
            // Ties keep the first proposal.
            if let Some(v) = score
                && winner.as_ref().is_none_or(|w| v < w.0)
            {
                winner = Some((v, trials.len() - 1, out));
            }
        }
        if let Some((score, i, out)) = winner
            && score < best_score
        {
            chosen = i;
            outcome = out;
        }
    }
    trials[chosen].chosen = true;
    Ok((trials[chosen].states, outcome, trials))
}

/// A copy of an outcome (its random stream too).
fn clone_outcome(o: &PhaseOutcome) -> PhaseOutcome {
    PhaseOutcome {
        assignment: o.assignment.clone(),
        fits: o.fits.clone(),
        motifs: o.motifs.clone(),
        converged: o.converged,
        objective: o.objective,
        rng: ChaCha8Rng::clone(&o.rng),
        first_fits: None,
    }
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use rand::{RngExt, SeedableRng};

    use super::*;
    use crate::FitParams;
    use crate::engine::ROUGH_TOLERANCE;

    /// `ln sum_paths P(path) P(observations | path)`, over every path of `m` states.
    fn brute_force(log_emission: &[f64], m: usize, log_initial: &[f64], p: f64) -> f64 {
        let t = log_emission.len() / m;
        let mut total = 0.0;
        for code in 0..m.pow(t as u32) {
            let path: Vec<usize> = (0..t).map(|i| code / m.pow(i as u32) % m).collect();
            let mut lp = log_initial[path[0]] + log_emission[path[0]];
            for i in 1..t {
                let move_p = if path[i] == path[i - 1] {
                    1.0 - p
                } else {
                    p / (m - 1) as f64
                };
                lp += move_p.ln() + log_emission[i * m + path[i]];
            }
            total += lp.exp();
        }
        total.ln()
    }

    #[test]
    fn forward_is_the_sum_over_every_path() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        for (m, t, p) in [
            (3, 5, 0.2),
            (2, 6, 0.5),
            (4, 3, 0.01),
            (1, 4, 0.0),
            (2, 4, 0.0),
        ] {
            let log_emission: Vec<f64> = (0..m * t).map(|_| rng.random_range(-6.0..0.0)).collect();
            let w: Vec<f64> = (0..m).map(|_| rng.random_range(0.1..1.0)).collect();
            let sum: f64 = w.iter().sum();
            let log_initial: Vec<f64> = w.iter().map(|x| (x / sum).ln()).collect();
            let f = forward(&log_emission, m, &log_initial, p);
            let b = brute_force(&log_emission, m, &log_initial, p);
            assert!((f - b).abs() < 1e-10, "m {m} t {t}: {f} vs {b}");
        }
        assert_eq!(forward(&[], 3, &[0.0; 3], 0.1), 0.0);
    }

    #[test]
    fn blocks_alternate_and_stay_inside_their_recording() {
        let ranges = vec![0..1000, 1000..1050, 1050..1400];
        let (block, n) = blocks(&ranges, 1400, 5);
        // 70-step blocks (1400 / 20): 14 in the first recording, one in the second (shorter
        // than a block), 5 in the third.
        assert_eq!(n, 20);
        for r in &ranges {
            let (first, last) = (block[r.start], block[r.end - 1]);
            assert!(
                block[r.clone()]
                    .windows(2)
                    .all(|p| p[1] == p[0] || p[1] == p[0] + 1)
            );
            if r.start > 0 {
                assert_eq!(
                    first,
                    block[r.start - 1] + 1,
                    "a new recording starts a block"
                );
            }
            assert!(last >= first);
        }
        assert_eq!(block[1000], 14);
        assert_eq!(block[1049], 14);
        // A long window needs longer blocks: at least 4 windows each.
        let (_, n) = blocks(&[0..1000], 1000, 100);
        assert_eq!(n, 2);
        // A single recording is cut in two however short it is.
        let (block, n) = blocks(&[0..50], 50, 10);
        assert_eq!(n, 2);
        assert_eq!((block[24], block[25]), (0, 1));
    }

    /// Two states of three sensors (means 0 and 2.5), 40 segments of 25 steps alternating.
    fn two_states() -> (Vec<f64>, Vec<usize>) {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut normal = || {
            // Box-Muller.
            let (u, v): (f64, f64) = (rng.random_range(1e-12..1.0), rng.random_range(0.0..1.0));
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        };
        let (mut x, mut a) = (Vec::new(), Vec::new());
        for seg in 0..40 {
            for _ in 0..25 {
                for _ in 0..3 {
                    x.push(2.5 * (seg % 2) as f64 + normal());
                }
                a.push(seg % 2);
            }
        }
        (x, a)
    }

    /// A converged outcome of assignment `a` with `fits`, for scoring it.
    fn outcome_of(assignment: Vec<usize>, fits: Vec<StateFit>) -> PhaseOutcome {
        PhaseOutcome {
            assignment,
            fits,
            motifs: Vec::new(),
            converged: true,
            objective: 0.0,
            rng: ChaCha8Rng::seed_from_u64(0),
            first_fits: None,
        }
    }

    /// The held-out score and the in-sample summed costs of assignment `a` with `k` states.
    fn score(x: &[f64], a: &[usize], k: usize) -> (f64, f64) {
        let params = FitParams::new(k).check().unwrap();
        let engine = Engine::new(x, 3, 1, k, vec![0..a.len()], params.glasso());
        let fits = engine
            .m_step(&engine.stats(a), &[], Accuracy::Exact)
            .unwrap();
        let outcome = outcome_of(a.to_vec(), fits);
        let mut costs = vec![0.0; a.len() * k];
        let emission = evidence(&engine, &outcome, &mut costs).unwrap().emission;
        let held: f64 = held_out(&engine, &outcome, &mut costs, 1.0)
            .unwrap()
            .iter()
            .sum();
        (held, emission)
    }

    #[test]
    fn held_out_rewards_real_states_and_penalises_a_redundant_split() {
        let (x, truth) = two_states();
        let (two, two_in) = score(&x, &truth, 2);
        let (one, _) = score(&x, &vec![0; truth.len()], 1);
        // One state for both: every window of the other mean costs about 2.5^2 * 3 more.
        assert!(one > two + 1000.0, "one {one} two {two}");
        // State 0's segments split in two states of one law, each recurring in both folds (the
        // split segments start at 0, 150, 300, ...: blocks of 50 steps 0, 3, 6, ...). In
        // sample the split lowers the costs (each part fits its own noise: 5.4); held out,
        // each part is estimated from fewer windows and the split loses (19.9 here).
        let split: Vec<usize> = truth
            .iter()
            .enumerate()
            .map(|(t, &s)| if s == 0 && (t / 25) % 6 == 0 { 2 } else { s })
            .collect();
        let (three, three_in) = score(&x, &split, 3);
        assert!(two_in - three_in > 1.0, "in sample {two_in} -> {three_in}");
        assert!(three > two + 5.0, "held out {two} -> {three}");
    }

    /// Per-block scores of `x` (one sensor, window 3, recordings 0..400 and 400..700) under a
    /// fixed two-state assignment.
    fn block_scores(x: &[f64], conditional: bool) -> Vec<f64> {
        let a: Vec<usize> = (0..x.len()).map(|t| (t / 30) % 2).collect();
        let params = FitParams::new(2).check().unwrap();
        let mut engine = Engine::new(x, 1, 3, 2, vec![0..400, 400..700], params.glasso());
        engine.conditional = conditional;
        let fits = engine
            .m_step(&engine.stats(&a), &[], Accuracy::Exact)
            .unwrap();
        let outcome = outcome_of(a, fits);
        let mut costs = vec![0.0; x.len() * 2];
        held_out(&engine, &outcome, &mut costs, 1.5).unwrap()
    }

    #[test]
    fn a_held_out_block_is_scored_by_states_that_never_saw_it() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let x: Vec<f64> = (0..700)
            .map(|t| ((t / 30) % 2) as f64 * 2.0 + rng.random_range(-1.0..1.0))
            .collect();
        for conditional in [false, true] {
            let before = block_scores(&x, conditional);
            let (block, n) = blocks(&[0..400, 400..700], 700, 3);
            assert_eq!(before.len(), n);
            // Change the data of one block. The other blocks of its fold were scored by states
            // trained on the other fold: they move only within the rough solver's tolerance
            // (the fold's fits are warm-started from the fit of all the data). The blocks of the
            // other fold were scored by states trained on the changed one: they move.
            let changed = 5;
            let mut y = x.clone();
            for (v, _) in y.iter_mut().zip(&block).filter(|(_, b)| **b == changed) {
                *v = -*v + 0.5;
            }
            let after = block_scores(&y, conditional);
            for b in 0..n {
                let moved = ((after[b] - before[b]) / before[b]).abs();
                if b % 2 == changed % 2 && b != changed {
                    assert!(
                        moved < ROUGH_TOLERANCE,
                        "block {b} ({conditional}): {moved}"
                    );
                } else {
                    assert!(
                        moved > 10.0 * ROUGH_TOLERANCE,
                        "block {b} ({conditional}): {moved}"
                    );
                }
            }
        }
    }
}
