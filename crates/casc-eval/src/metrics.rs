//! Segmentation and clustering metrics of the public state-detection benchmarks: Covering, AMI, NMI, ARI.
//!
//! [`covering`] is the Covering of TSSB/ClaSP (segments are maximal runs of
//! one label). The other three follow scikit-learn's
//! `adjusted_mutual_info_score`, `normalized_mutual_info_score` (both with
//! `average_method="arithmetic"`, natural logarithms) and
//! `adjusted_rand_score`, including their special cases. Labels are arbitrary
//! `usize` values; only which timesteps share a label matters.

use std::collections::HashMap;

use crate::EvalError;

/// Checks that the two labelings are non-empty and of the same length.
fn check(truth: &[usize], pred: &[usize]) -> Result<(), EvalError> {
    if truth.is_empty() {
        return Err(EvalError::Empty);
    }
    if pred.len() != truth.len() {
        return Err(EvalError::LengthMismatch {
            what: "predicted labels",
            expected: truth.len(),
            got: pred.len(),
        });
    }
    Ok(())
}

/// Maximal runs of equal label, as half-open index intervals `(start, end)`.
fn runs(labels: &[usize]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for t in 1..=labels.len() {
        if t == labels.len() || labels[t] != labels[t - 1] {
            out.push((start, t));
            start = t;
        }
    }
    out
}

/// Covering of the true segmentation by the predicted one (TSSB/ClaSP): each
/// true segment (maximal run of one label) scores its best Jaccard overlap
/// with a predicted segment; the scores are weighted by the true segments'
/// lengths and divided by the number of timesteps. In `[0, 1]`, 1 for equal
/// segmentations; the labels themselves do not matter, only where they change.
pub fn covering(truth: &[usize], pred: &[usize]) -> Result<f64, EvalError> {
    check(truth, pred)?;
    let true_segments = runs(truth);
    let pred_segments = runs(pred);
    // Both lists are sorted and tile 0..n: sweep them together. The predicted
    // segments overlapping one true segment are consecutive, and consecutive
    // true segments share at most one of them, so the sweep is linear.
    let mut first = 0;
    let mut total = 0.0;
    for &(start, end) in &true_segments {
        while pred_segments[first].1 <= start {
            first += 1;
        }
        let mut best = 0.0f64;
        for &(p_start, p_end) in pred_segments[first..]
            .iter()
            .take_while(|(p_start, _)| *p_start < end)
        {
            let intersection = end.min(p_end) - start.max(p_start);
            let union = end.max(p_end) - start.min(p_start);
            best = best.max(intersection as f64 / union as f64);
        }
        total += (end - start) as f64 * best;
    }
    Ok(total / truth.len() as f64)
}

/// Maps labels to dense ids `0..k` in order of first appearance (so any
/// relabelling of the input gives the same ids); returns the ids and `k`.
fn dense_ids(labels: &[usize]) -> (Vec<usize>, usize) {
    let max = labels.iter().copied().max().unwrap_or(0);
    let mut ids = Vec::with_capacity(labels.len());
    let mut k = 0;
    if max <= 2 * labels.len() + 1024 {
        let mut map = vec![usize::MAX; max + 1];
        for &l in labels {
            if map[l] == usize::MAX {
                map[l] = k;
                k += 1;
            }
            ids.push(map[l]);
        }
    } else {
        let mut map = HashMap::new();
        for &l in labels {
            let id = *map.entry(l).or_insert_with(|| {
                k += 1;
                k - 1
            });
            ids.push(id);
        }
    }
    (ids, k)
}

/// Contingency table of two labelings: the marginals and the non-zero cells.
struct Contingency {
    /// Number of timesteps.
    n: usize,
    /// Timesteps per true class (rows), by dense id.
    rows: Vec<usize>,
    /// Timesteps per predicted cluster (columns), by dense id.
    cols: Vec<usize>,
    /// Non-zero cells `(row, column, count)`, row-major.
    cells: Vec<(usize, usize, usize)>,
}

