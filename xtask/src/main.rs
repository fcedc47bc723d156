//! xtask: project automation for casc (`cargo xtask fixtures [--check]`, `cargo xtask bench [--quick]`).
//!
//! * `fixtures` writes the small synthetic fixtures under `fixtures/<name>/`
//!   (data.csv, truth.csv, motif.csv, params.json) from recorded parameters;
//!   `--check` regenerates them in memory and fails when a checked-in file differs.
//! * `bench` runs the per-crate criterion benchmarks, then an end-to-end table:
//!   it generates the paper's benchmark at several sizes and noise levels
//!   (cached under `<target>/bench-data/`), runs the release `casc fit` binary
//!   on each, and writes `<target>/bench-report.md` and `.json` with seconds per
//!   phase, peak memory and the F1 scores after phase 1 and phase 2.
//!
//! Peak memory is read from `/proc/<pid>/status` (`VmHWM`, the kernel's high
//! water mark of the child's resident set) while polling the child every 10 ms,
//! so no libc or unsafe code is needed; it is Linux-only (reported absent
//! elsewhere) and may miss growth in the child's last 10 ms.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use casc_eval::{SynthParams, generate, read_labels, read_mask, score};
use serde_json::json;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  fixtures [--check]   write fixtures/<name>/ (or, with --check, verify them)
  bench [--quick] [--no-criterion] [--no-e2e]
                       criterion benches per crate, then the end-to-end table
                       (target/bench-report.md, target/bench-report.json)

environment:
  CASC_BIN             use this casc binary instead of building target/release/casc";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, flags) = match args.split_first() {
        Some((c, f)) => (c.as_str(), f),
        None => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    let has = |name: &str| flags.iter().any(|f| f == name);
    let allowed: &[&str] = match cmd {
        "fixtures" => &["--check"],
        "bench" => &["--quick", "--no-criterion", "--no-e2e"],
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
        "fixtures" => fixtures(has("--check")),
        _ => bench(BenchOptions {
            quick: has("--quick"),
            criterion: !has("--no-criterion"),
            e2e: !has("--no-e2e"),
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
    init: Option<f64>,
    phase1: Option<f64>,
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
        row.init = secs("init");
        row.phase1 = secs("phase1");
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
        "\n| T | epsilon | init s | phase1 s | phase2 s | total s | wall s | peak MB \
         | F1 phase 1 | motif F1 phase 1 | F1 final | motif F1 final |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        if !r.ok {
            s.push_str(&format!(
                "| {} | {:.1} | failed: {} ||||||||||\n",
                r.t,
                r.epsilon,
                r.error.as_deref().unwrap_or("?").replace('|', "/")
            ));
            continue;
        }
        s.push_str(&format!(
            "| {} | {:.1} | {} | {} | {} | {} | {:.2} | {} | {} | {} | {} | {} |\n",
            r.t,
            r.epsilon,
            fmt_opt(r.init, 2),
            fmt_opt(r.phase1, 2),
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
        "seconds": { "init": r.init, "phase1": r.phase1, "phase2": r.phase2, "total": r.total },
        "phase1": { "weighted_f1": r.f1_phase1, "motif_weighted_f1": r.motif_f1_phase1 },
        "final": { "weighted_f1": r.f1_final, "motif_weighted_f1": r.motif_f1_final },
    })
}

fn run_e2e(quick: bool) -> anyhow::Result<()> {
    let target = target_dir();
    let casc = match std::env::var_os("CASC_BIN") {
        Some(p) => PathBuf::from(p),
        None => {
            println!("== cargo build --release -p casc");
            let status = cargo()
                .args(["build", "--release", "-p", "casc"])
                .status()
                .context("running cargo build")?;
            if !status.success() {
                bail!("building the casc binary failed");
            }
            target.join("release").join("casc")
        }
    };
    let (epsilons, macros): (Vec<f64>, Vec<usize>) = if quick {
        (vec![0.0, 0.2, 0.4], vec![100, 1000])
    } else {
        (
            (0..=7).map(|i| i as f64 / 10.0).collect(),
            vec![100, 1000, 7000],
        )
    };
    const SEED: u64 = 1;
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
                .and_then(|()| run_one(&casc, &data_dir, &out_dir, &mut row));
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
        "# casc end-to-end benchmark\n\n`casc fit data.csv --states 10` on the paper's synthetic \
         benchmark (K = 10, n = 5, w = 1, seed {SEED}){}. Seconds per phase from summary.json, \
         wall time and peak resident memory (VmHWM) of the process, weighted F1 over all \
         timesteps and over motif timesteps (Hungarian-matched) after phase 1 (TICC) and after \
         phase 2 (final).\n",
        if quick { ", quick set" } else { "" }
    );
    let md = markdown(&rows, &header);
    std::fs::write(target.join("bench-report.md"), &md)?;
    let report = json!({
        "quick": quick,
        "casc": casc.display().to_string(),
        "seed": SEED,
        "rows": rows.iter().map(row_json).collect::<Vec<_>>(),
    });
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
    if rows.iter().any(|r| !r.ok) {
        bail!("some end-to-end runs failed (see the table)");
    }
    Ok(())
}

fn bench(opts: BenchOptions) -> anyhow::Result<()> {
    if opts.criterion {
        run_criterion(opts.quick)?;
    }
    if opts.e2e {
        run_e2e(opts.quick)?;
    }
    Ok(())
}
