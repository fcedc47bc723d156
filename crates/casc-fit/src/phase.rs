//! A phase of EM: iterations of {re-seed empty states, M-step, costs, assignment} until the
//! assignment repeats one of the previous three (docs/method.md section 6.3) or the iteration cap.
//! The assignment is the plain Viterbi (phase 1) or the motif step (phase 2).

use std::collections::VecDeque;
use std::time::Instant;

use casc_motif::{Motif, ValidMotifParams};
use rand_chacha::ChaCha8Rng;

use crate::assign;
use crate::diagnostics::IterationDiagnostics;
use crate::engine::{Accuracy, Engine, StateFit};
use crate::error::FitError;
use crate::observer::Watch;

/// What a phase runs: which phase it is, its cap, the switching penalty and the assignment.
#[derive(Clone, Copy)]
pub(crate) struct PhaseSpec<'a> {
    /// 1 (TICC) or 2 (motifs), as the diagnostics number them.
    pub(crate) phase: u8,
    /// Most iterations.
    pub(crate) max_iters: usize,
    /// Switching penalty.
    pub(crate) beta: f64,
    /// With motif parameters, every iteration runs the motif step after the plain Viterbi.
    pub(crate) motifs: Option<&'a ValidMotifParams>,
    /// How exactly the M-steps are solved.
    pub(crate) accuracy: Accuracy,
    /// The accuracy the phase ends at: once converged at a looser one, it goes on at this one
    /// until it converges again (and its last allowed iteration runs at it). `None`: the
    /// phase runs at `accuracy` throughout.
    pub(crate) finish: Option<Accuracy>,
    /// The stage of the fit its iterations are logged under.
    pub(crate) stage: &'a str,
    /// An objective the phase is only worth running to beat (a split-and-merge proposal
    /// against the current result): the phase stops early, unconverged, once its objective
    /// is above it, its assignment has nearly settled, and its objective falls too slowly to
    /// reach it within the iterations left.
    pub(crate) incumbent: Option<f64>,
    /// Whether the outcome keeps the fits of the first iteration ([`PhaseOutcome::first_fits`]).
    pub(crate) keep_first: bool,
}

impl<'a> PhaseSpec<'a> {
    /// Phase 1 (plain TICC) with `max_iters` and `beta`.
    pub(crate) fn ticc(max_iters: usize, beta: f64) -> Self {
        Self {
            phase: 1,
            max_iters,
            beta,
            motifs: None,
            accuracy: Accuracy::Search,
            finish: None,
            stage: "phase 1",
            incumbent: None,
            keep_first: false,
        }
    }
    /// Phase 2 (the motif step in every iteration).
    pub(crate) fn motifs(max_iters: usize, beta: f64, motifs: &'a ValidMotifParams) -> Self {
        Self {
            phase: 2,
            max_iters,
            beta,
            motifs: Some(motifs),
            accuracy: Accuracy::Search,
            finish: None,
            stage: "phase 2",
            incumbent: None,
            keep_first: false,
        }
    }
    /// The same phase with another cap.
    pub(crate) fn capped(self, max_iters: usize) -> Self {
        Self { max_iters, ..self }
    }
    /// The same phase at another accuracy.
    pub(crate) fn at(self, accuracy: Accuracy) -> Self {
        Self { accuracy, ..self }
    }
    /// The same phase, logged under another stage name.
    pub(crate) fn labelled(self, stage: &'a str) -> Self {
        Self { stage, ..self }
    }
    /// The same phase, stopped early when it cannot beat `objective` (see
    /// [`PhaseSpec::incumbent`]).
    pub(crate) fn against(self, objective: f64) -> Self {
        Self {
            incumbent: Some(objective),
            ..self
        }
    }
    /// The same phase, keeping the fits of its first iteration.
    pub(crate) fn keeping_first(self) -> Self {
        Self {
            keep_first: true,
            ..self
        }
    }
    /// The same phase at `loose` accuracy until it converges, then at its own (or at the
    /// one it already finishes at).
    pub(crate) fn loose_until_converged(self, loose: Accuracy) -> Self {
        Self {
            accuracy: loose,
            finish: self.finish.or(Some(self.accuracy)),
            ..self
        }
    }
    /// The same phase, ending with exact M-steps (the last phase of a fit).
    pub(crate) fn exact_at_the_end(self) -> Self {
        Self {
            finish: Some(Accuracy::Exact),
            ..self
        }
    }
}

