//! Tests of the benchmark metrics: hand-computed cases, scikit-learn reference values, brute force, properties.

use std::collections::{BTreeMap, BTreeSet};

use approx::assert_abs_diff_eq;
use casc_eval::{
    EvalError, adjusted_mutual_info, adjusted_rand, covering, normalized_mutual_info, score,
};
use proptest::prelude::*;

/// The four metrics, in the order covering, AMI, NMI, ARI.
fn all(truth: &[usize], pred: &[usize]) -> [f64; 4] {
    [
        covering(truth, pred).unwrap(),
        adjusted_mutual_info(truth, pred).unwrap(),
        normalized_mutual_info(truth, pred).unwrap(),
        adjusted_rand(truth, pred).unwrap(),
    ]
}

#[test]
fn hand_computed_six_steps() {
    let truth = [0, 0, 0, 1, 1, 1];
    let pred = [0, 0, 1, 1, 1, 1];
    // Covering: true segments [0,3) and [3,6); predicted [0,2) and [2,6).
    // [0,3): Jaccard 2/3 with [0,2), 1/6 with [2,6) -> 2/3.
    // [3,6): Jaccard 0 with [0,2), 3/4 with [2,6) -> 3/4.
    // (3 * 2/3 + 3 * 3/4) / 6 = 4.25 / 6 = 17/24.
    assert_abs_diff_eq!(
        covering(&truth, &pred).unwrap(),
        17.0 / 24.0,
        epsilon = 1e-15
    );
    // Contingency [[2, 1], [0, 3]], rows (3, 3), columns (2, 4), n = 6.
    // ARI: sum C(nij,2) = 1 + 3 = 4; sum C(a,2) = 6; sum C(b,2) = 1 + 6 = 7;
    // expected = 6 * 7 / C(6,2) = 2.8; max = (6 + 7) / 2 = 6.5;
    // ARI = (4 - 2.8) / (6.5 - 2.8) = 12/37.
    assert_abs_diff_eq!(
        adjusted_rand(&truth, &pred).unwrap(),
        12.0 / 37.0,
        epsilon = 1e-15
    );
    // MI = 2/6 ln(2/6 / (1/2 * 1/3)) + 1/6 ln(1/6 / (1/2 * 2/3)) + 3/6 ln(3/6 / (1/2 * 2/3))
    //    = 1/3 ln 2 - 1/6 ln 2 + 1/2 ln(3/2) = 1/2 ln 3 - 1/3 ln 2.
    // H(truth) = ln 2; H(pred) = ln 3 - 2/3 ln 2; mean = 1/2 ln 3 + 1/6 ln 2.
    // NMI = (3 ln 3 - 2 ln 2) / (3 ln 3 + ln 2).
    let (l2, l3) = (2f64.ln(), 3f64.ln());
    assert_abs_diff_eq!(
        normalized_mutual_info(&truth, &pred).unwrap(),
        (3.0 * l3 - 2.0 * l2) / (3.0 * l3 + l2),
        epsilon = 1e-15
    );
    // AMI: E[MI] by averaging MI over all 720 orderings of `pred`.
    let mi = 0.5 * l3 - l2 / 3.0;
    let emi = brute_force_emi(&truth, &pred);
    let expected = (mi - emi) / (0.5 * l3 + l2 / 6.0 - emi);
    assert_abs_diff_eq!(
        adjusted_mutual_info(&truth, &pred).unwrap(),
        expected,
        epsilon = 1e-13
    );
}

#[test]
fn covering_counts_segments_not_labels() {
    // True segments [0,2), [2,4), [4,6) (label 0 twice); one predicted segment
    // [0,6): each scores 2/6, so covering = 3 * 2 * (1/3) / 6 = 1/3.
    let split = [0, 0, 1, 1, 0, 0];
    let one = [4; 6];
    assert_abs_diff_eq!(covering(&split, &one).unwrap(), 1.0 / 3.0, epsilon = 1e-15);
    // The other way round: one true segment, best overlap 2/6 -> 1/3.
    assert_abs_diff_eq!(covering(&one, &split).unwrap(), 1.0 / 3.0, epsilon = 1e-15);
    // A predicted split inside one true segment: [0,6) vs [0,1), [1,6) -> 5/6.
    let late = [0, 1, 1, 1, 1, 1];
    assert_abs_diff_eq!(covering(&one, &late).unwrap(), 5.0 / 6.0, epsilon = 1e-15);
}

