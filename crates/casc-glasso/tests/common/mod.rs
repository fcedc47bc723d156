//! Shared helpers of the integration tests: a seeded generator and test data.

#![allow(dead_code)]

use casc_glasso::{BlockShape, mean_and_covariance};
use faer::Mat;

/// SplitMix64: a tiny seeded generator, enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

/// A `t x n` series (row-major): a coupled AR(1) process with uniform noise.
pub fn series(rng: &mut Rng, t: usize, n: usize) -> Vec<f64> {
    let coupling: Vec<f64> = (0..n * n).map(|_| 0.4 * rng.uniform() / n as f64).collect();
    let mut x = vec![0.0; t * n];
    for step in 0..t {
        for s in 0..n {
            let mut v = rng.uniform();
            if step > 0 {
                for r in 0..n {
                    v += (if r == s { 0.5 } else { 0.0 } + coupling[s * n + r])
                        * x[(step - 1) * n + r];
                }
            }
            x[step * n + s] = v;
        }
    }
    x
}

/// The stacked windows of a row-major `t x n` series, each a slice of length `n * w`.
pub fn windows(x: &[f64], shape: BlockShape) -> impl Iterator<Item = &[f64]> {
    let n = shape.n;
    let t = x.len() / n.max(1);
    let count = (t + 1).saturating_sub(shape.w);
    (0..count).map(move |s| &x[s * n..(s + shape.w) * n])
}

/// Empirical covariance of the stacked windows of a random series.
pub fn random_covariance(seed: u64, t: usize, shape: BlockShape) -> Mat<f64> {
    let mut rng = Rng::new(seed);
    let x = series(&mut rng, t, shape.n);
    mean_and_covariance(windows(&x, shape), shape.dim())
        .expect("at least one window")
        .1
}

pub fn max_abs_diff(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    let mut m = 0.0f64;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            m = m.max((a[(i, j)] - b[(i, j)]).abs());
        }
    }
    m
}

pub fn max_abs(a: &Mat<f64>) -> f64 {
    let mut m = 0.0f64;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            m = m.max(a[(i, j)].abs());
        }
    }
    m
}

pub fn count_zeros(a: &Mat<f64>) -> usize {
    let mut k = 0;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            if a[(i, j)] == 0.0 {
                k += 1;
            }
        }
    }
    k
}

/// Inverse of a symmetric positive definite matrix by Cholesky.
pub fn spd_inverse(m: &Mat<f64>) -> Mat<f64> {
    use faer::linalg::solvers::Solve;
    let llt = m.llt(faer::Side::Lower).expect("positive definite");
    llt.solve(Mat::<f64>::identity(m.nrows(), m.ncols()))
}

/// Stationarity of the problem restricted to the Toeplitz subspace: for each group of
/// tied entries, the sum of `S - Theta^{-1}` over the group is `-lambda * sign * |group|`
/// where the group is non-zero and at most `lambda * |group|` in size where it is zero.
pub fn check_kkt(s: &Mat<f64>, theta: &Mat<f64>, shape: BlockShape, lambda: f64, tol: f64) {
    let n = shape.n;
    let dim = shape.dim();
    let g = s - spd_inverse(theta);
    // Group key: (offset, r, c) with the diagonal block keyed symmetrically.
    let key = |a: usize, b: usize| {
        let (bi, r, bj, c) = (a / n, a % n, b / n, b % n);
        if bi > bj {
            (bi - bj, r, c)
        } else if bi < bj {
            (bj - bi, c, r)
        } else {
            (0, r.max(c), r.min(c))
        }
    };
    let mut groups: std::collections::BTreeMap<(usize, usize, usize), (f64, usize, f64)> =
        Default::default();
    for b in 0..dim {
        for a in 0..dim {
            let e = groups.entry(key(a, b)).or_insert((0.0, 0, theta[(a, b)]));
            e.0 += g[(a, b)];
            e.1 += 1;
            assert_eq!(e.2, theta[(a, b)], "not Toeplitz at ({a}, {b})");
        }
    }
    assert_eq!(groups.len(), shape.free_entries());
    for (k, (sum, size, value)) in groups {
        let size = size as f64;
        if value == 0.0 {
            assert!(
                sum.abs() <= lambda * size + tol,
                "group {k:?}: |{sum}| > {}",
                lambda * size
            );
        } else {
            let expected = -lambda * value.signum() * size;
            assert!(
                (sum - expected).abs() <= tol,
                "group {k:?}: {sum} != {expected}"
            );
        }
    }
}
