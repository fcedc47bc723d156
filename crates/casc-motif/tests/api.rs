//! Public API tests: parameter validation, input errors, recordings and apply_motifs.
// `&[0..t]` is the API's "one recording", not a mistaken range-in-array.
#![allow(clippy::single_range_in_vec_init)]

use casc_motif::{
    DecodeBuffers, HmmInput, MotifError, MotifParams, Null, StageDurations, apply_motifs, collapse,
    decode_motif, maximal_repeats, motif_step, text_with_sentinels,
};
use serde_json::Value;

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/conformance/reference_vectors.json"
);

/// (costs, k, plain, beta, gamma) of conformance case `i`.
fn case(i: usize) -> (Vec<f64>, usize, Vec<usize>, f64, f64) {
    let json: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    let c = &json["motif_step"][i];
    let rows = c["costs"].as_array().unwrap();
    let k = rows[0].as_array().unwrap().len();
    let costs = rows
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()))
        .collect();
    let plain = c["plain_assignment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect();
    (
        costs,
        k,
        plain,
        c["beta"].as_f64().unwrap(),
        c["gamma"].as_f64().unwrap(),
    )
}

fn invalid_name(r: Result<casc_motif::ValidMotifParams, MotifError>) -> &'static str {
    match r {
        Err(MotifError::InvalidParameter { name, .. }) => name,
        other => panic!("expected InvalidParameter, got {other:?}"),
    }
}

#[test]
fn parameter_defaults_and_validation() {
    let p = MotifParams::new(25.0).check().unwrap();
    assert_eq!(
        (p.beta(), p.gamma(), p.min_instances(), p.max_motifs()),
        (25.0, 0.8, 10, 50)
    );
    assert_eq!(
        (p.null(), p.correction(), p.alpha(), p.durations()),
        (
            Null::Markov,
            casc_motif::Correction::Bonferroni,
            casc_motif::MARKOV_ALPHA,
            StageDurations::Minimum { fraction: 0.25 }
        )
    );
    assert!(MotifParams::new(0.0).gamma(1.0).check().is_ok());
    for a in [0.0, 1.0, f64::NAN, -0.1] {
        assert_eq!(
            invalid_name(MotifParams::new(1.0).alpha(a).check()),
            "alpha"
        );
    }
    for f in [0.0, 1.5, f64::NAN] {
        assert_eq!(
            invalid_name(
                MotifParams::new(1.0)
                    .durations(StageDurations::Minimum { fraction: f })
                    .check()
            ),
            "min_stage_fraction"
        );
    }
    // The textual forms the command line uses.
    assert_eq!("independent".parse::<Null>().unwrap(), Null::Independent);
    assert_eq!(Null::Markov.to_string(), "markov");
    assert_eq!(
        "bonferroni".parse::<casc_motif::Correction>().unwrap(),
        casc_motif::Correction::Bonferroni
    );
    assert_eq!(
        "off".parse::<StageDurations>().unwrap(),
        StageDurations::Ignored
    );
    assert_eq!(
        "0.5".parse::<StageDurations>().unwrap(),
        StageDurations::Minimum { fraction: 0.5 }
    );
    assert!("often".parse::<StageDurations>().is_err() && "x".parse::<Null>().is_err());
    assert_eq!(invalid_name(MotifParams::new(-1.0).check()), "beta");
    assert_eq!(invalid_name(MotifParams::new(f64::NAN).check()), "beta");
    assert_eq!(
        invalid_name(MotifParams::new(f64::INFINITY).check()),
        "beta"
    );
    assert_eq!(
        invalid_name(MotifParams::new(1.0).gamma(0.0).check()),
        "gamma"
    );
    assert_eq!(
        invalid_name(MotifParams::new(1.0).gamma(1.5).check()),
        "gamma"
    );
    assert_eq!(
        invalid_name(MotifParams::new(1.0).gamma(f64::NAN).check()),
        "gamma"
    );
    assert_eq!(
        invalid_name(MotifParams::new(1.0).min_instances(0).check()),
        "min_instances"
    );
    assert_eq!(
        invalid_name(MotifParams::new(1.0).max_motifs(0).check()),
        "max_motifs"
    );
    let msg = MotifParams::new(1.0)
        .gamma(2.0)
        .check()
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("gamma") && msg.contains('2') && msg.contains("(0, 1]"),
        "{msg}"
    );
}

