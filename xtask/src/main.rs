//! xtask: project automation for casc (`cargo xtask test`, `cargo xtask fixtures [--check]`,
//! `cargo xtask bench [--quick] [--only-windows]`, `cargo xtask modules`).
//!
//! * `test` runs every test of the project: `cargo test --workspace`, then the Python
//!   package's pytest suite against a wheel built into a fresh virtual environment
//!   (`python.rs`).
//! * `fixtures` writes the small synthetic fixtures under `fixtures/<name>/`
//!   (data.csv, truth.csv, motif.csv, params.json) from recorded parameters;
//!   `--check` regenerates them in memory and fails when a checked-in file differs.
//! * `bench` runs the per-crate criterion benchmarks, then an end-to-end table:
//!   it generates the paper's benchmark at several sizes and noise levels
//!   (cached under `<target>/bench-data/`), runs the release `casc fit` binary
//!   on each, and writes `<target>/bench-report.md` and `.json` with seconds per
//!   phase, peak memory and the F1 scores after phase 1 and phase 2.
//! * `bench` then measures streaming prediction: it fits one small model, pipes
//!   N generated rows (100k and 1M; 50k and 500k with `--quick`) into
//!   `casc predict model.casc --stream --max-lag 1000` from a thread, without
//!   writing them to disk, checks every `t,state` line that comes back and
//!   reports seconds, rows/s and peak memory, plus whether the peak stays flat
//!   as N grows tenfold (and one run without `--max-lag` at the small N).
//! * `bench` then sweeps the window (`windows.rs`, issue 16): `casc fit` at windows 1, 5, 10,
//!   50, 200, 400 on one generated channel and 1, 5, 10, 50, 200 on four, at a fixed number of
//!   steps, plus the anchors (a 100,000-step, 10-channel, window-10, K-10 series; two
//!   TSSB series at the reference's settings), each case as plain phase 1 and as the default
//!   fit: seconds per phase, their ratio and peak memory, every run under a timeout, in
//!   `<target>/bench-windows.md` and `.json`. `--no-windows` skips it; `--only-windows` runs
//!   it alone (writing only those two files, not the bench report); `--quick` keeps windows
//!   up to 50 on short series and skips the anchors.
//! * `bench` last times a Python fit against the command line's on the same data
//!   (`crates/casc-py/bench/fit_vs_cli.py`, run by `python.rs`), failing when the
//!   Python fit's median is more than 10% slower or its labels differ.
//!
//! Peak memory is read from `/proc/<pid>/status` (`VmHWM`, the kernel's high
//! water mark of the child's resident set) while polling the child every 10 ms,
//! so no libc or unsafe code is needed; it is Linux-only (reported absent
//! elsewhere) and may miss growth in the child's last 10 ms.

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod modules;
mod python;
mod tssd;
mod windows;

use anyhow::{Context as _, bail};
use casc_eval::{SynthParams, generate, read_labels, read_mask, score};
use serde_json::json;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test [--no-rust] [--no-python]
                       every test: cargo test --workspace, then the Python package's
                       pytest suite (pip install ./crates/casc-py[test] into a fresh
                       virtual environment under target/; needs Python 3.9+ and PyPI)
  fixtures [--check]   write fixtures/<name>/ (or, with --check, verify them)
  modules              print every crate's module graph and fail on a cycle
  tssd [--window reference|auto|N] [--states true|auto|K] [--bench TSSB,SKAB,MoCap]
       [--only NAME,...] [--timeout S] [--tag NAME] [--data DIR] [-- CASC FIT ARGS...]
                       casc on the state-detection benchmarks beside the published
                       scores (target/tssd-<tag>.md, target/tssd-<tag>.json)
  bench [--quick] [--no-criterion] [--no-e2e] [--no-stream] [--no-windows] [--no-python]
        [--only-windows]
                       criterion benches per crate, then the end-to-end table,
                       the streaming-memory table, the window sweep and a Python fit
                       against the CLI's (target/bench-report.md, target/bench-report.json);
                       --only-windows runs the window sweep alone
                       (target/bench-windows.md, target/bench-windows.json)

