//! End-to-end benchmark of the target: the paper's synthetic data (K = 10, n = 5, w = 1)
//! at T = 150,000, phase 1 (TICC with the paper's beta = 25, 15 iterations at most) including
//! CSV parsing; then phase 1 with the split-and-merge refinement, and the whole default fit
//! (beta estimated, split and merge, motif phase).

use std::hint::black_box;
use std::path::PathBuf;

use casc::{FitParams, ReadOptions, read_series};
use criterion::{Criterion, criterion_group, criterion_main};

fn data_file(macro_segments: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("casc-bench-{macro_segments}"));
    let path = dir.join("data.csv");
    if !path.exists() {
        let params = casc_eval::synth::SynthParams::paper(macro_segments, 0.2, 1);
        let data = casc_eval::synth::generate(&params).expect("generator");
        data.write_dir(&dir).expect("write bench data");
    }
    path
}

fn phase1(c: &mut Criterion) {
    let path = data_file(1000);
    let params = FitParams::new(10)
        .beta(25.0)
        .motifs(false)
        .split_merge(false)
        .check()
        .unwrap();
    let mut g = c.benchmark_group("pipeline");
    g.sample_size(10);
    g.bench_function("read_and_phase1_T150000", |b| {
        b.iter(|| {
            let series = read_series(std::slice::from_ref(&path), &ReadOptions::default()).unwrap();
            black_box(casc::fit(&series, &params).unwrap().bic)
        })
    });
    let series = read_series(std::slice::from_ref(&path), &ReadOptions::default()).unwrap();
    let params = FitParams::new(10).beta(25.0).motifs(false).check().unwrap();
    g.bench_function("phase1_and_split_merge_T150000", |b| {
        b.iter(|| black_box(casc::fit(&series, &params).unwrap().bic))
    });
    let params = FitParams::new(10).check().unwrap();
    g.bench_function("default_fit_T150000", |b| {
        b.iter(|| black_box(casc::fit(&series, &params).unwrap().bic))
    });
    g.finish();
}

criterion_group!(benches, phase1);
criterion_main!(benches);