#[test]
fn input_errors() {
    let p = MotifParams::new(1.0).check().unwrap();
    let costs = vec![0.0; 8];
    let plain = vec![0, 1, 1, 0];
    assert!(matches!(
        motif_step(&costs, 2, &plain, &[0..3], &p),
        Err(MotifError::BadRecordings { .. })
    ));
    assert!(matches!(
        motif_step(&costs, 2, &plain, &[0..2, 3..4], &p),
        Err(MotifError::BadRecordings { .. })
    ));
    assert!(matches!(
        motif_step(&costs, 2, &[0, 1, 2, 0], &[0..4], &p),
        Err(MotifError::StateOutOfRange {
            index: 2,
            state: 2,
            k: 2
        })
    ));
    let mut bad = costs.clone();
    bad[5] = f64::NAN;
    assert!(matches!(
        motif_step(&bad, 2, &plain, &[0..4], &p),
        Err(MotifError::NonFiniteCost { t: 2, state: 1, .. })
    ));
    assert!(matches!(
        apply_motifs(&costs, 2, &plain, &[0..4], &[vec![0]], &p),
        Err(MotifError::BadMotif { .. })
    ));
    assert!(matches!(
        apply_motifs(&costs, 2, &plain, &[0..4], &[vec![0, 2]], &p),
        Err(MotifError::BadMotif { .. })
    ));
    // Empty input is fine and changes nothing.
    let step = motif_step(&[], 2, &[], &[0..0], &p).unwrap();
    assert!(step.assignment.is_empty() && step.motifs.is_empty() && step.candidates.is_empty());
}

#[test]
fn collapse_breaks_at_recording_boundaries() {
    let c = collapse(&[1, 1, 2, 2, 2, 0], &[0..3, 3..6]);
    assert_eq!(c.states, vec![1, 2, 2, 0]);
    assert_eq!(c.per_recording, vec![2, 2]);
    assert_eq!(text_with_sentinels(&c, 3), vec![1, 2, 3, 2, 0]);
}

#[test]
fn no_repeat_spans_a_recording_boundary() {
    // Each recording is "0 1" / "2 3": joined, "1 2" would repeat across every boundary.
    let rec_len = 4;
    let n_rec = 6;
    let assignment: Vec<usize> = (0..n_rec * rec_len)
        .map(|t| if t % rec_len < 2 { t % 2 } else { 2 + t % 2 })
        .collect();
    let recordings: Vec<_> = (0..n_rec).map(|r| r * rec_len..(r + 1) * rec_len).collect();
    let collapsed = collapse(&assignment, &recordings);
    assert_eq!(collapsed.states.len(), n_rec * 4);
    let text = text_with_sentinels(&collapsed, 4);
    let reps = maximal_repeats(&text, 2);
    assert_eq!(reps.len(), 1);
    assert_eq!(reps[0].symbols, vec![0, 1, 2, 3]);
    // Without the boundaries, the sequence is periodic and "1 2" etc. would be inside longer repeats.
    let joined = maximal_repeats(&collapsed.states, 2);
    assert!(joined.iter().any(|r| r.symbols.len() > 4));
}

#[test]
fn motif_hmm_restarts_at_every_recording() {
    let (costs, k, plain, beta, gamma) = case(0);
    let t = plain.len();
    // Boundaries inside reference instances [730, 769] and [1930, 1959].
    let cuts = [0, 745, 1945, t];
    let recordings: Vec<_> = cuts.windows(2).map(|w| w[0]..w[1]).collect();
    let motif = [3, 4, 5];
    let input = HmmInput {
        costs: &costs,
        k,
        plain: &plain,
        recordings: &recordings,
        beta,
        garbage_penalty: -gamma.ln(),
    };
    let joint = decode_motif(&input, &motif, &mut DecodeBuffers::default());
    let mut separate = Vec::new();
    for r in &recordings {
        let sub = HmmInput {
            costs: &costs[r.start * k..r.end * k],
            k,
            plain: &plain[r.clone()],
            recordings: &[0..r.len()],
            beta,
            garbage_penalty: -gamma.ln(),
        };
        for mut x in decode_motif(&sub, &motif, &mut DecodeBuffers::default()) {
            x.stage_starts.iter_mut().for_each(|s| *s += r.start);
            x.end += r.start;
            separate.push(x);
        }
    }
    assert_eq!(joint, separate);
    for x in &joint {
        assert!(
            recordings
                .iter()
                .any(|r| r.contains(&x.stage_starts[0]) && r.contains(&x.end))
        );
    }
    // The whole step: no kept instance crosses a boundary either. (The reference's null finds
    // the motif in this short series; the Markov null does not, see the conformance tests.)
    let p = MotifParams::new(beta)
        .gamma(gamma)
        .null(Null::Independent)
        .durations(StageDurations::Ignored)
        .check()
        .unwrap();
    let step = motif_step(&costs, k, &plain, &recordings, &p).unwrap();
    assert!(!step.motifs.is_empty());
    for m in &step.motifs {
        for x in &m.instances {
            assert!(
                recordings
                    .iter()
                    .any(|r| r.contains(&x.start) && r.contains(&x.end))
            );
        }
    }
}

