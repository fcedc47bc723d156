//! Choosing the number of states from the data ([`States::Auto`](crate::States)).
//!
//! The fit runs phase 1 with the most states allowed, then merges states down one at a time:
//! the two whose merge raises the summed cost least become one (an empty state goes first),
//! and a few EM iterations settle the result. Every number of states on the path gets a
//! penalised likelihood ([`criterion`]); the lowest wins, and the fit goes on from the path's
//! result at that number. One fit at the largest number plus a few iterations per merge,
//! instead of one fit per number; and each result starts from a richer one, so none is
//! stuck in a poor local optimum of its own initialisation.

use rand_chacha::ChaCha8Rng;

use crate::assign;
use crate::diagnostics::{IterationDiagnostics, StatesTrial};
use crate::engine::Engine;
use crate::error::FitError;
use crate::model::NONZERO_THRESHOLD;
use crate::observer::Watch;
use crate::phase::{self, PhaseOutcome, PhaseSpec, Start};
use crate::split_merge::merge_candidates;

/// EM iterations after each merge.
const MERGE_ITERS: usize = 5;

/// Largest lag of the integrated autocorrelation of the costs.
const MAX_COST_LAG: usize = 64;

/// The penalised likelihood of a fitted assignment, lower is better: its summed costs (twice
/// its negative log-likelihood, as the fit's costs count it) divided by `tau`, plus twice the
/// negative log-likelihood of when the switches happen under the switching probability they
/// imply, plus `ln(T / tau)` per free parameter (every non-zero free number of each state's
/// block-Toeplitz precision, its mean, and the switching probability). `tau` (given, or
/// computed from this assignment when `None`) is the integrated autocorrelation time of the
/// costs themselves inside segments: the number of
/// consecutive costs that carry one independent cost's evidence, whether because windows
/// overlap (each observation is in `w` of them) or because the observations are correlated
/// (1 for independent observations and a window of 1). A BIC that counts the evidence once.
/// Returns the criterion, the summed costs, the parameters and `tau`.
pub(crate) fn criterion(
    engine: &Engine<'_>,
    outcome: &PhaseOutcome,
    costs: &mut [f64],
    tau: Option<f64>,
) -> Result<(f64, f64, usize, f64), FitError> {
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
    let tau = tau.unwrap_or_else(|| cost_autocorrelation_time(&c, a, k, &engine.ranges));
    let pairs: usize = engine
        .ranges
        .iter()
        .map(|r| r.len().saturating_sub(1))
        .sum();
    let switches = assign::switches(a, &engine.ranges);
    // When the switches happen (not to which state: a switch's destination is what the
    // states' likelihoods tell apart).
    let transitions = if k > 1 && pairs > 0 {
        let p = (switches as f64 / pairs as f64).clamp(0.5 / pairs as f64, 0.5);
        switches as f64 * p.ln() + (pairs - switches) as f64 * (1.0 - p).ln()
    } else {
        0.0
    };
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
    let t = engine.full.len() as f64;
    let n_eff = (t / tau).max(2.0);
    let value = emission / tau - 2.0 * transitions / tau + parameters as f64 * n_eff.ln();
    Ok((value, emission, parameters, tau))
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

/// The states of `outcome` (fitted on `engine`'s series with `engine.k` states) merged down to
/// `min`; returns the best number with its outcome, and every number's figures. `spec` is
/// the phase-1 EM run after each merge (capped at a few iterations).
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
    let mut best: Option<(f64, usize, PhaseOutcome)> = None;
    // One effective sample size for every number of states: the one of the richest fit,
    // whose costs are the least correlated by states that do not fit.
    let mut tau = None;
    loop {
        if watch.cancelled() {
            return Err(FitError::Cancelled);
        }
        let k = eng.k;
        let (value, emission, parameters, t) =
            criterion(&eng, &current, &mut costs[..len * k], tau)?;
        tau = Some(t);
        trials.push(StatesTrial {
            states: k,
            criterion: value,
            emission,
            parameters,
            switches: assign::switches(&current.assignment, &eng.ranges),
            chosen: false,
        });
        // A result that leaves states empty is a smaller number in disguise: the path reaches
        // that number itself, with its own criterion.
        let all_used = assign::counts(&current.assignment, k)
            .iter()
            .all(|&c| c > 0);
        if all_used && best.as_ref().is_none_or(|b| value < b.0) {
            best = Some((value, k, clone_outcome(&current)));
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
    let (_, k, outcome) =
        best.ok_or_else(|| FitError::Data("no number of states to choose".into()))?;
    for t in &mut trials {
        t.chosen = t.states == k;
    }
    Ok((k, outcome, trials))
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
    }
}
