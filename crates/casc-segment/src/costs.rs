//! The `T x K` cost matrix (docs/method.md section 4), computed in parallel over
//! blocks of time.

use rayon::prelude::*;

use crate::StateScorer;
use crate::scorer::{Toeplitz, cap};

/// Row-major `T x K` matrix of costs: row `t` holds the cost of every state at
/// timestep `t`.
#[derive(Clone, Debug, PartialEq)]
pub struct CostMatrix {
    t: usize,
    k: usize,
    data: Vec<f64>,
}

impl CostMatrix {
    /// Wraps a row-major buffer of `t * k` costs.
    ///
    /// # Panics
    /// If `data.len() != t * k`.
    #[track_caller]
    pub fn from_vec(t: usize, k: usize, data: Vec<f64>) -> Self {
        assert_eq!(
            data.len(),
            t * k,
            "cost buffer has {} entries, expected T * K = {t} * {k}",
            data.len()
        );
        Self { t, k, data }
    }

    /// Number of timesteps `T`.
    pub fn n_steps(&self) -> usize {
        self.t
    }

    /// Number of states `K`.
    pub fn n_states(&self) -> usize {
        self.k
    }

    /// Cost of state `k` at timestep `t`.
    ///
    /// # Panics
    /// If `t >= T` or `k >= K`.
    #[track_caller]
    pub fn get(&self, t: usize, k: usize) -> f64 {
        assert!(
            t < self.t && k < self.k,
            "index ({t}, {k}) out of a {} x {} cost matrix",
            self.t,
            self.k
        );
        self.data[t * self.k + k]
    }

    /// Costs of every state at timestep `t`.
    ///
    /// # Panics
    /// If `t >= T`.
    #[track_caller]
    pub fn row(&self, t: usize) -> &[f64] {
        assert!(t < self.t, "row {t} out of a matrix of {} rows", self.t);
        &self.data[t * self.k..(t + 1) * self.k]
    }

    /// The row-major buffer.
    pub fn as_slice(&self) -> &[f64] {
        &self.data
    }

    /// The row-major buffer, by value.
    pub fn into_vec(self) -> Vec<f64> {
        self.data
    }
}

/// Computes the cost of every state at every timestep of `x` (row-major
/// `T x n`, `T = x.len() / n`).
///
/// Timestep `t` is scored with the window `x[t..t+w]` when it exists
/// (`t <= T - w`), otherwise with the marginal Gaussian of the `T - t`
/// observations that exist (docs/method.md section 2). All costs are capped at
/// [`crate::COST_CAP`]. Runs in parallel over blocks of time on the current rayon
/// pool; the result does not depend on the number of threads (every entry is
/// computed by the same sequence of operations as [`StateScorer::cost`], so the
/// two agree bit for bit).
///
/// # Panics
/// If `n == 0`, `x.len()` is not a multiple of `n`, or a scorer's `n` differs
/// from `n` or the scorers' window lengths differ.
#[track_caller]
pub fn cost_matrix(x: &[f64], n: usize, scorers: &[StateScorer]) -> CostMatrix {
    assert!(n > 0, "n (sensors) must be at least 1");
    let t = x.len() / n;
    let mut data = vec![0.0; t * scorers.len()];
    cost_matrix_into(x, n, scorers, &mut data);
    CostMatrix::from_vec(t, scorers.len(), data)
}

/// The shapes of a cost-matrix call, `(T, K, w)`, checked; `None` when there are no
/// scorers (nothing to write).
///
/// # Panics
/// As [`cost_matrix_into`].
#[track_caller]
fn check_shapes(
    x: &[f64],
    n: usize,
    scorers: &[StateScorer],
    out: &[f64],
) -> Option<(usize, usize, usize)> {
    assert!(n > 0, "n (sensors) must be at least 1");
    assert!(
        x.len().is_multiple_of(n),
        "series length {} is not a multiple of n = {n}",
        x.len()
    );
    let t_len = x.len() / n;
    let k = scorers.len();
    assert_eq!(
        out.len(),
        t_len * k,
        "output buffer has {} entries, expected T * K = {t_len} * {k}",
        out.len()
    );
    let first = scorers.first()?;
    let w = first.w();
    for (i, s) in scorers.iter().enumerate() {
        assert!(
            s.n() == n && s.w() == w,
            "scorer {i} has n = {}, w = {} but expected n = {n}, w = {w}",
            s.n(),
            s.w()
        );
    }
    Some((t_len, k, w))
}

