//! casc: finds the hidden states and the recurring behaviours (motifs) of multivariate sensor
//! time series, with TICC (Toeplitz inverse covariance clustering) and CASC/MASA (motif-aware
//! state assignment).
//!
//! This is the crate to depend on: the fit ([`fit`], [`fit_with`] with an observer), its
//! parameters ([`FitParams`], [`Beta`]), the [`Model`] that saves, loads, predicts and
//! streams, the input [`Series`] with its CSV reader ([`read_series`]), and the typed output
//! files ([`output`]). It compiles no command-line machinery: the `casc` binary lives in the
//! `casc-cli` crate and the HTML report in `casc-report`. The numerical stages are their own
//! crates (`casc-glasso`, `casc-segment`, `casc-motif`), orchestrated by `casc-fit`.
//!
//! ```
//! use casc::{FitParams, ReadOptions, read_series};
//!
//! let series = read_series(
//!     &["../../fixtures/paper-w2/data.csv".into()],
//!     &ReadOptions::default(),
//! )?;
//! assert_eq!(series.n_sensors(), 5);
//! let params = FitParams::new(10).window(2).beta(25.0).seed(1).max_iters(3).motifs(false).check()?;
//! let fit = casc::fit(&series, &params)?;
//! println!("BIC {:.1}, {} motifs", fit.bic, fit.motifs.len());
//! let again = fit.model.predict(&series)?; // apply the model to (new) data
//! assert_eq!(again.assignment, fit.assignment);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod data;
pub mod output;

pub use casc_fit::{
    Beta, ColumnMatch, Correction, Costs, ErrorKind, FORMAT_VERSION, Fit, FitDiagnostics, FitError,
    FitObserver, FitParams, InitDiagnostics, Instance, IterationDiagnostics, Model, ModelFileError,
    Motif, NoObserver, Null, ParamError, Prediction, Recording, SplitMergeTrial, Stage,
    StageDurations, StateMean, StateModel, States, StatesTrial, StreamPredictor, TimeColumn,
    Timing, ValidFitParams, Window, WindowChoice, fit, fit_with,
};
pub use data::{DataError, Missing, ParseError, ReadOptions, RowReader, Table, read_csv};

use std::path::PathBuf;

/// A multivariate series made of one or more recordings (see [`casc_fit::Series`]).
///
/// ```
/// use casc::Series;
///
/// // Two recordings of one sensor: windows, switching penalties and motifs never cross the
/// // boundary between them.
/// let s = Series::from_recordings(
///     vec![1.0, 2.0, 3.0, 10.0, 11.0],
///     1,
///     Some(vec!["speed".into()]),
///     vec![("a".into(), 3), ("b".into(), 2)],
/// )?;
/// assert_eq!(s.n_steps(), 5);
/// assert_eq!(s.recordings()[1].range, 3..5);
/// # Ok::<(), casc::FitError>(())
/// ```
pub use casc_fit::Series;

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

/// The README's example, compiled and run as a doctest.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
