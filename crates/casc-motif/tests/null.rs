//! The Markov null and the stage durations: expected counts against brute-force enumeration,
//! hand-worked p-values, the extension tail against direct sums, the multiple-testing
//! corrections, the stage sequence, and the properties the null must have (nothing is ever
//! significant with 2 states; streams with no motif report none; a planted motif is found).
// `&[0..t]` is the API's "one recording", not a mistaken range-in-array.
#![allow(clippy::single_range_in_vec_init)]

use approx::assert_relative_eq;
use casc_motif::{
    Collapsed, Correction, ExtensionStep, MarkovNull, MotifParams, Null, StageDurations,
    adjust_log_p, collapse, extension_log_sf, hypergeometric_log_pmf, motif_step, stage_sequence,
    typical_duration,
};
use proptest::prelude::*;

/// SplitMix64, so the seeded streams need no extra dependency.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn one_recording(states: &[usize]) -> Collapsed {
    Collapsed {
        states: states.to_vec(),
        per_recording: vec![states.len()],
    }
}

/// Overlapping occurrences of `w` in every recording of `c`.
fn overlapping(c: &Collapsed, w: &[usize]) -> usize {
    let mut at = 0;
    let mut n = 0;
    for &len in &c.per_recording {
        let s = &c.states[at..at + len];
        n += s.windows(w.len()).filter(|x| *x == w).count();
        at += len;
    }
    n
}

/// Every sequence of `len` states without self-transitions, with its probability under the
/// chain `p` started from `pi`.
fn sequences(len: usize, pi: &[f64], p: &[Vec<f64>]) -> Vec<(Vec<usize>, f64)> {
    let k = pi.len();
    let mut out: Vec<(Vec<usize>, f64)> = (0..k).map(|a| (vec![a], pi[a])).collect();
    for _ in 1..len {
        out = out
            .into_iter()
            .flat_map(|(s, w)| {
                let last = *s.last().unwrap();
                (0..k).filter(move |&b| b != last).map(move |b| {
                    let mut s2 = s.clone();
                    s2.push(b);
                    (s2, w * p[last][b])
                })
            })
            .collect();
    }
    out
}

#[test]
fn expected_count_equals_brute_force_enumeration() {
    // A 3-state chain without self-transitions and two recordings of 6 and 4 segments. Over
    // all sequences, the mean number of occurrences of a word equals the mean of what the
    // null's expected count computes from the sequence (its first pair's occurrences with
    // room for the word, times the transition probabilities after them) when the
    // probabilities are the chain's: the expected count is unbiased.
    let pi = [0.5, 0.3, 0.2];
    let p = vec![
        vec![0.0, 0.7, 0.3],
        vec![0.4, 0.0, 0.6],
        vec![0.9, 0.1, 0.0],
    ];
    let (a, b) = (sequences(6, &pi, &p), sequences(4, &pi, &p));
    let total: f64 = a.iter().map(|x| x.1).sum::<f64>() * b.iter().map(|x| x.1).sum::<f64>();
    assert_relative_eq!(total, 1.0, max_relative = 1e-12);
    for w in [
        vec![0, 1, 0],
        vec![0, 1, 2],
        vec![1, 2, 0, 1],
        vec![2, 0, 2, 0, 1],
        vec![0, 2],
    ] {
        let (mut mean_count, mut mean_expected) = (0.0, 0.0);
        for (sa, wa) in &a {
            for (sb, wb) in &b {
                let mut states = sa.clone();
                states.extend_from_slice(sb);
                let c = Collapsed {
                    states,
                    per_recording: vec![6, 4],
                };
                let null = MarkovNull::fit(&c, 3);
                let tail: f64 = w.windows(2).skip(1).map(|x| p[x[0]][x[1]]).product();
                mean_count += wa * wb * overlapping(&c, &w) as f64;
                mean_expected += wa * wb * null.pairs_with_room(w[0], w[1], w.len()) as f64 * tail;
            }
        }
        assert_relative_eq!(mean_count, mean_expected, max_relative = 1e-12);
        assert!(mean_count > 0.0, "{w:?} should occur");
    }
}

