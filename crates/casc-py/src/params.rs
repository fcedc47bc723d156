//! The estimator's parameters: their Python names, their defaults (read from
//! [`FitParams::new`], never copied), and their conversion into checked [`ValidFitParams`] with
//! the command line's messages.
//!
//! The number of states is read in `builder` and written back in `n_states_arg`, side by
//! side (an integer; a tuple `(min, max)`, inclusive, to choose from, the command line's
//! `--states A..B`; or `"auto"`: chosen from the data among the library's default range), and
//! so is the window (`window_value` and `window_arg`). The parameters spelled as words on the
//! command line (`mean`, `costs`, `motif_null`, `motif_correction`) are strings with the
//! command line's spellings, and `min_stage_fraction` is a number or `"off"`.

use std::str::FromStr;

use casc::{
    Beta, Correction, Costs, FitParams, Null, ParamError, StageDurations, StateMean, States,
    ValidFitParams, Window,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyString, PyTuple};

/// Every parameter: its Python name and the name the messages give it, as [`ParamError`] does:
/// the command line's, but for `min_stage_fraction`, which the library's check names so (its
/// flag is `--min-stage-fraction`).
pub const PARAMS: [(&str, &str); 18] = [
    ("n_states", "states"),
    ("window", "window"),
    ("mean", "mean"),
    ("costs", "costs"),
    ("lam", "lambda"),
    ("beta", "beta"),
    ("gamma", "gamma"),
    ("motifs", "motifs"),
    ("random_state", "seed"),
    ("max_iters", "max-iters"),
    ("motif_iters", "motif-iters"),
    ("motif_min_instances", "motif-min-instances"),
    ("max_motifs", "max-motifs"),
    ("motif_null", "motif-null"),
    ("motif_correction", "motif-correction"),
    ("min_stage_fraction", MIN_STAGE_FRACTION),
    ("split_merge", "split-merge"),
    ("standardize", "standardize"),
];

/// What `beta="auto"` (estimated), `n_states="auto"` and `window="auto"` (chosen from the
/// data) stand for.
const AUTO: &str = "auto";

/// What `min_stage_fraction="off"` (durations ignored) stands for.
const OFF: &str = "off";

/// The name of `min_stage_fraction` in the messages: the library's check names it so.
const MIN_STAGE_FRACTION: &str = "min_stage_fraction";

/// Whether `v` is the string `"auto"` (any case, spaces around), as the command line reads it.
fn is_auto(v: &Bound<'_, PyAny>) -> bool {
    v.is_instance_of::<PyString>()
        && v.extract::<String>()
            .is_ok_and(|s| s.trim().eq_ignore_ascii_case(AUTO))
}

/// The library's defaults: every default comes from [`FitParams::new`].
fn library_defaults() -> ValidFitParams {
    FitParams::new(1)
        .check()
        .expect("the default parameters are valid")
}

/// The `beta` argument of a [`Beta`]: `"auto"` when estimated, else the number.
fn beta_value<'py>(py: Python<'py>, beta: Beta) -> Bound<'py, PyAny> {
    match beta {
        Beta::Estimated { .. } => PyString::new(py, AUTO).into_any(),
        Beta::Fixed(b) => PyFloat::new(py, b).into_any(),
    }
}

/// The parameters of `p` as the estimator's arguments (`n_states` included).
pub fn to_dict<'py>(py: Python<'py>, p: &ValidFitParams) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("n_states", n_states_arg(py, p)?)?;
    d.set_item("window", window_arg(py, p.window()))?;
    d.set_item("mean", mean_arg(p.mean()))?;
    d.set_item("costs", costs_arg(p.costs()))?;
    d.set_item("lam", p.lambda())?;
    d.set_item("beta", beta_value(py, p.beta()))?;
    d.set_item("gamma", p.gamma())?;
    d.set_item("motifs", p.motifs())?;
    d.set_item("random_state", p.seed())?;
    d.set_item("max_iters", p.max_iters())?;
    d.set_item("motif_iters", p.motif_iters())?;
    d.set_item("motif_min_instances", p.motif_min_instances())?;
    d.set_item("max_motifs", p.max_motifs())?;
    d.set_item("motif_null", p.motif_null().to_string())?;
    d.set_item("motif_correction", p.motif_correction().to_string())?;
    d.set_item(
        "min_stage_fraction",
        stage_durations_arg(py, p.stage_durations()),
    )?;
    d.set_item("split_merge", p.split_merge())?;
    d.set_item("standardize", p.standardize())?;
    Ok(d)
}

