//! Kernel tests: suffix array, LCP, maximal repeats, Poisson tail, motif HMM and greedy against
//! naive or brute-force versions and hand-worked cases.
// `&[0..t]` is the API's "one recording", not a mistaken range-in-array.
#![allow(clippy::single_range_in_vec_init)]

use approx::assert_relative_eq;
use casc_motif::{
    DecodeBuffers, HmmInput, PreparedCosts, Span, count_non_overlapping, counted_repeats,
    decode_motif, decode_prepared_durations, greedy, lcp_array, ln_factorial, maximal_repeats,
    poisson_log_sf, poisson_sf, significant_repeats, suffix_array,
};
use proptest::prelude::*;

fn naive_sa(s: &[usize]) -> Vec<usize> {
    let mut sa: Vec<usize> = (0..s.len()).collect();
    sa.sort_by(|&a, &b| s[a..].cmp(&s[b..]));
    sa
}

fn naive_lcp(s: &[usize], sa: &[usize]) -> Vec<usize> {
    (0..sa.len())
        .map(|j| {
            if j == 0 {
                0
            } else {
                s[sa[j - 1]..]
                    .iter()
                    .zip(&s[sa[j]..])
                    .take_while(|(a, b)| a == b)
                    .count()
            }
        })
        .collect()
}

/// All substrings of length >= 2 occurring >= 2 times that are left- and right-maximal.
fn naive_maximal_repeats(s: &[usize]) -> Vec<(Vec<usize>, Vec<usize>)> {
    let n = s.len();
    let mut out = std::collections::BTreeMap::new();
    for len in 2..=n {
        for i in 0..=n - len {
            let w = &s[i..i + len];
            let pos: Vec<usize> = (0..=n - len).filter(|&p| &s[p..p + len] == w).collect();
            if pos.len() < 2 {
                continue;
            }
            let lefts: Vec<Option<usize>> = pos
                .iter()
                .map(|&p| p.checked_sub(1).map(|q| s[q]))
                .collect();
            let rights: Vec<Option<usize>> = pos.iter().map(|&p| s.get(p + len).copied()).collect();
            let left_max =
                lefts.iter().any(|x| x.is_none()) || lefts.iter().any(|x| *x != lefts[0]);
            let right_max =
                rights.iter().any(|x| x.is_none()) || rights.iter().any(|x| *x != rights[0]);
            if left_max && right_max {
                out.insert(w.to_vec(), pos);
            }
        }
    }
    out.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn suffix_array_and_lcp_equal_naive(s in prop::collection::vec(0usize..4, 0..60)) {
        let sa = suffix_array(&s);
        prop_assert_eq!(&sa, &naive_sa(&s));
        prop_assert_eq!(lcp_array(&s, &sa), naive_lcp(&s, &sa));
    }

    #[test]
    fn suffix_array_large_alphabet(s in prop::collection::vec(0usize..1_000_000, 0..40)) {
        prop_assert_eq!(suffix_array(&s), naive_sa(&s));
    }

    #[test]
    fn maximal_repeats_equal_naive(s in prop::collection::vec(0usize..3, 0..30)) {
        let got: Vec<(Vec<usize>, Vec<usize>)> =
            maximal_repeats(&s, 2).into_iter().map(|r| (r.symbols, r.positions)).collect();
        prop_assert_eq!(got, naive_maximal_repeats(&s));
    }
}

#[test]
fn suffix_array_of_periodic_text() {
    // Worst case for prefix doubling: long repeats need many rounds.
    let s: Vec<usize> = (0..1500).map(|i| [0, 1, 0, 2][i % 4]).collect();
    let sa = suffix_array(&s);
    assert_eq!(sa, naive_sa(&s));
    assert_eq!(lcp_array(&s, &sa), naive_lcp(&s, &sa));
}

