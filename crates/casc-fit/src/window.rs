//! The window chosen from the data (`Window::Auto`), and the pooling of a series into blocks
//! of consecutive rows that a long period calls for.
//!
//! A state of TICC is a Gaussian over `w` consecutive observations. What the window must span
//! depends on what tells the states apart:
//!
//! * with one sensor, only the shape of the signal does: the window must span its period
//!   (the first peak of the autocorrelation after its first zero crossing); a window shorter
//!   than the period makes the states phases of the period;
//! * with several sensors, their dependence does, and the window needs to span only the
//!   decorrelation time of the signal's changes (the lag at which the autocorrelation of the
//!   first differences falls below one half, the median over sensors; differences, because
//!   the steps between states' levels would otherwise count as correlation): a longer one
//!   dilutes the dependence. A single sensor without a period gets it too.
//!
//! A span `L` longer than [`MAX_LAGS`] observations is covered by pooling: the series is
//! averaged over blocks of `s = round(L / MAX_LAGS)` rows and the window is `MAX_LAGS` pooled
//! rows, so that the state's dimension stays `n * MAX_LAGS` whatever the period (a window of
//! 150 observations would cost an eigendecomposition of a 150 x 150 matrix per ADMM
//! iteration, and its covariance is close to singular; with one sensor the Newton solver makes
//! long windows cheap, but 16 or 32 lags fitted TSSB worse than 8: docs/method.md section
//! 2.1). Labels of the pooled series are given back to every row of their block.
//!
//! A series with no autocorrelation (independent samples) gets a window of 1 and no pooling:
//! the CASC paper's setting.
//!
//! A leaf of the crate.

use std::ops::Range;

/// Most lags (pooled rows) a chosen window spans.
pub const MAX_LAGS: usize = 8;
/// Largest lag the autocorrelation is examined at.
const MAX_LAG: usize = 1000;
/// A peak of the autocorrelation below this is no period.
const MIN_PEAK: f64 = 0.1;
/// Most timesteps the autocorrelation is computed on (evenly spaced stretches of a longer
/// series).
const ACF_STEPS: usize = 40_000;

/// How the window was chosen from the data, for the fit's diagnostics.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WindowChoice {
    /// The span the window must cover, in timesteps.
    pub span: usize,
    /// Why: `period` (one sensor: the first autocorrelation peak) or `decorrelation` (the lag
    /// where the autocorrelation falls below 1/2, median over sensors), or `none`.
    pub reason: String,
    /// Rows averaged into one pooled row (1: no pooling).
    pub pool: usize,
    /// The window, in pooled rows.
    pub window: usize,
}

/// The autocorrelation of sensor `j` of `x` (row-major, `n` sensors) within the recordings
/// `ranges`, each centred on its own mean, computed one lag at a time (the scans below stop
/// at the first lag they need).
struct Acf {
    /// Centred values per recording.
    pieces: Vec<Vec<f64>>,
    den: f64,
}

impl Acf {
    fn new(x: &[f64], n: usize, j: usize, ranges: &[Range<usize>]) -> Self {
        let pieces: Vec<Vec<f64>> = ranges
            .iter()
            .filter(|r| r.len() >= 2)
            .map(|r| {
                let mean = r.clone().map(|t| x[t * n + j]).sum::<f64>() / r.len() as f64;
                r.clone().map(|t| x[t * n + j] - mean).collect()
            })
            .collect();
        let den = pieces.iter().flatten().map(|a| a * a).sum();
        Self { pieces, den }
    }

    fn at(&self, lag: usize) -> f64 {
        if self.den <= 0.0 {
            return 0.0;
        }
        let num: f64 = self
            .pieces
            .iter()
            .filter(|v| v.len() > lag)
            .map(|v| {
                v[..v.len() - lag]
                    .iter()
                    .zip(&v[lag..])
                    .map(|(a, b)| a * b)
                    .sum::<f64>()
            })
            .sum();
        num / self.den
    }
}

/// The first local maximum above [`MIN_PEAK`] after the first zero crossing, below
/// `max_lag`.
fn first_peak(acf: &Acf, max_lag: usize) -> Option<usize> {
    let mut prev = acf.at(1);
    let mut crossed = prev < 0.0;
    let mut cur = acf.at(2);
    for lag in 2..max_lag {
        let next = acf.at(lag + 1);
        if crossed && cur >= prev && cur >= next && cur > MIN_PEAK {
            return Some(lag);
        }
        crossed |= cur < 0.0;
        (prev, cur) = (cur, next);
    }
    None
}

