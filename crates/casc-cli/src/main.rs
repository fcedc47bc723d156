//! The `casc` command line: argument handling and glue over the `casc` library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use casc::{FitParams, Missing, ReadOptions, Series};
use clap::{Args, Parser, Subcommand};

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
    /// Apply a saved model to new data (states and motif instances), or label a stream.
    #[command(
        after_help = "Examples:\n  casc predict out/model.casc new.csv --out pred/\n  \
        tail -f sensor.csv | casc predict out/model.casc --stream --max-lag 200\n\n\
        With --stream, rows are read from standard input and each timestep's state is written\n\
        (`t,state`) as soon as it is final: when every surviving Viterbi path agrees on it, or\n\
        when it is --max-lag steps old. Motifs are not applied to a stream.\n\n\
        Exit codes: 0 success, 2 usage or parameter error, 3 input data error, 4 numerical failure, 1 other."
    )]
    Predict(PredictArgs),
    /// Print what a model file holds.
    #[command(after_help = "Example:\n  casc inspect out/model.casc --json\n\n\
        Exit codes: 0 success, 3 unreadable, corrupted or newer model file, 1 other.")]
    Inspect(InspectArgs),
    /// Fit a grid of numbers of states and switching penalties in parallel and compare their BIC.
    #[command(
        after_help = "Example:\n  casc select data.csv --states 4..12 --beta 10,25,50,100 --out best/\n\n\
        Exit codes: 0 success, 2 usage or parameter error, 3 input data error, 4 numerical failure, 1 other."
    )]
    Select(SelectArgs),
    /// Write report.html (sensors with state bands, motifs, dependency networks, run summary)
    /// for an existing output folder of `casc fit`.
    #[command(after_help = "Example:\n  casc report out/\n\n\
        Exit codes: 0 success, 3 missing or malformed output files, 1 other.")]
    Report(ReportArgs),
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
    /// Switching penalty beta (cost units: twice the negative log-likelihood), or `auto`:
    /// estimated from the data, starting from the paper's 25 (the switching probability of the
    /// fitted segmentation, scaled by the autocorrelation time of the residuals).
    #[arg(long, default_value = "auto", allow_negative_numbers = true, value_parser = parse_beta)]
    beta: BetaArg,
    /// Maximum EM iterations of phase 1 (TICC).
    #[arg(long, default_value_t = 15)]
    max_iters: usize,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Run TICC only (skip the motif phase).
    #[arg(long)]
    no_motifs: bool,
    /// Skip the split-and-merge refinement after phase 1.
    #[arg(long)]
    no_split_merge: bool,
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
    /// Also write report.html (an overview to open in a browser) into the output folder.
    #[arg(long)]
    report: bool,
    /// Print nothing on success.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args, Debug)]
struct PredictArgs {
    /// A model written by `casc fit`.
    model: PathBuf,
    /// Input CSV files (not with --stream).
    #[arg(value_name = "DATA.csv")]
    data: Vec<PathBuf>,
    /// Read rows from standard input and write states as soon as they are final.
    #[arg(long)]
    stream: bool,
    /// With --stream: decide a timestep at the latest this many steps after it arrived.
    #[arg(long, requires = "stream")]
    max_lag: Option<usize>,
    #[command(flatten)]
    input: InputArgs,
    /// Output folder (not with --stream).
    #[arg(long, short, required_unless_present = "stream")]
    out: Option<PathBuf>,
    /// Print nothing on success.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args, Debug)]
struct ReportArgs {
    /// An output folder written by `casc fit`.
    dir: PathBuf,
}

#[derive(Args, Debug)]
struct InspectArgs {
    /// A model written by `casc fit`.
    model: PathBuf,
    /// Print the whole model as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct SelectArgs {
    /// Input CSV files.
    #[arg(required = true, value_name = "DATA.csv")]
    data: Vec<PathBuf>,
    /// Numbers of states: a range `A..B` (inclusive) or a list `4,6,8`.
    #[arg(short = 'k', long, value_parser = parse_usize_list)]
    states: StateList,
    /// Switching penalties, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "25",
        allow_negative_numbers = true
    )]
    beta: Vec<f64>,
    /// Sparsity penalties, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "0.001",
        allow_negative_numbers = true
    )]
    lambda: Vec<f64>,
    /// Window length w.
    #[arg(short, long, default_value_t = 1)]
    window: usize,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Include the motif phase in every fit (off by default: BIC compares the state models).
    #[arg(long)]
    motifs: bool,
    #[command(flatten)]
    input: InputArgs,
    /// Write the best fit into this folder, as `casc fit` does.
    #[arg(long, short)]
    out: Option<PathBuf>,
}