/// The defaults of every parameter but `n_states` (which has none), for the estimator's
/// signature. `random_state` defaults to `None`, which stands for the library's seed.
#[pyfunction]
pub fn defaults(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let d = to_dict(py, &library_defaults())?;
    d.del_item("n_states")?;
    d.set_item("random_state", py.None())?;
    Ok(d)
}

/// The seed `random_state=None` stands for (the library's default).
#[pyfunction]
pub fn default_seed() -> u64 {
    library_defaults().seed()
}

/// The parameters' Python names, in the estimator's order.
#[pyfunction]
pub fn param_names() -> Vec<&'static str> {
    PARAMS.iter().map(|p| p.0).collect()
}

/// A message in the form of [`ParamError`]'s.
fn invalid(cli: &str, value: &Bound<'_, PyAny>, allowed: &str) -> PyErr {
    let shown = value
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "?".into());
    PyValueError::new_err(format!("invalid parameter {cli} = {shown}: {allowed}"))
}

/// A non-negative integer (Python or NumPy; not a bool, not a float).
fn count(v: &Bound<'_, PyAny>, cli: &str) -> PyResult<u64> {
    if v.is_instance_of::<PyBool>() || v.is_instance_of::<PyFloat>() {
        return Err(invalid(cli, v, "must be an integer"));
    }
    if v.hasattr("__index__")? {
        let i: i128 = v
            .call_method0("__index__")?
            .extract()
            .map_err(|_| invalid(cli, v, "must be an integer below 2**64"))?;
        return u64::try_from(i).map_err(|_| {
            if i < 0 {
                invalid(cli, v, "must be a non-negative integer")
            } else {
                invalid(cli, v, "must be an integer below 2**64")
            }
        });
    }
    Err(invalid(cli, v, "must be an integer"))
}

/// A [`count`] that fits a `usize`.
fn size(v: &Bound<'_, PyAny>, cli: &str) -> PyResult<usize> {
    usize::try_from(count(v, cli)?).map_err(|_| invalid(cli, v, "is too large"))
}

/// A real number (Python or NumPy int or float; not a bool). Range checks are the library's.
fn real(v: &Bound<'_, PyAny>, cli: &str) -> PyResult<f64> {
    if v.is_instance_of::<PyBool>() {
        return Err(invalid(cli, v, "must be a number"));
    }
    v.extract::<f64>()
        .map_err(|_| invalid(cli, v, "must be a number"))
}

/// `True` or `False` (Python or NumPy).
fn flag(v: &Bound<'_, PyAny>, cli: &str) -> PyResult<bool> {
    v.extract::<bool>()
        .map_err(|_| invalid(cli, v, "must be True or False"))
}

/// `beta`: a number (fixed) or `"auto"` (estimated from the data), as `--beta` reads it.
fn beta(v: &Bound<'_, PyAny>) -> PyResult<Beta> {
    if is_auto(v) {
        return Ok(Beta::estimated());
    }
    if v.is_instance_of::<PyString>() {
        return Err(invalid("beta", v, "must be a number or \"auto\""));
    }
    real(v, "beta")
        .map(Beta::Fixed)
        .map_err(|_| invalid("beta", v, "must be a number or \"auto\""))
}

/// A count or `"auto"`: the message of anything else.
fn count_or_auto(v: &Bound<'_, PyAny>, cli: &str) -> PyResult<usize> {
    if v.is_instance_of::<PyString>() {
        return Err(invalid(cli, v, "must be an integer or \"auto\""));
    }
    size(v, cli)
}

