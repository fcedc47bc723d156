//! The `casc` command line: argument handling and glue over the `casc` library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use casc::output::{assignments_csv, finite, motifs_json, segments_csv, write_file};
use casc::{FitParams, Missing, ReadOptions, Series};
use clap::{Args, Parser, Subcommand};
use serde_json::json;

const EXIT_HELP: &str = "\
Exit codes: 0 success, 2 usage or parameter error, 3 input data error, 4 numerical failure,
1 anything else.";

/// Finds hidden states and recurring motifs in multivariate sensor time series (TICC + CASC).
#[derive(Parser, Debug)]
#[command(name = "casc", version, after_help = EXIT_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log progress to standard error (repeat for more detail).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Fit states (and motifs) to one or more CSV files and write the results to a folder.
    #[command(
        after_help = "Example:\n  casc fit fixtures/paper-eps0.2/data.csv --states 10 --out out/\n\n\
        Writes assignments.csv, segments.csv, states.json, motifs.json, summary.json,\n\
        phase1_assignments.csv and model.casc into the folder.\n\n\
        Exit codes: 0 success, 2 usage or parameter error, 3 input data error, 4 numerical failure, 1 other."
    )]
    Fit(FitArgs),
    /// Generate the CASC paper's synthetic benchmark (data.csv, truth.csv, motif.csv).
    #[command(
        after_help = "Example:\n  casc generate --macro-segments 100 --noise 0.2 --out data/\n\n\
        Exit codes: 0 success, 2 usage or parameter error, 1 other."
    )]
    Generate(GenerateArgs),
    /// Score a predicted assignment against the truth (Hungarian matching, F1, accuracy).
    #[command(
        after_help = "Example:\n  casc score data/truth.csv out/assignments.csv --motif-mask data/motif.csv\n\n\
        Exit codes: 0 success, 2 usage error, 3 input data error, 1 other."
    )]
    Score(ScoreArgs),
}

#[derive(Args, Debug)]
struct InputArgs {
    /// What to do with empty cells, NaN, NA and infinities.
    #[arg(long, value_enum, default_value_t = Missing::Error)]
    missing: Missing,
    /// A column naming each row's recording (one file holding several recordings).
    #[arg(long, value_name = "NAME")]
    sequence_column: Option<String>,
}

#[derive(Args, Debug)]
struct FitArgs {
    /// Input CSV files: one row per timestep, one column per sensor, optional header row.
    #[arg(required = true, value_name = "DATA.csv")]
    data: Vec<PathBuf>,
    /// Number of states K (no default: it is the question you are asking).
    #[arg(short = 'k', long)]
    states: usize,
    /// Window length w: consecutive observations per stacked window.
    #[arg(short, long, default_value_t = 1)]
    window: usize,
    /// Sparsity penalty lambda of the graphical lasso.
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true)]
    lambda: f64,
    /// Switching penalty beta (cost units: twice the negative log-likelihood).
    #[arg(long, default_value_t = 25.0, allow_negative_numbers = true)]
    beta: f64,
    /// Maximum EM iterations of phase 1 (TICC).
    #[arg(long, default_value_t = 15)]
    max_iters: usize,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Run TICC only (skip the motif phase).
    #[arg(long)]
    no_motifs: bool,
    /// Motif aggressiveness in (0, 1]: lower repairs more.
    #[arg(long, default_value_t = 0.8, allow_negative_numbers = true)]
    gamma: f64,
    /// Instances a motif needs to be kept.
    #[arg(long, default_value_t = 10)]
    motif_min_instances: usize,
    /// Candidate motifs kept per iteration.
    #[arg(long, default_value_t = 50)]
    max_motifs: usize,
    /// Maximum EM iterations of phase 2 (motifs).
    #[arg(long, default_value_t = 10)]
    motif_iters: usize,
    /// Standardise every sensor (mean 0, sd 1) before fitting.
    #[arg(long)]
    standardize: bool,
    #[command(flatten)]
    input: InputArgs,
    /// Output folder (created if missing).
    #[arg(long, short)]
    out: PathBuf,
    /// Print nothing on success.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args, Debug)]
struct GenerateArgs {
    /// Number of macro-segments (each: 6 random segments, then the motif 6 7 8 9).
    #[arg(long, short = 'm')]
    macro_segments: usize,
    /// Probability epsilon that a segment is perturbed.
    #[arg(long, short = 'e')]
    noise: f64,
    /// Window length w of the generating model.
    #[arg(long, short, default_value_t = 1)]
    window: usize,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output folder (created if missing).
    #[arg(long, short)]
    out: PathBuf,
}

