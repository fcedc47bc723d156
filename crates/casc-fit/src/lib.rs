//! Orchestration of casc: initialisation, the EM loop of TICC (phase 1) and of CASC's motif phase
//! (phase 2), empty-state re-seeding, convergence, the estimate of `beta`, split-and-merge, BIC,
//! and the fitted [`Model`] (save, load, predict, stream).
//!
//! Data flows `Series -> windows -> costs -> assignment -> motifs -> Fit`. The stage crates do the
//! numerical work: `casc-glasso` fits each state, `casc-segment` scores and segments,
//! `casc-motif` finds and applies motifs. This crate reads no files but model files and prints
//! nothing: data formats and the command line live in the `casc` and `casc-cli` crates.
//!
//! Modules, each using only those above it in this list: `error`, `series`, `params`,
//! `diagnostics`, `observer`, `assign` (costs, Viterbi, objective), `sketch`, `init`, `beta`
//! (the estimate as a pure function), `engine` (statistics, M-step, re-seeding), `phase` (EM
//! iterations and convergence), `split_merge`, `criteria` (BIC), `model`, `model_file`,
//! `stream`, and `pipeline` (the whole fit) on top.
//!
//! ```
//! use casc_fit::{FitParams, Series, fit};
//!
//! // Two sensors, two alternating regimes of 40 steps.
//! let values: Vec<f64> = (0..240)
//!     .flat_map(|t| {
//!         let level = if (t / 40) % 2 == 0 { 0.0 } else { 8.0 };
//!         let wiggle = ((t * 7919) % 13) as f64 / 13.0;
//!         [level + wiggle, level - wiggle]
//!     })
//!     .collect();
//! let series = Series::new(values, 2, None)?;
//! let params = FitParams::new(2).beta(25.0).motifs(false).check()?;
//! let fit = fit(&series, &params)?;
//! assert_eq!(fit.assignment[0], fit.assignment[39]);
//! assert_ne!(fit.assignment[39], fit.assignment[40]);
//! # Ok::<(), casc_fit::FitError>(())
//! ```

mod assign;
mod beta;
mod criteria;
mod diagnostics;
mod engine;
mod error;
mod init;
mod model;
mod model_file;
mod observer;
mod params;
mod phase;
mod pipeline;
mod series;
mod sketch;
mod split_merge;
mod states;
mod stream;
mod window;

pub use beta::{AUTO_BETA_ROUNDS, beta_estimate};
pub use casc_motif::{Correction, Instance, Motif, Null, StageDurations};
pub use diagnostics::{
    FitDiagnostics, InitDiagnostics, IterationDiagnostics, SplitMergeTrial, StatesTrial, Timing,
};
pub use engine::{COVARIANCE_RIDGE, RESEED_RUN};
pub use error::{ErrorKind, FitError, ModelFileError, ParamError};
pub use model::{ColumnMatch, Model, NONZERO_THRESHOLD, Prediction, StateModel};
pub use model_file::{FORMAT_VERSION, MAGIC, crc32};
pub use observer::{FitObserver, NoObserver, Stage};
pub use params::{Beta, Costs, FitParams, StateMean, States, ValidFitParams, Window};
pub use pipeline::{Fit, LOCAL_HALF_WIDTHS, MAX_ABS_VALUE, SCREEN_ITERS, fit, fit_with};
pub use series::{Recording, Series, TimeColumn, default_names};
pub use sketch::{SCREEN_STEPS, SKETCH_BLOCKS};
pub use split_merge::SPLIT_MERGE_ROUNDS;
pub use stream::StreamPredictor;
pub use window::{MAX_LAGS, WindowChoice};

/// The README's example, compiled and run as a doctest.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