#[test]
fn non_overlapping_counts_by_hand() {
    // "aaaa" has "aa" at 0, 1, 2: greedy from the left keeps 0 and 2.
    assert_eq!(count_non_overlapping(&[0, 1, 2], 2), 2);
    // "aba" in "ababababa" at 0, 2, 4, 6: keeps 0 and 4 (2 overlaps 0, 6 overlaps 4).
    assert_eq!(count_non_overlapping(&[0, 2, 4, 6], 3), 2);
    // Touching occurrences do not overlap.
    assert_eq!(count_non_overlapping(&[0, 3, 6], 3), 3);
    assert_eq!(count_non_overlapping(&[], 3), 0);
    assert_eq!(count_non_overlapping(&[5], 3), 1);
    // Through the repeat finder: in 1 2 1 2 1 2 1 3, "1 2 1" occurs at 0, 2, 4 (maximal:
    // preceded by start/2/2, followed by 2/2/3) -> 2 non-overlapping (0 and 4);
    // "1 2 1 2 1" occurs at 0 and 2 -> 1 non-overlapping.
    let reps = counted_repeats(&[1, 2, 1, 2, 1, 2, 1, 3], 1);
    let r = reps.iter().find(|r| r.states == vec![1, 2, 1]).unwrap();
    assert_eq!(r.count, 2);
    let r = reps
        .iter()
        .find(|r| r.states == vec![1, 2, 1, 2, 1])
        .unwrap();
    assert_eq!(r.count, 1);
}

#[test]
fn significance_by_hand() {
    // c = 0 1 2 3  0 1 2 4  0 1 2 5, L = 12. The only maximal repeat of length >= 2 is
    // "0 1 2" (3 occurrences, preceded by start/3/4 and followed by 3/4/5); "0 1" and
    // "1 2" are always extended, so there are no modules and the Bonferroni denominator is 1.
    // p(0) = p(1) = p(2) = 3/12, so lp = 3 ln(1/4), E = 12 / 64 = 0.1875 and
    // p = P(Poisson(0.1875) > 3) = 1 - e^-E (1 + E + E^2/2 + E^3/6) = 4.43461010088148e-5
    // (60-digit decimal arithmetic) < 0.001 / 1: significant.
    let c = [0, 1, 2, 3, 0, 1, 2, 4, 0, 1, 2, 5];
    let reps = counted_repeats(&c, 3);
    assert_eq!(reps.len(), 1);
    assert_eq!(reps[0].states, vec![0, 1, 2]);
    assert_eq!(reps[0].count, 3);
    let sig = significant_repeats(&reps, &c, 6, 3);
    assert_eq!(sig.len(), 1);
    assert_relative_eq!(
        sig[0].log_p.exp(),
        4.43461010088148e-5,
        max_relative = 1e-12
    );
    assert_eq!(sig[0].log_p, sig[0].log_p_modules);
    // With min_instances = 4 it is not tested at all.
    assert!(significant_repeats(&reps, &c, 6, 4).is_empty());
}

#[test]
fn module_replacement_changes_the_test() {
    // "0 1" also occurs on its own, so it is a maximal repeat of length 2 and a module with
    // lp = max(ln p0 + ln p1, ln(count/L)); inside "0 1 2" it replaces "0 1", making the
    // repeat less surprising: p with modules > p without (the ranking one).
    let mut c = Vec::new();
    for i in 0..12 {
        c.extend_from_slice(&[0, 1, 2, 3 + i % 3]);
        c.extend_from_slice(&[0, 1, 6 + i % 2]);
    }
    let reps = counted_repeats(&c, 5);
    assert!(reps.iter().any(|r| r.states == vec![0, 1]));
    let sig = significant_repeats(&reps, &c, 8, 5);
    let s = sig.iter().find(|s| s.states == vec![0, 1, 2]).unwrap();
    assert!(s.log_p_modules > s.log_p);
}

