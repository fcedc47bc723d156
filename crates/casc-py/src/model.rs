//! The fitted model as a Python object: the same `model.casc` file as the command line's
//! (load, save, bytes for pickling), its states and motifs as NumPy arrays and lists, the
//! matching of named columns to its sensors, and prediction with the GIL released.

use std::path::PathBuf;

use casc::{Model, Motif, Series};
use numpy::ndarray::{Array2, Array3};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyArray3};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use crate::errors::{chain, fit_error, panic_error};

/// A fitted model (states, switching penalty, motifs, sensor names, parameters).
#[pyclass(name = "Model", module = "casc._casc", frozen)]
pub struct PyModel {
    inner: Model,
}

impl From<Model> for PyModel {
    fn from(inner: Model) -> Self {
        Self { inner }
    }
}

/// Labels as a NumPy array of int64.
pub fn labels<'py>(py: Python<'py>, a: &[usize]) -> Bound<'py, PyArray1<i64>> {
    PyArray1::from_vec(py, a.iter().map(|&s| s as i64).collect())
}

/// Motifs as lists: `(states, score, p_value, instances)` with each instance
/// `(start, end, stage_starts, score)` in the concatenated series (end inclusive).
pub fn motifs_list<'py>(py: Python<'py>, motifs: &[Motif]) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for m in motifs {
        let instances = PyList::empty(py);
        for i in &m.instances {
            instances.append((i.start, i.end, i.stage_starts.clone(), i.score))?;
        }
        out.append((m.states.clone(), m.score, m.p_value, instances))?;
    }
    Ok(out)
}

/// The order in which to take named columns so that they match `sensors`: the same names in
/// any order are reordered; when `sensors` are the names the library generates for unnamed
/// data, columns are taken as they come (there is nothing to match); otherwise `Err` lists the
/// missing and the unexpected names.
pub fn align(sensors: &[String], given: &[String]) -> Result<Vec<usize>, String> {
    let mut seen = std::collections::HashSet::new();
    if let Some(d) = given.iter().find(|g| !seen.insert(g.as_str())) {
        return Err(format!("the column {d:?} appears twice"));
    }
    let missing: Vec<&String> = sensors.iter().filter(|s| !given.contains(s)).collect();
    let extra: Vec<&String> = given.iter().filter(|g| !sensors.contains(g)).collect();
    if missing.is_empty() && extra.is_empty() {
        return Ok(sensors
            .iter()
            .map(|s| {
                given
                    .iter()
                    .position(|g| g == s)
                    .expect("every sensor is given")
            })
            .collect());
    }
    let generated = Series::new(vec![0.0; sensors.len()], sensors.len(), None)
        .map(|s| s.names() == sensors)
        .unwrap_or(false);
    if generated {
        return if given.len() == sensors.len() {
            Ok((0..given.len()).collect())
        } else {
            Err(format!(
                "the data has {} columns but the model was fitted on {} sensors",
                given.len(),
                sensors.len()
            ))
        };
    }
    let list = |v: &[&String]| {
        v.iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("missing {}", list(&missing)));
    }
    if !extra.is_empty() {
        parts.push(format!("not in the model {}", list(&extra)));
    }
    Err(format!(
        "the columns do not match the model's sensors ({}): {}",
        list(&sensors.iter().collect::<Vec<_>>()),
        parts.join("; ")
    ))
}

#[pymethods]
impl PyModel {
    /// Reads a `model.casc` file (written by `casc fit` or by `save`).
    #[staticmethod]
    fn load(path: PathBuf) -> PyResult<Self> {
        Model::load(&path).map(Self::from).map_err(fit_error)
    }

    /// Decodes the bytes of a `model.casc` file.
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Self> {
        Model::from_bytes(data)
            .map(Self::from)
            .map_err(|e| PyValueError::new_err(format!("model bytes: {}", chain(&e))))
    }

    /// Writes the model as a `model.casc` file (which `casc predict` reads).
    fn save(&self, path: PathBuf) -> PyResult<()> {
        self.inner.save(&path).map_err(fit_error)
    }

