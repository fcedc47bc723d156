//! Downsampling for the timeline: timesteps mapped to pixels, state runs merged into pixel
//! bands, and per-pixel-column min/max envelopes and means of a sensor, so a long series
//! draws with about one shape per pixel column.

/// A maximal run of one state, in global timesteps (`end` inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Run {
    pub start: usize,
    pub end: usize,
    pub state: usize,
}

/// Maps timesteps `[lo, lo + span)` onto `width` pixels starting at x = `left`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TimeAxis {
    pub lo: usize,
    pub span: usize,
    pub left: f64,
    pub width: f64,
}

impl TimeAxis {
    /// The x coordinate of (fractional) timestep `t`.
    pub(crate) fn x(self, t: f64) -> f64 {
        self.left + (t - self.lo as f64) * self.width / self.span.max(1) as f64
    }
}

/// The timesteps `[c0, c1)` that pixel column `c` of `width` covers (at least one).
fn column(c: usize, n_steps: usize, width: usize) -> (usize, usize) {
    let c0 = c * n_steps / width;
    let c1 = ((c + 1) * n_steps / width).max(c0 + 1).min(n_steps);
    (c0, c1)
}

/// State bands in pixel space: `(x0, x1, state)` with `0 <= x0 < x1 <= width`, one per run of
/// pixels. Exact run boundaries when there are at most `width` runs, else per pixel column the
/// state covering most of its timesteps (ties to the smaller state), neighbours merged.
pub(crate) fn pixel_bands(runs: &[Run], n_steps: usize, width: usize) -> Vec<(f64, f64, usize)> {
    let t = n_steps.max(1) as f64;
    let w = width as f64;
    let mut out: Vec<(f64, f64, usize)> = Vec::new();
    if runs.len() <= width {
        for r in runs {
            let x0 = r.start as f64 * w / t;
            let x1 = (r.end + 1) as f64 * w / t;
            match out.last_mut() {
                Some(last) if last.2 == r.state && (last.1 - x0).abs() < 1e-9 => last.1 = x1,
                _ => out.push((x0, x1, r.state)),
            }
        }
        return out;
    }
    let mut ri = 0;
    let mut cover: Vec<(usize, usize)> = Vec::new();
    for c in 0..width {
        let (c0, c1) = column(c, n_steps, width);
        cover.clear();
        while ri < runs.len() && runs[ri].end < c0 {
            ri += 1;
        }
        let mut j = ri;
        while j < runs.len() && runs[j].start < c1 {
            let a = runs[j].start.max(c0);
            let b = (runs[j].end + 1).min(c1);
            if b > a {
                match cover.iter_mut().find(|e| e.0 == runs[j].state) {
                    Some(e) => e.1 += b - a,
                    None => cover.push((runs[j].state, b - a)),
                }
            }
            j += 1;
        }
        let Some(&(s, _)) = cover
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        else {
            continue;
        };
        let (x0, x1) = (c as f64, (c + 1) as f64);
        match out.last_mut() {
            Some(last) if last.2 == s && last.1 == x0 => last.1 = x1,
            _ => out.push((x0, x1, s)),
        }
    }
    out
}

/// The runs overlapping `[lo, hi)`, clipped to it and shifted to start at 0.
pub(crate) fn clip_runs(runs: &[Run], lo: usize, hi: usize) -> Vec<Run> {
    runs.iter()
        .filter(|r| r.end >= lo && r.start < hi)
        .map(|r| Run {
            start: r.start.max(lo) - lo,
            end: r.end.min(hi - 1) - lo,
            state: r.state,
        })
        .collect()
}

/// Per pixel column, the minimum and maximum of sensor `j` over the timesteps it covers
/// (`values` row-major with `n` per row; non-finite values skipped; `(NaN, NaN)` for a column
/// with none).
pub(crate) fn envelope(
    values: &[f64],
    n: usize,
    j: usize,
    n_steps: usize,
    width: usize,
) -> Vec<(f64, f64)> {
    (0..width)
        .map(|c| {
            let (c0, c1) = column(c, n_steps, width);
            let mut mn = f64::INFINITY;
            let mut mx = f64::NEG_INFINITY;
            for t in c0..c1 {
                let v = values[t * n + j];
                if v.is_finite() {
                    mn = mn.min(v);
                    mx = mx.max(v);
                }
            }
            if mn.is_finite() {
                (mn, mx)
            } else {
                (f64::NAN, f64::NAN)
            }
        })
        .collect()
}

