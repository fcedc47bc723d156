//! The EM engine: the windows of a series, each state's statistics, the M-step (a graphical
//! lasso per state, warm-started), the costs of the E-step, and the re-seeding of empty
//! states (docs/method.md sections 3, 4 and 6.2). One iteration's pieces; the loop is in
//! [`phase`](crate::phase).

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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
    /// What the fit was estimated from, when that was a plain set of windows.
    pub(crate) basis: Option<Basis>,
}

/// The data a state's fit was estimated from: the windows of one series, and how exactly.
/// A later M-step given the same windows at the same or a looser accuracy would solve the
/// same problem again from this fit's warm start, so it keeps the fit instead.
#[derive(Clone)]
pub(crate) struct Basis {
    /// [`Engine::data`] of the series.
    data: u64,
    /// The starts of the windows, in increasing order.
    windows: Arc<[usize]>,
    accuracy: Accuracy,
}

/// Empirical statistics of one state's windows.
#[derive(Clone)]
pub(crate) struct StateStats {
    pub(crate) count: usize,
    pub(crate) mean: Vec<f64>,
    pub(crate) cov: Mat<f64>,
    /// The starts of the windows, or `None` when the statistics are not theirs alone (a
    /// re-seeded state borrows its donor's covariance).
    pub(crate) windows: Option<Arc<[usize]>>,
}

