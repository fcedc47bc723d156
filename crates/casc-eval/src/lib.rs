//! casc-eval: the CASC paper's synthetic benchmark generator, the accuracy scorer and the benchmark metrics.
//!
//! This crate owns three things:
//!
//! * [`synth`]: a seeded, deterministic generator of the synthetic benchmark of
//!   the CASC/MASA paper (arXiv 1809.01819; states with random sparse block-Toeplitz precision
//!   matrices, macro-segments of garbage segments followed by a motif, noisy
//!   segments mixed with other states). The same [`SynthParams`] always produce
//!   the same bytes, on any machine (the generator uses its own scalar linear
//!   algebra and a software logarithm so no CPU-dependent code path is involved).
//! * [`mod@score`]: one-to-one matching of predicted to true states (Hungarian
//!   algorithm on the confusion matrix) and the paper's accuracy figures
//!   (weighted and macro F1, F1 on motif timesteps, accuracy), plus readers for
//!   label and mask files.
//! * [`metrics`]: the segmentation and clustering metrics that the public
//!   state-detection benchmarks report (TSSB/ClaSP Covering, and
//!   scikit-learn's AMI, NMI and ARI), which [`score()`] also fills in.
//!
//! It does not fit models, read data series other than labels and masks, or
//! print anything; the `casc` binary and `xtask` do the input/output around it.

pub mod error;
mod linalg;
pub mod metrics;
pub mod score;
pub mod synth;

pub use error::EvalError;
pub use metrics::{adjusted_mutual_info, adjusted_rand, covering, normalized_mutual_info};
pub use score::{Labels, Score, hungarian_max, read_labels, read_mask, read_named_labels, score};
pub use synth::{Segment, SynthData, SynthParams, generate};

/// The README's example, compiled and run as a doctest.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
