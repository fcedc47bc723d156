//! NumPy arrays into a [`Series`]: one or more recordings of `timesteps x sensors`, float64 or
//! float32, in any memory order, each value copied once (into the series the library owns),
//! columns optionally taken in another order.

use casc::Series;
use numpy::{PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// One recording's array, borrowed read-only.
enum View<'py> {
    F64(PyReadonlyArray2<'py, f64>),
    F32(PyReadonlyArray2<'py, f32>),
}

impl<'py> View<'py> {
    fn new(a: &Bound<'py, PyAny>, label: &str) -> PyResult<Self> {
        if let Ok(v) = a.extract::<PyReadonlyArray2<'py, f64>>() {
            return Ok(View::F64(v));
        }
        if let Ok(v) = a.extract::<PyReadonlyArray2<'py, f32>>() {
            return Ok(View::F32(v));
        }
        let kind = match a.getattr("dtype") {
            Ok(d) => format!("dtype {}", d.str()?),
            Err(_) => format!("type {}", a.get_type().name()?),
        };
        Err(PyValueError::new_err(format!(
            "{label} must be a 2-D array of float64 or float32 (timesteps x sensors); got {kind}"
        )))
    }

    fn shape(&self) -> (usize, usize) {
        let s = match self {
            View::F64(v) => v.shape(),
            View::F32(v) => v.shape(),
        };
        (s[0], s[1])
    }

    /// Appends the rows, row-major, taking the columns `cols` (all, in order, without).
    fn copy_into(&self, cols: Option<&[usize]>, out: &mut Vec<f64>) {
        match self {
            View::F64(v) => copy(v, cols, out),
            View::F32(v) => copy(v, cols, out),
        }
    }
}

fn copy<T: numpy::Element + Copy + Into<f64>>(
    a: &PyReadonlyArray2<'_, T>,
    cols: Option<&[usize]>,
    out: &mut Vec<f64>,
) {
    let view = a.as_array();
    match (cols, view.as_slice()) {
        // C order, all columns: one pass over contiguous memory.
        (None, Some(s)) => out.extend(s.iter().map(|&v| v.into())),
        (None, None) => {
            for row in view.rows() {
                out.extend(row.iter().map(|&v| v.into()));
            }
        }
        (Some(cols), _) => {
            for row in view.rows() {
                out.extend(cols.iter().map(|&j| row[j].into()));
            }
        }
    }
}

/// The name of recording `i` (in messages and in the summary's recordings): `X`, or `X[i]`
/// for one of several.
fn label(i: usize, many: bool) -> String {
    if many { format!("X[{i}]") } else { "X".into() }
}

/// Reads `arrays` (one per recording) into one series named `names`; `columns[i]`, when given,
/// lists the columns of array `i` in the order the series takes them. `many` says whether the
/// caller passed a list (for messages).
pub fn series(
    arrays: &[Bound<'_, PyAny>],
    names: Option<Vec<String>>,
    columns: Option<Vec<Option<Vec<usize>>>>,
    many: bool,
) -> PyResult<Series> {
    if arrays.is_empty() {
        return Err(PyValueError::new_err(
            "X is an empty list: give at least one recording",
        ));
    }
    if let Some(c) = &columns
        && c.len() != arrays.len()
    {
        return Err(PyValueError::new_err(format!(
            "{} column orders for {} recordings",
            c.len(),
            arrays.len()
        )));
    }
    let views = arrays
        .iter()
        .enumerate()
        .map(|(i, a)| View::new(a, &label(i, many)))
        .collect::<PyResult<Vec<_>>>()?;
    let order = |i: usize| columns.as_ref().and_then(|c| c[i].as_deref());
    let width = |i: usize| order(i).map_or(views[i].shape().1, <[usize]>::len);
    let n = width(0);
    let mut rows = 0usize;
    for (i, v) in views.iter().enumerate() {
        let (r, c) = v.shape();
        let at = label(i, many);
        if r == 0 {
            return Err(PyValueError::new_err(format!("{at} has no rows")));
        }
        if c == 0 {
            return Err(PyValueError::new_err(format!("{at} has no columns")));
        }
        if let Some(o) = order(i) {
            let mut seen = vec![false; c];
            for &j in o {
                if j >= c || std::mem::replace(&mut seen[j], true) {
                    return Err(PyValueError::new_err(format!(
                        "{at}: invalid column order {o:?} for {c} columns"
                    )));
                }
            }
        }
        if width(i) != n {
            return Err(PyValueError::new_err(format!(
                "{at} has {} columns but X[0] has {n}",
                width(i)
            )));
        }
        rows += r;
    }
    if let Some(names) = &names
        && names.len() != n
    {
        return Err(PyValueError::new_err(format!(
            "{} column names for {n} columns",
            names.len()
        )));
    }
    let mut values = Vec::with_capacity(rows * n);
    let mut lengths = Vec::with_capacity(views.len());
    for (i, v) in views.iter().enumerate() {
        v.copy_into(order(i), &mut values);
        lengths.push((label(i, many), v.shape().0));
    }
    if let Some(at) = values.iter().position(|v| !v.is_finite()) {
        return Err(not_finite(&values, at, n, &lengths, names.as_deref(), many));
    }
    Series::from_recordings(values, n, names, lengths).map_err(crate::errors::fit_error)
}

/// The message of the first non-finite value, at index `at` of the concatenated values.
fn not_finite(
    values: &[f64],
    at: usize,
    n: usize,
    lengths: &[(String, usize)],
    names: Option<&[String]>,
    many: bool,
) -> PyErr {
    let (mut row, col) = (at / n, at % n);
    let mut rec = 0;
    for (i, (_, len)) in lengths.iter().enumerate() {
        if row < *len {
            rec = i;
            break;
        }
        row -= len;
    }
    let column = match names {
        Some(names) => format!("column {:?}", names[col]),
        None => format!("column {col}"),
    };
    PyValueError::new_err(format!(
        "{}: the value at row {row}, {column} is {}: values must be finite (fill or drop missing \
         values first, e.g. with DataFrame.interpolate() or dropna())",
        label(rec, many),
        values[at]
    ))
}
