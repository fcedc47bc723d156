//! Model-selection criteria of a fitted assignment. Today the BIC of docs/method.md section 10,
//! the reference's criterion.

use casc_glasso::Par;

use crate::engine::{Engine, StateFit};
use crate::error::FitError;
use crate::model::NONZERO_THRESHOLD;

/// docs/method.md section 10: `(non-zero precision entries over all states) * ln(T) -
/// 2 * sum_k (ln det Theta_k - trace(S_k Theta_k))`, with each state's empirical covariance
/// `S_k` over its windows in `assignment` (a state without windows adds its non-zeros only).
pub(crate) fn bic(
    engine: &Engine<'_>,
    assignment: &[usize],
    fits: &[StateFit],
) -> Result<f64, FitError> {
    let d = engine.d;
    let stats = engine.stats(assignment);
    let mut nonzeros = 0usize;
    let mut loglik = 0.0;
    for (s, f) in fits.iter().enumerate() {
        nonzeros += (0..d * d)
            .filter(|&i| f.precision[(i / d, i % d)].abs() > NONZERO_THRESHOLD)
            .count();
        if let Some(st) = &stats[s] {
            let ld = casc_glasso::log_det_spd(f.precision.as_ref(), Par::Seq)
                .map_err(|source| FitError::Glasso { state: s, source })?;
            let mut tr = 0.0;
            for i in 0..d {
                for j in 0..d {
                    tr += st.cov[(i, j)] * f.precision[(j, i)];
                }
            }
            loglik += ld - tr;
        }
    }
    Ok(nonzeros as f64 * (engine.full.len() as f64).ln() - 2.0 * loglik)
}
