//! Criterion benchmarks of casc-eval: generating the paper's benchmark, writing its CSV, scoring.

use casc_eval::{SynthParams, generate, score};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn bench_generate(c: &mut Criterion) {
    let mut g = c.benchmark_group("synth");
    g.sample_size(10);
    for macro_segments in [1000, 7000] {
        let p = SynthParams::paper(macro_segments, 0.2, 1);
        g.bench_function(format!("generate T={}", p.n_steps()), |b| {
            b.iter(|| generate(black_box(&p)).unwrap())
        });
    }
    let mut p = SynthParams::paper(1000, 0.2, 1);
    p.window = 3;
    g.bench_function("generate T=150000 w=3", |b| {
        b.iter(|| generate(black_box(&p)).unwrap())
    });
    let d = generate(&SynthParams::paper(7000, 0.2, 1)).unwrap();
    g.bench_function("data_csv T=1050000", |b| {
        b.iter(|| black_box(&d).data_csv())
    });
    g.finish();
}

fn bench_score(c: &mut Criterion) {
    let d = generate(&SynthParams::paper(7000, 0.2, 1)).unwrap();
    // A prediction that relabels the truth and gets every 7th step wrong.
    let pred: Vec<usize> = d
        .truth
        .iter()
        .enumerate()
        .map(|(t, &s)| {
            if t % 7 == 0 {
                (s + 1) % 10
            } else {
                (s + 3) % 10
            }
        })
        .collect();
    c.bench_function("score T=1050000", |b| {
        b.iter(|| score(black_box(&d.truth), black_box(&pred), Some(&d.motif_mask)).unwrap())
    });
}

criterion_group!(benches, bench_generate, bench_score);
criterion_main!(benches);
