//! Safeguarded type-II Anderson acceleration of a fixed-point iteration `x <- T(x)`.
//!
//! Used on the ADMM state `(Z, U)`: given `x_k` and `g_k = T(x_k)` it proposes
//! `g_k - dG gamma`, where `gamma` fits the last residual differences (Walker and Ni 2011).
//! When the fixed-point residual grows the history is cleared and the next step is a plain
//! ADMM step. All buffers are allocated once.

/// Largest accepted Anderson correction relative to the plain step.
const MAX_CORRECTION: f64 = 1000.0;

/// Anderson state: ring buffers of the last `memory` differences of `g` and of `f = g - x`.
pub(crate) struct Anderson {
    memory: usize,
    len: usize,
    d_g: Vec<f64>,
    d_f: Vec<f64>,
    /// Number of stored differences (<= memory) and the next ring slot.
    stored: usize,
    next: usize,
    prev_g: Vec<f64>,
    prev_f: Vec<f64>,
    prev_f_norm: f64,
    has_prev: bool,
    f: Vec<f64>,
    gram: Vec<f64>,
    rhs: Vec<f64>,
}

impl Anderson {
    pub(crate) fn new(memory: usize, len: usize) -> Self {
        Self {
            memory,
            len,
            d_g: vec![0.0; memory * len],
            d_f: vec![0.0; memory * len],
            stored: 0,
            next: 0,
            prev_g: vec![0.0; len],
            prev_f: vec![0.0; len],
            prev_f_norm: f64::INFINITY,
            has_prev: false,
            f: vec![0.0; len],
            gram: vec![0.0; memory * memory],
            rhs: vec![0.0; memory],
        }
    }

    /// Forgets the history (after the map itself changed, e.g. a new rho).
    pub(crate) fn reset(&mut self) {
        self.stored = 0;
        self.next = 0;
        self.has_prev = false;
        self.prev_f_norm = f64::INFINITY;
    }

    /// Replaces `g` (= `T(x)`) by the accelerated next iterate, or leaves it as the plain
    /// step when the history is empty, the residual grew, or the fit is degenerate.
    pub(crate) fn step(&mut self, x: &[f64], g: &mut [f64]) {
        let len = self.len;
        let mut f_norm2 = 0.0;
        for i in 0..len {
            let fi = g[i] - x[i];
            self.f[i] = fi;
            f_norm2 += fi * fi;
        }
        let f_norm = f_norm2.sqrt();
        if self.has_prev && f_norm > self.prev_f_norm {
            // The last step did not help: restart the history from plain steps.
            self.reset();
        }
        if self.has_prev {
            let slot = self.next * len..(self.next + 1) * len;
            for (d, (gi, pg)) in self.d_g[slot.clone()]
                .iter_mut()
                .zip(g.iter().zip(&self.prev_g))
            {
                *d = gi - pg;
            }
            for (d, (fi, pf)) in self.d_f[slot]
                .iter_mut()
                .zip(self.f.iter().zip(&self.prev_f))
            {
                *d = fi - pf;
            }
            self.next = (self.next + 1) % self.memory;
            self.stored = (self.stored + 1).min(self.memory);
        }
        self.prev_g.copy_from_slice(g);
        self.prev_f.copy_from_slice(&self.f);
        self.prev_f_norm = f_norm;
        self.has_prev = true;
        let m = self.stored;
        if m == 0 {
            return;
        }
        // Normal equations (dF^T dF + reg) gamma = dF^T f, solved by a small Cholesky.
        for a in 0..m {
            let fa = &self.d_f[a * len..(a + 1) * len];
            self.rhs[a] = fa.iter().zip(&self.f).map(|(p, q)| p * q).sum();
            for b in 0..=a {
                let fb = &self.d_f[b * len..(b + 1) * len];
                let v: f64 = fa.iter().zip(fb).map(|(p, q)| p * q).sum();
                self.gram[a * m + b] = v;
                self.gram[b * m + a] = v;
            }
        }
        let trace: f64 = (0..m).map(|a| self.gram[a * m + a]).sum();
        let reg = 1e-10 * trace / m as f64;
        for a in 0..m {
            self.gram[a * m + a] += reg;
        }
        if !cholesky_solve(&mut self.gram[..m * m], &mut self.rhs[..m], m) {
            self.reset();
            return;
        }
        // The correction dG gamma, in `f` (no longer needed); rejected when it is wildly
        // larger than the plain step, which only happens on a degenerate fit.
        self.f.fill(0.0);
        for a in 0..m {
            let gamma = self.rhs[a];
            let dg = &self.d_g[a * len..(a + 1) * len];
            for (c, d) in self.f.iter_mut().zip(dg) {
                *c += gamma * d;
            }
        }
        let correction = self.f.iter().map(|c| c * c).sum::<f64>().sqrt();
        // NaN counts as not acceptable.
        let acceptable = correction <= MAX_CORRECTION * f_norm;
        if !acceptable {
            self.reset();
            return;
        }
        for (gi, c) in g.iter_mut().zip(&self.f) {
            *gi -= c;
        }
    }
}

