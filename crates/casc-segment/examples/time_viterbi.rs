//! Times `viterbi` (T x K random costs, beta = 25); run under `/usr/bin/time`
//! and read the user time when the machine is loaded.

use casc_segment::viterbi;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let (t_len, k, reps) = (args[0], args[1], args[2]);
    let mut seed = 1u64;
    let costs: Vec<f64> = (0..t_len * k)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64 * 20.0
        })
        .collect();
    let start = std::time::Instant::now();
    let mut total = 0.0;
    for _ in 0..reps {
        total += viterbi(&costs, k, 25.0).cost;
    }
    eprintln!(
        "wall per rep {:.1} ms (checksum {total})",
        start.elapsed().as_secs_f64() * 1e3 / reps as f64
    );
}
