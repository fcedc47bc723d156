//! The whole fit, top of the crate: prepare the data, estimate `beta` (pilot fits), initialise
//! and screen, phase 1, split-and-merge, phase 1 on all of a long series, phase 2, and the
//! model with its criterion. Each step is one function below; data flows one way through them.

use std::borrow::Cow;
use std::time::Instant;

use casc_motif::Motif;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::assign;
use crate::beta::{AUTO_BETA_ROUNDS, SETTLED, beta_estimate};
use crate::diagnostics::{FitDiagnostics, InitDiagnostics, IterationDiagnostics, Timing};
use crate::engine::Engine;
use crate::error::{FitError, ParamError};
use crate::init::{LocalMoments, Points, initial_labels, kmeans_labels};
use crate::model::{Model, StateModel};
use crate::observer::{FitObserver, NoObserver, Stage, Watch};
use crate::params::{Beta, ValidFitParams};
use crate::phase::{self, PhaseOutcome, PhaseSpec, Start};
use crate::series::Series;
use crate::sketch::{self, SCREEN_STEPS, SKETCH_BLOCKS};
use crate::split_merge;

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
    let (beta, estimates, beta_seconds) = match params.beta() {
        Beta::Fixed(b) => (b, Vec::new(), None),
        Beta::Estimated { start } => {
            let t0 = Instant::now();
            let estimates = estimate_beta(&data, params, start, watch)?;
            let beta = *estimates.last().unwrap_or(&start);
            (beta, estimates, Some(t0.elapsed().as_secs_f64()))
        }
    };
    let steps = Steps {
        split_merge: params.split_merge(),
        motifs: params.motifs(),
    };
    let run = run_at(&data, params, beta, steps, watch)?;
    let mut fit = finish(series, &data, params, beta, scales, run)?;
    fit.diagnostics.beta_estimates = estimates;
    fit.diagnostics.seconds.beta = beta_seconds;
    fit.diagnostics.seconds.total = started.elapsed().as_secs_f64();
    Ok(fit)
}

/// What the fit runs on: the series, standardised when asked.
struct Prepared<'a> {
    data: Cow<'a, Series>,
    /// Per-sensor (mean, sd) of the standardisation, when there is one.
    scales: Option<Vec<(f64, f64)>>,
}

/// Checks the data against the parameters and prepares it.
fn prepare<'a>(series: &'a Series, params: &ValidFitParams) -> Result<Prepared<'a>, FitError> {
    let w = params.window();
    for r in series.recordings() {
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
        return Err(FitError::Param(ParamError::new(
            "states",
            k,
            format!("must not exceed the number of windows ({n_windows})"),
        )));
    }
    Ok(Prepared { data, scales })
}

/// The successive estimates of `beta` from `start`; the last one is the one to use. Runs
/// plain TICC fits (no split-and-merge, no motif phase: the switching rate and the residuals
/// need a reasonable segmentation, not the best one) on the series, or its sketch when long.
fn estimate_beta(
    data: &Series,
    params: &ValidFitParams,
    start: f64,
    watch: Watch<'_>,
) -> Result<Vec<f64>, FitError> {
    let n = data.n_sensors();
    let ranges = data.ranges();
    let pilot = match sketch::pieces(
        &ranges,
        data.n_steps(),
        params.window(),
        SCREEN_STEPS,
        SKETCH_BLOCKS,
    ) {
        None => Cow::Borrowed(data),
        Some(pieces) => {
            let (values, pr) = sketch::gather(data.values(), n, &pieces);
            let lengths = pr
                .iter()
                .enumerate()
                .map(|(i, r)| (format!("sketch-{i}"), r.len()))
                .collect();
            Cow::Owned(Series::from_recordings(
                values,
                n,
                Some(data.names().to_vec()),
                lengths,
            )?)
        }
    };
    let k = params.n_states();
    let plain = Steps {
        split_merge: false,
        motifs: false,
    };
    let mut beta = start;
    let mut estimates = Vec::new();
    for round in 0..AUTO_BETA_ROUNDS {
        watch.stage(Stage::BetaEstimate { round, beta });
        let run = run_at(&pilot, params, beta, plain, watch.quiet())?;
        let Some(next) = beta_estimate(
            pilot.values(),
            n,
            &pilot.ranges(),
            &run.outcome.assignment,
            k,
        ) else {
            estimates.push(beta);
            break;
        };
        estimates.push(next);
        let settled = (next - beta).abs() <= SETTLED * beta.max(f64::MIN_POSITIVE);
        beta = next;
        if settled {
            break;
        }
    }
    Ok(estimates)
}