    /// The bytes of the model's `model.casc` file.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_bytes())
    }

    /// Pickles as the file's bytes.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let from_bytes = py.import("casc._casc")?.getattr("model_from_bytes")?;
        PyTuple::new(
            py,
            [
                from_bytes,
                PyTuple::new(py, [self.to_bytes(py)])?.into_any(),
            ],
        )
    }

    /// Number of states.
    #[getter]
    fn n_states(&self) -> usize {
        self.inner.n_states()
    }

    /// Number of sensors.
    #[getter]
    fn n_sensors(&self) -> usize {
        self.inner.n_sensors
    }

    /// Window length.
    #[getter]
    fn window(&self) -> usize {
        self.inner.window
    }

    /// The switching penalty used for assignment (the estimate, when it was estimated).
    #[getter]
    fn beta(&self) -> f64 {
        self.inner.beta
    }

    /// The sensors' names (generated `x0, x1, ...` for unnamed data).
    #[getter]
    fn sensor_names(&self) -> Vec<String> {
        self.inner.sensor_names.clone()
    }

    /// Whether the sensors were named when the model was fitted (not generated names).
    #[getter]
    fn named(&self) -> bool {
        let n = self.inner.n_sensors;
        Series::new(vec![0.0; n], n, None)
            .map(|s| s.names() != self.inner.sensor_names.as_slice())
            .unwrap_or(true)
    }

    /// The parameters the model was fitted with, by the estimator's names.
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        crate::params::to_dict(py, &self.inner.params)
    }

    /// The states' means over a stacked window, `(n_states, window * n_sensors)`.
    fn means<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let d = self.inner.n_sensors * self.inner.window;
        let flat: Vec<f64> = self
            .inner
            .states
            .iter()
            .flat_map(|s| s.mean.iter().copied())
            .collect();
        let a = Array2::from_shape_vec((self.inner.n_states(), d), flat)
            .map_err(|e| PyValueError::new_err(format!("inconsistent model: {e}")))?;
        Ok(a.into_pyarray(py))
    }

    /// The states' block-Toeplitz precision matrices, `(n_states, w*n, w*n)`.
    fn precisions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray3<f64>>> {
        let d = self.inner.n_sensors * self.inner.window;
        let flat: Vec<f64> = self
            .inner
            .states
            .iter()
            .flat_map(|s| s.precision.iter().copied())
            .collect();
        let a = Array3::from_shape_vec((self.inner.n_states(), d, d), flat)
            .map_err(|e| PyValueError::new_err(format!("inconsistent model: {e}")))?;
        Ok(a.into_pyarray(py))
    }

    /// The model's motifs as `(states, score, p_value, instances)` (instances of the fit's data
    /// are not saved: the list is empty).
    fn motifs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        motifs_list(py, &self.inner.motifs)
    }

    /// The order in which to take columns named `names` so that they match the sensors
    /// (`ValueError` listing the missing and unexpected names when they do not).
    fn column_order(&self, names: Vec<String>) -> PyResult<Vec<usize>> {
        align(&self.inner.sensor_names, &names).map_err(PyValueError::new_err)
    }

    /// States of `arrays` (one per recording, columns named `names`; `columns[i]` orders
    /// array `i`'s columns) and the instances of the model's motifs in them: `(labels, motifs)`
    /// over the concatenated recordings. The GIL is released while it runs.
    #[pyo3(signature = (arrays, names=None, columns=None, many=false))]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        arrays: Vec<Bound<'py, PyAny>>,
        names: Option<Vec<String>>,
        columns: Option<Vec<Option<Vec<usize>>>>,
        many: bool,
    ) -> PyResult<(Bound<'py, PyArray1<i64>>, Bound<'py, PyList>)> {
        let series = crate::data::series(&arrays, names, columns, many)?;
        drop(arrays);
        let model = &self.inner;
        let p = py
            .detach(|| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| model.predict(&series)))
            })
            .map_err(|panic| panic_error(&*panic))?
            .map_err(fit_error)?;
        Ok((labels(py, &p.assignment), motifs_list(py, &p.motifs)?))
    }

    fn __repr__(&self) -> String {
        format!(
            "<casc model: {} states, {} sensors, window {}, beta {:.4}, {} motifs>",
            self.inner.n_states(),
            self.inner.n_sensors,
            self.inner.window,
            self.inner.beta,
            self.inner.motifs.len()
        )
    }
}

/// Decodes the bytes of a `model.casc` file (what unpickling a model calls).
#[pyfunction]
pub fn model_from_bytes(data: &[u8]) -> PyResult<PyModel> {
    PyModel::from_bytes(data)
}
