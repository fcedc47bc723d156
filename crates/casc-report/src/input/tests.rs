//! Tests of loading a folder: the typed readers' errors, the data lookup, the checks across
//! files, and a prediction's folder.

use std::path::Path;

use casc::output::{
    ASSIGNMENTS_FILE, AssignmentRow, PredictSummary, STATES_FILE, SUMMARY_FILE, Summary, write_json,
};
use casc::{Missing, ReadOptions};
use serde_json::json;

use super::*;
use crate::markup_check::check_markup;
use crate::test_support::{data_csv, small_run, temp_dir, write_folder};
use crate::write_report;

/// A folder with [`small_run`] read from `a.csv` and `b.csv` inside it, 20 rows each.
fn folder_with_data(name: &str) -> (PathBuf, OutputFiles) {
    let dir = temp_dir(name);
    let (a, b) = (dir.join("a.csv"), dir.join("b.csv"));
    let f = small_run(&[a.to_str().unwrap(), b.to_str().unwrap()]);
    write_folder(&dir, &f);
    std::fs::write(&a, data_csv(20)).unwrap();
    std::fs::write(&b, data_csv(20)).unwrap();
    (dir, f)
}

fn page(dir: &Path) -> String {
    let h = std::fs::read_to_string(write_report(dir).unwrap()).unwrap();
    check_markup(&h).unwrap();
    h
}