/// Per pixel column, the mean of sensor `j` over the timesteps it covers (non-finite values
/// skipped; NaN for a column with none).
pub(crate) fn column_means(
    values: &[f64],
    n: usize,
    j: usize,
    n_steps: usize,
    width: usize,
) -> Vec<f64> {
    (0..width)
        .map(|c| {
            let (c0, c1) = column(c, n_steps, width);
            let (sum, count) = (c0..c1)
                .map(|t| values[t * n + j])
                .filter(|v| v.is_finite())
                .fold((0.0, 0usize), |(s, k), v| (s + v, k + 1));
            if count == 0 {
                f64::NAN
            } else {
                sum / count as f64
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(start: usize, end: usize, state: usize) -> Run {
        Run { start, end, state }
    }

    #[test]
    fn pixel_bands_match_a_brute_force_majority() {
        // Many short runs: per column the state with most timesteps (ties to the smaller state).
        let n_steps = 10_007;
        let width = 100;
        let mut runs: Vec<Run> = Vec::new();
        let mut t = 0;
        let mut i = 0usize;
        while t < n_steps {
            let len = 1 + (i * 7919) % 23;
            let end = (t + len - 1).min(n_steps - 1);
            let state = (i * 31) % 5;
            match runs.last_mut() {
                Some(last) if last.state == state => last.end = end,
                _ => runs.push(run(t, end, state)),
            }
            t = end + 1;
            i += 1;
        }
        let mut per_t = vec![0; n_steps];
        for r in &runs {
            per_t[r.start..=r.end].fill(r.state);
        }
        let bands = pixel_bands(&runs, n_steps, width);
        assert!(bands.len() <= width);
        assert!(
            bands
                .windows(2)
                .all(|w| w[0].1 == w[1].0 && w[0].2 != w[1].2),
            "merged and contiguous"
        );
        for c in 0..width {
            let (c0, c1) = (c * n_steps / width, (c + 1) * n_steps / width);
            let mut cnt = [0usize; 5];
            for &s in &per_t[c0..c1] {
                cnt[s] += 1;
            }
            let best = (0..5)
                .max_by(|&a, &b| cnt[a].cmp(&cnt[b]).then(b.cmp(&a)))
                .unwrap();
            let band = bands
                .iter()
                .find(|b| b.0 <= c as f64 && (c as f64) < b.1)
                .unwrap();
            assert_eq!(band.2, best, "column {c}");
        }
        // Few runs: exact boundaries.
        let few = [run(0, 9, 1), run(10, 39, 0)];
        assert_eq!(
            pixel_bands(&few, 40, 400),
            vec![(0.0, 100.0, 1), (100.0, 400.0, 0)]
        );
    }

    #[test]
    fn envelope_is_the_min_and_max_per_column() {
        let n_steps = 1003;
        let values: Vec<f64> = (0..n_steps * 2)
            .map(|i| ((i * 37) % 101) as f64 - 50.0)
            .collect();
        let env = envelope(&values, 2, 1, n_steps, 10);
        for (c, &(mn, mx)) in env.iter().enumerate() {
            let col: Vec<f64> = (c * n_steps / 10..(c + 1) * n_steps / 10)
                .map(|t| values[t * 2 + 1])
                .collect();
            assert_eq!(mn, col.iter().copied().fold(f64::INFINITY, f64::min));
            assert_eq!(mx, col.iter().copied().fold(f64::NEG_INFINITY, f64::max));
            let mean = column_means(&values, 2, 1, n_steps, 10)[c];
            assert!((mean - col.iter().sum::<f64>() / col.len() as f64).abs() < 1e-12);
        }
    }

    #[test]
    fn runs_are_clipped_to_the_window_shown() {
        let runs = [run(0, 9, 1), run(10, 30, 2)];
        assert_eq!(clip_runs(&runs, 5, 12), vec![run(0, 4, 1), run(5, 6, 2)]);
        assert_eq!(clip_runs(&runs, 31, 40), vec![]);
    }
}
