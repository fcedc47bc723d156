//! The synthetic benchmark of the CASC paper (CASC/MASA, arXiv 1809.01819): seeded generator and CSV output.
//!
//! # What is generated
//!
//! * `n_states` states, each with zero mean and a random sparse precision
//!   matrix over a window of `window` observations (`n_sensors * window`
//!   square): the diagonal block is a random symmetric sparse matrix with
//!   `round(density * n(n-1)/2)` off-diagonal edges (at least one when
//!   `density > 0`) of weight `+-Uniform(0.3, 0.6)`; for `window > 1` each lag
//!   `l = 1..window-1` has its own random sparse `n x n` block with
//!   `round(density * n^2)` entries of the same kind (not symmetric), assembled
//!   block Toeplitz (block `(i, j)` is `A_{j-i}` above the diagonal and its
//!   transpose below); finally `(0.1 + |lambda_min|) I` is added.
//! * Macro-segments: `garbage_per_macro` segments of uniformly random states in
//!   `0..n_states`, then one segment per state of `motif`; every segment is
//!   `segment_len` steps long. With `plant_motif` off, the motif's segments are
//!   uniformly random too (a stream without a motif by construction, of the same
//!   length and layout; the motif mask is all zeros).
//! * Noise: each segment, with probability `noise`, draws from the Gaussian whose
//!   mean and (window) covariance are `(1 - delta)` times its own plus `delta`
//!   times those of a state drawn uniformly from `0..min(5, n_states)` (possibly
//!   its own state, which leaves it unchanged). Its truth label stays its own state.
//! * Samples: for `window = 1` independent draws; for `window > 1` each row is
//!   drawn from the Gaussian of the last block of the segment's window given the
//!   previous `window - 1` rows; the first `window - 1` rows of the series come
//!   jointly from the marginal of the first segment's window.
//!
//! # Determinism
//!
//! The three random streams (state matrices, segment layout, samples) are
//! independent ChaCha8 streams of the same seed, so changing `macro_segments`
//! or `noise` keeps the states' matrices. Standard normals come from
//! Marsaglia's polar method with `libm`'s software logarithm, and the matrix
//! algebra is plain scalar code in a fixed order: the output is bit-identical
//! on every platform (the fixtures test relies on it).

use std::fmt::Write as _;
use std::path::Path;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::EvalError;
use crate::linalg::{cholesky, cholesky_solve, min_eigenvalue_sym, spd_inverse, symmetrize};

/// Noisy segments mix in a state drawn from `0..NOISE_STATES` (capped at the number of states).
pub const NOISE_STATES: usize = 5;

/// Largest `n_sensors * window` accepted (the generator's matrix algebra is cubic in it).
pub const MAX_WINDOW_DIM: usize = 400;

/// Parameters of the synthetic benchmark; start from [`SynthParams::paper`] and
/// change fields. Validate with [`SynthParams::check`] (done by [`generate`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SynthParams {
    /// Number of macro-segments (paper: 1000 for accuracy, up to 7000 for speed). At least 1.
    pub macro_segments: usize,
    /// Probability `epsilon` that a segment is perturbed, in `[0, 1]` (paper: 0.0-0.7).
    pub noise: f64,
    /// Weight `delta` of the other state in a perturbed segment, in `[0, 1]` (paper: 0.6).
    pub delta: f64,
    /// Window `w` of the states' models, at least 1 (paper: 1).
    pub window: usize,
    /// Number of sensors `n`, at least 1 (paper: 5).
    pub n_sensors: usize,
    /// Number of states `K`, at least 1 (paper: 10).
    pub n_states: usize,
    /// Timesteps per segment, at least 1 (paper: 15).
    pub segment_len: usize,
    /// Garbage segments before the motif in each macro-segment (paper: 6).
    pub garbage_per_macro: usize,
    /// The motif's states, each below `n_states` (paper: `6 7 8 9`).
    pub motif: Vec<usize>,
    /// Density of the random graphs of the precision matrices, in `[0, 1]` (paper: 0.2).
    pub density: f64,
    /// Seed of all random streams.
    pub seed: u64,
    /// Whether the motif is planted (default true). When false, every segment of every
    /// macro-segment gets a uniformly random state: a stream with no motif by construction,
    /// for measuring false discoveries. Written to `params.json` only when false, so the
    /// parameters (and the output) of a stream with the motif are unchanged.
    #[serde(default = "planted", skip_serializing_if = "is_planted")]
    pub plant_motif: bool,
}