#[test]
fn write_report_reads_the_folder_and_the_data() {
    let (dir, _) = folder_with_data("folder");
    let path = write_report(&dir).unwrap();
    assert_eq!(path, dir.join("report.html"));
    let h = page(&dir);
    assert_eq!(h.matches("<polyline").count(), 3, "one line per sensor");
    assert!(!h.contains("class=\"note\""));
    // Recording boundary drawn for the second recording.
    assert!(h.contains(">b</text>"));

    // The data file gone: the page is still written and says why.
    std::fs::remove_file(dir.join("b.csv")).unwrap();
    let h = page(&dir);
    assert!(!h.contains("<polyline") && !h.contains("<polygon"));
    assert!(
        h.contains("class=\"note\">sensor values not shown: the data file"),
        "note"
    );

    // Wrong number of rows: also a note, not an error.
    std::fs::write(dir.join("b.csv"), data_csv(19)).unwrap();
    let h = page(&dir);
    assert!(h.contains("the run had 40 timesteps"), "{h}");
    assert!(h.contains("was a missing-value policy or a sequence column used?"));

    // The right number of rows in other recordings: a note too.
    std::fs::write(dir.join("a.csv"), data_csv(21)).unwrap();
    let h = page(&dir);
    assert!(h.contains("the data&#39;s recordings (a: 21 rows, b: 19 rows) are not the run&#39;s (a: 20 rows, b: 20 rows)"), "{h}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn relative_input_paths_are_also_looked_up_in_the_folder() {
    let dir = temp_dir("relative");
    let f = small_run(&["some/where/else/a.csv", "b.csv"]);
    write_folder(&dir, &f);
    std::fs::write(dir.join("a.csv"), data_csv(20)).unwrap();
    std::fs::write(dir.join("b.csv"), data_csv(20)).unwrap();
    let h = page(&dir);
    assert_eq!(h.matches("<polyline").count(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn relative_input_paths_are_looked_up_in_the_folders_above() {
    let top = temp_dir("above");
    let dir = top.join("runs").join("out");
    std::fs::create_dir_all(top.join("data")).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    write_folder(&dir, &small_run(&["data/a.csv", "data/b.csv"]));
    std::fs::write(top.join("data/a.csv"), data_csv(20)).unwrap();
    std::fs::write(top.join("data/b.csv"), data_csv(20)).unwrap();
    assert_eq!(page(&dir).matches("<polyline").count(), 3);
    let _ = std::fs::remove_dir_all(&top);
}

#[test]
fn recorded_read_options_are_used_to_read_the_data_again() {
    let (dir, mut f) = folder_with_data("options");
    // A gap that the fit interpolated.
    let mut text = data_csv(20);
    text = text.replacen("\n0.29552020666133955,", "\n,", 1);
    assert_ne!(text, data_csv(20));
    std::fs::write(dir.join("a.csv"), &text).unwrap();
    let h = page(&dir);
    assert!(h.contains("class=\"note\">sensor values not shown:"), "{h}");
    assert!(
        h.contains("a.csv:3"),
        "the read error names the file and line"
    );

    let Summary::Fit(s) = &mut f.summary else {
        unreachable!()
    };
    s.read_options = Some(ReadOptions::new().missing(Missing::Interpolate));
    write_json(&dir.join(SUMMARY_FILE), s).unwrap();
    let written = std::fs::read_to_string(dir.join(SUMMARY_FILE)).unwrap();
    assert!(
        written.contains("\"missing\": \"interpolate\""),
        "{written}"
    );
    let h = page(&dir);
    assert!(!h.contains("class=\"note\""), "{h}");
    assert_eq!(h.matches("<polyline").count(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn errors_name_the_missing_or_malformed_file() {
    let dir = temp_dir("errors");
    let f = small_run(&["a.csv", "b.csv"]);
    for (victim, garbage) in [
        ("states.json", None),
        ("motifs.json", None),
        ("summary.json", None),
        ("summary.json", Some("{\"n_steps\": ")),
        ("motifs.json", Some("{\"not\": \"a list\"}")),
        (
            "states.json",
            Some("{\"sensors\": [\"a\"], \"window\": 1, \"states\": [{\"precision\": [[1, 2]]}]}"),
        ),
        ("assignments.csv", None),
        ("assignments.csv", Some("t,state\n0,x\n")),
        ("assignments.csv", Some("recording,t,state\nzz,0,1\n")),
        ("assignments.csv", Some("recording,t,state\na,0,1\n")),
        ("assignments.csv", Some("recording,t\na,0\n")),
        (
            "motifs.json",
            Some(
                "[{\"motif\": 0, \"states\": [1], \"score\": 1.0, \"p_value\": 0.5, \"n_instances\": 1, \"instances\": [{\"start\": 30, \"end\": 40, \"stage_starts\": [30], \"score\": 1.0}]}]",
            ),
        ),
    ] {
        write_folder(&dir, &f);
        match garbage {
            None => std::fs::remove_file(dir.join(victim)).unwrap(),
            Some(g) => std::fs::write(dir.join(victim), g).unwrap(),
        }
        let e = write_report(&dir).unwrap_err();
        match &e {
            ReportError::Missing { .. } => assert!(garbage.is_none(), "{e}"),
            ReportError::Malformed(_) => assert!(garbage.is_some(), "{e}"),
            other => panic!("{other}"),
        }
        assert_eq!(e.path(), Some(dir.join(victim).as_path()), "{e}");
        assert!(e.to_string().contains(victim), "{e}");
        assert!(!dir.join("report.html").exists());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn files_that_are_not_what_casc_writes_are_refused_naming_file_and_place() {
    // The typed readers replace a hand-written parser: strings with escapes come through,
    // broken JSON is refused with its line and column, and the error names the file.
    let (dir, mut f) = folder_with_data("garbage");
    let Summary::Fit(s) = &mut f.summary else {
        unreachable!()
    };
    let name = "x\"\\\u{e9}\u{1f600}";
    s.recordings[1].name = name.into();
    for row in f
        .assignments
        .iter_mut()
        .filter(|r| r.recording.as_deref() == Some("b"))
    {
        row.recording = Some(name.into());
    }
    write_folder(&dir, &f);
    let written = std::fs::read_to_string(dir.join(SUMMARY_FILE)).unwrap();
    assert!(written.contains(r#""x\"\\é😀""#), "{written}");
    let h = page(&dir);
    assert!(h.contains(">x&quot;\\é😀</text>"), "recording label");
    // The same name written with \u escapes (a surrogate pair for the emoji) reads the same.
    let escaped = written.replace("é😀", "\\u00e9\\ud83d\\ude00");
    assert_ne!(escaped, written);
    std::fs::write(dir.join(SUMMARY_FILE), &escaped).unwrap();
    assert!(page(&dir).contains(">x&quot;\\é😀</text>"));
    for bad in [
        "",
        "{",
        "[1,]",
        "{\"a\" 1}",
        "tru",
        "\"abc",
        "[1] x",
        "{1: 2}",
    ] {
        std::fs::write(dir.join(SUMMARY_FILE), bad).unwrap();
        let e = write_report(&dir).unwrap_err();
        assert!(matches!(e, ReportError::Malformed(_)), "{bad:?}: {e}");
        let msg = e.to_string();
        assert!(
            msg.contains("summary.json: ") && msg.contains("line 1"),
            "{bad:?}: {msg}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn assignments_become_runs_in_global_time() {
    let f = small_run(&[]);
    let input = ReportInput::new(f).unwrap();
    let runs = &input.runs;
    assert_eq!(
        runs[0],
        Run {
            start: 0,
            end: 1,
            state: 2
        }
    );
    // a:14..19 state 0 then b:0..1 state 1: distinct; b:17..18 (0) then b:19 (1).
    assert!(runs.contains(&Run {
        start: 34,
        end: 34,
        state: 0
    }));
    assert_eq!(
        runs.last(),
        Some(&Run {
            start: 39,
            end: 39,
            state: 1
        })
    );
    assert!(
        runs.windows(2)
            .all(|w| w[0].end + 1 == w[1].start && w[0].state != w[1].state)
    );
    assert_eq!(input.steps.len(), 40);
    // Row numbers with gaps (rows dropped for missing values) are still one timestep each.
    let row = |t, state| AssignmentRow {
        recording: None,
        t,
        time: None,
        state,
    };
    let rows = [row(0, 1), row(5, 1), row(6, 0), row(9, 0)];
    let recs = [Recording {
        name: "x".into(),
        range: 0..4,
    }];
    let (runs, steps) = runs_from_assignments(&rows, &recs, 4).unwrap();
    assert_eq!(steps, vec![1, 1, 0, 0]);
    assert_eq!(
        runs,
        vec![
            Run {
                start: 0,
                end: 1,
                state: 1
            },
            Run {
                start: 2,
                end: 3,
                state: 0
            }
        ]
    );
    assert_eq!(
        runs_from_assignments(&rows, &recs, 5).unwrap_err(),
        (None, "4 rows, but summary.json has 5 timesteps".to_string())
    );
}

#[test]
fn checks_across_files_name_the_file() {
    let mut f = small_run(&[]);
    f.states.as_mut().unwrap().sensors.pop();
    let e = ReportInput::new(f).unwrap_err();
    assert_eq!(e.path(), Some(Path::new(STATES_FILE)), "{e}");
    assert!(
        e.to_string().contains("2 sensors, but summary.json has 3"),
        "{e}"
    );

    let mut f = small_run(&[]);
    f.states = None;
    let e = ReportInput::new(f).unwrap_err();
    assert_eq!(e.path(), Some(Path::new(STATES_FILE)), "{e}");

    let mut f = small_run(&[]);
    f.assignments[3].recording = Some("c".into());
    let e = ReportInput::new(f).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{ASSIGNMENTS_FILE}:5: recording \"c\" is not in summary.json")
    );
    let mut f = small_run(&[]);
    f.assignments[3].recording = Some("b".into());
    let e = ReportInput::new(f).unwrap_err();
    assert!(
        e.to_string()
            .contains(":5: this row is timestep 3, in recording \"a\""),
        "{e}"
    );
}

/// The folder `casc predict` writes for [`small_run`]'s data: no states.
fn predict_folder(name: &str) -> PathBuf {
    let (dir, f) = folder_with_data(name);
    let Summary::Fit(fit) = f.summary else {
        unreachable!()
    };
    let predict: PredictSummary = serde_json::from_value(json!({
        "model": "fit-out/model.casc",
        "inputs": fit.inputs,
        "n_steps": fit.n_steps,
        "n_sensors": fit.n_sensors,
        "recordings": fit.recordings,
        "state_counts": fit.state_counts,
        "motifs": fit.motifs,
        "seconds": {"predict": 0.125},
    }))
    .unwrap();
    std::fs::remove_file(dir.join(STATES_FILE)).unwrap();
    write_json(&dir.join(SUMMARY_FILE), &predict).unwrap();
    dir
}

#[test]
fn a_predict_folder_shows_timeline_motifs_and_summary() {
    let dir = predict_folder("predict");
    let h = page(&dir);
    assert!(!h.contains("class=\"note\""), "the data was found");
    assert_eq!(h.matches("<polyline").count(), 3, "one line per sensor");
    assert!(
        h.contains(">c<title>c: "),
        "sensor names from the data header"
    );
    assert!(h.contains("2 motifs kept."));
    assert!(h.contains("<title>motif 0 instance 22..33</title>"));
    assert!(h.contains(
        "40 timesteps &#215; 3 sensors, 2 recordings, 3 states, 2 motifs, labelled by the model <b>fit-out/model.casc</b>."
    ));
    assert!(h.contains(
        "and the model file fit-out/model.casc was not found: the states' networks are in the folder of the fit"
    ));
    assert!(h.contains("<tr><th>model</th><td>fit-out/model.casc</td></tr>"));
    assert!(h.contains("<tr><th>predict</th><td>0.125</td></tr>"));
    assert!(h.contains("<tr><th>state counts</th><td>14, 10, 16</td></tr>"));
    assert!(h.contains("<span class=\"dim\">16</span>"), "legend counts");
    assert!(!h.contains("<h3>Parameters</h3>") && !h.contains("Iteration log"));
    assert_eq!(check_markup(&h).unwrap().svgs, 1, "the timeline only");
    // Without the data too.
    std::fs::remove_file(dir.join("a.csv")).unwrap();
    let h = page(&dir);
    assert!(h.contains("class=\"note\">sensor values not shown"));
    let _ = std::fs::remove_dir_all(&dir);
}