/// The source of [`Engine::data`]: every engine over other data gets a new number.
static NEXT_DATA: AtomicU64 = AtomicU64::new(0);

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
    /// Identifies the series `x` and `ranges` with these model settings (shared by the
    /// engines that differ only in their number of states, [`Engine::with_states`]), so that
    /// a fit is reused only on the data and model it was made from. Settings changed after
    /// fits exist would need a new id: nothing does that.
    pub(crate) data: u64,
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
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
            data: NEXT_DATA.fetch_add(1, Ordering::Relaxed),
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
            data: self.data,
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
        self.stats_from(self.members(assignment, keep), |_| true)
    }

    /// The starts of each state's windows in `assignment`, over the timesteps `t` with
    /// `keep(t)`, in increasing order.
    fn members(&self, assignment: &[usize], keep: impl Fn(usize) -> bool) -> Vec<Vec<usize>> {
        let mut idx: Vec<Vec<usize>> = vec![Vec::new(); self.k];
        for (t, &s) in assignment.iter().enumerate() {
            if !keep(t) {
                continue;
            }
            if let Some(o) = self.owned(t) {
                idx[s].push(o);
            }
        }
        idx
    }

    /// The statistics of the states `s` with `need(s)` from their windows (`None` for the
    /// others and for states without windows).
    fn stats_from(
        &self,
        members: Vec<Vec<usize>>,
        need: impl Fn(usize) -> bool + Sync,
    ) -> Vec<Option<StateStats>> {
        members
            .into_par_iter()
            .enumerate()
            .map(|(s, ts)| {
                if !need(s) {
                    return None;
                }
                let (mut mean, mut cov) =
                    casc_glasso::mean_and_covariance(ts.iter().map(|&t| self.window(t)), self.d)?;
                if self.stationary_mean {
                    stationarise(&mut mean, &mut cov, self.n);
                }
                Some(StateStats {
                    count: ts.len(),
                    mean,
                    cov,
                    windows: Some(ts.into()),
                })
            })
            .collect()
    }

    /// What the M-step of an iteration fits from: re-seeds empty states (see
    /// [`Self::reseed`]), then, unless one was re-seeded, marks every state whose previous fit
    /// in `prev` was estimated from exactly its windows now at `accuracy` or tighter (`same`),
    /// and computes the statistics of the others only. Returns the statistics, `same` and the
    /// number of states re-seeded.
    pub(crate) fn prepare(
        &self,
        assignment: &mut [usize],
        rng: &mut ChaCha8Rng,
        prev: &[Option<StateFit>],
        accuracy: Accuracy,
    ) -> (Vec<Option<StateStats>>, Vec<bool>, usize) {
        let members = self.members(assignment, |_| true);
        if members.iter().any(Vec::is_empty) {
            let (stats, reseeded) = self.reseed(assignment, rng);
            return (stats, vec![false; self.k], reseeded);
        }
        let same: Vec<bool> = (0..self.k)
            .map(|s| {
                prev.get(s)
                    .and_then(|p| p.as_ref())
                    .and_then(|p| p.basis.as_ref())
                    .is_some_and(|b| {
                        b.data == self.data && b.accuracy >= accuracy && *b.windows == *members[s]
                    })
            })
            .collect();
        let stats = self.stats_from(members, |s| !same[s]);
        (stats, same, 0)
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
                    windows: None,
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
        self.m_step_keeping(stats, prev, &vec![false; self.k], accuracy)
    }

    /// [`Self::m_step`], keeping the previous fit of every state `s` with `same[s]` (see
    /// [`Self::prepare`]) as it is: no ADMM iteration is run for it.
    pub(crate) fn m_step_keeping(
        &self,
        stats: &[Option<StateStats>],
        prev: &[Option<StateFit>],
        same: &[bool],
        accuracy: Accuracy,
    ) -> Result<Vec<StateFit>, FitError> {
        let glasso = &self.glasso[accuracy as usize];
        let shape = BlockShape::new(self.n, self.w);
        let fits: Vec<Result<Option<StateFit>, FitError>> = (0..self.k)
            .into_par_iter()
            .map(|s| {
                if same[s]
                    && let Some(Some(p)) = prev.get(s)
                {
                    return Ok(Some(StateFit {
                        admm_iterations: 0,
                        ..p.clone()
                    }));
                }
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
                    // Only a converged solve is the fixed point another M-step on the same
                    // windows would return; an unconverged one (an iteration cap) or a Theta
                    // fallback is solved again.
                    basis: st
                        .windows
                        .clone()
                        .filter(|_| {
                            sol.diagnostics.converged && !sol.diagnostics.used_theta_fallback
                        })
                        .map(|windows| Basis {
                            data: self.data,
                            windows,
                            accuracy,
                        }),
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
                        basis: None,
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

    /// [`Self::costs`] of the states `s` with `fresh[s]` only: the other columns of `out`
    /// already hold their costs (their fits are the ones `out` was filled with).
    pub(crate) fn costs_of(&self, scorers: &[StateScorer], fresh: &[bool], out: &mut [f64]) {
        let k = self.k;
        let which: Vec<usize> = (0..k).filter(|&s| fresh[s]).collect();
        if which.len() == k {
            return self.costs(scorers, out);
        }
        if which.is_empty() {
            return;
        }
        let some: Vec<StateScorer> = which.iter().map(|&s| scorers[s].clone()).collect();
        let m = which.len();
        let part = assign::costs(self.x, self.n, &self.ranges, &some, self.conditional);
        for (row, prow) in out.chunks_exact_mut(k).zip(part.chunks_exact(m)) {
            for (&s, &c) in which.iter().zip(prow) {
                row[s] = c;
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)]
pub(crate) mod tests {
    use rand::{RngExt, SeedableRng};

    use super::*;
    use crate::FitParams;

    /// Three sensors, 600 steps: 100-step segments alternating between independent noise
    /// and noise whose sensors share a common factor; the assignment is the truth.
    pub(crate) fn two_states() -> (Vec<f64>, Vec<usize>) {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut x = Vec::new();
        let mut a = Vec::new();
        for t in 0..600 {
            let s = (t / 100) % 2;
            let common: f64 = rng.random_range(-1.0..1.0);
            for _ in 0..3 {
                let e: f64 = rng.random_range(-1.0..1.0);
                x.push(if s == 0 { e } else { 0.4 * e + common });
            }
            a.push(s);
        }
        (x, a)
    }

    pub(crate) fn engine(x: &[f64], w: usize) -> Engine<'_> {
        let params = FitParams::new(2).check().unwrap();
        Engine::new(x, 3, w, 2, vec![0..x.len() / 3], params.glasso())
    }

    fn max_rel_diff(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
        let scale = (0..a.nrows())
            .map(|i| a[(i, i)].abs())
            .fold(0.0f64, f64::max);
        let mut diff = 0.0f64;
        for j in 0..a.ncols() {
            for i in 0..a.nrows() {
                diff = diff.max((a[(i, j)] - b[(i, j)]).abs());
            }
        }
        diff / scale
    }

    #[test]
    fn a_fit_is_kept_only_for_the_same_windows_data_and_accuracy() {
        let (x, a) = two_states();
        let e = engine(&x, 2);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let none = vec![None, None];
        let fits = e.m_step(&e.stats(&a), &none, Accuracy::Search).unwrap();
        let prev: Vec<Option<StateFit>> = fits.iter().cloned().map(Some).collect();

        // The same windows at the same or a looser accuracy: both fits kept, no statistics.
        for acc in [Accuracy::Search, Accuracy::Rough] {
            let mut b = a.clone();
            let (stats, same, reseeded) = e.prepare(&mut b, &mut rng, &prev, acc);
            assert_eq!((same.clone(), reseeded), (vec![true, true], 0));
            assert!(stats.iter().all(Option::is_none));
            let kept = e.m_step_keeping(&stats, &prev, &same, acc).unwrap();
            for (k, f) in kept.iter().zip(&fits) {
                assert_eq!(k.admm_iterations, 0);
                assert_eq!(max_rel_diff(&k.precision, &f.precision), 0.0);
            }
        }
        // A tighter accuracy solves again.
        let mut b = a.clone();
        let (_, same, _) = e.prepare(&mut b, &mut rng, &prev, Accuracy::Exact);
        assert_eq!(same, vec![false, false]);
        // One window moved from state 1 to state 0: both states changed.
        let mut b = a.clone();
        b[150] = 0;
        let (stats, same, _) = e.prepare(&mut b, &mut rng, &prev, Accuracy::Search);
        assert_eq!(same, vec![false, false]);
        assert!(stats.iter().all(Option::is_some));
        // The last timestep owns no window (window 2): moving it changes no state's windows.
        let mut b = a.clone();
        b[599] = 0;
        let (_, same, _) = e.prepare(&mut b, &mut rng, &prev, Accuracy::Search);
        assert_eq!(same, vec![true, true]);
        // The same labels over other data (a new engine on a copy): solved again.
        let y = x.clone();
        let other = engine(&y, 2);
        let (_, same, _) = other.prepare(&mut a.clone(), &mut rng, &prev, Accuracy::Search);
        assert_eq!(same, vec![false, false]);
        // Another number of states over the same data is the same data.
        let (_, same, _) =
            e.with_states(2)
                .prepare(&mut a.clone(), &mut rng, &prev, Accuracy::Search);
        assert_eq!(same, vec![true, true]);
    }

    #[test]
    fn an_unconverged_solve_is_solved_again() {
        // Window 40 (120 dimensions), state 1 with 60 windows: its rough cold solve stops at
        // ROUGH_MAX_ITERS unconverged, and is not a fixed point to keep.
        let (x, _) = two_states();
        let e = engine(&x, 40);
        let a: Vec<usize> = (0..600).map(|t| usize::from(t < 60)).collect();
        let fits = e.m_step(&e.stats(&a), &[], Accuracy::Rough).unwrap();
        assert!(
            !fits[1].admm_converged,
            "the case needs an unconverged solve"
        );
        assert!(fits[1].basis.is_none());
        let prev: Vec<Option<StateFit>> = fits.into_iter().map(Some).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let (_, same, _) = e.prepare(&mut a.clone(), &mut rng, &prev, Accuracy::Rough);
        assert!(!same[1]);
    }

    #[test]
    fn a_state_swapped_for_another_s_fit_is_solved_again() {
        // Split-and-merge copies one state's fit to another id: the copy is not a fit of
        // the new owner's windows.
        let (x, a) = two_states();
        let e = engine(&x, 2);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let fits = e.m_step(&e.stats(&a), &[], Accuracy::Search).unwrap();
        let swapped = vec![Some(fits[1].clone()), Some(fits[0].clone())];
        let (_, same, _) = e.prepare(&mut a.clone(), &mut rng, &swapped, Accuracy::Search);
        assert_eq!(same, vec![false, false]);
    }

    #[test]
    fn costs_of_some_states_equal_the_full_costs_bit_for_bit() {
        let (x, a) = two_states();
        for (w, conditional) in [(1, false), (3, false), (3, true)] {
            let mut e = engine(&x, w);
            e.conditional = conditional;
            let fits = e.m_step(&e.stats(&a), &[], Accuracy::Search).unwrap();
            let scorers = e.scorers(&fits).unwrap();
            let mut full = vec![0.0; 600 * 2];
            e.costs(&scorers, &mut full);
            for fresh in [[true, false], [false, true], [true, true]] {
                // Stale values where a column is not recomputed must survive untouched.
                let mut part: Vec<f64> = full
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| if fresh[i % 2] { -1.0 } else { c })
                    .collect();
                e.costs_of(&scorers, &fresh, &mut part);
                assert_eq!(
                    part, full,
                    "w {w} conditional {conditional} fresh {fresh:?}"
                );
            }
        }
    }
}