/// Same as [`cost_matrix`], writing into `out` (row-major `T x K`, length
/// `T * K` with `K = scorers.len()`).
///
/// # Panics
/// As [`cost_matrix`], and if `out.len() != T * K`.
#[track_caller]
pub fn cost_matrix_into(x: &[f64], n: usize, scorers: &[StateScorer], out: &mut [f64]) {
    let Some((t_len, k, w)) = check_shapes(x, n, scorers, out) else {
        return;
    };
    if t_len == 0 {
        return;
    }
    let full = (t_len + 1).saturating_sub(w); // timesteps with a full window
    let (head, tail) = out.split_at_mut(full * k);
    let geom = Geometry::new(n, w, scorers);
    let arch = pulp::Arch::new();
    head.par_chunks_mut(geom.block * k)
        .enumerate()
        .for_each_init(
            || Scratch::new(&geom),
            |scratch, (ci, rows)| {
                // Compile the block kernel for the best instruction set of this
                // CPU (AVX2 + FMA when present, else SSE2). Additions and
                // multiplications are never fused, so every path gives the
                // same bits as the scalar `StateScorer::cost`.
                arch.dispatch(BlockTask {
                    x,
                    g: &geom,
                    t0: ci * geom.block,
                    len: rows.len() / k,
                    scorers,
                    scratch,
                    rows,
                });
            },
        );
    // The last w - 1 timesteps (all of them if T < w): marginals of the prefix
    // that exists.
    for (i, row) in tail.chunks_exact_mut(k).enumerate() {
        let z = &x[(full + i) * n..];
        for (o, s) in row.iter_mut().zip(scorers) {
            *o = s.cost(z);
        }
    }
}

/// The conditional costs of every timestep of `x` (row-major `T x n`): timestep `t` is
/// scored by [`StateScorer::conditional_cost`] of the window that ends at `t`, `x[t-w+1..=t]`,
/// or of the prefix `x[0..=t]` for the first `w - 1` timesteps. Row-major `T x K` into `out`;
/// in parallel over blocks of time, the same result whatever the thread count.
///
/// # Panics
/// As [`cost_matrix_into`].
#[track_caller]
pub fn conditional_cost_matrix_into(x: &[f64], n: usize, scorers: &[StateScorer], out: &mut [f64]) {
    let Some((_, k, w)) = check_shapes(x, n, scorers, out) else {
        return;
    };
    const ROWS: usize = 1024;
    out.par_chunks_mut(ROWS * k.max(1))
        .enumerate()
        .for_each(|(ci, rows)| {
            for (i, row) in rows.chunks_exact_mut(k).enumerate() {
                let t = ci * ROWS + i;
                let start = (t + 1).saturating_sub(w);
                let z = &x[start * n..(t + 1) * n];
                for (o, s) in row.iter_mut().zip(scorers) {
                    *o = s.conditional_cost(z);
                }
            }
        });
}

/// Timesteps scored together by one inner-kernel iteration (accumulators held
/// in vector registers; 32 measured faster than 8 or 16 with AVX2).
const TILE: usize = 32;
/// Target number of `f64` in a block's difference buffer (`n w x block`).
const SCRATCH_TARGET: usize = 16 * 1024;

/// Sizes of the blocked computation.
struct Geometry {
    n: usize,
    w: usize,
    nw: usize,
    /// Timesteps per block, a multiple of `TILE`.
    block: usize,
    /// Row stride of the transposed series: the block's windows, padded to whole tiles,
    /// and the `w - 1` observations the last padded one reaches
    /// (`round_up(block + w - 1, TILE) + w`).
    xt_stride: usize,
    /// Whether some state is scored through its block-Toeplitz structure, some through
    /// its Cholesky factor.
    toeplitz: bool,
    factor: bool,
}