environment:
  CASC_BIN             use this casc binary instead of building target/release/casc
  PYTHON               the interpreter of the Python package's venvs (default python3)";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, flags) = match args.split_first() {
        Some((c, f)) => (c.as_str(), f),
        None => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    if cmd == "tssd" {
        let opts = tssd::TssdOptions::parse(&root(), flags)?;
        let target = target_dir();
        return tssd::run(&casc_binary(&target)?, &target, &opts);
    }
    let has = |name: &str| flags.iter().any(|f| f == name);
    let allowed: &[&str] = match cmd {
        "test" => &["--no-rust", "--no-python"],
        "fixtures" => &["--check"],
        "modules" => &[],
        "bench" => &[
            "--quick",
            "--no-criterion",
            "--no-e2e",
            "--no-stream",
            "--no-windows",
            "--no-python",
            "--only-windows",
        ],
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            return Ok(());
        }
        other => {
            eprintln!("unknown command `{other}`\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    if let Some(f) = flags.iter().find(|f| !allowed.contains(&f.as_str())) {
        eprintln!("unknown option `{f}` for `{cmd}`\n\n{USAGE}");
        std::process::exit(2);
    }
    match cmd {
        "test" => python::test(python::TestOptions {
            rust: !has("--no-rust"),
            python: !has("--no-python"),
        }),
        "fixtures" => fixtures(has("--check")),
        "modules" => modules::check(&root(), true),
        _ if has("--only-windows") => {
            if let Some(f) = flags
                .iter()
                .find(|f| !["--quick", "--only-windows"].contains(&f.as_str()))
            {
                eprintln!("`--only-windows` runs the window sweep alone: drop `{f}`\n\n{USAGE}");
                std::process::exit(2);
            }
            bench_windows_only(has("--quick"))
        }
        _ => bench(BenchOptions {
            quick: has("--quick"),
            criterion: !has("--no-criterion"),
            e2e: !has("--no-e2e"),
            stream: !has("--no-stream"),
            windows: !has("--no-windows"),
            python: !has("--no-python"),
        }),
    }
}

/// The workspace root (the parent of this crate's directory).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The cargo target directory (`CARGO_TARGET_DIR` or `<root>/target`).
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => {
            let d = PathBuf::from(d);
            if d.is_absolute() { d } else { root().join(d) }
        }
        None => root().join("target"),
    }
}

// ---------------------------------------------------------------- fixtures

/// The checked-in fixtures: folder name and generator parameters.
fn fixture_set() -> Vec<(&'static str, SynthParams)> {
    let mut w2 = SynthParams::paper(20, 0.1, 2);
    w2.window = 2;
    vec![
        ("paper-eps0.2", SynthParams::paper(20, 0.2, 1)),
        ("paper-eps0.0", SynthParams::paper(20, 0.0, 1)),
        ("paper-w2", w2),
    ]
}

/// The files of a fixture folder and their contents.
fn fixture_files(params: &SynthParams) -> anyhow::Result<Vec<(&'static str, String)>> {
    let data = generate(params)?;
    Ok(vec![
        ("data.csv", data.data_csv()),
        ("truth.csv", data.truth_csv()),
        ("motif.csv", data.motif_csv()),
        ("params.json", params.to_json()),
    ])
}

fn fixtures(check: bool) -> anyhow::Result<()> {
    let base = root().join("fixtures");
    let mut stale = Vec::new();
    for (name, params) in fixture_set() {
        let dir = base.join(name);
        for (file, contents) in fixture_files(&params)? {
            let path = dir.join(file);
            if check {
                match std::fs::read(&path) {
                    Ok(bytes) if bytes == contents.as_bytes() => {}
                    Ok(_) => stale.push(format!("{} differs", path.display())),
                    Err(e) => stale.push(format!("{}: {e}", path.display())),
                }
            } else {
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                std::fs::write(&path, contents)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
        if !check {
            println!("wrote {} ({} steps)", dir.display(), params.n_steps());
        }
    }
    if check {
        if !stale.is_empty() {
            bail!(
                "fixtures are out of date (run `cargo xtask fixtures`):\n  {}",
                stale.join("\n  ")
            );
        }
        println!("fixtures are up to date");
    }
    Ok(())
}

// ---------------------------------------------------------------- bench

struct BenchOptions {
    quick: bool,
    criterion: bool,
    e2e: bool,
    stream: bool,
    windows: bool,
    python: bool,
}

/// Crates whose criterion benches `bench` runs (a crate without benches is skipped).
const BENCH_CRATES: &[&str] = &[
    "casc-glasso",
    "casc-segment",
    "casc-motif",
    "casc-fit",
    "casc-eval",
];

fn cargo() -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(root());
    c
}

/// Bench target names declared in a crate's manifest (`[[bench]] name = ...`),
/// or the `benches/*.rs` file stems when none is declared.
fn bench_targets(krate: &str) -> Vec<String> {
    let dir = root().join("crates").join(krate);
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
    let mut names = Vec::new();
    let mut in_bench = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bench = line == "[[bench]]";
        } else if in_bench
            && let Some(rest) = line.strip_prefix("name")
            && let Some(v) = rest.trim_start().strip_prefix('=')
        {
            names.push(v.trim().trim_matches('"').to_string());
        }
    }
    if names.is_empty()
        && let Ok(rd) = std::fs::read_dir(dir.join("benches"))
    {
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "rs")
                && let Some(s) = p.file_stem()
            {
                names.push(s.to_string_lossy().into_owned());
            }
        }
        names.sort();
    }
    names
}

