//! The window sweep of `cargo xtask bench` (issue 16): seconds per phase of `casc fit` as the
//! window grows, at a fixed number of steps, on one and on several channels.
//!
//! Every case runs the release binary twice, with the default number of threads:
//!
//! * **plain**: phase 1 as the reference runs it (`--beta 25 --no-split-merge --no-motifs` on
//!   generated data; the CLaP benchmark's TICC settings `--beta 2200 --max-iters 10
//!   --no-split-merge --no-motifs` on the real series);
//! * **default**: `casc fit --states K --window W` (beta estimated, split-and-merge, motifs).
//!
//! Seconds per phase come from each run's `summary.json` (`FitSummary::seconds` of the `casc`
//! crate, read as JSON so that xtask does not depend on the library), wall time and peak
//! resident memory from polling the child. A run longer than the timeout is killed and shown as
//! `timeout > N s`; when the plain run times out the default fit (a superset of it) is not run.
//!
//! The cases: one channel at windows 1, 5, 10, 50, 200, 400 (15,000 steps); four channels at
//! windows 1, 5, 10, 50, 200 (10,000 steps; the generator caps `channels * window` at
//! [`MAX_WINDOW_DIM`], so the window-200 data are drawn with window 100 and fitted with 200);
//! then the issue's anchors: a 100,000-step, 10-channel, window-10, K-10 series, and two TSSB
//! series of `../shared/data/tssd` (skipped with a note when absent). `--quick` keeps the
//! windows up to 50 on shorter series and skips the anchors.
//!
//! Generated data are cached under `<target>/bench-data/windows-*/`, outputs go to
//! `<target>/bench-windows/<case>/{plain,default}/`, the report to `<target>/bench-windows.md`
//! and `.json` (and, inside a full `cargo xtask bench`, into `bench-report.md` too).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use casc_eval::synth::MAX_WINDOW_DIM;
use casc_eval::{SynthParams, generate};
use serde_json::json;

use crate::{SEED, Section, fmt_opt, root, vm_hwm_mb};

/// Seconds before a run is killed (full sweep).
const TIMEOUT: f64 = 600.0;
/// Seconds before a run is killed (`--quick`).
const QUICK_TIMEOUT: f64 = 60.0;
/// Channels of the several-channel sweep.
const SEVERAL: usize = 4;
/// The reference's switching penalty on generated data (the CASC paper's).
const PLAIN_BETA: &str = "25";
/// Anchor a): the default fit should take under this many seconds (wall).
const ANCHOR_TARGET_SECONDS: f64 = 10.0;

/// Where a case's data come from.
#[derive(Clone, Debug, PartialEq)]
enum Source {
    /// Generated from `params`, cut to the case's number of steps.
    Synth(SynthParams),
    /// A series folder of the state-detection benchmarks (`data.csv` with a header row).
    Real(PathBuf),
    /// Not available; the note says why.
    Missing,
}

/// One case of the sweep.
#[derive(Clone, Debug, PartialEq)]
struct Case {
    /// Name of the output folder, and the table's first column.
    name: String,
    channels: usize,
    /// The window fitted.
    window: usize,
    steps: usize,
    states: usize,
    source: Source,
    /// Arguments of the plain run after `--states K --window W`.
    plain: Vec<String>,
    /// Whether the default fit should finish within [`ANCHOR_TARGET_SECONDS`].
    target: bool,
    note: Option<String>,
}

/// Seconds per phase, as `summary.json` has them (`FitSeconds`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Seconds {
    read: Option<f64>,
    beta: Option<f64>,
    init: Option<f64>,
    phase1: Option<f64>,
    split_merge: Option<f64>,
    phase2: Option<f64>,
    fit: Option<f64>,
    total: Option<f64>,
}

/// A run that finished.
#[derive(Clone, Debug, Default, PartialEq)]
struct Stats {
    wall: f64,
    peak_mb: Option<f64>,
    seconds: Seconds,
    /// Phase-1 EM iterations.
    iterations: Option<u64>,
    /// Whether phase 1 converged before its iteration cap.
    converged: Option<bool>,
    /// The switching penalty used.
    beta: Option<f64>,
}