#[test]
fn poisson_tail_matches_direct_sums() {
    // Reference values from 60-digit decimal sums of the pmf from c + 1 upward.
    assert_relative_eq!(
        poisson_sf(0.5, 60),
        5.22437638186677e-103,
        max_relative = 1e-11
    );
    assert_relative_eq!(
        poisson_sf(0.1875, 3),
        4.43461010088148e-5,
        max_relative = 1e-12
    );
    assert_relative_eq!(poisson_sf(3.0, 3), 0.352768111217769, max_relative = 1e-12);
    assert_relative_eq!(
        poisson_sf(30.0, 45),
        0.00395756037315458,
        max_relative = 1e-11
    );
    assert_relative_eq!(
        poisson_sf(30.0, 10),
        0.999977651224262,
        max_relative = 1e-12
    );
    // Far below f64 underflow the log is still finite and close to its leading term.
    let lp = poisson_log_sf(0.01, 10_000);
    let lead = -0.01 + 10_001.0 * 0.01f64.ln() - ln_factorial(10_001);
    assert!(lp.is_finite() && lp < -700.0);
    assert_relative_eq!(lp, lead, max_relative = 1e-9);
    assert_eq!(poisson_log_sf(0.0, 0), f64::NEG_INFINITY);
}

#[test]
fn poisson_tail_against_one_minus_cdf() {
    // Where 1 - CDF is accurate (tail not tiny), both must agree.
    for &mean in &[0.1, 0.7, 2.5, 9.0, 40.0, 300.0] {
        for c in 0..(3.0 * mean) as u64 + 5 {
            let cdf: f64 = (0..=c)
                .map(|j| (-mean + j as f64 * f64::ln(mean) - ln_factorial(j)).exp())
                .sum();
            let tail = 1.0 - cdf;
            // 1 - CDF loses ~1e-13 absolute (each pmf term carries |exponent| * eps).
            if tail > 1e-4 {
                assert_relative_eq!(poisson_sf(mean, c), tail, max_relative = 1e-8);
            }
        }
    }
}

#[test]
fn ln_factorial_values() {
    // math.lgamma(62), lgamma(31), lgamma(1001) in Python.
    assert_relative_eq!(ln_factorial(61), 192.7390472878449, max_relative = 1e-14);
    assert_relative_eq!(ln_factorial(30), 74.65823634883017, max_relative = 1e-14);
    assert_relative_eq!(ln_factorial(1000), 5912.128178488163, max_relative = 1e-14);
    assert_eq!(ln_factorial(0), 0.0);
    assert_eq!(ln_factorial(1), 0.0);
}

/// Cost of a hidden path under the motif HMM of 7.4, or None if the path is impossible.
fn path_cost(
    costs: &[f64],
    k: usize,
    plain: &[usize],
    motif: &[usize],
    beta: f64,
    pen: f64,
    h: &[usize],
) -> Option<f64> {
    let r = motif.len();
    let t = h.len();
    if !(h[0] == 0 || h[0] == 1) || !(h[t - 1] == 0 || h[t - 1] == r) {
        return None;
    }
    let emit = |i: usize, s: usize| {
        if s == 0 {
            costs[i * k + plain[i]] + pen
        } else {
            costs[i * k + motif[s - 1]]
        }
    };
    let mut total = emit(0, h[0]);
    for i in 1..t {
        let (a, b) = (h[i - 1], h[i]);
        let trans = if a == b {
            if a == 0 && plain[i] != plain[i - 1] {
                beta
            } else {
                0.0
            }
        } else if (a >= 1 && b == a + 1) || (a == r && (b == 0 || b == 1)) || (a == 0 && b == 1) {
            beta
        } else {
            return None;
        };
        total += trans + emit(i, b);
    }
    Some(total)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn motif_hmm_equals_brute_force(
        t in 1usize..=6,
        r in 1usize..=2,
        seed_costs in prop::collection::vec(0.0f64..10.0, 18),
        plain_raw in prop::collection::vec(0usize..3, 6),
        motif_raw in prop::collection::vec(0usize..3, 2),
        beta in 0.0f64..6.0,
        gamma in 0.2f64..1.0,
    ) {
        let k = 3;
        let costs = &seed_costs[..t * k];
        let plain = &plain_raw[..t];
        let motif = &motif_raw[..r];
        let pen = -gamma.ln();
        let input = HmmInput { costs, k, plain, recordings: &[0..t], beta, garbage_penalty: pen };
        let inst = decode_motif(&input, motif, &mut DecodeBuffers::default());
        let mut h = vec![0usize; t];
        for x in &inst {
            prop_assert_eq!(x.stage_starts.len(), r);
            for (s, &from) in x.stage_starts.iter().enumerate() {
                let to = x.stage_starts.get(s + 1).copied().unwrap_or(x.end + 1);
                prop_assert!(from < to);
                h[from..to].fill(s + 1);
            }
            // Log-odds: 2 * (plain - motif) over the span.
            let lo: f64 = (x.stage_starts[0]..=x.end)
                .map(|i| 2.0 * (costs[i * k + plain[i]] - costs[i * k + motif[h[i] - 1]]))
                .sum();
            prop_assert!((lo - x.log_odds).abs() < 1e-9);
        }
        let got = path_cost(costs, k, plain, motif, beta, pen, &h);
        prop_assert!(got.is_some(), "decoded path is impossible: {:?}", h);
        let mut best = f64::INFINITY;
        let n_paths = (r + 1).pow(t as u32);
        for code in 0..n_paths {
            let mut c = code;
            let path: Vec<usize> = (0..t).map(|_| { let d = c % (r + 1); c /= r + 1; d }).collect();
            if let Some(v) = path_cost(costs, k, plain, motif, beta, pen, &path) {
                best = best.min(v);
            }
        }
        prop_assert!((got.unwrap() - best).abs() <= 1e-9 * (1.0 + best.abs()), "{} vs {}", got.unwrap(), best);
    }
}

