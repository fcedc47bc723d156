//! The whole fit, top of the crate: prepare the data, estimate `beta` (pilot fits), initialise
//! and screen, phase 1, split-and-merge, phase 1 on all of a long series, phase 2, and the
//! model with its criterion. Each step is one function below; data flows one way through them.

use std::borrow::Cow;
use std::ops::Range;
use std::time::Instant;

use casc_motif::Motif;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::assign;
use crate::beta::{AUTO_BETA_ROUNDS, SETTLED, beta_estimate};
use crate::diagnostics::{FitDiagnostics, InitDiagnostics, IterationDiagnostics, Timing};
use crate::engine::{Accuracy, Engine, StateFit};
use crate::error::{FitError, ParamError};
use crate::init::{LocalMoments, Points, initial_labels, kmeans_labels};
use crate::model::{Model, StateModel};
use crate::observer::{FitObserver, NoObserver, Stage, Watch};
use crate::params::{Beta, Costs, StateMean, States, ValidFitParams, Window};
use crate::phase::{self, PhaseOutcome, PhaseSpec, Start};
use crate::series::Series;
use crate::sketch::{self, SCREEN_STEPS, SKETCH_BLOCKS};
use crate::split_merge;
use crate::states;
use crate::window::{self, WindowChoice};

/// Half-widths of the local-moment initialisations screened beside the pointwise mixture.
pub const LOCAL_HALF_WIDTHS: [usize; 3] = [1, 3, 7];
/// EM iterations each candidate initialisation runs before the best one is kept.
pub const SCREEN_ITERS: usize = 3;
/// Largest magnitude a (possibly standardised) value may have: its square must not overflow.
pub const MAX_ABS_VALUE: f64 = 1e150;

/// The result of a fit: the model, the assignment, the motifs and how the fit went.
#[derive(Clone, Debug)]
pub struct Fit {
    /// The fitted model (states and motifs), ready to save or apply to new data.
    pub model: Model,
    /// Final state per timestep.
    pub assignment: Vec<usize>,
    /// State per timestep at the end of phase 1 (plain TICC).
    pub phase1_assignment: Vec<usize>,
    /// Motifs kept in the last motif step, with their instances (empty without phase 2).
    pub motifs: Vec<Motif>,
    /// Number of timesteps per state in the final assignment.
    pub state_counts: Vec<usize>,
    /// Bayesian information criterion (docs/method.md section 10); lower is better.
    pub bic: f64,
    /// Per-iteration and per-phase diagnostics.
    pub diagnostics: FitDiagnostics,
}

/// Fits the model to a series: initialisation, phase 1 (TICC) and, unless disabled, phase 2
/// (motifs). With [`Beta::Estimated`], `beta` is estimated first.
pub fn fit(series: &Series, params: &ValidFitParams) -> Result<Fit, FitError> {
    fit_with(series, params, &NoObserver)
}

/// [`fit`] reporting its progress to `observer`, which can also cancel it.
pub fn fit_with(
    series: &Series,
    params: &ValidFitParams,
    observer: &dyn FitObserver,
) -> Result<Fit, FitError> {
    let started = Instant::now();
    let watch = Watch::new(observer);
    let Prepared { data, scales } = prepare(series, params)?;
    let mut shape = resolve_window(&data, params)?;
    let fit_data = shape.pooled.as_ref().unwrap_or(&data);
    if let States::Auto { min, max } = shape.params.states() {
        // No more states than windows.
        let windows = Engine::new(
            fit_data.values(),
            fit_data.n_sensors(),
            shape.params.window_len(),
            1,
            fit_data.ranges(),
            shape.params.glasso(),
        )
        .n_windows();
        let max = max.min(windows).max(1);
        shape.params = shape.params.with_state_range(min.min(max), max)?;
    }
    check_shape(fit_data, &shape.params)?;
    let run = run(fit_data, &shape.params, watch)?;
    let mut fit = finish(series, &data, fit_data, params, &shape, scales, run)?;
    fit.diagnostics.seconds.total = started.elapsed().as_secs_f64();
    Ok(fit)
}

