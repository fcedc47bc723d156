//! Initial assignment: k-means++ with restarts, refined by a full-covariance Gaussian mixture.
//!
//! Deterministic for a seed whatever the thread count: randomness is drawn sequentially from one
//! seeded stream, and parallel reductions are over fixed-size chunks summed in chunk order.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{ComputeEigenvectors, self_adjoint_evd, self_adjoint_evd_scratch};

use crate::diagnostics::InitDiagnostics;

/// Points are fixed-size windows borrowed from the series: point `i` is
/// `x[starts[i] * n .. starts[i] * n + d]`.
pub(crate) struct Points<'a> {
    pub x: &'a [f64],
    pub n: usize,
    pub d: usize,
    pub starts: Vec<usize>,
}

impl Points<'_> {
    pub fn len(&self) -> usize {
        self.starts.len()
    }
    pub fn get(&self, i: usize) -> &[f64] {
        let o = self.starts[i] * self.n;
        &self.x[o..o + self.d]
    }
}

const CHUNK: usize = 2048;
/// Largest sample the mixture is fitted on; every point is labelled afterwards.
const SAMPLE: usize = 5_000;
/// Largest sample the k-means restarts run on (an initialisation needs centres, not precision).
const KMEANS_SAMPLE: usize = 2_000;
const LLOYD_ITERS: usize = 20;
const GMM_ITERS: usize = 30;
const GMM_TOL: f64 = 1e-3;
/// Relative regularisation of the mixture's covariances (sklearn's `reg_covar`, scaled to the data).
const REG_COVAR: f64 = 1e-6;

/// Above this dimension, the mixture runs on the points' leading principal components: a
/// full-covariance mixture over a window of 150 values costs seconds and the initialisation
/// needs labels, not a density.
pub const GMM_MAX_DIM: usize = 16;

/// The leading `m` principal directions (row-major `m x d`) of the rows of `x` (`d` per row).
fn principal_directions(x: &[f64], d: usize, m: usize) -> Vec<f64> {
    let rows = x.len() / d;
    let mut mean = vec![0.0; d];
    for r in x.chunks_exact(d) {
        mean.iter_mut().zip(r).for_each(|(a, b)| *a += b);
    }
    mean.iter_mut().for_each(|v| *v /= rows.max(1) as f64);
    let mut cov = faer::Mat::<f64>::zeros(d, d);
    for r in x.chunks_exact(d) {
        for i in 0..d {
            let a = r[i] - mean[i];
            for j in 0..=i {
                cov[(i, j)] += a * (r[j] - mean[j]);
            }
        }
    }
    for i in 0..d {
        for j in 0..i {
            cov[(j, i)] = cov[(i, j)];
        }
    }
    let mut out = vec![0.0; m * d];
    let mut evals = faer::diag::Diag::<f64>::zeros(d);
    let mut u = faer::Mat::<f64>::zeros(d, d);
    let par = faer::Par::Seq;
    let mut mem = MemBuffer::new(self_adjoint_evd_scratch::<f64>(
        d,
        ComputeEigenvectors::Yes,
        par,
        Default::default(),
    ));
    let ok = self_adjoint_evd(
        cov.as_ref(),
        evals.as_mut(),
        Some(u.as_mut()),
        par,
        MemStack::new(&mut mem),
        Default::default(),
    )
    .is_ok();
    for c in 0..m {
        // Eigenvalues ascending: the last m columns (or the first m coordinates).
        for i in 0..d {
            out[c * d + i] = if ok {
                u[(i, d - 1 - c)]
            } else {
                f64::from(u8::from(i == c))
            };
        }
    }
    out
}

