//! How the library's errors become Python exceptions: `ValueError` for parameters, data and
//! model files that cannot be used, `OSError` (its subclass for the cause) when a file cannot
//! be read or written, and `casc.CascError` for numerical failures.

use casc::{ErrorKind, FitError, ModelFileError};
use pyo3::exceptions::{
    PyFileNotFoundError, PyIsADirectoryError, PyKeyboardInterrupt, PyOSError, PyPermissionError,
    PyRuntimeError, PyValueError,
};
use pyo3::prelude::*;

pyo3::create_exception!(
    casc,
    CascError,
    PyRuntimeError,
    "A numerical failure of a fit or a prediction (a state's graphical lasso or its scorer \
     failed in a way no fallback absorbed). Parameters and data that cannot be used raise \
     ValueError instead."
);

/// An error's message followed by its causes, `": "`-separated (as the command line prints it).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !s.ends_with(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = cause.source();
    }
    s
}

/// The Python exception of a fit's or a prediction's error.
pub fn fit_error(e: FitError) -> PyErr {
    if let FitError::ModelFile {
        path,
        source: ModelFileError::Io(io),
    } = &e
    {
        return os_error(io, &format!("model file {}: {io}", path.display()));
    }
    let message = chain(&e);
    match e.kind() {
        ErrorKind::Parameter | ErrorKind::Data => PyValueError::new_err(message),
        ErrorKind::Cancelled => PyKeyboardInterrupt::new_err(message),
        _ => CascError::new_err(message),
    }
}

/// The `OSError` subclass Python raises for `io`'s kind, with `message`.
fn os_error(io: &std::io::Error, message: &str) -> PyErr {
    use std::io::ErrorKind as K;
    match io.kind() {
        K::NotFound => PyFileNotFoundError::new_err(message.to_string()),
        K::PermissionDenied => PyPermissionError::new_err(message.to_string()),
        K::IsADirectory => PyIsADirectoryError::new_err(message.to_string()),
        _ => PyOSError::new_err(message.to_string()),
    }
}

/// The exception of a panic caught in the library (a bug): a `CascError` that says so, instead
/// of an interpreter that dies.
pub fn panic_error(payload: &(dyn std::any::Any + Send)) -> PyErr {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    CascError::new_err(format!("internal error in casc (please report it): {what}"))
}