#[test]
fn apply_motifs_reproduces_the_step_with_its_candidates() {
    for i in 0..3 {
        let (costs, k, plain, beta, gamma) = case(i);
        let t = plain.len();
        let p = MotifParams::new(beta).gamma(gamma).check().unwrap();
        let step = motif_step(&costs, k, &plain, &[0..t], &p).unwrap();
        let given: Vec<Vec<usize>> = step.candidates.iter().map(|c| c.states.clone()).collect();
        let applied = apply_motifs(&costs, k, &plain, &[0..t], &given, &p).unwrap();
        assert_eq!(applied.assignment, step.assignment, "case {i}");
        assert_eq!(applied.motifs.len(), step.motifs.len());
        for (a, b) in applied.motifs.iter().zip(&step.motifs) {
            assert_eq!(a.states, b.states);
            assert_eq!(a.instances, b.instances);
            assert_eq!(a.score, b.score);
        }
        // Recomputed p-values equal the step's (both are the test without modules).
        for (a, b) in applied.candidates.iter().zip(&step.candidates) {
            assert_eq!(a.count, b.count);
            assert!((a.log_p_value - b.log_p_value).abs() <= 1e-9 * b.log_p_value.abs());
        }
    }
}

#[test]
fn motif_serde_round_trip() {
    let (costs, k, plain, beta, gamma) = case(0);
    let p = MotifParams::new(beta).gamma(gamma).check().unwrap();
    let step = motif_step(&costs, k, &plain, &[0..plain.len()], &p).unwrap();
    let text = serde_json::to_string(&step.motifs).unwrap();
    let back: Vec<casc_motif::Motif> = serde_json::from_str(&text).unwrap();
    // serde_json's default float parsing may differ in the last bit: compare with a tolerance.
    assert_eq!(back.len(), step.motifs.len());
    for (a, b) in back.iter().zip(&step.motifs) {
        assert_eq!(
            (&a.states, a.instances.len()),
            (&b.states, b.instances.len())
        );
        assert!((a.score - b.score).abs() <= 1e-12 * b.score.abs());
        for (x, y) in a.instances.iter().zip(&b.instances) {
            assert_eq!(
                (x.start, &x.stage_starts, x.end),
                (y.start, &y.stage_starts, y.end)
            );
            assert!((x.score - y.score).abs() <= 1e-12 * y.score.abs().max(1.0));
        }
    }
    // Stage starts are consistent with the span and the final assignment carries the stages.
    for m in &step.motifs {
        assert!(m.score.is_finite() && m.p_value >= 0.0);
        for x in &m.instances {
            assert_eq!(x.stage_starts[0], x.start);
            assert!(
                x.stage_starts.windows(2).all(|w| w[0] < w[1])
                    && *x.stage_starts.last().unwrap() <= x.end
            );
            for (s, &from) in x.stage_starts.iter().enumerate() {
                assert_eq!(step.assignment[from], m.states[s]);
            }
        }
    }
}

mod kept_motifs {
    use super::*;
    use proptest::prelude::*;

