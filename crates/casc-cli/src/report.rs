//! `casc report`: report.html for an output folder.

use std::path::{Path, PathBuf};

use casc_report::ReportOptions;
use clap::Args;

use crate::common::{Failure, fail, say};

/// Arguments of `casc report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// An output folder written by `casc fit` or `casc predict`.
    pub dir: PathBuf,
    /// First timestep of a full-resolution detail window (repeat, or comma-separate, for
    /// several; default: windows chosen along the series when it is long).
    #[arg(long, value_name = "T", value_delimiter = ',')]
    pub detail: Vec<usize>,
    /// Timesteps in each detail window.
    #[arg(long, value_name = "N", default_value_t = ReportOptions::default().detail_length)]
    pub detail_length: usize,
}

/// Runs `casc report`.
pub fn run(a: ReportArgs) -> Result<(), Failure> {
    let opts = ReportOptions {
        details: (!a.detail.is_empty()).then_some(a.detail),
        detail_length: a.detail_length,
    };
    write_with(&a.dir, &opts, false)
}

/// Writes `dir/report.html` with the default options and says where, unless `quiet`.
pub fn write(dir: &Path, quiet: bool) -> Result<(), Failure> {
    write_with(dir, &ReportOptions::default(), quiet)
}

fn write_with(dir: &Path, opts: &ReportOptions, quiet: bool) -> Result<(), Failure> {
    if opts.detail_length == 0 {
        return Err(crate::common::usage("--detail-length must be at least 1"));
    }
    let path = casc_report::write_report_with(dir, opts).map_err(|e| fail(3)(e.into()))?;
    if !quiet {
        say!("  report in {}", path.display())?;
    }
    Ok(())
}
