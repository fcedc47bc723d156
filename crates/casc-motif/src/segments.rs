//! Segments of an assignment: its run-length encoding, broken at recording boundaries. A leaf
//! of the crate, shared by the candidate search and the null model.

use std::ops::Range;

/// The run-length encoding of an assignment, broken at recording boundaries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Collapsed {
    /// State of every segment.
    pub states: Vec<usize>,
    /// Number of segments in every recording (same order as the recordings).
    pub per_recording: Vec<usize>,
}

/// Run-length encodes `assignment` into segments (docs/method.md section 7); a segment always ends
/// at a recording boundary, so two neighbouring segments of different recordings may share a state.
pub fn collapse(assignment: &[usize], recordings: &[Range<usize>]) -> Collapsed {
    let mut states = Vec::new();
    let mut per_recording = Vec::with_capacity(recordings.len());
    for rec in recordings {
        let before = states.len();
        let mut prev = None;
        for &s in &assignment[rec.clone()] {
            if prev != Some(s) {
                states.push(s);
                prev = Some(s);
            }
        }
        per_recording.push(states.len() - before);
    }
    Collapsed {
        states,
        per_recording,
    }
}