/// A list of numbers of states given on the command line.
#[derive(Clone, Debug)]
struct StateList(Vec<usize>);

/// `--beta`: a number, or `auto`.
#[derive(Clone, Copy, Debug)]
enum BetaArg {
    Fixed(f64),
    Auto,
}

fn parse_beta(s: &str) -> Result<BetaArg, String> {
    if s.eq_ignore_ascii_case("auto") {
        return Ok(BetaArg::Auto);
    }
    s.trim()
        .parse::<f64>()
        .map(BetaArg::Fixed)
        .map_err(|_| format!("{s:?} is neither a number nor `auto`"))
}

fn parse_usize_list(s: &str) -> Result<StateList, String> {
    parse_usize_list_inner(s).map(StateList)
}

fn parse_usize_list_inner(s: &str) -> Result<Vec<usize>, String> {
    if let Some((a, b)) = s.split_once("..") {
        let a: usize = a
            .trim()
            .parse()
            .map_err(|_| format!("{a:?} is not a number of states"))?;
        let b: usize = b
            .trim()
            .trim_start_matches('=')
            .parse()
            .map_err(|_| format!("{b:?} is not a number of states"))?;
        if a > b {
            return Err(format!("empty range {s}"));
        }
        return Ok((a..=b).collect());
    }
    s.split(',')
        .map(|p| {
            p.trim()
                .parse::<usize>()
                .map_err(|_| format!("{p:?} is not a number of states"))
        })
        .collect()
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
        Command::Predict(a) => run_predict(a),
        Command::Inspect(a) => run_inspect(a),
        Command::Report(a) => run_report(&a.dir, false),
        Command::Select(a) => run_select(a),
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
    let params = FitParams::new(a.states);
    // The library estimates beta unless it is given.
    let params = match a.beta {
        BetaArg::Fixed(b) => params.beta(b),
        BetaArg::Auto => params,
    };
    let params = params
        .window(a.window)
        .lambda(a.lambda)
        .max_iters(a.max_iters)
        .seed(a.seed)
        .motifs(!a.no_motifs)
        .split_merge(!a.no_split_merge)
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
    if a.report {
        run_report(&a.out, a.quiet)?;
    }
    Ok(())
}