/// Where a phase starts: an assignment, the previous fits to warm-start from, and the random
/// stream of the re-seeding.
pub(crate) struct Start {
    pub(crate) assignment: Vec<usize>,
    pub(crate) fits: Option<Vec<StateFit>>,
    pub(crate) rng: ChaCha8Rng,
}

/// Where a phase ended.
pub(crate) struct PhaseOutcome {
    pub(crate) assignment: Vec<usize>,
    pub(crate) fits: Vec<StateFit>,
    pub(crate) motifs: Vec<Motif>,
    pub(crate) converged: bool,
    /// Objective (costs plus switching penalties) of `assignment` under `fits`.
    pub(crate) objective: f64,
    /// The rest of the re-seeding random stream, for a phase that continues this one.
    pub(crate) rng: ChaCha8Rng,
    /// With [`PhaseSpec::keep_first`], the fits of the first iteration: the M-step of the
    /// start's assignment, which another phase from the same start can keep (see
    /// `Engine::prepare`).
    pub(crate) first_fits: Option<Vec<StateFit>>,
}

impl PhaseOutcome {
    /// Continues from this outcome: its assignment, fits and random stream.
    pub(crate) fn into_start(self) -> Start {
        Start {
            assignment: self.assignment,
            fits: Some(self.fits),
            rng: self.rng,
        }
    }
}

/// A phase that moved at most this fraction of its timesteps in an iteration has nearly
/// settled: its objective will not fall by much more than it just did. (One that moves more
/// may be reorganising, a state taking over another's segments, and fall by far more next.)
const SETTLED_FRACTION: f64 = 0.01;

/// Whether a phase whose objective went from `before` to `now` in its last iteration cannot
/// reach `target` in `left` more iterations at that rate. EM's decreases shrink as it nears
/// a fixed point, so the rate of the last iteration overestimates the ones to come; a phase
/// whose objective stopped falling cannot reach a target above it either.
pub(crate) fn cannot_reach(before: f64, now: f64, target: f64, left: usize) -> bool {
    if now <= target || !before.is_finite() {
        return false;
    }
    let drop = before - now;
    drop <= 0.0 || drop * (left as f64) < now - target
}

