//! Tests of the scorer: hand-computed confusion matrices, Hungarian vs brute force, relabelling, readers.

use approx::assert_abs_diff_eq;
use casc_eval::{EvalError, hungarian_max, read_labels, read_mask, score};
use proptest::prelude::*;

#[test]
fn square_hand_computed() {
    // confusion[true][pred]: t0 = [1, 2, 0], t1 = [2, 0, 0], t2 = [0, 1, 3].
    // Best matching p1->t0 (2), p0->t1 (2), p2->t2 (3): 7 of 9 correct.
    let truth = [0, 0, 0, 1, 1, 2, 2, 2, 2];
    let pred = [1, 1, 0, 0, 0, 2, 2, 2, 1];
    let s = score(&truth, &pred, None).unwrap();
    assert_eq!(
        s.confusion,
        vec![vec![1, 2, 0], vec![2, 0, 0], vec![0, 1, 3]]
    );
    assert_eq!(s.mapping, vec![(0, Some(1)), (1, Some(0)), (2, Some(2))]);
    assert_abs_diff_eq!(s.accuracy, 7.0 / 9.0, epsilon = 1e-15);
    // F1 = 2 tp / (support + predicted count).
    let f1 = [4.0 / 6.0, 4.0 / 5.0, 6.0 / 7.0];
    for (a, b) in s.per_state_f1.iter().zip(f1) {
        assert_abs_diff_eq!(*a, b, epsilon = 1e-15);
    }
    assert_eq!(s.support, vec![3, 2, 4]);
    assert_abs_diff_eq!(
        s.weighted_f1,
        (3.0 * f1[0] + 2.0 * f1[1] + 4.0 * f1[2]) / 9.0,
        epsilon = 1e-15
    );
    assert_abs_diff_eq!(s.macro_f1, (f1[0] + f1[1] + f1[2]) / 3.0, epsilon = 1e-15);
    assert_eq!(s.motif_weighted_f1, None);
    let table = s.to_string();
    assert!(table.contains("accuracy      0.7778"), "{table}");
}

#[test]
fn motif_f1_uses_the_global_mapping() {
    let truth = [0, 0, 0, 1, 1, 2, 2, 2, 2];
    let pred = [1, 1, 0, 0, 0, 2, 2, 2, 1];
    let mask = [false, false, false, false, false, true, true, true, true];
    let s = score(&truth, &pred, Some(&mask)).unwrap();
    // Masked: t2 has support 4, matched p2 predicted 3 times there, all right.
    assert_abs_diff_eq!(s.motif_weighted_f1.unwrap(), 6.0 / 7.0, epsilon = 1e-15);
    // A mask that selects nothing gives no figure.
    let none = [false; 9];
    assert_eq!(
        score(&truth, &pred, Some(&none)).unwrap().motif_weighted_f1,
        None
    );
}

#[test]
fn more_predicted_than_true_states() {
    // confusion: t0 = [2, 0, 1], t1 = [0, 2, 1]; p2 stays unmatched and its steps are wrong.
    let truth = [0, 0, 0, 1, 1, 1];
    let pred = [0, 0, 2, 1, 1, 2];
    let s = score(&truth, &pred, None).unwrap();
    assert_eq!(s.mapping, vec![(0, Some(0)), (1, Some(1)), (2, None)]);
    assert_abs_diff_eq!(s.accuracy, 4.0 / 6.0, epsilon = 1e-15);
    assert_abs_diff_eq!(s.per_state_f1[0], 0.8, epsilon = 1e-15);
    assert_abs_diff_eq!(s.per_state_f1[1], 0.8, epsilon = 1e-15);
    assert_abs_diff_eq!(s.weighted_f1, 0.8, epsilon = 1e-15);
    assert_abs_diff_eq!(s.macro_f1, 0.8, epsilon = 1e-15);
    assert!(s.to_string().contains("unmatched predicted states: 2"));
}

