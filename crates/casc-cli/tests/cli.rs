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

#[test]
fn bad_files_get_a_clear_message_and_exit_code_3() {
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let cases = [
        (
            "non_numeric.csv",
            "non_numeric.csv:2:2: \"abc\" is not a number",
        ),
        (
            "ragged.csv",
            "ragged.csv:2: this row has 3 columns but the first row has 2",
        ),
        ("ragged_after_header.csv", ":3: this row has 3 columns"),
        (
            "nan.csv",
            "nan.csv:2:1: \"NaN\" is a missing or non-finite value",
        ),
        (
            "infinity.csv",
            "infinity.csv:2:2: \"inf\" is a missing or non-finite value",
        ),
        (
            "empty_cell.csv",
            "empty_cell.csv:2:2: an empty cell is a missing",
        ),
        ("empty.csv", "the file is empty"),
        ("header_only.csv", "the file has a header but no data rows"),
        (
            "blank_line.csv",
            "blank_line.csv:2: blank line inside the data",
        ),
        ("not_text.png", "this is not a text file"),
        ("does_not_exist.csv", "does_not_exist.csv: cannot read"),
    ];
    let out = tmp("bad");
    for (file, expected) in cases {
        let o = run(casc()
            .arg("fit")
            .arg(bad.join(file))
            .args(["--states", "2", "--out"])
            .arg(&out));
        assert_eq!(o.status.code(), Some(3), "{file}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains(expected),
            "{file}: expected {expected:?} in {e:?}"
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
    assert_eq!(streamed, batch.strip_prefix("t,state\n").unwrap());
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
    assert_eq!(lines.len(), 1500);
    assert!(
        lines
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