/// The window the fit runs with, and the pooled series when it pools.
struct Shape {
    /// The parameters with the window fixed.
    params: ValidFitParams,
    /// Rows per pooled row (1: none).
    pool: usize,
    /// The pooled series, when `pool > 1`.
    pooled: Option<Series>,
    /// How the window was chosen, when it was.
    choice: Option<WindowChoice>,
}

/// Fixes the window: as given, or chosen from the data (and then the series pooled when the
/// span it must cover is long). A chosen window is shortened to fit every recording, and the
/// pooling dropped when it would leave fewer windows than states.
fn resolve_window(data: &Series, params: &ValidFitParams) -> Result<Shape, FitError> {
    if params.window() != Window::Auto {
        return Ok(Shape {
            params: params.clone(),
            pool: 1,
            pooled: None,
            choice: None,
        });
    }
    let n = data.n_sensors();
    let ranges = data.ranges();
    let mut choice = window::choose(data.values(), n, &ranges);
    let shortest = ranges.iter().map(Range::len).min().unwrap_or(1);
    let fits = |pool: usize, w: usize| {
        let pooled: usize = ranges.iter().map(|r| r.len().div_ceil(pool)).sum();
        let windows = pooled + ranges.len() - ranges.len() * w;
        shortest.div_ceil(pool) >= w && windows >= params.n_states()
    };
    while choice.pool > 1 && !fits(choice.pool, choice.window) {
        choice.pool /= 2;
    }
    while choice.window > 1 && !fits(choice.pool, choice.window) {
        choice.window -= 1;
    }
    let pooled = (choice.pool > 1).then(|| {
        let (values, pr) = window::pool(data.values(), n, &ranges, choice.pool);
        let lengths = data
            .recordings()
            .iter()
            .zip(&pr)
            .map(|(r, p)| (r.name.clone(), p.len()))
            .collect();
        Series::from_recordings(values, n, Some(data.names().to_vec()), lengths)
    });
    Ok(Shape {
        params: params.with_window(choice.window)?,
        pool: choice.pool,
        pooled: pooled.transpose()?,
        choice: Some(choice),
    })
}

/// Checks the (pooled) data against the window and the number of states.
fn check_shape(data: &Series, params: &ValidFitParams) -> Result<(), FitError> {
    let w = params.window_len();
    for r in data.recordings() {
        if r.range.len() < w {
            return Err(FitError::Param(ParamError::new(
                "window",
                w,
                format!(
                    "must not exceed the length of every recording; {:?} has {} rows",
                    r.name,
                    r.range.len()
                ),
            )));
        }
    }
    let k = params.n_states();
    let engine = Engine::new(
        data.values(),
        data.n_sensors(),
        w,
        k,
        data.ranges(),
        params.glasso(),
    );
    let n_windows = engine.n_windows();
    if k > n_windows {
        // With a window longer than 1, the window is what leaves too few.
        let lengths: Vec<usize> = data.recordings().iter().map(|r| r.range.len()).collect();
        let windows =
            |v: usize| -> usize { lengths.iter().map(|&l| (l + 1).saturating_sub(v)).sum() };
        if w > 1 && windows(1) >= k {
            let fits = (1..w).rev().find(|&v| windows(v) >= k).unwrap_or(1);
            return Err(FitError::Param(ParamError::new(
                "window",
                w,
                format!(
                    "leaves {n_windows} full windows, fewer than the {k} states; the largest window that leaves {k} is {fits}"
                ),
            )));
        }
        return Err(FitError::Param(ParamError::new(
            "states",
            k,
            format!("must not exceed the number of windows ({n_windows})"),
        )));
    }
    Ok(())
}

/// What the fit runs on: the series, standardised when asked.
struct Prepared<'a> {
    data: Cow<'a, Series>,
    /// Per-sensor (mean, sd) of the standardisation, when there is one.
    scales: Option<Vec<(f64, f64)>>,
}

/// Standardises the data when asked and checks its magnitude.
fn prepare<'a>(series: &'a Series, params: &ValidFitParams) -> Result<Prepared<'a>, FitError> {
    let scales = params.standardize().then(|| series.column_scales());
    let data = match &scales {
        Some(s) => Cow::Owned(series.standardized(s)),
        None => Cow::Borrowed(series),
    };
    if data.max_abs() > MAX_ABS_VALUE {
        return Err(FitError::Data(format!(
            "values reach {:e}: squares would overflow (keep |x| below {MAX_ABS_VALUE:e}; rescale the sensors or use --standardize)",
            data.max_abs()
        )));
    }
    Ok(Prepared { data, scales })
}

