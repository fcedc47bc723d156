//! `casc fit`: fit states (and motifs) to CSV files and write the output folder.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use casc::output::FitSummary;
use casc::{
    Beta, Correction, Costs, FitParams, Null, Series, StageDurations, StateMean, States,
    ValidFitParams, Window,
};
use clap::Args;

use crate::common::{Failure, InputArgs, read_input};
use crate::progress::Progress;

/// The library's defaults: every default below comes from [`FitParams::new`].
pub fn defaults() -> ValidFitParams {
    FitParams::new(1)
        .check()
        .expect("the default parameters are valid")
}

/// `--beta`: a number, or `auto`.
pub fn parse_beta(s: &str) -> Result<Beta, String> {
    if s.trim().eq_ignore_ascii_case("auto") {
        return Ok(Beta::estimated());
    }
    s.trim()
        .parse::<f64>()
        .map(Beta::Fixed)
        .map_err(|_| format!("{s:?} is neither a number nor `auto`"))
}

/// `--mean`: `stationary` or `free`.
pub fn parse_mean(s: &str) -> Result<StateMean, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "stationary" => Ok(StateMean::Stationary),
        "free" => Ok(StateMean::Free),
        _ => Err(format!("{s:?} is neither `stationary` nor `free`")),
    }
}

/// `--states`: `auto`, a number, or a range `A..B` (inclusive; also `A..=B`).
pub fn parse_states(s: &str) -> Result<States, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("auto") {
        return Ok(States::auto());
    }
    let number = |p: &str| {
        p.trim()
            .parse::<usize>()
            .map_err(|_| format!("{p:?} is not a number of states"))
    };
    if let Some((a, b)) = t.split_once("..") {
        return Ok(States::Auto {
            min: number(a)?,
            max: number(b.trim_start_matches('='))?,
        });
    }
    number(t).map(States::Fixed)
}

/// `--window`: `auto` or a number of observations.
pub fn parse_window(s: &str) -> Result<Window, String> {
    if s.trim().eq_ignore_ascii_case("auto") {
        return Ok(Window::Auto);
    }
    s.trim()
        .parse::<usize>()
        .map(Window::Fixed)
        .map_err(|_| format!("{s:?} is neither a number of observations nor `auto`"))
}

/// `--costs`: `window` or `conditional`.
pub fn parse_costs(s: &str) -> Result<Costs, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "window" => Ok(Costs::Window),
        "conditional" => Ok(Costs::Conditional),
        _ => Err(format!("{s:?} is neither `window` nor `conditional`")),
    }
}

/// The parameters of a fit, shared by `fit` and `select`.
#[derive(Args, Debug)]
pub struct ModelArgs {
    /// Window: `auto` (chosen from the data: a span covering the period of one sensor, or the
    /// decorrelation time of several, pooled into at most 8 lags) or a length w (consecutive
    /// observations per stacked window; 1 is the CASC paper's setting).
    #[arg(short, long, default_value = "auto", value_parser = parse_window)]
    pub window: Window,
    /// Maximum EM iterations of phase 1 (TICC).
    #[arg(long, default_value_t = defaults().max_iters())]
    pub max_iters: usize,
    /// Seed of every random choice.
    #[arg(long, default_value_t = defaults().seed())]
    pub seed: u64,
    /// Skip the split-and-merge refinement after phase 1.
    #[arg(long)]
    pub no_split_merge: bool,
    /// Motif aggressiveness in (0, 1]: lower repairs more.
    #[arg(long, default_value_t = defaults().gamma(), allow_negative_numbers = true)]
    pub gamma: f64,
    /// Instances a motif needs to be kept.
    #[arg(long, default_value_t = defaults().motif_min_instances())]
    pub motif_min_instances: usize,
    /// Candidate motifs kept per iteration.
    #[arg(long, default_value_t = defaults().max_motifs())]
    pub max_motifs: usize,
    /// Maximum EM iterations of phase 2 (motifs).
    #[arg(long, default_value_t = defaults().motif_iters())]
    pub motif_iters: usize,
    /// Null model of the motifs' significance test: `markov` (a first-order chain over
    /// segments, without self-transitions) or `independent` (the reference's).
    #[arg(long, default_value_t = defaults().motif_null())]
    pub motif_null: Null,
    /// Correction for testing many candidate motifs: `bh` (Benjamini-Hochberg) or
    /// `bonferroni`.
    #[arg(long, default_value_t = defaults().motif_correction())]
    pub motif_correction: Correction,
    /// Segments shorter than this fraction of the typical segment are flicker, not stages,
    /// and a motif's stages last at least this fraction of their median duration; `off`
    /// ignores durations (the reference's).
    #[arg(long, default_value_t = defaults().stage_durations())]
    pub min_stage_fraction: StageDurations,
    /// A state's mean over the window: `stationary` (the same at every position, like the
    /// Toeplitz precision) or `free` (a vector over the window, the reference's).
    #[arg(long, default_value = "stationary", value_parser = parse_mean)]
    pub mean: StateMean,
    /// How a timestep is scored: `window` (by the window that starts at it, TICC's) or
    /// `conditional` (given the w - 1 steps before it: each observation counted once).
    #[arg(long, default_value = "window", value_parser = parse_costs)]
    pub costs: Costs,
    /// Standardise every sensor (mean 0, sd 1) before fitting.
    #[arg(long)]
    pub standardize: bool,
}

