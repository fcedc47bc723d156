//! Split-and-merge refinement of a converged TICC result.
//!
//! EM with hard assignments stops in local optima of a typical shape: two true states share one
//! fitted state while a third true state is spread over two. Leaving such an optimum means
//! moving a whole state from one place to the other, which no single EM step does. Following
//! the SMEM algorithm for mixtures (Ueda, Nakano, Ghahramani and Hinton, "SMEM algorithm for
//! mixture models", Neural Computation 2000), each round proposes moves that merge two similar
//! states and split a heterogeneous one (so `K` is unchanged), runs EM from each proposal, and
//! keeps the best result if it lowers the objective. Nothing here changes what is optimised:
//! the objective is the EM's own (costs plus `beta` per switch), only the search is wider.
//!
//! Proposals are ranked without fitting anything. A state is freed by merging it into another
//! (its timesteps all go to that state), ranked by how much the summed cost rises under the
//! current models. A state is split by the likelihood
//! gained when its windows are divided in two: contextually, its runs grouped by 2-means on
//! their mean and second moments (states that differ only in covariance are told apart by
//! their runs' second moments, not by single points), or temporally, every run cut in half
//! (successive state splitting for HMMs, Takami and Sagayama 1992). The fit runs this on the
//! whole of a short series and on a sketch of a long one, before phase 1 continues on all the
//! data from the refined models.

use std::ops::Range;

use casc_glasso::Par;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::diagnostics::{IterationDiagnostics, SplitMergeTrial};
use crate::engine::{Accuracy, Engine, add_ridge};
use crate::error::FitError;
use crate::observer::{Stage, Watch};
use crate::phase::{self, PhaseOutcome, PhaseSpec, Start};

/// Most moves accepted in one fit (each accepted move starts a new round of proposals).
pub const SPLIT_MERGE_ROUNDS: usize = 5;
/// Merges proposed per round (the cheapest first).
const MERGE_CANDIDATES: usize = 3;
/// Splits proposed per round (the largest likelihood gain first).
const SPLIT_CANDIDATES: usize = 3;
/// k-means restarts of a split proposal.
const SPLIT_RESTARTS: usize = 3;
/// Rough EM iterations each proposal runs before the best one goes on to a fixed point.
const TRIAL_ITERS: usize = 3;
/// Proposals per round that go on from their rough ranking to a fixed point.
const REFINED_PER_ROUND: usize = 2;
/// A move is kept only when it lowers the objective by more than this fraction of it.
const RELATIVE_GAIN: f64 = 1e-6;

/// How a state is divided.
struct SplitRule {
    state: usize,
    kind: SplitKind,
}

/// The two kinds of split of successive state splitting for HMMs (Takami and Sagayama, 1992).
enum SplitKind {
    /// Contextual: the state's runs in two groups, by 2-means over their standardised mean and
    /// second moments (centred on `centre`).
    Runs {
        centre: Vec<f64>,
        shift: Vec<f64>,
        inv_sd: Vec<f64>,
        centers: Vec<f64>,
    },
    /// Temporal: the second half of every run becomes the other state. A state that has taken
    /// over several behaviours that always follow one another (consecutive stages of a motif,
    /// kept together by the switching penalty) has runs that all look alike, so no grouping of
    /// runs separates them; cutting every run in two does.
    Temporal,
}

/// A proposal: the state `freed` gives its timesteps to `kept`, then the part of `split`
/// chosen by its rule takes the freed id.
#[derive(Debug)]
struct Move {
    kept: usize,
    freed: usize,
    split: usize,
}

/// Pairs of sensors whose products enter the run features (all pairs up to 16 sensors, the
/// squares only above, as the local-moment initialisation does).
fn feature_pairs(n: usize) -> Vec<(usize, usize)> {
    if n <= 16 {
        (0..n).flat_map(|i| (i..n).map(move |j| (i, j))).collect()
    } else {
        (0..n).map(|i| (i, i)).collect()
    }
}

