//! The motif phase repairs corrupted motif segments: on a generated series where the motif
//! recurs and a fifth of the segments are perturbed, phase 2 beats phase 1 on motif timesteps.

use casc::eval::synth::{SynthParams, generate};
use casc::{FitParams, Series};

#[test]
fn phase_two_gains_on_motif_timesteps_when_a_fifth_of_segments_are_corrupted() {
    // The paper's benchmark (motif 6 7 8 9 after 6 random segments, 15-step segments, epsilon
    // = 0.2 of segments mixed 60% toward another state) with 8 sensors, so that phase 1 finds
    // the states well enough for the motif to be discovered.
    let mut p = SynthParams::paper(100, 0.2, 3);
    p.n_sensors = 8;
    let data = generate(&p).unwrap();
    let series = Series::new(data.x.clone(), p.n_sensors, None).unwrap();
    let fit = casc::fit(&series, &FitParams::new(10).check().unwrap()).unwrap();
    let phase1 =
        casc::eval::score(&data.truth, &fit.phase1_assignment, Some(&data.motif_mask)).unwrap();
    let phase2 = casc::eval::score(&data.truth, &fit.assignment, Some(&data.motif_mask)).unwrap();
    let (m1, m2) = (
        phase1.motif_weighted_f1.unwrap(),
        phase2.motif_weighted_f1.unwrap(),
    );
    assert!(m2 >= m1 + 0.03, "motif F1 phase 1 {m1:.3}, phase 2 {m2:.3}");
    assert!(
        phase2.weighted_f1 >= phase1.weighted_f1,
        "{} {}",
        phase1.weighted_f1,
        phase2.weighted_f1
    );
    // The motif found is the planted one, relabelled: four states, as many instances as a good
    // share of the 100 macro-segments.
    let mapped: Vec<Option<usize>> = fit.motifs[0]
        .states
        .iter()
        .map(|&s| {
            phase2
                .mapping
                .iter()
                .find(|(pred, _)| *pred == s)
                .and_then(|(_, t)| *t)
        })
        .collect();
    assert_eq!(mapped, vec![Some(6), Some(7), Some(8), Some(9)]);
    assert!(
        fit.motifs[0].instances.len() >= 40,
        "{}",
        fit.motifs[0].instances.len()
    );
}