fn run_report(dir: &Path, quiet: bool) -> Result<(), Failure> {
    let path = casc::report::write_report(dir).map_err(|e| fail(3)(e.into()))?;
    if !quiet {
        println!("  report in {}", path.display());
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
    let summary = casc::output::FitSummary::new(
        series,
        inputs,
        fit,
        read_seconds,
        started.elapsed().as_secs_f64(),
    );
    casc::output::write_fit(dir, series, fit, &summary)?;
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
    if let Some(b) = d.beta_estimates.last() {
        let steps: Vec<String> = d.beta_estimates.iter().map(|b| format!("{b:.1}")).collect();
        println!(
            "  beta estimated from the data: {b:.2} (estimates {}), {:.2} s",
            steps.join(" -> "),
            d.seconds.beta.unwrap_or(0.0)
        );
    }
    if let Some(s) = d.seconds.split_merge {
        let kept = d.split_merge.iter().filter(|t| t.accepted).count();
        println!(
            "  split and merge:  {} proposals tried, {kept} kept, {s:.2} s",
            d.split_merge.len()
        );
    }
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
    // The same bytes as the checked-in fixtures' params.json.
    std::fs::write(a.out.join("params.json"), params.to_json()).context("writing params.json")?;
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

fn run_predict(a: PredictArgs) -> Result<(), Failure> {
    let model = casc::Model::load(&a.model).map_err(|e| fail(3)(e.into()))?;
    if a.stream {
        if !a.data.is_empty() {
            return Err(fail(2)(anyhow::anyhow!(
                "--stream reads standard input: give no data files"
            )));
        }
        return stream(&model, a.max_lag, &a.input);
    }
    if a.data.is_empty() {
        return Err(fail(2)(anyhow::anyhow!(
            "give at least one data file, or --stream"
        )));
    }
    let out = a.out.expect("clap requires --out without --stream");
    let series = read_input(&a.data, &a.input)?;
    let started = Instant::now();
    let p = model.predict(&series).map_err(|e| Failure {
        code: fit_error_code(&e),
        error: e.into(),
    })?;
    let write = || -> anyhow::Result<()> {
        let summary = casc::output::PredictSummary::new(
            &a.model,
            &a.data,
            &series,
            model.n_states(),
            &p,
            started.elapsed().as_secs_f64(),
        );
        casc::output::write_prediction(&out, &series, &p, &summary)?;
        Ok(())
    };
    write().with_context(|| format!("writing results into {}", out.display()))?;
    if !a.quiet {
        println!(
            "casc: labelled {} timesteps with {} states; {} motif(s) with {} instance(s); results in {}",
            series.n_steps(),
            model.n_states(),
            p.motifs.len(),
            p.motifs.iter().map(|m| m.instances.len()).sum::<usize>(),
            out.display()
        );
    }
    Ok(())
}

/// Streaming prediction: rows from standard input, `t,state` lines out as soon as final.
/// Memory is bounded by the window and the undecided span (or `max_lag`).
fn stream(model: &casc::Model, max_lag: Option<usize>, input: &InputArgs) -> Result<(), Failure> {
    use std::io::{BufRead, Write};
    if input.missing != Missing::Error || input.sequence_column.is_some() {
        return Err(fail(2)(anyhow::anyhow!(
            "--missing and --sequence-column do not apply to --stream"
        )));
    }
    let scorers = model.scorers().map_err(|e| fail(4)(e.into()))?;
    let n = model.n_sensors;
    let w = model.window;
    let k = model.n_states();
    let params = casc::segment::OnlineViterbiParams::new(k, model.beta)
        .max_lag(max_lag)
        .check()
        .map_err(|e| fail(2)(e.into()))?;
    let mut online = casc::segment::OnlineViterbi::new(&params);
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut window: std::collections::VecDeque<f64> =
        std::collections::VecDeque::with_capacity(n * w);
    let mut costs = vec![0.0; k];
    let mut decided = Vec::new();
    let mut next_t = 0usize;
    let mut emit = |decided: &mut Vec<usize>, out: &mut dyn Write| -> std::io::Result<()> {
        for s in decided.drain(..) {
            writeln!(out, "{next_t},{s}")?;
            next_t += 1;
        }
        out.flush()
    };
    let score_front = |window: &std::collections::VecDeque<f64>, len: usize, costs: &mut [f64]| {
        let z: Vec<f64> = window.iter().take(len * n).copied().collect();
        for (c, sc) in costs.iter_mut().zip(&scorers) {
            *c = sc.cost(&z);
        }
    };
    let io_err =
        |e: std::io::Error| fail(1)(anyhow::Error::from(e).context("writing to standard output"));
    let mut row = Vec::with_capacity(n);
    let mut header_checked = false;
    for (i, line) in stdin.lock().lines().enumerate() {
        let line =
            line.map_err(|e| fail(3)(anyhow::Error::from(e).context("reading standard input")))?;
        if line.trim().is_empty() {
            continue;
        }
        row.clear();
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if !header_checked {
            header_checked = true;
            if cells.iter().all(|c| c.parse::<f64>().is_err()) {
                continue;
            }
        }
        if cells.len() != n {
            return Err(fail(3)(anyhow::anyhow!(
                "<stdin>:{}: {} columns but the model has {n} sensors",
                i + 1,
                cells.len()
            )));
        }
        for (j, c) in cells.iter().enumerate() {
            match c.parse::<f64>() {
                Ok(v) if v.is_finite() => row.push(v),
                _ => {
                    return Err(fail(3)(anyhow::anyhow!(
                        "<stdin>:{}:{}: {c:?} is not a finite number",
                        i + 1,
                        j + 1
                    )));
                }
            }
        }
        if let Some(scales) = &model.scales {
            for (v, (m, s)) in row.iter_mut().zip(scales) {
                *v = (*v - m) / s;
            }
        }
        window.extend(row.iter().copied());
        if window.len() == n * w {
            score_front(&window, w, &mut costs);
            online.push(&costs, &mut decided);
            window.drain(..n);
            emit(&mut decided, &mut out).map_err(io_err)?;
        }
    }
    // The last w - 1 timesteps: the marginal of the part of the window that exists.
    let mut left = window.len() / n;
    while left > 0 {
        score_front(&window, left, &mut costs);
        online.push(&costs, &mut decided);
        window.drain(..n);
        left -= 1;
    }
    online.finish(&mut decided);
    emit(&mut decided, &mut out).map_err(io_err)?;
    Ok(())
}

fn run_inspect(a: InspectArgs) -> Result<(), Failure> {
    let model = casc::Model::load(&a.model).map_err(|e| fail(3)(e.into()))?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&model).map_err(anyhow::Error::from)?
        );
        return Ok(());
    }
    println!(
        "casc model {} (format version {})",
        a.model.display(),
        casc::FORMAT_VERSION
    );
    println!(
        "  {} states over windows of {} x {} sensors ({})",
        model.n_states(),
        model.window,
        model.n_sensors,
        model.sensor_names.join(", ")
    );
    println!(
        "  beta {}, lambda {}, gamma {}, standardised: {}",
        model.beta,
        model.params.lambda_value(),
        model.params.gamma_value(),
        if model.scales.is_some() { "yes" } else { "no" }
    );
    for (k, s) in model.states.iter().enumerate() {
        println!("  state {k}: {} non-zero precision entries", s.nonzeros());
    }
    for (i, m) in model.motifs.iter().enumerate() {
        let st: Vec<String> = m.states.iter().map(|s| s.to_string()).collect();
        println!(
            "  motif {i}: {} ({} instances at fit time, p {:.2e})",
            st.join(" -> "),
            m.instances.len(),
            m.p_value
        );
    }
    Ok(())
}