/// Maximal runs of `state` inside recordings.
fn runs_of(assignment: &[usize], ranges: &[Range<usize>], state: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for r in ranges {
        let mut t = r.start;
        while t < r.end {
            if assignment[t] == state {
                let s = t;
                while t < r.end && assignment[t] == state {
                    t += 1;
                }
                out.push(s..t);
            } else {
                t += 1;
            }
        }
    }
    out
}

/// Raw features of one run: mean of the centred observations and of their pairwise products.
fn run_features(x: &[f64], n: usize, run: &Range<usize>, centre: &[f64], out: &mut [f64]) {
    let pairs = feature_pairs(n);
    out.iter_mut().for_each(|v| *v = 0.0);
    let mut c = vec![0.0; n];
    for t in run.clone() {
        for ((ci, v), m) in c.iter_mut().zip(&x[t * n..(t + 1) * n]).zip(centre) {
            *ci = v - m;
        }
        for j in 0..n {
            out[j] += c[j];
        }
        for (p, &(a, b)) in pairs.iter().enumerate() {
            out[n + p] += c[a] * c[b];
        }
    }
    let inv = 1.0 / run.len() as f64;
    out.iter_mut().for_each(|v| *v *= inv);
}

impl SplitRule {
    fn n_features(n: usize) -> usize {
        n + feature_pairs(n).len()
    }

    /// The contextual split of `state` from its runs in `assignment`; `None` when it has fewer
    /// than two runs.
    fn contextual(
        engine: &Engine<'_>,
        assignment: &[usize],
        state: usize,
        centre: &[f64],
        rng: &mut ChaCha8Rng,
    ) -> Option<Self> {
        let n = engine.n;
        let f = Self::n_features(n);
        let runs = runs_of(assignment, &engine.ranges, state);
        if runs.len() < 2 {
            return None;
        }
        let mut feats = vec![0.0; runs.len() * f];
        for (run, row) in runs.iter().zip(feats.chunks_exact_mut(f)) {
            run_features(engine.x, n, run, centre, row);
        }
        let m = runs.len() as f64;
        let mut shift = vec![0.0; f];
        for row in feats.chunks_exact(f) {
            shift.iter_mut().zip(row).for_each(|(a, b)| *a += b / m);
        }
        let mut var = vec![0.0; f];
        for row in feats.chunks_exact(f) {
            for ((v, x), mu) in var.iter_mut().zip(row).zip(&shift) {
                *v += (x - mu) * (x - mu) / m;
            }
        }
        let inv_sd: Vec<f64> = var
            .iter()
            .map(|v| if *v > 0.0 { 1.0 / v.sqrt() } else { 1.0 })
            .collect();
        for row in feats.chunks_exact_mut(f) {
            for ((x, mu), s) in row.iter_mut().zip(&shift).zip(&inv_sd) {
                *x = (*x - mu) * s;
            }
        }
        let (_, centers) = crate::init::kmeans_centers(&feats, f, 2, SPLIT_RESTARTS, rng);
        Some(Self {
            state,
            kind: SplitKind::Runs {
                centre: centre.to_vec(),
                shift,
                inv_sd,
                centers,
            },
        })
    }

    /// Gives the second part of the rule's state the id `to`.
    fn apply(&self, engine: &Engine<'_>, assignment: &mut [usize], to: usize) {
        let runs = runs_of(assignment, &engine.ranges, self.state);
        match &self.kind {
            SplitKind::Runs {
                centre,
                shift,
                inv_sd,
                centers,
            } => {
                let n = engine.n;
                let mut row = vec![0.0; Self::n_features(n)];
                for run in runs {
                    run_features(engine.x, n, &run, centre, &mut row);
                    for ((x, mu), s) in row.iter_mut().zip(shift).zip(inv_sd) {
                        *x = (*x - mu) * s;
                    }
                    if crate::init::nearest(&row, centers, 2).0 == 1 {
                        assignment[run].iter_mut().for_each(|a| *a = to);
                    }
                }
            }
            SplitKind::Temporal => {
                for run in runs {
                    let mid = run.start + run.len() / 2;
                    assignment[mid..run.end].iter_mut().for_each(|a| *a = to);
                }
            }
        }
    }

