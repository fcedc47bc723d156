//! End-to-end tests of the fit: recovery, determinism, parameter and data errors, hard numerics.

use casc_fit::{FitError, FitParams, Series, fit};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u: f64 = rng.random::<f64>().max(1e-300);
    let v: f64 = rng.random();
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

/// Three well separated 2-sensor states (different means and correlations), segments of 60 steps
/// in the order 0 1 2 1 0 2 ..., returned with the true labels.
fn three_states(segments: usize, seed: u64) -> (Series, Vec<usize>) {
    states_in_order(&[0, 1, 2, 1, 0, 2], segments, 0, seed)
}

/// The three states of [`three_states`], 60-step segments: the first `head` segments alternate
/// 0 and 1, the rest cycle through `order`.
fn states_in_order(
    order: &[usize],
    segments: usize,
    head: usize,
    seed: u64,
) -> (Series, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let means = [[0.0, 0.0], [6.0, -6.0], [-6.0, 6.0]];
    let rho: [f64; 3] = [0.0, 0.8, -0.8];
    let mut values = Vec::new();
    let mut truth = Vec::new();
    for s in 0..segments {
        let k = if s < head {
            s % 2
        } else {
            order[s % order.len()]
        };
        for _ in 0..60 {
            let a = normal(&mut rng);
            let b = rho[k] * a + (1.0 - rho[k] * rho[k]).sqrt() * normal(&mut rng);
            values.push(means[k][0] + a);
            values.push(means[k][1] + b);
            truth.push(k);
        }
    }
    (Series::new(values, 2, None).unwrap(), truth)
}

/// True when `a` equals `b` up to a one-to-one relabelling.
fn same_up_to_relabelling(a: &[usize], b: &[usize]) -> bool {
    let mut map = std::collections::HashMap::new();
    let mut inv = std::collections::HashMap::new();
    a.iter()
        .zip(b)
        .all(|(x, y)| *map.entry(x).or_insert(y) == y && *inv.entry(y).or_insert(x) == x)
}

#[test]
fn recovers_three_well_separated_states() {
    let (series, truth) = three_states(15, 7);
    let params = FitParams::new(3).motifs(false).seed(3).check().unwrap();
    let f = fit(&series, &params).unwrap();
    assert!(same_up_to_relabelling(&f.assignment, &truth));
    assert!(f.diagnostics.phase1_converged);
    assert!(f.bic.is_finite());
    assert_eq!(f.state_counts.iter().sum::<usize>(), truth.len());
}

#[test]
fn recovers_with_a_window_of_three() {
    let (series, truth) = three_states(12, 8);
    let params = FitParams::new(3).window(3).motifs(false).check().unwrap();
    let f = fit(&series, &params).unwrap();
    // A window straddling a true boundary may go either way: allow w - 1 = 2 steps per boundary.
    let mismatched = {
        let mut best = usize::MAX;
        for perm in [
            [0, 1, 2],
            [0, 2, 1],
            [1, 0, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0],
        ] {
            let e = f
                .assignment
                .iter()
                .zip(&truth)
                .filter(|(a, b)| perm[**a] != **b)
                .count();
            best = best.min(e);
        }
        best
    };
    assert!(mismatched <= 2 * 11, "{mismatched} timesteps mislabelled");
    for s in &f.model.states {
        assert_eq!(s.mean.len(), 6);
        assert!(s.precision.iter().all(|v| v.is_finite()));
    }
}

#[test]
fn same_seed_same_result_whatever_the_thread_count() {
    let (series, _) = three_states(10, 9);
    let params = FitParams::new(4)
        .seed(11)
        .motif_min_instances(2)
        .check()
        .unwrap();
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| fit(&series, &params).unwrap())
    };
    let a = run(1);
    let b = run(2);
    assert_eq!(a.assignment, b.assignment);
    assert_eq!(a.model, b.model);
    assert_eq!(a.bic.to_bits(), b.bic.to_bits());
}

#[test]
fn predicting_on_the_training_data_reproduces_the_fit() {
    let (series, _) = three_states(15, 10);
    for motifs in [false, true] {
        let params = FitParams::new(3)
            .motifs(motifs)
            .motif_min_instances(3)
            .check()
            .unwrap();
        let f = fit(&series, &params).unwrap();
        let p = f.model.predict(&series).unwrap();
        assert_eq!(p.assignment, f.assignment, "motifs = {motifs}");
    }
}

