//! The EM loop: M-step (graphical lasso per state), E-step (costs), assignment (Viterbi, or the
//! motif step in phase 2), empty-state re-seeding and the three-history convergence rule.

use std::collections::VecDeque;
use std::ops::Range;
use std::time::Instant;

use casc_glasso::{BlockShape, Par, WarmStart};
use casc_motif::Motif;
use casc_segment::StateScorer;
use faer::Mat;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::init::{InitDiagnostics, Points, initial_labels};
use crate::model::{Model, StateModel};
use crate::{Fit, FitDiagnostics, FitError, IterationDiagnostics, Series, Timing, ValidFitParams};

/// Timesteps moved into an empty state when it is re-seeded (ALGORITHM.md §6.3).
pub const RESEED_RUN: usize = 20;
/// Half-widths of the local-moment initialisations screened beside the pointwise mixture.
pub const LOCAL_HALF_WIDTHS: [usize; 3] = [1, 3, 7];
/// Timesteps of the sketch of a longer series on which initialisation, screening, the rest of
/// phase 1's search and split-and-merge run before phase 1 continues on all the data.
pub const SCREEN_STEPS: usize = 30_000;
/// Evenly spaced blocks the sketch is made of, so that every part of the series is in it.
pub const SKETCH_BLOCKS: usize = 30;
/// EM iterations each candidate initialisation runs before the best one is kept.
pub const SCREEN_ITERS: usize = 3;
/// Largest magnitude a (possibly standardised) value may have: its square must not overflow.
pub const MAX_ABS_VALUE: f64 = 1e150;
/// Relative ridge added to every empirical covariance before the graphical lasso, so that a
/// singular covariance (constant or duplicated sensor, a state with one window) still has a
/// bounded solution when `lambda = 0`; far below the data's resolution otherwise.
pub const COVARIANCE_RIDGE: f64 = 1e-8;

/// The costs of every timestep under every state, recording by recording (row-major `T x K`).
pub(crate) fn costs_for(series: &Series, scorers: &[StateScorer]) -> Vec<f64> {
    let mut costs = vec![0.0; series.n_steps() * scorers.len()];
    costs_into(
        series.values(),
        series.n_sensors(),
        &series.ranges(),
        scorers,
        &mut costs,
    );
    costs
}

/// Fills `out` (row-major `T x K`) with the costs of `x` (row-major `T x n`), recording by
/// recording, so that no window spans a boundary and each recording's tail gets its marginal.
fn costs_into(
    x: &[f64],
    n: usize,
    ranges: &[Range<usize>],
    scorers: &[StateScorer],
    out: &mut [f64],
) {
    let k = scorers.len();
    for r in ranges {
        casc_segment::cost_matrix_into(
            &x[r.start * n..r.end * n],
            n,
            scorers,
            &mut out[r.start * k..r.end * k],
        );
    }
}

/// Plain Viterbi assignment, recording by recording (no switching penalty across a boundary).
pub(crate) fn plain_assignment(
    costs: &[f64],
    k: usize,
    ranges: &[Range<usize>],
    beta: f64,
) -> Vec<usize> {
    let mut out = Vec::with_capacity(costs.len() / k.max(1));
    for r in ranges {
        out.extend(casc_segment::viterbi(&costs[r.start * k..r.end * k], k, beta).path);
    }
    out
}

/// The pieces (in the series' own timesteps) of a sketch of a series longer than `steps`:
/// `blocks` evenly spaced stretches of `steps / blocks` timesteps, cut at recording boundaries,
/// leaving out any piece shorter than the window `w`. `None` when the series is not longer.
pub(crate) fn sketch_pieces(
    ranges: &[Range<usize>],
    t_total: usize,
    w: usize,
    steps: usize,
    blocks: usize,
) -> Option<Vec<Range<usize>>> {
    if t_total <= steps {
        return None;
    }
    let len = steps / blocks;
    let mut pieces = Vec::new();
    for b in 0..blocks {
        let start = b * t_total / blocks;
        let end = (start + len).min(t_total);
        for r in ranges {
            let (s, e) = (r.start.max(start), r.end.min(end));
            if e >= s + w {
                pieces.push(s..e);
            }
        }
    }
    Some(pieces)
}

/// What one M-step produced for one state.
pub(crate) struct StateFit {
    pub(crate) mean: Vec<f64>,
    pub(crate) precision: Mat<f64>,
    pub(crate) warm: Option<WarmStart>,
    pub(crate) admm_iterations: usize,
    pub(crate) admm_converged: bool,
    pub(crate) theta_fallback: bool,
}

