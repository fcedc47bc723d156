//! Tests of the `casc` binary: outputs, determinism across thread counts, exit codes and messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn casc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_casc"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("casc-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A small generated data set (the paper's benchmark, 10 macro-segments).
fn generated(dir: &Path) -> PathBuf {
    let o = run(casc()
        .args([
            "generate",
            "--macro-segments",
            "10",
            "--noise",
            "0.1",
            "--seed",
            "4",
            "--out",
        ])
        .arg(dir));
    assert!(o.status.success(), "{}", stderr(&o));
    dir.join("data.csv")
}

#[test]
fn fit_writes_every_output_with_the_documented_headers() {
    let dir = tmp("outputs");
    let data = generated(&dir.join("data"));
    let out = dir.join("out");
    let o = run(casc()
        .arg("fit")
        .arg(&data)
        .args(["--states", "10", "--motif-min-instances", "3", "--out"])
        .arg(&out));
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("phase 1 (TICC)"), "{stdout}");
    let assignments = std::fs::read_to_string(out.join("assignments.csv")).unwrap();
    assert!(assignments.starts_with("t,state\n"));
    assert_eq!(assignments.lines().count(), 1 + 10 * 10 * 15);
    let segments = std::fs::read_to_string(out.join("segments.csv")).unwrap();
    assert!(segments.starts_with("start,end,state,motif\n"));
    // Segments cover every timestep exactly once, in order.
    let mut next = 0;
    for line in segments.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f[0].parse::<usize>().unwrap(), next);
        next = f[1].parse::<usize>().unwrap() + 1;
    }
    assert_eq!(next, 1500);
    for name in [
        "states.json",
        "summary.json",
        "motifs.json",
        "phase1_assignments.csv",
        "model.casc",
    ] {
        assert!(out.join(name).exists(), "{name} missing");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert!(summary["bic"].is_f64());
    assert!(summary["seconds"]["phase1"].is_f64());
    let states: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("states.json")).unwrap()).unwrap();
    assert_eq!(states["states"].as_array().unwrap().len(), 10);
    for st in states["states"].as_array().unwrap() {
        let numbers = st["mean"].as_array().unwrap().iter().chain(
            st["precision"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|r| r.as_array().unwrap()),
        );
        for v in numbers {
            assert!(
                v.as_f64().is_some_and(f64::is_finite),
                "non-finite value in states.json: {v}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn same_seed_gives_byte_identical_outputs_with_one_and_two_threads() {
    let dir = tmp("threads");
    let data = generated(&dir.join("data"));
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.join(format!("out{threads}"));
        let o = run(casc()
            .env("RAYON_NUM_THREADS", threads)
            .arg("fit")
            .arg(&data)
            .args([
                "--states",
                "10",
                "--seed",
                "5",
                "--motif-min-instances",
                "3",
                "-q",
                "--out",
            ])
            .arg(&out));
        assert!(o.status.success(), "{}", stderr(&o));
        outs.push(out);
    }
    for name in [
        "assignments.csv",
        "phase1_assignments.csv",
        "segments.csv",
        "states.json",
        "motifs.json",
        "model.casc",
    ] {
        let a = std::fs::read(outs[0].join(name)).unwrap();
        let b = std::fs::read(outs[1].join(name)).unwrap();
        assert!(a == b, "{name} differs between 1 and 2 threads");
    }
    // summary.json differs only in its timings.
    let strip = |p: &Path| {
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p.join("summary.json")).unwrap())
                .unwrap();
        v.as_object_mut().unwrap().remove("seconds");
        for it in v["iteration_log"].as_array_mut().unwrap() {
            it.as_object_mut().unwrap().remove("seconds");
        }
        v
    };
    assert_eq!(strip(&outs[0]), strip(&outs[1]));
    std::fs::remove_dir_all(&dir).ok();
}