#[test]
fn one_parameter_error_per_invalid_parameter() {
    let cases: Vec<(FitParams, &str)> = vec![
        (FitParams::new(0), "states"),
        (FitParams::new(2).window(0), "window"),
        (FitParams::new(2).lambda(-1.0), "lambda"),
        (FitParams::new(2).lambda(f64::NAN), "lambda"),
        (FitParams::new(2).beta(-0.5), "beta"),
        (FitParams::new(2).beta(f64::INFINITY), "beta"),
        (FitParams::new(2).max_iters(0), "max-iters"),
        (FitParams::new(2).gamma(0.0), "gamma"),
        (FitParams::new(2).gamma(1.5), "gamma"),
        (
            FitParams::new(2).motif_min_instances(0),
            "motif-min-instances",
        ),
        (FitParams::new(2).max_motifs(0), "max-motifs"),
        (FitParams::new(2).motif_iters(0), "motif-iters"),
        (FitParams::new(2).init_restarts(0), "init-restarts"),
    ];
    for (p, name) in cases {
        let e = p.check().unwrap_err();
        assert_eq!(e.name, name, "{e}");
        assert!(e.to_string().contains(name));
    }
}

#[test]
fn data_dependent_limits_are_errors() {
    let series = Series::new(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, None).unwrap();
    let e = fit(&series, &FitParams::new(4).check().unwrap()).unwrap_err();
    assert!(
        matches!(e, FitError::Param(ref p) if p.name == "states"),
        "{e}"
    );
    let e = fit(&series, &FitParams::new(1).window(4).check().unwrap()).unwrap_err();
    assert!(
        matches!(e, FitError::Param(ref p) if p.name == "window"),
        "{e}"
    );
    assert!(Series::new(vec![1.0, f64::NAN], 2, None).is_err());
    assert!(Series::new(vec![1.0, 2.0, 3.0], 2, None).is_err());
    let huge = Series::new(vec![1e300, 1.0, -1e300, 2.0, 5e299, 3.0], 2, None).unwrap();
    let e = fit(&huge, &FitParams::new(1).check().unwrap()).unwrap_err();
    assert!(e.to_string().contains("--standardize"), "{e}");
    let f = fit(
        &huge,
        &FitParams::new(1)
            .standardize(true)
            .motifs(false)
            .check()
            .unwrap(),
    )
    .unwrap();
    assert!(f.bic.is_finite());
}

fn assert_all_finite(f: &casc_fit::Fit) {
    assert!(f.bic.is_finite());
    for s in &f.model.states {
        assert!(s.mean.iter().chain(&s.precision).all(|v| v.is_finite()));
    }
}

#[test]
fn constant_and_duplicated_sensors_give_finite_results() {
    let (series, _) = three_states(8, 12);
    let values: Vec<f64> = series
        .values()
        .chunks(2)
        .flat_map(|r| [r[0], r[1], 5.0, r[0]])
        .collect();
    let s = Series::new(values, 4, None).unwrap();
    for lambda in [0.0, 1e-3] {
        let f = fit(
            &s,
            &FitParams::new(3)
                .lambda(lambda)
                .motifs(false)
                .check()
                .unwrap(),
        )
        .unwrap();
        assert_all_finite(&f);
    }
}

#[test]
fn more_states_than_the_data_supports_are_reseeded_not_crashed_on() {
    let (series, _) = three_states(6, 13);
    let f = fit(
        &series,
        &FitParams::new(9)
            .window(2)
            .motif_min_instances(2)
            .check()
            .unwrap(),
    )
    .unwrap();
    assert_all_finite(&f);
    assert_eq!(f.assignment.len(), series.n_steps());
    assert!(f.assignment.iter().all(|&s| s < 9));
}

#[test]
fn tiny_series_with_as_many_states_as_windows() {
    let s = Series::new(vec![0.0, 1.0, 0.5, -1.0, 2.0], 1, None).unwrap();
    let f = fit(&s, &FitParams::new(5).check().unwrap()).unwrap();
    assert_all_finite(&f);
    let f = fit(&s, &FitParams::new(2).window(2).check().unwrap()).unwrap();
    assert_all_finite(&f);
}

