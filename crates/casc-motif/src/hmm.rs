//! Motif HMM (ALGORITHM.md section 7.4): Viterbi over a garbage state and the motif's stages, and instance extraction.

use std::ops::Range;

/// One decoded pass through all stages of a motif, before scoring.
#[derive(Clone, Debug, PartialEq)]
pub struct RawInstance {
    /// First timestep of every stage (`stage_starts[0]` is the start of the instance).
    pub stage_starts: Vec<usize>,
    /// Last timestep of the instance (inclusive).
    pub end: usize,
    /// `2 * (sum of plain costs - sum of motif costs)` over the span (ALGORITHM.md 7.5).
    pub log_odds: f64,
}

impl RawInstance {
    /// First timestep of the instance.
    pub fn start(&self) -> usize {
        self.stage_starts[0]
    }
}

/// Reusable scratch space for [`decode_motif`]; grows on demand, never shrinks.
#[derive(Clone, Debug, Default)]
pub struct DecodeBuffers {
    cur: Vec<f64>,
    next: Vec<f64>,
    /// Back-pointer code per (timestep, hidden state) of the current recording.
    back: Vec<u8>,
    /// Decoded hidden state per timestep of the current recording (0 = garbage, i = stage i).
    path: Vec<u8>,
}

/// Inputs of the motif HMM that do not depend on the motif.
#[derive(Clone, Copy, Debug)]
pub struct HmmInput<'a> {
    /// Row-major `T x k` costs.
    pub costs: &'a [f64],
    /// Number of states.
    pub k: usize,
    /// Plain Viterbi assignment (length `T`).
    pub plain: &'a [usize],
    /// Contiguous recordings covering `0..T`.
    pub recordings: &'a [Range<usize>],
    /// Switching penalty.
    pub beta: f64,
    /// Extra garbage cost `-ln(gamma) >= 0`.
    pub garbage_penalty: f64,
}

/// Largest supported motif length (hidden-state ids are stored in a byte).
pub const MAX_MOTIF_LEN: usize = 254;

/// Viterbi decoding of one motif with the motif HMM (ALGORITHM.md 7.4), run independently
/// on every recording, returning its instances in time order.
///
/// Hidden states: 0 = garbage, `i` = stage `i` (1-based). Transition costs exactly as in
/// 7.4. Tie-breaks (documented choice; the conformance vectors contain no exact ties):
/// on equal cost the predecessor preferred is "stay in the same state", then garbage,
/// then the last stage; at the end garbage is preferred over the last stage.
/// An instance is each maximal run of the path through stages `1..r` in order: it starts
/// when stage 1 is entered (from garbage, from the last stage or at the recording start)
/// and ends when the last stage is left (or the recording ends).
///
/// `motif` must have length `1..=MAX_MOTIF_LEN` with states `< k` (checked by callers).
#[track_caller]
pub fn decode_motif(
    input: &HmmInput<'_>,
    motif: &[usize],
    buf: &mut DecodeBuffers,
) -> Vec<RawInstance> {
    let r = motif.len();
    assert!(
        (1..=MAX_MOTIF_LEN).contains(&r),
        "motif length {r} not in 1..={MAX_MOTIF_LEN}"
    );
    let mut out = Vec::new();
    for rec in input.recordings {
        if rec.is_empty() {
            continue;
        }
        decode_recording(input, motif, rec.clone(), buf);
        extract_instances(input, motif, rec.clone(), &buf.path, &mut out);
    }
    out
}

