//! Criterion benchmark of one state's block-Toeplitz graphical lasso solve, cold and
//! warm-started, for nw in {5, 25, 100}, and of the one-channel case at windows 50 and 150
//! with each method (`Solver::Auto`, the Newton method, and `Solver::Admm`) on a smooth
//! signal, the case that makes ADMM slow.
//!
//! "Warm" re-solves a covariance computed with 1% of the windows dropped, starting from
//! the solution of the full set, as one EM iteration after another would.

use std::hint::black_box;

use casc_glasso::{
    BlockShape, GlassoParams, Par, Solver, ValidGlassoParams, WarmStart, mean_and_covariance, solve,
};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use faer::Mat;

#[path = "../tests/common/mod.rs"]
mod common;

/// Benchmarks `label/cold` (a solve of `s` from nothing) and `label/warm` (from `warm`).
fn cold_and_warm(
    group: &mut BenchmarkGroup<'_, WallTime>,
    label: &str,
    s: &Mat<f64>,
    shape: BlockShape,
    params: &ValidGlassoParams,
    warm: &WarmStart,
) {
    group.bench_function(format!("{label}/cold"), |b| {
        b.iter(|| solve(black_box(s.as_ref()), shape, params, None, Par::Seq).unwrap())
    });
    group.bench_function(format!("{label}/warm"), |b| {
        b.iter(|| solve(black_box(s.as_ref()), shape, params, Some(warm), Par::Seq).unwrap())
    });
}

fn bench_admm(c: &mut Criterion) {
    let mut group = c.benchmark_group("toeplitz_glasso");
    for (n, w, lambda) in [(5, 1, 0.11), (5, 5, 0.11), (10, 10, 0.11), (10, 10, 0.01)] {
        let shape = BlockShape::new(n, w);
        let mut rng = common::Rng::new(3);
        let x = common::series(&mut rng, 2000 + w - 1, n);
        let all: Vec<&[f64]> = common::windows(&x, shape).collect();
        let (_, s1) = mean_and_covariance(all.iter().copied(), shape.dim()).unwrap();
        let (_, s2) = mean_and_covariance(all.iter().copied().skip(20), shape.dim()).unwrap();
        let params = GlassoParams::new(lambda).check().unwrap();
        let first = solve(s1.as_ref(), shape, &params, None, Par::Seq).unwrap();
        let cold = solve(s2.as_ref(), shape, &params, None, Par::Seq).unwrap();
        let warm = solve(s2.as_ref(), shape, &params, Some(&first.warm), Par::Seq).unwrap();
        eprintln!(
            "nw={} lambda={lambda}: cold {} iterations, warm {} iterations",
            shape.dim(),
            cold.diagnostics.iterations,
            warm.diagnostics.iterations
        );
        let label = format!("nw{}_lambda{lambda}", shape.dim());
        cold_and_warm(&mut group, &label, &s2, shape, &params, &first.warm);
    }
    group.finish();
}

fn bench_one_channel(c: &mut Criterion) {
    let mut group = c.benchmark_group("toeplitz_glasso_one_channel");
    group.sample_size(10);
    for w in [50, 150] {
        let shape = BlockShape::new(1, w);
        let mut rng = common::Rng::new(11);
        let x: Vec<f64> = (0..4000 + w)
            .map(|i| {
                let i = i as f64;
                (i / 7.0).sin() + 0.5 * (i / 23.0).cos() + 0.3 * rng.uniform()
            })
            .collect();
        let all: Vec<&[f64]> = common::windows(&x, shape).collect();
        let (_, s1) = mean_and_covariance(all.iter().copied(), w).unwrap();
        let (_, s2) = mean_and_covariance(all.iter().copied().skip(40), w).unwrap();
        for (name, solver) in [("newton", Solver::Auto), ("admm", Solver::Admm)] {
            let params = GlassoParams::new(1e-3).solver(solver).check().unwrap();
            let first = solve(s1.as_ref(), shape, &params, None, Par::Seq).unwrap();
            let label = format!("w{w}_{name}");
            cold_and_warm(&mut group, &label, &s2, shape, &params, &first.warm);
        }
    }
    group.finish();
}

criterion_group!(benches, bench_admm, bench_one_channel);
criterion_main!(benches);
