//! The EM engine: the windows of a series, each state's statistics, the M-step (a graphical
//! lasso per state, warm-started), the costs of the E-step, and the re-seeding of empty
//! states (docs/method.md sections 3, 4 and 6.2). One iteration's pieces; the loop is in
//! [`phase`](crate::phase).

use std::ops::Range;

use casc_glasso::{BlockShape, Par, ValidGlassoParams, WarmStart};
use casc_segment::StateScorer;
use faer::Mat;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::assign;
use crate::error::FitError;

/// Timesteps moved into an empty state when it is re-seeded (docs/method.md section 6.2).
pub const RESEED_RUN: usize = 20;
/// Relative ridge added to every empirical covariance before the graphical lasso, so that a
/// singular covariance (constant or duplicated sensor, a state with one window) still has a
/// bounded solution when `lambda = 0`; far below the data's resolution otherwise.
pub const COVARIANCE_RIDGE: f64 = 1e-8;

/// Adds [`COVARIANCE_RIDGE`] times the mean variance to the diagonal of `cov`.
pub(crate) fn add_ridge(cov: &mut Mat<f64>) {
    let d = cov.nrows();
    let avg = (0..d).map(|i| cov[(i, i)]).sum::<f64>() / d as f64;
    let ridge = COVARIANCE_RIDGE
        * if avg > 0.0 && avg.is_finite() {
            avg
        } else {
            1.0
        };
    for i in 0..d {
        cov[(i, i)] += ridge;
    }
}

/// What one M-step produced for one state.
#[derive(Clone)]
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
    /// The graphical lasso's parameters at each [`Accuracy`].
    pub(crate) glasso: [ValidGlassoParams; 3],
    /// Whether a state's mean is the same at every position of the window.
    pub(crate) stationary_mean: bool,
    /// Whether timestep `t` is scored given the `w - 1` before it (the window that ends at
    /// `t` is `t`'s), instead of by the window that starts at `t`.
    pub(crate) conditional: bool,
}

/// A state's statistics with a stationary mean: each sensor's mean averaged over the `w`
/// positions of the window, and the covariance about that mean (`S + (m - m')(m - m')^T`),
/// so that the state does not depend on where a window starts inside a periodic signal, as
/// its block-Toeplitz precision does not.
pub(crate) fn stationarise(mean: &mut [f64], cov: &mut Mat<f64>, n: usize) {
    let d = mean.len();
    let w = d / n;
    if w <= 1 {
        return;
    }
    let mut level = vec![0.0; n];
    for (i, m) in mean.iter().enumerate() {
        level[i % n] += m / w as f64;
    }
    let shift: Vec<f64> = (0..d).map(|i| mean[i] - level[i % n]).collect();
    for j in 0..d {
        for i in 0..d {
            cov[(i, j)] += shift[i] * shift[j];
        }
    }
    for (i, m) in mean.iter_mut().enumerate() {
        *m = level[i % n];
    }
}

/// How exactly an M-step solves each state's graphical lasso. EM with inexact M-steps moves
/// toward the same fixed point (it only needs each M-step to improve the objective), so the
/// search runs loose and only the fixed point itself is solved to the parameters' tolerance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Accuracy {
    /// Ranking candidates (screening, split-and-merge proposals, the beta estimate's pilots):
    /// ADMM tolerance [`ROUGH_TOLERANCE`].
    Rough = 0,
    /// The way to a fixed point: [`SEARCH_TOLERANCE`].
    Search = 1,
    /// The fixed point: the tolerance of the parameters (1e-6 unless set).
    Exact = 2,
}

/// ADMM tolerance of [`Accuracy::Rough`] M-steps (about 3% relative error on the precision
/// from a warm start; 4 ADMM iterations instead of 65 at window 150).
pub const ROUGH_TOLERANCE: f64 = 1e-3;
/// ADMM iterations at most of an [`Accuracy::Rough`] M-step of a state with fewer windows than
/// dimensions. Its covariance is rank-deficient, which the penalty makes ill-conditioned: its
/// cold solves ran to the parameters' cap of 1,000 iterations to rank a candidate, where a warm
/// rough solve takes under 30. Other states' solves are not capped (capping every rough solve
/// moved the MoCap means by +0.06 with K given and -0.05 with K chosen: search noise, not a
/// gain).
pub const ROUGH_MAX_ITERS: usize = 100;
/// ADMM tolerance of [`Accuracy::Search`] M-steps (about 0.2% relative error).
pub const SEARCH_TOLERANCE: f64 = 1e-4;