#[test]
fn special_cases() {
    let one = [3; 5];
    let other = [8; 5];
    let mixed = [0, 1, 0, 1, 1];
    // Both single-labelled: all four are 1 (scikit-learn's special case).
    assert_eq!(all(&one, &other), [1.0; 4]);
    // Exactly one single-labelled: AMI, NMI, ARI are 0.
    for (t, p) in [(&one, &mixed), (&mixed, &one)] {
        assert_eq!(adjusted_mutual_info(t, p).unwrap(), 0.0);
        assert_eq!(normalized_mutual_info(t, p).unwrap(), 0.0);
        assert_eq!(adjusted_rand(t, p).unwrap(), 0.0);
    }
    // All singletons on both sides, in different orders: AMI and ARI are 1.
    let a: Vec<usize> = (0..50).collect();
    let b: Vec<usize> = (0..50).map(|i| (i * 7 + 3) % 50).collect();
    assert_eq!(adjusted_mutual_info(&a, &b).unwrap(), 1.0);
    assert_eq!(adjusted_rand(&a, &b).unwrap(), 1.0);
    assert_abs_diff_eq!(
        normalized_mutual_info(&a, &b).unwrap(),
        1.0,
        epsilon = 1e-12
    );
    // Single timestep.
    assert_eq!(all(&[2], &[9]), [1.0; 4]);
}

#[test]
fn input_errors() {
    type Metric = fn(&[usize], &[usize]) -> Result<f64, EvalError>;
    let metrics: [Metric; 4] = [
        covering,
        adjusted_mutual_info,
        normalized_mutual_info,
        adjusted_rand,
    ];
    for m in metrics {
        assert!(matches!(m(&[], &[]), Err(EvalError::Empty)));
        assert!(matches!(
            m(&[0, 1, 1], &[0, 1]),
            Err(EvalError::LengthMismatch {
                expected: 3,
                got: 2,
                ..
            })
        ));
    }
}

/// Reference values from scikit-learn 1.9.1 (numpy, Python 3.11):
/// `adjusted_mutual_info_score(t, p, average_method='arithmetic')`,
/// `normalized_mutual_info_score(t, p, average_method='arithmetic')`,
/// `adjusted_rand_score(t, p)`, printed with `repr`; e.g. for the n = 5000 case
/// `python -c "from sklearn.metrics import *; t=[(i//700)%4 for i in range(5000)];
/// p=[(i*7//1000)%5 for i in range(5000)]; print(repr(adjusted_mutual_info_score(t,p,
/// average_method='arithmetic')), repr(normalized_mutual_info_score(t,p,
/// average_method='arithmetic')), repr(adjusted_rand_score(t,p)))"`.
/// Covering: an independent Python implementation of ClaSP's definition,
/// `segs = lambda l: [set(range(a, b)) for a, b in zip(cps, cps[1:])]` with
/// `cps = [0] + [i for i in range(1, len(l)) if l[i] != l[i-1]] + [len(l)]`, and
/// `sum(len(A) * max(len(A & B) / len(A | B) for B in segs(p)) for A in segs(t)) / len(t)`.
struct Reference {
    truth: Vec<usize>,
    pred: Vec<usize>,
    ami: f64,
    nmi: f64,
    ari: f64,
    covering: Option<f64>,
}

