//! Benchmarks: one motif step on the paper's T = 1,050,000 layout, and the suffix array on 1e6 symbols.
// `&[0..t]` is the API's "one recording", not a mistaken range-in-array.
#![allow(clippy::single_range_in_vec_init)]

use std::hint::black_box;

use casc_motif::{MotifParams, motif_step, suffix_array};
use criterion::{Criterion, criterion_group, criterion_main};

/// SplitMix64: a tiny seeded generator so the bench needs no extra dependency.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// Plain Viterbi (docs/method.md section 5) to produce the input assignment.
fn viterbi(costs: &[f64], k: usize, beta: f64) -> Vec<usize> {
    let t = costs.len() / k;
    let mut v = costs[..k].to_vec();
    let mut back = vec![0u32; t * k];
    let mut next = vec![0.0; k];
    for i in 1..t {
        let (best, arg) =
            v.iter().enumerate().fold(
                (f64::INFINITY, 0),
                |acc, (j, &x)| if x < acc.0 { (x, j) } else { acc },
            );
        for s in 0..k {
            let (val, from) = if v[s] <= best + beta {
                (v[s], s)
            } else {
                (best + beta, arg)
            };
            next[s] = val + costs[i * k + s];
            back[i * k + s] = from as u32;
        }
        std::mem::swap(&mut v, &mut next);
    }
    let mut s = (0..k).min_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap_or(0);
    let mut path = vec![0; t];
    for i in (0..t).rev() {
        path[i] = s;
        s = back[i * k + s] as usize;
    }
    path
}

/// The paper's layout: macro-segments of 6 random garbage segments + motif 6 7 8 9, 15 steps
/// per segment, K = 10; true-state cost ~ N(0, 1), others ~ N(8, 2); 20% of segments have a
/// random wrong state slightly cheaper than the true one.
fn paper_data(n_macro: usize, seed: u64) -> (Vec<f64>, usize, Vec<usize>) {
    let k = 10;
    let seg = 15;
    let mut rng = Rng(seed);
    let mut costs = Vec::with_capacity(n_macro * 10 * seg * k);
    for _ in 0..n_macro {
        let mut states: Vec<usize> = (0..6).map(|_| rng.below(k)).collect();
        states.extend_from_slice(&[6, 7, 8, 9]);
        for &s in &states {
            let wrong = if rng.uniform() < 0.2 {
                Some((s + 1 + rng.below(k - 1)) % k)
            } else {
                None
            };
            for _ in 0..seg {
                let mut row: Vec<f64> = (0..k).map(|_| 8.0 + 2.0 * rng.normal()).collect();
                row[s] = rng.normal();
                if let Some(w) = wrong {
                    row[w] = row[s] - 0.3 - 0.2 * rng.uniform();
                }
                costs.extend_from_slice(&row);
            }
        }
    }
    let plain = viterbi(&costs, k, 25.0);
    (costs, k, plain)
}

fn bench_motif_step(c: &mut Criterion) {
    let (costs, k, plain) = paper_data(7000, 7);
    let t = plain.len();
    let params = MotifParams::new(25.0).check().expect("valid parameters");
    let step = motif_step(&costs, k, &plain, &[0..t], &params).expect("valid input");
    eprintln!(
        "T = {t}: {} candidates, {} motifs kept ({:?}), {} timesteps changed",
        step.candidates.len(),
        step.motifs.len(),
        step.motifs
            .iter()
            .map(|m| (m.states.clone(), m.instances.len()))
            .collect::<Vec<_>>(),
        plain
            .iter()
            .zip(&step.assignment)
            .filter(|(a, b)| a != b)
            .count()
    );
    let mut group = c.benchmark_group("motif_step");
    group.sample_size(10);
    group.bench_function("paper_T1050000_K10", |b| {
        b.iter(|| motif_step(black_box(&costs), k, black_box(&plain), &[0..t], &params))
    });
    group.finish();
}

fn bench_suffix_array(c: &mut Criterion) {
    let mut rng = Rng(11);
    let text: Vec<usize> = (0..1_000_000).map(|_| rng.below(10)).collect();
    let mut group = c.benchmark_group("suffix_array");
    group.sample_size(10);
    group.bench_function("random_1e6_alphabet10", |b| {
        b.iter(|| suffix_array(black_box(&text)))
    });
    group.finish();
}

criterion_group!(benches, bench_motif_step, bench_suffix_array);
criterion_main!(benches);
