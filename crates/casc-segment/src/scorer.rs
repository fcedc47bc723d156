//! One state's Gaussian prepared for scoring windows: a reverse Cholesky factor
//! whose leading blocks are the factors of the marginal precisions.

use crate::SegmentError;

/// `-ln(1e-320)`, about 736.827: the cap applied to every cost.
///
/// The reference implementation clamps each cost at this value; it bounds the
/// damage a single outlier can do to an assignment. Costs that are NaN (only
/// possible from non-finite data) are also replaced by the cap.
// Checked against `-(1e-320f64).ln()` by a unit test.
pub const COST_CAP: f64 = 736.827_240_890_973_9;

/// Applies [`COST_CAP`]: `min(c, COST_CAP)`, with NaN mapped to the cap.
#[inline(always)]
pub(crate) fn cap(c: f64) -> f64 {
    if c < COST_CAP { c } else { COST_CAP }
}

/// A state's Gaussian prepared for scoring windows.
///
/// With `p = n * w`, the precision is factored as `Theta = U U^T` with `U`
/// **upper** triangular (a Cholesky factorisation that eliminates the last
/// variable first). Because the Schur complement of the trailing block
/// `Theta_BB` in `Theta` is the leading block of `U U^T` restricted to `U`'s
/// leading block, the leading `k*n x k*n` block `U_k` of `U` is a Cholesky factor
/// of the marginal precision of the first `k` observations of the window
/// (`(Sigma_{1:kn,1:kn})^{-1}` with `Sigma = Theta^{-1}`). So one factor serves the
/// full window (`k = w`) and every marginal (`k = 1..w-1`): the cost of a
/// window prefix `z` of length `k*n` is `||U_k^T (z - mu_{1:kn})||^2 - ln det`
/// of the marginal precision, and the log-determinants are prefix sums of
/// `2 ln U_ii`.
///
/// `U^T` is stored as a packed lower triangle, row-major (row `i` holds
/// `U_{0,i} .. U_{i,i}`), so that row `i` of `U^T (z - mu)` is a contiguous dot
/// product over the first `i + 1` entries.
#[derive(Clone, Debug)]
pub struct StateScorer {
    n: usize,
    w: usize,
    mean: Vec<f64>,
    /// Packed lower triangle of `U^T`, row-major, length `p (p + 1) / 2`.
    tri: Vec<f64>,
    /// `log_dets[k - 1]` = ln det of the marginal precision of the first `k`
    /// observations, `k = 1..=w`; `log_dets[w - 1]` is ln det Theta.
    log_dets: Vec<f64>,
    /// The precision's first block row when it is exactly block Toeplitz (as the
    /// graphical lasso's `Z` is): full windows are then scored from it.
    toeplitz: Option<Toeplitz>,
}

/// The shortest window scored through the block-Toeplitz structure.
const MIN_TOEPLITZ_WINDOW: usize = 3;

/// An exactly block-Toeplitz precision with a stationary mean, kept by its first block row
/// `A_0 .. A_{w-1}` (block `(i, j)` is `A_{j-i}` above the diagonal and its transpose below).
///
/// The quadratic form of a window then splits into products of two observations at most
/// `w - 1` apart, `g_l(s) = e_s^T A_l e_{s+l}` with `e_s = x_s - mu_0`, which overlapping
/// windows share: `e^T Theta e = sum_i sum_{l <= w-1-i} c_l g_l(t + i)` with `c_0 = 1`,
/// `c_l = 2`. Scoring every window costs `O(w n^2)` per timestep this way, against
/// `O(w^2 n^2)` through the Cholesky factor. A mean that differs between positions of the
/// window is left to the factor: its offset would enter as `-2 (Theta delta)^T e + delta^T
/// Theta delta`, a difference of large terms when `delta` is large beside `z - mu`.
#[derive(Clone, Debug)]
pub(crate) struct Toeplitz {
    /// `blocks[(l * n + a) * n + b] = Theta[a][l n + b]`, `l = 0..w`.
    pub(crate) blocks: Vec<f64>,
}