fn run_criterion(quick: bool) -> anyhow::Result<()> {
    let mut failed = Vec::new();
    for krate in BENCH_CRATES {
        let targets = bench_targets(krate);
        if targets.is_empty() {
            println!("== {krate}: no criterion benches");
            continue;
        }
        for t in targets {
            println!("== cargo bench -p {krate} --bench {t}");
            let mut c = cargo();
            c.args(["bench", "-p", krate, "--bench", &t]);
            if quick {
                c.args(["--", "--warm-up-time", "0.5", "--measurement-time", "1"]);
            }
            let status = c.status().context("running cargo bench")?;
            if !status.success() {
                failed.push(format!("{krate}/{t}"));
            }
        }
    }
    if !failed.is_empty() {
        eprintln!("criterion benches that failed: {}", failed.join(", "));
    }
    Ok(())
}

/// One end-to-end run's results (absent figures are `None`).
#[derive(Default)]
struct Row {
    t: usize,
    epsilon: f64,
    ok: bool,
    error: Option<String>,
    wall: f64,
    peak_mb: Option<f64>,
    beta: Option<f64>,
    init: Option<f64>,
    phase1: Option<f64>,
    split_merge: Option<f64>,
    phase2: Option<f64>,
    total: Option<f64>,
    f1_phase1: Option<f64>,
    motif_f1_phase1: Option<f64>,
    f1_final: Option<f64>,
    motif_f1_final: Option<f64>,
}

