//! The entry point: checks the input and runs the method the parameters choose.

use faer::{Mat, MatRef, Par};

use crate::{BlockShape, Diagnostics, GlassoError, Solution, Solver, ValidGlassoParams, WarmStart};

/// Solves `min -log det(Theta) + tr(S Theta) + lambda * sum |Theta_ij|` over symmetric
/// positive definite block-Toeplitz `Theta` of the given `shape`, by the method of
/// [`ValidGlassoParams::solver`] (ADMM, or with one channel a proximal Newton method).
///
/// `s` is the empirical covariance (`n*w x n*w`; its symmetric part is used). `warm`
/// resumes from a previous solve's `(Z, U, rho)`. `par` is passed to faer's kernels; use
/// `Par::Seq` when calling from inside a rayon loop. Not converging within `max_iters`
/// is not an error: see [`Diagnostics::converged`].
///
/// # Errors
/// [`GlassoError::ShapeMismatch`] when `s` or the warm start does not fit `shape`,
/// [`GlassoError::NonFinite`] when `s` has a NaN or infinity,
/// [`GlassoError::EigenDecomposition`] or [`GlassoError::Diverged`] on numerical failure.
pub fn solve(
    s: MatRef<'_, f64>,
    shape: BlockShape,
    params: &ValidGlassoParams,
    warm: Option<&WarmStart>,
    par: Par,
) -> Result<Solution, GlassoError> {
    let dim = shape.dim();
    check_square(s, dim, "covariance")?;
    check_finite(s, "covariance")?;
    if let Some(ws) = warm
        && ws.shape != shape
    {
        return Err(GlassoError::ShapeMismatch {
            what: "warm start",
            rows: ws.z.nrows(),
            cols: ws.z.ncols(),
            expected: dim,
        });
    }

    if dim == 0 {
        let empty = Mat::zeros(0, 0);
        return Ok(Solution {
            precision: empty.clone(),
            warm: WarmStart {
                shape,
                z: empty.clone(),
                u: empty.clone(),
                s: empty,
                rho: params.rho(),
            },
            diagnostics: Diagnostics {
                iterations: 0,
                primal_residual: 0.0,
                dual_residual: 0.0,
                converged: true,
                used_theta_fallback: false,
                floored_eigenvalues: 0,
            },
        });
    }
    match params.solver() {
        Solver::Auto if shape.n == 1 => crate::newton::solve(s, shape, params, warm, par),
        _ => crate::admm::solve(s, shape, params, warm, par),
    }
}

fn check_square(m: MatRef<'_, f64>, dim: usize, what: &'static str) -> Result<(), GlassoError> {
    if m.nrows() != dim || m.ncols() != dim {
        return Err(GlassoError::ShapeMismatch {
            what,
            rows: m.nrows(),
            cols: m.ncols(),
            expected: dim,
        });
    }
    Ok(())
}

pub(crate) fn check_finite(m: MatRef<'_, f64>, what: &'static str) -> Result<(), GlassoError> {
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            if !m[(i, j)].is_finite() {
                return Err(GlassoError::NonFinite {
                    what,
                    row: i,
                    col: j,
                });
            }
        }
    }
    Ok(())
}