impl Toeplitz {
    /// The first block row of `precision` when every block equals it (or its transpose
    /// below the diagonal) bit for bit, `A_0` is symmetric bit for bit and the mean is the same
    /// at every position of the window; `None` otherwise.
    fn of(precision: faer::MatRef<'_, f64>, mean: &[f64], n: usize, w: usize) -> Option<Self> {
        // Below three observations the factor is as cheap (`w n^2` against `nw (nw + 1) / 2`).
        if w < MIN_TOEPLITZ_WINDOW {
            return None;
        }
        if (0..n * w).any(|j| mean[j].to_bits() != mean[j % n].to_bits()) {
            return None;
        }
        let p = n * w;
        let at = |r: usize, c: usize| *precision.get(r, c);
        for bi in 0..w {
            for bj in 0..w {
                for a in 0..n {
                    for b in 0..n {
                        let want = if bj >= bi {
                            at(a, (bj - bi) * n + b)
                        } else {
                            at(b, (bi - bj) * n + a)
                        };
                        if at(bi * n + a, bj * n + b).to_bits() != want.to_bits() {
                            return None;
                        }
                    }
                }
            }
        }
        for a in 0..n {
            for b in 0..a {
                if at(a, b).to_bits() != at(b, a).to_bits() {
                    return None;
                }
            }
        }
        let mut blocks = Vec::with_capacity(n * p);
        for l in 0..w {
            for a in 0..n {
                for b in 0..n {
                    blocks.push(at(a, l * n + b));
                }
            }
        }
        Some(Self { blocks })
    }
}

impl StateScorer {
    /// Prepares a state with mean `mean` (length `n * w`) and precision `precision`
    /// (`n*w x n*w`, symmetric positive definite) over windows of `w`
    /// observations of `n` sensors.
    ///
    /// # Errors
    /// [`SegmentError`] if `n` or `w` is zero, a size is wrong, an entry is not
    /// finite, the precision is not symmetric (relative tolerance 1e-8 of its
    /// largest entry; the two triangles are averaged otherwise) or not positive
    /// definite.
    pub fn new(
        mean: &[f64],
        precision: faer::MatRef<'_, f64>,
        n: usize,
        w: usize,
    ) -> Result<Self, SegmentError> {
        if n == 0 || w == 0 {
            return Err(SegmentError::ZeroDimension { n, w });
        }
        let p = n * w;
        if mean.len() != p {
            return Err(SegmentError::MeanLength {
                expected: p,
                got: mean.len(),
            });
        }
        if precision.nrows() != p || precision.ncols() != p {
            return Err(SegmentError::PrecisionShape {
                expected: p,
                rows: precision.nrows(),
                cols: precision.ncols(),
            });
        }
        if let Some((index, &value)) = mean.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(SegmentError::NonFiniteMean { index, value });
        }
        let mut max_abs = 0.0f64;
        for col in 0..p {
            for row in 0..p {
                let value = *precision.get(row, col);
                if !value.is_finite() {
                    return Err(SegmentError::NonFinitePrecision { row, col, value });
                }
                max_abs = max_abs.max(value.abs());
            }
        }
        let tol = 1e-8 * max_abs;
        for row in 0..p {
            for col in row + 1..p {
                let upper = *precision.get(row, col);
                let lower = *precision.get(col, row);
                if (upper - lower).abs() > tol {
                    return Err(SegmentError::NotSymmetric {
                        row,
                        col,
                        upper,
                        lower,
                    });
                }
            }
        }

