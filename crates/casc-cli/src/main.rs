//! The `casc` command line: argument handling and glue over the `casc` library, one module
//! per subcommand.

mod common;
mod fit;
mod generate;
mod inspect;
mod predict;
mod progress;
mod report;
mod score;
mod select;

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::common::EXIT_HELP;

/// Finds hidden states and recurring motifs in multivariate sensor time series (TICC + CASC).
#[derive(Parser, Debug)]
#[command(name = "casc", version, after_help = EXIT_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log progress to standard error (repeat for more detail).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Worker threads (default: one per core, or RAYON_NUM_THREADS). Results do not depend on
    /// it.
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    threads: Option<u32>,
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
    Fit(fit::FitArgs),
    /// Generate the CASC paper's synthetic benchmark (data.csv, truth.csv, motif.csv).
    #[command(
        after_help = "Example:\n  casc generate --macro-segments 100 --noise 0.2 --out data/\n\n\
        Exit codes: 0 success, 2 usage or parameter error, 1 other."
    )]
    Generate(generate::GenerateArgs),
    /// Apply a saved model to new data (states and motif instances), or label a stream.
    #[command(
        after_help = "Examples:\n  casc predict out/model.casc new.csv --out pred/\n  \
        tail -f sensor.csv | casc predict out/model.casc --stream --max-lag 200\n\n\
        The data's columns are matched to the model's sensors by name (a header in another\n\
        order is fine; missing or unknown names are an error); data without a header is taken\n\
        in order. With --stream, rows are read from standard input (as files are: delimiter,\n\
        header, --missing, --time-column, --columns) and, after a `t,state` header, each\n\
        timestep's state is written as soon as it is final: when every surviving Viterbi path\n\
        agrees on it, or when it is --max-lag steps old. Motifs are not applied to a stream.\n\n\
        Exit codes: 0 success, 2 usage or parameter error, 3 input data error, 4 numerical failure, 1 other."
    )]
    Predict(predict::PredictArgs),
    /// Print what a model file holds.
    #[command(after_help = "Example:\n  casc inspect out/model.casc --json\n\n\
        Exit codes: 0 success, 3 unreadable, corrupted or newer model file, 1 other.")]
    Inspect(inspect::InspectArgs),
    /// Fit a grid of numbers of states, switching penalties and sparsities in parallel and rank it by the criterion that `fit --states auto` uses (or the reference's BIC).
    #[command(
        after_help = "Example:\n  casc select data.csv --states 4..12 --beta 10,25,50,100 --out best/\n\n\
        Exit codes: 0 success, 2 usage or parameter error, 3 input data error, 4 numerical failure, 1 other."
    )]
    Select(select::SelectArgs),
    /// Write report.html (sensors with state bands, motifs, dependency networks, run summary)
    /// for an existing output folder of `casc fit` or `casc predict`.
    #[command(after_help = "Example:\n  casc report out/\n\n\
        Exit codes: 0 success, 3 missing or malformed output files, 1 other.")]
    Report(report::ReportArgs),
    /// Score a predicted assignment against the truth (Hungarian matching, F1, accuracy,
    /// Covering, AMI, NMI, ARI).
    #[command(
        after_help = "Example:\n  casc score data/truth.csv out/assignments.csv --motif-mask data/motif.csv\n\n\
        Exit codes: 0 success, 2 usage error, 3 input data error, 1 other."
    )]
    Score(score::ScoreArgs),
}

/// Ends the process quietly when a panic is only a failed write to a closed standard output
/// or error (a `println!` left somewhere, followed by `| head`); other panics are reported as
/// usual.
fn install_closed_pipe_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        let printing = message.starts_with("failed printing to std");
        if printing && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    install_closed_pipe_hook();
    let cli = Cli::parse();
    if let Some(n) = cli.threads
        && let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n as usize)
            .build_global()
    {
        let _ = writeln!(std::io::stderr(), "error: --threads {n}: {e}");
        return ExitCode::from(1);
    }
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
        Command::Fit(a) => fit::run(a),
        Command::Generate(a) => generate::run(a),
        Command::Score(a) => score::run(a),
        Command::Predict(a) => predict::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Report(a) => report::run(a),
        Command::Select(a) => select::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) if f.is_closed_pipe() => ExitCode::SUCCESS,
        Err(f) => {
            let _ = writeln!(std::io::stderr(), "error: {:#}", f.error);
            ExitCode::from(f.code)
        }
    }
}
