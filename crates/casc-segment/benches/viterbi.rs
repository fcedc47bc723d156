//! Criterion benchmark of the switching-penalty Viterbi: T = 1,000,000, K = 10.

use casc_segment::viterbi;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let (t_len, k) = (1_000_000, 10);
    let mut seed = 1u64;
    let costs: Vec<f64> = (0..t_len * k)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64 * 20.0
        })
        .collect();
    let mut g = c.benchmark_group("viterbi");
    g.sample_size(10);
    g.bench_function("T1000000_K10_beta25", |b| {
        b.iter(|| viterbi(black_box(&costs), k, 25.0))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