/// Generates (or reuses) the data of `params` under `dir`.
fn ensure_data(dir: &Path, params: &SynthParams) -> anyhow::Result<()> {
    let json = params.to_json();
    let complete = ["data.csv", "truth.csv", "motif.csv"]
        .iter()
        .all(|f| dir.join(f).is_file());
    if complete
        && std::fs::read_to_string(dir.join("params.json"))
            .ok()
            .as_deref()
            == Some(&json)
    {
        return Ok(());
    }
    let started = Instant::now();
    let data = generate(params)?;
    // params.json last: it marks the folder complete.
    let _ = std::fs::remove_file(dir.join("params.json"));
    data.write_dir(dir)
        .with_context(|| format!("writing {}", dir.display()))?;
    std::fs::write(dir.join("params.json"), json)?;
    println!(
        "generated {} ({} steps) in {:.2} s",
        dir.display(),
        params.n_steps(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Peak resident set (`VmHWM`) of a running process in MB, Linux only.
fn vm_hwm_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Runs `casc fit` on one data folder, then reads its summary and scores it.
fn run_one(casc: &Path, data_dir: &Path, out_dir: &Path, row: &mut Row) -> anyhow::Result<()> {
    let _ = std::fs::remove_dir_all(out_dir);
    std::fs::create_dir_all(out_dir)?;
    let stdout = std::fs::File::create(out_dir.join("stdout.log"))?;
    let stderr = std::fs::File::create(out_dir.join("stderr.log"))?;
    let started = Instant::now();
    let mut child = Command::new(casc)
        .arg("fit")
        .arg(data_dir.join("data.csv"))
        .args(["--states", "10", "--out"])
        .arg(out_dir)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("starting {}", casc.display()))?;
    let pid = child.id();
    let mut peak: Option<f64> = None;
    let status = loop {
        if let Some(mb) = vm_hwm_mb(pid) {
            peak = Some(peak.map_or(mb, |p| p.max(mb)));
        }
        match child.try_wait()? {
            Some(s) => break s,
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    row.wall = started.elapsed().as_secs_f64();
    row.peak_mb = peak;
    if !status.success() {
        let err = std::fs::read_to_string(out_dir.join("stderr.log")).unwrap_or_default();
        let tail: Vec<&str> = err.lines().rev().take(5).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!("casc fit exited with {status}: {}", tail.join(" | "));
    }
    if let Ok(text) = std::fs::read_to_string(out_dir.join("summary.json")) {
        let v: serde_json::Value = serde_json::from_str(&text).context("parsing summary.json")?;
        let secs = |k: &str| {
            v.get("seconds")
                .and_then(|s| s.get(k))
                .and_then(|x| x.as_f64())
        };
        row.beta = secs("beta");
        row.init = secs("init");
        row.phase1 = secs("phase1");
        row.split_merge = secs("split_merge");
        row.phase2 = secs("phase2");
        row.total = secs("total");
    }
    let truth = read_labels(&data_dir.join("truth.csv"))?;
    let mask = read_mask(&data_dir.join("motif.csv"))?;
    let final_path = out_dir.join("assignments.csv");
    let s = score(&truth, &read_labels(&final_path)?, Some(&mask))?;
    row.f1_final = Some(s.weighted_f1);
    row.motif_f1_final = s.motif_weighted_f1;
    let p1 = out_dir.join("phase1_assignments.csv");
    if p1.is_file() {
        let s = score(&truth, &read_labels(&p1)?, Some(&mask))?;
        row.f1_phase1 = Some(s.weighted_f1);
        row.motif_f1_phase1 = s.motif_weighted_f1;
    }
    row.ok = true;
    Ok(())
}

fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.digits$}"))
}

fn markdown(rows: &[Row], header: &str) -> String {
    let mut s = String::new();
    s.push_str(header);
    s.push_str(
        "\n| T | epsilon | beta s | init s | phase1 s | split-merge s | phase2 s | total s \
         | wall s | peak MB | F1 phase 1 | motif F1 phase 1 | F1 final | motif F1 final |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        if !r.ok {
            s.push_str(&format!(
                "| {} | {:.1} | failed: {} ||||||||||||\n",
                r.t,
                r.epsilon,
                r.error.as_deref().unwrap_or("?").replace('|', "/")
            ));
            continue;
        }
        s.push_str(&format!(
            "| {} | {:.1} | {} | {} | {} | {} | {} | {} | {:.2} | {} | {} | {} | {} | {} |\n",
            r.t,
            r.epsilon,
            fmt_opt(r.beta, 2),
            fmt_opt(r.init, 2),
            fmt_opt(r.phase1, 2),
            fmt_opt(r.split_merge, 2),
            fmt_opt(r.phase2, 2),
            fmt_opt(r.total, 2),
            r.wall,
            fmt_opt(r.peak_mb, 1),
            fmt_opt(r.f1_phase1, 3),
            fmt_opt(r.motif_f1_phase1, 3),
            fmt_opt(r.f1_final, 3),
            fmt_opt(r.motif_f1_final, 3),
        ));
    }
    s
}

fn row_json(r: &Row) -> serde_json::Value {
    json!({
        "T": r.t,
        "epsilon": r.epsilon,
        "ok": r.ok,
        "error": r.error,
        "wall_seconds": r.wall,
        "peak_mb": r.peak_mb,
        "seconds": {
            "beta": r.beta,
            "init": r.init,
            "phase1": r.phase1,
            "split_merge": r.split_merge,
            "phase2": r.phase2,
            "total": r.total,
        },
        "phase1": { "weighted_f1": r.f1_phase1, "motif_weighted_f1": r.motif_f1_phase1 },
        "final": { "weighted_f1": r.f1_final, "motif_weighted_f1": r.motif_f1_final },
    })
}

/// One section of the benchmark report: its markdown, its JSON and whether every run succeeded.
struct Section {
    markdown: String,
    json: serde_json::Value,
    all_ok: bool,
}

/// The release `casc` binary: `CASC_BIN`, or `cargo build --release -p casc-cli`.
fn casc_binary(target: &Path) -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("CASC_BIN") {
        return Ok(PathBuf::from(p));
    }
    println!("== cargo build --release -p casc-cli");
    let status = cargo()
        .args(["build", "--release", "-p", "casc-cli"])
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("building the casc binary failed");
    }
    Ok(target.join("release").join("casc"))
}

