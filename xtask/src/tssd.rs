//! `cargo xtask tssd`: casc on every series of the state-detection benchmarks (TSSB, SKAB,
//! MoCap; `../shared/data/tssd` or `--data DIR`), scored with Covering, AMI, ARI and NMI, beside
//! the published per-series scores of seven methods (`published.csv`).
//!
//! Each series runs the release `casc fit` binary (sequentially: casc is parallel inside) with
//! the true number of states unless `--states` says otherwise and the window `--window` gives
//! (`reference`: the window the benchmark gave TICC; a number; or anything casc accepts, such
//! as `auto`). A run that fails or exceeds `--timeout` seconds is scored as one segment of one
//! state (what a method that answers nothing gets) and counted. Results go to
//! `<target>/tssd/<tag>/` (each series' output folder) and `<target>/tssd-<tag>.md` / `.json`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use casc_eval::metrics::{adjusted_mutual_info, adjusted_rand, covering, normalized_mutual_info};
use serde_json::json;

/// MoCap ARI over its 9 series as the Time2State paper reports it (no per-series file).
const MOCAP_PUBLISHED_ARI: [(&str, f64); 4] = [
    ("AutoPlait", 0.806),
    ("Time2State", 0.753),
    ("TICC", 0.722),
    ("HDP-HSMM", 0.551),
];

/// Options of `cargo xtask tssd`.
pub struct TssdOptions {
    /// The benchmark folder.
    pub data: PathBuf,
    /// `reference`, a number, or a value passed to `--window` as is.
    pub window: String,
    /// `true` (the series' K) or a value passed to `--states` as is.
    pub states: String,
    /// Benchmarks to run (all when empty).
    pub benches: Vec<String>,
    /// Series names to run (all when empty).
    pub only: Vec<String>,
    /// Seconds before a run is stopped.
    pub timeout: f64,
    /// Extra arguments for `casc fit`.
    pub extra: Vec<String>,
    /// Name of this run (output folder and report names).
    pub tag: String,
}

impl TssdOptions {
    /// Parses `--data D --window W --states S --bench A,B --only X,Y --timeout T --tag N
    /// -- EXTRA...`.
    pub fn parse(root: &Path, flags: &[String]) -> anyhow::Result<Self> {
        let mut o = TssdOptions {
            data: root.join("../shared/data/tssd"),
            window: "reference".into(),
            states: "true".into(),
            benches: Vec::new(),
            only: Vec::new(),
            timeout: 900.0,
            extra: Vec::new(),
            tag: "default".into(),
        };
        let mut it = flags.iter();
        while let Some(f) = it.next() {
            if f == "--" {
                o.extra = it.cloned().collect();
                break;
            }
            let mut value = || {
                it.next()
                    .cloned()
                    .with_context(|| format!("{f} needs a value"))
            };
            match f.as_str() {
                "--data" => o.data = PathBuf::from(value()?),
                "--window" => o.window = value()?,
                "--states" => o.states = value()?,
                "--bench" => o.benches = value()?.split(',').map(str::to_string).collect(),
                "--only" => o.only = value()?.split(',').map(str::to_string).collect(),
                "--timeout" => {
                    o.timeout = value()?.parse().context("--timeout needs a number")?;
                }
                "--tag" => o.tag = value()?,
                other => bail!("unknown option `{other}` for `tssd`"),
            }
        }
        Ok(o)
    }
}

/// One series of the benchmark.
struct SeriesInfo {
    bench: String,
    name: String,
    dir: PathBuf,
    n: usize,
    k: usize,
    reference_window: usize,
}

/// One result row.
struct Row {
    bench: String,
    name: String,
    n: usize,
    k: usize,
    window: String,
    states_found: usize,
    segments_found: usize,
    covering: f64,
    ami: f64,
    ari: f64,
    nmi: f64,
    wall: f64,
    error: Option<String>,
}

fn series_list(o: &TssdOptions) -> anyhow::Result<Vec<SeriesInfo>> {
    let index = std::fs::read_to_string(o.data.join("index.csv"))
        .with_context(|| format!("reading {}", o.data.join("index.csv").display()))?;
    let mut out = Vec::new();
    for line in index.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split(',').collect();
        let (bench, name) = (cells[0].to_string(), cells[1].to_string());
        if !o.benches.is_empty() && !o.benches.contains(&bench) {
            continue;
        }
        if !o.only.is_empty() && !o.only.contains(&name) {
            continue;
        }
        let dir = o.data.join(&bench).join(&name);
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json"))?)
                .with_context(|| format!("{}/meta.json", dir.display()))?;
        let get = |k: &str| {
            meta.get(k)
                .and_then(serde_json::Value::as_u64)
                .map(|v| v as usize)
                .with_context(|| format!("{}/meta.json has no {k}", dir.display()))
        };
        out.push(SeriesInfo {
            n: get("n")?,
            k: get("K")?,
            reference_window: get("reference_window")?,
            bench,
            name,
            dir,
        });
    }
    Ok(out)
}