/// Solves `A y = b` in place (`b` becomes `y`) for a small symmetric positive definite
/// row-major `A`; false when a pivot is not positive or the result is not finite.
fn cholesky_solve(a: &mut [f64], b: &mut [f64], m: usize) -> bool {
    for j in 0..m {
        let mut d = a[j * m + j];
        for k in 0..j {
            d -= a[j * m + k] * a[j * m + k];
        }
        if d <= 0.0 || d.is_nan() {
            return false;
        }
        let d = d.sqrt();
        a[j * m + j] = d;
        for i in j + 1..m {
            let mut v = a[i * m + j];
            for k in 0..j {
                v -= a[i * m + k] * a[j * m + k];
            }
            a[i * m + j] = v / d;
        }
    }
    for i in 0..m {
        let mut v = b[i];
        for k in 0..i {
            v -= a[i * m + k] * b[k];
        }
        b[i] = v / a[i * m + i];
    }
    for i in (0..m).rev() {
        let mut v = b[i];
        for k in i + 1..m {
            v -= a[k * m + i] * b[k];
        }
        b[i] = v / a[i * m + i];
    }
    b[..m].iter().all(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_cholesky_solve_by_hand() {
        // [[4, 2], [2, 3]] y = [2, 5] -> y = [-0.5, 2].
        let mut a = vec![4.0, 2.0, 2.0, 3.0];
        let mut b = vec![2.0, 5.0];
        assert!(cholesky_solve(&mut a, &mut b, 2));
        assert!((b[0] + 0.5).abs() < 1e-14 && (b[1] - 2.0).abs() < 1e-14);
        let mut singular = vec![1.0, 1.0, 1.0, 1.0];
        assert!(!cholesky_solve(&mut singular, &mut [1.0, 1.0], 2));
    }

    #[test]
    fn accelerates_a_linear_contraction() {
        // x <- M x + c with a slowly contracting M: Anderson converges in a few steps
        // (exactly after dim + 1 steps for a linear map in exact arithmetic).
        let c = [1.0, -2.0, 0.5];
        let map = |x: &[f64]| -> Vec<f64> {
            vec![
                0.95 * x[0] + 0.01 * x[1] + c[0],
                0.02 * x[0] + 0.9 * x[1] + c[1],
                0.97 * x[2] + c[2],
            ]
        };
        let solve_fixed = |accelerate: bool| {
            let mut aa = Anderson::new(5, 3);
            let mut x = vec![0.0; 3];
            for k in 0..200 {
                let mut g = map(&x);
                let res: f64 = g.iter().zip(&x).map(|(a, b)| (a - b).abs()).sum();
                if res < 1e-10 {
                    return k;
                }
                if accelerate {
                    aa.step(&x, &mut g);
                }
                x = g;
            }
            200
        };
        let plain = solve_fixed(false);
        let fast = solve_fixed(true);
        assert_eq!(plain, 200);
        assert!(fast < 15, "{fast}");
    }
}