#[test]
fn expected_count_and_p_value_by_hand() {
    // a=0 b=1 c=2 d=3: "a b c" four times, then "d b d b d": b occurs 6 times followed by a
    // segment, 4 of them by c; "a b" occurs 4 times, each with room for a third segment.
    let s = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 1, 3, 1, 3];
    let null = MarkovNull::fit(&one_recording(&s), 4);
    assert_eq!(null.pair_count(0, 1), 4);
    assert_relative_eq!(null.transition(1, 2), 4.0 / 6.0);
    assert_relative_eq!(null.transition(1, 3), 2.0 / 6.0);
    // Expected: 4 * 4/6 = 8/3.
    assert_relative_eq!(
        null.expected_count(&[0, 1, 2]),
        8.0 / 3.0,
        max_relative = 1e-15
    );
    // Of the 6 b's, the 4 after an a are drawn from 4 followed by c and 2 by d: all four
    // followed by c has probability C(4,4) C(2,0) / C(6,4) = 1/15.
    assert_relative_eq!(
        null.log_p_value(&[0, 1, 2], 4).exp(),
        1.0 / 15.0,
        max_relative = 1e-13
    );
    // At least 3: (C(4,3) C(2,1) + 1) / 15 = 9/15.
    assert_relative_eq!(
        null.log_p_value(&[0, 1, 2], 3).exp(),
        9.0 / 15.0,
        max_relative = 1e-13
    );
    // Two steps: "a b c a" (c always followed by a segment: 4 times, 3 of them by a).
    // P(X4 >= 3) = P(X3 = 4) P(Hyp(4, 3, 4) >= 3) + P(X3 = 3) P(Hyp(4, 3, 3) >= 3)
    //            = 1/15 * 1 + 8/15 * 1/4 = 3/15.
    assert_relative_eq!(
        null.log_p_value(&[0, 1, 2, 0], 3).exp(),
        3.0 / 15.0,
        max_relative = 1e-13
    );
    assert_relative_eq!(
        null.expected_count(&[0, 1, 2, 0]),
        8.0 / 3.0 * 0.75,
        max_relative = 1e-15
    );
    // Nothing observed is certain; more than the first pair is impossible.
    assert_eq!(null.log_p_value(&[0, 1, 2], 0), 0.0);
    assert_eq!(null.log_p_value(&[0, 1, 2], 5), f64::NEG_INFINITY);
}

/// `P(X_r >= observed)` by enumerating every path of the extension chain.
fn chain_tail_brute(start: u64, steps: &[ExtensionStep], observed: u64) -> f64 {
    fn go(x: u64, steps: &[ExtensionStep], observed: u64) -> f64 {
        match steps.split_first() {
            None => f64::from(u8::from(x >= observed)),
            Some((s, rest)) => {
                let draws = x.min(s.population);
                (0..=draws)
                    .map(|k| {
                        let lp = hypergeometric_log_pmf(s.population, s.successes, draws, k);
                        if lp == f64::NEG_INFINITY {
                            0.0
                        } else {
                            lp.exp() * go(k, rest, observed)
                        }
                    })
                    .sum()
            }
        }
    }
    go(start, steps, observed)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn extension_tail_equals_direct_sums(
        start in 0u64..25,
        raw in prop::collection::vec((1u64..30, 0u64..30), 0..4),
        observed in 0u64..26,
    ) {
        let steps: Vec<ExtensionStep> = raw
            .iter()
            .map(|&(n, s)| ExtensionStep { population: n, successes: s.min(n) })
            .collect();
        let got = extension_log_sf(start, &steps, observed).exp();
        let want = chain_tail_brute(start, &steps, observed);
        prop_assert!((got - want).abs() <= 1e-12 + 1e-10 * want, "{} vs {}", got, want);
    }

    /// With 2 states the segments alternate, the chain is forced, and no repeat is ever
    /// significant: no alternation motif, whatever the costs and the assignment.
    #[test]
    fn two_states_never_give_a_motif(
        runs in prop::collection::vec(1usize..40, 2..200),
        noise in prop::collection::vec(0.0f64..3.0, 1..30),
        cut in 0usize..100,
        ignore_durations in any::<bool>(),
        bonferroni in any::<bool>(),
    ) {
        let mut plain = Vec::new();
        for (i, &len) in runs.iter().enumerate() {
            plain.extend(std::iter::repeat_n(i % 2, len));
        }
        let t = plain.len();
        let costs: Vec<f64> = (0..t * 2)
            .map(|i| if plain[i / 2] == i % 2 { 0.0 } else { noise[i % noise.len()] })
            .collect();
        let cut = cut.min(t);
        let recordings = [0..cut, cut..t];
        let durations = if ignore_durations {
            StageDurations::Ignored
        } else {
            StageDurations::default()
        };
        let correction = if bonferroni { Correction::Bonferroni } else { Correction::BenjaminiHochberg };
        let p = MotifParams::new(1.0)
            .min_instances(2)
            .durations(durations)
            .correction(correction)
            .check()
            .unwrap();
        let step = motif_step(&costs, 2, &plain, &recordings, &p).unwrap();
        prop_assert!(step.candidates.is_empty(), "{:?}", step.candidates);
        prop_assert!(step.motifs.is_empty());
        prop_assert_eq!(&step.assignment, &plain);
        // Every alternating word has p-value 1.
        let c = collapse(&plain, &recordings);
        let null = MarkovNull::fit(&c, 2);
        for len in 3..8 {
            let w: Vec<usize> = (0..len).map(|i| i % 2).collect();
            let n = overlapping(&c, &w);
            prop_assert_eq!(null.log_p_value(&w, n), 0.0);
            prop_assert!(null.expected_count(&w) >= n as f64);
        }
    }

    /// With the minimum length 1 the stage sequence is the segment sequence.
    #[test]
    fn stages_of_length_one_are_the_segments(
        a in prop::collection::vec(0usize..3, 0..60),
        cut in 0usize..60,
    ) {
        let cut = cut.min(a.len());
        let recs = [0..cut, cut..a.len()];
        let st = stage_sequence(&a, &recs, 1);
        prop_assert_eq!(&st.collapsed, &collapse(&a, &recs));
        prop_assert_eq!(st.durations.iter().sum::<usize>(), a.len());
        for (i, &s) in st.starts.iter().enumerate() {
            prop_assert_eq!(a[s], st.collapsed.states[i]);
            prop_assert!(st.durations[i] >= 1);
        }
    }
}