/// Empirical statistics of one state's windows.
#[derive(Clone)]
pub(crate) struct StateStats {
    pub(crate) count: usize,
    pub(crate) mean: Vec<f64>,
    pub(crate) cov: Mat<f64>,
}

pub(crate) struct Engine<'a> {
    pub(crate) x: &'a [f64],
    pub(crate) n: usize,
    pub(crate) w: usize,
    pub(crate) d: usize,
    pub(crate) k: usize,
    pub(crate) ranges: Vec<Range<usize>>,
    /// Whether timestep `t` starts a full window inside its recording.
    pub(crate) full: Vec<bool>,
    pub(crate) params: &'a ValidFitParams,
}

impl<'a> Engine<'a> {
    /// A sketch of a series longer than `steps`: `blocks` evenly spaced stretches of
    /// `steps / blocks` timesteps, cut at recording boundaries (a piece shorter than the window
    /// is left out); each piece is a recording of the sketch. Returns the sketch's values and
    /// recording ranges, or `None` when the series is not longer than `steps`.
    pub(crate) fn sketch(
        &self,
        steps: usize,
        blocks: usize,
    ) -> Option<(Vec<f64>, Vec<Range<usize>>)> {
        let pieces = sketch_pieces(&self.ranges, self.full.len(), self.w, steps, blocks)?;
        let mut x = Vec::with_capacity(steps * self.n);
        let mut ranges = Vec::with_capacity(pieces.len());
        for p in pieces {
            let at = x.len() / self.n;
            x.extend_from_slice(&self.x[p.start * self.n..p.end * self.n]);
            ranges.push(at..at + p.len());
        }
        Some((x, ranges))
    }

    /// An engine over `x` (row-major, `n` sensors) in recordings `ranges`, window `w`, `k`
    /// states; marks the timesteps that start a full window inside their recording.
    pub(crate) fn new(
        x: &'a [f64],
        n: usize,
        w: usize,
        k: usize,
        ranges: Vec<Range<usize>>,
        params: &'a ValidFitParams,
    ) -> Self {
        let mut full = vec![false; x.len() / n];
        for r in &ranges {
            for f in &mut full[r.start..r.end + 1 - w] {
                *f = true;
            }
        }
        Engine {
            x,
            n,
            w,
            d: n * w,
            k,
            ranges,
            full,
            params,
        }
    }