    /// A plain path of random segments over `k` states (1-6 steps each, neighbours differ) and
    /// costs that favour it (0 on the path, 0-3 elsewhere).
    fn input(k: usize, segs: &[(usize, usize)], noise: &[f64]) -> (Vec<f64>, Vec<usize>) {
        let mut plain = Vec::new();
        for &(s, len) in segs {
            let s = if plain.last() == Some(&s) {
                (s + 1) % k
            } else {
                s
            };
            plain.extend(std::iter::repeat_n(s, len));
        }
        let costs = plain
            .iter()
            .enumerate()
            .flat_map(|(t, &s)| {
                (0..k).map(move |j| {
                    if j == s {
                        0.0
                    } else {
                        noise[(t * k + j) % noise.len()]
                    }
                })
            })
            .collect();
        (costs, plain)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        /// Every motif kept has at least the minimum number of instances, stages that last
        /// their minimum durations and instances that do not overlap; under the independence
        /// null also a positive score (more instances than it expects).
        #[test]
        fn kept_motifs_are_supported_and_disjoint(
            segs in prop::collection::vec((0usize..4, 1usize..6), 20..120),
            noise in prop::collection::vec(0.0f64..3.0, 1..40),
            motifs in prop::collection::vec(prop::collection::vec(0usize..4, 2..4), 1..6),
            gamma in 0.05f64..1.0,
            beta in 0.0f64..4.0,
        ) {
            let k = 4;
            let (costs, plain) = input(k, &segs, &noise);
            let motifs: Vec<Vec<usize>> = motifs
                .into_iter()
                .filter(|m| m.windows(2).all(|p| p[0] != p[1]))
                .collect();
            prop_assume!(!motifs.is_empty());
            let t = plain.len();
            for null in [Null::Independent, Null::Markov] {
                let p = MotifParams::new(beta)
                    .gamma(gamma)
                    .min_instances(2)
                    .null(null)
                    .check()
                    .unwrap();
                let step = apply_motifs(&costs, k, &plain, &[0..t], &motifs, &p).unwrap();
                let mut spans: Vec<(usize, usize)> = Vec::new();
                for m in &step.motifs {
                    prop_assert!(m.instances.len() >= 2);
                    // The independence null prunes motifs with no more instances than chance.
                    prop_assert!(
                        null == Null::Markov || m.score > 0.0,
                        "motif {:?} kept with score {}", m.states, m.score
                    );
                    for x in &m.instances {
                        for (i, w) in x.stage_starts.windows(2).enumerate() {
                            prop_assert!(w[1] - w[0] >= m.min_durations[i]);
                        }
                        prop_assert!(x.end + 1 - x.stage_starts[m.states.len() - 1] >= m.min_durations[m.states.len() - 1]);
                    }
                    spans.extend(m.instances.iter().map(|x| (x.start, x.end)));
                }
                spans.sort_unstable();
                prop_assert!(spans.windows(2).all(|w| w[0].1 < w[1].0));
            }
        }
    }
}

/// Regression: data pasted end to end (a recording repeated 12 times) makes the whole
/// recording's stage sequence a significant repeat, longer than the motif HMM decodes
/// (`MAX_MOTIF_LEN` stages); the step panicked with "motif length 576 not in 1..=254". It is
/// no motif: such repeats are left out, and the step runs.
#[test]
fn a_repeat_longer_than_the_hmm_decodes_is_not_a_candidate() {
    let k = 4;
    // One recording: 300 segments of 5 steps, states from a fixed pseudo-random walk without
    // self-transitions.
    let mut period = Vec::new();
    let mut s = 0usize;
    let mut x = 12345u64;
    for _ in 0..300 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s = (s + 1 + (x >> 33) as usize % (k - 1)) % k;
        period.extend(std::iter::repeat_n(s, 5));
    }
    let plain: Vec<usize> = period
        .iter()
        .copied()
        .cycle()
        .take(period.len() * 12)
        .collect();
    let t = plain.len();
    let costs: Vec<f64> = (0..t * k)
        .map(|i| if plain[i / k] == i % k { 0.0 } else { 5.0 })
        .collect();
    let p = MotifParams::new(1.0).check().unwrap();
    let step = motif_step(&costs, k, &plain, &[0..t], &p).unwrap();
    assert!(
        step.candidates
            .iter()
            .all(|c| c.states.len() <= casc_motif::MAX_MOTIF_LEN)
    );
    assert_eq!(step.assignment.len(), t);
}