#[test]
fn recordings_are_independent() {
    let (one, _) = three_states(9, 14);
    let t = one.n_steps();
    let two = Series::from_recordings(
        one.values().to_vec(),
        2,
        None,
        vec![("a".into(), t / 2), ("b".into(), t - t / 2)],
    )
    .unwrap();
    let params = FitParams::new(3).motifs(false).check().unwrap();
    let f = fit(&two, &params).unwrap();
    assert_eq!(f.assignment.len(), t);
    // A single recording given as a many-recording series equals the plain fit.
    let single =
        Series::from_recordings(one.values().to_vec(), 2, None, vec![("only".into(), t)]).unwrap();
    assert_eq!(
        fit(&single, &params).unwrap().assignment,
        fit(&one, &params).unwrap().assignment
    );
}

#[test]
fn save_then_load_is_exact() {
    let (series, _) = three_states(10, 15);
    let f = fit(
        &series,
        &FitParams::new(3).motif_min_instances(2).check().unwrap(),
    )
    .unwrap();
    let bytes = f.model.to_bytes();
    let back = casc_fit::Model::from_bytes(&bytes).unwrap();
    assert_eq!(back, f.model);
    assert_eq!(back.to_bytes(), bytes);
    assert!(
        casc_fit::Model::from_bytes(&bytes[..bytes.len() - 1])
            .unwrap_err()
            .to_string()
            .contains("truncated")
    );
}

/// Summed costs plus `beta` per switch of `fit`'s assignment under its own model.
fn objective(series: &Series, f: &casc_fit::Fit) -> f64 {
    let costs = f.model.costs(series).unwrap();
    let k = f.model.n_states();
    let c: f64 = f
        .assignment
        .iter()
        .enumerate()
        .map(|(t, &s)| costs[t * k + s])
        .sum();
    let switches = f.assignment.windows(2).filter(|p| p[0] != p[1]).count();
    c + f.model.beta * switches as f64
}

/// Five zero-mean 3-sensor states that differ only in their correlations, segments of 20 steps
/// in random order: hard enough that EM from a pointwise start stops in local optima.
fn covariance_states(seed: u64) -> Series {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let loadings: [[f64; 3]; 5] = [
        [0.0, 0.0, 0.0],
        [0.9, 0.0, 0.0],
        [0.0, 0.9, 0.0],
        [0.0, 0.0, 0.9],
        [-0.9, 0.9, 0.0],
    ];
    let mut values = Vec::new();
    for _ in 0..60 {
        let l = loadings[rng.random_range(0..5)];
        for _ in 0..20 {
            let (a, b, c) = (normal(&mut rng), normal(&mut rng), normal(&mut rng));
            values.push(a);
            values.push(l[0] * a + b);
            values.push(l[1] * a + l[2] * b + c);
        }
    }
    Series::new(values, 3, None).unwrap()
}

