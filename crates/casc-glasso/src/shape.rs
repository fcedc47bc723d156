//! Block shapes of stacked windows and the block-Toeplitz structure test.

use faer::MatRef;

/// The shape of a stacked window: `w` consecutive observations of `n` sensors, so
/// matrices over it are `n*w x n*w`, made of `w x w` blocks of size `n x n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockShape {
    /// Number of sensors (side of one block).
    pub n: usize,
    /// Window length (number of blocks per side).
    pub w: usize,
}

impl BlockShape {
    /// A shape of `n` sensors and window `w` (both may be any size; zero gives an empty matrix).
    pub fn new(n: usize, w: usize) -> Self {
        Self { n, w }
    }

    /// The side length `n * w` of matrices over this shape.
    pub fn dim(&self) -> usize {
        self.n * self.w
    }

    /// Number of free entries of a symmetric block-Toeplitz matrix of this shape:
    /// `n(n+1)/2` for the diagonal block plus `n^2` for each of the `w - 1` other offsets.
    pub fn free_entries(&self) -> usize {
        if self.w == 0 {
            return 0;
        }
        self.n * (self.n + 1) / 2 + (self.w - 1) * self.n * self.n
    }

    /// The canonical representative `(row, col)` of the Toeplitz group that entry `(a, b)`
    /// belongs to: the entry of the first block column with the same block offset, taken in
    /// the lower triangle for the diagonal block.
    #[inline]
    pub(crate) fn canonical(&self, a: usize, b: usize) -> (usize, usize) {
        let n = self.n;
        let (bi, r) = (a / n, a % n);
        let (bj, c) = (b / n, b % n);
        if bi > bj {
            ((bi - bj) * n + r, c)
        } else if bi < bj {
            ((bj - bi) * n + c, r)
        } else {
            (r.max(c), r.min(c))
        }
    }
}

/// True when `m` is symmetric block Toeplitz for `shape` up to `tol` (absolute): block
/// `(i,j)` depends only on `i - j` and block `(i,j)` is the transpose of block `(j,i)`.
/// With `tol = 0.0` the structure must hold exactly. A matrix of the wrong size gives false.
pub fn is_block_toeplitz(m: MatRef<'_, f64>, shape: BlockShape, tol: f64) -> bool {
    let dim = shape.dim();
    if m.nrows() != dim || m.ncols() != dim {
        return false;
    }
    for b in 0..dim {
        for a in 0..dim {
            let (ca, cb) = shape.canonical(a, b);
            let x = m[(a, b)];
            let y = m[(ca, cb)];
            // NaN compares as not-within-tolerance.
            let within = (x - y).abs() <= tol;
            if !within {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;

    fn toeplitz_from_blocks(shape: BlockShape, f: impl Fn(usize, usize, usize) -> f64) -> Mat<f64> {
        // f(d, r, c): entry (r, c) of the block at offset d (d = 0 symmetric).
        let n = shape.n;
        Mat::from_fn(shape.dim(), shape.dim(), |a, b| {
            let (ca, cb) = shape.canonical(a, b);
            f(ca / n, ca % n, cb)
        })
    }

    #[test]
    fn free_entries_by_hand() {
        assert_eq!(BlockShape::new(3, 1).free_entries(), 6);
        assert_eq!(BlockShape::new(2, 3).free_entries(), 3 + 2 * 4);
        assert_eq!(BlockShape::new(2, 3).dim(), 6);
    }

    #[test]
    fn built_toeplitz_is_recognised_and_perturbation_is_not() {
        let shape = BlockShape::new(2, 3);
        let m = toeplitz_from_blocks(shape, |d, r, c| (d * 10 + r * 3 + c) as f64 + 0.5);
        assert!(is_block_toeplitz(m.as_ref(), shape, 0.0));
        // Block (1,0) must equal block (2,1) and block (0,1) its transpose.
        assert_eq!(m[(2, 1)], m[(4, 3)]);
        assert_eq!(m[(2, 1)], m[(1, 2)]);
        let mut p = m.clone();
        p[(5, 2)] += 1e-3;
        assert!(!is_block_toeplitz(p.as_ref(), shape, 0.0));
        assert!(is_block_toeplitz(p.as_ref(), shape, 2e-3));
        let mut q = m.clone();
        q[(0, 0)] = f64::NAN;
        assert!(!is_block_toeplitz(q.as_ref(), shape, 1.0));
        assert!(!is_block_toeplitz(m.as_ref(), BlockShape::new(3, 3), 0.0));
    }

    #[test]
    fn asymmetric_diagonal_block_is_rejected() {
        let shape = BlockShape::new(2, 1);
        let m = Mat::from_fn(2, 2, |a, b| if a == 0 && b == 1 { 1.0 } else { 0.0 });
        assert!(!is_block_toeplitz(m.as_ref(), shape, 0.5));
    }
}
