//! The Python package in the project's automation: `cargo xtask test` (every test of the
//! project: the workspace's `cargo test`, then the package's pytest suite against a wheel built
//! into a fresh virtual environment) and the Python section of `cargo xtask bench` (a Python
//! fit's time against the command line's on the same data).
//!
//! The package is installed with the README's own command, `pip install ./crates/casc-py`
//! (maturin builds the release wheel through pip, in the workspace's target directory, where
//! it shares the release dependencies of xtask and the command line). pip needs PyPI for maturin, pytest, numpy and pandas;
//! everything else is offline. The interpreter is `$PYTHON`, else `python3` (3.9 or later).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, bail};
use casc_eval::SynthParams;

use crate::{SEED, Section, cargo, casc_binary, ensure_data, root, target_dir};

/// The package's directory, relative to the workspace root.
const PACKAGE: &str = "crates/casc-py";

/// What `cargo xtask test` runs.
pub struct TestOptions {
    /// `cargo test --workspace`.
    pub rust: bool,
    /// The Python package's pytest suite.
    pub python: bool,
}

/// Runs a command, echoing it, and fails with its name when it fails.
fn run(what: &str, cmd: &mut Command) -> anyhow::Result<()> {
    println!("== {what}");
    let started = Instant::now();
    let status = cmd.status().with_context(|| format!("starting {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    println!(
        "== {what}: done in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `cargo xtask test`: the workspace's tests, then the Python package's.
///
/// The command line the Python tests compare with is the one `cargo test --workspace` has just
/// built for its own tests (`target/debug/casc`: no second build of it), else `CASC_BIN` or
/// the release build.
pub fn test(opts: TestOptions) -> anyhow::Result<()> {
    let started = Instant::now();
    let target = target_dir();
    let tested = target
        .join("debug")
        .join(format!("casc{}", std::env::consts::EXE_SUFFIX));
    if opts.rust {
        run(
            "cargo test --workspace",
            cargo().args(["test", "--workspace"]),
        )?;
    }
    if opts.python {
        let casc = if opts.rust && std::env::var_os("CASC_BIN").is_none() && tested.is_file() {
            tested
        } else {
            casc_binary(&target)?
        };
        println!("== the Python tests compare with {}", casc.display());
        let python = venv(&target.join("py-test-venv"), "[test]")?;
        let tests = root().join(PACKAGE).join("tests");
        run(
            "pytest crates/casc-py/tests",
            Command::new(&python)
                .args(["-m", "pytest", "-p", "no:cacheprovider", "-q"])
                .arg(&tests)
                .env("CASC_BIN", &casc)
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .current_dir(root()),
        )?;
    }
    println!(
        "== cargo xtask test: every test passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The interpreter that makes the virtual environments: `$PYTHON`, else `python3`, checked to
/// be 3.9 or later.
fn base_python() -> anyhow::Result<PathBuf> {
    let python = std::env::var_os("PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("python3"));
    let out = Command::new(&python)
        .args([
            "-c",
            "import sys; print(sys.version_info >= (3, 9), sys.version.split()[0])",
        ])
        .output()
        .with_context(|| {
            format!(
                "running {} (the Python package's tests need Python 3.9 or later; set PYTHON, \
                 or skip them with --no-python)",
                python.display()
            )
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    match text.split_whitespace().collect::<Vec<_>>()[..] {
        ["True", _] => Ok(python),
        [_, version] => bail!(
            "{} is Python {version}; the package needs 3.9 or later (set PYTHON)",
            python.display()
        ),
        _ => bail!("{} did not report its version", python.display()),
    }
}

/// A fresh virtual environment at `dir` with the package installed from source (with the
/// optional dependencies `extras`, e.g. `[test]`); returns its interpreter.
fn venv(dir: &Path, extras: &str) -> anyhow::Result<PathBuf> {
    let base = base_python()?;
    run(
        &format!("{} -m venv --clear {}", base.display(), dir.display()),
        Command::new(&base).args(["-m", "venv", "--clear"]).arg(dir),
    )?;
    let python = if cfg!(windows) {
        dir.join("Scripts").join("python.exe")
    } else {
        dir.join("bin").join("python")
    };
    let package = format!("{}{extras}", root().join(PACKAGE).display());
    run(
        &format!("pip install ./{PACKAGE}{extras} (maturin builds the wheel)"),
        Command::new(&python)
            .args(["-m", "pip", "install", "--disable-pip-version-check"])
            .arg(package)
            .current_dir(root()),
    )?;
    Ok(python)
}

/// The Python section of `cargo xtask bench`: `crates/casc-py/bench/fit_vs_cli.py` on the
/// paper's benchmark (400 macro-segments, T = 60,000; 100 with `--quick`), with the package
/// installed into a fresh virtual environment.
pub fn bench(casc: &Path, quick: bool) -> anyhow::Result<Section> {
    let (macros, repeats) = if quick { (100, 3) } else { (400, 7) };
    let dir = target_dir().join("bench-python");
    let params = SynthParams::paper(macros, 0.2, SEED);
    ensure_data(&dir.join("data"), &params)?;
    let python = venv(&dir.join("venv"), "")?;
    let work = dir.join("runs");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let (json, md) = (dir.join("result.json"), dir.join("result.md"));
    let script = root().join(PACKAGE).join("bench").join("fit_vs_cli.py");
    let status = Command::new(&python)
        .arg(&script)
        .arg("--casc")
        .arg(casc)
        .arg("--data")
        .arg(dir.join("data").join("data.csv"))
        .arg("--work")
        .arg(&work)
        .args(["--repeats", &repeats.to_string()])
        .arg("--json")
        .arg(&json)
        .arg("--markdown")
        .arg(&md)
        .status()
        .with_context(|| format!("running {}", script.display()))?;
    let read =
        |p: &Path| std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()));
    let value: serde_json::Value = serde_json::from_str(&read(&json)?)?;
    Ok(Section {
        markdown: read(&md)?,
        json: value,
        all_ok: status.success(),
    })
}