const SEED: u64 = 1;

fn run_e2e(casc: &Path, quick: bool) -> anyhow::Result<Section> {
    let target = target_dir();
    let (epsilons, macros): (Vec<f64>, Vec<usize>) = if quick {
        (vec![0.0, 0.2, 0.4], vec![100, 1000])
    } else {
        (
            (0..=7).map(|i| i as f64 / 10.0).collect(),
            vec![100, 1000, 7000],
        )
    };
    let mut rows = Vec::new();
    for &m in &macros {
        for &eps in &epsilons {
            let params = SynthParams::paper(m, eps, SEED);
            let name = format!("paper-m{m}-eps{eps:.1}-s{SEED}");
            let data_dir = target.join("bench-data").join(&name);
            let out_dir = target.join("bench-out").join(&name);
            let mut row = Row {
                t: params.n_steps(),
                epsilon: eps,
                ..Row::default()
            };
            let result = ensure_data(&data_dir, &params)
                .and_then(|()| run_one(casc, &data_dir, &out_dir, &mut row));
            if let Err(e) = result {
                eprintln!("{name}: {e:#}");
                row.error = Some(format!("{e:#}"));
            }
            println!(
                "{name}: wall {:.2} s, peak {} MB, F1 phase 1 {}, final {}",
                row.wall,
                fmt_opt(row.peak_mb, 1),
                fmt_opt(row.f1_phase1, 3),
                fmt_opt(row.f1_final, 3)
            );
            rows.push(row);
        }
    }
    let header = format!(
        "## End-to-end\n\n`casc fit data.csv --states 10` on the paper's synthetic \
         benchmark (K = 10, n = 5, w = 1, seed {SEED}){}. Seconds per phase from summary.json \
         (beta: its estimate from the data; split-merge: the refinement after phase 1), wall time and peak resident memory (VmHWM) of the process, weighted F1 over all \
         timesteps and over motif timesteps (Hungarian-matched) after phase 1 (TICC and its \
         split-and-merge refinement) and after phase 2 (final).\n",
        if quick { ", quick set" } else { "" }
    );
    Ok(Section {
        markdown: markdown(&rows, &header),
        json: json!(rows.iter().map(row_json).collect::<Vec<_>>()),
        all_ok: rows.iter().all(|r| r.ok),
    })
}

// ---------------------------------------------------------------- streaming

/// The forced-decision lag of the streaming runs.
const STREAM_MAX_LAG: usize = 1000;

/// One streaming run's results.
struct StreamRow {
    n: usize,
    max_lag: Option<usize>,
    ok: bool,
    error: Option<String>,
    lines: usize,
    wall: f64,
    peak_mb: Option<f64>,
}

impl StreamRow {
    fn rows_per_s(&self) -> Option<f64> {
        (self.ok && self.wall > 0.0).then(|| self.n as f64 / self.wall)
    }
}

/// `1000000` as `1M`, `50000` as `50k`, other counts as they are.
fn count_label(n: usize) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1000 && n.is_multiple_of(1000) {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

/// Writes exactly `n` rows into `w`: the rows of `block` (whose line `i` ends at
/// byte `ends[i]`) repeated as often as needed.
fn write_rows(w: &mut impl Write, block: &[u8], ends: &[usize], n: usize) -> std::io::Result<()> {
    let per_block = ends.len();
    for _ in 0..n / per_block {
        w.write_all(block)?;
    }
    let rest = n % per_block;
    if rest > 0 {
        w.write_all(&block[..ends[rest - 1]])?;
    }
    w.flush()
}

/// Reads `t,state` lines and counts them; returns the count and the first line
/// that is not `<its index>,<integer>`, if any.
fn check_lines(r: impl Read) -> std::io::Result<(usize, Option<String>)> {
    let mut r = BufReader::with_capacity(1 << 16, r);
    let mut line = Vec::with_capacity(64);
    let mut prefix = String::with_capacity(24);
    let mut count = 0usize;
    let mut bad = None;
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        if bad.is_none() {
            prefix.clear();
            // Writing to a String cannot fail.
            let _ = write!(prefix, "{count},");
            let body = line.strip_suffix(b"\n").unwrap_or(&line);
            let state = body.strip_prefix(prefix.as_bytes());
            if !state.is_some_and(|s| !s.is_empty() && s.iter().all(u8::is_ascii_digit)) {
                bad = Some(format!(
                    "line {}: {:?}",
                    count + 1,
                    String::from_utf8_lossy(body)
                ));
            }
        }
        count += 1;
    }
    Ok((count, bad))
}

