//! Exact switching-penalty Viterbi (docs/method.md section 5), path objective and
//! run-length encoding of assignments.

/// Result of [`viterbi`]: an optimal assignment and its objective value.
#[derive(Clone, Debug, PartialEq)]
pub struct Viterbi {
    /// The state of every timestep.
    pub path: Vec<usize>,
    /// `sum_t C[t, path[t]] + beta * #switches`; equal bit for bit to
    /// [`path_cost`] of `path`.
    pub cost: f64,
}

/// Checks the shape of a cost buffer and returns `T`.
#[track_caller]
pub(crate) fn check_shape(costs: &[f64], k: usize, beta: f64) -> usize {
    assert!(
        beta >= 0.0 && beta.is_finite(),
        "beta = {beta} must be finite and >= 0"
    );
    if costs.is_empty() {
        return 0;
    }
    assert!(
        k > 0,
        "k (states) must be at least 1 for a non-empty cost buffer"
    );
    assert!(
        costs.len().is_multiple_of(k),
        "cost buffer has {} entries, not a multiple of k = {k}",
        costs.len()
    );
    costs.len() / k
}

/// Index and value of the smallest entry; the lowest index wins ties. (NaN
/// entries are skipped; if every entry is NaN, index 0.)
#[inline(always)]
pub(crate) fn argmin_lowest(v: &[f64]) -> (usize, f64) {
    // Minimum value over four independent chains (shorter dependency chains than
    // a single running minimum), then the first index holding it.
    let mut m = [f64::INFINITY; 4];
    let chunks = v.chunks_exact(4);
    for &x in chunks.remainder() {
        m[0] = if x < m[0] { x } else { m[0] };
    }
    for c in chunks {
        for l in 0..4 {
            m[l] = if c[l] < m[l] { c[l] } else { m[l] };
        }
    }
    let a = if m[1] < m[0] { m[1] } else { m[0] };
    let b = if m[3] < m[2] { m[3] } else { m[2] };
    let min = if b < a { b } else { a };
    match v.iter().position(|&x| x == min) {
        Some(i) => (i, min),
        None => (0, v[0]),
    }
}

/// One forward step of the recursion: from the previous values `v`, the costs
/// `row` of the new timestep, writes the new values to `nv` and sets bit `s` of
/// `flags` when the best predecessor of `s` is the overall best previous state
/// (returned) rather than `s` itself.
///
/// Predecessor of `s`: the lowest id `j` minimising `v[j] + beta * [j != s]`.
/// The candidates are `s` (value `v[s]`) and `b`, the lowest-id minimiser of `v`
/// (value `v[b] + beta`): `s` if `v[s] < v[b] + beta`, `b` if greater, and on
/// equality the lower of `s` and `b`.
#[inline(always)]
pub(crate) fn forward_step(
    v: &[f64],
    row: &[f64],
    beta: f64,
    nv: &mut [f64],
    flags: &mut [u64],
) -> usize {
    let (b, vb) = argmin_lowest(v);
    let switch = vb + beta;
    for (wi, ((fw, vc), (rc, nc))) in flags
        .iter_mut()
        .zip(v.chunks(64))
        .zip(row.chunks(64).zip(nv.chunks_mut(64)))
        .enumerate()
    {
        let mut word = 0u64;
        for (i, ((&stay, &c), out)) in vc.iter().zip(rc).zip(nc.iter_mut()).enumerate() {
            // Branch-free: compare, select, set the bit.
            let switched = (stay > switch) | ((stay == switch) & (b < wi * 64 + i));
            *out = (if switched { switch } else { stay }) + c;
            word |= u64::from(switched) << i;
        }
        *fw = word;
    }
    b
}

/// Exact minimiser of `sum_t C[t, s_t] + beta * #{t : s_t != s_{t-1}}` over all
/// assignments, in `O(T K)` time (`costs` row-major `T x k`, `T = costs.len() / k`).
///
/// Ties are resolved toward the lowest state id, deterministically:
/// * forward pass: the predecessor of state `s` at time `t` is the lowest id `j`
///   minimising `V[t-1][j] + beta * [j != s]` (the candidates reduce to `s` itself
///   and the lowest-id minimiser of `V[t-1]`; see the source);
/// * end: the final state is the lowest id minimising `V[T-1]`;
/// * backtrack: follows the stored predecessors, so involves no further choice.
///
/// Together these select, among all optimal paths, the one that is smallest when
/// compared from the last timestep backwards (lowest final state, then lowest
/// state before it, and so on); this is exact whenever the sums are exact (e.g.
/// small integer costs) and holds up to the rounding of the sums otherwise.
///
/// With `beta = 0` this gives the pointwise argmin with the lowest id on ties.
/// `T = 0` gives an empty path with cost 0. The recursion adds costs in time
/// order, exactly as [`path_cost`], so `cost == path_cost(costs, k, &path, beta)`
/// bit for bit. Memory: `T * ceil(K / 64)` words of back-pointer flags plus `T`
/// indices.
///
/// # Panics
/// If `beta` is negative or not finite, or `costs` is non-empty and `k == 0` or
/// `costs.len()` is not a multiple of `k`.
#[track_caller]
pub fn viterbi(costs: &[f64], k: usize, beta: f64) -> Viterbi {
    let t_len = check_shape(costs, k, beta);
    if t_len == 0 {
        return Viterbi {
            path: Vec::new(),
            cost: 0.0,
        };
    }
    let words = k.div_ceil(64);
    // flags[t]: bit s set when the predecessor of s at t is best[t].
    let mut flags = vec![0u64; t_len * words];
    let mut best = vec![0u32; t_len];
    let mut v = costs[..k].to_vec();
    let mut nv = vec![0.0; k];
    for t in 1..t_len {
        let row = &costs[t * k..(t + 1) * k];
        let b = forward_step(
            &v,
            row,
            beta,
            &mut nv,
            &mut flags[t * words..(t + 1) * words],
        );
        // k <= u32::MAX in any realistic use; fall back to a checked conversion.
        best[t] = u32::try_from(b).unwrap_or(u32::MAX);
        std::mem::swap(&mut v, &mut nv);
    }
    let (mut s, cost) = argmin_lowest(&v);
    let mut path = vec![0usize; t_len];
    path[t_len - 1] = s;
    for t in (1..t_len).rev() {
        if flags[t * words + s / 64] >> (s % 64) & 1 == 1 {
            s = best[t] as usize;
        }
        path[t - 1] = s;
    }
    Viterbi { path, cost }
}

