//! `casc report`: report.html for an output folder.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::common::{Failure, fail};

/// Arguments of `casc report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// An output folder written by `casc fit` or `casc predict`.
    pub dir: PathBuf,
}

/// Runs `casc report`.
pub fn run(a: ReportArgs) -> Result<(), Failure> {
    write(&a.dir, false)
}

/// Writes `dir/report.html` and says where, unless `quiet`.
pub fn write(dir: &Path, quiet: bool) -> Result<(), Failure> {
    let path = casc_report::write_report(dir).map_err(|e| fail(3)(e.into()))?;
    if !quiet {
        println!("  report in {}", path.display());
    }
    Ok(())
}
