//! casc-glasso: the M-step of CASC/TICC, fitting one state's Gaussian model.
//!
//! It computes the empirical mean and covariance of stacked windows
//! ([`mean_and_covariance`]) and solves the block-Toeplitz graphical lasso ([`solve`],
//! docs/method.md section 3): by ADMM, or with one channel by a proximal Newton method on the
//! `w` free numbers ([`Solver`], section 3.1), with warm starts between EM iterations, plus the
//! log-determinant of a positive definite matrix ([`log_det_spd`]) and a block-Toeplitz
//! structure test ([`is_block_toeplitz`]).
//!
//! It does not assign windows to states, compute costs, or run several states in
//! parallel: callers fit states independently (use `Par::Seq` inside their rayon loops).

mod admm;
mod anderson;
mod covariance;
mod error;
mod logdet;
mod newton;
mod params;
mod shape;
mod solution;
mod solve;

pub use covariance::mean_and_covariance;
pub use error::GlassoError;
pub use faer::Par;
pub use logdet::log_det_spd;
pub use params::{GlassoParams, Solver, ValidGlassoParams};
pub use shape::{BlockShape, is_block_toeplitz};
pub use solution::{Diagnostics, Solution, WarmStart};
pub use solve::solve;

/// The README's example, compiled and run as a doctest.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
