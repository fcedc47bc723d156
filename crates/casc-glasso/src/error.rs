//! The error type of casc-glasso.

/// Everything that can go wrong when fitting a block-Toeplitz graphical lasso.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum GlassoError {
    /// A parameter is outside its allowed range.
    #[error("parameter `{name}` = {value} is invalid: allowed {allowed}")]
    InvalidParameter {
        /// Name of the builder setter.
        name: &'static str,
        /// The rejected value.
        value: f64,
        /// The allowed range, in words.
        allowed: &'static str,
    },
    /// A matrix does not have the dimensions the block shape asks for.
    #[error("{what} is {rows}x{cols} but the block shape needs {expected}x{expected}")]
    ShapeMismatch {
        /// Which matrix ("covariance", "warm start").
        what: &'static str,
        /// Its number of rows.
        rows: usize,
        /// Its number of columns.
        cols: usize,
        /// The side length `n * w` required.
        expected: usize,
    },
    /// A matrix holds a NaN or an infinity.
    #[error("{what} has a non-finite entry at ({row}, {col}); clean the input data")]
    NonFinite {
        /// Which matrix.
        what: &'static str,
        /// Row of the first non-finite entry.
        row: usize,
        /// Column of the first non-finite entry.
        col: usize,
    },
    /// A matrix that must be symmetric positive definite is not.
    #[error("{what} is not positive definite (Cholesky pivot {index} is not positive)")]
    NotPositiveDefinite {
        /// Which matrix.
        what: &'static str,
        /// Index of the failing pivot.
        index: usize,
    },
    /// The symmetric eigendecomposition did not converge.
    #[error("the eigendecomposition in ADMM iteration {iteration} did not converge")]
    EigenDecomposition {
        /// The ADMM iteration (1-based) in which it failed.
        iteration: usize,
    },
    /// The ADMM iterates became non-finite (for example lambda = 0 with a singular covariance).
    #[error("ADMM diverged in iteration {iteration}; with a singular covariance use lambda > 0")]
    Diverged {
        /// The ADMM iteration (1-based) in which a residual became non-finite.
        iteration: usize,
    },
}