/// Labels every point with one of `k` clusters.
pub(crate) fn initial_labels(
    points: &Points<'_>,
    k: usize,
    restarts: usize,
    seed: u64,
) -> (Vec<usize>, InitDiagnostics) {
    if points.d > GMM_MAX_DIM {
        // Project every point on the sample's leading principal directions, then cluster.
        let (d, m) = (points.d, GMM_MAX_DIM);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let sample = strided_sample(points.len(), SAMPLE, &mut rng);
        let sx: Vec<f64> = sample
            .iter()
            .flat_map(|&i| points.get(i).iter().copied())
            .collect();
        let dirs = principal_directions(&sx, d, m);
        let projected: Vec<f64> = (0..points.len())
            .flat_map(|i| {
                let p = points.get(i);
                let dirs = &dirs;
                (0..m).map(move |c| {
                    dirs[c * d..(c + 1) * d]
                        .iter()
                        .zip(p)
                        .map(|(a, b)| a * b)
                        .sum::<f64>()
                })
            })
            .collect();
        let low = Points {
            x: &projected,
            n: m,
            d: m,
            starts: (0..points.len()).collect(),
        };
        return initial_labels(&low, k, restarts, seed);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let d = points.d;
    let total = points.len();
    // A deterministic sample: an evenly strided subset with a random offset keeps time coverage.
    let sample = strided_sample(total, SAMPLE, &mut rng);
    let sx: Vec<f64> = sample
        .iter()
        .flat_map(|&i| points.get(i).iter().copied())
        .collect();
    let sp = Points {
        x: &sx,
        n: d,
        d,
        starts: (0..sample.len()).collect(),
    };
    let scale = data_scale(&sp);

    let (inertia, centers) = best_kmeans(&sp, k, restarts, &mut rng);
    let labels = nearest_labels(&sp, &centers, k);
    let mut gmm = Gmm::from_labels(&sp, &labels, k, scale);
    let (iters, ll) = gmm.fit(&sp, scale);
    let all = gmm.labels(points);
    (
        all,
        InitDiagnostics {
            sample_size: sample.len(),
            kmeans_inertia: inertia,
            gmm_iterations: iters,
            gmm_mean_log_likelihood: ll,
            candidates: Vec::new(),
            chosen: String::new(),
        },
    )
}

fn sample_mean(p: &Points<'_>) -> Vec<f64> {
    let mut mean = vec![0.0; p.d];
    for i in 0..p.len() {
        for (a, b) in mean.iter_mut().zip(p.get(i)) {
            *a += b;
        }
    }
    let m = p.len().max(1) as f64;
    mean.iter_mut().for_each(|v| *v /= m);
    mean
}

/// Mean per-coordinate variance (floored), the unit of the covariance regularisation.
fn data_scale(p: &Points<'_>) -> f64 {
    let d = p.d;
    let m = p.len() as f64;
    let mean = sample_mean(p);
    let mut var = 0.0;
    for i in 0..p.len() {
        for (a, b) in mean.iter().zip(p.get(i)) {
            var += (b - a) * (b - a);
        }
    }
    let v = var / (m * d as f64);
    if v.is_finite() && v > 0.0 { v } else { 1.0 }
}

fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// k-means++ seeding (D^2 sampling).
fn kmeans_pp(p: &Points<'_>, k: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let d = p.d;
    let m = p.len();
    let mut centers = Vec::with_capacity(k * d);
    let first = rng.random_range(0..m);
    centers.extend_from_slice(p.get(first));
    let mut dist: Vec<f64> = (0..m).map(|i| sq_dist(p.get(i), &centers[0..d])).collect();
    for c in 1..k {
        let total: f64 = chunk_sum(&dist);
        let pick = if total > 0.0 {
            let target = rng.random::<f64>() * total;
            let mut acc = 0.0;
            let mut pick = m - 1;
            for (i, v) in dist.iter().enumerate() {
                acc += v;
                if acc > target {
                    pick = i;
                    break;
                }
            }
            pick
        } else {
            rng.random_range(0..m)
        };
        centers.extend_from_slice(p.get(pick));
        let center = &centers[c * d..(c + 1) * d];
        dist.par_chunks_mut(CHUNK).enumerate().for_each(|(ci, ch)| {
            for (j, v) in ch.iter_mut().enumerate() {
                let e = sq_dist(p.get(ci * CHUNK + j), center);
                if e < *v {
                    *v = e;
                }
            }
        });
    }
    centers
}

/// An evenly strided sample of at most `size` of `total` indices, with a random offset.
fn strided_sample(total: usize, size: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    if total <= size {
        (0..total).collect()
    } else {
        let offset = rng.random_range(0..total / size);
        (0..size).map(|i| offset + i * total / size).collect()
    }
}

/// The best of `restarts` k-means runs (k-means++ seeding, Lloyd) on a sample of the points:
/// its inertia and centres.
fn best_kmeans(p: &Points<'_>, k: usize, restarts: usize, rng: &mut ChaCha8Rng) -> (f64, Vec<f64>) {
    let sample = strided_sample(p.len(), KMEANS_SAMPLE, rng);
    let sp = Points {
        x: p.x,
        n: p.n,
        d: p.d,
        starts: sample.iter().map(|&i| p.starts[i]).collect(),
    };
    let mut best: Option<(f64, Vec<f64>)> = None;
    for _ in 0..restarts {
        let centers = kmeans_pp(&sp, k, rng);
        let (centers, inertia) = lloyd(&sp, centers, k);
        if best.as_ref().is_none_or(|(b, _)| inertia < *b) {
            best = Some((inertia, centers));
        }
    }
    best.expect("at least one restart")
}

/// Sum in fixed chunk order (deterministic whatever the thread count).
fn chunk_sum(v: &[f64]) -> f64 {
    v.par_chunks(CHUNK)
        .map(|c| c.iter().sum::<f64>())
        .collect::<Vec<_>>()
        .iter()
        .sum()
}

pub(crate) fn nearest(x: &[f64], centers: &[f64], k: usize) -> (usize, f64) {
    let d = x.len();
    let mut best = (0, f64::INFINITY);
    for c in 0..k {
        let e = sq_dist(x, &centers[c * d..(c + 1) * d]);
        if e < best.1 {
            best = (c, e);
        }
    }
    best
}

fn nearest_labels(p: &Points<'_>, centers: &[f64], k: usize) -> Vec<usize> {
    (0..p.len())
        .into_par_iter()
        .with_min_len(CHUNK)
        .map(|i| nearest(p.get(i), centers, k).0)
        .collect()
}

/// Lloyd iterations until the labels stop changing; an emptied cluster takes the farthest point.
fn lloyd(p: &Points<'_>, mut centers: Vec<f64>, k: usize) -> (Vec<f64>, f64) {
    let d = p.d;
    let m = p.len();
    let mut labels = vec![usize::MAX; m];
    let mut inertia = f64::INFINITY;
    for _ in 0..LLOYD_ITERS {
        let assigned: Vec<(usize, f64)> = (0..m)
            .into_par_iter()
            .with_min_len(CHUNK)
            .map(|i| nearest(p.get(i), &centers, k))
            .collect();
        let changed = assigned.iter().zip(&labels).any(|(a, l)| a.0 != *l);
        inertia = chunk_sum(&assigned.iter().map(|a| a.1).collect::<Vec<_>>());
        for (l, a) in labels.iter_mut().zip(&assigned) {
            *l = a.0;
        }
        if !changed {
            break;
        }
        let mut sums = vec![0.0; k * d];
        let mut counts = vec![0usize; k];
        for (i, &l) in labels.iter().enumerate() {
            counts[l] += 1;
            for (s, v) in sums[l * d..(l + 1) * d].iter_mut().zip(p.get(i)) {
                *s += v;
            }
        }
        for c in 0..k {
            if counts[c] > 0 {
                for j in 0..d {
                    centers[c * d + j] = sums[c * d + j] / counts[c] as f64;
                }
            } else {
                // Re-seed an empty cluster at the point farthest from its center.
                let far = (0..m)
                    .max_by(|&a, &b| assigned[a].1.total_cmp(&assigned[b].1).then(b.cmp(&a)))
                    .unwrap_or(0);
                centers[c * d..(c + 1) * d].copy_from_slice(p.get(far));
            }
        }
    }
    (centers, inertia)
}

/// Lower Cholesky factor of a row-major `d x d` SPD matrix, or `None` when not positive definite.
pub(crate) fn cholesky(a: &[f64], d: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let mut s = a[i * d + j];
            for q in 0..j {
                s -= l[i * d + q] * l[j * d + q];
            }
            if i == j {
                if !(s > 0.0 && s.is_finite()) {
                    return None;
                }
                l[i * d + i] = s.sqrt();
            } else {
                l[i * d + j] = s / l[j * d + j];
            }
        }
    }
    Some(l)
}

