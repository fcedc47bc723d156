//! Times the cost matrix on one thread (for comparing kernels under machine load:
//! run under `/usr/bin/time` and read the user time).

use casc_segment::{StateScorer, cost_matrix_into};

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let (t_len, k, n, w, reps) = (args[0], args[1], args[2], args[3], args[4]);
    let p = n * w;
    let mut seed = 1u64;
    let mut rng = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    };
    let sc: Vec<StateScorer> = (0..k)
        .map(|_| {
            let a: Vec<f64> = (0..p * p).map(|_| rng()).collect();
            let theta = faer::Mat::from_fn(p, p, |i, j| {
                (0..p).map(|l| a[i * p + l] * a[j * p + l]).sum::<f64>() / p as f64
                    + if i == j { 0.5 } else { 0.0 }
            });
            let mu: Vec<f64> = (0..p).map(|_| rng()).collect();
            StateScorer::new(&mu, theta.as_ref(), n, w).unwrap()
        })
        .collect();
    let x: Vec<f64> = (0..t_len * n).map(|_| rng()).collect();
    let mut out = vec![0.0; t_len * k];
    eprintln!("arch {:?}", pulp::Arch::new());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let start = std::time::Instant::now();
    for _ in 0..reps {
        pool.install(|| cost_matrix_into(&x, n, &sc, &mut out));
    }
    let s: f64 = out.iter().sum();
    eprintln!(
        "wall per rep {:.1} ms (checksum {s})",
        start.elapsed().as_secs_f64() * 1e3 / reps as f64
    );
}