/// What `n_states` may be, for the messages.
const STATES_ALLOWED: &str = "must be an integer, \"auto\" or a tuple (min, max)";

/// The builder for the number of states: the one place that reads `n_states`. A tuple
/// `(min, max)` is the command line's `--states min..max` (the library checks the range).
fn builder(n_states: &Bound<'_, PyAny>) -> PyResult<FitParams> {
    if is_auto(n_states) {
        return Ok(FitParams::new(States::auto()));
    }
    if let Ok(range) = n_states.cast::<PyTuple>() {
        if range.len() != 2 {
            return Err(invalid("states", n_states, STATES_ALLOWED));
        }
        let bound = |i: usize| -> PyResult<usize> {
            size(&range.get_item(i)?, "states").map_err(|_| {
                invalid(
                    "states",
                    n_states,
                    "must be a tuple of two non-negative integers (min, max)",
                )
            })
        };
        return Ok(FitParams::new(States::Auto {
            min: bound(0)?,
            max: bound(1)?,
        }));
    }
    if !n_states.hasattr("__index__")? {
        return Err(invalid("states", n_states, STATES_ALLOWED));
    }
    Ok(FitParams::new(size(n_states, "states")?))
}

/// The `n_states` argument of checked parameters: the one place that writes it (`"auto"` for
/// the library's default range, a tuple for another).
fn n_states_arg<'py>(py: Python<'py>, p: &ValidFitParams) -> PyResult<Bound<'py, PyAny>> {
    Ok(match p.states() {
        States::Fixed(k) => k.into_pyobject(py)?.into_any(),
        auto if auto == States::auto() => PyString::new(py, AUTO).into_any(),
        States::Auto { min, max } => (min, max).into_pyobject(py)?.into_any(),
    })
}

/// `window`: a number of observations, or `"auto"`.
fn window_value(v: &Bound<'_, PyAny>) -> PyResult<Window> {
    if is_auto(v) {
        return Ok(Window::Auto);
    }
    Ok(Window::Fixed(count_or_auto(v, "window")?))
}

/// The `window` argument of a [`Window`].
fn window_arg<'py>(py: Python<'py>, w: Window) -> Bound<'py, PyAny> {
    match w {
        Window::Fixed(w) => w.into_pyobject(py).expect("an integer converts").into_any(),
        Window::Auto => PyString::new(py, AUTO).into_any(),
    }
}

/// A string parameter, trimmed and lowercased as the command line reads it; `None` for
/// anything but a string.
fn word(v: &Bound<'_, PyAny>) -> Option<String> {
    if !v.is_instance_of::<PyString>() {
        return None;
    }
    v.extract::<String>()
        .ok()
        .map(|s| s.trim().to_ascii_lowercase())
}

/// `mean`: `"stationary"` or `"free"`, as `--mean` reads it.
fn mean_value(v: &Bound<'_, PyAny>) -> PyResult<StateMean> {
    match word(v).as_deref() {
        Some("stationary") => Ok(StateMean::Stationary),
        Some("free") => Ok(StateMean::Free),
        _ => Err(invalid("mean", v, "must be \"stationary\" or \"free\"")),
    }
}

/// The `mean` argument of a [`StateMean`].
fn mean_arg(m: StateMean) -> &'static str {
    match m {
        StateMean::Stationary => "stationary",
        StateMean::Free => "free",
    }
}

/// `costs`: `"window"` or `"conditional"`, as `--costs` reads it.
fn costs_value(v: &Bound<'_, PyAny>) -> PyResult<Costs> {
    match word(v).as_deref() {
        Some("window") => Ok(Costs::Window),
        Some("conditional") => Ok(Costs::Conditional),
        _ => Err(invalid("costs", v, "must be \"window\" or \"conditional\"")),
    }
}

/// The `costs` argument of a [`Costs`].
fn costs_arg(c: Costs) -> &'static str {
    match c {
        Costs::Window => "window",
        Costs::Conditional => "conditional",
    }
}

