//! Small dense scalar linear algebra (row-major) used by the generator.
//!
//! The generator deliberately does not call faer here: faer picks SIMD kernels
//! at run time, whose summation order (and so the last bits of the result)
//! depends on the CPU. These loops are plain IEEE arithmetic in a fixed order,
//! so the generated series is bit-identical on every machine, which the
//! checked-in fixtures rely on. The matrices are tiny (`n*w` rows), so speed
//! does not matter.

/// Smallest eigenvalue of the symmetric `n x n` row-major matrix `a`, by the
/// cyclic Jacobi method (fixed sweep order, so deterministic).
pub(crate) fn min_eigenvalue_sym(a: &[f64], n: usize) -> f64 {
    assert_eq!(a.len(), n * n);
    let mut m = a.to_vec();
    let frob: f64 = m.iter().map(|v| v * v).sum::<f64>().sqrt();
    if frob == 0.0 {
        return 0.0;
    }
    for _sweep in 0..100 {
        let mut off = 0.0;
        for p in 0..n {
            for q in p + 1..n {
                off += m[p * n + q] * m[p * n + q];
            }
        }
        if off.sqrt() <= 1e-15 * frob {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let app = m[p * n + p];
                let aqq = m[q * n + q];
                let theta = (aqq - app) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                // Rotate rows/columns p and q: M <- J^T M J.
                for k in 0..n {
                    let mkp = m[k * n + p];
                    let mkq = m[k * n + q];
                    m[k * n + p] = c * mkp - s * mkq;
                    m[k * n + q] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let mpk = m[p * n + k];
                    let mqk = m[q * n + k];
                    m[p * n + k] = c * mpk - s * mqk;
                    m[q * n + k] = s * mpk + c * mqk;
                }
                m[p * n + q] = 0.0;
                m[q * n + p] = 0.0;
            }
        }
    }
    (0..n).map(|i| m[i * n + i]).fold(f64::INFINITY, f64::min)
}

/// Lower Cholesky factor `L` (row-major, upper part zero) of the symmetric
/// positive definite `n x n` matrix `a`; `Err(pivot)` when a pivot is not positive.
pub(crate) fn cholesky(a: &[f64], n: usize) -> Result<Vec<f64>, usize> {
    assert_eq!(a.len(), n * n);
    let mut l = vec![0.0; n * n];
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= l[j * n + k] * l[j * n + k];
        }
        if d.is_nan() || d <= 0.0 {
            return Err(j);
        }
        let d = d.sqrt();
        l[j * n + j] = d;
        for i in j + 1..n {
            let mut v = a[i * n + j];
            for k in 0..j {
                v -= l[i * n + k] * l[j * n + k];
            }
            l[i * n + j] = v / d;
        }
    }
    Ok(l)
}

/// Solves `L L^T X = B` in place for the `n x m` row-major right-hand side `b`.
pub(crate) fn cholesky_solve(l: &[f64], n: usize, b: &mut [f64], m: usize) {
    assert_eq!(b.len(), n * m);
    // Forward: L Y = B.
    for i in 0..n {
        for c in 0..m {
            let mut v = b[i * m + c];
            for k in 0..i {
                v -= l[i * n + k] * b[k * m + c];
            }
            b[i * m + c] = v / l[i * n + i];
        }
    }
    // Backward: L^T X = Y.
    for i in (0..n).rev() {
        for c in 0..m {
            let mut v = b[i * m + c];
            for k in i + 1..n {
                v -= l[k * n + i] * b[k * m + c];
            }
            b[i * m + c] = v / l[i * n + i];
        }
    }
}

/// Inverse of a symmetric positive definite matrix from its Cholesky factor,
/// symmetrised exactly.
pub(crate) fn spd_inverse(l: &[f64], n: usize) -> Vec<f64> {
    let mut x = vec![0.0; n * n];
    for i in 0..n {
        x[i * n + i] = 1.0;
    }
    cholesky_solve(l, n, &mut x, n);
    symmetrize(&mut x, n);
    x
}

/// Replaces `a` by `(a + a^T) / 2`.
pub(crate) fn symmetrize(a: &mut [f64], n: usize) {
    for i in 0..n {
        for j in i + 1..n {
            let v = 0.5 * (a[i * n + j] + a[j * n + i]);
            a[i * n + j] = v;
            a[j * n + i] = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_matches_known_spectrum() {
        // Eigenvalues of [[2,1,0],[1,2,1],[0,1,2]] are 2 - sqrt2, 2, 2 + sqrt2.
        let a = [2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0, 1.0, 2.0];
        let l = min_eigenvalue_sym(&a, 3);
        assert!((l - (2.0 - 2f64.sqrt())).abs() < 1e-13, "{l}");
        // Diagonal and zero matrices.
        assert_eq!(min_eigenvalue_sym(&[3.0, 0.0, 0.0, -1.0], 2), -1.0);
        assert_eq!(min_eigenvalue_sym(&[0.0; 4], 2), 0.0);
    }

    #[test]
    fn cholesky_inverse_roundtrip() {
        let a = [4.0, 2.0, 0.4, 2.0, 5.0, 1.0, 0.4, 1.0, 3.0];
        let l = cholesky(&a, 3).unwrap();
        let inv = spd_inverse(&l, 3);
        for i in 0..3 {
            for j in 0..3 {
                let v: f64 = (0..3).map(|k| a[i * 3 + k] * inv[k * 3 + j]).sum();
                let e = if i == j { 1.0 } else { 0.0 };
                assert!((v - e).abs() < 1e-14, "{i} {j} {v}");
            }
        }
        assert_eq!(cholesky(&[1.0, 2.0, 2.0, 1.0], 2), Err(1));
    }
}