/// `||L^{-1} v||^2` by forward substitution (`buf` has length d).
fn maha(l: &[f64], v: &[f64], buf: &mut [f64]) -> f64 {
    let d = v.len();
    let mut acc = 0.0;
    for i in 0..d {
        let mut s = v[i];
        let row = &l[i * d..i * d + i];
        for (a, b) in row.iter().zip(&buf[..i]) {
            s -= a * b;
        }
        let y = s / l[i * d + i];
        buf[i] = y;
        acc += y * y;
    }
    acc
}

struct Component {
    log_weight: f64,
    mean: Vec<f64>,
    chol: Vec<f64>,
    half_log_det: f64,
}

struct Gmm {
    d: usize,
    /// Origin of the moment sums (the sample mean), so that offsets do not cancel digits.
    shift: Vec<f64>,
    comps: Vec<Component>,
}

impl Gmm {
    fn from_labels(p: &Points<'_>, labels: &[usize], k: usize, scale: f64) -> Self {
        let m = p.len();
        let resp = |i: usize, c: usize| if labels[i] == c { 1.0 } else { 0.0 };
        let shift = sample_mean(p);
        let stats = weighted_stats(p, k, &shift, |i, out: &mut [f64]| {
            for (c, o) in out.iter_mut().enumerate() {
                *o = resp(i, c);
            }
            0.0
        });
        let mut g = Gmm {
            d: p.d,
            shift,
            comps: Vec::new(),
        };
        g.m_step(&stats, m, scale, None);
        g
    }

