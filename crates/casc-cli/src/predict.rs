//! `casc predict`: apply a saved model to new files, or label rows from standard input live.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use casc::output::PredictSummary;
use casc::{Missing, Model, StreamPredictor};
use clap::Args;

use crate::common::{Failure, InputArgs, fail, read_input, usage};

/// Arguments of `casc predict`.
#[derive(Args, Debug)]
pub struct PredictArgs {
    /// A model written by `casc fit`.
    pub model: PathBuf,
    /// Input CSV files (not with --stream).
    #[arg(value_name = "DATA.csv")]
    pub data: Vec<PathBuf>,
    /// Read rows from standard input and write states as soon as they are final.
    #[arg(long)]
    pub stream: bool,
    /// With --stream: decide a timestep at the latest this many steps after it arrived.
    #[arg(long, requires = "stream")]
    pub max_lag: Option<usize>,
    #[command(flatten)]
    pub input: InputArgs,
    /// Output folder (not with --stream).
    #[arg(long, short, required_unless_present = "stream")]
    pub out: Option<PathBuf>,
    /// Print nothing on success.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `casc predict`.
pub fn run(a: PredictArgs) -> Result<(), Failure> {
    let model = Model::load(&a.model)?;
    if a.stream {
        if !a.data.is_empty() {
            return Err(usage("--stream reads standard input: give no data files"));
        }
        return stream(&model, a.max_lag, &a.input);
    }
    if a.data.is_empty() {
        return Err(usage("give at least one data file, or --stream"));
    }
    let out = a
        .out
        .ok_or_else(|| usage("give --out (the output folder), or --stream"))?;
    let series = read_input(&a.data, &a.input)?;
    let started = Instant::now();
    let p = model.predict(&series)?;
    let summary = PredictSummary::new(
        &a.model,
        &a.data,
        &series,
        model.n_states(),
        &p,
        started.elapsed().as_secs_f64(),
    )
    .with_read_options(&a.input.read_options());
    casc::output::write_prediction(&out, &series, &p, &summary)
        .with_context(|| format!("writing results into {}", out.display()))?;
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
fn stream(model: &Model, max_lag: Option<usize>, input: &InputArgs) -> Result<(), Failure> {
    if input.missing != Missing::Error || input.sequence_column.is_some() {
        return Err(usage(
            "--missing and --sequence-column do not apply to --stream",
        ));
    }
    let mut predictor = StreamPredictor::new(model, max_lag)?;
    let n = predictor.n_sensors();
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut decided = Vec::new();
    let mut next_t = 0usize;
    let mut emit = |decided: &mut Vec<usize>, out: &mut dyn Write| -> std::io::Result<()> {
        for s in decided.drain(..) {
            writeln!(out, "{next_t},{s}")?;
            next_t += 1;
        }
        out.flush()
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
        predictor.push(&row, &mut decided);
        emit(&mut decided, &mut out).map_err(io_err)?;
    }
    predictor.finish(&mut decided);
    emit(&mut decided, &mut out).map_err(io_err)?;
    Ok(())
}
