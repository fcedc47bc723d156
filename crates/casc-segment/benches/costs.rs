//! Criterion benchmark of the cost matrix: T = 1,000,000, K = 10, n = 5, w = 1
//! (the paper's speed setting), and wider windows (nw = 20, 100) at smaller T.

use casc_segment::{StateScorer, cost_matrix_into};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn rng(seed: &mut u64) -> f64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((*seed >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
}

fn scorers(n: usize, w: usize, k: usize, seed: &mut u64) -> Vec<StateScorer> {
    let p = n * w;
    (0..k)
        .map(|_| {
            let a: Vec<f64> = (0..p * p).map(|_| rng(seed)).collect();
            let theta = faer::Mat::from_fn(p, p, |i, j| {
                (0..p).map(|l| a[i * p + l] * a[j * p + l]).sum::<f64>() / p as f64
                    + if i == j { 0.5 } else { 0.0 }
            });
            let mu: Vec<f64> = (0..p).map(|_| rng(seed)).collect();
            StateScorer::new(&mu, theta.as_ref(), n, w).unwrap()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("cost_matrix");
    g.sample_size(10);
    for (t_len, k, n, w) in [
        (1_000_000, 10, 5, 1),
        (200_000, 10, 5, 4),
        (20_000, 10, 10, 10),
    ] {
        let mut seed = 1;
        let sc = scorers(n, w, k, &mut seed);
        let x: Vec<f64> = (0..t_len * n).map(|_| rng(&mut seed)).collect();
        let mut out = vec![0.0; t_len * k];
        g.throughput(Throughput::Elements((t_len * k) as u64));
        g.bench_function(format!("T{t_len}_K{k}_n{n}_w{w}_nw{}", n * w), |b| {
            b.iter(|| cost_matrix_into(black_box(&x), n, &sc, &mut out))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