    /// Replaces the components from sufficient statistics; keeps `prev` for a vanished component.
    fn m_step(&mut self, stats: &Stats, m: usize, scale: f64, prev: Option<Vec<Component>>) {
        let d = self.d;
        let k = stats.w.len();
        let mut prev = prev.map(|v| v.into_iter().map(Some).collect::<Vec<_>>());
        let mut comps = Vec::with_capacity(k);
        for c in 0..k {
            let w = stats.w[c];
            if w < 1e-9 * m as f64
                && let Some(p) = prev.as_mut().and_then(|v| v[c].take())
            {
                comps.push(Component {
                    log_weight: (1e-9f64).ln(),
                    ..p
                });
                continue;
            }
            let wn = w.max(1e-300);
            let centred: Vec<f64> = (0..d).map(|j| stats.s1[c * d + j] / wn).collect();
            let mut cov = vec![0.0; d * d];
            for a in 0..d {
                for b in 0..d {
                    cov[a * d + b] = stats.s2[c * d * d + a * d + b] / wn - centred[a] * centred[b];
                }
            }
            let mean: Vec<f64> = centred
                .iter()
                .zip(&self.shift)
                .map(|(a, b)| a + b)
                .collect();
            let mut reg = REG_COVAR * scale;
            let chol = loop {
                let mut c2 = cov.clone();
                for a in 0..d {
                    c2[a * d + a] += reg;
                }
                if let Some(l) = cholesky(&c2, d) {
                    break l;
                }
                reg *= 10.0;
            };
            let half_log_det = (0..d).map(|a| chol[a * d + a].ln()).sum();
            comps.push(Component {
                log_weight: (w.max(1e-300) / m as f64).ln(),
                mean,
                chol,
                half_log_det,
            });
        }
        self.comps = comps;
    }

    /// Log of weight times density (without the 2π constant) for every component.
    fn log_probs(&self, x: &[f64], out: &mut [f64], diff: &mut [f64], buf: &mut [f64]) {
        for (o, c) in out.iter_mut().zip(&self.comps) {
            for ((df, a), b) in diff.iter_mut().zip(x).zip(&c.mean) {
                *df = a - b;
            }
            *o = c.log_weight - c.half_log_det - 0.5 * maha(&c.chol, diff, buf);
        }
    }