#[test]
fn fewer_predicted_than_true_states() {
    // confusion: t0 = [3, 0], t1 = [2, 0], t2 = [0, 4]; t1 gets no predicted state.
    let truth = [0, 0, 0, 1, 1, 2, 2, 2, 2];
    let pred = [0, 0, 0, 0, 0, 1, 1, 1, 1];
    let s = score(&truth, &pred, None).unwrap();
    assert_eq!(s.mapping, vec![(0, Some(0)), (1, Some(2))]);
    assert_abs_diff_eq!(s.accuracy, 7.0 / 9.0, epsilon = 1e-15);
    assert_abs_diff_eq!(s.per_state_f1[0], 6.0 / 8.0, epsilon = 1e-15);
    assert_eq!(s.per_state_f1[1], 0.0);
    assert_abs_diff_eq!(s.per_state_f1[2], 1.0, epsilon = 1e-15);
    assert_abs_diff_eq!(s.weighted_f1, (3.0 * 0.75 + 4.0) / 9.0, epsilon = 1e-15);
    assert_abs_diff_eq!(s.macro_f1, 1.75 / 3.0, epsilon = 1e-15);
}

#[test]
fn absent_true_label_is_left_out_of_macro_f1() {
    // True label 1 never occurs: its F1 is reported as 0 but not averaged.
    let truth = [0, 0, 2, 2];
    let pred = [5, 5, 3, 3];
    let s = score(&truth, &pred, None).unwrap();
    assert_eq!(s.support, vec![2, 0, 2]);
    assert_eq!(s.macro_f1, 1.0);
    assert_eq!(s.weighted_f1, 1.0);
    assert_eq!(s.accuracy, 1.0);
}

#[test]
fn input_errors() {
    assert!(matches!(score(&[], &[], None), Err(EvalError::Empty)));
    assert!(matches!(
        score(&[0, 1], &[0], None),
        Err(EvalError::LengthMismatch {
            expected: 2,
            got: 1,
            ..
        })
    ));
    assert!(matches!(
        score(&[0, 1], &[0, 1], Some(&[true])),
        Err(EvalError::LengthMismatch {
            what: "motif mask",
            ..
        })
    ));
    assert!(matches!(
        score(&[0, 1], &[0, usize::MAX], None),
        Err(EvalError::LabelTooLarge { .. })
    ));
}

#[test]
fn hungarian_edge_cases() {
    assert!(hungarian_max(&[]).is_empty());
    assert_eq!(hungarian_max(&[vec![], vec![]]), vec![None, None]);
    assert_eq!(hungarian_max(&[vec![1.0, 5.0]]), vec![Some(1)]);
    assert_eq!(hungarian_max(&[vec![1.0], vec![5.0]]), vec![None, Some(0)]);
    // Greedy would take 10 and then 1; the optimum is 9 + 9.
    assert_eq!(
        hungarian_max(&[vec![10.0, 9.0], vec![9.0, 1.0]]),
        vec![Some(1), Some(0)]
    );
    // Negative weights are fine.
    assert_eq!(
        hungarian_max(&[vec![-1.0, -3.0], vec![-2.0, -10.0]]),
        vec![Some(1), Some(0)]
    );
}

/// Best total weight over all injective maps of the smaller side into the larger.
fn brute_force(w: &[Vec<f64>]) -> f64 {
    fn rec(w: &[Vec<f64>], row: usize, used: &mut Vec<bool>, transpose: bool) -> f64 {
        let (rows, cols) = if transpose {
            (w[0].len(), w.len())
        } else {
            (w.len(), w[0].len())
        };
        if row == rows {
            return 0.0;
        }
        let mut best = f64::NEG_INFINITY;
        for c in 0..cols {
            if !used[c] {
                used[c] = true;
                let v = if transpose { w[c][row] } else { w[row][c] };
                best = best.max(v + rec(w, row + 1, used, transpose));
                used[c] = false;
            }
        }
        best
    }
    let transpose = w.len() > w[0].len();
    let cols = if transpose { w.len() } else { w[0].len() };
    rec(w, 0, &mut vec![false; cols], transpose)
}

