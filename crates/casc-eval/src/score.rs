//! Accuracy of a state assignment: Hungarian matching of predicted to true states, F1 scores, benchmark metrics, label/mask readers.

use std::fmt;
use std::path::Path;

use serde::Serialize;

use crate::EvalError;
use crate::metrics;

/// Largest state label accepted by [`score`] (labels index the confusion matrix).
pub const MAX_LABEL: usize = 1 << 20;

/// Maximum-weight one-to-one matching of rows to columns (Hungarian algorithm,
/// `O(r^2 c)` for `r <= c`). The matrix may be rectangular; every row is
/// matched when there are at least as many columns as rows, otherwise exactly
/// `columns` rows are. Returns, per row, its column or `None`. Ties are broken
/// deterministically (by the algorithm's scan order).
///
/// # Panics
/// When rows have different lengths or a weight is not finite.
#[track_caller]
pub fn hungarian_max(weights: &[Vec<f64>]) -> Vec<Option<usize>> {
    let rows = weights.len();
    if rows == 0 {
        return Vec::new();
    }
    let cols = weights[0].len();
    assert!(
        weights.iter().all(|r| r.len() == cols),
        "hungarian_max: rows have different lengths"
    );
    assert!(
        weights.iter().flatten().all(|w| w.is_finite()),
        "hungarian_max: weights must be finite"
    );
    if cols == 0 {
        return vec![None; rows];
    }
    if rows <= cols {
        min_cost_assignment(rows, cols, |i, j| -weights[i][j])
    } else {
        let by_col = min_cost_assignment(cols, rows, |j, i| -weights[i][j]);
        let mut out = vec![None; rows];
        for (j, i) in by_col.into_iter().enumerate() {
            if let Some(i) = i {
                out[i] = Some(j);
            }
        }
        out
    }
}