    fn fit(&mut self, p: &Points<'_>, scale: f64) -> (usize, f64) {
        let k = self.comps.len();
        let m = p.len();
        let mut last = f64::NEG_INFINITY;
        let mut ll = f64::NEG_INFINITY;
        let mut iters = 0;
        for _ in 0..GMM_ITERS {
            iters += 1;
            let d = self.d;
            let this = &*self;
            let stats = weighted_stats(p, k, &self.shift, |i, out: &mut [f64]| {
                let mut diff = vec![0.0; d];
                let mut buf = vec![0.0; d];
                this.log_probs(p.get(i), out, &mut diff, &mut buf);
                let mx = out.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let mut s = 0.0;
                for o in out.iter_mut() {
                    *o = (*o - mx).exp();
                    s += *o;
                }
                for o in out.iter_mut() {
                    *o /= s;
                }
                mx + s.ln()
            });
            ll = stats.ll / m as f64;
            let prev = std::mem::take(&mut self.comps);
            self.m_step(&stats, m, scale, Some(prev));
            // sklearn's rule: stop when the mean log-likelihood moves less than 1e-3.
            if (ll - last).abs() < GMM_TOL {
                break;
            }
            last = ll;
        }
        (iters, ll)
    }

    fn labels(&self, p: &Points<'_>) -> Vec<usize> {
        let k = self.comps.len();
        let d = self.d;
        (0..p.len())
            .into_par_iter()
            .with_min_len(CHUNK)
            .map_init(
                || (vec![0.0; k], vec![0.0; d], vec![0.0; d]),
                |(out, diff, buf), i| {
                    self.log_probs(p.get(i), out, diff, buf);
                    let mut best = 0;
                    for c in 1..k {
                        if out[c] > out[best] {
                            best = c;
                        }
                    }
                    best
                },
            )
            .collect()
    }
}

/// Weighted sufficient statistics over the points (zeroth, first, second moments) and the sum of
/// log-normalisers, reduced in fixed chunk order.
struct Stats {
    w: Vec<f64>,
    s1: Vec<f64>,
    s2: Vec<f64>,
    ll: f64,
}