fn decode_recording(
    input: &HmmInput<'_>,
    motif: &[usize],
    rec: Range<usize>,
    buf: &mut DecodeBuffers,
) {
    let HmmInput {
        costs,
        k,
        plain,
        beta,
        garbage_penalty,
        ..
    } = *input;
    let r = motif.len();
    let h = r + 1;
    let len = rec.len();
    buf.cur.clear();
    buf.cur.resize(h, f64::INFINITY);
    buf.next.clear();
    buf.next.resize(h, f64::INFINITY);
    buf.back.clear();
    buf.back.resize(len * h, 0);
    buf.path.clear();
    buf.path.resize(len, 0);
    let (cur, next, back) = (&mut buf.cur, &mut buf.next, &mut buf.back);

    let t0 = rec.start;
    let row = &costs[t0 * k..(t0 + 1) * k];
    cur[0] = row[plain[t0]] + garbage_penalty;
    cur[1] = row[motif[0]];
    for t in t0 + 1..rec.end {
        let row = &costs[t * k..(t + 1) * k];
        let bk = &mut back[(t - t0) * h..(t - t0 + 1) * h];
        let switch = if plain[t] != plain[t - 1] { beta } else { 0.0 };
        let last = cur[r];
        // Garbage: from garbage (pays what the plain path pays) or from the last stage.
        let (g_stay, g_last) = (cur[0] + switch, last + beta);
        if g_stay <= g_last {
            next[0] = g_stay;
            bk[0] = 0;
        } else {
            next[0] = g_last;
            bk[0] = 1;
        }
        next[0] += row[plain[t]] + garbage_penalty;
        // Stage 1: stay, from garbage, or from the last stage (back-to-back instances).
        let mut best = cur[1];
        let mut code = 0u8;
        let from_g = cur[0] + beta;
        if from_g < best {
            best = from_g;
            code = 1;
        }
        if r > 1 && last + beta < best {
            best = last + beta;
            code = 2;
        }
        next[1] = best + row[motif[0]];
        bk[1] = code;
        // Stage i > 1: stay or advance from stage i - 1.
        for i in 2..=r {
            let stay = cur[i];
            let adv = cur[i - 1] + beta;
            if stay <= adv {
                next[i] = stay + row[motif[i - 1]];
                bk[i] = 0;
            } else {
                next[i] = adv + row[motif[i - 1]];
                bk[i] = 1;
            }
        }
        std::mem::swap(cur, next);
    }
    // End in garbage or in the last stage.
    let mut state = if cur[0] <= cur[r] { 0usize } else { r };
    for t in (t0..rec.end).rev() {
        let off = t - t0;
        buf.path[off] = state as u8;
        if off == 0 {
            break;
        }
        let code = back[off * h + state];
        state = match (state, code) {
            (0, 0) => 0,
            (0, _) => r,
            (1, 0) => 1,
            (1, 1) => 0,
            (1, _) => r,
            (i, 0) => i,
            (i, _) => i - 1,
        };
    }
}

fn extract_instances(
    input: &HmmInput<'_>,
    motif: &[usize],
    rec: Range<usize>,
    path: &[u8],
    out: &mut Vec<RawInstance>,
) {
    let HmmInput {
        costs, k, plain, ..
    } = *input;
    let r = motif.len() as u8;
    let t0 = rec.start;
    let mut current: Option<RawInstance> = None;
    let mut prev_h = 0u8;
    for (off, &hs) in path.iter().enumerate() {
        let t = t0 + off;
        // A new pass starts when stage 1 is entered from outside stage 1 (or from the last
        // stage when r == 1, which re-enters stage 1 every step it stays: not supported).
        let entering = hs == 1 && (off == 0 || prev_h != 1);
        if entering {
            if let Some(inst) = current.take() {
                out.push(inst);
            }
            current = Some(RawInstance {
                stage_starts: vec![t],
                end: t,
                log_odds: 0.0,
            });
        } else if hs == 0 {
            if let Some(inst) = current.take() {
                out.push(inst);
            }
        } else if hs != prev_h
            && let Some(inst) = current.as_mut()
        {
            inst.stage_starts.push(t);
        }
        if hs != 0
            && let Some(inst) = current.as_mut()
        {
            inst.end = t;
            let row = &costs[t * k..(t + 1) * k];
            inst.log_odds += 2.0 * (row[plain[t]] - row[motif[hs as usize - 1]]);
        }
        prev_h = hs;
    }
    if let Some(inst) = current.take() {
        out.push(inst);
    }
    debug_assert!(out.iter().all(|i| i.stage_starts.len() == r as usize));
}