fn references() -> Vec<Reference> {
    let seq = |n: usize, f: fn(usize) -> usize| (0..n).map(f).collect::<Vec<_>>();
    vec![
        // 3 true classes, 4 predicted clusters.
        Reference {
            truth: vec![0, 0, 0, 1, 1, 1, 2, 2, 2, 2],
            pred: vec![1, 1, 0, 0, 2, 2, 2, 3, 3, 3],
            ami: 0.40577818863462295,
            nmi: 0.6185727866539659,
            ari: 0.3644067796610169,
            covering: Some(0.65),
        },
        // Labels that are not 0..K, a label that recurs in two segments.
        Reference {
            truth: vec![5, 5, 9, 9, 9, 2, 2, 2, 2, 5, 5, 5],
            pred: vec![0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1],
            ami: 0.11524505174542546,
            nmi: 0.2298203006627602,
            ari: 0.07252946509519492,
            covering: Some(0.44375000000000003),
        },
        // A single-cluster prediction.
        Reference {
            truth: vec![0, 1, 2, 0, 1, 2, 0, 1, 2],
            pred: vec![7; 9],
            ami: 0.0,
            nmi: 0.0,
            ari: 0.0,
            covering: Some(0.11111111111111113),
        },
        // All-singleton truth: E[MI] = MI, so scikit-learn's AMI is rounding noise.
        Reference {
            truth: (0..9).collect(),
            pred: vec![0, 0, 0, 1, 1, 1, 2, 2, 2],
            ami: -3.233819351417964e-15,
            nmi: 0.6666666666666666,
            ari: 0.0,
            covering: Some(0.3333333333333333),
        },
        // The hand-computed case.
        Reference {
            truth: vec![0, 0, 0, 1, 1, 1],
            pred: vec![0, 0, 1, 1, 1, 1],
            ami: 0.355245321275764,
            nmi: 0.47870397138568005,
            ari: 0.32432432432432434,
            covering: Some(0.7083333333333334),
        },
        Reference {
            truth: seq(5000, |i| (i / 700) % 4),
            pred: seq(5000, |i| (i * 7 / 1000) % 5),
            ami: 0.0018873969370609253,
            nmi: 0.0026942860729275535,
            ari: 0.0010672721865740433,
            covering: Some(0.21428450704225352),
        },
        // 7 x 11 labels of unequal sizes.
        Reference {
            truth: seq(100_000, |i| (i / 1300 + i / 3100) % 7),
            pred: seq(100_000, |i| (i * 13 / 10007) % 11),
            ami: 0.044695863649239935,
            nmi: 0.04482788204208142,
            ari: 0.022139017368299173,
            covering: Some(0.5647341196340365),
        },
    ]
}

#[test]
fn scikit_learn_reference_values() {
    for (k, r) in references().iter().enumerate() {
        let [cov, ami, nmi, ari] = all(&r.truth, &r.pred);
        // Measured agreement: within 2e-14 on all of these.
        assert!(
            (ami - r.ami).abs() < 1e-12,
            "case {k}: AMI {ami} vs {}",
            r.ami
        );
        assert!(
            (nmi - r.nmi).abs() < 1e-12,
            "case {k}: NMI {nmi} vs {}",
            r.nmi
        );
        assert!(
            (ari - r.ari).abs() < 1e-12,
            "case {k}: ARI {ari} vs {}",
            r.ari
        );
        if let Some(c) = r.covering {
            assert!((cov - c).abs() < 1e-12, "case {k}: covering {cov} vs {c}");
        }
    }
}

#[test]
fn expected_mutual_info_is_linear_in_n() {
    // n = 10^6, 10 x 10 labels of unequal sizes: at most 10 * n terms of the
    // E[MI] sum (a quadratic algorithm would not finish). Reference values
    // from scikit-learn 1.9.1 as above, with
    // t = [(i//9000 + i//130000) % 10 for i in range(10**6)],
    // p = [(i//7919*3 + i//50000) % 10 for i in range(10**6)].
    // The AMI agrees to about 1e-13: ln k! near k = 10^6 is ~1.3e7, and the
    // ulps of those terms (ours and scikit-learn's) reach the exponent.
    let n = 1_000_000;
    let truth: Vec<usize> = (0..n).map(|i| (i / 9000 + i / 130_000) % 10).collect();
    let pred: Vec<usize> = (0..n).map(|i| (i / 7919 * 3 + i / 50_000) % 10).collect();
    let ami = adjusted_mutual_info(&truth, &pred).unwrap();
    assert!((ami - 0.06789616612807692).abs() < 1e-9, "AMI {ami}");
    let nmi = normalized_mutual_info(&truth, &pred).unwrap();
    assert!((nmi - 0.06791257702708746).abs() < 1e-9, "NMI {nmi}");
    let ari = adjusted_rand(&truth, &pred).unwrap();
    assert!((ari - 0.031931271185861206).abs() < 1e-9, "ARI {ari}");
}