impl Geometry {
    fn new(n: usize, w: usize, scorers: &[StateScorer]) -> Self {
        let nw = n * w;
        let toeplitz = scorers.iter().any(|s| s.toeplitz().is_some());
        let factor = scorers.iter().any(|s| s.toeplitz().is_none());
        // The Toeplitz path computes the products of `block + w - 1` observations for
        // `block` windows: blocks of at least `4 w` windows keep that overhead under a
        // quarter. Not when a state needs the factor too: its difference buffer (`n w` by
        // `block`) would grow with the block (rare: only a `Theta` fallback is not Toeplitz).
        let least = if toeplitz && !factor { 4 * w } else { 0 };
        let block = ((SCRATCH_TARGET / nw).clamp(4 * TILE, 2048).max(least)).div_ceil(TILE) * TILE;
        Self {
            n,
            w,
            nw,
            block,
            xt_stride: (block + w - 1).div_ceil(TILE) * TILE + w,
            toeplitz,
            factor,
        }
    }

    /// Observations whose pairwise products a block of `width` windows (a multiple of
    /// `TILE`) needs on the Toeplitz path, padded to whole tiles; the transposed block holds
    /// these and the `w - 1` observations after them.
    fn products(&self, width: usize) -> usize {
        (width + self.w - 1).div_ceil(TILE) * TILE
    }
}

/// Per-thread buffers, reused across blocks (no allocation per timestep).
struct Scratch {
    /// Transposed series block: `xt[c * xt_stride + b] = x[t0 + b][c]`.
    xt: Vec<f64>,
    /// Differences `d[j * width + b] = z_{t0+b}[j] - mu[j]` for the current state
    /// (Cholesky path).
    d: Vec<f64>,
    /// Centred transposed block `xt - mu_0` of the current state (Toeplitz path).
    et: Vec<f64>,
    /// Partial sums `h[l * stride + s] = sum_{m <= l} c_m g_m(t0 + s)` (Toeplitz path).
    h: Vec<f64>,
    /// Quadratic forms of the current state.
    q: Vec<f64>,
}

impl Scratch {
    fn new(g: &Geometry) -> Self {
        let tw = if g.toeplitz { g.xt_stride } else { 0 };
        Self {
            xt: vec![0.0; g.n * g.xt_stride],
            d: vec![0.0; if g.factor { g.nw * g.block } else { 0 }],
            et: vec![0.0; g.n * tw],
            h: vec![0.0; if g.toeplitz { g.w * tw } else { 0 }],
            q: vec![0.0; g.block],
        }
    }
}

/// One block of work, run by `pulp` inside a function compiled for the detected
/// instruction set (the whole kernel is inlined into it).
struct BlockTask<'a> {
    x: &'a [f64],
    g: &'a Geometry,
    t0: usize,
    len: usize,
    scorers: &'a [StateScorer],
    scratch: &'a mut Scratch,
    rows: &'a mut [f64],
}

impl pulp::WithSimd for BlockTask<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        fill_block(
            self.x,
            self.g,
            self.t0,
            self.len,
            self.scorers,
            self.scratch,
            self.rows,
        );
    }
}

/// Fills `rows` (row-major `len x K`) with the costs of the full windows at
/// timesteps `t0 .. t0 + len`.
#[inline(always)]
fn fill_block(
    x: &[f64],
    g: &Geometry,
    t0: usize,
    len: usize,
    scorers: &[StateScorer],
    scratch: &mut Scratch,
    rows: &mut [f64],
) {
    let k_states = scorers.len();
    let n = g.n;
    let width = len.div_ceil(TILE) * TILE; // padded to whole tiles
    // Transpose the observations the block's windows touch; pad with zeros (the
    // padded columns are computed and discarded).
    let span = len + g.w - 1;
    let pad = g.products(width) + g.w - 1;
    for c in 0..n {
        let dst = &mut scratch.xt[c * g.xt_stride..c * g.xt_stride + pad];
        for (b, v) in dst[..span].iter_mut().enumerate() {
            *v = x[(t0 + b) * n + c];
        }
        dst[span..].fill(0.0);
    }
    for (k, s) in scorers.iter().enumerate() {
        if let Some(tz) = s.toeplitz() {
            toeplitz_quads(tz, &s.mean()[..n], g, width, scratch);
        } else {
            // d_j = z_j - mu_j, with z_j at offset m (lag) of sensor c.
            for (j, &mu) in s.mean().iter().enumerate() {
                let (m, c) = (j / n, j % n);
                let src = &scratch.xt[c * g.xt_stride + m..][..width];
                let dst = &mut scratch.d[j * width..][..width];
                for (dv, &zv) in dst.iter_mut().zip(src) {
                    *dv = zv - mu;
                }
            }
            quad_forms(
                s.tri(),
                g.nw,
                &scratch.d[..g.nw * width],
                width,
                &mut scratch.q[..width],
            );
        }
        let log_det = s.log_det();
        for (b, &q) in scratch.q[..len].iter().enumerate() {
            rows[b * k_states + k] = cap(q - log_det);
        }
    }
}