/// A joined thread's I/O result, with a panic turned into an error.
fn joined<T>(r: std::thread::Result<std::io::Result<T>>) -> std::io::Result<T> {
    r.unwrap_or_else(|_| Err(std::io::Error::other("thread panicked")))
}

/// Pipes `n` rows into `casc predict model --stream [--max-lag L]` from a thread,
/// checks its output on another, and polls its peak memory meanwhile.
fn run_stream_one(
    casc: &Path,
    model: &Path,
    block: &[u8],
    ends: &[usize],
    row: &mut StreamRow,
) -> anyhow::Result<()> {
    let mut cmd = Command::new(casc);
    cmd.arg("predict").arg(model).arg("--stream");
    if let Some(lag) = row.max_lag {
        cmd.args(["--max-lag", &lag.to_string()]);
    }
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", casc.display()))?;
    let pid = child.id();
    let (stdin, stdout, mut stderr) =
        match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
            (Some(i), Some(o), Some(e)) => (i, o, e),
            _ => bail!("the child's standard streams are not piped"),
        };
    let n = row.n;
    let (status, peak, written, checked, err_text) = std::thread::scope(|s| {
        let writer = s.spawn(move || {
            let mut w = BufWriter::with_capacity(1 << 16, stdin);
            write_rows(&mut w, block, ends, n)
            // Dropping `w` closes the child's standard input.
        });
        let reader = s.spawn(move || check_lines(stdout));
        let errs = s.spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let mut peak: Option<f64> = None;
        let status = loop {
            if let Some(mb) = vm_hwm_mb(pid) {
                peak = Some(peak.map_or(mb, |p| p.max(mb)));
            }
            match child.try_wait() {
                Ok(Some(st)) => break Ok(st),
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break Err(e);
                }
            }
        };
        let written = joined(writer.join());
        let checked = joined(reader.join());
        let err_text = errs.join().unwrap_or_default();
        (status, peak, written, checked, err_text)
    });
    row.wall = started.elapsed().as_secs_f64();
    row.peak_mb = peak;
    let status = status.context("waiting for casc predict")?;
    if !status.success() {
        let tail: Vec<&str> = err_text.lines().rev().take(5).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!("casc predict exited with {status}: {}", tail.join(" | "));
    }
    written.context("writing rows to casc predict")?;
    let (lines, bad) = checked.context("reading casc predict's output")?;
    row.lines = lines;
    if let Some(bad) = bad {
        bail!("unexpected output at {bad}");
    }
    if lines != n {
        bail!("{lines} output lines for {n} input rows");
    }
    row.ok = true;
    Ok(())
}

fn stream_markdown(rows: &[StreamRow], header: &str, verdict: &str) -> String {
    let mut s = String::new();
    s.push_str(header);
    s.push_str(
        "\n| N | max lag | seconds | rows/s | peak MB | output lines |\n\
         |---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let lag = r
            .max_lag
            .map_or_else(|| "none".to_string(), |l| l.to_string());
        if !r.ok {
            s.push_str(&format!(
                "| {} | {lag} | failed: {} |||||\n",
                r.n,
                r.error.as_deref().unwrap_or("?").replace('|', "/")
            ));
            continue;
        }
        s.push_str(&format!(
            "| {} | {lag} | {:.2} | {} | {} | {} |\n",
            r.n,
            r.wall,
            fmt_opt(r.rows_per_s(), 0),
            fmt_opt(r.peak_mb, 1),
            r.lines,
        ));
    }
    s.push('\n');
    s.push_str(verdict);
    s.push('\n');
    s
}