/// What [`run`] produced, before it becomes a [`Fit`].
struct Run {
    beta: f64,
    outcome: PhaseOutcome,
    phase1_assignment: Vec<usize>,
    phase1_converged: bool,
    phase2_converged: Option<bool>,
    diagnostics: FitDiagnostics,
}

/// The fit on prepared data. On a long series the search (initialisation, screening, the
/// beta estimate, phase 1 and split-and-merge) runs on a sketch and phase 1 then continues on
/// all the data from the sketch's models:
///
/// 1. initial clusterings, screened by a few rough EM iterations at the first beta;
/// 2. with an estimated beta, pilot phases that each continue from the last one with the beta
///    its assignment implies, until the estimate settles (no new initialisation per pilot);
/// 3. phase 1 at the final beta from there, then split-and-merge;
/// 4. on a long series, the whole series labelled with the sketch's models and phase 1 on it;
/// 5. phase 2 (motifs).
///
/// The M-steps are loose while the fit searches and exact at its fixed point: the last phase
/// that runs converges a second time with exact M-steps.
fn run(data: &Series, params: &ValidFitParams, watch: Watch<'_>) -> Result<Run, FitError> {
    let started = Instant::now();
    let k = params.n_states();
    let n = data.n_sensors();
    let mut engine = Engine::new(
        data.values(),
        n,
        params.window_len(),
        k,
        data.ranges(),
        params.glasso(),
    );
    engine.stationary_mean = params.mean() == StateMean::Stationary;
    engine.conditional = params.costs() == Costs::Conditional;
    let t_total = data.n_steps();
    let sketched = sketch::pieces(
        &engine.ranges,
        t_total,
        engine.w,
        SCREEN_STEPS,
        SKETCH_BLOCKS,
    )
    .map(|p| sketch::gather(engine.x, n, &p));
    let sketch_engine = sketched
        .as_ref()
        .map(|(x, r)| engine.with_data(x, r.clone()))
        .filter(|e| e.n_windows() >= k);
    let coarse = sketch_engine.as_ref().unwrap_or(&engine);
    let is_whole = sketch_engine.is_none();
    let mut iterations = Vec::new();
    // Iterations on the sketch are not the fit's: they are logged on the whole series only.
    let mut sketch_log = Vec::new();
    let coarse_watch = if is_whole { watch } else { watch.quiet() };
    let max_iters = params.max_iters();

    // 1. Initialisation and screening, at the first beta.
    watch.stage(Stage::Init);
    let (candidates, mut init) = {
        let _g = tracing::info_span!("init").entered();
        initial_candidates(coarse, params)
    };
    let init_seconds = started.elapsed().as_secs_f64();
    let p1_start = Instant::now();
    let first_beta = params.beta().value();
    let rng = ChaCha8Rng::seed_from_u64(params.seed() ^ 0x5eed_e3f1_7a11_0c2b);
    let screen_spec = PhaseSpec::ticc(max_iters, first_beta)
        .at(Accuracy::Rough)
        .labelled("screening");
    // With an estimated beta the candidates are screened again at the final beta: their first
    // M-step, of the same assignments, is kept from this screening.
    let first_spec = match params.beta() {
        Beta::Fixed(_) => screen_spec,
        Beta::Estimated { .. } => screen_spec.keeping_first(),
    };
    let (mut current, screen_log, first_fits) = screen(
        coarse,
        candidates.clone(),
        Vec::new(),
        first_spec,
        rng.clone(),
        &mut init,
        watch,
    )?;
    if is_whole {
        for it in &screen_log {
            watch.iteration(it);
        }
        iterations.extend(screen_log);
    }

    // 2. The beta estimate: pilot phases on the coarse series.
    let mut coarse_costs = vec![0.0; coarse.full.len() * k];
    let mut cycled = false;
    let (beta, estimates, beta_seconds) = match params.beta() {
        Beta::Fixed(b) => (b, Vec::new(), None),
        Beta::Estimated { start } => {
            let t0 = Instant::now();
            let mut beta = start;
            let mut estimates = Vec::new();
            // The penalties the pilots ran at, in order.
            let mut used = Vec::new();
            for round in 0..AUTO_BETA_ROUNDS {
                if round > 0 || !current.converged {
                    watch.stage(Stage::BetaEstimate { round, beta });
                    let spec = PhaseSpec::ticc(max_iters, beta)
                        .at(Accuracy::Rough)
                        .labelled("beta pilot");
                    let log = if is_whole {
                        &mut iterations
                    } else {
                        &mut sketch_log
                    };
                    current = phase::run(
                        coarse,
                        spec,
                        current.into_start(),
                        &mut coarse_costs,
                        log,
                        coarse_watch,
                    )?;
                }
                let Some(next) = beta_estimate(coarse.x, n, &coarse.ranges, &current.assignment, k)
                else {
                    estimates.push(beta);
                    break;
                };
                estimates.push(next);
                let settled = (next - beta).abs() <= SETTLED * beta.max(f64::MIN_POSITIVE);
                used.push(beta);
                beta = next;
                if settled {
                    break;
                }
                if let Some(mean) = beta_cycle(&used, next) {
                    // Viterbi training can alternate between two segmentations (each one's
                    // rate implies the other's penalty): stop between them.
                    tracing::warn!(?estimates, beta = mean, "the beta estimate cycles");
                    beta = mean;
                    estimates.push(mean);
                    cycled = true;
                    break;
                }
            }
            (beta, estimates, Some(t0.elapsed().as_secs_f64()))
        }
    };
    if beta_seconds.is_some() {
        // The screening ran at the first beta: screen the initialisations again at the final
        // one, beside the pilots' result, so that the start does not depend on where the
        // estimate began.
        let mut again = candidates;
        again.push(("beta-pilot".into(), current.assignment.clone()));
        let spec = PhaseSpec::ticc(max_iters, beta)
            .at(Accuracy::Rough)
            .labelled("screening");
        init.candidates.clear();
        let (winner, log, _) = screen(coarse, again, first_fits, spec, rng, &mut init, watch)?;
        current = winner;
        if is_whole {
            for it in &log {
                watch.iteration(it);
            }
            iterations.extend(log);
        }
    }
    let p1_before_beta = p1_start.elapsed().as_secs_f64() - beta_seconds.unwrap_or(0.0);

    // 3. Phase 1 at the final beta, then split and merge.
    let last_coarse = is_whole && !params.motifs();
    let spec = PhaseSpec::ticc(max_iters, beta);
    watch.stage(Stage::Phase1);
    let p1_main = Instant::now();
    // The user's cap covers the screening and this phase (the pilots have their own).
    let mut s = spec.capped(max_iters.saturating_sub(SCREEN_ITERS.min(max_iters)).max(1));
    if last_coarse && !params.split_merge() {
        s = s.exact_at_the_end();
    }
    let log = if is_whole {
        &mut iterations
    } else {
        &mut sketch_log
    };
    current = phase::run(
        coarse,
        s,
        current.into_start(),
        &mut coarse_costs,
        log,
        coarse_watch,
    )?;
    let mut phase1_seconds = p1_before_beta + p1_main.elapsed().as_secs_f64();

    // 3b. The number of states, when it is chosen: merged down from the most allowed.
    let mut states_trials = Vec::new();
    let (engine, sketch_engine, k) = match params.states() {
        States::Fixed(_) => (engine, sketch_engine, k),
        States::Auto { min, .. } => {
            watch.stage(Stage::States);
            let (chosen, outcome, trials) = states::choose(coarse, current, spec, min, watch)?;
            current = outcome;
            states_trials = trials;
            let engine = engine.with_states(chosen);
            let sketch_engine = sketch_engine.map(|e| e.with_states(chosen));
            (engine, sketch_engine, chosen)
        }
    };
    let coarse = sketch_engine.as_ref().unwrap_or(&engine);
    let params = &params.with_states(k)?;
    let mut coarse_costs = vec![0.0; coarse.full.len() * k];
    let mut split_merge_trials = Vec::new();
    let sm_start = Instant::now();
    if params.split_merge() {
        current = split_merge::refine(
            coarse,
            current,
            spec,
            params.seed(),
            &mut split_merge_trials,
            watch,
        )?;
        if last_coarse {
            // The fixed point of the refined result, with exact M-steps.
            let s = spec.at(Accuracy::Exact).labelled("phase 1");
            current = phase::run(
                coarse,
                s,
                current.into_start(),
                &mut coarse_costs,
                &mut iterations,
                watch,
            )?;
        }
    }
    let split_merge_seconds = params
        .split_merge()
        .then(|| sm_start.elapsed().as_secs_f64());
    drop(coarse_costs);

    // 4. The whole of a long series.
    let mut costs = vec![0.0; t_total * k];
    if !is_whole {
        // Label the whole series with the coarse models, then phase 1 on all of it from there.
        // Started from initial labels instead, EM on a long series moves little per iteration
        // and keeps the first local optimum it falls into.
        watch.stage(Stage::Phase1Full);
        let t0 = Instant::now();
        let scorers = engine.scorers(&current.fits)?;
        engine.costs(&scorers, &mut costs);
        let start = Start {
            assignment: assign::plain_assignment(&costs, k, &engine.ranges, beta),
            fits: Some(current.fits),
            rng: current.rng,
        };
        let mut s = spec.labelled("phase 1 (whole series)");
        if !params.motifs() {
            s = s.exact_at_the_end();
        }
        current = phase::run(&engine, s, start, &mut costs, &mut iterations, watch)?;
        phase1_seconds += t0.elapsed().as_secs_f64();
    }
    let phase1_assignment = current.assignment.clone();
    let phase1_converged = current.converged;

    // 5. Phase 2.
    let p2_start = Instant::now();
    let (outcome, phase2_converged) = if params.motifs() {
        watch.stage(Stage::Phase2);
        let motif = params.motif(beta)?;
        let spec = PhaseSpec::motifs(params.motif_iters(), beta, &motif).exact_at_the_end();
        let out = phase::run(
            &engine,
            spec,
            current.into_start(),
            &mut costs,
            &mut iterations,
            watch,
        )?;
        let c = out.converged;
        (out, Some(c))
    } else {
        (current, None)
    };
    let phase2_seconds = params.motifs().then(|| p2_start.elapsed().as_secs_f64());
    Ok(Run {
        beta,
        outcome,
        phase1_assignment,
        phase1_converged,
        phase2_converged,
        diagnostics: FitDiagnostics {
            states: states_trials,
            window: None,
            init,
            iterations,
            beta_estimates: estimates,
            beta_cycle: cycled,
            split_merge: split_merge_trials,
            phase1_converged,
            phase2_converged,
            seconds: Timing {
                beta: beta_seconds,
                init: init_seconds,
                phase1: phase1_seconds,
                split_merge: split_merge_seconds,
                phase2: phase2_seconds,
                total: started.elapsed().as_secs_f64(),
            },
        },
    })
}