#[test]
fn split_and_merge_keeps_only_moves_that_lower_the_objective() {
    let mut kept = 0;
    for seed in 0..4 {
        let series = covariance_states(seed);
        let base = FitParams::new(5).motifs(false).beta(10.0).seed(seed);
        let plain = fit(&series, &base.clone().split_merge(false).check().unwrap()).unwrap();
        let refined = fit(&series, &base.check().unwrap()).unwrap();
        assert!(plain.diagnostics.split_merge.is_empty());
        let trials = &refined.diagnostics.split_merge;
        assert!(!trials.is_empty(), "seed {seed}: no proposal tried");
        // The first round starts from phase 1's result (the last phase-1 iteration before the
        // refinement, at the search accuracy); every later round from the last kept move,
        // which must have lowered the objective.
        let plain_objective = objective(&series, &plain);
        let before = refined
            .diagnostics
            .iterations
            .iter()
            .rfind(|i| i.stage == "phase 1" && i.tolerance > 1e-6)
            .expect("phase 1 ran before split and merge");
        assert_eq!(trials[0].baseline, before.objective);
        let mut current = trials[0].baseline;
        let rounds = trials.last().unwrap().round + 1;
        for r in 0..rounds {
            let round: Vec<_> = trials.iter().filter(|t| t.round == r).collect();
            assert!(
                round.iter().all(|t| t.baseline == current),
                "seed {seed}, round {r}"
            );
            let accepted: Vec<_> = round.iter().filter(|t| t.accepted).collect();
            assert!(accepted.len() <= 1);
            // The best-ranked proposals of the round (at most 3) are refined to a fixed point,
            // and the kept move is the best of those.
            let refined_ones: Vec<_> = round
                .iter()
                .filter(|t| t.refined_objective.is_some())
                .collect();
            assert!(!refined_ones.is_empty() && refined_ones.len() <= 3);
            let worst_refined = refined_ones
                .iter()
                .map(|t| t.objective)
                .fold(f64::NEG_INFINITY, f64::max);
            assert!(
                round
                    .iter()
                    .filter(|u| u.refined_objective.is_none())
                    .all(|u| u.objective >= worst_refined),
                "the best-ranked are refined"
            );
            if let Some(t) = accepted.first() {
                let refined_to = t.refined_objective.expect("the kept move was refined");
                assert!(refined_to < t.baseline);
                assert!(
                    refined_ones
                        .iter()
                        .all(|u| u.refined_objective.unwrap() >= refined_to)
                );
                current = refined_to;
                kept += 1;
            } else {
                assert_eq!(r + 1, rounds, "only the last round may keep nothing");
            }
        }
        // The fit ends at the exact fixed point from there: no worse than plain TICC's, up to
        // the difference between the search and the exact M-steps.
        let refined_objective = objective(&series, &refined);
        assert!((refined_objective - current).abs() <= 1e-3 * current.abs());
        assert!(refined_objective <= plain_objective + 1e-4 * plain_objective.abs());
    }
    assert!(
        kept > 0,
        "no seed improved: the test data is too easy to exercise the moves"
    );
}

/// Fraction of timesteps whose predicted state's majority true state is the true state, after
/// checking that the three predicted states map to three different true states.
fn majority_agreement(pred: &[usize], truth: &[usize], range: std::ops::Range<usize>) -> f64 {
    let mut map = std::collections::HashMap::new();
    for (p, t) in pred.iter().zip(truth) {
        *map.entry((*p, *t)).or_insert(0usize) += 1;
    }
    let majority: Vec<usize> = (0..3)
        .map(|s| {
            (0..3)
                .max_by_key(|t| map.get(&(s, *t)).copied().unwrap_or(0))
                .unwrap()
        })
        .collect();
    let mut distinct = majority.clone();
    distinct.sort_unstable();
    assert_eq!(
        distinct,
        vec![0, 1, 2],
        "two predicted states share a true state"
    );
    range
        .clone()
        .filter(|&t| majority[pred[t]] == truth[t])
        .count() as f64
        / range.len() as f64
}

#[test]
fn a_series_longer_than_the_sketch_is_fitted_coarse_to_fine() {
    // 42,000 steps: initialisation, screening, phase 1 and split-and-merge run on a sketch of
    // 30,000 steps first, then phase 1 continues on all of it from those models.
    let (series, truth) = three_states(700, 11);
    assert!(series.n_steps() > casc_fit::SCREEN_STEPS);
    let params = FitParams::new(3).motifs(false).seed(2).check().unwrap();
    let f = fit(&series, &params).unwrap();
    let t = truth.len();
    let a = majority_agreement(&f.assignment, &truth, 0..t);
    assert!(a >= 0.999, "{a}");
}

#[test]
fn a_state_that_appears_only_late_in_a_long_series_is_found() {
    // The first 36,000 steps alternate states 0 and 1; state 2 appears only after that. A sketch
    // made of the leading 30,000 steps would never see it; the evenly spaced sketch does.
    let (series, truth) = states_in_order(&[0, 1, 2], 760, 600, 5);
    assert!(truth[..36_000].iter().all(|&s| s < 2));
    let params = FitParams::new(3).motifs(false).seed(1).check().unwrap();
    let f = fit(&series, &params).unwrap();
    let t = truth.len();
    let a = majority_agreement(&f.assignment, &truth, 36_000..t);
    assert!(a >= 0.999, "{a}");
}

