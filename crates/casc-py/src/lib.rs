//! `casc._casc`, the native half of the Python package `casc`: the fit with the GIL released
//! and Ctrl-C honoured ([`fit`]), the model and its file ([`model`]), arrays into a series
//! ([`data`]), the parameters with the command line's names, defaults and messages
//! ([`params`]), and the exceptions ([`errors`]).
//!
//! Modules, each using only those above it: `errors`, `params`, `data`, `model`, `fit`.
//!
//! The estimator users see, `casc.CASC`, is Python (`python/casc/__init__.py`): it turns
//! DataFrames and lists of recordings into arrays, keeps scikit-learn's conventions, and calls
//! the functions here. maturin builds the two into one abi3 wheel (`pip install
//! crates/casc-py`); `cargo xtask test` builds it and runs the pytest suite in `tests/`.

pub mod data;
pub mod errors;
pub mod fit;
pub mod model;
pub mod params;

use pyo3::prelude::*;

/// The module `casc._casc`.
#[pymodule]
fn _casc(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("CascError", m.py().get_type::<errors::CascError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("FORMAT_VERSION", casc::FORMAT_VERSION)?;
    m.add("POLL_SECONDS", fit::POLL.as_secs_f64())?;
    m.add_class::<model::PyModel>()?;
    m.add_class::<fit::FitOutcome>()?;
    m.add_function(wrap_pyfunction!(fit::fit, m)?)?;
    m.add_function(wrap_pyfunction!(model::model_from_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(params::defaults, m)?)?;
    m.add_function(wrap_pyfunction!(params::default_seed, m)?)?;
    m.add_function(wrap_pyfunction!(params::param_names, m)?)?;
    m.add_function(wrap_pyfunction!(params::check_params, m)?)?;
    Ok(())
}