fn read_states(path: &Path) -> anyhow::Result<Vec<usize>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.rsplit(',')
                .next()
                .unwrap_or("")
                .trim()
                .parse::<usize>()
                .with_context(|| format!("{}: {l:?}", path.display()))
        })
        .collect()
}

/// Runs one series; the row holds the scores (of a one-state answer when the run failed).
fn run_series(casc: &Path, s: &SeriesInfo, o: &TssdOptions, out_root: &Path) -> Row {
    let window = if o.window == "reference" {
        s.reference_window.to_string()
    } else {
        o.window.clone()
    };
    let states = if o.states == "true" {
        s.k.to_string()
    } else {
        o.states.clone()
    };
    let out = out_root.join(&s.bench).join(&s.name);
    let truth = read_states(&s.dir.join("truth.csv"));
    let mut row = Row {
        bench: s.bench.clone(),
        name: s.name.clone(),
        n: s.n,
        k: s.k,
        window: window.clone(),
        states_found: 0,
        segments_found: 0,
        covering: 0.0,
        ami: 0.0,
        ari: 0.0,
        nmi: 0.0,
        wall: 0.0,
        error: None,
    };
    let started = Instant::now();
    let result = (|| -> anyhow::Result<Vec<usize>> {
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out)?;
        let mut child = Command::new(casc)
            .arg("fit")
            .arg(s.dir.join("data.csv"))
            .args(["--states", &states, "--window", &window, "-q", "--out"])
            .arg(&out)
            .args(&o.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(out.join("stderr.log"))?)
            .spawn()
            .with_context(|| format!("starting {}", casc.display()))?;
        let status = loop {
            if let Some(st) = child.try_wait()? {
                break st;
            }
            if started.elapsed().as_secs_f64() > o.timeout {
                let _ = child.kill();
                let _ = child.wait();
                bail!("stopped after {:.0} s", o.timeout);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if !status.success() {
            let err = std::fs::read_to_string(out.join("stderr.log")).unwrap_or_default();
            bail!(
                "exit {}: {}",
                status.code().unwrap_or(-1),
                err.lines().last().unwrap_or("")
            );
        }
        read_states(&out.join("assignments.csv"))
    })();
    row.wall = started.elapsed().as_secs_f64();
    let truth = match truth {
        Ok(t) => t,
        Err(e) => {
            row.error = Some(format!("truth: {e:#}"));
            return row;
        }
    };
    let pred = match result {
        Ok(p) if p.len() == truth.len() => p,
        Ok(p) => {
            row.error = Some(format!("{} labels for {} steps", p.len(), truth.len()));
            vec![0; truth.len()]
        }
        Err(e) => {
            row.error = Some(format!("{e:#}"));
            vec![0; truth.len()]
        }
    };
    let mut used: Vec<usize> = pred.clone();
    used.sort_unstable();
    used.dedup();
    row.states_found = used.len();
    row.segments_found = 1 + pred.windows(2).filter(|p| p[0] != p[1]).count();
    row.covering = covering(&truth, &pred).unwrap_or(0.0);
    row.ami = adjusted_mutual_info(&truth, &pred).unwrap_or(0.0);
    row.ari = adjusted_rand(&truth, &pred).unwrap_or(0.0);
    row.nmi = normalized_mutual_info(&truth, &pred).unwrap_or(0.0);
    row
}

/// Published (covering, ami) per (bench, name, method).
type Published = BTreeMap<(String, String, String), (f64, f64)>;

fn published(data: &Path) -> anyhow::Result<Published> {
    let text = std::fs::read_to_string(data.join("published.csv"))?;
    let mut out = BTreeMap::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let c: Vec<&str> = line.split(',').collect();
        if c.len() < 5 {
            continue;
        }
        let (Ok(cov), Ok(ami)) = (c[3].parse::<f64>(), c[4].parse::<f64>()) else {
            continue;
        };
        out.insert((c[0].into(), c[1].into(), c[2].into()), (cov, ami));
    }
    Ok(out)
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { f64::NAN } else { s / n as f64 }
}