/// Which optional steps a run takes.
#[derive(Clone, Copy)]
struct Steps {
    split_merge: bool,
    motifs: bool,
}

/// What [`run_at`] produced, before it becomes a [`Fit`].
struct Run {
    outcome: PhaseOutcome,
    phase1_assignment: Vec<usize>,
    phase1_converged: bool,
    phase2_converged: Option<bool>,
    diagnostics: FitDiagnostics,
}

/// The fit at a given `beta` on prepared data: initialise and screen, phase 1 and
/// split-and-merge (on the sketch of a long series), phase 1 on all of it, phase 2.
fn run_at(
    data: &Series,
    params: &ValidFitParams,
    beta: f64,
    steps: Steps,
    watch: Watch<'_>,
) -> Result<Run, FitError> {
    let started = Instant::now();
    let k = params.n_states();
    let n = data.n_sensors();
    let engine = Engine::new(
        data.values(),
        n,
        params.window(),
        k,
        data.ranges(),
        params.glasso(),
    );
    let t_total = data.n_steps();
    // On a long series, initialisation, screening and the search for a good phase-1 optimum
    // run on a sketch of it; phase 1 then continues on all the data from the sketch's models.
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

    watch.stage(Stage::Init);
    let (candidates, mut init) = {
        let _g = tracing::info_span!("init").entered();
        initial_candidates(coarse, params)
    };
    let init_seconds = started.elapsed().as_secs_f64();

    let p1_start = Instant::now();
    let spec = PhaseSpec::ticc(params.max_iters(), beta);
    let rng = ChaCha8Rng::seed_from_u64(params.seed() ^ 0x5eed_e3f1_7a11_0c2b);
    let (screened, screen_log) = screen(coarse, candidates, spec, rng, &mut init, watch)?;
    let mut iterations = Vec::new();
    if is_whole {
        for it in &screen_log {
            watch.iteration(it);
        }
        iterations.extend(screen_log);
    }
    // Phase 1 on the coarse series (the whole series when it is short): the screened winner
    // goes on to convergence, then split and merge. Its iterations are logged when the coarse
    // series is the whole series.
    watch.stage(Stage::Phase1);
    let screen = SCREEN_ITERS.min(params.max_iters());
    let mut coarse_costs = vec![0.0; coarse.full.len() * k];
    let mut coarse_log = Vec::new();
    let log = if is_whole {
        &mut iterations
    } else {
        &mut coarse_log
    };
    let coarse_watch = if is_whole { watch } else { watch.quiet() };
    let mut phase1 = if screened.converged || params.max_iters() == screen {
        screened
    } else {
        let spec = spec.capped(params.max_iters() - screen);
        phase::run(
            coarse,
            spec,
            screened.into_start(),
            &mut coarse_costs,
            log,
            coarse_watch,
        )?
    };
    let mut phase1_seconds = p1_start.elapsed().as_secs_f64();
    let mut split_merge_trials = Vec::new();
    let sm_start = Instant::now();
    if steps.split_merge {
        phase1 = split_merge::refine(
            coarse,
            phase1,
            spec,
            params.seed(),
            &mut split_merge_trials,
            watch,
        )?;
    }
    let split_merge_seconds = steps.split_merge.then(|| sm_start.elapsed().as_secs_f64());
    drop(coarse_costs);

    let mut costs = vec![0.0; t_total * k];
    if !is_whole {
        // Label the whole series with the coarse models, then phase 1 on all of it from there.
        // Started from initial labels instead, EM on a long series moves little per iteration
        // and keeps the first local optimum it falls into.
        watch.stage(Stage::Phase1Full);
        let t0 = Instant::now();
        let scorers = engine.scorers(&phase1.fits)?;
        engine.costs(&scorers, &mut costs);
        let start = Start {
            assignment: assign::plain_assignment(&costs, k, &engine.ranges, beta),
            fits: Some(phase1.fits),
            rng: phase1.rng,
        };
        phase1 = phase::run(&engine, spec, start, &mut costs, &mut iterations, watch)?;
        phase1_seconds += t0.elapsed().as_secs_f64();
    }
    let phase1_assignment = phase1.assignment.clone();
    let phase1_converged = phase1.converged;

    let p2_start = Instant::now();
    let (outcome, phase2_converged) = if steps.motifs {
        watch.stage(Stage::Phase2);
        let motif = params.motif(beta)?;
        let spec = PhaseSpec::motifs(params.motif_iters(), beta, &motif);
        let out = phase::run(
            &engine,
            spec,
            phase1.into_start(),
            &mut costs,
            &mut iterations,
            watch,
        )?;
        let c = out.converged;
        (out, Some(c))
    } else {
        (phase1, None)
    };
    let phase2_seconds = steps.motifs.then(|| p2_start.elapsed().as_secs_f64());
    Ok(Run {
        outcome,
        phase1_assignment,
        phase1_converged,
        phase2_converged,
        diagnostics: FitDiagnostics {
            init,
            iterations,
            beta_estimates: Vec::new(),
            split_merge: split_merge_trials,
            phase1_converged,
            phase2_converged,
            seconds: Timing {
                beta: None,
                init: init_seconds,
                phase1: phase1_seconds,
                split_merge: split_merge_seconds,
                phase2: phase2_seconds,
                total: started.elapsed().as_secs_f64(),
            },
        },
    })
}

