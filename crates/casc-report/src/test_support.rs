//! Test fixtures: a small two-recording fit as typed output files, its data, and temporary
//! folders to write them into.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use casc::output::{
    ASSIGNMENTS_FILE, AssignmentRow, FitSummary, MOTIFS_FILE, MotifEntry, STATES_FILE,
    SUMMARY_FILE, StatesFile, Summary, write_assignments, write_json,
};
use casc::{FitParams, Series};
use serde_json::json;

use crate::input::{OutputFiles, ReportInput};

pub const BIC: f64 = 2169.306565381765;
pub const P0: f64 = 8.536723575373206e-29;
pub const P1: f64 = 0.012345678901234567;
pub const EVIL: &str = "<b>&\"";

/// A symmetric `d x d` matrix with some zeros off the diagonal.
#[allow(clippy::needless_range_loop)] // fills both triangles by index
pub fn sym(d: usize, seed: usize) -> Vec<Vec<f64>> {
    let mut m = vec![vec![0.0; d]; d];
    for r in 0..d {
        m[r][r] = 1.5 + r as f64 * 0.25;
        for c in 0..r {
            let v = if (r * 7 + c * 3 + seed).is_multiple_of(3) {
                0.0
            } else {
                ((r * 13 + c * 5 + seed) % 11) as f64 / 10.0 - 0.5
            };
            m[r][c] = v;
            m[c][r] = v;
        }
    }
    m
}

/// The parameters of [`small_run`], as the fit would record them.
pub fn small_params() -> FitParams {
    FitParams::new(3).window(2).lambda(0.001).beta(25.0).seed(7)
}

/// A fit's summary from the JSON text casc would write, with [`small_params`].
pub fn fit_summary(mut v: serde_json::Value) -> Summary {
    v["parameters"] = serde_json::to_value(small_params()).unwrap();
    Summary::Fit(Box::new(serde_json::from_value::<FitSummary>(v).unwrap()))
}

/// A small two-recording run (`a` = steps 0..20, `b` = 20..40) read from `inputs`: 3 sensors
/// (one named `<b>&"`), window 2, 3 states, 2 motifs.
pub fn small_run(inputs: &[&str]) -> OutputFiles {
    let sensors = [EVIL, "x1", "x2"];
    let d = 6;
    let counts = [14, 10, 16];
    let states: Vec<_> = (0..3)
        .map(|k| {
            let p = sym(d, k);
            let nnz = p.iter().flatten().filter(|v| **v != 0.0).count();
            json!({"state": k, "timesteps": counts[k], "nonzeros": nnz, "mean": [0.1, 0.2, 0.3, 0.1, 0.2, 0.3], "precision": p})
        })
        .collect();
    let states: StatesFile = serde_json::from_value(json!({"sensors": sensors, "window": 2,
        "standardization": [{"mean": 1.25, "sd": 0.5}, {"mean": 0.0, "sd": 1.0}, {"mean": -3.0, "sd": 2.0}],
        "states": states}))
    .unwrap();
    let motifs: Vec<MotifEntry> = serde_json::from_value(json!([{
        "motif": 0, "states": [0, 1, 2], "score": 170.3064954632921, "p_value": P0, "n_instances": 2,
        "instances": [
            {"start": 2, "end": 13, "stage_starts": [2, 6, 8], "score": 12.5, "recording": "a", "local_start": 2, "local_end": 13},
            {"start": 22, "end": 33, "stage_starts": [22, 24, 30], "score": 11.25, "recording": "b", "local_start": 2, "local_end": 13}
        ]
    }, {
        "motif": 1, "states": [2, 0], "score": 3.5, "p_value": P1, "n_instances": 1,
        "instances": [{"start": 35, "end": 38, "stage_starts": [35, 37], "score": 1.0, "recording": "b", "local_start": 15, "local_end": 18}]
    }]))
    .unwrap();
    let summary = fit_summary(json!({
        "inputs": inputs,
        "n_steps": 40, "n_sensors": 3,
        "recordings": [{"name": "a", "range": {"start": 0, "end": 20}}, {"name": "b", "range": {"start": 20, "end": 40}}],
        "beta": 25.0,
        "bic": BIC,
        "iterations": {"phase1": 4, "phase2": 2},
        "converged": {"phase1": true, "phase2": false},
        "state_counts": counts,
        "motifs": [{"states": [0, 1, 2], "instances": 2}, {"states": [2, 0], "instances": 1}],
        "seconds": {"read": 0.001, "beta": null, "init": 0.25, "phase1": 1.5, "split_merge": 0.5,
            "phase2": 0.75, "fit": 2.5, "total": 2.6},
        "init": {"sample_size": 40, "kmeans_inertia": 12.5, "gmm_iterations": 7,
            "gmm_mean_log_likelihood": -1.25,
            "candidates": [["gmm", 29180.343370998835], ["local-moments-3", 29200.5]], "chosen": "gmm"},
        "split_merge": [
            {"round": 0, "kept": 1, "freed": 2, "split": 0, "objective": 99.5, "baseline": 100.25, "accepted": true},
            {"round": 1, "kept": 0, "freed": 1, "split": 2, "objective": 101.0, "baseline": 99.5, "accepted": false}
        ],
        "beta_estimates": [],
        "iteration_log": [{"phase": 1, "iteration": 0, "changed_steps": 12, "empty_states_reseeded": 0,
            "admm_iterations": [3, 4, 5], "admm_all_converged": true, "theta_fallbacks": 0, "motifs": 0,
            "objective": 123.456, "seconds": 0.125}],
    }));
    // Local times per recording: a = 0..20, b = 20..40.
    let seg = |rec: &'static str, start, end, state| (Some(rec), start, end, state);
    let segments = [
        seg("a", 0, 1, 2),
        seg("a", 2, 5, 0),
        seg("a", 6, 7, 1),
        seg("a", 8, 13, 2),
        seg("a", 14, 19, 0),
        seg("b", 0, 1, 1),
        seg("b", 2, 3, 0),
        seg("b", 4, 9, 1),
        seg("b", 10, 13, 2),
        seg("b", 14, 14, 0),
        seg("b", 15, 16, 2),
        seg("b", 17, 18, 0),
        seg("b", 19, 19, 1),
    ];
    OutputFiles {
        summary,
        states: Some(states),
        motifs,
        assignments: assignment_rows(&segments),
    }
}