/// Serde default of [`SynthParams::plant_motif`].
fn planted() -> bool {
    true
}

/// Whether `plant_motif` has its default value (then it is not serialised).
fn is_planted(on: &bool) -> bool {
    *on
}

impl SynthParams {
    /// The paper's settings (K = 10, n = 5, w = 1, delta = 0.6, 15-step segments,
    /// 6 garbage segments then the motif `6 7 8 9`, density 0.2) with the given
    /// number of macro-segments, noise level `epsilon` and seed.
    pub fn paper(macro_segments: usize, noise: f64, seed: u64) -> Self {
        SynthParams {
            macro_segments,
            noise,
            delta: 0.6,
            window: 1,
            n_sensors: 5,
            n_states: 10,
            segment_len: 15,
            garbage_per_macro: 6,
            motif: vec![6, 7, 8, 9],
            density: 0.2,
            seed,
            plant_motif: true,
        }
    }

    /// Number of timesteps the parameters produce (saturating on overflow, which `check` rejects).
    pub fn n_steps(&self) -> usize {
        self.macro_segments
            .saturating_mul(self.garbage_per_macro.saturating_add(self.motif.len()))
            .saturating_mul(self.segment_len)
    }

    /// The parameters as pretty-printed JSON (the `params.json` of a fixture), ending in a newline.
    pub fn to_json(&self) -> String {
        // Serialising plain numbers and vectors cannot fail.
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Parses parameters written by [`SynthParams::to_json`] (not checked: [`generate`] checks).
    pub fn from_json(text: &str) -> Result<Self, EvalError> {
        Ok(serde_json::from_str(text)?)
    }

    /// Checks every parameter against its allowed range; the error names the
    /// first offending parameter, its value and the range.
    pub fn check(&self) -> Result<(), EvalError> {
        fn bad(name: &'static str, value: impl std::fmt::Display, allowed: &str) -> EvalError {
            EvalError::InvalidParameter {
                name,
                value: value.to_string(),
                allowed: allowed.to_string(),
            }
        }
        if self.macro_segments == 0 {
            return Err(bad("macro_segments", 0, "must be at least 1"));
        }
        if !(0.0..=1.0).contains(&self.noise) {
            return Err(bad("noise", self.noise, "must be a probability in [0, 1]"));
        }
        if !(0.0..=1.0).contains(&self.delta) {
            return Err(bad("delta", self.delta, "must be in [0, 1]"));
        }
        if !(0.0..=1.0).contains(&self.density) {
            return Err(bad("density", self.density, "must be in [0, 1]"));
        }
        if self.window == 0 {
            return Err(bad("window", 0, "must be at least 1"));
        }
        if self.n_sensors == 0 {
            return Err(bad("n_sensors", 0, "must be at least 1"));
        }
        if self.n_sensors.saturating_mul(self.window) > MAX_WINDOW_DIM {
            return Err(bad(
                "window",
                self.window,
                &format!(
                    "n_sensors * window = {} * {} exceeds {MAX_WINDOW_DIM}",
                    self.n_sensors, self.window
                ),
            ));
        }
        if self.n_states == 0 {
            return Err(bad("n_states", 0, "must be at least 1"));
        }
        if self.segment_len == 0 {
            return Err(bad("segment_len", 0, "must be at least 1"));
        }
        if self.garbage_per_macro + self.motif.len() == 0 {
            return Err(bad(
                "garbage_per_macro",
                0,
                "a macro-segment needs at least one segment: give garbage segments or a motif",
            ));
        }
        if let Some(&s) = self.motif.iter().find(|&&s| s >= self.n_states) {
            return Err(bad(
                "motif",
                format!("{:?}", self.motif),
                &format!(
                    "states must be below n_states = {} (found {s})",
                    self.n_states
                ),
            ));
        }
        let steps = self
            .macro_segments
            .checked_mul(self.garbage_per_macro + self.motif.len())
            .and_then(|v| v.checked_mul(self.segment_len))
            .and_then(|v| v.checked_mul(self.n_sensors));
        if steps.is_none() {
            return Err(bad(
                "macro_segments",
                self.macro_segments,
                "the series would not fit in memory",
            ));
        }
        if self.n_steps() < self.window {
            return Err(bad(
                "window",
                self.window,
                &format!(
                    "must not exceed the series length ({} steps)",
                    self.n_steps()
                ),
            ));
        }
        Ok(())
    }
}

/// One segment of the generated series.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// The segment's (true) state.
    pub state: usize,
    /// First timestep.
    pub start: usize,
    /// Number of timesteps.
    pub len: usize,
    /// Whether the segment is part of a motif occurrence.
    pub in_motif: bool,
    /// For a perturbed segment, the state whose Gaussian was mixed in.
    pub mixed_with: Option<usize>,
}