/// Screening: a few EM iterations from every candidate initialisation, in parallel, each with
/// its own cost buffer; the one with the lowest objective goes on. The objective is what the
/// EM minimises, so this picks the start that leads furthest down, whatever kind of data it
/// is. Returns the winner's outcome and iterations, and records every candidate in `init`.
fn screen(
    coarse: &Engine<'_>,
    candidates: Vec<(String, Vec<usize>)>,
    spec: PhaseSpec<'_>,
    rng: ChaCha8Rng,
    init: &mut InitDiagnostics,
    watch: Watch<'_>,
) -> Result<(PhaseOutcome, Vec<IterationDiagnostics>), FitError> {
    watch.stage(Stage::Screening {
        candidates: candidates.len(),
    });
    let spec = spec.capped(SCREEN_ITERS.min(spec.max_iters));
    let len = coarse.full.len() * coarse.k;
    let screened: Vec<Result<(PhaseOutcome, Vec<IterationDiagnostics>), FitError>> = candidates
        .par_iter()
        .map(|(_, assignment)| {
            let mut log = Vec::new();
            let mut buf = vec![0.0; len];
            let start = Start {
                assignment: assignment.clone(),
                fits: None,
                rng: rng.clone(),
            };
            let out = phase::run(coarse, spec, start, &mut buf, &mut log, watch.quiet())?;
            Ok((out, log))
        })
        .collect();
    let mut best: Option<(usize, PhaseOutcome, Vec<IterationDiagnostics>)> = None;
    for (i, ((name, _), result)) in candidates.into_iter().zip(screened).enumerate() {
        let (out, log) = result?;
        tracing::info!(candidate = %name, objective = out.objective, "screened initialisation");
        init.candidates.push((name, out.objective));
        if best.as_ref().is_none_or(|b| out.objective < b.1.objective) {
            best = Some((i, out, log));
        }
    }
    let (winner, out, log) =
        best.ok_or_else(|| FitError::Data("no initialisation to screen".into()))?;
    init.chosen = init.candidates[winner].0.clone();
    Ok((out, log))
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
    let moments = LocalMoments::new(engine.x, n);
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
            let mut assignment = vec![0usize; t_total];
            for (&t, &l) in starts.iter().zip(&labels) {
                assignment[t] = l;
            }
            for r in &engine.ranges {
                let last = assignment[r.end - w];
                for a in &mut assignment[r.end + 1 - w..r.end] {
                    *a = last;
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
    data: &Series,
    params: &ValidFitParams,
    beta: f64,
    scales: Option<Vec<(f64, f64)>>,
    run: Run,
) -> Result<Fit, FitError> {
    let k = params.n_states();
    let w = params.window();
    let n = data.n_sensors();
    let engine = Engine::new(data.values(), n, w, k, data.ranges(), params.glasso());
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
        params: params.clone(),
        n_sensors: n,
        window: w,
        beta,
        sensor_names: series.names().to_vec(),
        scales,
        states,
        motifs: outcome.motifs.clone(),
    };
    Ok(Fit {
        model,
        state_counts: assign::counts(&outcome.assignment, k),
        assignment: outcome.assignment,
        phase1_assignment: run.phase1_assignment,
        motifs: outcome.motifs,
        bic,
        diagnostics: FitDiagnostics {
            phase1_converged: run.phase1_converged,
            phase2_converged: run.phase2_converged,
            ..run.diagnostics
        },
    })
}