/// A string parameter the library parses as the command line does ([`Null`],
/// [`Correction`]); written back by its `Display`.
fn parsed<T: FromStr>(v: &Bound<'_, PyAny>, cli: &str, allowed: &str) -> PyResult<T> {
    if !v.is_instance_of::<PyString>() {
        return Err(invalid(cli, v, allowed));
    }
    v.extract::<String>()
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid(cli, v, allowed))
}

/// `min_stage_fraction`: a number (its range is the library's check) or `"off"` (durations
/// ignored), as `--min-stage-fraction` reads it.
fn stage_durations_value(v: &Bound<'_, PyAny>) -> PyResult<StageDurations> {
    let allowed = "must be a number or \"off\"";
    if v.is_instance_of::<PyString>() {
        return match word(v).as_deref() {
            Some(OFF) => Ok(StageDurations::Ignored),
            _ => Err(invalid(MIN_STAGE_FRACTION, v, allowed)),
        };
    }
    real(v, MIN_STAGE_FRACTION)
        .map(|fraction| StageDurations::Minimum { fraction })
        .map_err(|_| invalid(MIN_STAGE_FRACTION, v, allowed))
}

/// The `min_stage_fraction` argument of a [`StageDurations`]: the fraction, or `"off"`.
fn stage_durations_arg<'py>(py: Python<'py>, d: StageDurations) -> Bound<'py, PyAny> {
    match d {
        StageDurations::Minimum { fraction } => PyFloat::new(py, fraction).into_any(),
        StageDurations::Ignored => PyString::new(py, OFF).into_any(),
    }
}

/// Checks the estimator's parameters (a dict of every Python name) into the form a fit takes,
/// with the command line's messages.
pub fn check(params: &Bound<'_, PyDict>) -> PyResult<ValidFitParams> {
    for key in params.keys() {
        let key: String = key.extract()?;
        if !PARAMS.iter().any(|p| p.0 == key) {
            return Err(PyValueError::new_err(format!(
                "unknown parameter {key:?}; CASC's parameters are {}",
                param_names().join(", ")
            )));
        }
    }
    let get = |name: &str| -> PyResult<Bound<'_, PyAny>> {
        params
            .get_item(name)?
            .ok_or_else(|| PyValueError::new_err(format!("parameter {name:?} is missing")))
    };
    let mut p = builder(&get("n_states")?)?
        .window(window_value(&get("window")?)?)
        .mean(mean_value(&get("mean")?)?)
        .costs(costs_value(&get("costs")?)?)
        .lambda(real(&get("lam")?, "lambda")?)
        .beta(beta(&get("beta")?)?)
        .gamma(real(&get("gamma")?, "gamma")?)
        .motifs(flag(&get("motifs")?, "motifs")?)
        .max_iters(size(&get("max_iters")?, "max-iters")?)
        .motif_iters(size(&get("motif_iters")?, "motif-iters")?)
        .motif_min_instances(size(&get("motif_min_instances")?, "motif-min-instances")?)
        .max_motifs(size(&get("max_motifs")?, "max-motifs")?)
        .motif_null(parsed::<Null>(
            &get("motif_null")?,
            "motif-null",
            "must be \"markov\" or \"independent\"",
        )?)
        .motif_correction(parsed::<Correction>(
            &get("motif_correction")?,
            "motif-correction",
            "must be \"bonferroni\" or \"bh\"",
        )?)
        .stage_durations(stage_durations_value(&get("min_stage_fraction")?)?)
        .split_merge(flag(&get("split_merge")?, "split-merge")?)
        .standardize(flag(&get("standardize")?, "standardize")?);
    let seed = get("random_state")?;
    if !seed.is_none() {
        p = p.seed(count(&seed, "seed")?);
    }
    p.check().map_err(param_error)
}

/// A [`ParamError`] as the `ValueError` with the command line's message.
pub fn param_error(e: ParamError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// Checks the parameters (a dict of every Python name), raising `ValueError` with the command
/// line's message for the first one out of range.
#[pyfunction]
pub fn check_params(params: &Bound<'_, PyDict>) -> PyResult<()> {
    check(params).map(|_| ())
}
