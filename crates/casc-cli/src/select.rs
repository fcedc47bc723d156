//! `casc select`: fit a grid of numbers of states and penalties in parallel and compare them.

use std::path::PathBuf;
use std::time::Instant;

use casc::{Beta, ValidFitParams};
use clap::Args;
use rayon::prelude::*;

use crate::common::{Failure, InputArgs, fail, read_input, usage};
use crate::fit::ModelArgs;

/// A list of numbers of states given on the command line.
#[derive(Clone, Debug)]
pub struct StateList(pub Vec<usize>);

/// Arguments of `casc select`.
#[derive(Args, Debug)]
pub struct SelectArgs {
    /// Input CSV files.
    #[arg(required = true, value_name = "DATA.csv")]
    pub data: Vec<PathBuf>,
    /// Numbers of states: a range `A..B` (inclusive) or a list `4,6,8`.
    #[arg(short = 'k', long, value_parser = parse_state_list)]
    pub states: StateList,
    /// Switching penalties, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "25",
        allow_negative_numbers = true
    )]
    pub beta: Vec<f64>,
    /// Sparsity penalties, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "0.001",
        allow_negative_numbers = true
    )]
    pub lambda: Vec<f64>,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Include the motif phase in every fit (off by default: BIC compares the state models).
    #[arg(long)]
    pub motifs: bool,
    #[command(flatten)]
    pub input: InputArgs,
    /// Write the best fit into this folder, as `casc fit` does.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

/// Parses `A..B` (inclusive, also `A..=B`) or `a,b,c`.
pub fn parse_state_list(s: &str) -> Result<StateList, String> {
    let number = |p: &str| {
        p.trim()
            .parse::<usize>()
            .map_err(|_| format!("{p:?} is not a number of states"))
    };
    if let Some((a, b)) = s.split_once("..") {
        let (a, b) = (number(a)?, number(b.trim_start_matches('='))?);
        if a > b {
            return Err(format!("empty range {s}"));
        }
        return Ok(StateList((a..=b).collect()));
    }
    s.split(',')
        .map(number)
        .collect::<Result<_, _>>()
        .map(StateList)
}

/// Runs `casc select`.
pub fn run(a: SelectArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let mut grid: Vec<ValidFitParams> = Vec::new();
    for &k in &a.states.0 {
        for &beta in &a.beta {
            for &lambda in &a.lambda {
                grid.push(
                    a.model
                        .params(k, lambda, Beta::Fixed(beta), a.motifs)
                        .check()?,
                );
            }
        }
    }
    if grid.is_empty() {
        return Err(usage("the grid is empty: give --states"));
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
        let beta = p.beta().value();
        match r {
            Ok(f) => println!(
                "{:>6} {:>8} {:>10} {:>14.1} {:>6} {:>8.2}{mark}",
                p.n_states(),
                beta,
                p.lambda(),
                f.bic,
                f.diagnostics.iterations.len(),
                secs
            ),
            Err(e) => println!(
                "{:>6} {:>8} {:>10}  failed: {e}",
                p.n_states(),
                beta,
                p.lambda()
            ),
        }
    }
    let Some(best) = best else {
        return Err(fail(4)(anyhow::anyhow!("every fit of the grid failed")));
    };
    if let Some(out) = &a.out {
        let fit = results[best]
            .0
            .as_ref()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        crate::fit::write(out, &series, &a.data, &a.input, fit, 0.0, started)?;
        println!("best fit written to {}", out.display());
    }
    Ok(())
}