/// Runs the phase on `engine`'s series from `start`; `costs` is a `T x K` buffer, every
/// iteration is appended to `log` and reported to `watch`.
pub(crate) fn run(
    engine: &Engine<'_>,
    spec: PhaseSpec<'_>,
    start: Start,
    costs: &mut [f64],
    log: &mut Vec<IterationDiagnostics>,
    watch: Watch<'_>,
) -> Result<PhaseOutcome, FitError> {
    let k = engine.k;
    let Start {
        mut assignment,
        fits: mut prev,
        mut rng,
    } = start;
    // The assignments of the two iterations before this one, before re-seeding.
    let mut history: VecDeque<Vec<usize>> = VecDeque::with_capacity(2);
    let mut motifs = Vec::new();
    let mut converged = false;
    let mut objective = f64::INFINITY;
    let mut accuracy = spec.accuracy;
    let mut first_fits = None;
    // The accuracy of the previous iteration: objectives at two accuracies are not a rate.
    let mut last_accuracy = None;
    for iter in 0..spec.max_iters {
        if watch.cancelled() {
            return Err(FitError::Cancelled);
        }
        let span = tracing::info_span!("em", phase = spec.phase, iter);
        let _g = span.enter();
        let t0 = Instant::now();
        if let Some(finish) = spec.finish
            && iter + 1 == spec.max_iters
        {
            // The last iteration the cap allows gives the phase its final models.
            accuracy = finish;
        }
        // Convergence compares assignments before re-seeding (docs/method.md section 6.3): a
        // state that empties in every iteration must not keep the loop going.
        let input = assignment.clone();
        let prev_opt: Vec<Option<StateFit>> = match prev.take() {
            Some(v) => v.into_iter().map(Some).collect(),
            None => (0..k).map(|_| None).collect(),
        };
        // A state whose windows did not change keeps its fit, and (after this phase's first
        // iteration, which fills `costs`) its column of costs.
        let (stats, same, reseeded) =
            engine.prepare(&mut assignment, &mut rng, &prev_opt, accuracy);
        let fits = engine.m_step_keeping(&stats, &prev_opt, &same, accuracy)?;
        // Kept only when another phase from the same start would keep every one of them
        // (no state re-seeded, every solve converged), so that it is that phase, bit for bit.
        if spec.keep_first && iter == 0 && reseeded == 0 && fits.iter().all(|f| f.basis.is_some()) {
            first_fits = Some(fits.clone());
        }
        let scorers = engine.scorers(&fits)?;
        if iter == 0 {
            engine.costs(&scorers, costs);
        } else {
            let fresh: Vec<bool> = same.iter().map(|s| !s).collect();
            engine.costs_of(&scorers, &fresh, costs);
        }
        let plain = assign::plain_assignment(costs, k, &engine.ranges, spec.beta);
        let new = match spec.motifs {
            Some(mp) => {
                let step = casc_motif::motif_step(costs, k, &plain, &engine.ranges, mp)
                    .map_err(FitError::Motif)?;
                motifs = step.motifs;
                step.assignment
            }
            None => plain,
        };
        let changed = new.iter().zip(&input).filter(|(a, b)| a != b).count();
        let before = if last_accuracy == Some(accuracy) {
            objective
        } else {
            f64::INFINITY
        };
        last_accuracy = Some(accuracy);
        objective = assign::objective(costs, k, &new, &engine.ranges, spec.beta);
        let it = IterationDiagnostics {
            phase: spec.phase,
            stage: spec.stage.to_string(),
            iteration: iter,
            changed_steps: changed,
            empty_states_reseeded: reseeded,
            admm_iterations: fits.iter().map(|f| f.admm_iterations).collect(),
            admm_all_converged: fits.iter().all(|f| f.admm_converged),
            theta_fallbacks: fits.iter().filter(|f| f.theta_fallback).count(),
            motifs: motifs.len(),
            objective,
            tolerance: engine.glasso[accuracy as usize].eps_abs(),
            seconds: t0.elapsed().as_secs_f64(),
        };
        watch.iteration(&it);
        log.push(it);
        tracing::info!(
            phase = spec.phase,
            iter,
            changed,
            reseeded,
            objective,
            "iteration done"
        );
        // Converged when the new assignment equals one of the previous three: this iteration's
        // input or the two before it (catches 2- and 3-cycles).
        converged = new == input || history.iter().any(|h| *h == new);
        if history.len() == 2 {
            history.pop_front();
        }
        history.push_back(input);
        assignment = new;
        // These fits produced `assignment`: they are the result, and the next warm start.
        prev = Some(fits);
        if let Some(finish) = spec.finish
            && converged
            && accuracy != finish
        {
            // A fixed point of the loose M-steps: confirm it with tighter ones.
            accuracy = finish;
            converged = false;
            continue;
        }
        if converged {
            break;
        }
        if let Some(target) = spec.incumbent
            && changed as f64 <= SETTLED_FRACTION * assignment.len() as f64
            && cannot_reach(before, objective, target, spec.max_iters - iter - 1)
        {
            tracing::debug!(
                iter,
                objective,
                target,
                "cannot beat the incumbent: stopped"
            );
            break;
        }
    }
    Ok(PhaseOutcome {
        assignment,
        fits: prev.ok_or_else(|| FitError::Data("a phase needs at least one iteration".into()))?,
        motifs,
        converged,
        objective,
        rng,
        first_fits,
    })
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::engine::tests::{engine, two_states};
    use crate::observer::NoObserver;

    /// Runs a phase on `e` from `start`, unobserved; returns its outcome, its log and its
    /// costs buffer after the last iteration.
    fn quiet_run(
        e: &Engine<'_>,
        spec: PhaseSpec<'_>,
        start: Start,
    ) -> (PhaseOutcome, Vec<IterationDiagnostics>, Vec<f64>) {
        let mut costs = vec![0.0; e.full.len() * e.k];
        let mut log = Vec::new();
        let out = run(
            e,
            spec,
            start,
            &mut costs,
            &mut log,
            Watch::new(&NoObserver),
        )
        .unwrap();
        (out, log, costs)
    }

    #[test]
    fn a_phase_started_from_an_earlier_phase_s_first_fits_is_the_cold_phase() {
        // The second screening of the fit starts each candidate from the first fits of the
        // first screening, at another beta: the outcome must be the cold start's, bit for bit.
        let (x, truth) = two_states();
        let e = engine(&x, 2);
        // A poor start: the truth with every third 40-step block flipped.
        let a: Vec<usize> = truth
            .iter()
            .enumerate()
            .map(|(t, &s)| if (t / 40) % 3 == 0 { 1 - s } else { s })
            .collect();
        let cold = |fits| Start {
            assignment: a.clone(),
            fits,
            rng: ChaCha8Rng::seed_from_u64(3),
        };
        let run = |spec, start| {
            let (out, log, _) = quiet_run(&e, spec, start);
            (out, log)
        };
        let spec = PhaseSpec::ticc(3, 25.0).at(Accuracy::Rough);
        let (first, _) = run(spec.keeping_first(), cold(None));
        let again = PhaseSpec { beta: 8.0, ..spec };
        let (plain, _) = run(again, cold(None));
        let (kept, log) = run(again, cold(first.first_fits.clone()));
        assert_eq!(
            log[0].admm_iterations,
            vec![0, 0],
            "the first M-step is kept"
        );
        assert!(plain.first_fits.is_none());
        assert_eq!(kept.assignment, plain.assignment);
        assert_eq!(kept.objective.to_bits(), plain.objective.to_bits());
        assert_ne!(first.assignment, a, "the phase moved");

        // A start with an empty state is re-seeded: its first fits include a re-seeded
        // state's, which another phase would not keep, so none are kept.
        let empty = vec![0; a.len()];
        let from = |fits| Start {
            assignment: empty.clone(),
            fits,
            rng: ChaCha8Rng::seed_from_u64(3),
        };
        let (first, log) = run(spec.keeping_first(), from(None));
        assert_eq!(log[0].empty_states_reseeded, 1);
        assert!(first.first_fits.is_none());
    }

    #[test]
    fn the_costs_after_every_iteration_are_those_of_its_fits() {
        // Three states; the third (five times the variance) starts right and keeps its
        // windows, so its fit and its column of costs are kept while the other two move.
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut x = Vec::new();
        let mut a = Vec::new();
        for t in 0..900 {
            let s = (t / 100) % 3;
            let common: f64 = rand::RngExt::random_range(&mut rng, -1.0..1.0);
            for _ in 0..3 {
                let e: f64 = rand::RngExt::random_range(&mut rng, -1.0..1.0);
                x.push(match s {
                    0 => e,
                    1 => 0.4 * e + common,
                    _ => 5.0 * e,
                });
            }
            // States 0 and 1 swapped in every third 40-step block.
            a.push(if s < 2 && (t / 40) % 3 == 0 { 1 - s } else { s });
        }
        let params = crate::FitParams::new(3).check().unwrap();
        let e = Engine::new(&x, 3, 2, 3, vec![0..900], params.glasso());
        let mut kept_some = false;
        for cap in 1..=4 {
            let start = Start {
                assignment: a.clone(),
                fits: None,
                rng: ChaCha8Rng::seed_from_u64(1),
            };
            let (out, log, costs) = quiet_run(&e, PhaseSpec::ticc(cap, 10.0), start);
            let mut fresh = vec![0.0; 900 * 3];
            e.costs(&e.scorers(&out.fits).unwrap(), &mut fresh);
            assert_eq!(costs, fresh, "cap {cap}");
            kept_some |= log.iter().skip(1).any(|it| it.admm_iterations.contains(&0));
        }
        assert!(kept_some, "some later iteration kept a fit");
    }

    #[test]
    fn a_phase_stops_only_when_its_rate_cannot_reach_the_target() {
        // 10 above the target, falling by 3 per iteration: 4 iterations left reach it, 3 do not.
        assert!(!cannot_reach(113.0, 110.0, 100.0, 4));
        assert!(cannot_reach(113.0, 110.0, 100.0, 3));
        // At or below the target, there is nothing to stop.
        assert!(!cannot_reach(113.0, 100.0, 100.0, 0));
        // A first iteration (no rate yet) never stops; a rise or a standstill above does.
        assert!(!cannot_reach(f64::INFINITY, 110.0, 100.0, 0));
        assert!(cannot_reach(109.0, 110.0, 100.0, 50));
        assert!(cannot_reach(110.0, 110.0, 100.0, 50));
    }
}