impl Contingency {
    /// Builds the table of two checked labelings.
    fn new(truth: &[usize], pred: &[usize]) -> Self {
        let n = truth.len();
        let (r_ids, r) = dense_ids(truth);
        let (c_ids, c) = dense_ids(pred);
        let mut rows = vec![0; r];
        let mut cols = vec![0; c];
        for (&i, &j) in r_ids.iter().zip(&c_ids) {
            rows[i] += 1;
            cols[j] += 1;
        }
        let mut cells = Vec::new();
        // Dense when the table is small against the series, sorted keys otherwise
        // (two labelings with ~n labels each would need an n x n table).
        if r.saturating_mul(c) <= 4 * n + 4096 {
            let mut table = vec![0usize; r * c];
            for (&i, &j) in r_ids.iter().zip(&c_ids) {
                table[i * c + j] += 1;
            }
            for (key, &count) in table.iter().enumerate() {
                if count > 0 {
                    cells.push((key / c, key % c, count));
                }
            }
        } else {
            let mut keys: Vec<u128> = r_ids
                .iter()
                .zip(&c_ids)
                .map(|(&i, &j)| ((i as u128) << 64) | j as u128)
                .collect();
            keys.sort_unstable();
            for chunk in keys.chunk_by(|a, b| a == b) {
                let key = chunk[0];
                cells.push(((key >> 64) as usize, key as u64 as usize, chunk.len()));
            }
        }
        Self {
            n,
            rows,
            cols,
            cells,
        }
    }

    /// Whether the labelings are equal up to a relabelling (each class is
    /// exactly one cluster).
    fn is_permutation(&self) -> bool {
        self.cells.len() == self.rows.len() && self.cells.len() == self.cols.len()
    }

    /// Mutual information in nats, as scikit-learn's `mutual_info_score`
    /// computes it (per-cell terms below machine epsilon dropped, clipped at 0).
    fn mutual_info(&self) -> f64 {
        if self.rows.len() == 1 || self.cols.len() == 1 {
            return 0.0;
        }
        let total = self.n as f64;
        let ln_total = total.ln();
        let mut mi = 0.0;
        for &(i, j, count) in &self.cells {
            let p = count as f64 / total;
            let outer = self.rows[i] as f64 * self.cols[j] as f64;
            let log_outer = -outer.ln() + ln_total + ln_total;
            let term = p * ((count as f64).ln() - ln_total) + p * log_outer;
            if term.abs() >= f64::EPSILON {
                mi += term;
            }
        }
        mi.max(0.0)
    }

    /// Expected mutual information under the permutation (hypergeometric)
    /// model, scikit-learn's `expected_mutual_information`: for every class
    /// size `a`, cluster size `b` and feasible overlap `nij` in
    /// `max(1, a + b - n)..=min(a, b)`, `nij/n * ln(n nij / (a b))` times the
    /// hypergeometric probability of `nij`, from a table of `ln k!`. Classes
    /// (clusters) of equal size contribute equally, so each distinct size is
    /// summed once with its multiplicity. Work: at most `min(R, C) * n` terms.
    fn expected_mutual_info(&self) -> f64 {
        if self.rows.len() == 1 || self.cols.len() == 1 {
            return 0.0;
        }
        let n = self.n;
        let rows = sizes_with_multiplicity(&self.rows);
        let cols = sizes_with_multiplicity(&self.cols);
        let largest = rows
            .last()
            .map_or(0, |r| r.0)
            .max(cols.last().map_or(0, |c| c.0));
        // ln k! for k in 0..=n, each from lgamma (a running sum of ln k would
        // drift by many ulps over 10^6 terms, and these terms nearly cancel).
        let ln_fact: Vec<f64> = (0..=n).map(|k| libm::lgamma(k as f64 + 1.0)).collect();
        let ln_k: Vec<f64> = (0..=largest).map(|k| (k as f64).ln()).collect();
        let total = n as f64;
        let ln_total = total.ln();
        let mut emi = 0.0;
        for &(a, a_mult) in &rows {
            // The sums are grouped so that swapping a and b gives the same bits.
            let ln_fact_a = ln_fact[a] + ln_fact[n - a];
            for &(b, b_mult) in &cols {
                let ln_fact_b = ln_fact[b] + ln_fact[n - b];
                let numerator = (ln_fact_a + ln_fact_b) - ln_fact[n];
                let ln_ab = ln_k[a] + ln_k[b];
                let start = (a + b).saturating_sub(n).max(1);
                let mut cell = 0.0;
                for nij in start..=a.min(b) {
                    let term2 = ln_total + ln_k[nij] - ln_ab;
                    let gln = numerator
                        - ln_fact[nij]
                        - (ln_fact[a - nij] + ln_fact[b - nij])
                        - ln_fact[n + nij - a - b];
                    cell += nij as f64 / total * term2 * gln.exp();
                }
                emi += (a_mult * b_mult) as f64 * cell;
            }
        }
        emi
    }
}

/// The distinct values of `sizes`, ascending, each with its number of occurrences.
fn sizes_with_multiplicity(sizes: &[usize]) -> Vec<(usize, usize)> {
    let mut sorted = sizes.to_vec();
    sorted.sort_unstable();
    sorted
        .chunk_by(|a, b| a == b)
        .map(|c| (c[0], c.len()))
        .collect()
}

