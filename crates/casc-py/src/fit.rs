//! The fit from Python: the work runs on its own thread with the GIL released; the calling
//! thread waits, and every [`POLL`] (or at each progress event) takes the GIL back briefly to
//! hand the events to the callback and to check for Ctrl-C. Either a pending `KeyboardInterrupt`
//! or an exception of the callback raises the observer's cancellation flag; the fit stops at
//! its next EM iteration and the exception is raised.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use casc::{FitObserver, IterationDiagnostics, Stage};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::json;

use crate::errors::{fit_error, panic_error};
use crate::model::{PyModel, labels, motifs_list};

/// How often the waiting thread checks for Ctrl-C when no event comes.
pub const POLL: Duration = Duration::from_millis(100);

/// The observer of a fit run from Python: forwards stages and iterations (as JSON text, when
/// there is a callback) to the waiting thread and reads the cancellation flag it sets. The
/// waiting thread stops waiting when the relay (its sender) is dropped.
struct Relay<'a> {
    events: mpsc::Sender<String>,
    report: bool,
    cancel: &'a AtomicBool,
}

impl FitObserver for Relay<'_> {
    fn stage(&self, stage: Stage) {
        if self.report {
            let _ = self.events.send(stage_event(stage).to_string());
        }
    }

    fn iteration(&self, it: &IterationDiagnostics) {
        if !self.report {
            return;
        }
        let mut event = serde_json::to_value(it).unwrap_or_else(|_| json!({}));
        event["event"] = json!("iteration");
        let _ = self.events.send(event.to_string());
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// A stage as a progress event.
fn stage_event(stage: Stage) -> serde_json::Value {
    let (name, extra) = match stage {
        Stage::BetaEstimate { round, beta } => {
            ("beta_estimate", json!({"round": round, "beta": beta}))
        }
        Stage::Init => ("init", json!({})),
        Stage::Screening { candidates } => ("screening", json!({"candidates": candidates})),
        Stage::Phase1 => ("phase1", json!({})),
        Stage::SplitMerge { round, proposals } => (
            "split_merge",
            json!({"round": round, "proposals": proposals}),
        ),
        Stage::Phase1Full => ("phase1_full", json!({})),
        Stage::Phase2 => ("phase2", json!({})),
        _ => ("other", json!({"description": format!("{stage:?}")})),
    };
    let mut event = json!({"event": "stage", "stage": name});
    if let (Some(e), Some(x)) = (event.as_object_mut(), extra.as_object()) {
        e.extend(x.clone());
    }
    event
}

/// What a fit hands back to the Python half of the estimator.
#[pyclass(frozen, get_all, module = "casc._casc")]
pub struct FitOutcome {
    /// The fitted model.
    pub model: Py<PyModel>,
    /// The final state of every timestep (all recordings, concatenated).
    pub labels: Py<PyArray1<i64>>,
    /// The state of every timestep after phase 1.
    pub phase1_labels: Py<PyArray1<i64>>,
    /// The motifs kept, with their instances in the concatenated series (see `motifs_list`).
    pub motifs: Py<PyList>,
    /// Bayesian information criterion.
    pub bic: f64,
    /// The switching penalty used (estimated or given).
    pub beta: f64,
    /// `summary.json` as the command line writes it (no input files), JSON text.
    pub summary: String,
}

/// Fits a model to `arrays` (one per recording) with `params` (every parameter by its Python
/// name); `names` names the columns, `columns[i]` orders array `i`'s columns, `many` says
/// whether a list was passed; `callback`, when given, receives every progress event as JSON
/// text on the calling thread.
#[pyfunction]
#[pyo3(signature = (arrays, params, names=None, columns=None, many=false, callback=None))]
pub fn fit(
    py: Python<'_>,
    arrays: Vec<Bound<'_, PyAny>>,
    params: &Bound<'_, PyDict>,
    names: Option<Vec<String>>,
    columns: Option<Vec<Option<Vec<usize>>>>,
    many: bool,
    callback: Option<Py<PyAny>>,
) -> PyResult<FitOutcome> {
    let params = crate::params::check(params)?;
    let series = crate::data::series(&arrays, names, columns, many)?;
    drop(arrays);
    let cancel = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<String>();
    let (result, pending) = py.detach(|| {
        let rx = rx;
        std::thread::scope(|s| {
            let relay = Relay {
                events: tx,
                report: callback.is_some(),
                cancel: &cancel,
            };
            let (series, params) = (&series, &params);
            let worker = s.spawn(move || {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    casc::fit_with(series, params, &relay)
                }))
                // `relay` (the sender) is dropped here: the waiting loop below ends.
            });
            let mut pending: Option<PyErr> = None;
            loop {
                let event = match rx.recv_timeout(POLL) {
                    Ok(e) => Some(e),
                    Err(mpsc::RecvTimeoutError::Timeout) => None,
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                };
                if pending.is_some() {
                    continue;
                }
                let failed = Python::attach(|py| -> PyResult<()> {
                    py.check_signals()?;
                    if let (Some(cb), Some(e)) = (&callback, event) {
                        cb.call1(py, (e,))?;
                    }
                    Ok(())
                });
                if let Err(e) = failed {
                    pending = Some(e);
                    cancel.store(true, Ordering::Relaxed);
                }
            }
            (worker.join(), pending)
        })
    });
    if let Some(e) = pending {
        return Err(e);
    }
    let fit = match result {
        Ok(Ok(r)) => r.map_err(fit_error)?,
        Ok(Err(panic)) | Err(panic) => return Err(panic_error(&*panic)),
    };
    let summary =
        casc::output::FitSummary::new(&series, &[], &fit, 0.0, fit.diagnostics.seconds.total);
    let summary = serde_json::to_string(&summary)
        .map_err(|e| crate::errors::CascError::new_err(format!("summary: {e}")))?;
    Ok(FitOutcome {
        labels: labels(py, &fit.assignment).unbind(),
        phase1_labels: labels(py, &fit.phase1_assignment).unbind(),
        motifs: motifs_list(py, &fit.motifs)?.unbind(),
        bic: fit.bic,
        beta: fit.model.beta,
        summary,
        model: Py::new(py, PyModel::from(fit.model))?,
    })
}