    /// The same model settings over other data (`x` row-major, recordings `ranges`).
    pub(crate) fn with_data<'b>(&self, x: &'b [f64], ranges: Vec<Range<usize>>) -> Engine<'b>
    where
        'a: 'b,
    {
        Engine::new(x, self.n, self.w, self.k, ranges, self.params)
    }

    pub(crate) fn n_windows(&self) -> usize {
        self.full.iter().filter(|f| **f).count()
    }

    pub(crate) fn window(&self, t: usize) -> &[f64] {
        &self.x[t * self.n..t * self.n + self.d]
    }

    pub(crate) fn stats(&self, assignment: &[usize]) -> Vec<Option<StateStats>> {
        let mut idx: Vec<Vec<usize>> = vec![Vec::new(); self.k];
        for (t, &s) in assignment.iter().enumerate() {
            if self.full[t] {
                idx[s].push(t);
            }
        }
        idx.par_iter()
            .map(|ts| {
                let (mean, cov) =
                    casc_glasso::mean_and_covariance(ts.iter().map(|&t| self.window(t)), self.d)?;
                Some(StateStats {
                    count: ts.len(),
                    mean,
                    cov,
                })
            })
            .collect()
    }

    /// Re-seeds every state without a window from donors (§6.3); returns the statistics to fit
    /// and the number of states re-seeded.
    fn reseed(
        &self,
        assignment: &mut [usize],
        rng: &mut ChaCha8Rng,
    ) -> (Vec<Option<StateStats>>, usize) {
        let stats = self.stats(assignment);
        let empty: Vec<usize> = (0..self.k).filter(|&s| stats[s].is_none()).collect();
        if empty.is_empty() {
            return (stats, 0);
        }
        let mut donors: Vec<(usize, f64)> = stats
            .iter()
            .enumerate()
            .filter_map(|(s, st)| st.as_ref().map(|st| (s, st.cov.norm_l2())))
            .collect();
        donors.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut overrides: Vec<Option<StateStats>> = vec![None; self.k];
        let mut reseeded = 0;
        let mut counts: Vec<usize> = stats
            .iter()
            .map(|s| s.as_ref().map_or(0, |s| s.count))
            .collect();
        for (i, &e) in empty.iter().enumerate() {
            // Round-robin over the donors, skipping any that cannot spare windows.
            for j in 0..donors.len() {
                let donor = donors[(i + j) % donors.len()].0;
                if counts[donor] < 2 {
                    continue;
                }
                let members: Vec<usize> = (0..assignment.len())
                    .filter(|&t| assignment[t] == donor && self.full[t])
                    .collect();
                if members.len() < 2 {
                    continue;
                }
                let start = members[rng.random_range(0..members.len())];
                let range = self
                    .ranges
                    .iter()
                    .find(|r| r.contains(&start))
                    .expect("covered");
                let end = (start + RESEED_RUN).min(range.end);
                // Move the run, except a window whose state would be left without any.
                let mut mean = vec![0.0; self.d];
                let mut m = 0usize;
                for (t, slot) in (start..end).zip(assignment[start..end].iter_mut()) {
                    let owner = *slot;
                    if self.full[t] {
                        if owner != e && counts[owner] <= 1 {
                            continue;
                        }
                        counts[owner] -= 1;
                        counts[e] += 1;
                        m += 1;
                        for (a, b) in mean.iter_mut().zip(self.window(t)) {
                            *a += b;
                        }
                    }
                    *slot = e;
                }
                if m == 0 {
                    continue;
                }
                mean.iter_mut().for_each(|v| *v /= m.max(1) as f64);
                let donor_cov = stats[donor]
                    .as_ref()
                    .expect("donor has windows")
                    .cov
                    .clone();
                overrides[e] = Some(StateStats {
                    count: m,
                    mean,
                    cov: donor_cov,
                });
                reseeded += 1;
                break;
            }
        }
        // Donors lost windows: recompute, then apply the overrides of the re-seeded states.
        let mut stats = self.stats(assignment);
        for (s, o) in overrides.into_iter().enumerate() {
            if o.is_some() {
                stats[s] = o;
            }
        }
        (stats, reseeded)
    }

    /// Fits every state with windows (in parallel, faer sequential inside); a state left without
    /// any keeps its previous fit, or copies the first fitted state if it never had one.
    fn m_step(
        &self,
        stats: &[Option<StateStats>],
        prev: &[Option<StateFit>],
    ) -> Result<Vec<StateFit>, FitError> {
        let shape = BlockShape::new(self.n, self.w);
        let fits: Vec<Result<Option<StateFit>, FitError>> = (0..self.k)
            .into_par_iter()
            .map(|s| {
                let Some(st) = &stats[s] else { return Ok(None) };
                let mut cov = st.cov.clone();
                let avg = (0..self.d).map(|i| cov[(i, i)]).sum::<f64>() / self.d as f64;
                let ridge = COVARIANCE_RIDGE
                    * if avg > 0.0 && avg.is_finite() {
                        avg
                    } else {
                        1.0
                    };
                for i in 0..self.d {
                    cov[(i, i)] += ridge;
                }
                let warm = prev
                    .get(s)
                    .and_then(|p| p.as_ref())
                    .and_then(|p| p.warm.as_ref());
                let sol =
                    casc_glasso::solve(cov.as_ref(), shape, self.params.glasso(), warm, Par::Seq)
                        .map_err(|e| {
                        FitError::Numerical(format!("graphical lasso for state {s}: {e}"))
                    })?;
                Ok(Some(StateFit {
                    mean: st.mean.clone(),
                    precision: sol.precision,
                    warm: Some(sol.warm),
                    admm_iterations: sol.diagnostics.iterations,
                    admm_converged: sol.diagnostics.converged,
                    theta_fallback: sol.diagnostics.used_theta_fallback,
                }))
            })
            .collect();
        let mut out: Vec<Option<StateFit>> = Vec::with_capacity(self.k);
        for f in fits {
            out.push(f?);
        }
        let first = out
            .iter()
            .flatten()
            .next()
            .map(|f| (f.mean.clone(), f.precision.clone()));
        Ok(out
            .into_iter()
            .enumerate()
            .map(|(s, f)| match f {
                Some(f) => f,
                None => {
                    let (mean, precision) = match prev.get(s).and_then(|p| p.as_ref()) {
                        Some(p) => (p.mean.clone(), p.precision.clone()),
                        None => first.clone().expect("at least one state has windows"),
                    };
                    StateFit {
                        mean,
                        precision,
                        warm: None,
                        admm_iterations: 0,
                        admm_converged: true,
                        theta_fallback: false,
                    }
                }
            })
            .collect())
    }

    pub(crate) fn scorers(&self, fits: &[StateFit]) -> Result<Vec<StateScorer>, FitError> {
        fits.iter()
            .enumerate()
            .map(|(s, f)| {
                StateScorer::new(&f.mean, f.precision.as_ref(), self.n, self.w)
                    .map_err(|e| FitError::Numerical(format!("state {s} cannot be scored: {e}")))
            })
            .collect()
    }

    pub(crate) fn costs(&self, scorers: &[StateScorer], out: &mut [f64]) {
        costs_into(self.x, self.n, &self.ranges, scorers, out);
    }
}