/// What came of one run.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Done(Stats),
    Timeout { limit: f64, peak_mb: Option<f64> },
    Failed(String),
    NotRun(String),
}

impl Outcome {
    fn stats(&self) -> Option<&Stats> {
        match self {
            Outcome::Done(s) => Some(s),
            _ => None,
        }
    }
}

/// A case with its two runs.
struct CaseResult {
    case: Case,
    plain: Outcome,
    default: Outcome,
}

impl CaseResult {
    /// The default fit's seconds over the plain run's (`fit` of both summaries).
    fn ratio(&self) -> Option<f64> {
        let d = self.default.stats()?.seconds.fit?;
        let p = self.plain.stats()?.seconds.fit?;
        (p > 0.0).then(|| d / p)
    }

    /// Whether the target of an anchor is met (`None` without target or result).
    fn target_met(&self) -> Option<bool> {
        if !self.case.target {
            return None;
        }
        match &self.default {
            Outcome::Done(s) => Some(s.wall < ANCHOR_TARGET_SECONDS),
            Outcome::Timeout { .. } => Some(false),
            _ => None,
        }
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Generator parameters for `states` states of `channels` channels drawn with window
/// `data_window`, long enough for `steps` steps: two random segments then every state once
/// per macro-segment, segments of `max(50, 2 * window)` steps, noise 0.2.
fn sweep_params(
    channels: usize,
    window: usize,
    data_window: usize,
    states: usize,
    steps: usize,
) -> SynthParams {
    let mut p = SynthParams::paper(1, 0.2, SEED);
    p.n_sensors = channels;
    p.window = data_window;
    p.n_states = states;
    p.motif = (0..states).collect();
    p.garbage_per_macro = 2;
    p.segment_len = 50.max(2 * window);
    let per_macro = (p.garbage_per_macro + p.motif.len()) * p.segment_len;
    p.macro_segments = steps.div_ceil(per_macro).max(1);
    p
}

/// A generated case: the data are drawn with the fitted window, capped by the generator.
fn synth_case(channels: usize, window: usize, states: usize, steps: usize) -> Case {
    let data_window = window.min(MAX_WINDOW_DIM / channels);
    let note = (data_window != window).then(|| {
        format!(
            "data drawn with window {data_window} (the generator caps channels x window at \
             {MAX_WINDOW_DIM})"
        )
    });
    Case {
        name: format!("n{channels}-w{window}"),
        channels,
        window,
        steps,
        states,
        source: Source::Synth(sweep_params(channels, window, data_window, states, steps)),
        plain: strings(&["--beta", PLAIN_BETA, "--no-split-merge", "--no-motifs"]),
        target: false,
        note,
    }
}

/// The generated cases: the two sweeps, then (not with `quick`) anchor a).
fn synth_cases(quick: bool) -> Vec<Case> {
    let (one, several, states) = if quick {
        ((3_000, vec![1, 5, 10, 50]), (2_000, vec![1, 5, 10, 50]), 2)
    } else {
        (
            (15_000, vec![1, 5, 10, 50, 200, 400]),
            (10_000, vec![1, 5, 10, 50, 200]),
            3,
        )
    };
    let mut cases = Vec::new();
    for &w in &one.1 {
        cases.push(synth_case(1, w, states, one.0));
    }
    for &w in &several.1 {
        cases.push(synth_case(SEVERAL, w, states, several.0));
    }
    if !quick {
        // The paper's layout (15-step segments, six random ones then the motif 6 7 8 9).
        const STEPS: usize = 100_000;
        let mut p = SynthParams::paper(STEPS.div_ceil(150), 0.2, SEED);
        p.n_sensors = 10;
        p.window = 10;
        cases.push(Case {
            name: "anchor-n10-w10-k10".into(),
            channels: 10,
            window: 10,
            steps: STEPS,
            states: 10,
            source: Source::Synth(p),
            plain: strings(&["--beta", PLAIN_BETA, "--no-split-merge", "--no-motifs"]),
            target: true,
            note: Some(format!(
                "anchor a): default fit under {ANCHOR_TARGET_SECONDS:.0} s wall"
            )),
        });
    }
    cases
}

/// A TSSB series the issue names: by name (when given), its window and its rough length.
struct RealAnchor {
    name: Option<&'static str>,
    window: usize,
    steps: usize,
}

/// Anchor b) of the issue.
const REAL_ANCHORS: [RealAnchor; 2] = [
    RealAnchor {
        name: Some("ChlorineConcentration"),
        window: 150,
        steps: 7_383,
    },
    RealAnchor {
        name: None,
        window: 400,
        steps: 14_973,
    },
];

/// One TSSB series' `meta.json` figures.
struct Meta {
    name: String,
    dir: PathBuf,
    n: usize,
    d: usize,
    reference_window: usize,
}

/// The TSSB series listed in `<data>/index.csv`, with their `meta.json` (as `tssd.rs` reads it).
fn tssb_series(data: &Path) -> anyhow::Result<Vec<Meta>> {
    let index = std::fs::read_to_string(data.join("index.csv"))
        .with_context(|| format!("reading {}", data.join("index.csv").display()))?;
    let mut out = Vec::new();
    for line in index.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() < 2 || cells[0] != "TSSB" {
            continue;
        }
        let dir = data.join("TSSB").join(cells[1]);
        let text = std::fs::read_to_string(dir.join("meta.json"))
            .with_context(|| format!("reading {}/meta.json", dir.display()))?;
        let meta: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("parsing {}/meta.json", dir.display()))?;
        let get = |k: &str| {
            meta.get(k)
                .and_then(serde_json::Value::as_u64)
                .map(|v| v as usize)
                .with_context(|| format!("{}/meta.json has no {k}", dir.display()))
        };
        out.push(Meta {
            n: get("n")?,
            d: get("d")?,
            reference_window: get("reference_window")?,
            name: cells[1].to_string(),
            dir,
        });
    }
    Ok(out)
}