/// When the next estimate of `beta` returns (within [`SETTLED`]) to a penalty a pilot ran at
/// before the last one, the estimate cycles: the geometric mean of the penalties in the cycle
/// (from that one to the last), which lies between them. `used` holds the pilots' penalties
/// in order.
fn beta_cycle(used: &[f64], next: f64) -> Option<f64> {
    let last = used.len().checked_sub(1)?;
    let j = used[..last]
        .iter()
        .rposition(|&b| (next - b).abs() <= SETTLED * b.max(f64::MIN_POSITIVE))?;
    let cycle = &used[j..];
    let log_mean = cycle
        .iter()
        .map(|b| b.max(f64::MIN_POSITIVE).ln())
        .sum::<f64>()
        / cycle.len() as f64;
    Some(log_mean.exp())
}

/// Screening: a few EM iterations from every candidate initialisation, in parallel, each with
/// its own cost buffer; the one with the lowest objective goes on. The objective is what the
/// EM minimises, so this picks the start that leads furthest down, whatever kind of data it
/// is. Returns the winner's outcome and iterations, and records every candidate in `init`.
/// Candidate `i` starts from `starts[i]` when given: the first fits of an earlier screening
/// of the same assignment (kept as they are, so its first M-step is not solved again). With
/// `spec.keep_first`, also returns every candidate's first fits.
#[allow(clippy::type_complexity)]
fn screen(
    coarse: &Engine<'_>,
    candidates: Vec<(String, Vec<usize>)>,
    mut starts: Vec<Option<Vec<StateFit>>>,
    spec: PhaseSpec<'_>,
    rng: ChaCha8Rng,
    init: &mut InitDiagnostics,
    watch: Watch<'_>,
) -> Result<
    (
        PhaseOutcome,
        Vec<IterationDiagnostics>,
        Vec<Option<Vec<StateFit>>>,
    ),
    FitError,