#[test]
fn score_reports_the_metrics() {
    let truth = [0, 0, 0, 1, 1, 1];
    let pred = [0, 0, 1, 1, 1, 1];
    let s = score(&truth, &pred, None).unwrap();
    assert_abs_diff_eq!(s.covering, 17.0 / 24.0, epsilon = 1e-15);
    assert_abs_diff_eq!(s.ari, 12.0 / 37.0, epsilon = 1e-15);
    assert_abs_diff_eq!(s.ami, 0.355245321275764, epsilon = 1e-9);
    assert_abs_diff_eq!(s.nmi, 0.47870397138568005, epsilon = 1e-9);
    let text = s.to_string();
    for line in [
        "covering      0.7083\n",
        "AMI           0.3552\n",
        "NMI           0.4787\n",
        "ARI           0.3243\n",
    ] {
        assert!(text.contains(line), "{text}");
    }
    let json = serde_json::to_value(&s).unwrap();
    for key in ["covering", "ami", "nmi", "ari"] {
        assert!(json[key].is_f64(), "{key} missing from {json}");
    }
}

/// Mutual information in nats, straight from the definition.
fn naive_mi(truth: &[usize], pred: &[usize]) -> f64 {
    let n = truth.len() as f64;
    let mut joint = BTreeMap::new();
    let mut rows = BTreeMap::new();
    let mut cols = BTreeMap::new();
    for (&t, &p) in truth.iter().zip(pred) {
        *joint.entry((t, p)).or_insert(0.0) += 1.0;
        *rows.entry(t).or_insert(0.0) += 1.0;
        *cols.entry(p).or_insert(0.0) += 1.0;
    }
    joint
        .iter()
        .map(|(&(t, p), &c)| c / n * (n * c / (rows[&t] * cols[&p])).ln())
        .sum()
}

/// Entropy in nats, straight from the definition.
fn naive_entropy(labels: &[usize]) -> f64 {
    let n = labels.len() as f64;
    let mut counts = BTreeMap::new();
    for &l in labels {
        *counts.entry(l).or_insert(0.0) += 1.0;
    }
    counts.values().map(|&c| -c / n * (c / n).ln()).sum()
}

/// E[MI] under random permutations: the mean MI over every ordering of `pred`
/// (Heap's algorithm; n! orderings).
fn brute_force_emi(truth: &[usize], pred: &[usize]) -> f64 {
    let mut p = pred.to_vec();
    let n = p.len();
    let mut c = vec![0; n];
    let mut sum = naive_mi(truth, &p);
    let mut count = 1.0;
    let mut i = 0;
    while i < n {
        if c[i] < i {
            if i % 2 == 0 {
                p.swap(0, i);
            } else {
                p.swap(c[i], i);
            }
            sum += naive_mi(truth, &p);
            count += 1.0;
            c[i] += 1;
            i = 0;
        } else {
            c[i] = 0;
            i += 1;
        }
    }
    sum / count
}

/// Covering straight from the definition: index sets, every pair of segments.
fn naive_covering(truth: &[usize], pred: &[usize]) -> f64 {
    let segments = |l: &[usize]| {
        let mut out: Vec<BTreeSet<usize>> = Vec::new();
        for (t, &x) in l.iter().enumerate() {
            if t == 0 || l[t - 1] != x {
                out.push(BTreeSet::new());
            }
            out.last_mut().unwrap().insert(t);
        }
        out
    };
    let p = segments(pred);
    segments(truth)
        .iter()
        .map(|a| {
            let best = p
                .iter()
                .map(|b| a.intersection(b).count() as f64 / a.union(b).count() as f64)
                .fold(0.0, f64::max);
            a.len() as f64 * best
        })
        .sum::<f64>()
        / truth.len() as f64
}

/// Two labelings of the same length (1..=60) over up to 6 labels each.
fn labeling_pair() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    (1usize..=60, 1usize..=6, 1usize..=6).prop_flat_map(|(n, kt, kp)| {
        (
            prop::collection::vec(0..kt, n),
            prop::collection::vec(0..kp, n),
        )
    })
}