/// Whether every maximal run of a stage in the hidden path `h` lasts at least its minimum.
fn runs_long_enough(h: &[usize], mins: &[usize]) -> bool {
    let mut i = 0;
    while i < h.len() {
        let mut j = i;
        while j < h.len() && h[j] == h[i] {
            j += 1;
        }
        if h[i] > 0 && j - i < mins[h[i] - 1] {
            return false;
        }
        i = j;
    }
    true
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The duration-aware decode is the cheapest hidden path whose stage runs all last their
    /// minimum, found by enumerating every path; with minimums of 1 it is the plain decode.
    #[test]
    fn duration_aware_hmm_equals_brute_force(
        t in 1usize..=8,
        r in 1usize..=3,
        seed_costs in prop::collection::vec(0.0f64..10.0, 24),
        plain_raw in prop::collection::vec(0usize..3, 8),
        motif_raw in prop::collection::vec(0usize..3, 3),
        mins_raw in prop::collection::vec(1usize..=3, 3),
        beta in 0.0f64..6.0,
        gamma in 0.2f64..1.0,
        cut in 0usize..8,
    ) {
        let k = 3;
        let costs = &seed_costs[..t * k];
        let plain = &plain_raw[..t];
        let motif = &motif_raw[..r];
        let mins = &mins_raw[..r];
        let pen = -gamma.ln();
        let cut = cut.min(t);
        let recordings = [0..cut, cut..t];
        let input = HmmInput { costs, k, plain, recordings: &recordings, beta, garbage_penalty: pen };
        let prep = PreparedCosts::new(&input);
        let inst = decode_prepared_durations(&prep, motif, mins, &mut DecodeBuffers::default());
        let mut h = vec![0usize; t];
        for x in &inst {
            prop_assert_eq!(x.stage_starts.len(), r);
            prop_assert!(recordings.iter().any(|rc| rc.contains(&x.start()) && rc.contains(&x.end)));
            for (s, &from) in x.stage_starts.iter().enumerate() {
                let to = x.stage_starts.get(s + 1).copied().unwrap_or(x.end + 1);
                prop_assert!(to - from >= mins[s], "stage {} lasts {} < {}", s, to - from, mins[s]);
                h[from..to].fill(s + 1);
            }
        }
        // Each recording separately: the decoded path is the cheapest admissible one.
        for rc in recordings.iter().filter(|rc| !rc.is_empty()) {
            let n = rc.len();
            let sub_costs = &costs[rc.start * k..rc.end * k];
            let sub_plain = &plain[rc.clone()];
            let got = &h[rc.clone()];
            prop_assert!(runs_long_enough(got, mins), "{:?}", got);
            let got_cost = path_cost(sub_costs, k, sub_plain, motif, beta, pen, got);
            prop_assert!(got_cost.is_some(), "decoded path is impossible: {:?}", got);
            let mut best = f64::INFINITY;
            for code in 0..(r + 1).pow(n as u32) {
                let mut c = code;
                let path: Vec<usize> = (0..n).map(|_| { let d = c % (r + 1); c /= r + 1; d }).collect();
                if !runs_long_enough(&path, mins) {
                    continue;
                }
                if let Some(v) = path_cost(sub_costs, k, sub_plain, motif, beta, pen, &path) {
                    best = best.min(v);
                }
            }
            let g = got_cost.unwrap();
            prop_assert!((g - best).abs() <= 1e-9 * (1.0 + best.abs()), "{} vs {}", g, best);
        }
        // Minimums of 1: the same instances as the plain decode.
        let ones = vec![1; r];
        prop_assert_eq!(
            decode_prepared_durations(&prep, motif, &ones, &mut DecodeBuffers::default()),
            decode_motif(&input, motif, &mut DecodeBuffers::default())
        );
    }
}