impl ModelArgs {
    /// The builder for `k` states with these arguments, `lambda`, `beta` and the motif phase
    /// on or off.
    pub fn params(&self, k: impl Into<States>, lambda: f64, beta: Beta, motifs: bool) -> FitParams {
        FitParams::new(k)
            .window(self.window)
            .lambda(lambda)
            .beta(beta)
            .max_iters(self.max_iters)
            .seed(self.seed)
            .motifs(motifs)
            .split_merge(!self.no_split_merge)
            .gamma(self.gamma)
            .motif_min_instances(self.motif_min_instances)
            .max_motifs(self.max_motifs)
            .motif_iters(self.motif_iters)
            .motif_null(self.motif_null)
            .motif_correction(self.motif_correction)
            .stage_durations(self.min_stage_fraction)
            .mean(self.mean)
            .costs(self.costs)
            .standardize(self.standardize)
    }
}

/// Arguments of `casc fit`.
#[derive(Args, Debug)]
pub struct FitArgs {
    /// Input CSV files: one row per timestep, one column per sensor, optional header row; `-`
    /// reads standard input.
    #[arg(required = true, value_name = "DATA.csv")]
    pub data: Vec<PathBuf>,
    /// Number of states K: a number, a range `A..B` to choose from, or `auto` (chosen from the
    /// data among 1..12, bounded by the data's length).
    #[arg(short = 'k', long, default_value = "auto", value_parser = parse_states)]
    pub states: States,
    /// Sparsity penalty lambda of the graphical lasso.
    #[arg(long, default_value_t = defaults().lambda(), allow_negative_numbers = true)]
    pub lambda: f64,
    /// Switching penalty beta (cost units: twice the negative log-likelihood), or `auto`:
    /// estimated from the data, starting from the paper's 25 (the switching probability of the
    /// fitted segmentation, scaled by the autocorrelation time of the residuals).
    #[arg(long, default_value = "auto", allow_negative_numbers = true, value_parser = parse_beta)]
    pub beta: Beta,
    /// Run TICC only (skip the motif phase).
    #[arg(long)]
    pub no_motifs: bool,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub input: InputArgs,
    /// Output folder (created if missing).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Also write report.html (an overview to open in a browser) into the output folder.
    #[arg(long)]
    pub report: bool,
    /// Print nothing on success.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `casc fit`.
pub fn run(a: FitArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let params = a
        .model
        .params(a.states, a.lambda, a.beta, !a.no_motifs)
        .check()?;
    crate::common::prepare_out(&a.out)?;
    let read_start = Instant::now();
    let series = read_input(&a.data, &a.input)?;
    let read_seconds = read_start.elapsed().as_secs_f64();
    crate::common::check_fit_input(&series, &params)?;
    warn_on_scales(&series, a.model.standardize);
    let fit = {
        let progress = Progress::new(!a.quiet);
        casc::fit_with(&series, &params, &progress)?
    };
    crate::common::warn_empty_states(&fit.state_counts);
    if fit.diagnostics.beta_cycle {
        let e = &fit.diagnostics.beta_estimates;
        let (last, tried) = e.split_last().unwrap_or((&0.0, &[]));
        crate::common::warn(format_args!(
            "the beta estimate cycled ({}); it stopped between the values, at {last:.1} (--beta fixes it)",
            tried
                .iter()
                .map(|b| format!("{b:.1}"))
                .collect::<Vec<_>>()
                .join(" -> "),
        ));
    }
    write(
        &a.out,
        &series,
        &a.data,
        &a.input,
        &fit,
        read_seconds,
        started,
    )?;
    if !a.quiet {
        print_summary(&series, &fit, &a.out);
    }
    if a.report {
        crate::report::write(&a.out, a.quiet)?;
    }
    Ok(())
}

/// Writes a fit's output folder.
pub fn write(
    dir: &Path,
    series: &Series,
    inputs: &[PathBuf],
    input: &InputArgs,
    fit: &casc::Fit,
    read_seconds: f64,
    started: Instant,
) -> Result<(), Failure> {
    let summary = FitSummary::new(
        series,
        inputs,
        fit,
        read_seconds,
        started.elapsed().as_secs_f64(),
    )
    .with_read_options(&input.read_options());
    casc::output::write_fit(dir, series, fit, &summary)
        .with_context(|| format!("writing results into {}", dir.display()))?;
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

/// The summary printed after a fit.
pub fn print_summary(series: &Series, fit: &casc::Fit, out: &Path) {
    let d = &fit.diagnostics;
    let p1 = d.iterations.iter().filter(|i| i.phase == 1).count();
    let p2 = d.iterations.iter().filter(|i| i.phase == 2).count();
    let converged = |c: bool| {
        if c {
            "converged"
        } else {
            "hit the iteration cap"
        }
    };
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
        converged(d.phase1_converged),
        d.seconds.phase1
    );
    if let Some(c) = &d.window {
        println!(
            "  window chosen from the data: {} (span {} from the {}, {} row{} per pooled row)",
            c.window,
            c.span,
            c.reason,
            c.pool,
            if c.pool == 1 { "" } else { "s" }
        );
    }
    if !d.states.is_empty() {
        let best = d.states.iter().find(|t| t.chosen).map_or(0, |t| t.states);
        // The merge-down path from the fewest states, then the splits of one state.
        let (grown, path): (Vec<_>, Vec<_>) = d.states.iter().partition(|t| t.grown);
        let line: Vec<String> = path
            .iter()
            .rev()
            .chain(&grown)
            .map(|t| {
                let mark = if t.grown { "+" } else { "" };
                match t.criterion {
                    Some(c) => format!("{}{mark}:{c:.0}", t.states),
                    None => format!("{}{mark}:-", t.states),
                }
            })
            .collect();
        println!(
            "  states chosen from the data: {best} (held-out score per number of states, lowest wins; - leaves a state empty, + a split of one state: {})",
            line.join(" ")
        );
        if best == 1 {
            println!("  note: the data shows one state; no segmentation is reported");
        }
    }
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
            "  phase 2 (motifs): {p2} iterations, {}, {s:.2} s",
            converged(c)
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
    if fit.model.params.motifs() {
        if fit.motifs.is_empty() {
            println!("  no motif kept");
        }
        for (i, m) in fit.motifs.iter().enumerate() {
            let states: Vec<String> = m.states.iter().map(|s| s.to_string()).collect();
            println!(
                "  motif {i}: {} ({} instances, score {:.1}; seen {} times, {:.1} expected, p {:.2e}, adjusted {:.2e})",
                states.join(" -> "),
                m.instances.len(),
                m.score,
                m.count,
                m.expected_count,
                m.p_value,
                m.adjusted_p_value
            );
        }
    }
    println!("  results in {}", out.display());
}