fn run_select(a: SelectArgs) -> Result<(), Failure> {
    use rayon::prelude::*;
    let started = Instant::now();
    let mut grid = Vec::new();
    for &k in &a.states.0 {
        for &beta in &a.beta {
            for &lambda in &a.lambda {
                let p = FitParams::new(k)
                    .window(a.window)
                    .beta(beta)
                    .lambda(lambda)
                    .seed(a.seed)
                    .motifs(a.motifs)
                    .check()
                    .map_err(|e| fail(2)(e.into()))?;
                grid.push(p);
            }
        }
    }
    if grid.is_empty() {
        return Err(fail(2)(anyhow::anyhow!("the grid is empty: give --states")));
    }
    let series = read_input(&a.data, &a.input)?;
    let results: Vec<(Result<casc::Fit, casc::FitError>, f64)> = grid
        .par_iter()
        .map(|p| {
            let t = Instant::now();
            let r = casc::fit(&series, p);
            (r, t.elapsed().as_secs_f64())
        })
        .collect();
    let best = results
        .iter()
        .enumerate()
        .filter_map(|(i, (r, _))| r.as_ref().ok().map(|f| (i, f.bic)))
        .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
        .map(|b| b.0);
    println!(
        "{:>6} {:>8} {:>10} {:>14} {:>6} {:>8}",
        "K", "beta", "lambda", "BIC", "iters", "seconds"
    );
    for (i, (p, (r, secs))) in grid.iter().zip(&results).enumerate() {
        let mark = if Some(i) == best { "  <- best" } else { "" };
        match r {
            Ok(f) => println!(
                "{:>6} {:>8} {:>10} {:>14.1} {:>6} {:>8.2}{mark}",
                p.n_states(),
                p.beta(),
                p.lambda(),
                f.bic,
                f.diagnostics.iterations.len(),
                secs
            ),
            Err(e) => println!(
                "{:>6} {:>8} {:>10}  failed: {e}",
                p.n_states(),
                p.beta(),
                p.lambda()
            ),
        }
    }
    let Some(best) = best else {
        return Err(fail(4)(anyhow::anyhow!("every fit of the grid failed")));
    };
    if let Some(out) = &a.out {
        let fit = results[best].0.as_ref().expect("best is a success");
        write_fit(out, &series, &a.data, fit, 0.0, started)
            .with_context(|| format!("writing results into {}", out.display()))?;
        println!("best fit written to {}", out.display());
    }
    Ok(())
}
