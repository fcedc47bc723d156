//! Conformance of the motif step against the reference implementation's vectors
//! (fixtures/conformance, `motif_step` cases; expected results from the original Python CASC).
// `&[0..t]` is the API's "one recording", not a mistaken range-in-array.
#![allow(clippy::single_range_in_vec_init)]

use std::collections::{BTreeMap, BTreeSet};

use casc_motif::{
    DecodeBuffers, HmmInput, MotifParams, Null, StageDurations, decode_motif, motif_step,
};
use serde_json::Value;

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/conformance/reference_vectors.json"
);

struct Case {
    costs: Vec<f64>,
    k: usize,
    t: usize,
    beta: f64,
    gamma: f64,
    min_instances: usize,
    max_motifs: usize,
    plain: Vec<usize>,
    candidates: BTreeSet<Vec<usize>>,
    first_motif: Vec<usize>,
    first_stages: Vec<i64>,
    first_instances: Vec<Vec<usize>>,
    final_assignment: Vec<usize>,
    motifs: BTreeMap<Vec<usize>, Vec<(usize, usize)>>,
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(PATH).expect("reference vectors present");
    let json: Value = serde_json::from_str(&text).unwrap();
    json["motif_step"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let rows = c["costs"].as_array().unwrap();
            let k = rows[0].as_array().unwrap().len();
            let costs: Vec<f64> = rows
                .iter()
                .flat_map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()))
                .collect();
            let first = &c["motif_hmm_first_candidate"];
            Case {
                t: rows.len(),
                k,
                costs,
                beta: c["beta"].as_f64().unwrap(),
                gamma: c["gamma"].as_f64().unwrap(),
                min_instances: c["motif_min_instances"].as_u64().unwrap() as usize,
                max_motifs: c["max_motifs"].as_u64().unwrap() as usize,
                plain: usizes(&c["plain_assignment"]),
                candidates: c["candidate_motifs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(usizes)
                    .collect(),
                first_motif: usizes(&first["motif"]),
                first_stages: first["stages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_i64().unwrap())
                    .collect(),
                first_instances: first["instances"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(usizes)
                    .collect(),
                final_assignment: usizes(&c["final_assignment"]),
                motifs: c["motifs"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(name, spans)| {
                        let states = name.split(' ').map(|s| s.parse().unwrap()).collect();
                        let spans = spans
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|s| {
                                let s = usizes(s);
                                (s[0], s[1])
                            })
                            .collect();
                        (states, spans)
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The reference's behaviour: the independence null (with its modules and Bonferroni
/// threshold) and stages of any duration.
fn params(c: &Case) -> casc_motif::ValidMotifParams {
    MotifParams::new(c.beta)
        .null(Null::Independent)
        .durations(StageDurations::Ignored)
        .gamma(c.gamma)
        .min_instances(c.min_instances)
        .max_motifs(c.max_motifs)
        .check()
        .unwrap()
}

#[test]
fn motif_hmm_first_candidate_matches_reference() {
    for (ci, c) in cases().iter().enumerate() {
        let input = HmmInput {
            costs: &c.costs,
            k: c.k,
            plain: &c.plain,
            recordings: &[0..c.t],
            beta: c.beta,
            garbage_penalty: -c.gamma.ln(),
        };
        let inst = decode_motif(&input, &c.first_motif, &mut DecodeBuffers::default());
        let got: Vec<Vec<usize>> = inst
            .iter()
            .map(|x| {
                let mut v = x.stage_starts.clone();
                v.push(x.end);
                v
            })
            .collect();
        assert_eq!(got, c.first_instances, "case {ci}: instances");
        let mut stages = vec![-1i64; c.t];
        for x in &inst {
            for (s, &from) in x.stage_starts.iter().enumerate() {
                let to = x.stage_starts.get(s + 1).copied().unwrap_or(x.end + 1);
                stages[from..to].fill(s as i64);
            }
        }
        assert_eq!(stages, c.first_stages, "case {ci}: stages");
    }
}

#[test]
fn motif_step_matches_reference() {
    for (ci, c) in cases().iter().enumerate() {
        let step = motif_step(&c.costs, c.k, &c.plain, &[0..c.t], &params(c)).unwrap();
        let cands: BTreeSet<Vec<usize>> =
            step.candidates.iter().map(|x| x.states.clone()).collect();
        assert_eq!(cands, c.candidates, "case {ci}: candidate set");
        assert_eq!(
            step.assignment, c.final_assignment,
            "case {ci}: final assignment"
        );
        let motifs: BTreeMap<Vec<usize>, Vec<(usize, usize)>> = step
            .motifs
            .iter()
            .map(|m| {
                (
                    m.states.clone(),
                    m.instances.iter().map(|i| (i.start, i.end)).collect(),
                )
            })
            .collect();
        assert_eq!(motifs, c.motifs, "case {ci}: motifs");
        for m in &step.motifs {
            assert!(m.instances.len() >= c.min_instances);
        }
    }
}

#[test]
fn thread_count_does_not_change_the_result() {
    let cs = cases();
    let c = &cs[1];
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| motif_step(&c.costs, c.k, &c.plain, &[0..c.t], &params(c)).unwrap())
    };
    let (a, b) = (run(1), run(2));
    assert_eq!(a.assignment, b.assignment);
    assert_eq!(a.motifs, b.motifs);
    let key = |s: &casc_motif::MotifStep| {
        s.candidates
            .iter()
            .map(|x| (x.states.clone(), x.count, x.log_p_value.to_bits()))
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&a), key(&b));
}