fn run_stream(casc: &Path, quick: bool) -> anyhow::Result<Section> {
    const MACROS: usize = 20;
    const EPSILON: f64 = 0.2;
    const STATES: usize = 10;
    let (small, large) = if quick {
        (50_000, 500_000)
    } else {
        (100_000, 1_000_000)
    };
    let dir = target_dir().join("bench-stream");
    let params = SynthParams::paper(MACROS, EPSILON, SEED);
    ensure_data(&dir.join("data"), &params)?;
    let data_csv = dir.join("data").join("data.csv");
    let block =
        std::fs::read(&data_csv).with_context(|| format!("reading {}", data_csv.display()))?;
    let ends: Vec<usize> = block
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\n')
        .map(|(i, _)| i + 1)
        .collect();
    if ends.is_empty() || ends.last() != Some(&block.len()) {
        bail!(
            "{} is empty or does not end with a newline",
            data_csv.display()
        );
    }

    let model_dir = dir.join("model");
    let _ = std::fs::remove_dir_all(&model_dir);
    let started = Instant::now();
    let out = Command::new(casc)
        .arg("fit")
        .arg(&data_csv)
        .args([
            "--states",
            &STATES.to_string(),
            "--no-motifs",
            "-q",
            "--out",
        ])
        .arg(&model_dir)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("starting {}", casc.display()))?;
    let fit_seconds = started.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "casc fit for the streaming model exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let model = model_dir.join("model.casc");
    println!(
        "stream: fitted {} on {} rows in {fit_seconds:.2} s",
        model.display(),
        ends.len()
    );

    let runs = [
        (small, Some(STREAM_MAX_LAG)),
        (large, Some(STREAM_MAX_LAG)),
        (small, None),
    ];
    let mut rows = Vec::new();
    for (n, max_lag) in runs {
        let mut row = StreamRow {
            n,
            max_lag,
            ok: false,
            error: None,
            lines: 0,
            wall: 0.0,
            peak_mb: None,
        };
        if let Err(e) = run_stream_one(casc, &model, &block, &ends, &mut row) {
            eprintln!("stream N={n}: {e:#}");
            row.error = Some(format!("{e:#}"));
        }
        println!(
            "stream N={n} max-lag {}: {:.2} s, {} rows/s, peak {} MB, {} lines{}",
            max_lag.map_or_else(|| "none".to_string(), |l| l.to_string()),
            row.wall,
            fmt_opt(row.rows_per_s(), 0),
            fmt_opt(row.peak_mb, 1),
            row.lines,
            if row.ok { "" } else { " (FAILED)" }
        );
        rows.push(row);
    }

    let (s_lbl, l_lbl) = (count_label(small), count_label(large));
    let peaks = match (&rows[0], &rows[1]) {
        (a, b) if a.ok && b.ok => a.peak_mb.zip(b.peak_mb),
        _ => None,
    };
    let flat = peaks.map(|(p_small, p_large)| p_large <= 1.5 * p_small);
    let verdict = match (flat, peaks) {
        (Some(f), Some((ps, pl))) => format!(
            "memory flat: peak at {l_lbl} within 1.5x of peak at {s_lbl}: {f} \
             ({pl:.1} MB vs {ps:.1} MB, ratio {:.2})",
            pl / ps
        ),
        _ => format!(
            "memory flat: peak at {l_lbl} within 1.5x of peak at {s_lbl}: unknown \
             (a run failed or peak memory is unavailable)"
        ),
    };
    let header = format!(
        "## Streaming prediction\n\n`casc predict model.casc --stream [--max-lag L]` fed N rows \
         through a pipe from a thread (the {} rows of the paper's benchmark with {MACROS} \
         macro-segments, epsilon {EPSILON}, seed {SEED}, repeated; never written to disk); the \
         model was fitted once on those rows with `casc fit --states {STATES} --no-motifs` \
         ({fit_seconds:.2} s). Every output line is checked to be `t,state` with t = 0..N-1. \
         Wall time from spawn to exit, peak resident memory (VmHWM) of the child{}.\n",
        ends.len(),
        if quick { "; quick set" } else { "" }
    );
    let json = json!({
        "model_fit": {
            "macro_segments": MACROS,
            "epsilon": EPSILON,
            "seed": SEED,
            "states": STATES,
            "rows": ends.len(),
            "seconds": fit_seconds,
        },
        "rows": rows.iter().map(|r| json!({
            "n": r.n,
            "max_lag": r.max_lag,
            "ok": r.ok,
            "error": r.error,
            "output_lines": r.lines,
            "wall_seconds": r.wall,
            "rows_per_second": r.rows_per_s(),
            "peak_mb": r.peak_mb,
        })).collect::<Vec<_>>(),
        "memory_flat": flat,
        "memory_flat_rule": format!("peak at {l_lbl} within 1.5x of peak at {s_lbl} (max lag {STREAM_MAX_LAG})"),
    });
    Ok(Section {
        markdown: stream_markdown(&rows, &header, &verdict),
        json,
        all_ok: rows.iter().all(|r| r.ok),
    })
}