/// Objective `sum_t C[t, path[t]] + beta * #switches` of a given path, summed in
/// time order (`((C[0] + beta?) + C[1]) ...`, the order [`viterbi`] uses).
///
/// # Panics
/// On the shape conditions of [`viterbi`], if `path.len() != T`, or if a state
/// in `path` is `>= k`.
#[track_caller]
pub fn path_cost(costs: &[f64], k: usize, path: &[usize], beta: f64) -> f64 {
    let t_len = check_shape(costs, k, beta);
    assert_eq!(
        path.len(),
        t_len,
        "path has {} entries but the costs have T = {t_len} rows",
        path.len()
    );
    let mut acc = 0.0;
    for (t, &s) in path.iter().enumerate() {
        assert!(s < k, "path[{t}] = {s} is not a state (k = {k})");
        if t > 0 && s != path[t - 1] {
            acc += beta;
        }
        acc = if t == 0 {
            costs[s]
        } else {
            acc + costs[t * k + s]
        };
    }
    acc
}

/// A maximal run of one state in an assignment: timesteps `start..=end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// First timestep.
    pub start: usize,
    /// Last timestep (inclusive).
    pub end: usize,
    /// The state.
    pub state: usize,
}

/// Run-length encoding of an assignment: its maximal runs of one state, in time
/// order (empty for an empty path).
pub fn segments(path: &[usize]) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    for (t, &s) in path.iter().enumerate() {
        match out.last_mut() {
            Some(seg) if seg.state == s => seg.end = t,
            _ => out.push(Segment {
                start: t,
                end: t,
                state: s,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        // Two states; state 1 is cheaper at t = 1 only, by less than beta.
        let costs = [0.0, 1.0, 2.0, 0.5, 0.0, 1.0];
        let v = viterbi(&costs, 2, 2.0);
        assert_eq!(v.path, vec![0, 0, 0]);
        assert_eq!(v.cost, 2.0);
        // By more than beta: two switches (cost 0 + 0.5 + 1 + 2 * 0.2).
        let v = viterbi(&costs, 2, 0.2);
        assert_eq!(v.path, vec![0, 1, 0]);
        assert!((v.cost - 0.9).abs() < 1e-15);
    }

    #[test]
    fn ties_go_to_lowest_id() {
        // All equal: stay in state 0.
        let costs = [1.0; 12];
        assert_eq!(viterbi(&costs, 3, 0.0).path, vec![0; 4]);
        assert_eq!(viterbi(&costs, 3, 5.0).path, vec![0; 4]);
        // At t = 1, staying in 1 (1 + 0) ties with switching from 0 (0 + 1): the
        // predecessor of 1 is the lower id, 0. Paths [0, 1] and [1, 1] both cost 1.
        let costs = [0.0, 1.0, 5.0, 0.0];
        let v = viterbi(&costs, 2, 1.0);
        assert_eq!(v.path, vec![0, 1]);
        assert_eq!(v.cost, 1.0);
        // Final tie between states 1 and 2: lowest id.
        let costs = [5.0, 1.0, 1.0];
        assert_eq!(viterbi(&costs, 3, 1.0).path, vec![1]);
    }

    #[test]
    fn empty_and_segments() {
        let v = viterbi(&[], 3, 1.0);
        assert!(v.path.is_empty());
        assert_eq!(v.cost, 0.0);
        assert!(segments(&[]).is_empty());
        assert_eq!(
            segments(&[2, 2, 0, 1, 1, 1]),
            vec![
                Segment {
                    start: 0,
                    end: 1,
                    state: 2
                },
                Segment {
                    start: 2,
                    end: 2,
                    state: 0
                },
                Segment {
                    start: 3,
                    end: 5,
                    state: 1
                },
            ]
        );
    }

    #[test]
    fn many_states_use_several_flag_words() {
        // K = 130: state 129 is cheapest throughout, switching pays.
        let k = 130;
        let mut costs = vec![1.0; 5 * k];
        for t in 0..5 {
            costs[t * k + 129] = 0.0;
        }
        costs[k * 4 + 65] = -10.0;
        let v = viterbi(&costs, k, 3.0);
        assert_eq!(v.path, vec![129, 129, 129, 129, 65]);
        assert_eq!(v.cost, path_cost(&costs, k, &v.path, 3.0));
    }
}