/// `q[b]` = the quadratic form of window `t0 + b` for `b < width` from a block-Toeplitz
/// precision (see `scorer::Toeplitz`), in the operation order of `StateScorer::cost`:
/// the products `g_l(s)` of every observation pair at most `w - 1` apart once, their
/// partial sums over `l`, then each window's sum along its anti-diagonal.
#[inline(always)]
fn toeplitz_quads(tz: &Toeplitz, mu0: &[f64], g: &Geometry, width: usize, scratch: &mut Scratch) {
    let (n, w, stride) = (g.n, g.w, g.xt_stride);
    let gw = g.products(width);
    let Scratch { xt, et, h, q, .. } = scratch;
    for (c, &m) in mu0.iter().enumerate() {
        let src = &xt[c * stride..][..gw + w - 1];
        let dst = &mut et[c * stride..][..gw + w - 1];
        for (e, &v) in dst.iter_mut().zip(src) {
            *e = v - m;
        }
    }
    for l in 0..w {
        let blk = &tz.blocks[l * n * n..(l + 1) * n * n];
        for s0 in (0..gw).step_by(TILE) {
            let mut acc = [0.0f64; TILE];
            for a in 0..n {
                let mut y = [0.0f64; TILE];
                for b in 0..n {
                    let coef = blk[a * n + b];
                    let eb = &et[b * stride + s0 + l..][..TILE];
                    for r in 0..TILE {
                        y[r] += coef * eb[r];
                    }
                }
                let ea = &et[a * stride + s0..][..TILE];
                for r in 0..TILE {
                    acc[r] += ea[r] * y[r];
                }
            }
            if l == 0 {
                let out = &mut h[s0..][..TILE];
                for r in 0..TILE {
                    out[r] = 0.0 + acc[r];
                }
            } else {
                let (before, rest) = h.split_at_mut(l * stride);
                let prev = &before[(l - 1) * stride + s0..][..TILE];
                let out = &mut rest[s0..][..TILE];
                for r in 0..TILE {
                    out[r] = prev[r] + (acc[r] + acc[r]);
                }
            }
        }
    }
    let q = &mut q[..width];
    q.fill(0.0);
    for i in 0..w {
        let row = &h[(w - 1 - i) * stride + i..][..width];
        for (qv, &hv) in q.iter_mut().zip(row) {
            *qv += hv;
        }
    }
}

/// `q[b] = ||U^T d_b||^2` for every column `b` of `d` (`p x width`, row-major,
/// `width` a multiple of `TILE`), with `tri` the packed lower triangle of `U^T`.
///
/// Operation order per column is the one of [`StateScorer::cost`].
#[inline(always)]
fn quad_forms(tri: &[f64], p: usize, d: &[f64], width: usize, q: &mut [f64]) {
    for (b0, qt) in (0..width).step_by(TILE).zip(q.chunks_exact_mut(TILE)) {
        let mut acc = [0.0f64; TILE];
        let mut off = 0;
        for i in 0..p {
            let row = &tri[off..off + i + 1];
            off += i + 1;
            let mut y = [0.0f64; TILE];
            for (j, &l) in row.iter().enumerate() {
                let dj = &d[j * width + b0..][..TILE];
                for r in 0..TILE {
                    y[r] += l * dj[r];
                }
            }
            for r in 0..TILE {
                acc[r] += y[r] * y[r];
            }
        }
        qt.copy_from_slice(&acc);
    }
}