> {
    watch.stage(Stage::Screening {
        candidates: candidates.len(),
    });
    let spec = spec.capped(SCREEN_ITERS.min(spec.max_iters));
    let len = coarse.full.len() * coarse.k;
    starts.resize(candidates.len(), None);
    let screened: Vec<Result<(PhaseOutcome, Vec<IterationDiagnostics>), FitError>> = candidates
        .par_iter()
        .zip(starts)
        .map(|((_, assignment), fits)| {
            let mut log = Vec::new();
            let mut buf = vec![0.0; len];
            let start = Start {
                assignment: assignment.clone(),
                fits,
                rng: rng.clone(),
            };
            let out = phase::run(coarse, spec, start, &mut buf, &mut log, watch.quiet())?;
            Ok((out, log))
        })
        .collect();
    let mut best: Option<(usize, PhaseOutcome, Vec<IterationDiagnostics>)> = None;
    let mut firsts = Vec::with_capacity(candidates.len());
    for (i, ((name, _), result)) in candidates.into_iter().zip(screened).enumerate() {
        let (mut out, log) = result?;
        firsts.push(out.first_fits.take());
        tracing::info!(candidate = %name, objective = out.objective, "screened initialisation");
        init.candidates.push((name, out.objective));
        if best.as_ref().is_none_or(|b| out.objective < b.1.objective) {
            best = Some((i, out, log));
        }
    }
    let (winner, out, log) =
        best.ok_or_else(|| FitError::Data("no initialisation to screen".into()))?;
    init.chosen = init.candidates[winner].0.clone();
    Ok((out, log, firsts))
}