#[test]
fn stage_sequence_by_hand() {
    // 0 x5, 1 x1 (flicker), 0 x4, 2 x3, 1 x2 (flicker), 2 x3 | 1 x1 (flicker), 0 x6.
    let a = [
        0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 2, 2, 1, 1, 2, 2, 2, 1, 0, 0, 0, 0, 0, 0,
    ];
    let recs = [0..18, 18..25];
    let st = stage_sequence(&a, &recs, 3);
    assert_eq!(st.collapsed.states, vec![0, 2, 0]);
    assert_eq!(st.collapsed.per_recording, vec![2, 1]);
    // The flicker counts in the stage before it; a recording's first stage starts with it.
    assert_eq!(st.starts, vec![0, 10, 18]);
    assert_eq!(st.durations, vec![10, 8, 7]);
    // Time-weighted median of 5 1 4 3 2 3 1 6: half of the 25 steps lie in runs of <= 4.
    assert_eq!(typical_duration(&a, &recs), 4);
    // A recording with only flicker gives no stage.
    let st = stage_sequence(&[0, 1, 0, 1], &[0..4], 2);
    assert!(st.collapsed.states.is_empty() && st.collapsed.per_recording == vec![0]);
}

#[test]
fn corrections_by_hand() {
    let lp: Vec<f64> = [0.01f64, 0.04, 0.03, 0.5].iter().map(|p| p.ln()).collect();
    let exp = |v: Vec<f64>| v.into_iter().map(f64::exp).collect::<Vec<_>>();
    // Bonferroni in a family of 5 (one untested): 5 p, capped at 1.
    let b = exp(adjust_log_p(&lp, 5, Correction::Bonferroni));
    for (x, y) in b.iter().zip([0.05, 0.2, 0.15, 1.0]) {
        assert_relative_eq!(*x, y, max_relative = 1e-12);
    }
    // Benjamini-Hochberg: sorted 0.01 0.03 0.04 0.5 -> 5p/rank = 0.05 0.075 0.0667 0.625,
    // then the running minimum from the largest rank: 0.05 0.0667 0.0667 0.625.
    let q = exp(adjust_log_p(&lp, 5, Correction::BenjaminiHochberg));
    for (x, y) in q.iter().zip([0.05, 0.2 / 3.0, 0.2 / 3.0, 0.625]) {
        assert_relative_eq!(*x, y, max_relative = 1e-12);
    }
    // Never above Bonferroni.
    assert!(q.iter().zip(&b).all(|(q, b)| q <= b));
}