/// The first lag at which the autocorrelation is below 1/2 (at most `max_lag`).
fn decorrelation(acf: &Acf, max_lag: usize) -> usize {
    (1..max_lag).find(|&i| acf.at(i) < 0.5).unwrap_or(max_lag)
}

/// Chooses the window of `x` (row-major, `n` sensors, recordings `ranges`); see the module
/// docs.
pub(crate) fn choose(x: &[f64], n: usize, ranges: &[Range<usize>]) -> WindowChoice {
    let t_total: usize = ranges.iter().map(Range::len).sum();
    // The stretches the autocorrelation is computed on: all of a short series, evenly spaced
    // pieces of a long one.
    let pieces: Vec<Range<usize>> = match crate::sketch::pieces(ranges, t_total, 2, ACF_STEPS, 20) {
        Some(p) => p,
        None => ranges.to_vec(),
    };
    let longest = pieces.iter().map(Range::len).max().unwrap_or(0);
    let max_lag = MAX_LAG.min(longest / 3).max(2);
    let period = if n == 1 {
        first_peak(&Acf::new(x, n, 0, &pieces), max_lag)
    } else {
        None
    };
    let (span, reason) = match period {
        Some(p) => (p, "period"),
        None => {
            // First differences, within recordings.
            let mut dx = Vec::with_capacity(x.len());
            let mut dranges = Vec::with_capacity(pieces.len());
            for r in &pieces {
                let at = dx.len() / n;
                for t in r.start + 1..r.end {
                    for j in 0..n {
                        dx.push(x[t * n + j] - x[(t - 1) * n + j]);
                    }
                }
                dranges.push(at..dx.len() / n);
            }
            let mut lags: Vec<usize> = (0..n)
                .map(|j| decorrelation(&Acf::new(&dx, n, j, &dranges), max_lag))
                .collect();
            lags.sort_unstable();
            let median = lags[(lags.len() - 1) / 2];
            if median > 1 {
                (median, "decorrelation")
            } else {
                (1, "none")
            }
        }
    };
    let pool = (span as f64 / MAX_LAGS as f64).round().max(1.0) as usize;
    let window = span.div_ceil(pool).clamp(1, MAX_LAGS);
    WindowChoice {
        span,
        reason: reason.to_string(),
        pool,
        window,
    }
}

/// `x` (row-major, `n` sensors) averaged over blocks of `s` consecutive rows inside each
/// recording (a recording's last block may be shorter), and the pooled recordings' ranges.
pub(crate) fn pool(
    x: &[f64],
    n: usize,
    ranges: &[Range<usize>],
    s: usize,
) -> (Vec<f64>, Vec<Range<usize>>) {
    let mut out = Vec::with_capacity(x.len() / s.max(1) + n * ranges.len());
    let mut pooled = Vec::with_capacity(ranges.len());
    for r in ranges {
        let at = out.len() / n;
        let mut t = r.start;
        while t < r.end {
            let end = (t + s).min(r.end);
            let m = (end - t) as f64;
            for j in 0..n {
                out.push((t..end).map(|u| x[u * n + j]).sum::<f64>() / m);
            }
            t = end;
        }
        pooled.push(at..out.len() / n);
    }
    (out, pooled)
}

/// Labels of the pooled series given back to every row of the original.
pub(crate) fn expand(
    labels: &[usize],
    ranges: &[Range<usize>],
    pooled: &[Range<usize>],
    s: usize,
) -> Vec<usize> {
    let mut out = Vec::with_capacity(ranges.iter().map(Range::len).sum());
    for (r, p) in ranges.iter().zip(pooled) {
        for t in 0..r.len() {
            out.push(labels[p.start + t / s]);
        }
    }
    out
}

/// The pooled recording that holds pooled timestep `u` (the last one past the end).
fn recording_of(u: usize, pooled: &[Range<usize>]) -> usize {
    pooled
        .iter()
        .position(|p| p.contains(&u))
        .unwrap_or(pooled.len().saturating_sub(1))
}