/// The reference's TICC settings of the CLaP benchmark (beside `--states 2 --window W`).
fn reference_args() -> Vec<String> {
    strings(&[
        "--beta",
        "2200",
        "--max-iters",
        "10",
        "--no-split-merge",
        "--no-motifs",
    ])
}

fn real_case(m: &Meta, window: usize, note: String) -> Case {
    Case {
        name: format!("tssb-{}-w{window}", m.name),
        channels: m.d,
        window,
        steps: m.n,
        states: 2,
        source: Source::Real(m.dir.clone()),
        plain: reference_args(),
        target: false,
        note: Some(note),
    }
}

/// Anchor b): each series of [`REAL_ANCHORS`] found in `series`. A series whose `meta.json`
/// has the anchor's window and about its length (within 10%) is taken; else the named series
/// runs at the anchor's window and at its own reference window; else the case is marked missing.
fn real_cases(series: &[Meta], data: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for a in &REAL_ANCHORS {
        let near = |m: &&Meta| m.n.abs_diff(a.steps) * 10 <= a.steps;
        let exact = series
            .iter()
            .filter(|m| m.reference_window == a.window)
            .find(|m| near(m) && a.name.is_none_or(|n| n == m.name));
        let named = a
            .name
            .and_then(|name| series.iter().find(|m| m.name == name));
        if let Some(m) = exact {
            cases.push(real_case(
                m,
                a.window,
                format!("{}: reference window {}", m.name, m.reference_window),
            ));
        } else if let Some(m) = named {
            let meta = format!(
                "its meta.json gives reference_window {} and {} steps",
                m.reference_window, m.n
            );
            cases.push(real_case(
                m,
                a.window,
                format!(
                    "{}: the issue's window {} (about {} steps); {meta}",
                    m.name, a.window, a.steps
                ),
            ));
            if m.reference_window != a.window {
                cases.push(real_case(
                    m,
                    m.reference_window,
                    format!("{}: its reference window", m.name),
                ));
            }
        } else {
            cases.push(Case {
                name: format!(
                    "tssb-{}-w{}",
                    a.name.unwrap_or("reference-window"),
                    a.window
                ),
                channels: 1,
                window: a.window,
                steps: a.steps,
                states: 2,
                source: Source::Missing,
                plain: reference_args(),
                target: false,
                note: Some(format!(
                    "skipped: no TSSB series {}with reference_window {} and about {} steps in {}",
                    a.name.map(|n| format!("{n} ")).unwrap_or_default(),
                    a.window,
                    a.steps,
                    data.display()
                )),
            });
        }
    }
    cases
}

