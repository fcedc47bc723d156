//! casc: finds the hidden states and the recurring behaviours (motifs) of multivariate sensor
//! time series, with TICC (Toeplitz inverse covariance clustering) and CASC/MASA (motif-aware
//! state assignment).
//!
//! This is the crate to depend on: it re-exports the fit, the model and the stage crates, and
//! adds file input and output. The `casc` binary is a thin command line over it.
//!
//! ```no_run
//! use casc::{FitParams, ReadOptions, read_series};
//!
//! let series = read_series(&["fixtures/paper-eps0.2/data.csv".into()], &ReadOptions::default())?;
//! let params = FitParams::new(10).beta(25.0).seed(1).check()?;
//! let fit = casc::fit(&series, &params)?;
//! println!("BIC {:.1}, {} motifs", fit.bic, fit.motifs.len());
//! let again = fit.model.predict(&series)?; // apply the model to (new) data
//! assert_eq!(again.assignment.len(), series.n_steps());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod data;
pub mod output;
pub mod report;

pub use casc_eval as eval;
pub use casc_fit::{
    FORMAT_VERSION, Fit, FitDiagnostics, FitError, FitParams, Instance, IterationDiagnostics,
    MAGIC, Model, Motif, ParamError, Prediction, Recording, Series, StateModel, ValidFitParams,
    fit,
};
pub use casc_glasso as glasso;
pub use casc_motif as motif;
pub use casc_segment as segment;
pub use data::{DataError, Missing, ReadOptions, Table, read_csv};

use std::path::PathBuf;

/// Reads one or more CSV files into one series: one recording per file (named after the file),
/// or per sequence label when `opts.sequence_column` is set.
pub fn read_series(paths: &[PathBuf], opts: &ReadOptions) -> Result<Series, ReadSeriesError> {
    let mut tables = Vec::with_capacity(paths.len());
    for p in paths {
        let t = read_csv(p, opts)?;
        let name = p.file_stem().map_or_else(
            || p.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        tables.push((name, t));
    }
    Ok(data::series_from_tables(tables)?)
}

/// Why [`read_series`] failed: a file problem, or tables that do not make one series.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadSeriesError {
    /// A file could not be read or parsed.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The tables do not form a series (different widths, an empty recording).
    #[error(transparent)]
    Series(#[from] FitError),
}