    /// Twice the log-likelihood gained by fitting the two halves separately (maximum-likelihood
    /// Gaussians over the windows), or `None` when a half has too few windows to tell.
    fn gain(&self, engine: &Engine<'_>, assignment: &[usize]) -> Option<f64> {
        let d = engine.d;
        // Any id other than the state itself marks the second half.
        let other = if self.state == 0 { 1 } else { 0 };
        let mut marked = assignment.to_vec();
        marked.iter_mut().for_each(|a| {
            if *a != self.state {
                *a = usize::MAX;
            }
        });
        self.apply(engine, &mut marked, other);
        let mut halves: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
        for (t, &a) in marked.iter().enumerate() {
            if let Some(o) = engine.owned(t)
                && a != usize::MAX
            {
                halves[usize::from(a != self.state)].push(o);
            }
        }
        let min = 2 * d + 2;
        if halves[0].len() < min || halves[1].len() < min {
            return None;
        }
        let logdet = |ts: &[usize]| -> Option<f64> {
            let (_, mut cov) =
                casc_glasso::mean_and_covariance(ts.iter().map(|&t| engine.window(t)), engine.d)?;
            add_ridge(&mut cov);
            casc_glasso::log_det_spd(cov.as_ref(), Par::Seq).ok()
        };
        let all: Vec<usize> = halves[0].iter().chain(&halves[1]).copied().collect();
        let whole = logdet(&all)?;
        let a = logdet(&halves[0])?;
        let b = logdet(&halves[1])?;
        let g = all.len() as f64 * whole - halves[0].len() as f64 * a - halves[1].len() as f64 * b;
        g.is_finite().then_some(g)
    }
}

/// `assignment` with its states renumbered in the order they first appear: two assignments
/// are the same partition of the timesteps, whatever their state ids, exactly when their
/// canonical forms are equal.
fn canonical(assignment: &[usize], k: usize) -> Vec<usize> {
    let mut ids = vec![usize::MAX; k];
    let mut next = 0;
    assignment
        .iter()
        .map(|&s| {
            if ids[s] == usize::MAX {
                ids[s] = next;
                next += 1;
            }
            ids[s]
        })
        .collect()
}

/// Applies a move to an assignment.
fn apply_move(
    engine: &Engine<'_>,
    assignment: &[usize],
    mv: &Move,
    rule: &SplitRule,
) -> Vec<usize> {
    let mut a: Vec<usize> = assignment
        .iter()
        .map(|&s| if s == mv.freed { mv.kept } else { s })
        .collect();
    rule.apply(engine, &mut a, mv.freed);
    a
}

/// The mean of every sensor over the series: the centre of the runs' second moments.
fn sensor_means(engine: &Engine<'_>) -> Vec<f64> {
    let n = engine.n;
    let len = engine.full.len();
    let mut c = vec![0.0; n];
    for row in engine.x.chunks_exact(n) {
        c.iter_mut().zip(row).for_each(|(a, b)| *a += b);
    }
    c.iter_mut().for_each(|v| *v /= len as f64);
    c
}

/// Every split of a state of `labels` (contextual and temporal) that gains likelihood, the
/// largest gain first; ties by state, contextual before temporal.
fn ranked_splits(
    engine: &Engine<'_>,
    labels: &[usize],
    centre: &[f64],
    rng: &mut ChaCha8Rng,
) -> Vec<(f64, SplitRule)> {
    let mut rules: Vec<(f64, SplitRule)> = Vec::new();
    for s in 0..engine.k {
        let contextual = SplitRule::contextual(engine, labels, s, centre, rng);
        let temporal = SplitRule {
            state: s,
            kind: SplitKind::Temporal,
        };
        for rule in contextual.into_iter().chain([temporal]) {
            if let Some(g) = rule.gain(engine, labels)
                && g > 0.0
            {
                rules.push((g, rule));
            }
        }
    }
    // A stable sort keeps the ties in that order.
    rules.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.state.cmp(&b.1.state)));
    rules
}