/// The first original row of pooled timestep `u` (in recording `i`).
pub(crate) fn first_row(
    u: usize,
    ranges: &[Range<usize>],
    pooled: &[Range<usize>],
    s: usize,
) -> usize {
    let i = recording_of(u, pooled);
    (ranges[i].start + (u - pooled[i].start) * s).min(ranges[i].end.saturating_sub(1))
}

/// The last original row of pooled timestep `u`.
pub(crate) fn last_row(
    u: usize,
    ranges: &[Range<usize>],
    pooled: &[Range<usize>],
    s: usize,
) -> usize {
    let i = recording_of(u, pooled);
    (ranges[i].start + (u - pooled[i].start + 1) * s - 1).min(ranges[i].end - 1)
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;

    #[test]
    fn a_sum_of_sines_gets_a_window_spanning_its_period() {
        // Period 40, with a weaker harmonic and a little deterministic jitter.
        let x: Vec<f64> = (0..4000)
            .map(|t| {
                let a = 2.0 * std::f64::consts::PI * t as f64 / 40.0;
                a.sin() + 0.3 * (2.0 * a).sin() + 0.05 * (((t * 7919) % 17) as f64 / 17.0)
            })
            .collect();
        let c = choose(&x, 1, &[0..4000]);
        assert_eq!(c.reason, "period");
        assert!((38..=42).contains(&c.span), "{c:?}");
        assert_eq!(c.pool, 5);
        assert_eq!(c.window, 8);
    }

    #[test]
    fn independent_samples_get_a_window_of_one() {
        let mut s = 1u64;
        let x: Vec<f64> = (0..6000)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 11) as f64 / (1u64 << 53) as f64
            })
            .collect();
        for n in [1, 3] {
            let c = choose(&x, n, &[0..6000 / n]);
            assert_eq!((c.pool, c.window), (1, 1), "{n} sensors: {c:?}");
        }
    }

    #[test]
    fn smooth_sensors_get_their_decorrelation_time() {
        // Two sensors whose changes are a slowly varying process (an integrated AR(1)): the
        // autocorrelation of the differences falls below one half after tens of steps.
        let mut s = 7u64;
        let mut v = [0.0f64; 2];
        let mut level = [0.0f64; 2];
        let mut x = Vec::new();
        for _ in 0..5000 {
            for j in 0..2 {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let e = (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                v[j] = 0.97 * v[j] + e;
                level[j] += v[j];
                x.push(level[j]);
            }
        }
        let c = choose(&x, 2, &[0..5000]);
        assert_eq!(c.reason, "decorrelation");
        assert!(c.span > 8 && c.pool > 1, "{c:?}");
        assert_eq!(c.window, c.span.div_ceil(c.pool).min(MAX_LAGS));
    }

    #[test]
    fn steps_between_levels_are_not_correlation() {
        // Two sensors, three levels in segments of 60 steps, independent noise: the raw
        // autocorrelation is high (the levels), the differences' is not.
        let mut s = 3u64;
        let mut x = Vec::new();
        for t in 0..3000 {
            for j in 0..2 {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let e = (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                x.push(6.0 * ((t / 60) % 3) as f64 * if j == 0 { 1.0 } else { -1.0 } + e);
            }
        }
        let c = choose(&x, 2, &[0..3000]);
        assert_eq!((c.pool, c.window), (1, 1), "{c:?}");
    }

    #[test]
    fn pooling_averages_blocks_inside_recordings_and_expands_back() {
        let x: Vec<f64> = (0..10).map(f64::from).collect();
        let ranges = [0..7, 7..10];
        let (p, pr) = pool(&x, 1, &ranges, 3);
        assert_eq!(p, vec![1.0, 4.0, 6.0, 8.0]);
        assert_eq!(pr, vec![0..3, 3..4]);
        let labels = vec![5, 6, 7, 8];
        assert_eq!(
            expand(&labels, &ranges, &pr, 3),
            vec![5, 5, 5, 6, 6, 6, 7, 8, 8, 8]
        );
        assert_eq!(
            (first_row(1, &ranges, &pr, 3), last_row(1, &ranges, &pr, 3)),
            (3, 5)
        );
        assert_eq!(
            (first_row(2, &ranges, &pr, 3), last_row(2, &ranges, &pr, 3)),
            (6, 6)
        );
        assert_eq!(
            (first_row(3, &ranges, &pr, 3), last_row(3, &ranges, &pr, 3)),
            (7, 9)
        );
    }
}