fn weights() -> impl Strategy<Value = Vec<Vec<f64>>> {
    (1usize..6, 1usize..6).prop_flat_map(|(r, c)| {
        proptest::collection::vec(proptest::collection::vec(-5i32..20, c), r).prop_map(|m| {
            m.into_iter()
                .map(|row| row.into_iter().map(f64::from).collect())
                .collect()
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn hungarian_matches_brute_force(w in weights()) {
        let m = hungarian_max(&w);
        prop_assert_eq!(m.len(), w.len());
        let cols: Vec<usize> = m.iter().flatten().copied().collect();
        let mut sorted = cols.clone();
        sorted.sort_unstable();
        sorted.dedup();
        prop_assert_eq!(sorted.len(), cols.len(), "a column is used twice");
        prop_assert_eq!(cols.len(), w.len().min(w[0].len()));
        let total: f64 = m.iter().enumerate().filter_map(|(i, c)| c.map(|c| w[i][c])).sum();
        prop_assert_eq!(total, brute_force(&w));
    }

    #[test]
    fn relabelled_perfect_prediction_scores_one(
        truth in proptest::collection::vec(0usize..7, 1..300),
        perm_seed in any::<u64>(),
        mask_bits in proptest::collection::vec(any::<bool>(), 300),
    ) {
        // A permutation of 0..7 from the seed (Fisher-Yates with a tiny LCG).
        let mut perm: Vec<usize> = (0..7).collect();
        let mut s = perm_seed;
        for i in (1..7).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            perm.swap(i, (s >> 33) as usize % (i + 1));
        }
        let pred: Vec<usize> = truth.iter().map(|&t| perm[t]).collect();
        let mask = &mask_bits[..truth.len()];
        let sc = score(&truth, &pred, Some(mask)).unwrap();
        prop_assert_eq!(sc.accuracy, 1.0);
        prop_assert_eq!(sc.weighted_f1, 1.0);
        prop_assert_eq!(sc.macro_f1, 1.0);
        if mask.iter().any(|&m| m) {
            prop_assert_eq!(sc.motif_weighted_f1, Some(1.0));
        }
        for &t in &truth {
            prop_assert_eq!(sc.mapping[perm[t]], (perm[t], Some(t)));
        }
    }

    #[test]
    fn scores_are_bounded(
        pairs in proptest::collection::vec((0usize..5, 0usize..8), 1..200),
    ) {
        let (truth, pred): (Vec<usize>, Vec<usize>) = pairs.into_iter().unzip();
        let sc = score(&truth, &pred, None).unwrap();
        for v in [sc.accuracy, sc.weighted_f1, sc.macro_f1] {
            prop_assert!((0.0..=1.0).contains(&v));
        }
        // Accuracy counts exactly the matched cells of the confusion matrix.
        let correct = (sc.accuracy * truth.len() as f64).round() as usize;
        let diag: usize = sc.mapping.iter().filter_map(|&(p, t)| t.map(|t| sc.confusion[t][p])).sum();
        prop_assert_eq!(correct, diag);
    }
}

fn temp_file(name: &str, contents: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("casc-eval-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, contents).unwrap();
    p
}

#[test]
fn read_labels_formats() {
    let p = temp_file("bare.csv", "0\n1\n2\n\n\n");
    assert_eq!(read_labels(&p).unwrap(), vec![0, 1, 2]);
    let p = temp_file("header.csv", "t,state\r\n0,3\r\n1,4\r\n2,3.0\r\n");
    assert_eq!(read_labels(&p).unwrap(), vec![3, 4, 3]);
    let p = temp_file("bad.csv", "t,state\n0,3\n1,x\n");
    match read_labels(&p) {
        Err(EvalError::Parse { line, column, .. }) => assert_eq!((line, column), (3, 2)),
        other => panic!("{other:?}"),
    }
    let p = temp_file("neg.csv", "1\n-1\n");
    let e = read_labels(&p).unwrap_err();
    assert!(matches!(
        e,
        EvalError::Parse {
            line: 2,
            column: 1,
            ..
        }
    ));
    assert!(e.to_string().contains("neg.csv:2:1"), "{e}");
    let p = temp_file("blank.csv", "1\n\n2\n");
    assert!(matches!(
        read_labels(&p),
        Err(EvalError::Parse { line: 2, .. })
    ));
    let p = temp_file("cols.csv", "t,state\n0,1\n1\n");
    assert!(matches!(
        read_labels(&p),
        Err(EvalError::Parse { line: 3, .. })
    ));
    let missing = std::env::temp_dir().join("casc-eval-no-such-file.csv");
    assert!(matches!(read_labels(&missing), Err(EvalError::Io { .. })));
}

#[test]
fn read_mask_formats() {
    let p = temp_file("mask.csv", "0\n1\n1\n0\n");
    assert_eq!(read_mask(&p).unwrap(), vec![false, true, true, false]);
    let p = temp_file("mask_h.csv", "t,motif\n0,true\n1,0\n");
    assert_eq!(read_mask(&p).unwrap(), vec![true, false]);
    let p = temp_file("mask_bad.csv", "0\n2\n");
    assert!(matches!(
        read_mask(&p),
        Err(EvalError::Parse {
            line: 2,
            column: 1,
            ..
        })
    ));
}