fn weighted_stats<F>(p: &Points<'_>, k: usize, shift: &[f64], resp: F) -> Stats
where
    F: Fn(usize, &mut [f64]) -> f64 + Sync,
{
    let d = p.d;
    let m = p.len();
    let chunks: Vec<Stats> = (0..m.div_ceil(CHUNK))
        .into_par_iter()
        .map(|ci| {
            let mut st = Stats {
                w: vec![0.0; k],
                s1: vec![0.0; k * d],
                s2: vec![0.0; k * d * d],
                ll: 0.0,
            };
            let mut r = vec![0.0; k];
            let mut x = vec![0.0; d];
            for i in ci * CHUNK..((ci + 1) * CHUNK).min(m) {
                st.ll += resp(i, &mut r);
                for ((a, b), s) in x.iter_mut().zip(p.get(i)).zip(shift) {
                    *a = b - s;
                }
                for (c, &rc) in r.iter().enumerate() {
                    if rc == 0.0 {
                        continue;
                    }
                    st.w[c] += rc;
                    for a in 0..d {
                        st.s1[c * d + a] += rc * x[a];
                        let ra = rc * x[a];
                        let row = &mut st.s2[c * d * d + a * d..c * d * d + (a + 1) * d];
                        for (s, xb) in row.iter_mut().zip(&x) {
                            *s += ra * xb;
                        }
                    }
                }
            }
            st
        })
        .collect();
    let mut total = Stats {
        w: vec![0.0; k],
        s1: vec![0.0; k * d],
        s2: vec![0.0; k * d * d],
        ll: 0.0,
    };
    for c in chunks {
        total.w.iter_mut().zip(&c.w).for_each(|(a, b)| *a += b);
        total.s1.iter_mut().zip(&c.s1).for_each(|(a, b)| *a += b);
        total.s2.iter_mut().zip(&c.s2).for_each(|(a, b)| *a += b);
        total.ll += c.ll;
    }
    total
}

/// Prefix sums of the observations' first and second moments (about the global mean), from
/// which the moments of any neighbourhood come in O(features).
pub(crate) struct LocalMoments {
    f: usize,
    prefix: Vec<f64>,
}

/// Most lags whose products with the present the local moments keep per sensor.
pub(crate) const LOCAL_LAGS: usize = 8;

impl LocalMoments {
    /// All pairwise products up to 16 sensors (the diagonal only above), and each sensor's
    /// products with itself at lags inside the window (`1..w`, at most [`LOCAL_LAGS`] of them,
    /// evenly spread): the local autocovariance, by which states that differ only in the
    /// shape of their waveform (same mean, same variance) differ. A product whose lag crosses
    /// the end of a recording counts 0.
    pub fn new(x: &[f64], n: usize, w: usize, ranges: &[std::ops::Range<usize>]) -> Self {
        let pairs: Vec<(usize, usize)> = if n <= 16 {
            (0..n).flat_map(|i| (i..n).map(move |j| (i, j))).collect()
        } else {
            (0..n).map(|i| (i, i)).collect()
        };
        let lags = window_lags(w);
        let f = n + pairs.len() + n * lags.len();
        let t_total = x.len() / n;
        let mut gmean = vec![0.0; n];
        for row in x.chunks_exact(n) {
            for (g, v) in gmean.iter_mut().zip(row) {
                *g += v;
            }
        }
        gmean.iter_mut().for_each(|g| *g /= t_total.max(1) as f64);
        let centred = |t: usize, j: usize| x[t * n + j] - gmean[j];
        let mut end_of = vec![t_total; t_total];
        for r in ranges {
            end_of[r.clone()].iter_mut().for_each(|e| *e = r.end);
        }
        let mut prefix = vec![0.0; (t_total + 1) * f];
        for t in 0..t_total {
            let (head, tail) = prefix.split_at_mut((t + 1) * f);
            let prev = &head[t * f..];
            let cur = &mut tail[..f];
            for j in 0..n {
                cur[j] = prev[j] + centred(t, j);
            }
            for (p, &(a, b)) in pairs.iter().enumerate() {
                cur[n + p] = prev[n + p] + centred(t, a) * centred(t, b);
            }
            let base = n + pairs.len();
            for (li, &l) in lags.iter().enumerate() {
                for j in 0..n {
                    let v = if t + l < end_of[t] {
                        centred(t, j) * centred(t + l, j)
                    } else {
                        0.0
                    };
                    let q = base + li * n + j;
                    cur[q] = prev[q] + v;
                }
            }
        }
        Self { f, prefix }
    }

    /// Standardised features of the neighbourhood `[t - h, t + h]` (clipped to the recording)
    /// of every start: the local mean and second moments. States that differ only in their
    /// covariance, which a pointwise clustering cannot tell apart, differ in these.
    pub fn features(
        &self,
        ranges: &[std::ops::Range<usize>],
        starts: &[usize],
        h: usize,
    ) -> (Vec<f64>, usize) {
        let f = self.f;
        let mut feats = vec![0.0; starts.len() * f];
        let mut r = 0;
        for (i, &t) in starts.iter().enumerate() {
            while !ranges[r].contains(&t) {
                r += 1;
            }
            let lo = t.saturating_sub(h).max(ranges[r].start);
            let hi = (t + h + 1).min(ranges[r].end);
            let c = 1.0 / (hi - lo) as f64;
            let (a, b) = (
                &self.prefix[lo * f..lo * f + f],
                &self.prefix[hi * f..hi * f + f],
            );
            for ((o, x), y) in feats[i * f..(i + 1) * f].iter_mut().zip(a).zip(b) {
                *o = (y - x) * c;
            }
        }
        // Standardise every feature (row-major passes).
        let m = starts.len().max(1) as f64;
        let mut mean = vec![0.0; f];
        for row in feats.chunks_exact(f) {
            mean.iter_mut().zip(row).for_each(|(a, b)| *a += b);
        }
        mean.iter_mut().for_each(|v| *v /= m);
        let mut var = vec![0.0; f];
        for row in feats.chunks_exact(f) {
            var.iter_mut()
                .zip(row)
                .zip(&mean)
                .for_each(|((v, x), mu)| *v += (x - mu) * (x - mu));
        }
        let inv_sd: Vec<f64> = var
            .iter()
            .map(|v| if *v > 0.0 { (m / v).sqrt() } else { 1.0 })
            .collect();
        for row in feats.chunks_exact_mut(f) {
            for ((x, mu), s) in row.iter_mut().zip(&mean).zip(&inv_sd) {
                *x = (*x - mu) * s;
            }
        }
        (feats, f)
    }
}

/// k-means (k-means++ seeding, restarts) labels of standardised feature rows.
pub(crate) fn kmeans_labels(
    feats: &[f64],
    f: usize,
    k: usize,
    restarts: usize,
    seed: u64,
) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let total = feats.len() / f;
    let sp = Points {
        x: feats,
        n: f,
        d: f,
        starts: (0..total).collect(),
    };
    let (_, centers) = best_kmeans(&sp, k, restarts, &mut rng);
    let all = Points {
        x: feats,
        n: f,
        d: f,
        starts: (0..total).collect(),
    };
    nearest_labels(&all, &centers, k)
}

