//! The sketch of a long series: evenly spaced blocks, cut at recording boundaries, on which
//! the expensive search (initialisation, screening, split-and-merge, the beta estimate) runs.
//!
//! A leaf of the crate.

use std::ops::Range;

/// A series longer than this many timesteps is searched on its sketch first.
pub const SCREEN_STEPS: usize = 30_000;
/// Evenly spaced blocks the sketch is made of, so that every part of the series is in it.
pub const SKETCH_BLOCKS: usize = 30;

/// The pieces (in the series' own timesteps) of a sketch of a series longer than `steps`:
/// `blocks` evenly spaced stretches of `steps / blocks` timesteps, cut at recording boundaries,
/// leaving out any piece shorter than the window `w`. `None` when the series is not longer.
pub(crate) fn pieces(
    ranges: &[Range<usize>],
    t_total: usize,
    w: usize,
    steps: usize,
    blocks: usize,
) -> Option<Vec<Range<usize>>> {
    if t_total <= steps {
        return None;
    }
    let len = steps / blocks;
    let mut pieces = Vec::new();
    for b in 0..blocks {
        let start = b * t_total / blocks;
        let end = (start + len).min(t_total);
        for r in ranges {
            let (s, e) = (r.start.max(start), r.end.min(end));
            if e >= s + w {
                pieces.push(s..e);
            }
        }
    }
    Some(pieces)
}

/// The values of `pieces` of `x` (row-major, `n` sensors) one after the other, and each
/// piece's range in them: every piece is a recording of the sketch.
pub(crate) fn gather(
    x: &[f64],
    n: usize,
    pieces: &[Range<usize>],
) -> (Vec<f64>, Vec<Range<usize>>) {
    let total: usize = pieces.iter().map(Range::len).sum();
    let mut values = Vec::with_capacity(total * n);
    let mut ranges = Vec::with_capacity(pieces.len());
    for p in pieces {
        let at = values.len() / n;
        values.extend_from_slice(&x[p.start * n..p.end * n]);
        ranges.push(at..at + p.len());
    }
    (values, ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evenly_spaced_blocks_cut_at_recordings() {
        // Two recordings of 50 and 70 steps, one sensor whose value is its timestep.
        let x: Vec<f64> = (0..120).map(f64::from).collect();
        assert!(
            pieces(&[0..50, 50..120], 120, 2, 120, 4).is_none(),
            "not longer"
        );
        // Four blocks of 10 steps at 0, 30, 60 and 90; none crosses the boundary at 50.
        let p = pieces(&[0..50, 50..120], 120, 2, 40, 4).unwrap();
        let (sx, ranges) = gather(&x, 1, &p);
        assert_eq!(ranges, vec![0..10, 10..20, 20..30, 30..40]);
        let starts: Vec<f64> = ranges.iter().map(|r| sx[r.start]).collect();
        assert_eq!(starts, vec![0.0, 30.0, 60.0, 90.0]);
        // Blocks of 15: the one at 30 crosses into the second recording at 44 and is cut there;
        // its one-step piece 44..45 is shorter than the window (w = 2) and dropped. With the
        // boundary at 40 instead, both pieces of that block are kept.
        let p = pieces(&[0..44, 44..120], 120, 2, 60, 4).unwrap();
        let (sx, ranges) = gather(&x, 1, &p);
        let got: Vec<(f64, usize)> = ranges.iter().map(|r| (sx[r.start], r.len())).collect();
        assert_eq!(got, vec![(0.0, 15), (30.0, 14), (60.0, 15), (90.0, 15)]);
        let p = pieces(&[0..40, 40..120], 120, 2, 60, 4).unwrap();
        let (sx, ranges) = gather(&x, 1, &p);
        let got: Vec<(f64, usize)> = ranges.iter().map(|r| (sx[r.start], r.len())).collect();
        assert_eq!(
            got,
            vec![(0.0, 15), (30.0, 10), (40.0, 5), (60.0, 15), (90.0, 15)]
        );
    }
}