/// Up to `count` splits of `outcome`'s states (fitted on `engine`), the largest likelihood
/// gain first, each as a start with one state more: the split part takes the id `engine.k`,
/// its model warm-started from the state it leaves.
pub(crate) fn split_starts(
    engine: &Engine<'_>,
    outcome: &PhaseOutcome,
    count: usize,
) -> Vec<Start> {
    let k = engine.k;
    let labels = &outcome.assignment;
    let centre = sensor_means(engine);
    let mut rng = outcome.rng.clone();
    ranked_splits(engine, labels, &centre, &mut rng)
        .iter()
        .take(count)
        .map(|(_, rule)| {
            let mut assignment = labels.clone();
            rule.apply(engine, &mut assignment, k);
            let mut fits = outcome.fits.clone();
            fits.push(outcome.fits[rule.state].clone());
            Start {
                assignment,
                fits: Some(fits),
                rng: outcome.rng.clone(),
            }
        })
        .collect()
}

/// The cheapest merges: `(kept, freed)` pairs ranked by the rise in summed cost when every
/// timestep of `freed` is scored under `kept`'s model instead.
pub(crate) fn merge_candidates(
    costs: &[f64],
    k: usize,
    assignment: &[usize],
) -> Vec<(usize, usize)> {
    // sums[j * k + i] = sum of C[t, i] over the timesteps in state j.
    let mut sums = vec![0.0; k * k];
    let mut present = vec![false; k];
    for (t, &j) in assignment.iter().enumerate() {
        present[j] = true;
        let row = &costs[t * k..(t + 1) * k];
        for (s, c) in sums[j * k..(j + 1) * k].iter_mut().zip(row) {
            *s += c;
        }
    }
    let mut pairs = Vec::new();
    for i in 0..k {
        for j in i + 1..k {
            if !(present[i] && present[j]) {
                continue;
            }
            let j_into_i = sums[j * k + i] - sums[j * k + j];
            let i_into_j = sums[i * k + j] - sums[i * k + i];
            // Ties keep the lower id.
            let (rise, kept, freed) = if j_into_i <= i_into_j {
                (j_into_i, i, j)
            } else {
                (i_into_j, j, i)
            };
            pairs.push((rise, kept, freed));
        }
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    pairs
        .into_iter()
        .take(MERGE_CANDIDATES)
        .map(|(_, kept, freed)| (kept, freed))
        .collect()
}

/// Runs split-and-merge rounds on `engine`'s series from a phase-1 result and returns the best
/// result found (the input itself when no proposal lowers the objective). EM from each
/// proposal runs `spec`; `seed` seeds the split proposals. Every proposal tried is appended to
/// `trials`. Each round costs up to 9 EM runs: give it a series of moderate length (the fit
/// gives it a sketch of a long series).
pub(crate) fn refine(
    engine: &Engine<'_>,
    mut current: PhaseOutcome,
    spec: PhaseSpec<'_>,
    seed: u64,
    trials: &mut Vec<SplitMergeTrial>,
    watch: Watch<'_>,
) -> Result<PhaseOutcome, FitError> {
    let k = engine.k;
    if k < 3 {
        return Ok(current);
    }
    // Proposals are ranked after a few rough EM iterations each.
    let trial = spec
        .at(Accuracy::Rough)
        .capped(TRIAL_ITERS.min(spec.max_iters));
    let len = engine.full.len();
    let centre = sensor_means(engine);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5b1e_73e6_0a11_9e55);
    let mut costs = vec![0.0; len * k];
    // The ranked (screened) assignments of every proposal refined so far, as partitions (a
    // kept move renumbers states). A later round can propose the same move again (the move
    // just kept, proposed from its own result), which after its rough iterations is where the
    // earlier one was: its fixed point is known, the incumbent itself or a result that lost to
    // an earlier incumbent, which the current one beats. It is not refined again.
    let mut refined: Vec<(Vec<usize>, f64)> = Vec::new();
    for round in 0..SPLIT_MERGE_ROUNDS {
        let labels = &current.assignment;
        let baseline = current.objective;
        let scorers = engine.scorers(&current.fits)?;
        engine.costs(&scorers, &mut costs);
        let merges = merge_candidates(&costs, k, labels);
        let mut rules = ranked_splits(engine, labels, &centre, &mut rng);
        rules.truncate(SPLIT_CANDIDATES);
        let mut moves: Vec<(Move, usize)> = Vec::new();
        for &(kept, freed) in &merges {
            for (ri, (_, rule)) in rules.iter().enumerate() {
                if rule.state != freed && rule.state != kept {
                    let mv = Move {
                        kept,
                        freed,
                        split: rule.state,
                    };
                    moves.push((mv, ri));
                }
            }
        }
        if moves.is_empty() {
            break;
        }
        watch.stage(Stage::SplitMerge {
            round,
            proposals: moves.len(),
        });
        let outcomes: Vec<Result<PhaseOutcome, FitError>> = moves
            .par_iter()
            .map(|(mv, ri)| {
                // Warm starts: the freed id takes over part of the split state, so its
                // solves start from that state's model; every other state from its own.
                let mut fits = current.fits.clone();
                fits[mv.freed] = current.fits[mv.split].clone();
                let start = Start {
                    assignment: apply_move(engine, labels, mv, &rules[*ri].1),
                    fits: Some(fits),
                    rng: current.rng.clone(),
                };
                let mut buf = vec![0.0; len * k];
                let mut log: Vec<IterationDiagnostics> = Vec::new();
                phase::run(engine, trial, start, &mut buf, &mut log, watch.quiet())
            })
            .collect();
        let first = trials.len();
        let mut ranked: Vec<(usize, PhaseOutcome)> = Vec::with_capacity(moves.len());
        for (i, ((mv, _), out)) in moves.iter().zip(outcomes).enumerate() {
            let out = out?;
            trials.push(SplitMergeTrial {
                round,
                kept: mv.kept,
                freed: mv.freed,
                split: mv.split,
                objective: out.objective,
                refined_objective: None,
                baseline,
                accepted: false,
            });
            ranked.push((i, out));
        }
        // Best first; ties keep the proposal order.
        ranked.sort_by(|a, b| a.1.objective.total_cmp(&b.1.objective).then(a.0.cmp(&b.0)));
        ranked.truncate(REFINED_PER_ROUND);
        let mut partitions = Vec::with_capacity(ranked.len());
        ranked.retain(|(i, out)| {
            let partition = canonical(&out.assignment, k);
            match refined.iter().find(|(p, _)| *p == partition) {
                Some(&(_, known)) => {
                    tracing::debug!(round, mv = ?moves[*i].0, "proposal already refined: skipped");
                    trials[first + i].refined_objective = Some(known);
                    false
                }
                None => {
                    partitions.push(partition);
                    true
                }
            }
        });
        // The most promising proposals go on to a fixed point, as the current result did; a
        // few rough iterations rank proposals well but not perfectly.
        // What a move must reach to be kept; a refinement that cannot stops early.
        let target = baseline - RELATIVE_GAIN * baseline.abs();
        let results: Vec<Result<(usize, PhaseOutcome), FitError>> = ranked
            .into_par_iter()
            .map(|(i, out)| {
                let mut buf = vec![0.0; len * k];
                let mut log: Vec<IterationDiagnostics> = Vec::new();
                let out = phase::run(
                    engine,
                    spec.against(target).loose_until_converged(Accuracy::Rough),
                    out.into_start(),
                    &mut buf,
                    &mut log,
                    watch.quiet(),
                )?;
                Ok((i, out))
            })
            .collect();
        let mut best: Option<(usize, PhaseOutcome)> = None;
        for (r, partition) in results.into_iter().zip(partitions) {
            let (i, out) = r?;
            trials[first + i].refined_objective = Some(out.objective);
            refined.push((partition, out.objective));
            if best.as_ref().is_none_or(|b| out.objective < b.1.objective) {
                best = Some((i, out));
            }
        }
        let Some((i, out)) = best else { break };
        if out.objective >= target {
            break;
        }
        trials[first + i].accepted = true;
        tracing::info!(
            round,
            from = baseline,
            to = out.objective,
            "split-and-merge move kept"
        );
        current = out;
    }
    Ok(current)
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;
    use crate::FitParams;

    #[test]
    fn canonical_numbers_states_in_order_of_appearance() {
        assert_eq!(canonical(&[2, 2, 0, 3, 0, 2], 4), vec![0, 0, 1, 2, 1, 0]);
        assert_eq!(canonical(&[], 3), Vec::<usize>::new());
    }

    #[test]
    fn canonical_forms_are_equal_exactly_for_the_same_partition() {
        let a = [0, 0, 1, 2, 2, 1, 0];
        // Every relabelling of `a` is the same partition.
        for perm in [
            [0, 1, 2],
            [0, 2, 1],
            [1, 0, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0],
        ] {
            let b: Vec<usize> = a.iter().map(|&s| perm[s]).collect();
            assert_eq!(canonical(&b, 3), canonical(&a, 3));
        }
        // Moving one timestep to another state is another partition.
        let mut c = a;
        c[3] = 1;
        assert_ne!(canonical(&c, 3), canonical(&a, 3));
    }

    #[test]
    fn runs_stop_at_recording_boundaries() {
        let a = [1, 1, 0, 1, 1, 1, 1, 0];
        let runs = runs_of(&a, &[0..5, 5..8], 1);
        assert_eq!(runs, vec![0..2, 3..5, 5..7]);
        assert!(runs_of(&a, &[0..8], 2).is_empty());
    }

    #[test]
    fn cheapest_merge_is_the_one_that_raises_the_cost_least() {
        // Three states, two timesteps each. Scoring state 2's steps under state 1 costs 0.5
        // more; every other move costs at least 3.
        #[rustfmt::skip]
        let costs = [
            0.0, 5.0, 5.0,
            0.0, 5.0, 5.0,
            4.0, 0.0, 3.0,
            4.0, 0.0, 3.0,
            9.0, 0.25, 0.0,
            9.0, 0.25, 0.0,
        ];
        let a = [0, 0, 1, 1, 2, 2];
        let m = merge_candidates(&costs, 3, &a);
        assert_eq!(m[0], (1, 2), "state 2 is absorbed by state 1");
        assert_eq!(m.len(), 3);
        // A state absent from the assignment is never proposed.
        let m = merge_candidates(&costs, 3, &[0, 0, 1, 1, 1, 1]);
        assert_eq!(m, vec![(1, 0)]);
    }

    #[test]
    fn temporal_split_gives_the_second_half_of_every_run() {
        let x = vec![0.0; 10];
        let params = FitParams::new(3).check().unwrap();
        let engine = Engine::new(&x, 1, 1, 3, vec![0..10], params.glasso());
        let mut a = vec![0, 0, 0, 0, 1, 0, 0, 0, 1, 1];
        let rule = SplitRule {
            state: 0,
            kind: SplitKind::Temporal,
        };
        rule.apply(&engine, &mut a, 2);
        assert_eq!(a, vec![0, 0, 2, 2, 1, 0, 2, 2, 1, 1]);
    }

    #[test]
    fn contextual_split_separates_runs_by_their_variance() {
        // One state whose runs alternate between a quiet and a loud regime of the same sensor.
        let mut x = Vec::new();
        let mut a = Vec::new();
        for r in 0..8 {
            let scale = if r % 2 == 0 { 0.1 } else { 10.0 };
            for t in 0..20 {
                x.push(scale * if t % 2 == 0 { 1.0 } else { -1.0 });
                a.push(0);
            }
            x.push(0.0);
            a.push(1);
        }
        let params = FitParams::new(3).check().unwrap();
        let engine = Engine::new(&x, 1, 1, 3, vec![0..x.len()], params.glasso());
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let rule = SplitRule::contextual(&engine, &a, 0, &[0.0], &mut rng).unwrap();
        let mut b = a.clone();
        rule.apply(&engine, &mut b, 2);
        for r in 0..8 {
            let first = b[r * 21];
            assert!(b[r * 21..r * 21 + 20].iter().all(|&s| s == first));
            let other = b[((r + 1) % 8) * 21];
            assert_ne!(first, other, "neighbouring runs differ in scale");
        }
        assert!(rule.gain(&engine, &a).unwrap() > 0.0);
    }
}