/// Where the loop ended.
pub(crate) struct PhaseOutcome {
    pub(crate) assignment: Vec<usize>,
    pub(crate) fits: Vec<StateFit>,
    pub(crate) motifs: Vec<Motif>,
    pub(crate) converged: bool,
    /// Objective (costs plus switching penalties) of `assignment` under `fits`.
    pub(crate) objective: f64,
    /// The rest of the re-seeding random stream, for a phase that continues this one.
    pub(crate) rng: ChaCha8Rng,
}

/// Fits the model to a series: initialisation, phase 1 (TICC) and, unless disabled, phase 2 (motifs).
/// With [`FitParams::auto_beta`](crate::FitParams::auto_beta), `beta` is estimated first.
pub fn fit(series: &Series, params: &ValidFitParams) -> Result<Fit, FitError> {
    if !params.auto_beta() {
        return fit_fixed(series, params);
    }
    let started = Instant::now();
    let estimates = crate::auto_beta::estimate(series, params)?;
    let beta_seconds = started.elapsed().as_secs_f64();
    let beta = *estimates.last().expect("at least one estimate");
    let chosen = params.raw().clone().beta(beta).auto_beta(true);
    let fixed = chosen.clone().auto_beta(false).check()?;
    let mut f = fit_fixed(series, &fixed)?;
    // The model records the beta it used, and that it was estimated.
    f.model.params = chosen;
    f.diagnostics.beta_estimates = estimates;
    f.diagnostics.seconds.beta = Some(beta_seconds);
    f.diagnostics.seconds.total = started.elapsed().as_secs_f64();
    Ok(f)
}