impl<'a> Engine<'a> {
    /// An engine over `x` (row-major, `n` sensors) in recordings `ranges`, window `w`, `k`
    /// states; marks the timesteps that start a full window inside their recording.
    pub(crate) fn new(
        x: &'a [f64],
        n: usize,
        w: usize,
        k: usize,
        ranges: Vec<Range<usize>>,
        glasso: &ValidGlassoParams,
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
            glasso: [
                glasso.loosened(ROUGH_TOLERANCE),
                glasso.loosened(SEARCH_TOLERANCE),
                glasso.clone(),
            ],
            stationary_mean: false,
            conditional: false,
        }
    }

    /// The same settings and data with `k` states.
    pub(crate) fn with_states(&self, k: usize) -> Engine<'a> {
        Engine {
            x: self.x,
            n: self.n,
            w: self.w,
            d: self.d,
            k,
            ranges: self.ranges.clone(),
            full: self.full.clone(),
            glasso: self.glasso.clone(),
            stationary_mean: self.stationary_mean,
            conditional: self.conditional,
        }
    }

    /// The same model settings over other data (`x` row-major, recordings `ranges`).
    pub(crate) fn with_data<'b>(&self, x: &'b [f64], ranges: Vec<Range<usize>>) -> Engine<'b>
    where
        'a: 'b,
    {
        let mut e = Engine::new(x, self.n, self.w, self.k, ranges, &self.glasso[2]);
        e.stationary_mean = self.stationary_mean;
        e.conditional = self.conditional;
        e
    }

    pub(crate) fn n_windows(&self) -> usize {
        self.full.iter().filter(|f| **f).count()
    }

    /// The start of the full window whose statistics timestep `t` contributes to its state:
    /// the window that starts at `t`, or with conditional costs the one that ends at `t`;
    /// `None` when that window leaves `t`'s recording.
    #[inline]
    pub(crate) fn owned(&self, t: usize) -> Option<usize> {
        if self.conditional {
            let s = (t + 1).checked_sub(self.w)?;
            self.full[s].then_some(s)
        } else {
            self.full[t].then_some(t)
        }
    }

    pub(crate) fn window(&self, t: usize) -> &[f64] {
        &self.x[t * self.n..t * self.n + self.d]
    }

    pub(crate) fn stats(&self, assignment: &[usize]) -> Vec<Option<StateStats>> {
        self.stats_of(assignment, |_| true)
    }

    /// [`Self::stats`] over the timesteps `t` with `keep(t)` only.
    pub(crate) fn stats_of(
        &self,
        assignment: &[usize],
        keep: impl Fn(usize) -> bool,
    ) -> Vec<Option<StateStats>> {
        let mut idx: Vec<Vec<usize>> = vec![Vec::new(); self.k];
        for (t, &s) in assignment.iter().enumerate() {
            if !keep(t) {
                continue;
            }
            if let Some(o) = self.owned(t) {
                idx[s].push(o);
            }
        }
        idx.par_iter()
            .map(|ts| {
                let (mut mean, mut cov) =
                    casc_glasso::mean_and_covariance(ts.iter().map(|&t| self.window(t)), self.d)?;
                if self.stationary_mean {
                    stationarise(&mut mean, &mut cov, self.n);
                }
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
    pub(crate) fn reseed(
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
                    .filter(|&t| assignment[t] == donor && self.owned(t).is_some())
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
                    if let Some(o) = self.owned(t) {
                        if owner != e && counts[owner] <= 1 {
                            continue;
                        }
                        counts[owner] -= 1;
                        counts[e] += 1;
                        m += 1;
                        for (a, b) in mean.iter_mut().zip(self.window(o)) {
                            *a += b;
                        }
                    }
                    *slot = e;
                }
                if m == 0 {
                    continue;
                }
                mean.iter_mut().for_each(|v| *v /= m.max(1) as f64);
                if self.stationary_mean {
                    let mut level = vec![0.0; self.n];
                    for (i, v) in mean.iter().enumerate() {
                        level[i % self.n] += v / self.w as f64;
                    }
                    for (i, v) in mean.iter_mut().enumerate() {
                        *v = level[i % self.n];
                    }
                }
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
    pub(crate) fn m_step(
        &self,
        stats: &[Option<StateStats>],
        prev: &[Option<StateFit>],
        accuracy: Accuracy,
    ) -> Result<Vec<StateFit>, FitError> {
        let glasso = &self.glasso[accuracy as usize];
        let shape = BlockShape::new(self.n, self.w);
        let fits: Vec<Result<Option<StateFit>, FitError>> = (0..self.k)
            .into_par_iter()
            .map(|s| {
                let Some(st) = &stats[s] else { return Ok(None) };
                let mut cov = st.cov.clone();
                add_ridge(&mut cov);
                let warm = prev
                    .get(s)
                    .and_then(|p| p.as_ref())
                    .and_then(|p| p.warm.as_ref());
                // A state with fewer windows than dimensions has a rank-deficient covariance,
                // which the penalty leaves ill-conditioned: rough solves are capped, and its
                // fixed point is solved to the search tolerance (ADMM does not reach 1e-6 there
                // within 1,000 iterations).
                let capped;
                let glasso = match accuracy {
                    Accuracy::Rough if st.count < self.d => {
                        capped = glasso.capped(ROUGH_MAX_ITERS);
                        &capped
                    }
                    Accuracy::Exact if st.count < self.d => &self.glasso[Accuracy::Search as usize],
                    _ => glasso,
                };
                let sol = casc_glasso::solve(cov.as_ref(), shape, glasso, warm, Par::Seq)
                    .map_err(|source| FitError::Glasso { state: s, source })?;
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
                    .map_err(|source| FitError::Scorer { state: s, source })
            })
            .collect()
    }

    pub(crate) fn costs(&self, scorers: &[StateScorer], out: &mut [f64]) {
        assign::costs_into(self.x, self.n, &self.ranges, scorers, self.conditional, out);
    }
}