#[test]
fn beta_is_estimated_by_default_and_fixed_when_given() {
    let (series, truth) = three_states(30, 4);
    let auto = fit(&series, &FitParams::new(3).check().unwrap()).unwrap();
    let est = &auto.diagnostics.beta_estimates;
    assert!(!est.is_empty() && est.len() <= casc_fit::AUTO_BETA_ROUNDS);
    // The model uses, and records, the last estimate; it reproduces the fit on its data.
    assert_eq!(auto.model.beta, *est.last().unwrap());
    assert_eq!(auto.model.params.beta(), casc_fit::Beta::estimated());
    assert_eq!(
        auto.model.predict(&series).unwrap().assignment,
        auto.assignment
    );
    assert!(same_up_to_relabelling(&auto.assignment, &truth));
    // The estimate is the one the final segmentation implies, to within the 5% stopping rule
    // (the true segmentation here: 29 switches in 1,799 pairs of independent samples).
    let p: f64 = 29.0 / 1799.0;
    let hmm = 2.0 * (2.0 * (1.0 - p) / p).ln();
    assert!(
        (auto.model.beta - hmm).abs() < 0.15 * hmm,
        "{} vs {hmm}",
        auto.model.beta
    );

    let fixed = fit(&series, &FitParams::new(3).beta(25.0).check().unwrap()).unwrap();
    assert!(fixed.diagnostics.beta_estimates.is_empty());
    assert_eq!(fixed.model.beta, 25.0);
}

/// A state that the data cannot hold empties in every iteration and is re-seeded each time.
/// Convergence compares Viterbi's assignments before re-seeding (docs/method.md section 6.3), so
/// the fit stops once they repeat instead of running to the iteration cap.
#[test]
fn a_state_emptied_every_iteration_does_not_prevent_convergence() {
    // Two well separated states of one sensor; a third state has nothing to explain, and with
    // a large switching penalty its re-seeded run of 20 steps goes back to its donor.
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut values = Vec::new();
    for s in 0..6 {
        for _ in 0..100 {
            values.push(if s % 2 == 0 { 0.0 } else { 50.0 } + normal(&mut rng));
        }
    }
    let series = Series::new(values, 1, None).unwrap();
    let params = FitParams::new(3)
        .beta(400.0)
        .motifs(false)
        .split_merge(false)
        .max_iters(15)
        .seed(1)
        .check()
        .unwrap();
    let f = fit(&series, &params).unwrap();
    let log = &f.diagnostics.iterations;
    assert!(
        log.iter().skip(1).all(|i| i.empty_states_reseeded == 1),
        "the third state empties every iteration: {:?}",
        log.iter()
            .map(|i| i.empty_states_reseeded)
            .collect::<Vec<_>>()
    );
    assert!(f.diagnostics.phase1_converged, "{} iterations", log.len());
    // Screening: iteration 0 leaves the third state empty; iteration 1 re-seeds it, and Viterbi
    // gives the same assignment as iteration 0 did: converged. Phase 1 then converges at once,
    // and once more with exact M-steps. (Comparing the re-seeded input instead ran 11
    // iterations here.)
    assert!(log.len() <= 4, "{} iterations", log.len());
    assert_eq!(log.iter().filter(|i| i.stage == "screening").count(), 2);
}

/// Records what a fit reports, and cancels after `cancel_after` polls.
#[derive(Default)]
struct Recorder {
    stages: std::sync::Mutex<Vec<casc_fit::Stage>>,
    iterations: std::sync::Mutex<Vec<casc_fit::IterationDiagnostics>>,
    polls: std::sync::atomic::AtomicUsize,
    cancel_after: Option<usize>,
}

impl casc_fit::FitObserver for Recorder {
    fn stage(&self, stage: casc_fit::Stage) {
        self.stages.lock().unwrap().push(stage);
    }
    fn iteration(&self, it: &casc_fit::IterationDiagnostics) {
        self.iterations.lock().unwrap().push(it.clone());
    }
    fn cancelled(&self) -> bool {
        let n = self.polls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.cancel_after.is_some_and(|c| n >= c)
    }
}