/// The initial assignments screened by the fit, named: a pointwise Gaussian mixture and k-means
/// on local moments at each of [`LOCAL_HALF_WIDTHS`], computed on the full windows of `engine`'s
/// series (a tail timestep takes its recording's last window label).
fn initial_candidates(
    engine: &Engine<'_>,
    params: &ValidFitParams,
) -> (Vec<(String, Vec<usize>)>, InitDiagnostics) {
    let (k, n, w) = (engine.k, engine.n, engine.w);
    let t_total = engine.full.len();
    let starts: Vec<usize> = (0..t_total).filter(|&t| engine.full[t]).collect();
    let points = Points {
        x: engine.x,
        n,
        d: engine.d,
        starts: starts.clone(),
    };
    let mut candidates: Vec<(String, Vec<usize>)> = Vec::new();
    let (labels, diag) = initial_labels(&points, k, params.init_restarts(), params.seed());
    candidates.push(("gmm".into(), labels));
    tracing::info!("gmm initialisation done");
    let moments = LocalMoments::new(engine.x, n, w, &engine.ranges);
    let local: Vec<(String, Vec<usize>)> = LOCAL_HALF_WIDTHS
        .par_iter()
        .map(|&h| {
            let (feats, f) = moments.features(&engine.ranges, &starts, h);
            let restarts = params.init_restarts().div_ceil(2);
            let labels = kmeans_labels(&feats, f, k, restarts, params.seed());
            (format!("local-moments-{h}"), labels)
        })
        .collect();
    candidates.extend(local);
    let candidates = candidates
        .into_iter()
        .map(|(name, labels)| {
            // A window's label goes to the timestep that owns it (its first, or with
            // conditional costs its last); the w - 1 others of each recording take their
            // nearest window's label.
            let mut assignment = vec![0usize; t_total];
            let shift = if engine.conditional { w - 1 } else { 0 };
            for (&t, &l) in starts.iter().zip(&labels) {
                assignment[t + shift] = l;
            }
            for r in &engine.ranges {
                if engine.conditional {
                    let first = assignment[r.start + w - 1];
                    for a in &mut assignment[r.start..r.start + w - 1] {
                        *a = first;
                    }
                } else {
                    let last = assignment[r.end - w];
                    for a in &mut assignment[r.end + 1 - w..r.end] {
                        *a = last;
                    }
                }
            }
            (name, assignment)
        })
        .collect();
    (candidates, diag)
}