/// Entropy in nats of the distribution `sizes / n` (scikit-learn's `_entropy`).
fn entropy(sizes: &[usize], n: usize) -> f64 {
    if sizes.len() == 1 {
        return 0.0;
    }
    let total = n as f64;
    let ln_total = total.ln();
    -sizes
        .iter()
        .map(|&s| s as f64 / total * ((s as f64).ln() - ln_total))
        .sum::<f64>()
}

/// Adjusted mutual information (scikit-learn's `adjusted_mutual_info_score`,
/// `average_method="arithmetic"`): `(MI - E[MI]) / (mean(H(truth), H(pred)) - E[MI])`
/// in nats, with the expectation under random permutations. 1.0 when both
/// labelings have a single label or they are equal up to relabelling; 0.0
/// when exactly one has a single label; near 0 for independent labelings.
///
/// Memory: a table of `n + 1` floats. Time: `O(n)` for a fixed number of labels
/// (at most `min(R, C) * n` terms for `R` true and `C` predicted labels).
pub fn adjusted_mutual_info(truth: &[usize], pred: &[usize]) -> Result<f64, EvalError> {
    check(truth, pred)?;
    let table = Contingency::new(truth, pred);
    let (r, c) = (table.rows.len(), table.cols.len());
    if r == 1 && c == 1 {
        return Ok(1.0);
    }
    if r == 1 || c == 1 {
        return Ok(0.0);
    }
    // Mathematically MI = H(truth) = H(pred) here, so the ratio is 1. Computed,
    // it is 1 up to rounding, except when every label is a singleton: then also
    // E[MI] = MI and the ratio is rounding noise over rounding noise (for which
    // scikit-learn happens to return 1.0 as well).
    if table.is_permutation() {
        return Ok(1.0);
    }
    let mi = table.mutual_info();
    let emi = table.expected_mutual_info();
    let normalizer = 0.5 * (entropy(&table.rows, table.n) + entropy(&table.cols, table.n));
    // scikit-learn keeps both terms at least machine epsilon away from zero.
    let away_from_zero = |x: f64| {
        if x < 0.0 {
            x.min(-f64::EPSILON)
        } else {
            x.max(f64::EPSILON)
        }
    };
    Ok(away_from_zero(mi - emi) / away_from_zero(normalizer - emi))
}

/// Normalized mutual information (scikit-learn's `normalized_mutual_info_score`,
/// `average_method="arithmetic"`): `MI / mean(H(truth), H(pred))`, in `[0, 1]`.
/// 1.0 when both labelings have a single label, 0.0 when the mutual information
/// is zero (in particular when exactly one has a single label).
pub fn normalized_mutual_info(truth: &[usize], pred: &[usize]) -> Result<f64, EvalError> {
    check(truth, pred)?;
    let table = Contingency::new(truth, pred);
    if table.rows.len() == 1 && table.cols.len() == 1 {
        return Ok(1.0);
    }
    let mi = table.mutual_info();
    if mi == 0.0 {
        return Ok(0.0);
    }
    let normalizer = 0.5 * (entropy(&table.rows, table.n) + entropy(&table.cols, table.n));
    Ok(mi / normalizer)
}

/// Sum of the squares, exactly.
fn sum_of_squares(values: impl Iterator<Item = usize>) -> i128 {
    values.map(|x| (x as i128) * (x as i128)).sum()
}

/// Adjusted Rand index (scikit-learn's `adjusted_rand_score`): the Rand index
/// of the pairs of timesteps, corrected for chance; 1.0 for labelings equal up
/// to relabelling (including one label each and all-singleton labelings), near
/// 0 for independent ones, at least -0.5. Pair counts are exact (`i128`).
pub fn adjusted_rand(truth: &[usize], pred: &[usize]) -> Result<f64, EvalError> {
    check(truth, pred)?;
    let table = Contingency::new(truth, pred);
    let n = table.n as i128;
    let sum_cells = sum_of_squares(table.cells.iter().map(|c| c.2));
    let sum_rows = sum_of_squares(table.rows.iter().copied());
    let sum_cols = sum_of_squares(table.cols.iter().copied());
    // Ordered pairs of distinct timesteps (scikit-learn's pair_confusion_matrix):
    // same class and cluster, same cluster only, same class only, neither.
    let tp = sum_cells - n;
    let fp = sum_cols - sum_cells;
    let fn_ = sum_rows - sum_cells;
    let tn = n * n - fp - fn_ - sum_cells;
    if fn_ == 0 && fp == 0 {
        return Ok(1.0);
    }
    let numerator = tp * tn - fn_ * fp;
    let denominator = (tp + fn_) * (fn_ + tn) + (tp + fp) * (fp + tn);
    Ok(2.0 * numerator as f64 / denominator as f64)
}
