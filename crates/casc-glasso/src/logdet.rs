//! Log-determinant of a symmetric positive definite matrix (used by costs and BIC).

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt::factor::{
    LltError, LltRegularization, cholesky_in_place, cholesky_in_place_scratch,
};
use faer::{Mat, MatRef, Par};

use crate::GlassoError;
use crate::solve::check_finite;

/// `ln det(m)` of a symmetric positive definite matrix, as `sum 2 ln L_ii` of its
/// Cholesky factor (only the lower triangle of `m` is read).
///
/// # Errors
/// [`GlassoError::NonFinite`] when `m` has a NaN or infinity,
/// [`GlassoError::NotPositiveDefinite`] when the factorisation fails.
///
/// # Panics
/// When `m` is not square.
#[track_caller]
pub fn log_det_spd(m: MatRef<'_, f64>, par: Par) -> Result<f64, GlassoError> {
    assert!(
        m.nrows() == m.ncols(),
        "log_det_spd needs a square matrix, got {}x{}",
        m.nrows(),
        m.ncols()
    );
    check_finite(m, "matrix")?;
    let dim = m.nrows();
    let mut l = Mat::from_fn(dim, dim, |i, j| if i >= j { m[(i, j)] } else { 0.0 });
    let mut mem = MemBuffer::new(cholesky_in_place_scratch::<f64>(
        dim,
        par,
        Default::default(),
    ));
    cholesky_in_place(
        l.as_mut(),
        LltRegularization::default(),
        par,
        MemStack::new(&mut mem),
        Default::default(),
    )
    .map_err(|e| match e {
        LltError::NonPositivePivot { index } => GlassoError::NotPositiveDefinite {
            what: "matrix",
            index,
        },
    })?;
    Ok((0..dim).map(|i| 2.0 * l[(i, i)].ln()).sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagonal_by_hand() {
        let m = Mat::from_fn(3, 3, |i, j| if i == j { (i + 1) as f64 } else { 0.0 });
        let ld = log_det_spd(m.as_ref(), Par::Seq).unwrap();
        assert!((ld - 6f64.ln()).abs() < 1e-14);
    }

    #[test]
    fn two_by_two_by_hand() {
        // det [[2, 1], [1, 2]] = 3.
        let m = Mat::from_fn(2, 2, |i, j| if i == j { 2.0 } else { 1.0 });
        let ld = log_det_spd(m.as_ref(), Par::Seq).unwrap();
        assert!((ld - 3f64.ln()).abs() < 1e-14);
    }

    #[test]
    fn indefinite_is_an_error() {
        let m = Mat::from_fn(2, 2, |i, j| if i == j { 1.0 } else { 2.0 });
        assert!(matches!(
            log_det_spd(m.as_ref(), Par::Seq),
            Err(GlassoError::NotPositiveDefinite { index: 1, .. })
        ));
    }

    #[test]
    fn nan_is_an_error() {
        let m = Mat::from_fn(2, 2, |i, j| if i == j { f64::NAN } else { 0.0 });
        assert!(matches!(
            log_det_spd(m.as_ref(), Par::Seq),
            Err(GlassoError::NonFinite { .. })
        ));
    }
}