/// The [`Fit`] of a run: the model (with the scales the data was standardised with), the BIC
/// (§8) with the final assignment's empirical covariances and the final precisions, the counts.
fn finish(
    series: &Series,
    unpooled: &Series,
    data: &Series,
    given: &ValidFitParams,
    shape: &Shape,
    scales: Option<Vec<(f64, f64)>>,
    run: Run,
) -> Result<Fit, FitError> {
    let params = &shape.params;
    let beta = run.beta;
    // The number of states the fit ended with (chosen from the data or given).
    let k = run.outcome.fits.len();
    let w = params.window_len();
    let n = data.n_sensors();
    let mut engine = Engine::new(data.values(), n, w, k, data.ranges(), params.glasso());
    engine.stationary_mean = params.mean() == StateMean::Stationary;
    engine.conditional = params.costs() == Costs::Conditional;
    let outcome = run.outcome;
    let bic = crate::criteria::bic(&engine, &outcome.assignment, &outcome.fits)?;
    let d = engine.d;
    let states = outcome
        .fits
        .iter()
        .map(|f| StateModel {
            mean: f.mean.clone(),
            precision: (0..d * d).map(|i| f.precision[(i / d, i % d)]).collect(),
        })
        .collect();
    let model = Model {
        params: given.clone(),
        n_sensors: n,
        window: w,
        pool: shape.pool,
        beta,
        sensor_names: series.names().to_vec(),
        scales,
        states,
        motifs: outcome.motifs.clone(),
    };
    // Pooled labels go back to every row of their block.
    let (assignment, phase1_assignment, motifs) = if shape.pool > 1 {
        let (ranges, pooled) = (unpooled.ranges(), data.ranges());
        let s = shape.pool;
        (
            window::expand(&outcome.assignment, &ranges, &pooled, s),
            window::expand(&run.phase1_assignment, &ranges, &pooled, s),
            crate::model::expand_motifs(&outcome.motifs, &ranges, &pooled, s),
        )
    } else {
        (outcome.assignment, run.phase1_assignment, outcome.motifs)
    };
    Ok(Fit {
        model,
        state_counts: assign::counts(&assignment, k),
        assignment,
        phase1_assignment,
        motifs,
        bic,
        diagnostics: FitDiagnostics {
            phase1_converged: run.phase1_converged,
            phase2_converged: run.phase2_converged,
            window: shape.choice.clone(),
            ..run.diagnostics
        },
    })
}

#[cfg(test)]
mod tests {
    use super::beta_cycle;

    #[test]
    fn a_two_cycle_stops_at_the_geometric_mean_of_its_values() {
        // The sequence issue 11 reported at window 3: 160.6 -> 113.8 -> 142.6 -> 113.8 -> ...
        // After the pilots at 25 (start), 160.6, 113.8 and 142.6, the next estimate 113.8
        // returns to a penalty used two pilots earlier.
        let used = [25.0, 160.6, 113.8, 142.6];
        let mean = beta_cycle(&used, 113.8).unwrap();
        assert!((mean - (113.8f64 * 142.6).sqrt()).abs() < 1e-9, "{mean}");
        // Within 5% counts as a return; a value that only moves on does not.
        assert!(beta_cycle(&used, 116.0).is_some());
        assert!(beta_cycle(&used, 90.0).is_none());
    }

    #[test]
    fn returning_to_the_last_penalty_is_settling_not_a_cycle() {
        // The settled test handles the last penalty; a single pilot cannot cycle.
        assert!(beta_cycle(&[25.0], 25.0).is_none());
        assert!(beta_cycle(&[], 25.0).is_none());
        // A three-cycle is caught when it closes, with all three values in the mean.
        let used = [25.0, 40.0, 60.0, 90.0];
        let mean = beta_cycle(&used, 41.0).unwrap();
        assert!(
            (mean - (40.0f64 * 60.0 * 90.0).cbrt()).abs() < 1e-9,
            "{mean}"
        );
    }
}