#[test]
fn the_observer_sees_every_stage_and_the_logged_iterations() {
    use casc_fit::Stage;
    let (series, _) = three_states(15, 7);
    let params = FitParams::new(3).motif_min_instances(2).check().unwrap();
    let rec = Recorder::default();
    let f = casc_fit::fit_with(&series, &params, &rec).unwrap();
    let stages = rec.stages.into_inner().unwrap();
    let kinds: Vec<&str> = stages
        .iter()
        .map(|s| match s {
            Stage::BetaEstimate { .. } => "beta",
            Stage::Init => "init",
            Stage::Screening { .. } => "screening",
            Stage::Phase1 => "phase1",
            Stage::SplitMerge { .. } => "split-merge",
            Stage::Phase1Full => "phase1-full",
            Stage::Phase2 => "phase2",
            _ => "other",
        })
        .collect();
    // Initialisation and screening once, the beta estimate's pilots, the screening again at
    // the final beta, then phase 1.
    assert!(!f.diagnostics.beta_estimates.is_empty());
    assert_eq!(&kinds[..2], &["init", "screening"], "{kinds:?}");
    let pilots = kinds[2..].iter().take_while(|k| **k == "beta").count();
    assert!(pilots <= f.diagnostics.beta_estimates.len(), "{kinds:?}");
    assert_eq!(
        &kinds[2 + pilots..4 + pilots],
        &["screening", "phase1"],
        "{kinds:?}"
    );
    assert_eq!(kinds.last(), Some(&"phase2"));
    assert!(
        !kinds.contains(&"phase1-full"),
        "a short series has no sketch"
    );
    // The iterations reported live are the ones the fit logs (the parallel trials of
    // screening and split-and-merge report none).
    assert_eq!(
        rec.iterations.into_inner().unwrap(),
        f.diagnostics.iterations
    );
    // The same fit without an observer.
    assert_eq!(fit(&series, &params).unwrap().assignment, f.assignment);
}

#[test]
fn an_observer_cancels_the_fit() {
    let (series, _) = three_states(15, 7);
    let params = FitParams::new(3).check().unwrap();
    let rec = Recorder::default();
    casc_fit::fit_with(&series, &params, &rec).unwrap();
    let polls = rec.polls.into_inner();
    assert!(polls > 12, "{polls} polls");
    // Cancelled during the beta estimate's pilots, or later.
    for after in [0, 5, polls - 2] {
        let rec = Recorder {
            cancel_after: Some(after),
            ..Recorder::default()
        };
        let Err(e) = casc_fit::fit_with(&series, &params, &rec) else {
            panic!("not cancelled after {after} polls");
        };
        assert!(matches!(e, FitError::Cancelled), "{e}");
        assert_eq!(e.kind(), casc_fit::ErrorKind::Cancelled);
    }
}

#[test]
fn tiny_inputs_get_parameter_errors_not_panics() {
    // A header and two rows: one pair of consecutive rows. The beta estimate has one pair to
    // read a switching rate from and must not panic.
    let series = Series::new(vec![1.0, 2.0, 3.0, 4.0], 2, None).unwrap();
    let f = fit(&series, &FitParams::new(2).check().unwrap());
    assert!(f.is_ok() || matches!(f, Err(FitError::Param(_))), "{f:?}");
    // A window as long as the series blames the window, with the longest that fits.
    let (series, _) = three_states(2, 1);
    let e = fit(
        &series,
        &FitParams::new(3).window(120).motifs(false).check().unwrap(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, FitError::Param(p) if p.name == "window" && p.allowed.contains("118")),
        "{e}"
    );
}

