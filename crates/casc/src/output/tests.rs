//! Tests of the output files: round trips, quoting, and the errors of malformed files.

use std::path::PathBuf;

use casc_fit::{Motif, Series};

use super::*;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("casc-output-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn two_recordings() -> Series {
    Series::from_recordings(
        vec![0.0; 7],
        1,
        None,
        vec![("a,b \"quoted\"".into(), 3), ("second".into(), 4)],
    )
    .unwrap()
}

#[test]
fn names_with_commas_and_quotes_survive_a_round_trip() {
    let series = two_recordings();
    let dir = tmp("quote");
    let assignment = [0, 0, 1, 1, 1, 0, 0];
    let rows = assignment_rows(&series, &assignment);
    write_assignments(&dir.join("a.csv"), &rows, None).unwrap();
    let text = std::fs::read_to_string(dir.join("a.csv")).unwrap();
    assert!(
        text.starts_with("recording,t,state\n\"a,b \"\"quoted\"\"\",0,0\n"),
        "{text}"
    );
    assert_eq!(read_assignments(&dir.join("a.csv")).unwrap(), rows);

    let motifs = vec![Motif {
        states: vec![1, 0],
        score: 1.0,
        p_value: 0.5,
        adjusted_p_value: 1.0,
        count: 2,
        expected_count: 1.5,
        min_durations: vec![1, 1],
        instances: vec![casc_fit::Instance {
            start: 4,
            end: 6,
            stage_starts: vec![4, 5],
            score: 2.0,
        }],
    }];
    let segs = segment_rows(&series, &assignment, &motifs);
    write_segments(&dir.join("s.csv"), &segs, None).unwrap();
    let back = read_segments(&dir.join("s.csv")).unwrap();
    assert_eq!(back, segs);
    let text = std::fs::read_to_string(dir.join("s.csv")).unwrap();
    assert_eq!(
        text,
        "recording,start,end,state,motif\n\
         \"a,b \"\"quoted\"\"\",0,1,0,\n\
         \"a,b \"\"quoted\"\"\",2,2,1,\n\
         second,0,0,1,\n\
         second,1,1,1,0/0\n\
         second,2,3,0,0/0\n"
    );
    let entries = motif_entries(&series, &motifs);
    assert_eq!(entries[0].instances[0].recording.as_deref(), Some("second"));
    assert_eq!(entries[0].instances[0].local_start, Some(1));
    write_json(&dir.join("m.json"), &entries).unwrap();
    assert_eq!(read_motifs(&dir.join("m.json")).unwrap(), entries);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn one_recording_has_no_recording_column() {
    let series = Series::new(vec![0.0; 3], 1, None).unwrap();
    let dir = tmp("single");
    let rows = assignment_rows(&series, &[2, 2, 0]);
    write_assignments(&dir.join("a.csv"), &rows, None).unwrap();
    let text = std::fs::read_to_string(dir.join("a.csv")).unwrap();
    assert_eq!(text, "t,state\n0,2\n1,2\n2,0\n");
    assert_eq!(read_assignments(&dir.join("a.csv")).unwrap(), rows);
    let segs = segment_rows(&series, &[2, 2, 0], &[]);
    write_segments(&dir.join("s.csv"), &segs, None).unwrap();
    let text = std::fs::read_to_string(dir.join("s.csv")).unwrap();
    assert_eq!(text, "start,end,state,motif\n0,1,2,\n2,2,0,\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn malformed_files_are_named_with_their_line() {
    let dir = tmp("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("s.csv");
    std::fs::write(&p, "start,end,state,motif\n0,1,0,\n2,3,1,x\n").unwrap();
    let e = read_segments(&p).unwrap_err().to_string();
    assert!(e.contains("s.csv:3") && e.contains("\"x\""), "{e}");
    std::fs::write(&p, "start,end,state,motif\n5,1,0,\n").unwrap();
    assert!(
        read_segments(&p)
            .unwrap_err()
            .to_string()
            .contains("after its end")
    );
    let j = dir.join("states.json");
    std::fs::write(
        &j,
        r#"{"sensors":["a"],"window":1,"standardization":null,
           "states":[{"state":0,"timesteps":1,"nonzeros":1,"mean":[0,1],"precision":[[1]]}]}"#,
    )
    .unwrap();
    let e = read_states(&j).unwrap_err().to_string();
    assert!(e.contains("states[0].mean has 2 numbers"), "{e}");
    std::fs::write(&j, "{\"sensors\": [1]}").unwrap();
    let e = read_states(&j).unwrap_err().to_string();
    assert!(e.contains("line 1"), "{e}");
    // null precision entries (non-finite values) are read as NaN, not refused.
    std::fs::write(
        &j,
        r#"{"sensors":["a"],"window":1,"standardization":null,
           "states":[{"state":0,"timesteps":1,"nonzeros":1,"mean":[0],"precision":[[null]]}]}"#,
    )
    .unwrap();
    assert!(read_states(&j).unwrap().states[0].precision[0][0].is_nan());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn row_numbers_and_times_are_carried_into_the_rows() {
    // Rows 1 and 2 of the input were dropped: `t` keeps the input's numbers.
    let series = Series::new(vec![0.0; 4], 1, Some(vec!["a".into()]))
        .unwrap()
        .with_row_numbers(vec![0, 3, 4, 6])
        .unwrap()
        .with_time(casc_fit::TimeColumn {
            name: "state".into(), // collides with a column of the file: headed `time`
            values: ["t0", "t3", "t4", "t6"].map(String::from).to_vec(),
        })
        .unwrap();
    let dir = tmp("rows");
    let rows = assignment_rows(&series, &[1, 1, 0, 0]);
    let p = dir.join("a.csv");
    write_assignments(&p, &rows, Some("state")).unwrap();
    let text = std::fs::read_to_string(&p).unwrap();
    assert_eq!(text, "t,time,state\n0,t0,1\n3,t3,1\n4,t4,0\n6,t6,0\n");
    assert_eq!(read_assignments(&p).unwrap(), rows);
    let segs = segment_rows(&series, &[1, 1, 0, 0], &[]);
    let p = dir.join("s.csv");
    write_segments(&p, &segs, Some("state")).unwrap();
    let text = std::fs::read_to_string(&p).unwrap();
    assert_eq!(
        text,
        "start,end,start_time,end_time,state,motif\n0,3,t0,t3,1,\n4,6,t4,t6,0,\n"
    );
    assert_eq!(read_segments(&p).unwrap(), segs);
    let motifs = vec![Motif {
        states: vec![1, 0],
        score: 1.0,
        p_value: 0.5,
        adjusted_p_value: 1.0,
        count: 2,
        expected_count: 1.5,
        min_durations: vec![1, 1],
        instances: vec![casc_fit::Instance {
            start: 1,
            end: 3,
            stage_starts: vec![1, 2],
            score: 2.0,
        }],
    }];
    let e = &motif_entries(&series, &motifs)[0].instances[0];
    assert_eq!((e.start, e.local_start, e.local_end), (1, Some(3), Some(6)));
    assert_eq!(e.recording, None);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_output_folder_is_checked_before_any_work() {
    let dir = tmp("prepare");
    prepare_dir(&dir.join("a/b")).unwrap();
    assert!(dir.join("a/b").is_dir());
    assert_eq!(
        std::fs::read_dir(dir.join("a/b")).unwrap().count(),
        0,
        "no probe left"
    );
    let file = dir.join("file");
    std::fs::write(&file, "x").unwrap();
    let e = prepare_dir(&file).unwrap_err().to_string();
    assert!(e.contains("this is a file, not a folder"), "{e}");
    assert!(prepare_dir(&file.join("sub")).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