        // Reverse the variable order, factor with a standard (left-looking)
        // Cholesky `A = L L^T`, then `U = J L J`, i.e. `U_ij = L[p-1-i][p-1-j]`.
        let rev = |i: usize| p - 1 - i;
        let mut l = vec![0.0f64; p * p]; // row-major dense lower triangle of L
        for j in 0..p {
            let mut d = *precision.get(rev(j), rev(j));
            for k in 0..j {
                d -= l[j * p + k] * l[j * p + k];
            }
            if !(d > 0.0 && d.is_finite()) {
                return Err(SegmentError::NotPositiveDefinite {
                    index: rev(j),
                    pivot: d,
                });
            }
            let ljj = d.sqrt();
            l[j * p + j] = ljj;
            for i in j + 1..p {
                let a = 0.5 * (precision.get(rev(i), rev(j)) + precision.get(rev(j), rev(i)));
                let mut s = a;
                for k in 0..j {
                    s -= l[i * p + k] * l[j * p + k];
                }
                l[i * p + j] = s / ljj;
            }
        }
        // (U^T)_ij = U_ji = L[p-1-j][p-1-i] for j <= i.
        let mut tri = Vec::with_capacity(p * (p + 1) / 2);
        for i in 0..p {
            for j in 0..=i {
                tri.push(l[rev(j) * p + rev(i)]);
            }
        }
        let mut log_dets = Vec::with_capacity(w);
        let mut acc = 0.0f64;
        for i in 0..p {
            acc += 2.0 * l[rev(i) * p + rev(i)].ln();
            if (i + 1).is_multiple_of(n) {
                log_dets.push(acc);
            }
        }
        Ok(Self {
            n,
            w,
            mean: mean.to_vec(),
            tri,
            log_dets,
            toeplitz: Toeplitz::of(precision, mean, n, w),
        })
    }

    /// Number of sensors `n`.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Window length `w` (in observations).
    pub fn w(&self) -> usize {
        self.w
    }

    /// `ln det Theta` of the full precision.
    pub fn log_det(&self) -> f64 {
        self.log_dets[self.w - 1]
    }

    /// `ln det` of the marginal precision of the first `k` observations of the
    /// window (`k = w` gives [`Self::log_det`]).
    ///
    /// # Panics
    /// If `k` is not in `1..=w`.
    #[track_caller]
    pub fn marginal_log_det(&self, k: usize) -> f64 {
        assert!(
            (1..=self.w).contains(&k),
            "k = {k} must be in 1..={}",
            self.w
        );
        self.log_dets[k - 1]
    }

    /// The state's mean (length `n * w`).
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// Cost of one window `z` of length `k * n`, `k = 1..=w`:
    /// `(z - mu)^T Theta (z - mu) - ln det Theta`, where for `k < w` the mean and
    /// precision are those of the marginal of the first `k` observations; capped
    /// at [`COST_CAP`].
    ///
    /// # Panics
    /// If `z.len()` is not `k * n` for some `k` in `1..=w`.
    #[track_caller]
    pub fn cost(&self, z: &[f64]) -> f64 {
        let len = z.len();
        assert!(
            len > 0 && len.is_multiple_of(self.n) && len / self.n <= self.w,
            "window length {len} is not k * n for k in 1..={} (n = {})",
            self.w,
            self.n
        );
        let k = len / self.n;
        if k == self.w
            && let Some(tz) = &self.toeplitz
        {
            return cap(self.toeplitz_quad(tz, z) - self.log_dets[k - 1]);
        }
        // Same operation order as the block kernel in `costs.rs`, so both give
        // bit-identical results.
        let mut q = 0.0f64;
        for i in 0..len {
            let y = self.whitened(z, i);
            q += y * y;
        }
        cap(q - self.log_dets[k - 1])
    }

    /// `(z - mu)^T Theta (z - mu)` of a full window from the first block row, in the
    /// operation order of the block kernel in `costs.rs` (bit-identical results).
    fn toeplitz_quad(&self, tz: &Toeplitz, z: &[f64]) -> f64 {
        let (n, w) = (self.n, self.w);
        let e = |j: usize| z[j] - self.mean[j % n];
        let mut q = 0.0f64;
        for i in 0..w {
            let mut h = 0.0f64;
            for l in 0..w - i {
                let blk = &tz.blocks[l * n * n..(l + 1) * n * n];
                let mut g = 0.0f64;
                for a in 0..n {
                    let mut y = 0.0f64;
                    for b in 0..n {
                        y += blk[a * n + b] * e((i + l) * n + b);
                    }
                    g += e(i * n + a) * y;
                }
                h = if l == 0 { h + g } else { h + (g + g) };
            }
            q += h;
        }
        q
    }

    /// Cost of the last observation of `z` (length `k * n`, `k = 1..=w`) given the `k - 1`
    /// before it: `-2 ln p(x_last | x_before)` without the constant, under the marginal of the
    /// first `k` observations (the chain rule's factor: the costs of a recording's timesteps
    /// then sum to its log-likelihood under one state, each observation counted once, where
    /// the window costs of [`Self::cost`] count each observation `w` times). Equal to
    /// `cost(z) - cost(z without its last observation)`, computed from the factor's last `n`
    /// rows in `O(n k n)`; capped at [`COST_CAP`].
    ///
    /// # Panics
    /// If `z.len()` is not `k * n` for some `k` in `1..=w`.
    #[track_caller]
    pub fn conditional_cost(&self, z: &[f64]) -> f64 {
        let len = z.len();
        assert!(
            len > 0 && len.is_multiple_of(self.n) && len / self.n <= self.w,
            "window length {len} is not k * n for k in 1..={} (n = {})",
            self.w,
            self.n
        );
        let k = len / self.n;
        let first = len - self.n;
        let mut q = 0.0f64;
        for i in first..len {
            let y = self.whitened(z, i);
            q += y * y;
        }
        let before = if k > 1 { self.log_dets[k - 2] } else { 0.0 };
        cap(q - (self.log_dets[k - 1] - before))
    }

    /// The whitened residual of the last observation of `z` given the ones before it: the
    /// `n` values whose squared sum is [`Self::conditional_cost`] before the log-determinant
    /// (independent standard normals when the state's model is right), into `out`.
    ///
    /// # Panics
    /// If `z.len()` is not `k * n` for some `k` in `1..=w`, or `out.len() != n`.
    #[track_caller]
    pub fn conditional_residual(&self, z: &[f64], out: &mut [f64]) {
        let len = z.len();
        assert!(
            len > 0 && len.is_multiple_of(self.n) && len / self.n <= self.w && out.len() == self.n,
            "window length {len} is not k * n for k in 1..={} (n = {}), or out is not n long",
            self.w,
            self.n
        );
        let first = len - self.n;
        for (o, i) in out.iter_mut().zip(first..len) {
            *o = self.whitened(z, i);
        }
    }

    /// Entry `i` of `U^T (z - mu)`: row `i` of the packed triangle (its `i + 1` entries)
    /// against the first `i + 1` values of `z - mu`, summed in order.
    #[inline]
    fn whitened(&self, z: &[f64], i: usize) -> f64 {
        let off = i * (i + 1) / 2;
        let row = &self.tri[off..off + i + 1];
        let mut y = 0.0f64;
        for ((&l, &zj), &mj) in row.iter().zip(z).zip(&self.mean) {
            y += l * (zj - mj);
        }
        y
    }

    /// Packed lower triangle of `U^T` (row `i` has `i + 1` entries).
    pub(crate) fn tri(&self) -> &[f64] {
        &self.tri
    }

    /// The first block row of an exactly block-Toeplitz precision.
    pub(crate) fn toeplitz(&self) -> Option<&Toeplitz> {
        self.toeplitz.as_ref()
    }

    /// Whether full windows are scored from the precision's block-Toeplitz structure
    /// (`O(w n^2)` per timestep in [`crate::cost_matrix`] instead of `O(w^2 n^2)`):
    /// true when the precision is exactly block Toeplitz, as the graphical lasso's is, the
    /// mean is stationary (the default) and the window has at least 3 observations (below,
    /// the factor is as cheap).
    pub fn is_block_toeplitz(&self) -> bool {
        self.toeplitz.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_cap_is_minus_ln_1e_320() {
        assert_eq!(COST_CAP, -(1e-320f64).ln());
    }

    #[test]
    fn one_dimensional_hand_computed() {
        // Theta = 4, mu = 1, z = 2: (1)^2 * 4 - ln 4.
        let theta = faer::Mat::from_fn(1, 1, |_, _| 4.0);
        let s = StateScorer::new(&[1.0], theta.as_ref(), 1, 1).unwrap();
        assert!((s.cost(&[2.0]) - (4.0 - 4f64.ln())).abs() < 1e-14);
        assert!((s.log_det() - 4f64.ln()).abs() < 1e-14);
        // Far away: capped.
        assert_eq!(s.cost(&[1e6]), COST_CAP);
        assert_eq!(s.cost(&[f64::NAN]), COST_CAP);
    }

    #[test]
    fn two_step_marginal_hand_computed() {
        // n = 1, w = 2, Theta = [[2, 1], [1, 2]]: Sigma = [[2, -1], [-1, 2]] / 3,
        // marginal of the first observation has variance 2/3, precision 3/2.
        let theta = faer::Mat::from_fn(2, 2, |i, j| if i == j { 2.0 } else { 1.0 });
        let s = StateScorer::new(&[0.5, -0.5], theta.as_ref(), 1, 2).unwrap();
        assert!((s.log_det() - 3f64.ln()).abs() < 1e-14);
        assert!((s.marginal_log_det(1) - 1.5f64.ln()).abs() < 1e-14);
        let z = [1.5, 0.5];
        // d = [1, 1], d^T Theta d = 2 + 2 + 2 = 6.
        assert!((s.cost(&z) - (6.0 - 3f64.ln())).abs() < 1e-13);
        assert!((s.cost(&z[..1]) - (1.5 - 1.5f64.ln())).abs() < 1e-13);
    }

    #[test]
    fn errors_instead_of_panics() {
        let not_pd = faer::Mat::from_fn(2, 2, |i, j| if i == j { 1.0 } else { 2.0 });
        assert!(matches!(
            StateScorer::new(&[0.0, 0.0], not_pd.as_ref(), 2, 1),
            Err(SegmentError::NotPositiveDefinite { .. })
        ));
        let eye = faer::Mat::<f64>::identity(2, 2);
        assert!(matches!(
            StateScorer::new(&[0.0], eye.as_ref(), 2, 1),
            Err(SegmentError::MeanLength { .. })
        ));
        assert!(matches!(
            StateScorer::new(&[0.0, 0.0, 0.0], eye.as_ref(), 3, 1),
            Err(SegmentError::PrecisionShape { .. })
        ));
        assert!(matches!(
            StateScorer::new(&[0.0, f64::NAN], eye.as_ref(), 2, 1),
            Err(SegmentError::NonFiniteMean { index: 1, .. })
        ));
        let nan = faer::Mat::from_fn(2, 2, |i, j| if (i, j) == (1, 0) { f64::NAN } else { 1.0 });
        assert!(matches!(
            StateScorer::new(&[0.0, 0.0], nan.as_ref(), 2, 1),
            Err(SegmentError::NonFinitePrecision { row: 1, col: 0, .. })
        ));
        let asym = faer::Mat::from_fn(2, 2, |i, j| {
            if (i, j) == (0, 1) {
                0.5
            } else if i == j {
                1.0
            } else {
                0.0
            }
        });
        assert!(matches!(
            StateScorer::new(&[0.0, 0.0], asym.as_ref(), 2, 1),
            Err(SegmentError::NotSymmetric { row: 0, col: 1, .. })
        ));
        assert!(matches!(
            StateScorer::new(&[], faer::Mat::<f64>::new().as_ref(), 0, 1),
            Err(SegmentError::ZeroDimension { .. })
        ));
        let zero = faer::Mat::<f64>::zeros(2, 2);
        assert!(matches!(
            StateScorer::new(&[0.0, 0.0], zero.as_ref(), 1, 2),
            Err(SegmentError::NotPositiveDefinite { .. })
        ));
    }
}