/// The corpus of bad inputs (tests/bad/README.md lists the same cases): file, extra
/// arguments of `casc fit FILE --states 2`, exit code, and what the message contains.
const BAD: &[(&str, &[&str], i32, &str)] = &[
    (
        "non_numeric.csv",
        &[],
        3,
        "non_numeric.csv:2:2: \"abc\" is not a number",
    ),
    (
        "ragged.csv",
        &[],
        3,
        "ragged.csv:2: this row has 3 columns but the first row has 2",
    ),
    (
        "ragged_after_header.csv",
        &[],
        3,
        ":3: this row has 3 columns but the header has 2",
    ),
    (
        "nan.csv",
        &[],
        3,
        "nan.csv:2:1: \"NaN\" is a missing or non-finite value",
    ),
    (
        "infinity.csv",
        &[],
        3,
        "infinity.csv:2:2: \"inf\" is a missing or non-finite value",
    ),
    (
        "empty_cell.csv",
        &[],
        3,
        "empty_cell.csv:2:2: an empty cell is a missing",
    ),
    ("empty.csv", &[], 3, "the file is empty"),
    (
        "header_only.csv",
        &[],
        3,
        "the file has a header but no data rows",
    ),
    (
        "blank_line.csv",
        &[],
        3,
        "blank_line.csv:2: blank line inside the data",
    ),
    ("not_text.png", &[], 3, "this is not a text file"),
    (
        "utf16.csv",
        &[],
        3,
        "utf16.csv:1: this is UTF-16 text: save it as UTF-8",
    ),
    (
        "does_not_exist.csv",
        &[],
        3,
        "does_not_exist.csv: cannot read",
    ),
    (
        "accelerometer_export.csv",
        &[],
        3,
        "accelerometer_export.csv:2:1: \"1970-01-01 00:04:40.000\" is not a number (column \"timestamp\"); if it is each row's time, use --time-column timestamp; to leave the column out, --ignore-columns timestamp",
    ),
    (
        "recording_column.csv",
        &[],
        3,
        "recording_column.csv:2:1: \"walk\" is not a number (column \"recording\"); if it names each row's recording, use --sequence-column recording",
    ),
    (
        "trailing_comma_header.csv",
        &[],
        3,
        "trailing_comma_header.csv:1:3: the header ends with an empty name: is there a comma at the end of line 1?",
    ),
    (
        "duplicate_header.csv",
        &[],
        3,
        "duplicate_header.csv:1:3: the header names two columns \"a\" (columns 1 and 3)",
    ),
    (
        "decimal_comma.csv",
        &[],
        3,
        "decimal commas are not read as numbers",
    ),
    (
        "bad_time.csv",
        &["--time-column", "when"],
        3,
        "bad_time.csv:3:1: \"noon\" in the time column \"when\" is neither a number nor an ISO-8601 time",
    ),
    (
        "two_columns.csv",
        &["--time-column", "ts"],
        3,
        "two_columns.csv:1: --time-column \"ts\": the header has no column named so (columns: a, b)",
    ),
    (
        "two_columns.csv",
        &["--columns", "a,a"],
        3,
        "--columns names column \"a\" twice",
    ),
    (
        "header_and_two_rows.csv",
        &[],
        2,
        "invalid parameter beta = auto: estimating the switching penalty needs at least 3 rows, and the data has 2",
    ),
    (
        "header_and_two_rows.csv",
        &["--window", "2", "--beta", "5"],
        2,
        "invalid parameter window = 2: 2 rows leave 1 full window of 2 rows, fewer than the 2 states; the largest window that leaves 2 is 1",
    ),
];