/// A generated series with its ground truth.
#[derive(Clone, Debug)]
pub struct SynthData {
    /// Observations, `T x n` row-major.
    pub x: Vec<f64>,
    /// Number of sensors (columns of `x`).
    pub n: usize,
    /// True state per timestep.
    pub truth: Vec<usize>,
    /// Whether each timestep lies in a motif occurrence.
    pub motif_mask: Vec<bool>,
    /// Each state's true precision matrix (`n*w` square, block Toeplitz).
    pub precisions: Vec<faer::Mat<f64>>,
    /// The segments, in order.
    pub segments: Vec<Segment>,
}

impl SynthData {
    /// Number of timesteps `T`.
    pub fn n_steps(&self) -> usize {
        self.truth.len()
    }

    /// The observations as CSV: no header, one row per timestep, each value
    /// printed with Rust's shortest round-tripping representation.
    pub fn data_csv(&self) -> String {
        if self.n == 0 {
            return String::new();
        }
        const ROWS_PER_CHUNK: usize = 4096;
        let parts: Vec<String> = self
            .x
            .par_chunks(ROWS_PER_CHUNK * self.n)
            .map(|chunk| {
                let mut s = String::with_capacity(chunk.len() * 21);
                for row in chunk.chunks(self.n) {
                    for (j, v) in row.iter().enumerate() {
                        if j > 0 {
                            s.push(',');
                        }
                        // Writing to a String cannot fail.
                        let _ = write!(s, "{v}");
                    }
                    s.push('\n');
                }
                s
            })
            .collect();
        parts.concat()
    }

    /// The true state per timestep, one per line.
    pub fn truth_csv(&self) -> String {
        let mut s = String::with_capacity(self.truth.len() * 2);
        for v in &self.truth {
            let _ = writeln!(s, "{v}");
        }
        s
    }

    /// The motif mask, `0` or `1` per line.
    pub fn motif_csv(&self) -> String {
        let mut s = String::with_capacity(self.motif_mask.len() * 2);
        for &m in &self.motif_mask {
            s.push_str(if m { "1\n" } else { "0\n" });
        }
        s
    }

    /// Writes `data.csv`, `truth.csv` and `motif.csv` into `dir` (created if missing).
    pub fn write_dir(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("data.csv"), self.data_csv())?;
        std::fs::write(dir.join("truth.csv"), self.truth_csv())?;
        std::fs::write(dir.join("motif.csv"), self.motif_csv())?;
        Ok(())
    }
}

/// Random stream `stream` of `seed`.
fn stream_rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Standard normal draws by Marsaglia's polar method (two per accepted pair).
struct Normals {
    spare: Option<f64>,
}

impl Normals {
    fn new() -> Self {
        Normals { spare: None }
    }

    #[inline]
    fn next(&mut self, rng: &mut ChaCha8Rng) -> f64 {
        if let Some(v) = self.spare.take() {
            return v;
        }
        loop {
            let u = 2.0 * rng.random::<f64>() - 1.0;
            let v = 2.0 * rng.random::<f64>() - 1.0;
            let s = u * u + v * v;
            if s < 1.0 && s > 0.0 {
                let f = (-2.0 * libm::log(s) / s).sqrt();
                self.spare = Some(v * f);
                return u * f;
            }
        }
    }
}

/// Number of non-zeros for `density` among `total` candidate positions.
fn edge_count(density: f64, total: usize) -> usize {
    if total == 0 || density <= 0.0 {
        return 0;
    }
    ((density * total as f64).round() as usize).clamp(1, total)
}

/// `m` distinct indices out of `0..total`, increasing (partial Fisher-Yates).
fn choose(rng: &mut ChaCha8Rng, total: usize, m: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..total).collect();
    for i in 0..m {
        let j = rng.random_range(i..total);
        idx.swap(i, j);
    }
    idx.truncate(m);
    idx.sort_unstable();
    idx
}

/// An edge weight `+-Uniform(0.3, 0.6)`.
fn edge_weight(rng: &mut ChaCha8Rng) -> f64 {
    let magnitude = 0.3 + 0.3 * rng.random::<f64>();
    if rng.random::<bool>() {
        magnitude
    } else {
        -magnitude
    }
}

