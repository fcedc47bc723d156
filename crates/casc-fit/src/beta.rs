//! Estimating the switching penalty `beta` from the data ([`Beta::Estimated`](crate::Beta)): the
//! estimate implied by one fitted assignment, a pure function. The pipeline iterates it.
//!
//! The Viterbi objective is, up to constants, twice the negative log-likelihood of an HMM whose
//! states switch with probability `p`, uniformly to the `K - 1` others: staying costs
//! `-2 ln(1 - p)` and switching `-2 ln(p / (K - 1))`, so the penalty of a switch is
//! `2 ln((K - 1)(1 - p) / p)`. Estimating `p` from the fitted assignment and refitting is
//! Viterbi training of that transition probability.
//!
//! On sensor streams consecutive samples are correlated: the costs, which treat them as
//! independent, count the same evidence several times, and the penalty estimated that way is
//! far too small (a smartwatch stream sampled at 10 Hz then splits into many short segments).
//! The penalty is therefore scaled by the integrated autocorrelation time
//! `tau = (1 + rho) / (1 - rho)` of the residuals, `rho` their lag-1 correlation inside
//! segments (per state and sensor standardised, pooled): the number of samples that carry one
//! independent sample's evidence. Independent samples give `tau = 1`.
//!
//! The pipeline iterates the estimate from the given start on the whole series, or on the sketch
//! of a long one, with plain TICC fits (no split-and-merge, no motif phase), until it moves by
//! less than [`SETTLED`].
//!
//! A leaf of the crate.

use std::ops::Range;

/// Most fits run to estimate `beta`.
pub const AUTO_BETA_ROUNDS: usize = 5;
/// The estimate has settled when it moves by less than this fraction.
pub(crate) const SETTLED: f64 = 0.05;
/// Largest lag-1 correlation used (`tau` at most 199).
const MAX_RHO: f64 = 0.99;

/// The switching penalty implied by an assignment of `x` (row-major, `n` sensors) into `k`
/// states, recordings `ranges`: `tau * 2 ln((k - 1)(1 - p) / p)` with `p` the fraction of
/// consecutive pairs that switch (kept in `[1 / pairs, 1/2]`) and `tau` the autocorrelation
/// time of the residuals (see the module docs). `None` when `k < 2` or no recording has two
/// steps.
pub fn beta_estimate(
    x: &[f64],
    n: usize,
    ranges: &[Range<usize>],
    assignment: &[usize],
    k: usize,
) -> Option<f64> {
    if k < 2 {
        return None;
    }
    let pairs: usize = ranges.iter().map(|r| r.len().saturating_sub(1)).sum();
    if pairs == 0 {
        return None;
    }
    let switches: usize = ranges
        .iter()
        .map(|r| {
            assignment[r.clone()]
                .windows(2)
                .filter(|p| p[0] != p[1])
                .count()
        })
        .sum();
    let p = (switches as f64 / pairs as f64).clamp((1.0 / pairs as f64).min(0.5), 0.5);
    let tau = autocorrelation_time(x, n, ranges, assignment, k);
    let beta = tau * 2.0 * ((k - 1) as f64 * (1.0 - p) / p).ln();
    Some(beta.max(0.0))
}

/// The integrated autocorrelation time `(1 + rho) / (1 - rho)` of the residuals of `x`
/// (row-major, `n` sensors) about their states' means in `assignment` (`k` states):
/// `rho` is the lag-1 correlation of the per-state and per-sensor standardised residuals
/// inside segments, pooled, in `[0, MAX_RHO]`. The number of samples that carry one
/// independent sample's evidence (1 for independent samples).
pub(crate) fn autocorrelation_time(
    x: &[f64],
    n: usize,
    ranges: &[Range<usize>],
    assignment: &[usize],
    k: usize,
) -> f64 {
    // Per state and sensor mean and standard deviation.
    let mut count = vec![0usize; k];
    let mut sum = vec![0.0; k * n];
    let mut sq = vec![0.0; k * n];
    for (t, &s) in assignment.iter().enumerate() {
        count[s] += 1;
        for (j, v) in x[t * n..(t + 1) * n].iter().enumerate() {
            sum[s * n + j] += v;
        }
    }
    let mean: Vec<f64> = (0..k * n)
        .map(|i| sum[i] / count[i / n].max(1) as f64)
        .collect();
    for (t, &s) in assignment.iter().enumerate() {
        for (j, v) in x[t * n..(t + 1) * n].iter().enumerate() {
            let d = v - mean[s * n + j];
            sq[s * n + j] += d * d;
        }
    }
    let inv_sd: Vec<f64> = (0..k * n)
        .map(|i| {
            let var = sq[i] / count[i / n].max(1) as f64;
            if var > 0.0 { 1.0 / var.sqrt() } else { 0.0 }
        })
        .collect();
    let z = |t: usize, s: usize, j: usize| (x[t * n + j] - mean[s * n + j]) * inv_sd[s * n + j];
    let (mut cross, mut a2, mut b2) = (0.0, 0.0, 0.0);
    for r in ranges {
        for t in r.start + 1..r.end {
            let s = assignment[t];
            if assignment[t - 1] != s {
                continue;
            }
            for j in 0..n {
                let (a, b) = (z(t, s, j), z(t - 1, s, j));
                cross += a * b;
                a2 += a * a;
                b2 += b * b;
            }
        }
    }
    let rho = if a2 > 0.0 && b2 > 0.0 {
        (cross / (a2 * b2).sqrt()).clamp(0.0, MAX_RHO)
    } else {
        0.0
    };
    (1.0 + rho) / (1.0 - rho)
}

#[cfg(test)]
// `&[0..t]` is one recording, not a mistaken range-in-array.
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;

    #[test]
    fn independent_samples_give_the_hmm_switching_cost() {
        // Alternating +-1 inside each state has lag-1 correlation -1: clamped to 0, tau = 1.
        // 4 segments of 25 steps in 2 states: p = 3 / 99.
        let mut x = Vec::new();
        let mut a = Vec::new();
        for seg in 0..4 {
            for t in 0..25 {
                x.push(if t % 2 == 0 { 1.0 } else { -1.0 });
                a.push(seg % 2);
            }
        }
        let b = beta_estimate(&x, 1, &[0..100], &a, 2).unwrap();
        let p: f64 = 3.0 / 99.0;
        assert!((b - 2.0 * ((1.0 - p) / p).ln()).abs() < 1e-12, "{b}");
    }

    #[test]
    fn correlated_samples_scale_the_cost_by_the_autocorrelation_time() {
        // A slow ramp inside each segment: residuals nearly equal to their neighbours.
        let mut x = Vec::new();
        let mut a = Vec::new();
        for seg in 0..4 {
            for t in 0..50 {
                x.push(t as f64);
                a.push(seg % 2);
            }
        }
        let slow = beta_estimate(&x, 1, &[0..200], &a, 2).unwrap();
        let p: f64 = 3.0 / 199.0;
        let hmm = 2.0 * ((1.0 - p) / p).ln();
        assert!(slow > 20.0 * hmm, "{slow} vs {hmm}");
        // More states make each switch less likely a priori: a larger penalty.
        let b3 = beta_estimate(&x, 1, &[0..200], &a, 3).unwrap();
        assert!(b3 > slow);
        // No pair inside a recording, or a single state: nothing to estimate.
        assert!(beta_estimate(&x[..2], 1, &[0..1, 1..2], &a[..2], 2).is_none());
        assert!(beta_estimate(&x, 1, &[0..200], &a, 1).is_none());
    }
}