#[test]
fn bad_files_get_a_clear_message_and_their_exit_code() {
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let readme = std::fs::read_to_string(bad.join("README.md")).unwrap();
    let out = tmp("bad");
    for &(file, args, code, expected) in BAD {
        assert!(
            readme.contains(file),
            "{file} is listed in tests/bad/README.md"
        );
        let o = run(casc()
            .arg("fit")
            .arg(bad.join(file))
            .args(["--states", "2"])
            .args(args)
            .arg("--out")
            .arg(&out));
        assert_eq!(
            o.status.code(),
            Some(code),
            "{file} {args:?}: {}",
            stderr(&o)
        );
        let e = stderr(&o);
        assert!(
            e.contains(expected),
            "{file} {args:?}: expected {expected:?} in {e:?}"
        );
        assert_eq!(
            e.trim().lines().count(),
            1,
            "{file}: one line expected, got {e:?}"
        );
        assert!(!e.contains("panicked"), "{file}: {e}");
    }
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn two_rows_with_a_given_penalty_fit_without_panicking() {
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let out = tmp("two-rows");
    let o = run(casc()
        .arg("fit")
        .arg(bad.join("header_and_two_rows.csv"))
        .args(["--states", "2", "--beta", "5", "-q", "--out"])
        .arg(&out));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    assert!(
        matches!(o.status.code(), Some(0 | 2 | 3 | 4)),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn parameter_errors_exit_with_2_and_name_the_parameter() {
    let dir = tmp("params");
    let data = dir.join("d.csv");
    std::fs::write(&data, "1,2\n2,3\n3,5\n4,1\n").unwrap();
    let cases: [(&[&str], &str); 6] = [
        (&["--states", "0"], "states"),
        (&["--states", "9"], "states"),
        (&["--states", "2", "--window", "9"], "window"),
        (&["--states", "2", "--lambda", "-1"], "lambda"),
        (&["--states", "2", "--beta", "-3"], "beta"),
        (&["--states", "2", "--gamma", "0"], "gamma"),
    ];
    for (args, name) in cases {
        let o = run(casc()
            .arg("fit")
            .arg(&data)
            .args(args)
            .arg("--out")
            .arg(dir.join("o")));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(name), "{args:?}: {}", stderr(&o));
    }
    let o = run(casc().args(["fit", "--out", "x"]));
    assert_eq!(o.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn help_shows_an_example_and_the_exit_codes() {
    let o = run(casc().args(["fit", "--help"]));
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("casc fit fixtures/"), "{s}");
    assert!(s.contains("Exit codes"), "{s}");
}

#[test]
fn predict_reproduces_the_fit_and_stream_equals_batch() {
    let dir = tmp("predict");
    let data = generated(&dir.join("data"));
    let out = dir.join("fit");
    let o = run(casc()
        .arg("fit")
        .arg(&data)
        .args([
            "--states",
            "10",
            "--motif-min-instances",
            "3",
            "-q",
            "--out",
        ])
        .arg(&out));
    assert!(o.status.success(), "{}", stderr(&o));
    let model = out.join("model.casc");
    let pred = dir.join("pred");
    let o = run(casc()
        .arg("predict")
        .arg(&model)
        .arg(&data)
        .arg("--out")
        .arg(&pred));
    assert!(o.status.success(), "{}", stderr(&o));
    for name in ["assignments.csv", "segments.csv"] {
        assert_eq!(
            std::fs::read(out.join(name)).unwrap(),
            std::fs::read(pred.join(name)).unwrap(),
            "{name}"
        );
    }
    // Streaming without a forced lag equals batch decoding without motifs.
    let plain = dir.join("plain");
    let o = run(casc()
        .arg("fit")
        .arg(&data)
        .args(["--states", "10", "--no-motifs", "-q", "--out"])
        .arg(&plain));
    assert!(o.status.success());
    let mut child = casc()
        .arg("predict")
        .arg(plain.join("model.casc"))
        .arg("--stream")
        .stdin(std::process::Stdio::from(
            std::fs::File::open(&data).unwrap(),
        ))
        .output()
        .unwrap();
    assert!(child.status.success(), "{}", stderr(&child));
    let batch = std::fs::read_to_string(plain.join("assignments.csv")).unwrap();
    let streamed = String::from_utf8(std::mem::take(&mut child.stdout)).unwrap();
    assert_eq!(streamed, batch, "a `t,state` header, then the batch rows");
    // With a forced lag every timestep is still labelled once, in order.
    let lagged = casc()
        .arg("predict")
        .arg(plain.join("model.casc"))
        .args(["--stream", "--max-lag", "5"])
        .stdin(std::process::Stdio::from(
            std::fs::File::open(&data).unwrap(),
        ))
        .output()
        .unwrap();
    let lines: Vec<String> = String::from_utf8(lagged.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(lines.len(), 1 + 1500);
    assert_eq!(lines[0], "t,state");
    assert!(
        lines[1..]
            .iter()
            .enumerate()
            .all(|(i, l)| l.starts_with(&format!("{i},")))
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn damaged_model_files_are_refused_with_a_reason() {
    let dir = tmp("model");
    let data = generated(&dir.join("data"));
    let out = dir.join("fit");
    assert!(
        run(casc()
            .arg("fit")
            .arg(&data)
            .args(["--states", "3", "--no-motifs", "-q", "--out"])
            .arg(&out))
        .status
        .success()
    );
    let good = std::fs::read(out.join("model.casc")).unwrap();
    let o = run(casc()
        .arg("inspect")
        .arg(out.join("model.casc"))
        .arg("--json"));
    assert!(o.status.success());
    let mut flipped = good.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 0x40;
    let mut newer = good.clone();
    newer[8] = 99;
    let cases: [(&str, Vec<u8>, &str); 4] = [
        ("truncated", good[..good.len() / 2].to_vec(), "truncated"),
        ("flipped", flipped, "corrupted"),
        ("newer", newer, "newer casc"),
        ("text", b"hello, world\n".to_vec(), "not a casc model file"),
    ];
    for (name, bytes, expected) in cases {
        let p = dir.join(format!("{name}.casc"));
        std::fs::write(&p, bytes).unwrap();
        let o = run(casc().arg("inspect").arg(&p));
        assert_eq!(o.status.code(), Some(3), "{name}");
        assert!(stderr(&o).contains(expected), "{name}: {}", stderr(&o));
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn two_recordings_never_share_a_segment() {
    let dir = tmp("recordings");
    let data = generated(&dir.join("data"));
    let text = std::fs::read_to_string(&data).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let a = dir.join("a.csv");
    let b = dir.join("b.csv");
    std::fs::write(&a, lines[..700].join("\n")).unwrap();
    std::fs::write(&b, lines[700..].join("\n")).unwrap();
    let out = dir.join("out");
    let o = run(casc()
        .arg("fit")
        .arg(&a)
        .arg(&b)
        .args(["--states", "5", "--motif-min-instances", "2", "-q", "--out"])
        .arg(&out));
    assert!(o.status.success(), "{}", stderr(&o));
    let segments = std::fs::read_to_string(out.join("segments.csv")).unwrap();
    assert!(segments.starts_with("recording,start,end,state,motif\n"));
    let mut covered = std::collections::HashMap::<String, usize>::new();
    for line in segments.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let next = covered.entry(f[0].to_string()).or_insert(0);
        assert_eq!(f[1].parse::<usize>().unwrap(), *next, "{line}");
        *next = f[2].parse::<usize>().unwrap() + 1;
    }
    assert_eq!(covered["a"], 700);
    assert_eq!(covered["b"], 800);
    std::fs::remove_dir_all(&dir).ok();
}

/// `data` (generated, no header) with a header `s0..s4` and its columns in `order`.
fn with_header(data: &Path, order: &[usize], out: &Path) {
    let text = std::fs::read_to_string(data).unwrap();
    let mut lines = vec![
        order
            .iter()
            .map(|j| format!("s{j}"))
            .collect::<Vec<_>>()
            .join(","),
    ];
    for l in text.lines() {
        let cells: Vec<&str> = l.split(',').collect();
        lines.push(
            order
                .iter()
                .map(|&j| cells[j])
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    std::fs::write(out, lines.join("\n") + "\n").unwrap();
}

#[test]
fn predict_matches_columns_by_name() {
    let dir = tmp("columns");
    let data = generated(&dir.join("data"));
    let named = dir.join("named.csv");
    with_header(&data, &[0, 1, 2, 3, 4], &named);
    let fit = dir.join("fit");
    let o = run(casc()
        .arg("fit")
        .arg(&named)
        .args(["--states", "10", "--no-motifs", "-q", "--out"])
        .arg(&fit));
    assert!(o.status.success(), "{}", stderr(&o));
    let model = fit.join("model.casc");
    let predict = |input: &Path, out: &str, extra: &[&str]| {
        run(casc()
            .arg("predict")
            .arg(&model)
            .arg(input)
            .args(extra)
            .arg("--out")
            .arg(dir.join(out)))
    };
    let assignments =
        |out: &str| std::fs::read_to_string(dir.join(out).join("assignments.csv")).unwrap();
    let o = predict(&named, "same", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The same columns reversed: reordered by name, the same states.
    let reversed = dir.join("reversed.csv");
    with_header(&data, &[4, 3, 2, 1, 0], &reversed);
    let o = predict(&reversed, "reversed", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("matched to the model's sensors by name"));
    assert_eq!(assignments("reversed"), assignments("same"));
    // Without a header: taken in order, with a warning.
    let o = predict(&data, "headerless", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: the data has no header"),
        "{}",
        stderr(&o)
    );
    assert_eq!(assignments("headerless"), assignments("same"));
    // A missing and an extra column: refused, listing them.
    let renamed = dir.join("renamed.csv");
    let text = std::fs::read_to_string(&named)
        .unwrap()
        .replacen("s4", "speed", 1);
    std::fs::write(&renamed, text).unwrap();
    let o = predict(&renamed, "renamed", &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("missing \"s4\"")
            && e.contains("not in the model \"speed\"")
            && e.contains("--columns"),
        "{e}"
    );
    // --columns picks and orders them.
    let o = predict(&renamed, "picked", &["--columns", "s0,s1,s2,s3,speed"]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "speed is still not s4: {}",
        stderr(&o)
    );
    // The stream: the same matching through its header.
    let stream = |input: &Path| {
        casc()
            .arg("predict")
            .arg(&model)
            .arg("--stream")
            .stdin(std::process::Stdio::from(
                std::fs::File::open(input).unwrap(),
            ))
            .output()
            .unwrap()
    };
    let a = stream(&named);
    let b = stream(&reversed);
    assert!(a.status.success() && b.status.success(), "{}", stderr(&b));
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(String::from_utf8(a.stdout).unwrap(), assignments("same"));
    let c = stream(&renamed);
    assert_eq!(c.status.code(), Some(3));
    assert!(
        stderr(&c).contains("not in the model \"speed\""),
        "{}",
        stderr(&c)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn dropped_rows_keep_their_numbers_and_times_are_carried() {
    let dir = tmp("drop");
    let data = generated(&dir.join("data"));
    let text = std::fs::read_to_string(&data).unwrap();
    // A time column, and rows 3 and 7 with a gap.
    let mut lines = vec!["ts;a;b;c;d;e".to_string()];
    for (i, l) in text.lines().enumerate() {
        let mut cells: Vec<String> = l.split(',').map(String::from).collect();
        if i == 3 || i == 7 {
            cells[2] = String::new();
        }
        lines.push(format!(
            "2024-05-01T00:{:02}:{:02};{}",
            i / 60 % 60,
            i % 60,
            cells.join(";")
        ));
    }
    let input = dir.join("gaps.csv");
    std::fs::write(&input, lines.join("\n")).unwrap();
    let out = dir.join("out");
    let o = run(casc()
        .arg("fit")
        .arg(&input)
        .args([
            "--states",
            "5",
            "--no-motifs",
            "--missing",
            "drop",
            "--time-column",
            "ts",
            "-q",
            "--out",
        ])
        .arg(&out));
    assert!(o.status.success(), "{}", stderr(&o));
    let a = std::fs::read_to_string(out.join("assignments.csv")).unwrap();
    let rows: Vec<&str> = a.lines().collect();
    assert_eq!(rows.len(), 1 + 1500 - 2);
    assert!(rows[0] == "t,ts,state", "{}", rows[0]);
    let t: Vec<usize> = rows[1..]
        .iter()
        .map(|r| r.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(
        &t[..8],
        &[0, 1, 2, 4, 5, 6, 8, 9],
        "rows 3 and 7 dropped, the others keep their number"
    );
    assert!(rows[4].starts_with("4,2024-05-01T00:00:04,"), "{}", rows[4]);
    let s = std::fs::read_to_string(out.join("segments.csv")).unwrap();
    assert!(
        s.starts_with("start,end,start_ts,end_ts,state,motif\n0,"),
        "{s}"
    );
    // The report reads the data again the same way.
    let o = run(casc().arg("report").arg(&out));
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!html.contains("class=\"note\""), "the data was read again");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_output_folder_is_checked_before_any_work() {
    let dir = tmp("out-check");
    let file = dir.join("a-file");
    std::fs::write(&file, "x").unwrap();
    // The data does not even exist: the folder is checked first.
    let o = run(casc()
        .args(["fit", "does-not-exist.csv", "--states", "2", "--out"])
        .arg(&file));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--out: ") && stderr(&o).contains("this is a file, not a folder"),
        "{}",
        stderr(&o)
    );
    let o = run(casc()
        .args([
            "generate",
            "--macro-segments",
            "2",
            "--noise",
            "0.1",
            "--out",
        ])
        .arg(file.join("sub")));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_closed_standard_output_ends_quietly() {
    let dir = tmp("pipe");
    let data = generated(&dir.join("data"));
    let truth = dir.join("data/truth.csv");
    // A long output to a reader that has gone: `casc score A B | head -0`.
    let mut long = String::new();
    for i in 0..200_000 {
        long.push_str(&format!("{}\n", i % 3));
    }
    let many = dir.join("many.csv");
    std::fs::write(&many, &long).unwrap();
    for args in [
        vec![
            "score".into(),
            many.display().to_string(),
            many.display().to_string(),
            "--json".into(),
        ],
        vec![
            "score".into(),
            truth.display().to_string(),
            truth.display().to_string(),
        ],
        vec![
            "generate".into(),
            "--macro-segments".into(),
            "2".into(),
            "--noise".into(),
            "0.1".into(),
            "--out".into(),
            dir.join("g").display().to_string(),
        ],
    ] {
        let mut child = casc()
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).is_empty(), "{args:?}: {}", stderr(&o));
    }
    assert!(data.exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn fit_reads_standard_input_and_threads_are_a_flag() {
    let dir = tmp("stdin");
    let data = generated(&dir.join("data"));
    let from_file = dir.join("file");
    let o = run(casc()
        .arg("fit")
        .arg(&data)
        .args([
            "--states",
            "4",
            "--no-motifs",
            "--beta",
            "10",
            "-q",
            "--threads",
            "1",
            "--out",
        ])
        .arg(&from_file));
    assert!(o.status.success(), "{}", stderr(&o));
    let from_stdin = dir.join("stdin");
    let o = casc()
        .args([
            "fit",
            "-",
            "--states",
            "4",
            "--no-motifs",
            "--beta",
            "10",
            "-q",
            "--threads",
            "2",
            "--out",
        ])
        .arg(&from_stdin)
        .stdin(std::process::Stdio::from(
            std::fs::File::open(&data).unwrap(),
        ))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(from_file.join("assignments.csv")).unwrap(),
        std::fs::read(from_stdin.join("assignments.csv")).unwrap()
    );
    let o = run(casc()
        .args(["fit", "-", "-", "--states", "2", "--out"])
        .arg(dir.join("x")));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = run(casc().args(["--threads", "0", "inspect", "x"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn score_reads_text_labels() {
    let dir = tmp("score");
    let truth = dir.join("truth.csv");
    let pred = dir.join("pred.csv");
    std::fs::write(&truth, "activity\nwalk\nwalk\nrun\nrun\nrun\nidle\n").unwrap();
    std::fs::write(&pred, "t,state\n0,2\n1,2\n2,0\n3,0\n4,0\n5,1\n").unwrap();
    let o = run(casc().arg("score").arg(&truth).arg(&pred));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("accuracy      1.0000"), "{out}");
    assert!(out.contains("walk"), "names in the table: {out}");
    let o = run(casc().arg("score").arg(&truth).arg(&pred).arg("--json"));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["true_names"], serde_json::json!(["idle", "run", "walk"]));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn stream_options_are_honoured_or_refused() {
    let dir = tmp("stream-opts");
    let data = generated(&dir.join("data"));
    let fit = dir.join("fit");
    assert!(
        run(casc()
            .arg("fit")
            .arg(&data)
            .args([
                "--states",
                "4",
                "--no-motifs",
                "--beta",
                "10",
                "-q",
                "--out"
            ])
            .arg(&fit))
        .status
        .success()
    );
    let model = fit.join("model.casc");
    let o = run(casc()
        .arg("predict")
        .arg(&model)
        .args(["--stream", "--out"])
        .arg(dir.join("o")));
    assert_eq!(
        o.status.code(),
        Some(2),
        "--out with --stream: {}",
        stderr(&o)
    );
    // --missing ffill on a stream gives the batch prediction with the same policy.
    let text = std::fs::read_to_string(&data).unwrap();
    let mut gappy_text = String::new();
    for (i, l) in text.lines().enumerate() {
        let mut cells: Vec<&str> = l.split(',').collect();
        if i % 97 == 5 {
            cells[1] = "";
        }
        gappy_text.push_str(&cells.join(";"));
        gappy_text.push('\n');
    }
    let input = dir.join("gappy.csv");
    std::fs::write(&input, &gappy_text).unwrap();
    let o = run(casc()
        .arg("predict")
        .arg(&model)
        .arg(&input)
        .args(["--missing", "ffill", "-q", "--out"])
        .arg(dir.join("batch")));
    assert!(o.status.success(), "{}", stderr(&o));
    let s = casc()
        .arg("predict")
        .arg(&model)
        .args(["--stream", "--missing", "ffill"])
        .stdin(std::process::Stdio::from(
            std::fs::File::open(&input).unwrap(),
        ))
        .output()
        .unwrap();
    assert!(s.status.success(), "{}", stderr(&s));
    assert_eq!(
        String::from_utf8(s.stdout).unwrap(),
        std::fs::read_to_string(dir.join("batch/assignments.csv")).unwrap()
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn report_works_on_a_prediction_folder() {
    let dir = tmp("report-predict");
    let data = generated(&dir.join("data"));
    let fit = dir.join("fit");
    assert!(
        run(casc()
            .arg("fit")
            .arg(&data)
            .args([
                "--states",
                "4",
                "--no-motifs",
                "--beta",
                "10",
                "-q",
                "--out"
            ])
            .arg(&fit))
        .status
        .success()
    );
    let pred = dir.join("pred");
    assert!(
        run(casc()
            .arg("predict")
            .arg(fit.join("model.casc"))
            .arg(&data)
            .arg("-q")
            .arg("--out")
            .arg(&pred))
        .status
        .success()
    );
    let o = run(casc().arg("report").arg(&pred).args([
        "--detail",
        "100,900",
        "--detail-length",
        "200",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(pred.join("report.html")).unwrap();
    assert!(
        html.contains("The states of the model this folder applied"),
        "states from the model"
    );
    assert!(
        html.contains("Detail: timesteps 100 to 299")
            && html.contains("Detail: timesteps 900 to 1099")
    );
    assert_eq!(html.matches("class=\"data profile\"").count(), 4);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn select_and_fit_choose_the_same_number_of_states() {
    let dir = tmp("select-agrees");
    let data = generated(&dir.join("data"));
    let fit_out = dir.join("fit");
    let o = run(casc()
        .arg("fit")
        .arg(&data)
        .args(["--states", "3..6", "--no-motifs", "-q", "--out"])
        .arg(&fit_out));
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fit_out.join("summary.json")).unwrap())
            .unwrap();
    let fitted = summary["state_counts"].as_array().unwrap().len();
    let choice = summary["states_choice"].as_array().unwrap();
    assert_eq!(choice.len(), 4, "3..6 tried");
    let sel_out = dir.join("select");
    let o = run(casc()
        .arg("select")
        .arg(&data)
        .args(["--states", "3..6", "--out"])
        .arg(&sel_out));
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let chosen: usize = stdout
        .lines()
        .find(|l| l.contains("<- chosen"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|k| k.parse().ok())
        .unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(chosen, fitted, "{stdout}");
    let table = std::fs::read_to_string(sel_out.join("select.csv")).unwrap();
    assert!(table.starts_with("states,beta,lambda,criterion,seconds,chosen\n"));
    assert_eq!(table.lines().filter(|l| l.ends_with(",true")).count(), 1);
}
