//! `casc score`: a predicted assignment against the truth.

use std::path::PathBuf;

use casc_eval::score::{read_mask, read_named_labels, score};
use clap::Args;

use crate::common::{Failure, fail, print, say};

/// Arguments of `casc score`.
#[derive(Args, Debug)]
pub struct ScoreArgs {
    /// True states: one label per line (or a CSV whose last column is the label); integers or
    /// text (`Walking`).
    pub truth: PathBuf,
    /// Predicted states: an assignments.csv as `casc fit` writes it, or one label per line.
    pub pred: PathBuf,
    /// Motif mask (one 0/1 per line) for the F1 on motif timesteps.
    #[arg(long, value_name = "MASK")]
    pub motif_mask: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `casc score`.
pub fn run(a: ScoreArgs) -> Result<(), Failure> {
    let truth = read_named_labels(&a.truth).map_err(|e| fail(3)(e.into()))?;
    let pred = read_named_labels(&a.pred).map_err(|e| fail(3)(e.into()))?;
    let mask = a
        .motif_mask
        .as_deref()
        .map(read_mask)
        .transpose()
        .map_err(|e| fail(3)(e.into()))?;
    let s = score(&truth.ids, &pred.ids, mask.as_deref())
        .map_err(|e| fail(3)(e.into()))?
        .with_names(truth.names, pred.names);
    if a.json {
        say!(
            "{}",
            serde_json::to_string_pretty(&s).map_err(anyhow::Error::from)?
        )
    } else {
        print(format_args!("{s}"))
    }
}
