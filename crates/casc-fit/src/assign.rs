//! The assignment and its objective: costs recording by recording, the plain Viterbi
//! assignment, and the objective the EM minimises (costs plus `beta` per switch).
//!
//! A leaf of the crate: it uses the stage crate `casc-segment` only.

use std::ops::Range;

use casc_segment::StateScorer;

/// The costs of every timestep of `x` (row-major, `n` sensors) under every state, recording by
/// recording (row-major `T x K`): no window spans a boundary. Window costs score timestep `t`
/// by the window that starts at `t` (a recording's last `w - 1` steps by its marginal);
/// `conditional` costs score it given the `w - 1` steps before it (the first `w - 1` given
/// those there are).
pub(crate) fn costs(
    x: &[f64],
    n: usize,
    ranges: &[Range<usize>],
    scorers: &[StateScorer],
    conditional: bool,
) -> Vec<f64> {
    let mut out = vec![0.0; x.len() / n * scorers.len()];
    costs_into(x, n, ranges, scorers, conditional, &mut out);
    out
}

/// [`costs`] into a caller's buffer of `T x K`.
pub(crate) fn costs_into(
    x: &[f64],
    n: usize,
    ranges: &[Range<usize>],
    scorers: &[StateScorer],
    conditional: bool,
    out: &mut [f64],
) {
    let k = scorers.len();
    for r in ranges {
        let (xr, or) = (&x[r.start * n..r.end * n], &mut out[r.start * k..r.end * k]);
        if conditional {
            casc_segment::conditional_cost_matrix_into(xr, n, scorers, or);
        } else {
            casc_segment::cost_matrix_into(xr, n, scorers, or);
        }
    }
}

/// Plain Viterbi assignment, recording by recording (no switching penalty across a boundary).
pub(crate) fn plain_assignment(
    costs: &[f64],
    k: usize,
    ranges: &[Range<usize>],
    beta: f64,
) -> Vec<usize> {
    let mut out = Vec::with_capacity(costs.len() / k.max(1));
    for r in ranges {
        out.extend(casc_segment::viterbi(&costs[r.start * k..r.end * k], k, beta).path);
    }
    out
}

/// Number of state switches inside recordings.
pub(crate) fn switches(a: &[usize], ranges: &[Range<usize>]) -> usize {
    ranges
        .iter()
        .map(|r| a[r.clone()].windows(2).filter(|p| p[0] != p[1]).count())
        .sum()
}

/// The EM objective of `assignment`: its summed costs plus `beta` per switch inside recordings.
pub(crate) fn objective(
    costs: &[f64],
    k: usize,
    assignment: &[usize],
    ranges: &[Range<usize>],
    beta: f64,
) -> f64 {
    let c: f64 = assignment
        .iter()
        .enumerate()
        .map(|(t, &s)| costs[t * k + s])
        .sum();
    c + beta * switches(assignment, ranges) as f64
}

/// Timesteps per state.
pub(crate) fn counts(assignment: &[usize], k: usize) -> Vec<usize> {
    let mut c = vec![0usize; k];
    for &s in assignment {
        c[s] += 1;
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objective_counts_switches_inside_recordings_only() {
        // Two states, 4 steps in two recordings: 0 | 1 1 0.
        let costs = [1.0, 2.0, 3.0, 0.5, 4.0, 0.25, 0.0, 9.0];
        let a = [0, 1, 1, 0];
        let ranges = [0..1, 1..4];
        assert_eq!(switches(&a, &ranges), 1);
        // 1 + 0.5 + 0.25 + 0 + 10 * 1 switch.
        assert_eq!(objective(&costs, 2, &a, &ranges, 10.0), 11.75);
        assert_eq!(counts(&a, 3), vec![2, 2, 0]);
    }
}