#[derive(Args, Debug)]
struct ScoreArgs {
    /// True states: one label per line (or a CSV whose last column is the label).
    truth: PathBuf,
    /// Predicted states: an assignments.csv as `casc fit` writes it, or one label per line.
    pred: PathBuf,
    /// Motif mask (one 0/1 per line) for the F1 on motif timesteps.
    #[arg(long, value_name = "MASK")]
    motif_mask: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// A failure with the exit code the command line documents.
#[derive(Debug)]
struct Failure {
    code: u8,
    error: anyhow::Error,
}

fn fail(code: u8) -> impl FnOnce(anyhow::Error) -> Failure {
    move |error| Failure { code, error }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure { code: 1, error }
    }
}

fn fit_error_code(e: &casc::FitError) -> u8 {
    match e {
        casc::FitError::Param(_) => 2,
        casc::FitError::Data(_) | casc::FitError::ModelMismatch(_) => 3,
        casc::FitError::Numerical(_) => 4,
        _ => 1,
    }
}

fn read_input(paths: &[PathBuf], input: &InputArgs) -> Result<Series, Failure> {
    let opts = ReadOptions {
        missing: input.missing,
        sequence_column: input.sequence_column.clone(),
    };
    casc::read_series(paths, &opts).map_err(|e| {
        let code = match &e {
            casc::ReadSeriesError::Data(_) => 3,
            casc::ReadSeriesError::Series(f) => fit_error_code(f),
            _ => 1,
        };
        Failure {
            code,
            error: e.into(),
        }
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => tracing::Level::WARN,
        1 => tracing::Level::INFO,
        _ => tracing::Level::DEBUG,
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let result = match cli.command {
        Command::Fit(a) => run_fit(a),
        Command::Generate(a) => run_generate(a),
        Command::Score(a) => run_score(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {:#}", f.error);
            ExitCode::from(f.code)
        }
    }
}

fn run_fit(a: FitArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let params = FitParams::new(a.states)
        .window(a.window)
        .lambda(a.lambda)
        .beta(a.beta)
        .max_iters(a.max_iters)
        .seed(a.seed)
        .motifs(!a.no_motifs)
        .gamma(a.gamma)
        .motif_min_instances(a.motif_min_instances)
        .max_motifs(a.max_motifs)
        .motif_iters(a.motif_iters)
        .standardize(a.standardize)
        .check()
        .map_err(|e| fail(2)(e.into()))?;
    let read_start = Instant::now();
    let series = read_input(&a.data, &a.input)?;
    let read_seconds = read_start.elapsed().as_secs_f64();
    warn_on_scales(&series, a.standardize);
    let fit = casc::fit(&series, &params).map_err(|e| Failure {
        code: fit_error_code(&e),
        error: e.into(),
    })?;
    write_fit(&a.out, &series, &a.data, &fit, read_seconds, started)
        .with_context(|| format!("writing results into {}", a.out.display()))?;
    if !a.quiet {
        print_summary(&series, &fit, &a.out);
    }
    Ok(())
}

/// Warns when sensor scales differ by a factor of 1e6 or more and the fit is not standardised.
fn warn_on_scales(series: &Series, standardize: bool) {
    if standardize {
        return;
    }
    let sds: Vec<f64> = series.column_scales().iter().map(|s| s.1).collect();
    let (lo, hi) = sds
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(l, h), &s| (l.min(s), h.max(s)));
    if hi / lo >= 1e6 {
        eprintln!(
            "warning: sensor scales differ by a factor of {:.1e}; the penalty lambda treats them alike. Consider --standardize.",
            hi / lo
        );
    }
}

fn write_fit(
    dir: &Path,
    series: &Series,
    inputs: &[PathBuf],
    fit: &casc::Fit,
    read_seconds: f64,
    started: Instant,
) -> anyhow::Result<()> {
    let model = &fit.model;
    write_file(
        dir,
        "assignments.csv",
        &assignments_csv(series, &fit.assignment),
    )?;
    if model.params.motifs_enabled() {
        write_file(
            dir,
            "phase1_assignments.csv",
            &assignments_csv(series, &fit.phase1_assignment),
        )?;
    }
    write_file(
        dir,
        "segments.csv",
        &segments_csv(series, &fit.assignment, &fit.motifs),
    )?;
    let d = model.window * model.n_sensors;
    let states: Vec<_> = model
        .states
        .iter()
        .enumerate()
        .map(|(k, s)| {
            json!({
                "state": k,
                "timesteps": fit.state_counts[k],
                "nonzeros": s.nonzeros(),
                "mean": s.mean,
                "precision": s.precision.chunks(d).collect::<Vec<_>>(),
            })
        })
        .collect();
    let states = json!({
        "sensors": model.sensor_names,
        "window": model.window,
        "standardization": model.scales.as_ref().map(|s| s.iter().map(|(m, sd)| json!({"mean": m, "sd": sd})).collect::<Vec<_>>()),
        "states": states,
    });
    write_file(dir, "states.json", &serde_json::to_string_pretty(&states)?)?;
    write_file(
        dir,
        "motifs.json",
        &serde_json::to_string_pretty(&motifs_json(series, &fit.motifs))?,
    )?;
    let diag = &fit.diagnostics;
    let p1 = diag.iterations.iter().filter(|i| i.phase == 1).count();
    let p2 = diag.iterations.iter().filter(|i| i.phase == 2).count();
    let summary = json!({
        "inputs": inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "n_steps": series.n_steps(),
        "n_sensors": series.n_sensors(),
        "recordings": series.recordings(),
        "parameters": model.params,
        "bic": finite(fit.bic),
        "iterations": {"phase1": p1, "phase2": p2},
        "converged": {"phase1": diag.phase1_converged, "phase2": diag.phase2_converged},
        "state_counts": fit.state_counts,
        "motifs": fit.motifs.iter().map(|m| json!({"states": m.states, "instances": m.instances.len()})).collect::<Vec<_>>(),
        "seconds": {
            "read": read_seconds,
            "init": diag.seconds.init,
            "phase1": diag.seconds.phase1,
            "phase2": diag.seconds.phase2,
            "fit": diag.seconds.total,
            "total": started.elapsed().as_secs_f64(),
        },
        "init": diag.init,
        "iteration_log": diag.iterations,
    });
    write_file(
        dir,
        "summary.json",
        &serde_json::to_string_pretty(&summary)?,
    )?;
    model.save(&dir.join("model.casc"))?;
    Ok(())
}

fn print_summary(series: &Series, fit: &casc::Fit, out: &Path) {
    let d = &fit.diagnostics;
    let p1 = d.iterations.iter().filter(|i| i.phase == 1).count();
    let p2 = d.iterations.iter().filter(|i| i.phase == 2).count();
    println!(
        "casc: {} timesteps x {} sensors in {} recording(s), {} states, window {}",
        series.n_steps(),
        series.n_sensors(),
        series.recordings().len(),
        fit.model.n_states(),
        fit.model.window
    );
    println!(
        "  phase 1 (TICC):   {p1} iterations, {}, {:.2} s",
        if d.phase1_converged {
            "converged"
        } else {
            "hit the iteration cap"
        },
        d.seconds.phase1
    );
    if let (Some(c), Some(s)) = (d.phase2_converged, d.seconds.phase2) {
        println!(
            "  phase 2 (motifs): {p2} iterations, {}, {:.2} s",
            if c {
                "converged"
            } else {
                "hit the iteration cap"
            },
            s
        );
    }
    println!("  BIC {:.1}", fit.bic);
    let counts: Vec<String> = fit
        .state_counts
        .iter()
        .enumerate()
        .map(|(k, c)| format!("{k}:{c}"))
        .collect();
    println!("  timesteps per state: {}", counts.join(" "));
    if fit.model.params.motifs_enabled() {
        if fit.motifs.is_empty() {
            println!("  no motif kept");
        }
        for (i, m) in fit.motifs.iter().enumerate() {
            let states: Vec<String> = m.states.iter().map(|s| s.to_string()).collect();
            println!(
                "  motif {i}: {} ({} instances, score {:.1}, p {:.2e})",
                states.join(" -> "),
                m.instances.len(),
                m.score,
                m.p_value
            );
        }
    }
    println!("  results in {}", out.display());
}

fn run_generate(a: GenerateArgs) -> Result<(), Failure> {
    let mut params = casc::eval::synth::SynthParams::paper(a.macro_segments, a.noise, a.seed);
    params.window = a.window;
    params.check().map_err(|e| fail(2)(e.into()))?;
    let data = casc::eval::synth::generate(&params).map_err(|e| fail(2)(e.into()))?;
    data.write_dir(&a.out)
        .with_context(|| format!("writing into {}", a.out.display()))?;
    write_file(
        &a.out,
        "params.json",
        &serde_json::to_string_pretty(&params).map_err(anyhow::Error::from)?,
    )
    .context("writing params.json")?;
    println!(
        "wrote {} timesteps x {} sensors to {}",
        data.n_steps(),
        data.n,
        a.out.display()
    );
    Ok(())
}

fn run_score(a: ScoreArgs) -> Result<(), Failure> {
    use casc::eval::score::{read_labels, read_mask, score};
    let truth = read_labels(&a.truth).map_err(|e| fail(3)(e.into()))?;
    let pred = read_labels(&a.pred).map_err(|e| fail(3)(e.into()))?;
    let mask = a
        .motif_mask
        .as_deref()
        .map(read_mask)
        .transpose()
        .map_err(|e| fail(3)(e.into()))?;
    let s = score(&truth, &pred, mask.as_deref()).map_err(|e| fail(3)(e.into()))?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&s).map_err(anyhow::Error::from)?
        );
    } else {
        print!("{s}");
    }
    Ok(())
}
