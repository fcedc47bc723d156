//! `casc generate`: the CASC paper's synthetic benchmark.

use std::path::PathBuf;

use anyhow::Context as _;
use casc_eval::synth::{SynthParams, generate};
use clap::Args;

use crate::common::{Failure, fail, prepare_out, say};

/// Arguments of `casc generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Number of macro-segments (each: 6 random segments, then the motif 6 7 8 9).
    #[arg(long, short = 'm')]
    pub macro_segments: usize,
    /// Probability epsilon that a segment is perturbed.
    #[arg(long, short = 'e')]
    pub noise: f64,
    /// Window length w of the generating model.
    #[arg(long, short, default_value_t = 1)]
    pub window: usize,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Plant no motif: every segment gets a uniformly random state (a stream with no motif
    /// by construction, for measuring false discoveries; motif.csv is all zeros).
    #[arg(long)]
    pub no_motif: bool,
    /// Output folder (created if missing).
    #[arg(long, short)]
    pub out: PathBuf,
}

/// Runs `casc generate`.
pub fn run(a: GenerateArgs) -> Result<(), Failure> {
    let mut params = SynthParams::paper(a.macro_segments, a.noise, a.seed);
    params.window = a.window;
    params.plant_motif = !a.no_motif;
    params.check().map_err(|e| fail(2)(e.into()))?;
    prepare_out(&a.out)?;
    let data = generate(&params).map_err(|e| fail(2)(e.into()))?;
    data.write_dir(&a.out)
        .with_context(|| format!("writing into {}", a.out.display()))?;
    // The same bytes as the checked-in fixtures' params.json.
    std::fs::write(a.out.join("params.json"), params.to_json()).context("writing params.json")?;
    say!(
        "wrote {} timesteps x {} sensors to {}",
        data.n_steps(),
        data.n,
        a.out.display()
    )
}
