//! Empirical mean and covariance (divide by the count) of stacked windows.

use faer::linalg::matmul::triangular::{BlockStructure, matmul};
use faer::{Accum, Mat, Par};

/// Rows gathered before each blocked update; large enough for matrix-product speed,
/// small enough to stay in cache.
const CHUNK: usize = 64;

/// Mean and covariance (dividing by the number of rows, not rows - 1) of `rows`, each a
/// stacked window of length `dim`. Returns `None` when there are no rows.
///
/// Rows are processed in chunks: each chunk is centred on its own mean and merged with
/// the running result by Chan et al.'s pairwise update, which avoids the cancellation of
/// the `E[xx^T] - mu mu^T` formula. The result is exactly symmetric and does not depend
/// on thread count.
///
/// # Panics
/// When a row's length is not `dim`.
#[track_caller]
pub fn mean_and_covariance<'a, I: IntoIterator<Item = &'a [f64]>>(
    rows: I,
    dim: usize,
) -> Option<(Vec<f64>, Mat<f64>)> {
    let mut acc = Accumulator::new(dim);
    for row in rows {
        acc.push(row);
    }
    acc.finish()
}

/// Streaming state: merged mean and scatter (sum of centred outer products) plus one
/// pending chunk.
struct Accumulator {
    dim: usize,
    count: usize,
    mean: Vec<f64>,
    /// Lower triangle of the merged scatter matrix.
    scatter: Mat<f64>,
    /// Pending rows, one per row of the matrix (`CHUNK x dim`).
    chunk: Mat<f64>,
    filled: usize,
    chunk_scatter: Mat<f64>,
    chunk_mean: Vec<f64>,
}

impl Accumulator {
    fn new(dim: usize) -> Self {
        Self {
            dim,
            count: 0,
            mean: vec![0.0; dim],
            scatter: Mat::zeros(dim, dim),
            chunk: Mat::zeros(CHUNK, dim),
            filled: 0,
            chunk_scatter: Mat::zeros(dim, dim),
            chunk_mean: vec![0.0; dim],
        }
    }

    #[track_caller]
    fn push(&mut self, row: &[f64]) {
        assert!(
            row.len() == self.dim,
            "row of length {} where the stacked window has length {}",
            row.len(),
            self.dim
        );
        for (j, &x) in row.iter().enumerate() {
            self.chunk[(self.filled, j)] = x;
        }
        self.filled += 1;
        if self.filled == CHUNK {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let m = self.filled;
        if m == 0 {
            return;
        }
        let dim = self.dim;
        let mut block = self.chunk.as_mut().subrows_mut(0, m);
        for j in 0..dim {
            let mut s = 0.0;
            for i in 0..m {
                s += block[(i, j)];
            }
            let mu = s / m as f64;
            self.chunk_mean[j] = mu;
            for i in 0..m {
                block[(i, j)] -= mu;
            }
        }
        let block = self.chunk.as_ref().subrows(0, m);
        matmul(
            self.chunk_scatter.as_mut(),
            BlockStructure::TriangularLower,
            Accum::Replace,
            block.transpose(),
            BlockStructure::Rectangular,
            block,
            BlockStructure::Rectangular,
            1.0,
            Par::Seq,
        );
        let na = self.count as f64;
        let nb = m as f64;
        let total = na + nb;
        let weight = na * nb / total;
        for j in 0..dim {
            let dj = self.chunk_mean[j] - self.mean[j];
            for i in j..dim {
                let di = self.chunk_mean[i] - self.mean[i];
                self.scatter[(i, j)] += self.chunk_scatter[(i, j)] + weight * di * dj;
            }
        }
        for j in 0..dim {
            self.mean[j] += (self.chunk_mean[j] - self.mean[j]) * nb / total;
        }
        self.count += m;
        self.filled = 0;
    }

    fn finish(mut self) -> Option<(Vec<f64>, Mat<f64>)> {
        self.flush();
        if self.count == 0 {
            return None;
        }
        let inv = 1.0 / self.count as f64;
        let dim = self.dim;
        let mut cov = Mat::zeros(dim, dim);
        for j in 0..dim {
            for i in j..dim {
                let v = self.scatter[(i, j)] * inv;
                cov[(i, j)] = v;
                cov[(j, i)] = v;
            }
        }
        Some((self.mean, cov))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_rows_gives_none() {
        let rows: Vec<&[f64]> = Vec::new();
        assert!(mean_and_covariance(rows, 3).is_none());
    }

    #[test]
    fn one_row_has_zero_covariance() {
        let r = [1.0, -2.0];
        let (mu, cov) = mean_and_covariance([&r[..]], 2).unwrap();
        assert_eq!(mu, vec![1.0, -2.0]);
        assert!(cov.col_iter().all(|c| c.iter().all(|&x| x == 0.0)));
    }

    #[test]
    fn two_points_by_hand() {
        // Points (0, 0) and (2, 4): mean (1, 2), covariance [[1, 2], [2, 4]] (divide by 2).
        let a = [0.0, 0.0];
        let b = [2.0, 4.0];
        let (mu, cov) = mean_and_covariance([&a[..], &b[..]], 2).unwrap();
        assert_eq!(mu, vec![1.0, 2.0]);
        assert_eq!(cov[(0, 0)], 1.0);
        assert_eq!(cov[(0, 1)], 2.0);
        assert_eq!(cov[(1, 0)], 2.0);
        assert_eq!(cov[(1, 1)], 4.0);
    }

    #[test]
    #[should_panic(expected = "stacked window has length 3")]
    fn wrong_row_length_panics() {
        let r = [1.0, 2.0];
        let _ = mean_and_covariance([&r[..]], 3);
    }
}