/// Minimum-cost assignment of every one of `n` rows to distinct columns out of
/// `m >= n` (shortest augmenting paths with potentials).
fn min_cost_assignment(
    n: usize,
    m: usize,
    cost: impl Fn(usize, usize) -> f64,
) -> Vec<Option<usize>> {
    debug_assert!(n <= m);
    // 1-based: row/column 0 is the virtual start.
    let mut u = vec![0.0f64; n + 1];
    let mut v = vec![0.0f64; m + 1];
    let mut p = vec![0usize; m + 1]; // p[j]: row matched to column j
    let mut way = vec![0usize; m + 1];
    let mut minv = vec![0.0f64; m + 1];
    let mut used = vec![false; m + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        minv.fill(f64::INFINITY);
        used.fill(false);
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = f64::INFINITY;
            let mut j1 = 0;
            for j in 1..=m {
                if !used[j] {
                    let cur = cost(i0 - 1, j - 1) - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=m {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut out = vec![None; n];
    for j in 1..=m {
        if p[j] != 0 {
            out[p[j] - 1] = Some(j - 1);
        }
    }
    out
}

/// Accuracy figures of a predicted assignment against the truth.
#[derive(Clone, Debug, Serialize)]
pub struct Score {
    /// Fraction of timesteps whose mapped predicted state is the true state.
    pub accuracy: f64,
    /// F1 per true state, averaged with weights equal to the states' supports.
    pub weighted_f1: f64,
    /// Unweighted mean F1 over the true states that occur.
    pub macro_f1: f64,
    /// Weighted F1 over the motif timesteps only (same mapping); `None` without a
    /// mask or when the mask selects no timestep.
    pub motif_weighted_f1: Option<f64>,
    /// Covering of the true segments by the predicted ones (TSSB/ClaSP), over
    /// all timesteps; see [`metrics::covering`].
    pub covering: f64,
    /// Adjusted mutual information (scikit-learn, arithmetic mean), over all
    /// timesteps; see [`metrics::adjusted_mutual_info`].
    pub ami: f64,
    /// Normalized mutual information (scikit-learn, arithmetic mean), over all
    /// timesteps; see [`metrics::normalized_mutual_info`].
    pub nmi: f64,
    /// Adjusted Rand index (scikit-learn), over all timesteps; see
    /// [`metrics::adjusted_rand`].
    pub ari: f64,
    /// For every predicted label `0..=max`, the true state it is matched to
    /// (`None`: unmatched, or matched only with zero overlap).
    pub mapping: Vec<(usize, Option<usize>)>,
    /// Confusion counts, `confusion[true][pred]`.
    pub confusion: Vec<Vec<usize>>,
    /// F1 per true label `0..=max` (0 for a label that never occurs).
    pub per_state_f1: Vec<f64>,
    /// Number of timesteps per true label.
    pub support: Vec<usize>,
    /// The names of the true labels `0..`, when the truth had text labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub true_names: Option<Vec<String>>,
    /// The names of the predicted labels `0..`, when the prediction had text labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pred_names: Option<Vec<String>>,
}

impl Score {
    /// The same score with the names of text labels ([`Labels::names`]), for display.
    pub fn with_names(
        mut self,
        true_names: Option<Vec<String>>,
        pred_names: Option<Vec<String>>,
    ) -> Self {
        self.true_names = true_names;
        self.pred_names = pred_names;
        self
    }
}

/// Per-true-state F1 and the support-weighted mean, for confusion `conf[true][pred]`
/// and the map `true -> pred`.
fn f1_from_confusion(
    conf: &[Vec<usize>],
    matched_pred: &[Option<usize>],
) -> (Vec<f64>, Vec<usize>, f64, usize) {
    let kp = conf.first().map_or(0, Vec::len);
    let pred_counts: Vec<usize> = (0..kp)
        .map(|p| conf.iter().map(|row| row[p]).sum())
        .collect();
    let support: Vec<usize> = conf.iter().map(|row| row.iter().sum()).collect();
    let total: usize = support.iter().sum();
    let mut f1 = vec![0.0; conf.len()];
    let mut weighted = 0.0;
    for (j, row) in conf.iter().enumerate() {
        if let Some(p) = matched_pred[j] {
            let denom = support[j] + pred_counts[p];
            if denom > 0 {
                f1[j] = 2.0 * row[p] as f64 / denom as f64;
            }
        }
        weighted += support[j] as f64 * f1[j];
    }
    let weighted = if total > 0 {
        weighted / total as f64
    } else {
        0.0
    };
    (f1, support, weighted, total)
}

/// Scores the predicted states `pred` against `truth` (same length): matches
/// predicted to true states one-to-one by maximum total overlap (Hungarian on
/// the confusion matrix; the numbers of states may differ, and the timesteps of
/// unmatched predicted states count as wrong), then computes accuracy, per-state
/// F1, weighted and macro F1, and, given `motif_mask`, the weighted F1 over the
/// masked timesteps with the same mapping; plus the benchmarks' Covering, AMI,
/// NMI and ARI over all timesteps (these need no matching).
pub fn score(
    truth: &[usize],
    pred: &[usize],
    motif_mask: Option<&[bool]>,
) -> Result<Score, EvalError> {
    if truth.is_empty() {
        return Err(EvalError::Empty);
    }
    if pred.len() != truth.len() {
        return Err(EvalError::LengthMismatch {
            what: "predicted states",
            expected: truth.len(),
            got: pred.len(),
        });
    }
    if let Some(mask) = motif_mask
        && mask.len() != truth.len()
    {
        return Err(EvalError::LengthMismatch {
            what: "motif mask",
            expected: truth.len(),
            got: mask.len(),
        });
    }
    let max_label = |labels: &[usize], what: &'static str| -> Result<usize, EvalError> {
        let m = labels.iter().copied().max().unwrap_or(0);
        if m > MAX_LABEL {
            return Err(EvalError::LabelTooLarge {
                what,
                label: m,
                max: MAX_LABEL,
            });
        }
        Ok(m)
    };
    let kt = max_label(truth, "true states")? + 1;
    let kp = max_label(pred, "predicted states")? + 1;

    let mut confusion = vec![vec![0usize; kp]; kt];
    let mut motif_conf = vec![vec![0usize; kp]; kt];
    for (t, (&a, &b)) in truth.iter().zip(pred).enumerate() {
        confusion[a][b] += 1;
        if motif_mask.is_some_and(|m| m[t]) {
            motif_conf[a][b] += 1;
        }
    }
    let weights: Vec<Vec<f64>> = (0..kp)
        .map(|p| (0..kt).map(|j| confusion[j][p] as f64).collect())
        .collect();
    let assignment = hungarian_max(&weights);
    let mut matched_pred = vec![None; kt];
    let mut mapping = Vec::with_capacity(kp);
    for (p, a) in assignment.into_iter().enumerate() {
        let a = a.filter(|&j| confusion[j][p] > 0);
        if let Some(j) = a {
            matched_pred[j] = Some(p);
        }
        mapping.push((p, a));
    }

    let (per_state_f1, support, weighted_f1, total) = f1_from_confusion(&confusion, &matched_pred);
    let correct: usize = matched_pred
        .iter()
        .enumerate()
        .filter_map(|(j, p)| p.map(|p| confusion[j][p]))
        .sum();
    let present: Vec<f64> = per_state_f1
        .iter()
        .zip(&support)
        .filter(|(_, s)| **s > 0)
        .map(|(f, _)| *f)
        .collect();
    let macro_f1 = present.iter().sum::<f64>() / present.len() as f64;
    let motif_weighted_f1 = match motif_mask {
        Some(_) => {
            let (_, _, w, motif_total) = f1_from_confusion(&motif_conf, &matched_pred);
            (motif_total > 0).then_some(w)
        }
        None => None,
    };
    Ok(Score {
        accuracy: correct as f64 / total as f64,
        weighted_f1,
        macro_f1,
        motif_weighted_f1,
        covering: metrics::covering(truth, pred)?,
        ami: metrics::adjusted_mutual_info(truth, pred)?,
        nmi: metrics::normalized_mutual_info(truth, pred)?,
        ari: metrics::adjusted_rand(truth, pred)?,
        mapping,
        confusion,
        per_state_f1,
        support,
        true_names: None,
        pred_names: None,
    })
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "accuracy      {:.4}", self.accuracy)?;
        writeln!(f, "weighted F1   {:.4}", self.weighted_f1)?;
        writeln!(f, "macro F1      {:.4}", self.macro_f1)?;
        match self.motif_weighted_f1 {
            Some(m) => writeln!(f, "motif F1      {m:.4}")?,
            None => writeln!(f, "motif F1      -")?,
        }
        writeln!(f, "covering      {:.4}", self.covering)?;
        writeln!(f, "AMI           {:.4}", self.ami)?;
        writeln!(f, "NMI           {:.4}", self.nmi)?;
        writeln!(f, "ARI           {:.4}", self.ari)?;
        let name = |names: &Option<Vec<String>>, i: usize| {
            names
                .as_ref()
                .and_then(|n| n.get(i).cloned())
                .unwrap_or_else(|| i.to_string())
        };
        let tw = (0..self.per_state_f1.len())
            .map(|j| name(&self.true_names, j).chars().count())
            .max()
            .unwrap_or(0)
            .max(4);
        let pw = self
            .mapping
            .iter()
            .map(|(p, _)| name(&self.pred_names, *p).chars().count())
            .max()
            .unwrap_or(0)
            .max(4);
        writeln!(f, "{:>tw$}  {:>pw$}  support      F1", "true", "pred")?;
        for (j, f1) in self.per_state_f1.iter().enumerate() {
            let pred = self
                .mapping
                .iter()
                .find(|(_, t)| *t == Some(j))
                .map_or_else(|| "-".to_string(), |(p, _)| name(&self.pred_names, *p));
            writeln!(
                f,
                "{:>tw$}  {pred:>pw$}  {:>7}  {f1:.4}",
                name(&self.true_names, j),
                self.support[j]
            )?;
        }
        let unmatched: Vec<String> = self
            .mapping
            .iter()
            .filter(|(p, t)| t.is_none() && self.confusion.iter().any(|row| row[*p] > 0))
            .map(|(p, _)| name(&self.pred_names, *p))
            .collect();
        if !unmatched.is_empty() {
            writeln!(f, "unmatched predicted states: {}", unmatched.join(" "))?;
        }
        Ok(())
    }
}

/// The text of `path`.
fn read_text(path: &Path) -> Result<String, EvalError> {
    std::fs::read_to_string(path).map_err(|source| EvalError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The lines of `text` (`\n` or `\r\n`), trailing blank lines dropped.
fn lines_of(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    lines
}

/// Reads one value per line from `path`: either a bare value per line, or a CSV
/// with a header whose last column holds the value. Trailing blank lines are ignored.
fn read_last_column<T>(
    path: &Path,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, EvalError> {
    let text = read_text(path)?;
    let err = |line: usize, column: usize, message: String| EvalError::Parse {
        path: path.to_path_buf(),
        line,
        column,
        message,
    };
    let lines = lines_of(&text);
    let mut out = Vec::with_capacity(lines.len());
    let mut header_cols = None;
    for (i, line) in lines.iter().enumerate() {
        let fields: Vec<&str> = line.split(',').collect();
        let last = fields[fields.len() - 1].trim();
        if i == 0 {
            let looks_numeric = last
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit() || c == '-' || c == '+' || c == '.');
            if parse(last).is_err() && !looks_numeric && !last.is_empty() {
                header_cols = Some(fields.len());
                continue;
            }
        }
        if line.trim().is_empty() {
            return Err(err(
                i + 1,
                1,
                "blank line before the end of the file".into(),
            ));
        }
        if let Some(c) = header_cols
            && fields.len() != c
        {
            return Err(err(
                i + 1,
                fields.len().min(c) + 1,
                format!(
                    "expected {c} columns as in the header, found {}",
                    fields.len()
                ),
            ));
        }
        match parse(last) {
            Ok(v) => out.push(v),
            Err(m) => return Err(err(i + 1, fields.len(), m)),
        }
    }
    Ok(out)
}

/// Reads state labels: one non-negative integer per line, or a CSV with a header
/// whose last column is the label (e.g. `t,state` as `casc fit` writes
/// `assignments.csv`). Integral floats such as `3.0` are accepted. Trailing
/// blank lines are ignored; errors name the file, line and column.
pub fn read_labels(path: &Path) -> Result<Vec<usize>, EvalError> {
    read_last_column(path, |s| {
        if let Ok(v) = s.parse::<usize>() {
            return Ok(v);
        }
        match s.parse::<f64>() {
            Ok(v) if v >= 0.0 && v.fract() == 0.0 && v < 9.0e15 => Ok(v as usize),
            _ => Err(format!(
                "expected a non-negative integer state label, found `{s}`"
            )),
        }
    })
}

/// Labels read from a file: each timestep's label id and, when the labels are text, the names
/// of the ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Labels {
    /// One id per timestep.
    pub ids: Vec<usize>,
    /// With text labels, the name of each id (sorted, so that `ids` do not depend on the
    /// order the labels first appear in); `None` when every label is a non-negative integer
    /// (the ids are then the labels).
    pub names: Option<Vec<String>>,
}

/// Reads labels that may be text (`Walking`, `idle`) as well as integers: one per line, or a
/// CSV with a header whose last column is the label. When every label is a non-negative
/// integer they are the ids, as [`read_labels`] reads them; otherwise each distinct text gets
/// an id by sorted order. The first line is a header when its label does not look like a
/// number and either every other label is an integer, or it appears on no other line.
pub fn read_named_labels(path: &Path) -> Result<Labels, EvalError> {
    let text = read_text(path)?;
    let err = |line: usize, column: usize, message: String| EvalError::Parse {
        path: path.to_path_buf(),
        line,
        column,
        message,
    };
    let mut lines = lines_of(&text);
    if let Some(first) = lines.first_mut() {
        *first = first.strip_prefix('\u{feff}').unwrap_or(first);
    }
    let last_field = |line: &str| line.rsplit(',').next().unwrap_or("").trim().to_string();
    let integer = |s: &str| -> Option<usize> {
        s.parse::<usize>().ok().or_else(|| match s.parse::<f64>() {
            Ok(v) if v >= 0.0 && v.fract() == 0.0 && v < 9.0e15 => Some(v as usize),
            _ => None,
        })
    };
    let values: Vec<String> = lines.iter().map(|l| last_field(l)).collect();
    let header = match values.first() {
        Some(first) if !first.is_empty() && integer(first).is_none() => {
            let looks_numeric = first.parse::<f64>().is_ok();
            let rest = &values[1..];
            !looks_numeric && (rest.iter().all(|v| integer(v).is_some()) || !rest.contains(first))
        }
        _ => false,
    };
    let width = header.then(|| lines[0].split(',').count());
    let start = usize::from(header);
    for (i, line) in lines.iter().enumerate().skip(start) {
        if line.trim().is_empty() {
            return Err(err(
                i + 1,
                1,
                "blank line before the end of the file".into(),
            ));
        }
        let fields = line.split(',').count();
        if let Some(c) = width
            && fields != c
        {
            return Err(err(
                i + 1,
                fields.min(c) + 1,
                format!("expected {c} columns as in the header, found {fields}"),
            ));
        }
        if values[i].is_empty() {
            return Err(err(i + 1, fields, "empty label".into()));
        }
    }
    let values = &values[start..];
    if let Some(ids) = values
        .iter()
        .map(|v| integer(v))
        .collect::<Option<Vec<usize>>>()
    {
        return Ok(Labels { ids, names: None });
    }
    let mut names: Vec<String> = values.to_vec();
    names.sort();
    names.dedup();
    let ids = values
        .iter()
        .map(|v| names.binary_search(v).unwrap_or(0))
        .collect();
    Ok(Labels {
        ids,
        names: Some(names),
    })
}

/// Reads a mask: `0`/`1` (or `true`/`false`) per line, or a CSV with a header
/// whose last column is the mask. Same conventions as [`read_labels`].
pub fn read_mask(path: &Path) -> Result<Vec<bool>, EvalError> {
    read_last_column(path, |s| match s {
        "1" | "true" | "True" | "TRUE" => Ok(true),
        "0" | "false" | "False" | "FALSE" => Ok(false),
        _ => match s.parse::<f64>() {
            Ok(1.0) => Ok(true),
            Ok(0.0) => Ok(false),
            _ => Err(format!("expected 0 or 1, found `{s}`")),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("casc-eval-labels-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn text_labels_get_ids_by_sorted_name() {
        let l = read_named_labels(&file("a.csv", "activity\nwalk\nrun\nwalk\n")).unwrap();
        assert_eq!(l.ids, vec![1, 0, 1]);
        assert_eq!(l.names, Some(vec!["run".to_string(), "walk".to_string()]));
        // A first label that comes back is data, not a header.
        let l = read_named_labels(&file("b.csv", "walk\nrun\nwalk\n")).unwrap();
        assert_eq!(l.ids, vec![1, 0, 1]);
        // Integers stay the ids, with or without a header.
        let l = read_named_labels(&file("c.csv", "t,state\n0,3\n1,1\n")).unwrap();
        assert_eq!((l.ids, l.names), (vec![3, 1], None));
        let l = read_named_labels(&file("d.csv", "\u{feff}2\n0\n")).unwrap();
        assert_eq!(l.ids, vec![2, 0]);
        let l = read_named_labels(&file("e.csv", "t,activity\n0,walk\n1,run\n")).unwrap();
        assert_eq!(l.names.unwrap(), vec!["run", "walk"]);
        let e = read_named_labels(&file("f.csv", "t,state\n0,walk\n1\n")).unwrap_err();
        assert!(matches!(e, EvalError::Parse { line: 3, .. }), "{e}");
        let e = read_named_labels(&file("g.csv", "a\n\nb\n")).unwrap_err();
        assert!(matches!(e, EvalError::Parse { line: 2, .. }), "{e}");
    }

    #[test]
    fn names_show_in_the_table() {
        let s = score(&[0, 0, 1], &[1, 1, 0], None)
            .unwrap()
            .with_names(Some(vec!["idle".into(), "walking".into()]), None);
        let text = s.to_string();
        assert!(text.contains("   idle     1        2  1.0000"), "{text}");
        assert!(text.contains("walking     0        1  1.0000"), "{text}");
    }
}
