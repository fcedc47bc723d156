//! casc-segment: per-timestep state costs and exact switching-penalty segmentation.
//!
//! This crate implements three stages of the CASC/TICC pipeline (docs/method.md
//! sections 2, 4 and 5):
//!
//! * [`StateScorer`] prepares one state's Gaussian (mean and precision over a
//!   window of `w` stacked observations of `n` sensors) for scoring windows,
//!   including the marginal Gaussians used for the last `w - 1` timesteps of a
//!   series, which have no full window;
//! * [`cost_matrix`] / [`cost_matrix_into`] fill the `T x K` matrix of costs
//!   `C[t,k] = (z_t - mu_k)^T Theta_k (z_t - mu_k) - ln det Theta_k`, capped at
//!   [`COST_CAP`], in parallel over blocks of time;
//! * [`viterbi`] finds the exact minimiser of `sum_t C[t, s_t] + beta * #switches`
//!   in `O(T K)`, [`OnlineViterbi`] does the same on a stream, and
//!   [`segments`] run-length encodes an assignment.
//!
//! It does **not** fit states (no ADMM, no graphical lasso: it receives a mean and
//! a precision per state), know anything about motifs, or run the EM loop; those
//! live in the other casc crates.
//!
//! Every result is deterministic: identical whatever the number of rayon
//! threads, with ties broken explicitly (see [`viterbi`]).

mod costs;
mod error;
mod online;
mod scorer;
mod viterbi;

pub use costs::{CostMatrix, conditional_cost_matrix_into, cost_matrix, cost_matrix_into};
pub use error::SegmentError;
pub use online::{OnlineViterbi, OnlineViterbiParams, ValidOnlineViterbiParams};
pub use scorer::{COST_CAP, StateScorer};
pub use viterbi::{Segment, Viterbi, path_cost, segments, viterbi};

/// The README's example, compiled and run as a doctest.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
