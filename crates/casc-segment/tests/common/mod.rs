//! Shared helpers of the integration tests: a tiny seeded generator and naive
//! dense linear algebra independent of the crate's Cholesky code.
#![allow(dead_code)]

/// SplitMix64: tiny deterministic generator for test data.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    pub fn unif(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

/// Random symmetric positive definite `p x p` matrix `A A^T / p + 0.3 I`
/// (row-major).
pub fn random_spd(rng: &mut Rng, p: usize) -> Vec<f64> {
    let a: Vec<f64> = (0..p * p).map(|_| rng.unif()).collect();
    let mut m = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            let mut s = 0.0;
            for k in 0..p {
                s += a[i * p + k] * a[j * p + k];
            }
            m[i * p + j] = s / p as f64 + if i == j { 0.3 } else { 0.0 };
        }
    }
    m
}

/// Inverse and ln |det| by Gauss-Jordan elimination with partial pivoting.
pub fn inverse_logdet(m: &[f64], p: usize) -> (Vec<f64>, f64) {
    let mut a = m.to_vec();
    let mut inv = vec![0.0; p * p];
    for i in 0..p {
        inv[i * p + i] = 1.0;
    }
    let mut logdet = 0.0;
    for c in 0..p {
        let piv = (c..p)
            .max_by(|&x, &y| a[x * p + c].abs().total_cmp(&a[y * p + c].abs()))
            .unwrap();
        for j in 0..p {
            a.swap(c * p + j, piv * p + j);
            inv.swap(c * p + j, piv * p + j);
        }
        let d = a[c * p + c];
        logdet += d.abs().ln();
        for j in 0..p {
            a[c * p + j] /= d;
            inv[c * p + j] /= d;
        }
        for r in 0..p {
            if r != c {
                let f = a[r * p + c];
                for j in 0..p {
                    a[r * p + j] -= f * a[c * p + j];
                    inv[r * p + j] -= f * inv[c * p + j];
                }
            }
        }
    }
    (inv, logdet)
}

/// Leading `q x q` block of a row-major `p x p` matrix.
pub fn leading(m: &[f64], p: usize, q: usize) -> Vec<f64> {
    (0..q * q).map(|e| m[(e / q) * p + e % q]).collect()
}

/// Naive `(z - mu)^T Theta (z - mu) - ln det Theta` with the full matrix.
pub fn naive_cost(theta: &[f64], mu: &[f64], z: &[f64]) -> f64 {
    let p = z.len();
    let (_, logdet) = inverse_logdet(theta, p);
    let mut q = 0.0;
    for i in 0..p {
        for j in 0..p {
            q += (z[i] - mu[i]) * theta[i * p + j] * (z[j] - mu[j]);
        }
    }
    q - logdet
}

pub fn to_faer(m: &[f64], p: usize) -> faer::Mat<f64> {
    faer::Mat::from_fn(p, p, |i, j| m[i * p + j])
}