/// Runs of labels, so that segments are longer than one step.
fn segmented_pair() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    let runs = || prop::collection::vec((0usize..4, 1usize..8), 1..10);
    (runs(), runs()).prop_map(|(a, b)| {
        let expand = |r: &[(usize, usize)]| -> Vec<usize> {
            r.iter()
                .flat_map(|&(l, len)| std::iter::repeat_n(l, len))
                .collect()
        };
        let (mut t, mut p) = (expand(&a), expand(&b));
        let n = t.len().min(p.len());
        t.truncate(n);
        p.truncate(n);
        (t, p)
    })
}

proptest! {
    #[test]
    fn relabelling_changes_nothing(
        (truth, pred) in labeling_pair(),
        seed in any::<u64>(),
    ) {
        // An injective map to large, scattered labels (takes the hashed path).
        let relabel = |l: usize, salt: u64| {
            (usize::MAX - l * 1_000_003) ^ (seed.wrapping_mul(salt) as usize & !0xFF_FFFF)
        };
        let t2: Vec<usize> = truth.iter().map(|&l| relabel(l, 3)).collect();
        let p2: Vec<usize> = pred.iter().map(|&l| relabel(l, 5)).collect();
        // Also a plain permutation of 0..6 on one side only.
        let p3: Vec<usize> = pred.iter().map(|&l| (l + seed as usize % 6) % 6).collect();
        let base = all(&truth, &pred);
        prop_assert_eq!(base, all(&t2, &pred));
        prop_assert_eq!(base, all(&truth, &p2));
        prop_assert_eq!(base, all(&t2, &p2));
        prop_assert_eq!(base, all(&truth, &p3));
    }

    #[test]
    fn information_scores_are_symmetric((truth, pred) in labeling_pair()) {
        let [_, ami, nmi, ari] = all(&truth, &pred);
        let [_, ami_t, nmi_t, ari_t] = all(&pred, &truth);
        prop_assert!((ami - ami_t).abs() < 1e-10, "AMI {} vs {}", ami, ami_t);
        prop_assert!((nmi - nmi_t).abs() < 1e-12, "NMI {} vs {}", nmi, nmi_t);
        prop_assert_eq!(ari, ari_t);
    }

    #[test]
    fn identical_labelings_score_one((truth, _) in labeling_pair()) {
        let [cov, ami, nmi, ari] = all(&truth, &truth);
        prop_assert_eq!(cov, 1.0);
        prop_assert_eq!(ami, 1.0);
        prop_assert_eq!(ari, 1.0);
        prop_assert!((nmi - 1.0).abs() < 1e-12, "NMI {}", nmi);
    }

    #[test]
    fn ranges_and_naive_definitions((truth, pred) in segmented_pair()) {
        let [cov, _, nmi, ari] = all(&truth, &pred);
        prop_assert!((0.0..=1.0).contains(&cov), "covering {}", cov);
        prop_assert!((cov - naive_covering(&truth, &pred)).abs() < 1e-12);
        prop_assert!((-1e-12..=1.0 + 1e-12).contains(&nmi), "NMI {}", nmi);
        prop_assert!((-0.5 - 1e-12..=1.0 + 1e-12).contains(&ari), "ARI {}", ari);
        let single = |l: &[usize]| l.iter().all(|&x| x == l[0]);
        if !single(&truth) && !single(&pred) {
            let mean_h = 0.5 * (naive_entropy(&truth) + naive_entropy(&pred));
            prop_assert!((nmi - naive_mi(&truth, &pred) / mean_h).abs() < 1e-12);
        }
    }

    #[test]
    fn ami_matches_brute_force_expectation(
        (truth, pred) in (2usize..=7).prop_flat_map(|n| (
            prop::collection::vec(0usize..3, n),
            prop::collection::vec(0usize..3, n),
        )),
    ) {
        let single = |l: &[usize]| l.iter().all(|&x| x == l[0]);
        prop_assume!(!single(&truth) && !single(&pred));
        let emi = brute_force_emi(&truth, &pred);
        let mi = naive_mi(&truth, &pred);
        let denominator = 0.5 * (naive_entropy(&truth) + naive_entropy(&pred)) - emi;
        // Away from the degenerate case where both terms are rounding noise.
        prop_assume!(denominator > 1e-6);
        let ami = adjusted_mutual_info(&truth, &pred).unwrap();
        prop_assert!(
            (ami - (mi - emi) / denominator).abs() < 1e-9,
            "AMI {} vs brute force {}", ami, (mi - emi) / denominator
        );
    }
}