/// Centres of the best of `restarts` k-means runs on feature rows (row-major, `f` per row), and
/// the inertia; randomness from `rng`.
pub(crate) fn kmeans_centers(
    feats: &[f64],
    f: usize,
    k: usize,
    restarts: usize,
    rng: &mut ChaCha8Rng,
) -> (f64, Vec<f64>) {
    let p = Points {
        x: feats,
        n: f,
        d: f,
        starts: (0..feats.len() / f).collect(),
    };
    best_kmeans(&p, k, restarts, rng)
}

/// The lags of the local autocovariance for a window of `w`: `1..w`, or [`LOCAL_LAGS`] of
/// them evenly spread when the window is longer.
fn window_lags(w: usize) -> Vec<usize> {
    let top = w.saturating_sub(1);
    if top <= LOCAL_LAGS {
        return (1..=top).collect();
    }
    let mut lags: Vec<usize> = (1..=LOCAL_LAGS)
        .map(|i| (i * top).div_ceil(LOCAL_LAGS))
        .collect();
    lags.dedup();
    lags
}

#[cfg(test)]
mod tests {
    use super::{LOCAL_LAGS, LocalMoments, window_lags};

    /// The running sums of feature `q` (prefix differences) per timestep.
    fn per_step(m: &LocalMoments, q: usize) -> Vec<f64> {
        let t = m.prefix.len() / m.f - 1;
        (0..t)
            .map(|i| m.prefix[(i + 1) * m.f + q] - m.prefix[i * m.f + q])
            .collect()
    }

    #[test]
    fn lags_cover_the_window_and_at_most_local_lags_of_a_long_one() {
        assert!(window_lags(1).is_empty());
        assert_eq!(window_lags(4), vec![1, 2, 3]);
        assert_eq!(
            window_lags(LOCAL_LAGS + 1),
            (1..=LOCAL_LAGS).collect::<Vec<_>>()
        );
        let long = window_lags(400);
        assert_eq!(long.len(), LOCAL_LAGS);
        assert_eq!(long.last(), Some(&399));
        assert!(long.windows(2).all(|p| p[0] < p[1]));
    }

    #[test]
    fn lagged_products_by_hand_and_zero_across_recordings() {
        // x = 1 2 3 4 (mean 2.5): centred -1.5 -0.5 0.5 1.5; features: mean, square, lag 1,
        // lag 2.
        let x = [1.0, 2.0, 3.0, 4.0];
        let m = LocalMoments::new(&x, 1, 3, std::slice::from_ref(&(0..4)));
        assert_eq!(m.f, 4);
        assert_eq!(per_step(&m, 0), vec![-1.5, -0.5, 0.5, 1.5]);
        assert_eq!(per_step(&m, 1), vec![2.25, 0.25, 0.25, 2.25]);
        assert_eq!(per_step(&m, 2), vec![0.75, -0.25, 0.75, 0.0]);
        assert_eq!(per_step(&m, 3), vec![-0.75, -0.75, 0.0, 0.0]);
        // Two recordings of two steps: no product reaches into the next recording.
        let m = LocalMoments::new(&x, 1, 3, &[0..2, 2..4]);
        assert_eq!(per_step(&m, 2), vec![0.75, 0.0, 0.75, 0.0]);
        assert_eq!(per_step(&m, 3), vec![0.0; 4]);
        // A window of 1 keeps the contemporaneous moments only (the CASC paper's setting).
        assert_eq!(
            LocalMoments::new(&x, 1, 1, std::slice::from_ref(&(0..4))).f,
            2
        );
    }
}