fn report(rows: &[Row], publ: &Published, o: &TssdOptions) -> (String, serde_json::Value) {
    let mut md = format!(
        "# casc on the state-detection benchmarks ({})\n\nwindow `{}`, states `{}`, extra `{}`\n\n",
        o.tag,
        o.window,
        o.states,
        o.extra.join(" ")
    );
    let benches: Vec<String> = {
        let mut b: Vec<String> = rows.iter().map(|r| r.bench.clone()).collect();
        b.dedup();
        b
    };
    let mut summary = Vec::new();
    md.push_str("## Means per benchmark\n\n| benchmark | series | failed | casc Covering | casc AMI | casc ARI | casc NMI | seconds (sum) | best published (Covering / AMI) |\n|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for b in &benches {
        let rs: Vec<&Row> = rows.iter().filter(|r| &r.bench == b).collect();
        let failed = rs.iter().filter(|r| r.error.is_some()).count();
        let (cov, ami, ari, nmi) = (
            mean(rs.iter().map(|r| r.covering)),
            mean(rs.iter().map(|r| r.ami)),
            mean(rs.iter().map(|r| r.ari)),
            mean(rs.iter().map(|r| r.nmi)),
        );
        let secs: f64 = rs.iter().map(|r| r.wall).sum();
        // Published means over the same series.
        let mut methods: BTreeMap<String, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
        for r in &rs {
            for ((pb, pn, m), (c, a)) in publ {
                if pb == b && *pn == r.name {
                    let e = methods.entry(m.clone()).or_default();
                    e.0.push(*c);
                    e.1.push(*a);
                }
            }
        }
        let mut pubs: Vec<(String, f64, f64)> = methods
            .into_iter()
            .filter(|(_, (c, _))| c.len() == rs.len())
            .map(|(m, (c, a))| (m, mean(c.into_iter()), mean(a.into_iter())))
            .collect();
        pubs.sort_by(|x, y| y.2.total_cmp(&x.2));
        let best = if b == "MoCap" {
            format!("AutoPlait ARI {:.3}", MOCAP_PUBLISHED_ARI[0].1)
        } else {
            pubs.first()
                .map(|(m, c, a)| format!("{m} {c:.3} / {a:.3}"))
                .unwrap_or_else(|| "-".into())
        };
        let _ = writeln!(
            md,
            "| {b} | {} | {failed} | {cov:.3} | {ami:.3} | {ari:.3} | {nmi:.3} | {secs:.1} | {best} |",
            rs.len()
        );
        summary.push(json!({
            "bench": b, "series": rs.len(), "failed": failed,
            "covering": cov, "ami": ami, "ari": ari, "nmi": nmi, "seconds": secs,
            "published": pubs.iter().map(|(m, c, a)| json!({"method": m, "covering": c, "ami": a})).collect::<Vec<_>>(),
        }));
        if !pubs.is_empty() {
            let line: Vec<String> = pubs
                .iter()
                .map(|(m, c, a)| format!("{m} {c:.3}/{a:.3}"))
                .collect();
            let _ = writeln!(
                md,
                "|  |  |  | published on these series: {} |||||",
                line.join(", ")
            );
        } else if b == "MoCap" {
            let line: Vec<String> = MOCAP_PUBLISHED_ARI
                .iter()
                .map(|(m, a)| format!("{m} ARI {a:.3}"))
                .collect();
            let _ = writeln!(
                md,
                "|  |  |  | published (all 9 series): {} |||||",
                line.join(", ")
            );
        }
    }
    md.push_str("\n## Per series\n\n| benchmark | series | n | K | window | states found | segments found | Covering | AMI | ARI | NMI | CLaP Cov/AMI | TICC Cov/AMI | seconds | note |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    let mut per = Vec::new();
    for r in rows {
        let p = |m: &str| {
            publ.get(&(r.bench.clone(), r.name.clone(), m.to_string()))
                .map(|(c, a)| format!("{c:.3}/{a:.3}"))
                .unwrap_or_else(|| "-".into())
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {} | {} | {:.1} | {} |",
            r.bench,
            r.name,
            r.n,
            r.k,
            r.window,
            r.states_found,
            r.segments_found,
            r.covering,
            r.ami,
            r.ari,
            r.nmi,
            p("CLaP"),
            p("TICC"),
            r.wall,
            r.error.as_deref().unwrap_or("").replace('|', "/")
        );
        per.push(json!({
            "bench": r.bench, "name": r.name, "n": r.n, "K": r.k, "window": r.window,
            "states_found": r.states_found, "segments_found": r.segments_found,
            "covering": r.covering, "ami": r.ami, "ari": r.ari, "nmi": r.nmi,
            "seconds": r.wall, "error": r.error,
        }));
    }
    let json = json!({
        "tag": o.tag, "window": o.window, "states": o.states, "extra": o.extra,
        "benchmarks": summary, "series": per,
    });
    (md, json)
}

/// Runs the benchmark with the `casc` binary and writes the reports into `target`.
pub fn run(casc: &Path, target: &Path, o: &TssdOptions) -> anyhow::Result<()> {
    let list = series_list(o)?;
    if list.is_empty() {
        bail!("no series selected in {}", o.data.display());
    }
    let publ = published(&o.data)?;
    let out_root = target.join("tssd").join(&o.tag);
    let mut rows = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let r = run_series(casc, s, o, &out_root);
        println!(
            "[{}/{}] {} {}: covering {:.3} AMI {:.3} ARI {:.3} states {} segments {} {:.1} s {}",
            i + 1,
            list.len(),
            r.bench,
            r.name,
            r.covering,
            r.ami,
            r.ari,
            r.states_found,
            r.segments_found,
            r.wall,
            r.error.as_deref().unwrap_or("")
        );
        rows.push(r);
    }
    let (md, json) = report(&rows, &publ, o);
    let md_path = target.join(format!("tssd-{}.md", o.tag));
    let json_path = target.join(format!("tssd-{}.json", o.tag));
    std::fs::write(&md_path, &md)?;
    std::fs::write(&json_path, serde_json::to_string_pretty(&json)? + "\n")?;
    let head: String = md
        .split("\n## Per series")
        .next()
        .unwrap_or(&md)
        .to_string();
    println!("\n{head}");
    println!("wrote {} and {}", md_path.display(), json_path.display());
    Ok(())
}