/// Generates (or reuses) the first `steps` rows of `params`' data as `dir/data.csv`.
fn ensure_synth(dir: &Path, params: &SynthParams, steps: usize) -> anyhow::Result<PathBuf> {
    let key = serde_json::to_string_pretty(&json!({
        "steps": steps,
        "params": serde_json::to_value(params)?,
    }))? + "\n";
    let data = dir.join("data.csv");
    let key_path = dir.join("params.json");
    if data.is_file() && std::fs::read_to_string(&key_path).ok().as_deref() == Some(&key) {
        return Ok(data);
    }
    let started = Instant::now();
    let generated = generate(params)?;
    if generated.n_steps() < steps {
        bail!(
            "the generator made {} steps, fewer than {steps}",
            generated.n_steps()
        );
    }
    let csv = generated.data_csv();
    let end = csv
        .match_indices('\n')
        .nth(steps - 1)
        .map_or(csv.len(), |(i, _)| i + 1);
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // params.json last: it marks the folder complete.
    let _ = std::fs::remove_file(&key_path);
    std::fs::write(&data, &csv[..end]).with_context(|| format!("writing {}", data.display()))?;
    std::fs::write(&key_path, key)?;
    println!(
        "generated {} ({steps} steps) in {:.2} s",
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(data)
}

/// The figures of `summary.json` the table shows (wall time and peak memory left unset).
fn read_summary(text: &str) -> anyhow::Result<Stats> {
    let v: serde_json::Value = serde_json::from_str(text).context("parsing summary.json")?;
    let secs = |k: &str| v.pointer(&format!("/seconds/{k}")).and_then(|x| x.as_f64());
    let seconds = Seconds {
        read: secs("read"),
        beta: secs("beta"),
        init: secs("init"),
        phase1: secs("phase1"),
        split_merge: secs("split_merge"),
        phase2: secs("phase2"),
        fit: secs("fit"),
        total: secs("total"),
    };
    if seconds.fit.is_none() {
        bail!("summary.json has no seconds.fit");
    }
    Ok(Stats {
        seconds,
        iterations: v.pointer("/iterations/phase1").and_then(|x| x.as_u64()),
        converged: v.pointer("/converged/phase1").and_then(|x| x.as_bool()),
        beta: v.get("beta").and_then(|x| x.as_f64()),
        ..Stats::default()
    })
}

/// Runs `casc fit DATA ARGS --out OUT -q`, killing it after `timeout` seconds.
fn run_fit(casc: &Path, data: &Path, args: &[String], out: &Path, timeout: f64) -> Outcome {
    let result = (|| -> anyhow::Result<Outcome> {
        let _ = std::fs::remove_dir_all(out);
        std::fs::create_dir_all(out)?;
        let stderr = std::fs::File::create(out.join("stderr.log"))?;
        let started = Instant::now();
        let mut child = Command::new(casc)
            .arg("fit")
            .arg(data)
            .args(args)
            .arg("--out")
            .arg(out)
            .arg("-q")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("starting {}", casc.display()))?;
        let pid = child.id();
        let mut peak: Option<f64> = None;
        let status = loop {
            if let Some(mb) = vm_hwm_mb(pid) {
                peak = Some(peak.map_or(mb, |p| p.max(mb)));
            }
            if let Some(s) = child.try_wait()? {
                break s;
            }
            if started.elapsed().as_secs_f64() > timeout {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(Outcome::Timeout {
                    limit: timeout,
                    peak_mb: peak,
                });
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let wall = started.elapsed().as_secs_f64();
        if !status.success() {
            let err = std::fs::read_to_string(out.join("stderr.log")).unwrap_or_default();
            let tail: Vec<&str> = err.lines().rev().take(3).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            bail!("casc fit exited with {status}: {}", tail.join(" / "));
        }
        let text = std::fs::read_to_string(out.join("summary.json"))
            .with_context(|| format!("reading {}/summary.json", out.display()))?;
        Ok(Outcome::Done(Stats {
            wall,
            peak_mb: peak,
            ..read_summary(&text)?
        }))
    })();
    result.unwrap_or_else(|e| Outcome::Failed(format!("{e:#}")))
}

/// A one-line account of a run for the console.
fn describe(o: &Outcome) -> String {
    match o {
        Outcome::Done(s) => format!(
            "fit {} s (phase 1 {} s), wall {:.2} s, peak {} MB",
            fmt_opt(s.seconds.fit, 2),
            fmt_opt(s.seconds.phase1, 2),
            s.wall,
            fmt_opt(s.peak_mb, 1)
        ),
        Outcome::Timeout { limit, .. } => format!("timeout > {limit:.0} s"),
        Outcome::Failed(e) => format!("FAILED: {e}"),
        Outcome::NotRun(why) => format!("not run: {why}"),
    }
}

fn run_case(casc: &Path, target: &Path, case: &Case, timeout: f64) -> CaseResult {
    let data = match &case.source {
        Source::Synth(p) => ensure_synth(
            &target
                .join("bench-data")
                .join(format!("windows-{}", data_name(case, p))),
            p,
            case.steps,
        ),
        Source::Real(dir) => Ok(dir.join("data.csv")),
        Source::Missing => {
            let why = "data absent".to_string();
            return CaseResult {
                case: case.clone(),
                plain: Outcome::NotRun(why.clone()),
                default: Outcome::NotRun(why),
            };
        }
    };
    let data = match data {
        Ok(d) => d,
        Err(e) => {
            let e = format!("data: {e:#}");
            return CaseResult {
                case: case.clone(),
                plain: Outcome::Failed(e.clone()),
                default: Outcome::NotRun("no data".into()),
            };
        }
    };
    let out = target.join("bench-windows").join(&case.name);
    let base = strings(&[
        "--states",
        &case.states.to_string(),
        "--window",
        &case.window.to_string(),
    ]);
    let plain_args: Vec<String> = base.iter().chain(&case.plain).cloned().collect();
    let plain = run_fit(casc, &data, &plain_args, &out.join("plain"), timeout);
    println!("windows {} plain: {}", case.name, describe(&plain));
    let default = if matches!(plain, Outcome::Timeout { .. }) {
        Outcome::NotRun("the plain run timed out".into())
    } else {
        run_fit(casc, &data, &base, &out.join("default"), timeout)
    };
    println!("windows {} default: {}", case.name, describe(&default));
    CaseResult {
        case: case.clone(),
        plain,
        default,
    }
}

/// The cache folder name of a generated case's data.
fn data_name(case: &Case, p: &SynthParams) -> String {
    format!(
        "n{}-w{}-k{}-t{}-s{}",
        p.n_sensors, p.window, p.n_states, case.steps, p.seed
    )
}

/// The cells of one run: `cells` figures, or its outcome in the first cell and `-` after.
fn run_cells(o: &Outcome, cells: impl Fn(&Stats) -> Vec<String>, width: usize) -> Vec<String> {
    let first = match o {
        Outcome::Done(s) => return cells(s),
        Outcome::Timeout { limit, .. } => format!("timeout > {limit:.0} s"),
        Outcome::Failed(e) => format!("failed: {e}"),
        Outcome::NotRun(why) => format!("not run ({why})"),
    };
    std::iter::once(first)
        .chain(std::iter::repeat_n("-".to_string(), width - 1))
        .collect()
}

/// The sweep's table, under `header`.
fn markdown(results: &[CaseResult], header: &str) -> String {
    let mut s = String::from(header);
    s.push_str(
        "\n| case | channels | window | steps | K | plain phase 1 s | plain fit s | plain iters \
         | plain wall s | plain peak MB | default beta s | default init s | default phase 1 s \
         | default split-merge s | default motifs s | default fit s | default wall s \
         | default peak MB | default / plain | note |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for r in results {
        let c = &r.case;
        let plain = run_cells(
            &r.plain,
            |s| {
                vec![
                    fmt_opt(s.seconds.phase1, 2),
                    fmt_opt(s.seconds.fit, 2),
                    s.iterations.map_or_else(
                        || "-".into(),
                        |i| format!("{i}{}", if s.converged == Some(false) { "*" } else { "" }),
                    ),
                    format!("{:.2}", s.wall),
                    fmt_opt(s.peak_mb, 1),
                ]
            },
            5,
        );
        let default = run_cells(
            &r.default,
            |s| {
                vec![
                    fmt_opt(s.seconds.beta, 2),
                    fmt_opt(s.seconds.init, 2),
                    fmt_opt(s.seconds.phase1, 2),
                    fmt_opt(s.seconds.split_merge, 2),
                    fmt_opt(s.seconds.phase2, 2),
                    fmt_opt(s.seconds.fit, 2),
                    format!("{:.2}", s.wall),
                    fmt_opt(s.peak_mb, 1),
                ]
            },
            8,
        );
        let mut note: Vec<String> = c.note.iter().cloned().collect();
        match r.target_met() {
            Some(true) => note.push("target met".into()),
            Some(false) => note.push("target MISSED".into()),
            None => {}
        }
        let row: Vec<String> = [
            c.name.clone(),
            c.channels.to_string(),
            c.window.to_string(),
            c.steps.to_string(),
            c.states.to_string(),
        ]
        .into_iter()
        .chain(plain)
        .chain(default)
        .chain([fmt_opt(r.ratio(), 1), note.join("; ")])
        .map(|cell| cell.replace('|', "/"))
        .collect();
        let _ = writeln!(s, "| {} |", row.join(" | "));
    }
    s
}

fn outcome_json(o: &Outcome) -> serde_json::Value {
    match o {
        Outcome::Done(s) => json!({
            "status": "done",
            "wall_seconds": s.wall,
            "peak_mb": s.peak_mb,
            "beta": s.beta,
            "phase1_iterations": s.iterations,
            "phase1_converged": s.converged,
            "seconds": {
                "read": s.seconds.read,
                "beta": s.seconds.beta,
                "init": s.seconds.init,
                "phase1": s.seconds.phase1,
                "split_merge": s.seconds.split_merge,
                "phase2": s.seconds.phase2,
                "fit": s.seconds.fit,
                "total": s.seconds.total,
            },
        }),
        Outcome::Timeout { limit, peak_mb } => {
            json!({ "status": "timeout", "timeout_seconds": limit, "peak_mb": peak_mb })
        }
        Outcome::Failed(e) => json!({ "status": "failed", "error": e }),
        Outcome::NotRun(why) => json!({ "status": "not_run", "reason": why }),
    }
}

fn result_json(r: &CaseResult) -> serde_json::Value {
    let c = &r.case;
    let data_window = match &c.source {
        Source::Synth(p) => Some(p.window),
        _ => None,
    };
    json!({
        "case": c.name,
        "channels": c.channels,
        "window": c.window,
        "data_window": data_window,
        "steps": c.steps,
        "states": c.states,
        "source": match &c.source {
            Source::Synth(_) => "generated".to_string(),
            Source::Real(d) => d.display().to_string(),
            Source::Missing => "missing".to_string(),
        },
        "plain_args": c.plain,
        "plain": outcome_json(&r.plain),
        "default": outcome_json(&r.default),
        "ratio_default_to_plain": r.ratio(),
        "target_seconds": c.target.then_some(ANCHOR_TARGET_SECONDS),
        "target_met": r.target_met(),
        "note": c.note,
    })
}

/// Runs the sweep with the `casc` binary, writes `<target>/bench-windows.md` and `.json`, and
/// returns the section for the bench report.
pub fn run(casc: &Path, target: &Path, quick: bool) -> anyhow::Result<Section> {
    let timeout = if quick { QUICK_TIMEOUT } else { TIMEOUT };
    let mut cases = synth_cases(quick);
    let tssd = root().join("../shared/data/tssd");
    if !quick {
        match tssb_series(&tssd) {
            Ok(series) => cases.extend(real_cases(&series, &tssd)),
            Err(e) => cases.extend(real_cases(&[], &tssd).into_iter().map(|mut c| {
                c.note = Some(format!("{} ({e:#})", c.note.unwrap_or_default()));
                c
            })),
        }
    }
    let started = Instant::now();
    let mut results = Vec::new();
    for case in &cases {
        results.push(run_case(casc, target, case, timeout));
    }
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let command = std::iter::once("cargo xtask".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    let header = format!(
        "## Window sweep\n\n\
         Command `{command}` on a machine with {cores} cores (casc's default threads: one per \
         core); binary `{}`; every run is killed after {timeout:.0} s; the sweep took {:.0} s{}.\n\n\
         Each case runs `casc fit DATA --states K --window W` twice: **plain** phase 1 as the \
         reference runs it (generated data: `--beta {PLAIN_BETA} --no-split-merge --no-motifs`; \
         TSSB series: the CLaP benchmark's TICC settings `--beta 2200 --max-iters 10 \
         --no-split-merge --no-motifs`) and the **default** fit (beta estimated, split-and-merge, \
         motifs). Seconds per phase from each run's summary.json (`fit` is the library's whole \
         fit: beta estimate, init, phase 1, split-and-merge and motifs, without reading and \
         writing), wall time and peak resident memory (VmHWM) of the process. \
         \"plain iters\": phase-1 EM iterations (* when it stopped at the cap). \
         \"default / plain\": the default fit's `fit` seconds over the plain run's. A plain run \
         that times out leaves the default fit (a superset of it) not run.\n\n\
         Generated data (seed {SEED}, noise 0.2) are drawn with the window fitted: K random \
         sparse block-Toeplitz states, two random segments then every state once per \
         macro-segment, segments of max(50, 2W) steps, cut to the sweep's number of steps; \
         anchor a) uses the paper's layout (15-step segments, six random, then the motif \
         6 7 8 9).\n",
        casc.display(),
        started.elapsed().as_secs_f64(),
        if quick { "; quick set" } else { "" },
    );
    let md = markdown(&results, &header);
    let json = json!({
        "command": command,
        "cores": cores,
        "quick": quick,
        "casc": casc.display().to_string(),
        "timeout_seconds": timeout,
        "seed": SEED,
        "cases": results.iter().map(result_json).collect::<Vec<_>>(),
    });
    let md_path = target.join("bench-windows.md");
    let json_path = target.join("bench-windows.json");
    std::fs::write(
        &md_path,
        format!(
            "# casc window sweep{}\n\n{md}",
            if quick { " (quick)" } else { "" }
        ),
    )?;
    std::fs::write(&json_path, serde_json::to_string_pretty(&json)? + "\n")?;
    println!("wrote {} and {}", md_path.display(), json_path.display());
    Ok(Section {
        markdown: md,
        json,
        all_ok: results.iter().all(|r| {
            !matches!(r.plain, Outcome::Failed(_)) && !matches!(r.default, Outcome::Failed(_))
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sweep_has_the_issue_windows_at_a_fixed_length() {
        let cases = synth_cases(false);
        let windows = |n: usize| -> Vec<usize> {
            cases
                .iter()
                .filter(|c| c.channels == n && !c.target)
                .map(|c| c.window)
                .collect()
        };
        assert_eq!(windows(1), [1, 5, 10, 50, 200, 400]);
        assert_eq!(windows(SEVERAL), [1, 5, 10, 50, 200]);
        for n in [1, SEVERAL] {
            let mut steps: Vec<usize> = cases
                .iter()
                .filter(|c| c.channels == n)
                .map(|c| c.steps)
                .collect();
            steps.dedup();
            assert_eq!(steps.len(), 1, "one length per sweep");
        }
        let anchor: Vec<&Case> = cases.iter().filter(|c| c.target).collect();
        assert_eq!(anchor.len(), 1);
        assert_eq!(
            (
                anchor[0].channels,
                anchor[0].window,
                anchor[0].states,
                anchor[0].steps
            ),
            (10, 10, 10, 100_000)
        );
    }

    #[test]
    fn every_generated_case_is_valid_and_long_enough() {
        for quick in [false, true] {
            for c in synth_cases(quick) {
                let Source::Synth(p) = &c.source else {
                    panic!("{} is not generated", c.name);
                };
                p.check().unwrap_or_else(|e| panic!("{}: {e}", c.name));
                assert!(p.n_steps() >= c.steps, "{}", c.name);
                assert!(p.window <= c.window && p.n_sensors == c.channels);
                assert_eq!(p.n_states, c.states);
                assert_eq!(
                    p.window == c.window,
                    c.note.is_none() || c.target,
                    "{}",
                    c.name
                );
            }
        }
    }

    #[test]
    fn quick_stays_small() {
        let cases = synth_cases(true);
        assert!(cases.iter().all(|c| c.window <= 50 && !c.target));
        assert!(cases.iter().all(|c| c.steps <= 3_000));
    }

    fn meta(name: &str, n: usize, w: usize) -> Meta {
        Meta {
            name: name.into(),
            dir: PathBuf::from(name),
            n,
            d: 1,
            reference_window: w,
        }
    }

    #[test]
    fn real_anchors_by_window_and_length_then_by_name() {
        let data = Path::new("data");
        let exact = real_cases(
            &[
                meta("ChlorineConcentration", 7_400, 150),
                meta("Other", 15_000, 400),
            ],
            data,
        );
        let names: Vec<&str> = exact.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["tssb-ChlorineConcentration-w150", "tssb-Other-w400"]
        );
        assert!(exact.iter().all(|c| c.plain.contains(&"2200".to_string())));

        // This data folder's version: another window and length, no window-400 series.
        let fallback = real_cases(&[meta("ChlorineConcentration", 7_801, 10)], data);
        let names: Vec<&str> = fallback.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "tssb-ChlorineConcentration-w150",
                "tssb-ChlorineConcentration-w10",
                "tssb-reference-window-w400"
            ]
        );
        assert_eq!(fallback[2].source, Source::Missing);
        assert!(fallback[2].note.as_deref().unwrap().starts_with("skipped"));
    }

    fn stats(fit: f64, wall: f64) -> Stats {
        Stats {
            wall,
            seconds: Seconds {
                phase1: Some(fit / 2.0),
                fit: Some(fit),
                ..Seconds::default()
            },
            iterations: Some(15),
            converged: Some(false),
            ..Stats::default()
        }
    }

    #[test]
    fn the_table_shows_timeouts_and_ratios() {
        let mut cases = synth_cases(true);
        let results = vec![
            CaseResult {
                case: cases.remove(0),
                plain: Outcome::Done(stats(2.0, 2.5)),
                default: Outcome::Done(stats(7.0, 7.5)),
            },
            CaseResult {
                case: cases.remove(0),
                plain: Outcome::Timeout {
                    limit: 600.0,
                    peak_mb: None,
                },
                default: Outcome::NotRun("the plain run timed out".into()),
            },
        ];
        let md = markdown(&results, "## h");
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines.len(), 5, "{md}");
        let cells = |l: &str| l.split('|').count();
        assert!(
            lines[2..].iter().all(|l| cells(l) == cells(lines[2])),
            "{md}"
        );
        assert!(lines[3].contains("| 1.00 | 2.00 | 15* | 2.50 |"), "{md}");
        assert!(lines[3].contains("| 3.5 |"), "{md}");
        assert!(lines[4].contains("| timeout > 600 s | - |"), "{md}");
        assert!(
            lines[4].contains("not run (the plain run timed out)"),
            "{md}"
        );
    }

    #[test]
    fn the_summary_seconds_are_read() {
        let text = r#"{"beta": 25.0, "iterations": {"phase1": 4, "phase2": 0},
            "converged": {"phase1": true, "phase2": null},
            "seconds": {"read": 0.1, "beta": null, "init": 0.2, "phase1": 1.5,
                        "split_merge": null, "phase2": null, "fit": 1.7, "total": 1.9}}"#;
        let s = read_summary(text).unwrap();
        let secs = s.seconds;
        assert_eq!(
            (secs.phase1, secs.fit, secs.beta),
            (Some(1.5), Some(1.7), None)
        );
        assert_eq!(
            (s.iterations, s.converged, s.beta),
            (Some(4), Some(true), Some(25.0))
        );
        assert!(read_summary(r#"{"seconds": {}}"#).is_err());
    }
}
