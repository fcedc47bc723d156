//! Error type of casc-segment.

/// Everything that can go wrong when preparing a state for scoring or
/// configuring the online decoder.
///
/// Shape mistakes in the hot kernels (wrong buffer lengths) are caller bugs and
/// panic instead; see the `# Panics` section of each function.
#[non_exhaustive]
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum SegmentError {
    /// The number of sensors or the window length is zero.
    #[error("n (sensors) and w (window) must both be at least 1, got n = {n}, w = {w}")]
    ZeroDimension {
        /// Sensors given.
        n: usize,
        /// Window length given.
        w: usize,
    },
    /// The mean does not have `n * w` entries.
    #[error("the mean has {got} entries but n * w = {expected}; pass one mean per window entry")]
    MeanLength {
        /// `n * w`.
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// The precision is not `n*w x n*w`.
    #[error(
        "the precision is {rows} x {cols} but n * w = {expected}; pass a square n*w x n*w matrix"
    )]
    PrecisionShape {
        /// `n * w`.
        expected: usize,
        /// Rows given.
        rows: usize,
        /// Columns given.
        cols: usize,
    },
    /// A mean entry is NaN or infinite.
    #[error("mean entry {index} is not finite ({value})")]
    NonFiniteMean {
        /// Index of the entry.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// A precision entry is NaN or infinite.
    #[error("precision entry ({row}, {col}) is not finite ({value})")]
    NonFinitePrecision {
        /// Row of the entry.
        row: usize,
        /// Column of the entry.
        col: usize,
        /// Its value.
        value: f64,
    },
    /// The precision is not symmetric (beyond a relative tolerance of 1e-8 of its
    /// largest entry).
    #[error(
        "the precision is not symmetric: entries ({row}, {col}) = {upper} and ({col}, {row}) = {lower} differ"
    )]
    NotSymmetric {
        /// Row of the upper-triangle entry.
        row: usize,
        /// Column of the upper-triangle entry.
        col: usize,
        /// Value at `(row, col)`.
        upper: f64,
        /// Value at `(col, row)`.
        lower: f64,
    },
    /// The precision is not positive definite: its Cholesky factorisation met a
    /// non-positive pivot.
    #[error(
        "the precision is not positive definite (Cholesky pivot for variable {index} is {pivot}); regularise it, e.g. add a multiple of the identity"
    )]
    NotPositiveDefinite {
        /// Variable (row of the precision) whose pivot failed.
        index: usize,
        /// The pivot value (not positive, or not finite).
        pivot: f64,
    },
    /// A parameter of [`crate::OnlineViterbiParams`] is out of range.
    #[error("parameter `{name}` = {value} is out of range: {allowed}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// Its value, formatted.
        value: String,
        /// The allowed range.
        allowed: &'static str,
    },
}