/// A stream of `n_segments` segments of `k` states with random durations around `len`,
/// flicker inside the segments of state 0 (a quarter of their steps are single steps of
/// state 1: `0 1 0 1 0` everywhere), and the given motif planted every `every` segments (none
/// when `every == 0`; the motif takes the place of one segment). Costs favour the plain
/// path: 0 on it, uniform in [3, 8) elsewhere (distinct states).
fn stream(
    rng: &mut Rng,
    k: usize,
    n_segments: usize,
    len: usize,
    motif: &[usize],
    every: usize,
) -> (Vec<f64>, Vec<usize>, usize) {
    let mut plain: Vec<usize> = Vec::new();
    let mut planted = 0;
    let mut i = 0;
    while i < n_segments {
        let mut states = vec![rng.below(k)];
        if every > 0 && i % every == every - 1 {
            planted += 1;
            states = motif.to_vec();
        }
        for s in states {
            let d = len / 2 + rng.below(len);
            for step in 0..d {
                if s == 0 && step > 0 && step + 1 < d && rng.uniform() < 0.25 {
                    plain.push(1);
                } else {
                    plain.push(s);
                }
            }
        }
        i += 1;
    }
    let t = plain.len();
    let costs = (0..t * k)
        .map(|j| {
            if plain[j / k] == j % k {
                0.0
            } else {
                3.0 + 5.0 * rng.uniform()
            }
        })
        .collect();
    (costs, plain, planted)
}

#[test]
fn streams_without_a_motif_report_none_and_a_planted_one_is_found() {
    let p = MotifParams::new(2.0).check().unwrap();
    let mut reported = 0;
    let n_streams = 40;
    for seed in 0..n_streams {
        let mut rng = Rng(seed);
        let k = 3 + rng.below(4);
        let (costs, plain, _) = stream(&mut rng, k, 400, 12, &[], 0);
        let step = motif_step(&costs, k, &plain, &[0..plain.len()], &p).unwrap();
        reported += usize::from(!step.motifs.is_empty());
    }
    assert!(
        reported <= 1,
        "{reported} of {n_streams} streams without a motif report one"
    );
    // The reference's null reports motifs on most of the same streams.
    let reference = MotifParams::new(2.0)
        .null(Null::Independent)
        .durations(StageDurations::Ignored)
        .check()
        .unwrap();
    let mut reference_reported = 0;
    for seed in 0..10 {
        let mut rng = Rng(seed);
        let k = 3 + rng.below(4);
        let (costs, plain, _) = stream(&mut rng, k, 400, 12, &[], 0);
        let step = motif_step(&costs, k, &plain, &[0..plain.len()], &reference).unwrap();
        reference_reported += usize::from(!step.motifs.is_empty());
    }
    assert!(
        reference_reported >= 5,
        "the reference's null reports {reference_reported} of 10"
    );
    // A motif planted after every 4 random segments is found with most of its occurrences.
    for seed in 0..5 {
        let mut rng = Rng(100 + seed);
        let (costs, plain, planted) = stream(&mut rng, 5, 400, 12, &[0, 2, 4], 5);
        let step = motif_step(&costs, 5, &plain, &[0..plain.len()], &p).unwrap();
        let m = step
            .motifs
            .iter()
            .find(|m| m.states == [0, 2, 4])
            .unwrap_or_else(|| panic!("seed {seed}: planted motif not found: {:?}", step.motifs));
        assert!(
            m.instances.len() * 10 >= planted * 9,
            "seed {seed}: {} of {planted}; {:?}",
            m.instances.len(),
            step.motifs
                .iter()
                .map(|m| (
                    &m.states,
                    m.instances.len(),
                    m.count,
                    m.expected_count,
                    m.p_value
                ))
                .collect::<Vec<_>>()
        );
        assert!(m.adjusted_p_value < 1e-3 && m.count as f64 > m.expected_count);
        assert!(
            m.min_durations.iter().all(|&d| d >= 2),
            "{:?}",
            m.min_durations
        );
    }
}
