//! `casc select`: compare numbers of states and penalties, in parallel, and mark the choice.
//!
//! By default (`--criterion likelihood`) each point of the grid of switching and sparsity
//! penalties chooses its number of states in the `--states` range as `casc fit --states A..B`
//! does (one fit at the largest number, states merged down, a held-out likelihood per
//! number), so `select` and `fit` agree; the table lists every number's criterion (not a
//! number whose fit left a state empty: it has none) and the lowest overall wins.
//! `--criterion bic` ranks one fit per grid point by the BIC of the reference implementation
//! instead (the CASC paper's section 8), which favours the smallest number offered.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use casc::{Beta, States, ValidFitParams};
use clap::{Args, ValueEnum};
use rayon::prelude::*;

use crate::common::{Failure, InputArgs, fail, read_input, say, usage};
use crate::fit::{ModelArgs, parse_beta};

/// A list of numbers of states given on the command line.
#[derive(Clone, Debug)]
pub struct StateList(pub Vec<usize>);

/// How `select` ranks the grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Criterion {
    /// The held-out likelihood of `casc fit --states auto` (each grid point chooses its
    /// number of states in the range).
    Likelihood,
    /// The reference's BIC, one fit per number of states and penalty.
    Bic,
}

/// Arguments of `casc select`.
#[derive(Args, Debug)]
pub struct SelectArgs {
    /// Input CSV files.
    #[arg(required = true, value_name = "DATA.csv")]
    pub data: Vec<PathBuf>,
    /// Numbers of states: a range `A..B` (inclusive) or a list `4,6,8` (a list is taken as
    /// the range from its smallest to its largest with `--criterion likelihood`).
    #[arg(short = 'k', long, default_value = "1..12", value_parser = parse_state_list)]
    pub states: StateList,
    /// Switching penalties, comma-separated: numbers or `auto`.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "auto",
        allow_negative_numbers = true,
        value_parser = parse_beta
    )]
    pub beta: Vec<Beta>,
    /// Sparsity penalties, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "0.001",
        allow_negative_numbers = true
    )]
    pub lambda: Vec<f64>,
    /// How the grid is ranked.
    #[arg(long, value_enum, default_value_t = Criterion::Likelihood)]
    pub criterion: Criterion,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Include the motif phase in every fit (off by default: the criterion compares the state
    /// models).
    #[arg(long)]
    pub motifs: bool,
    #[command(flatten)]
    pub input: InputArgs,
    /// Write the best fit into this folder, as `casc fit` does, and the table as
    /// `select.csv`.
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

/// One row of the table.
struct Row {
    states: usize,
    beta: String,
    lambda: f64,
    criterion: f64,
    seconds: f64,
    fit: usize,
}

/// Runs `casc select`.
pub fn run(a: SelectArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let (lo, hi) = match (a.states.0.iter().min(), a.states.0.iter().max()) {
        (Some(&lo), Some(&hi)) => (lo, hi),
        _ => return Err(usage("the grid is empty: give --states")),
    };
    let mut grid: Vec<ValidFitParams> = Vec::new();
    for &beta in &a.beta {
        for &lambda in &a.lambda {
            match a.criterion {
                Criterion::Likelihood => grid.push(
                    a.model
                        .params(States::Auto { min: lo, max: hi }, lambda, beta, a.motifs)
                        .check()?,
                ),
                Criterion::Bic => {
                    for &k in &a.states.0 {
                        grid.push(a.model.params(k, lambda, beta, a.motifs).check()?);
                    }
                }
            }
        }
    }
    if grid.is_empty() {
        return Err(usage(
            "the grid is empty: give --states, --beta and --lambda",
        ));
    }
    if let Some(out) = &a.out {
        casc::output::prepare_dir(out)
            .with_context(|| format!("the output folder {}", out.display()))
            .map_err(fail(2))?;
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
    let beta_text = |p: &ValidFitParams, f: &casc::Fit| match p.beta() {
        Beta::Fixed(b) => format!("{b}"),
        Beta::Estimated { .. } => format!("auto ({:.1})", f.model.beta),
    };
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for (i, (p, (r, secs))) in grid.iter().zip(&results).enumerate() {
        match r {
            Ok(f) => match a.criterion {
                Criterion::Likelihood => {
                    // A number whose fit left a state empty has no score of its own.
                    for t in f.diagnostics.states.iter().rev() {
                        let Some(criterion) = t.criterion else {
                            continue;
                        };
                        rows.push(Row {
                            states: t.states,
                            beta: beta_text(p, f),
                            lambda: p.lambda(),
                            criterion,
                            seconds: *secs,
                            fit: i,
                        });
                    }
                }
                Criterion::Bic => rows.push(Row {
                    states: p.n_states(),
                    beta: beta_text(p, f),
                    lambda: p.lambda(),
                    criterion: f.bic,
                    seconds: *secs,
                    fit: i,
                }),
            },
            Err(e) => failures.push(format!(
                "K {} beta {:?} lambda {}: {e}",
                p.n_states(),
                p.beta(),
                p.lambda()
            )),
        }
    }
    // The lowest criterion wins; ties keep the first (fewest states, first penalties).
    let best = rows
        .iter()
        .enumerate()
        .min_by(|x, y| x.1.criterion.total_cmp(&y.1.criterion).then(x.0.cmp(&y.0)))
        .map(|b| b.0);
    let name = match a.criterion {
        Criterion::Likelihood => "criterion",
        Criterion::Bic => "BIC",
    };
    let mut table = format!(
        "{:>6} {:>14} {:>10} {:>14} {:>8}\n",
        "K", "beta", "lambda", name, "seconds"
    );
    let mut csv = format!(
        "states,beta,lambda,{},seconds,chosen\n",
        name.to_lowercase()
    );
    for (i, r) in rows.iter().enumerate() {
        let chosen = Some(i) == best;
        let mark = if chosen { "  <- chosen" } else { "" };
        let _ = writeln!(
            table,
            "{:>6} {:>14} {:>10} {:>14.1} {:>8.2}{mark}",
            r.states, r.beta, r.lambda, r.criterion, r.seconds
        );
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{}",
            r.states,
            r.beta.split(' ').next().unwrap_or(""),
            r.lambda,
            r.criterion,
            r.seconds,
            chosen
        );
    }
    say!("{table}")?;
    for f in &failures {
        eprintln!("failed: {f}");
    }
    let Some(best) = best else {
        return Err(fail(4)(anyhow::anyhow!("every fit of the grid failed")));
    };
    if let Some(out) = &a.out {
        let r = &rows[best];
        let fit = match (&results[r.fit].0, a.criterion) {
            // The fit of that grid point chose this number of states.
            (Ok(f), Criterion::Bic) => f.clone(),
            (Ok(f), Criterion::Likelihood) if f.model.n_states() == r.states => f.clone(),
            // Another number of the same grid point's path: fit it.
            _ => {
                let p = a
                    .model
                    .params(r.states, grid[r.fit].lambda(), grid[r.fit].beta(), a.motifs)
                    .check()?;
                casc::fit(&series, &p)?
            }
        };
        crate::fit::write(out, &series, &a.data, &a.input, &fit, 0.0, started)?;
        std::fs::write(out.join("select.csv"), csv)
            .with_context(|| format!("writing {}", out.join("select.csv").display()))?;
        say!("chosen fit and select.csv written to {}", out.display())?;
    }
    Ok(())
}