/// A random sparse block-Toeplitz positive definite precision (`nw x nw`, row-major).
fn random_precision(rng: &mut ChaCha8Rng, n: usize, w: usize, density: f64) -> Vec<f64> {
    let nw = n * w;
    let mut blocks = vec![vec![0.0; n * n]; w];
    let pairs: Vec<(usize, usize)> = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .collect();
    for e in choose(rng, pairs.len(), edge_count(density, pairs.len())) {
        let (i, j) = pairs[e];
        let v = edge_weight(rng);
        blocks[0][i * n + j] = v;
        blocks[0][j * n + i] = v;
    }
    for block in blocks.iter_mut().skip(1) {
        for e in choose(rng, n * n, edge_count(density, n * n)) {
            block[e] = edge_weight(rng);
        }
    }
    let mut theta = vec![0.0; nw * nw];
    for bi in 0..w {
        for bj in 0..w {
            for i in 0..n {
                for j in 0..n {
                    theta[(bi * n + i) * nw + bj * n + j] = if bj >= bi {
                        blocks[bj - bi][i * n + j]
                    } else {
                        blocks[bi - bj][j * n + i]
                    };
                }
            }
        }
    }
    let shift = 0.1 + min_eigenvalue_sym(&theta, nw).abs();
    for i in 0..nw {
        theta[i * nw + i] += shift;
    }
    theta
}

/// Draws the last block of a window given the previous `w - 1` rows.
struct ConditionalSampler {
    /// Mean of the last block (`n`).
    mean_c: Vec<f64>,
    /// Mean of the preceding rows (`p = (w-1) n`).
    mean_p: Vec<f64>,
    /// Regression `C_cp C_pp^{-1}`, `n x p`.
    b: Vec<f64>,
    /// Cholesky factor of the conditional covariance, `n x n`.
    l: Vec<f64>,
    /// Cholesky factor of the marginal `C_pp`, `p x p` (for the series' first rows).
    l_marginal: Vec<f64>,
}

impl ConditionalSampler {
    /// `Err((what, pivot))` when a matrix is not positive definite.
    fn new(cov: &[f64], mean: &[f64], n: usize, w: usize) -> Result<Self, (&'static str, usize)> {
        let nw = n * w;
        let p = nw - n;
        let sub = |r0: usize, c0: usize, rows: usize, cols: usize| -> Vec<f64> {
            let mut out = Vec::with_capacity(rows * cols);
            for i in 0..rows {
                out.extend_from_slice(&cov[(r0 + i) * nw + c0..(r0 + i) * nw + c0 + cols]);
            }
            out
        };
        let c_pp = sub(0, 0, p, p);
        let c_pc = sub(0, p, p, n);
        let mut s = sub(p, p, n, n);
        let l_marginal = cholesky(&c_pp, p).map_err(|k| ("window marginal covariance", k))?;
        // bt = C_pp^{-1} C_pc (p x n); b = bt^T.
        let mut bt = c_pc.clone();
        cholesky_solve(&l_marginal, p, &mut bt, n);
        let mut b = vec![0.0; n * p];
        for i in 0..n {
            for j in 0..p {
                b[i * p + j] = bt[j * n + i];
            }
        }
        for i in 0..n {
            for j in 0..n {
                let mut v = 0.0;
                for k in 0..p {
                    v += c_pc[k * n + i] * bt[k * n + j];
                }
                s[i * n + j] -= v;
            }
        }
        symmetrize(&mut s, n);
        let l = cholesky(&s, n).map_err(|k| ("conditional covariance", k))?;
        Ok(ConditionalSampler {
            mean_c: mean[p..].to_vec(),
            mean_p: mean[..p].to_vec(),
            b,
            l,
            l_marginal,
        })
    }
}