/// The number of states chosen from the data: three well separated states give 3 (within a
/// range that allows far more), a series of one state gives 1, and the choice does not
/// depend on the thread count.
#[test]
fn the_number_of_states_is_chosen_from_the_data() {
    let (series, truth) = three_states(15, 7);
    let params = FitParams::new(casc_fit::States::Auto { min: 1, max: 6 })
        .motifs(false)
        .seed(3)
        .check()
        .unwrap();
    let f = fit(&series, &params).unwrap();
    assert_eq!(f.model.n_states(), 3, "{:?}", f.diagnostics.states);
    assert!(same_up_to_relabelling(&f.assignment, &truth));
    // Every number from 6 down to 1 was tried; the chosen one has the lowest criterion.
    let tried: Vec<usize> = f.diagnostics.states.iter().map(|t| t.states).collect();
    assert_eq!(tried, vec![6, 5, 4, 3, 2, 1]);
    let best = f
        .diagnostics
        .states
        .iter()
        .filter(|t| t.criterion.is_some())
        .min_by(|a, b| a.criterion.unwrap().total_cmp(&b.criterion.unwrap()))
        .unwrap();
    assert!(best.chosen && best.states == 3);
    // The model says it chose, and predicts what it fitted.
    assert_eq!(
        f.model.params.states(),
        casc_fit::States::Auto { min: 1, max: 6 }
    );
    assert_eq!(f.model.predict(&series).unwrap().assignment, f.assignment);
    let bytes = f.model.to_bytes();
    assert_eq!(casc_fit::Model::from_bytes(&bytes).unwrap(), f.model);

    // Whatever the thread count.
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let g = one.install(|| fit(&series, &params).unwrap());
    assert_eq!(g.assignment, f.assignment);
    assert_eq!(g.diagnostics.states, f.diagnostics.states);

    // One state: K = 1.
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let values: Vec<f64> = (0..1200).map(|_| normal(&mut rng)).collect();
    let one_state = Series::new(values, 2, None).unwrap();
    let f = fit(&one_state, &params).unwrap();
    assert_eq!(f.model.n_states(), 1, "{:?}", f.diagnostics.states);
    assert!(f.assignment.iter().all(|&s| s == 0));
    // Before answering one state, splits of it were fitted with two: each lost, or its fit
    // gave every window back to one state.
    let trials = &f.diagnostics.states;
    let one = trials.iter().find(|t| t.states == 1).unwrap();
    assert!(one.chosen && !one.grown);
    let grown: Vec<_> = trials.iter().filter(|t| t.grown).collect();
    assert!(!grown.is_empty(), "{trials:?}");
    for t in grown {
        assert!(t.states == 2 && !t.chosen);
        assert!(t.criterion.is_none_or(|c| c > one.criterion.unwrap()));
    }
}

/// One sensor, two states that differ only in the shape of a periodic wave of period 24: a
/// sine and a square wave, both of mean 0 and variance 1/2, each segment starting at a random
/// phase, plus noise. With the window chosen from the data (it spans the period) the waveforms
/// are told apart whatever their phase: every segment's most frequent state is its
/// waveform's, and the two waveforms' states differ. `K = 3`: the windows that straddle a
/// change fit neither waveform, and with two states they take one of their own (TICC's
/// objective prefers that), so the third state is theirs. A window shorter than the period
/// sees only phases of either wave, and cannot.
#[test]
fn two_waveforms_are_separated_whatever_their_phase() {
    const PERIOD: f64 = 24.0;
    const LEN: usize = 240;
    // The state most frequent in each true segment.
    let majorities = |a: &[usize]| -> Vec<usize> {
        a.chunks(LEN)
            .map(|seg| {
                let mut counts = [0usize; 3];
                seg.iter().for_each(|&s| counts[s] += 1);
                (0..3)
                    .max_by_key(|&s| (counts[s], std::cmp::Reverse(s)))
                    .unwrap()
            })
            .collect()
    };
    let separated = |m: &[usize]| {
        let (sine, square) = (m[0], m[1]);
        sine != square
            && m.iter()
                .enumerate()
                .all(|(i, &s)| s == if i % 2 == 0 { sine } else { square })
    };
    for seed in 0..3u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(100 + seed);
        let mut x = Vec::new();
        for segment in 0..16 {
            let phase = rng.random::<f64>() * PERIOD;
            for t in 0..LEN {
                let a = 2.0 * std::f64::consts::PI * (t as f64 + phase) / PERIOD;
                let wave = if segment % 2 == 0 {
                    a.sin()
                } else {
                    std::f64::consts::FRAC_1_SQRT_2 * a.sin().signum()
                };
                x.push(wave + 0.2 * normal(&mut rng));
            }
        }
        let series = Series::new(x, 1, None).unwrap();
        let params = FitParams::new(3).motifs(false).seed(seed).check().unwrap();
        let f = fit(&series, &params).unwrap();
        let chosen = f.diagnostics.window.as_ref().unwrap();
        assert_eq!(chosen.reason, "period", "seed {seed}: {chosen:?}");
        assert!((22..=26).contains(&chosen.span), "seed {seed}: {chosen:?}");
        let m = majorities(&f.assignment);
        assert!(separated(&m), "seed {seed}: segment majorities {m:?}");
        let short = FitParams::new(3)
            .window(3)
            .motifs(false)
            .seed(seed)
            .check()
            .unwrap();
        let g = fit(&series, &short).unwrap();
        let m = majorities(&g.assignment);
        assert!(
            !separated(&m),
            "seed {seed}: window 3 separated them: {m:?}"
        );
    }
}