/// [`fit`] with `beta` as given.
pub(crate) fn fit_fixed(series: &Series, params: &ValidFitParams) -> Result<Fit, FitError> {
    let started = Instant::now();
    let k = params.n_states();
    let w = params.window();
    let n = series.n_sensors();
    for r in series.recordings() {
        if r.range.len() < w {
            return Err(FitError::Param(crate::ParamError::new(
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
    let prepared;
    let data = match &scales {
        Some(s) => {
            prepared = series.standardized(s);
            &prepared
        }
        None => series,
    };
    if data.max_abs() > MAX_ABS_VALUE {
        return Err(FitError::Data(format!(
            "values reach {:e}: squares would overflow (keep |x| below {MAX_ABS_VALUE:e}; rescale the sensors or use --standardize)",
            data.max_abs()
        )));
    }
    let ranges = data.ranges();
    let t_total = data.n_steps();
    let engine = Engine::new(data.values(), n, w, k, ranges.clone(), params);
    let n_windows = engine.n_windows();
    if k > n_windows {
        return Err(FitError::Param(crate::ParamError::new(
            "states",
            k,
            format!("must not exceed the number of windows ({n_windows})"),
        )));
    }

    // On a long series, initialisation, screening and the search for a good phase-1 optimum
    // run on a sketch of it; phase 1 then continues on all the data from the sketch's models.
    let sketch = engine.sketch(SCREEN_STEPS, SKETCH_BLOCKS);
    let sketch_engine = sketch
        .as_ref()
        .map(|(x, r)| engine.with_data(x, r.clone()))
        .filter(|e| e.n_windows() >= k);
    let coarse = sketch_engine.as_ref().unwrap_or(&engine);
    let span = tracing::info_span!("init");
    let init_guard = span.enter();
    let (candidates, mut init_diag) = initial_candidates(coarse);
    drop(init_guard);
    let init_seconds = started.elapsed().as_secs_f64();

    let mut iterations = Vec::new();
    let rng = ChaCha8Rng::seed_from_u64(params.seed() ^ 0x5eed_e3f1_7a11_0c2b);
    let mut costs = vec![0.0; t_total * k];

    // Screening: a few EM iterations from every candidate initialisation; the one with the lowest
    // objective goes on. The objective is what the EM minimises, so this picks the start that
    // leads furthest down, whatever kind of data it is.
    let p1_start = Instant::now();
    let screen = SCREEN_ITERS.min(params.max_iters());
    let screen_len = coarse.full.len();
    // Candidates are independent: screen them in parallel, each with its own cost buffer.
    let screened: Vec<Result<(PhaseOutcome, Vec<IterationDiagnostics>), FitError>> = candidates
        .par_iter()
        .map(|(_, assignment)| {
            let mut log = Vec::new();
            let mut buf = vec![0.0; screen_len * k];
            let out = run_phase(
                coarse,
                1,
                screen,
                assignment.clone(),
                None,
                rng.clone(),
                &mut buf,
                &mut log,
            )?;
            Ok((out, log))
        })
        .collect();
    let mut best: Option<(usize, PhaseOutcome, Vec<IterationDiagnostics>)> = None;
    for (i, ((name, _), result)) in candidates.into_iter().zip(screened).enumerate() {
        let (out, log) = result?;
        tracing::info!(candidate = %name, objective = out.objective, "screened initialisation");
        init_diag.candidates.push((name, out.objective));
        if best.as_ref().is_none_or(|b| out.objective < b.1.objective) {
            best = Some((i, out, log));
        }
    }
    let (winner, screened, log) = best.expect("at least one candidate");
    init_diag.chosen = init_diag.candidates[winner].0.clone();
    // Phase 1 on the coarse series (the whole series when it is short): the screened winner
    // goes on to convergence, then split and merge. Its iterations are logged when the coarse
    // series is the whole series.
    let is_whole = sketch_engine.is_none();
    let mut coarse_log = Vec::new();
    let mut buf = if is_whole {
        Vec::new()
    } else {
        vec![0.0; screen_len * k]
    };
    let coarse_costs: &mut [f64] = if is_whole { &mut costs } else { &mut buf };
    let log_to = if is_whole {
        iterations.extend(log);
        &mut iterations
    } else {
        &mut coarse_log
    };
    let mut phase1 = if screened.converged || params.max_iters() == screen {
        screened
    } else {
        run_phase(
            coarse,
            1,
            params.max_iters() - screen,
            screened.assignment,
            Some(screened.fits),
            screened.rng,
            coarse_costs,
            log_to,
        )?
    };
    let mut phase1_seconds = p1_start.elapsed().as_secs_f64();
    let mut split_merge_trials = Vec::new();
    let sm_start = Instant::now();
    if params.split_merge() {
        phase1 = crate::split_merge::refine(coarse, phase1, &mut split_merge_trials)?;
    }
    let split_merge_seconds = sm_start.elapsed().as_secs_f64();
    drop(buf);
    if !is_whole {
        // Label the whole series with the coarse models, then phase 1 on all of it from there.
        // Started from initial labels instead, EM on a long series moves little per iteration
        // and keeps the first local optimum it falls into.
        let t0 = Instant::now();
        let scorers = engine.scorers(&phase1.fits)?;
        engine.costs(&scorers, &mut costs);
        let labels = plain_assignment(&costs, k, &engine.ranges, params.beta());
        phase1 = run_phase(
            &engine,
            1,
            params.max_iters(),
            labels,
            Some(phase1.fits),
            phase1.rng,
            &mut costs,
            &mut iterations,
        )?;
        phase1_seconds += t0.elapsed().as_secs_f64();
    }
    let split_merge_seconds = params.split_merge().then_some(split_merge_seconds);
    let phase1_assignment = phase1.assignment.clone();
    let phase1_converged = phase1.converged;

    let p2_start = Instant::now();
    let (outcome, phase2_converged) = if params.motifs() {
        let out = run_phase(
            &engine,
            2,
            params.motif_iters(),
            phase1.assignment.clone(),
            Some(phase1.fits),
            phase1.rng,
            &mut costs,
            &mut iterations,
        )?;
        let c = out.converged;
        (out, Some(c))
    } else {
        (phase1, None)
    };
    let phase2_seconds = params.motifs().then(|| p2_start.elapsed().as_secs_f64());

    // BIC (§8) with the final assignment's empirical covariances and the final precisions.
    let stats = engine.stats(&outcome.assignment);
    let mut nonzeros = 0usize;
    let mut loglik = 0.0;
    let mut states = Vec::with_capacity(k);
    for (s, f) in outcome.fits.iter().enumerate() {
        let model = StateModel {
            mean: f.mean.clone(),
            precision: (0..engine.d * engine.d)
                .map(|i| f.precision[(i / engine.d, i % engine.d)])
                .collect(),
        };
        nonzeros += model.nonzeros();
        if let Some(st) = &stats[s] {
            let ld = casc_glasso::log_det_spd(f.precision.as_ref(), Par::Seq)
                .map_err(|e| FitError::Numerical(format!("state {s}: {e}")))?;
            let mut tr = 0.0;
            for i in 0..engine.d {
                for j in 0..engine.d {
                    tr += st.cov[(i, j)] * f.precision[(j, i)];
                }
            }
            loglik += ld - tr;
        }
        states.push(model);
    }
    let bic = nonzeros as f64 * (t_total as f64).ln() - 2.0 * loglik;
    let counts = {
        let mut c = vec![0usize; k];
        for &s in &outcome.assignment {
            c[s] += 1;
        }
        c
    };
    let model = Model {
        params: params.raw().clone(),
        n_sensors: n,
        window: w,
        beta: params.beta(),
        sensor_names: series.names().to_vec(),
        scales,
        states,
        motifs: outcome.motifs.clone(),
    };
    let total_seconds = started.elapsed().as_secs_f64();
    Ok(Fit {
        model,
        assignment: outcome.assignment,
        phase1_assignment,
        motifs: outcome.motifs,
        state_counts: counts,
        bic,
        diagnostics: FitDiagnostics {
            init: init_diag,
            iterations,
            split_merge: split_merge_trials,
            beta_estimates: Vec::new(),
            phase1_converged,
            phase2_converged,
            seconds: Timing {
                beta: None,
                init: init_seconds,
                phase1: phase1_seconds,
                split_merge: split_merge_seconds,
                phase2: phase2_seconds,
                total: total_seconds,
            },
        },
    })
}

/// The initial assignments screened by the fit, named: a pointwise Gaussian mixture and k-means
/// on local moments at each of [`LOCAL_HALF_WIDTHS`], computed on the full windows of `engine`'s
/// series (a tail timestep takes its recording's last window label).
fn initial_candidates(engine: &Engine<'_>) -> (Vec<(String, Vec<usize>)>, InitDiagnostics) {
    let params = engine.params;
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
    let moments = crate::init::LocalMoments::new(engine.x, n);
    let local: Vec<(String, Vec<usize>)> = LOCAL_HALF_WIDTHS
        .par_iter()
        .map(|&h| {
            let (feats, f) = moments.features(&engine.ranges, &starts, h);
            let restarts = params.init_restarts().div_ceil(2);
            let labels = crate::init::kmeans_labels(&feats, f, k, restarts, params.seed());
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

#[allow(clippy::too_many_arguments)]
pub(crate) fn run_phase(
    engine: &Engine<'_>,
    phase: u8,
    max_iters: usize,
    mut assignment: Vec<usize>,
    mut prev: Option<Vec<StateFit>>,
    mut rng: ChaCha8Rng,
    costs: &mut [f64],
    log: &mut Vec<IterationDiagnostics>,
) -> Result<PhaseOutcome, FitError> {
    let k = engine.k;
    let mut history: VecDeque<Vec<usize>> = VecDeque::with_capacity(2);
    let mut motifs = Vec::new();
    let mut converged = false;
    let mut objective = f64::INFINITY;
    for iter in 0..max_iters {
        let span = tracing::info_span!("em", phase, iter);
        let _g = span.enter();
        let t0 = Instant::now();
        let (stats, reseeded) = engine.reseed(&mut assignment, &mut rng);
        let prev_opt: Vec<Option<StateFit>> = match prev.take() {
            Some(v) => v.into_iter().map(Some).collect(),
            None => (0..k).map(|_| None).collect(),
        };
        let fits = engine.m_step(&stats, &prev_opt)?;
        let scorers = engine.scorers(&fits)?;
        engine.costs(&scorers, costs);
        let plain = plain_assignment(costs, k, &engine.ranges, engine.params.beta());
        let new = if phase == 2 {
            let step =
                casc_motif::motif_step(costs, k, &plain, &engine.ranges, engine.params.motif())
                    .map_err(|e| FitError::Numerical(format!("motif step: {e}")))?;
            motifs = step.motifs;
            step.assignment
        } else {
            plain
        };
        let changed = new.iter().zip(&assignment).filter(|(a, b)| a != b).count();
        objective = {
            let mut c = 0.0;
            for (t, &s) in new.iter().enumerate() {
                c += costs[t * k + s];
            }
            c + engine.params.beta() * switches(&new, &engine.ranges) as f64
        };
        log.push(IterationDiagnostics {
            phase,
            iteration: iter,
            changed_steps: changed,
            empty_states_reseeded: reseeded,
            admm_iterations: fits.iter().map(|f| f.admm_iterations).collect(),
            admm_all_converged: fits.iter().all(|f| f.admm_converged),
            theta_fallbacks: fits.iter().filter(|f| f.theta_fallback).count(),
            motifs: motifs.len(),
            objective,
            seconds: t0.elapsed().as_secs_f64(),
        });
        tracing::info!(phase, iter, changed, reseeded, objective, "iteration done");
        // Converged when the new assignment (before re-seeding) equals one of the previous three:
        // this iteration's input or the two before it (catches 2- and 3-cycles).
        converged = new == assignment || history.iter().any(|h| *h == new);
        if history.len() == 2 {
            history.pop_front();
        }
        history.push_back(std::mem::replace(&mut assignment, new));
        // These fits produced `assignment`: they are the result, and the next warm start.
        prev = Some(fits);
        if converged {
            break;
        }
    }
    Ok(PhaseOutcome {
        assignment,
        fits: prev.expect("at least one iteration ran"),
        motifs,
        converged,
        objective,
        rng,
    })
}

/// Number of state switches inside recordings.
fn switches(a: &[usize], ranges: &[Range<usize>]) -> usize {
    ranges
        .iter()
        .map(|r| a[r.clone()].windows(2).filter(|p| p[0] != p[1]).count())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FitParams;

    #[test]
    fn sketch_takes_evenly_spaced_blocks_cut_at_recordings() {
        // Two recordings of 50 and 70 steps, one sensor whose value is its timestep.
        let x: Vec<f64> = (0..120).map(f64::from).collect();
        let params = FitParams::new(2).window(2).check().unwrap();
        let engine = Engine::new(&x, 1, 2, 2, vec![0..50, 50..120], &params);
        assert!(
            engine.sketch(120, 4).is_none(),
            "not longer than the sketch"
        );
        // Four blocks of 10 steps at 0, 30, 60 and 90; none crosses the boundary at 50.
        let (sx, ranges) = engine.sketch(40, 4).unwrap();
        assert_eq!(ranges, vec![0..10, 10..20, 20..30, 30..40]);
        let starts: Vec<f64> = ranges.iter().map(|r| sx[r.start]).collect();
        assert_eq!(starts, vec![0.0, 30.0, 60.0, 90.0]);
        // Blocks of 15: the one at 30 crosses into the second recording at 44 and is cut there;
        // its one-step piece 44..45 is shorter than the window (w = 2) and dropped. With the
        // boundary at 40 instead, both pieces of that block are kept.
        let engine = Engine::new(&x, 1, 2, 2, vec![0..44, 44..120], &params);
        let (sx, ranges) = engine.sketch(60, 4).unwrap();
        let pieces: Vec<(f64, usize)> = ranges.iter().map(|r| (sx[r.start], r.len())).collect();
        assert_eq!(pieces, vec![(0.0, 15), (30.0, 14), (60.0, 15), (90.0, 15)]);
        let sub = engine.with_data(&sx, ranges);
        assert_eq!(sub.full.len(), 59);
        assert_eq!(sub.n_windows(), 59 - 4);
        let engine = Engine::new(&x, 1, 2, 2, vec![0..40, 40..120], &params);
        let (sx, ranges) = engine.sketch(60, 4).unwrap();
        let pieces: Vec<(f64, usize)> = ranges.iter().map(|r| (sx[r.start], r.len())).collect();
        assert_eq!(
            pieces,
            vec![(0.0, 15), (30.0, 10), (40.0, 5), (60.0, 15), (90.0, 15)]
        );
    }
}