/// Generates the benchmark series described by `params` (see the module docs).
pub fn generate(params: &SynthParams) -> Result<SynthData, EvalError> {
    params.check()?;
    let n = params.n_sensors;
    let w = params.window;
    let nw = n * w;
    let k_states = params.n_states;

    // Stream 0: the states' matrices.
    let mut rng = stream_rng(params.seed, 0);
    let precisions: Vec<Vec<f64>> = (0..k_states)
        .map(|_| random_precision(&mut rng, n, w, params.density))
        .collect();
    let mut covariances = Vec::with_capacity(k_states);
    for (state, theta) in precisions.iter().enumerate() {
        let l = cholesky(theta, nw).map_err(|pivot| EvalError::NotPositiveDefinite {
            state,
            what: "precision",
            pivot,
        })?;
        covariances.push(spd_inverse(&l, nw));
    }
    let means = vec![vec![0.0; nw]; k_states];

    // Stream 1: the segment layout and the noise.
    let mut rng = stream_rng(params.seed, 1);
    let noise_states = NOISE_STATES.min(k_states);
    let per_macro = params.garbage_per_macro + params.motif.len();
    let mut segments = Vec::with_capacity(params.macro_segments * per_macro);
    let mut start = 0;
    for _ in 0..params.macro_segments {
        for j in 0..per_macro {
            let (state, in_motif) = if j < params.garbage_per_macro || !params.plant_motif {
                (rng.random_range(0..k_states), false)
            } else {
                (params.motif[j - params.garbage_per_macro], true)
            };
            let mixed_with = if rng.random_bool(params.noise) {
                Some(rng.random_range(0..noise_states))
            } else {
                None
            };
            segments.push(Segment {
                state,
                start,
                len: params.segment_len,
                in_motif,
                mixed_with,
            });
            start += params.segment_len;
        }
    }
    let t_total = start;

    // One sampler per (state, mixed-in state or none).
    let slots = noise_states + 1;
    let mut samplers = Vec::with_capacity(k_states * slots);
    for state in 0..k_states {
        for slot in 0..slots {
            let (cov, mean) = if slot == 0 {
                (covariances[state].clone(), means[state].clone())
            } else {
                let other = slot - 1;
                let d = params.delta;
                let mix = |a: &[f64], b: &[f64]| -> Vec<f64> {
                    a.iter()
                        .zip(b)
                        .map(|(x, y)| (1.0 - d) * x + d * y)
                        .collect()
                };
                (
                    mix(&covariances[state], &covariances[other]),
                    mix(&means[state], &means[other]),
                )
            };
            let sampler = ConditionalSampler::new(&cov, &mean, n, w)
                .map_err(|(what, pivot)| EvalError::NotPositiveDefinite { state, what, pivot })?;
            samplers.push(sampler);
        }
    }
    let sampler_of = |seg: &Segment| -> &ConditionalSampler {
        &samplers[seg.state * slots + seg.mixed_with.map_or(0, |o| o + 1)]
    };

    // Stream 2: the samples.
    let mut rng = stream_rng(params.seed, 2);
    let mut normals = Normals::new();
    let p = nw - n;
    let mut x = vec![0.0; t_total * n];
    let mut z = vec![0.0; p.max(n)];
    if p > 0 {
        let s = sampler_of(&segments[0]);
        for zi in z.iter_mut().take(p) {
            *zi = normals.next(&mut rng);
        }
        for (i, xi) in x[..p].iter_mut().enumerate() {
            let li = &s.l_marginal[i * p..i * p + i + 1];
            *xi = li
                .iter()
                .zip(&z[..=i])
                .fold(s.mean_p[i], |acc, (l, zj)| acc + l * zj);
        }
    }
    let mut truth = Vec::with_capacity(t_total);
    let mut motif_mask = Vec::with_capacity(t_total);
    for seg in &segments {
        truth.extend(std::iter::repeat_n(seg.state, seg.len));
        motif_mask.extend(std::iter::repeat_n(seg.in_motif, seg.len));
        let s = sampler_of(seg);
        for t in seg.start.max(w - 1)..seg.start + seg.len {
            let (before, after) = x.split_at_mut(t * n);
            let past = &before[t * n - p..];
            let out = &mut after[..n];
            for zi in z.iter_mut().take(n) {
                *zi = normals.next(&mut rng);
            }
            for (i, o) in out.iter_mut().enumerate() {
                let bi = &s.b[i * p..(i + 1) * p];
                let v = bi
                    .iter()
                    .zip(past)
                    .zip(&s.mean_p)
                    .fold(s.mean_c[i], |acc, ((b, xj), m)| acc + b * (xj - m));
                let li = &s.l[i * n..i * n + i + 1];
                *o = li.iter().zip(&z[..=i]).fold(v, |acc, (l, zj)| acc + l * zj);
            }
        }
    }

    let precisions = precisions
        .iter()
        .map(|theta| faer::Mat::from_fn(nw, nw, |i, j| theta[i * nw + j]))
        .collect();
    Ok(SynthData {
        x,
        n,
        truth,
        motif_mask,
        precisions,
        segments,
    })
}
