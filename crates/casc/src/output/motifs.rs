//! `motifs.json`: every motif kept, with its test and its instances.

use casc_fit::{Motif, Series};
use serde::{Deserialize, Serialize};

use super::finite;

/// One instance of a motif in `motifs.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceEntry {
    /// First timestep (in the concatenated series).
    pub start: usize,
    /// Last timestep, inclusive.
    pub end: usize,
    /// First timestep of every stage.
    pub stage_starts: Vec<usize>,
    /// Instance score (log-odds plus motif score), `null` if not finite.
    pub score: Option<f64>,
    /// With several recordings: the recording the instance is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<String>,
    /// With several recordings or rows dropped for missing values: the row number of `start`
    /// inside its recording (as `t` in `assignments.csv`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_start: Option<usize>,
    /// With several recordings or rows dropped: the row number of `end` (as `local_start`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_end: Option<usize>,
}

/// One motif in `motifs.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MotifEntry {
    /// Motif id (its index).
    pub motif: usize,
    /// The motif's states, in order.
    pub states: Vec<usize>,
    /// Motif score (G-test against the null), `null` if not finite.
    pub score: Option<f64>,
    /// p-value of the significance test, `null` if not finite.
    pub p_value: Option<f64>,
    /// The p-value adjusted for all the candidates tested (the q-value under
    /// Benjamini-Hochberg), `null` if not finite or absent (older files).
    #[serde(default)]
    pub adjusted_p_value: Option<f64>,
    /// Occurrences of the motif in the stage sequence the test saw (absent in older files).
    #[serde(default)]
    pub observed_count: Option<usize>,
    /// Its expected count under the null there, `null` if not finite or absent.
    #[serde(default)]
    pub expected_count: Option<f64>,
    /// Minimum duration of every stage in the motif HMM (empty in older files).
    #[serde(default)]
    pub min_durations: Vec<usize>,
    /// Number of instances.
    pub n_instances: usize,
    /// The instances, in time order.
    pub instances: Vec<InstanceEntry>,
}

/// The entries of `motifs.json` for `motifs` found in `series`.
pub fn motif_entries(series: &Series, motifs: &[Motif]) -> Vec<MotifEntry> {
    let multi = series.recordings().len() > 1;
    // Row numbers inside the recording: with several recordings, or rows dropped.
    let local = multi || series.has_row_gaps();
    let locate = |t: usize| {
        series
            .recordings()
            .iter()
            .find(|r| r.range.contains(&t))
            .map(|r| r.name.clone())
    };
    motifs
        .iter()
        .enumerate()
        .map(|(i, m)| MotifEntry {
            motif: i,
            states: m.states.clone(),
            score: finite(m.score),
            p_value: finite(m.p_value),
            adjusted_p_value: finite(m.adjusted_p_value),
            observed_count: Some(m.count),
            expected_count: finite(m.expected_count),
            min_durations: m.min_durations.clone(),
            n_instances: m.instances.len(),
            instances: m
                .instances
                .iter()
                .map(|inst| {
                    let n = series.n_steps();
                    let row = |t: usize| (local && t < n).then(|| series.row_number(t));
                    InstanceEntry {
                        start: inst.start,
                        end: inst.end,
                        stage_starts: inst.stage_starts.clone(),
                        score: finite(inst.score),
                        recording: multi.then(|| locate(inst.start)).flatten(),
                        local_start: row(inst.start),
                        local_end: row(inst.end),
                    }
                })
                .collect(),
        })
        .collect()
}