/// The rows of `assignments.csv` for runs `(recording, first t, last t, state)` (times local
/// to the recording, as the file has them).
pub fn assignment_rows(runs: &[(Option<&str>, usize, usize, usize)]) -> Vec<AssignmentRow> {
    runs.iter()
        .flat_map(|&(rec, start, end, state)| {
            (start..=end).map(move |t| AssignmentRow {
                recording: rec.map(String::from),
                t,
                time: None,
                state,
            })
        })
        .collect()
}

/// Sensor values for [`small_run`]: 40 steps of 3 sensors in its two recordings.
pub fn small_series() -> Series {
    let values: Vec<f64> = (0..120).map(|i| (i as f64 * 0.37).sin()).collect();
    Series::from_recordings(values, 3, None, vec![("a".into(), 20), ("b".into(), 20)]).unwrap()
}

/// The page of [`small_run`] with [`small_series`].
pub fn render_small() -> String {
    ReportInput::new(small_run(&["a.csv", "b.csv"]))
        .unwrap()
        .with_data(small_series())
        .render()
}

/// An empty folder under the temporary directory, unique to this process and `name`.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("casc-report-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes `f` into `dir` with casc's writers.
pub fn write_folder(dir: &Path, f: &OutputFiles) {
    match &f.summary {
        Summary::Fit(s) => write_json(&dir.join(SUMMARY_FILE), s).unwrap(),
        Summary::Predict(s) => write_json(&dir.join(SUMMARY_FILE), s).unwrap(),
    }
    if let Some(s) = &f.states {
        write_json(&dir.join(STATES_FILE), s).unwrap();
    }
    write_json(&dir.join(MOTIFS_FILE), &f.motifs).unwrap();
    write_assignments(&dir.join(ASSIGNMENTS_FILE), &f.assignments, None).unwrap();
}

/// A data CSV with a header and `rows` rows of 3 sensors.
pub fn data_csv(rows: usize) -> String {
    let mut s = String::from("a,b,c\n");
    for t in 0..rows {
        let _ = writeln!(
            s,
            "{},{},{}",
            (t as f64 * 0.3).sin(),
            t % 5,
            -(t as f64) * 0.125
        );
    }
    s
}