#[test]
fn greedy_by_hand() {
    let sp = |motif, start, end, score| Span {
        motif,
        start,
        end,
        score,
    };
    let spans = vec![
        sp(0, 0, 4, 10.0),  // A: tentative, later evicted by B's lock
        sp(1, 3, 8, 9.0),   // B: tentative
        sp(1, 20, 25, 8.0), // B: second tentative -> B locks both, evicting A[0,4]
        sp(0, 30, 34, 7.0), // A: tentative (1)
        sp(0, 40, 44, 6.0), // A: tentative (2) -> A locks
        sp(1, 50, 55, 5.0), // B locked: locked at once
        sp(0, 52, 60, 4.0), // overlaps a locked span: skipped
        sp(2, 70, 75, 3.0), // C: only one instance: dropped
    ];
    // Input order must not matter.
    let mut reversed = spans.clone();
    reversed.reverse();
    let got = greedy(&spans, 3, 2);
    assert_eq!(got, vec![vec![3, 4], vec![1, 2, 5], vec![]]);
    let got_rev = greedy(&reversed, 3, 2);
    let n = spans.len() - 1;
    let mapped: Vec<Vec<usize>> = got_rev
        .iter()
        .map(|ids| ids.iter().map(|&i| n - i).collect())
        .collect();
    assert_eq!(mapped, got);
}

fn span_strategy() -> impl Strategy<Value = Vec<Span>> {
    prop::collection::vec((0usize..4, 0usize..120, 0usize..12, -10.0f64..10.0), 0..60).prop_map(
        |v| {
            v.into_iter()
                .map(|(motif, start, len, score)| Span {
                    motif,
                    start,
                    end: start + len,
                    score,
                })
                .collect()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn greedy_never_overlaps_and_keeps_enough(spans in span_strategy(), min in 1usize..5) {
        let locked = greedy(&spans, 4, min);
        let mut all: Vec<(usize, usize)> = Vec::new();
        for ids in &locked {
            prop_assert!(ids.is_empty() || ids.len() >= min);
            all.extend(ids.iter().map(|&i| (spans[i].start, spans[i].end)));
        }
        all.sort_unstable();
        for w in all.windows(2) {
            prop_assert!(w[0].1 < w[1].0, "overlap {:?} {:?}", w[0], w[1]);
        }
        // The result depends on the spans, not on their order in the input.
        let mut rev = spans.clone();
        rev.reverse();
        let key = |sp: &[Span], l: &[Vec<usize>]| {
            l.iter()
                .map(|ids| {
                    let mut v: Vec<(usize, usize, u64)> =
                        ids.iter().map(|&i| (sp[i].start, sp[i].end, sp[i].score.to_bits())).collect();
                    v.sort_unstable();
                    v
                })
                .collect::<Vec<_>>()
        };
        prop_assert_eq!(key(&spans, &locked), key(&rev, &greedy(&rev, 4, min)));
    }
}