fn bench(opts: BenchOptions) -> anyhow::Result<()> {
    if opts.criterion {
        run_criterion(opts.quick)?;
    }
    if !opts.e2e && !opts.stream && !opts.windows && !opts.python {
        return Ok(());
    }
    let target = target_dir();
    let casc = casc_binary(&target)?;
    let mut md = format!(
        "# casc benchmark report{}\n\n",
        if opts.quick { " (quick)" } else { "" }
    );
    let mut report = json!({
        "quick": opts.quick,
        "casc": casc.display().to_string(),
        "seed": SEED,
    });
    let mut failed = Vec::new();
    if opts.e2e {
        let section = run_e2e(&casc, opts.quick)?;
        md.push_str(&section.markdown);
        md.push('\n');
        report["rows"] = section.json;
        if !section.all_ok {
            failed.push("end-to-end");
        }
    }
    if opts.stream {
        let section = run_stream(&casc, opts.quick)?;
        md.push_str(&section.markdown);
        report["stream"] = section.json;
        if !section.all_ok {
            failed.push("streaming");
        }
    }
    if opts.windows {
        let section = windows::run(&casc, &target, opts.quick)?;
        md.push('\n');
        md.push_str(&section.markdown);
        report["windows"] = section.json;
        if !section.all_ok {
            failed.push("window-sweep");
        }
    }
    if opts.python {
        let section = python::bench(&casc, opts.quick)?;
        md.push('\n');
        md.push_str(&section.markdown);
        report["python"] = section.json;
        if !section.all_ok {
            failed.push("Python");
        }
    }
    std::fs::write(target.join("bench-report.md"), &md)?;
    std::fs::write(
        target.join("bench-report.json"),
        serde_json::to_string_pretty(&report)? + "\n",
    )?;
    println!("\n{md}");
    println!(
        "wrote {} and {}",
        target.join("bench-report.md").display(),
        target.join("bench-report.json").display()
    );
    if !failed.is_empty() {
        bail!("some {} runs failed (see the tables)", failed.join(" and "));
    }
    Ok(())
}

/// `cargo xtask bench --only-windows`: the window sweep alone (its own two files only).
fn bench_windows_only(quick: bool) -> anyhow::Result<()> {
    let target = target_dir();
    let casc = casc_binary(&target)?;
    let section = windows::run(&casc, &target, quick)?;
    println!("\n{}", section.markdown);
    if !section.all_ok {
        bail!("some window-sweep runs failed (see the table)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_rows_repeats_the_block_and_stops_mid_block() {
        let block = b"1,2\n3,4\n5,6\n";
        let ends = [4, 8, 12];
        let mut out = Vec::new();
        write_rows(&mut out, block, &ends, 7).unwrap();
        assert_eq!(out, b"1,2\n3,4\n5,6\n1,2\n3,4\n5,6\n1,2\n");
        out.clear();
        write_rows(&mut out, block, &ends, 2).unwrap();
        assert_eq!(out, b"1,2\n3,4\n");
    }

    #[test]
    fn check_lines_counts_and_flags_the_first_bad_line() {
        assert_eq!(check_lines(&b"0,3\n1,0\n2,12\n"[..]).unwrap(), (3, None));
        let (n, bad) = check_lines(&b"0,3\n2,0\n2,1\n"[..]).unwrap();
        assert_eq!(n, 3);
        assert_eq!(bad.as_deref(), Some("line 2: \"2,0\""));
        let (_, bad) = check_lines(&b"0,\n"[..]).unwrap();
        assert!(bad.is_some());
        let (_, bad) = check_lines(&b"0,1x\n"[..]).unwrap();
        assert!(bad.is_some());
    }

    #[test]
    fn count_labels() {
        assert_eq!(count_label(1_000_000), "1M");
        assert_eq!(count_label(500_000), "500k");
        assert_eq!(count_label(1234), "1234");
    }
}
