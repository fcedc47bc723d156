//! Motif HMM (docs/method.md section 7): Viterbi over a garbage state and the motif's stages, and instance extraction.

use std::ops::Range;

/// One decoded pass through all stages of a motif, before scoring.
#[derive(Clone, Debug, PartialEq)]
pub struct RawInstance {
    /// First timestep of every stage (`stage_starts[0]` is the start of the instance).
    pub stage_starts: Vec<usize>,
    /// Last timestep of the instance (inclusive).
    pub end: usize,
    /// `2 * (sum of plain costs - sum of motif costs)` over the span (docs/method.md section 7).
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
    /// Packed back-pointers per timestep for short motifs (see `forward_packed`).
    bits: Vec<u32>,
    /// Decoded hidden state per timestep of the current recording (0 = garbage, i = stage i).
    path: Vec<u8>,
    /// Back-pointer bits per timestep of the duration-aware kernel.
    dbits: Vec<u64>,
    /// The duration-aware kernel's recent stage-entry values, `sum(d_i)` entries.
    ring_entry: Vec<f64>,
    /// The duration-aware kernel's recent stage emissions, `sum(d_i)` entries.
    ring_emit: Vec<f64>,
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

/// Timesteps per block of the prepared cost layout.
const BLOCK: usize = 4096;

/// Costs rearranged once for many motif decodes: time is cut in blocks of `BLOCK` steps and
/// each block stores, contiguously, one column per state, then the garbage emission
/// `C[t, s_t] - ln(gamma)`, then the garbage switching cost (`beta` where `s` switches, else 0).
/// A decode then streams only the columns it needs instead of whole cost rows.
#[derive(Clone, Debug)]
pub struct PreparedCosts<'a> {
    input: HmmInput<'a>,
    blocks: Vec<f64>,
}

impl<'a> PreparedCosts<'a> {
    /// Builds the blocked layout (in parallel over blocks).
    #[track_caller]
    pub fn new(input: &HmmInput<'a>) -> Self {
        use rayon::prelude::*;
        let HmmInput {
            costs,
            k,
            plain,
            beta,
            garbage_penalty,
            ..
        } = *input;
        let t = plain.len();
        assert_eq!(costs.len(), t * k, "costs must be T x k");
        let stride = (k + 2) * BLOCK;
        let n_blocks = t.div_ceil(BLOCK);
        let mut blocks = vec![0.0; n_blocks * stride];
        blocks
            .par_chunks_mut(stride)
            .enumerate()
            .for_each(|(b, blk)| {
                let t0 = b * BLOCK;
                let t1 = (t0 + BLOCK).min(t);
                for (off, tt) in (t0..t1).enumerate() {
                    let row = &costs[tt * k..(tt + 1) * k];
                    for (j, &c) in row.iter().enumerate() {
                        blk[j * BLOCK + off] = c;
                    }
                    blk[k * BLOCK + off] = row[plain[tt]] + garbage_penalty;
                    blk[(k + 1) * BLOCK + off] = if tt > 0 && plain[tt] != plain[tt - 1] {
                        beta
                    } else {
                        0.0
                    };
                }
            });
        Self {
            input: *input,
            blocks,
        }
    }

    /// The inputs this layout was built from.
    pub fn input(&self) -> &HmmInput<'a> {
        &self.input
    }
}

/// Viterbi decoding of one motif with the motif HMM (docs/method.md section 7), run independently
/// on every recording, returning its instances in time order.
///
/// Hidden states: 0 = garbage, `i` = stage `i` (1-based). Transition costs exactly as in
/// 7.4. Tie-breaks (documented choice; the conformance vectors contain no exact ties, and
/// reproduce identically with the opposite choices): on equal cost the predecessor preferred
/// is "stay in the same state", then garbage, then the last stage; at the end garbage is
/// preferred over the last stage.
/// An instance is each maximal run of the path through stages `1..r` in order: it starts
/// when stage 1 is entered (from garbage, from the last stage or at the recording start)
/// and ends when the last stage is left (or the recording ends).
///
/// `motif` must have length `1..=MAX_MOTIF_LEN` with states `< k`. This convenience form
/// rearranges the costs on every call; use [`decode_prepared`] to decode many motifs.
#[track_caller]
pub fn decode_motif(
    input: &HmmInput<'_>,
    motif: &[usize],
    buf: &mut DecodeBuffers,
) -> Vec<RawInstance> {
    decode_prepared(&PreparedCosts::new(input), motif, buf)
}

/// [`decode_motif`] on costs prepared once with [`PreparedCosts::new`]. `O(T * r)`; allocates
/// nothing per timestep (the buffers grow to the longest recording once).
#[track_caller]
pub fn decode_prepared(
    prep: &PreparedCosts<'_>,
    motif: &[usize],
    buf: &mut DecodeBuffers,
) -> Vec<RawInstance> {
    check_motif(prep, motif);
    let mut out = Vec::new();
    for rec in prep.input.recordings {
        if rec.is_empty() {
            continue;
        }
        if !decode_recording_packed(prep, motif, rec.clone(), buf) {
            decode_recording(prep, motif, rec.clone(), buf);
        }
        extract_instances(&prep.input, motif, rec.clone(), &buf.path, &mut out);
    }
    out
}

/// Panics unless `motif` has length `1..=MAX_MOTIF_LEN` and states below `k`.
#[track_caller]
fn check_motif(prep: &PreparedCosts<'_>, motif: &[usize]) {
    let r = motif.len();
    assert!(
        (1..=MAX_MOTIF_LEN).contains(&r),
        "motif length {r} not in 1..={MAX_MOTIF_LEN}"
    );
    let k = prep.input.k;
    assert!(motif.iter().all(|&m| m < k), "motif state >= k");
}

/// [`decode_prepared`] with minimum stage durations: stage `i` must last at least
/// `min_durations[i]` timesteps (docs/method.md section 7, step 4). With every minimum 1 this
/// is exactly [`decode_prepared`] (the same kernels run).
///
/// The hidden states are the garbage state and, per stage, the state "in stage `i` for at
/// least `d_i` steps"; the `d_i - 1` steps after entering a stage are forced, and their
/// emissions are summed over a sliding window, so the cost is `O(T * r)` whatever the
/// durations, with `O(sum d_i)` extra memory. Transition costs and tie-breaks are those of
/// [`decode_motif`] (stay before entering; a stage-1 entry prefers garbage over the last
/// stage; at the end garbage is preferred); an instance ends only after its last stage has
/// lasted `d_r` steps. Panics if the lengths differ or a minimum is 0.
#[track_caller]
pub fn decode_prepared_durations(
    prep: &PreparedCosts<'_>,
    motif: &[usize],
    min_durations: &[usize],
    buf: &mut DecodeBuffers,
) -> Vec<RawInstance> {
    assert_eq!(
        motif.len(),
        min_durations.len(),
        "one minimum duration per stage"
    );
    assert!(
        min_durations.iter().all(|&d| d >= 1),
        "minimum durations must be >= 1"
    );
    if min_durations.iter().all(|&d| d == 1) {
        return decode_prepared(prep, motif, buf);
    }
    check_motif(prep, motif);
    let mut out = Vec::new();
    for rec in prep.input.recordings {
        if rec.is_empty() {
            continue;
        }
        decode_recording_durations(prep, motif, min_durations, rec.clone(), buf);
        extract_instances(&prep.input, motif, rec.clone(), &buf.path, &mut out);
    }
    out
}

/// Emissions are re-summed exactly every this many steps, bounding the rounding drift of the
/// sliding window sums.
const RESUM_EVERY: usize = 4096;

/// The duration-aware kernel (see [`decode_prepared_durations`]). Back-pointer bits per
/// timestep: bit 0, garbage came from the last stage; bit 1, stage 1 was entered from the last
/// stage (else from garbage); bit `2 + i`, stage `i` (0-based) was entered `d_i - 1` steps
/// before (else it stayed).
fn decode_recording_durations(
    prep: &PreparedCosts<'_>,
    motif: &[usize],
    mins: &[usize],
    rec: Range<usize>,
    buf: &mut DecodeBuffers,
) {
    let HmmInput { k, beta, .. } = prep.input;
    let r = motif.len();
    let len = rec.len();
    let words = (r + 2).div_ceil(64);
    let stride = (k + 2) * BLOCK;
    let at = |col: usize, t: usize| prep.blocks[(t / BLOCK) * stride + col * BLOCK + t % BLOCK];
    buf.dbits.clear();
    buf.dbits.resize(len * words, 0);
    buf.path.clear();
    buf.path.resize(len, 0);
    // Ring buffers: stage i owns entries offs[i]..offs[i] + mins[i].
    let mut offs = Vec::with_capacity(r);
    let mut total = 0;
    for &d in mins {
        offs.push(total);
        total += d;
    }
    buf.ring_entry.clear();
    buf.ring_entry.resize(total, f64::INFINITY);
    buf.ring_emit.clear();
    buf.ring_emit.resize(total, 0.0);
    buf.cur.clear();
    buf.cur.resize(r, f64::INFINITY);
    // Window sums of the last d_i - 1 emissions of every stage.
    buf.next.clear();
    buf.next.resize(r, 0.0);
    let (bits, ring_a, ring_e, long, wsum) = (
        &mut buf.dbits,
        &mut buf.ring_entry,
        &mut buf.ring_emit,
        &mut buf.cur,
        &mut buf.next,
    );
    let set = |bits: &mut [u64], off: usize, b: usize| bits[off * words + b / 64] |= 1 << (b % 64);
    let t0 = rec.start;
    let mut garbage = f64::INFINITY;
    for t in rec.clone() {
        let off = t - t0;
        let first = t == t0;
        // Previous values (at t - 1).
        let last_prev = long[r - 1];
        let from_last = last_prev + beta;
        let g_next = if first {
            at(k, t)
        } else {
            let g_stay = garbage + at(k + 1, t);
            if from_last < g_stay {
                set(bits, off, 0);
                from_last + at(k, t)
            } else {
                g_stay + at(k, t)
            }
        };
        // Entries at t, from the values at t - 1 (computed before any stage is updated).
        let mut prev_long = f64::INFINITY; // long value of stage i - 1 at t - 1
        for i in 0..r {
            let e = at(motif[i], t);
            let entry = if first {
                if i == 0 { e } else { f64::INFINITY }
            } else if i == 0 {
                let from_g = garbage + beta;
                if r > 1 && from_last < from_g {
                    set(bits, off, 1);
                    from_last + e
                } else {
                    from_g + e
                }
            } else {
                prev_long + beta + e
            };
            prev_long = long[i];
            let d = mins[i];
            let base = offs[i];
            ring_a[base + off % d] = entry;
            // Entered d - 1 steps ago and forced through since: entry value plus the window.
            let entered = if d == 1 {
                entry
            } else {
                ring_e[base + off % d] = e;
                if off.is_multiple_of(RESUM_EVERY) {
                    // Exact re-summation of the window t - d + 2 ..= t.
                    let from = (off + 1).saturating_sub(d - 1);
                    wsum[i] = (from..=off).map(|o| ring_e[base + o % d]).sum();
                } else {
                    wsum[i] += e;
                    if off >= d - 1 {
                        wsum[i] -= ring_e[base + (off + 1) % d];
                    }
                }
                if off >= d - 1 {
                    ring_a[base + (off + 1) % d] + wsum[i]
                } else {
                    f64::INFINITY
                }
            };
            let stay = long[i] + e;
            long[i] = if entered < stay {
                set(bits, off, 2 + i);
                entered
            } else {
                stay
            };
        }
        garbage = g_next;
    }
    // Backtrack from garbage or the last stage.
    #[derive(Clone, Copy)]
    enum H {
        Garbage,
        Stage(usize),
    }
    let bit = |off: usize, b: usize| bits[off * words + b / 64] >> (b % 64) & 1 == 1;
    let mut state = if garbage <= long[r - 1] {
        H::Garbage
    } else {
        H::Stage(r - 1)
    };
    let mut off = len - 1;
    loop {
        match state {
            H::Garbage => {
                buf.path[off] = 0;
                if off == 0 {
                    break;
                }
                state = if bit(off, 0) {
                    H::Stage(r - 1)
                } else {
                    H::Garbage
                };
                off -= 1;
            }
            H::Stage(i) if !bit(off, 2 + i) => {
                buf.path[off] = (i + 1) as u8;
                if off == 0 {
                    break;
                }
                off -= 1;
            }
            H::Stage(i) => {
                let s = off + 1 - mins[i];
                buf.path[s..=off].fill((i + 1) as u8);
                if s == 0 {
                    break;
                }
                state = if i > 0 {
                    H::Stage(i - 1)
                } else if bit(s, 1) {
                    H::Stage(r - 1)
                } else {
                    H::Garbage
                };
                off = s - 1;
            }
        }
    }
}

/// Longest motif handled by the register-resident, bit-packed kernel.
const MAX_PACKED_LEN: usize = 16;

/// Fast path for motifs of length `1..=MAX_PACKED_LEN`: the Viterbi values live in a
/// fixed-size array (registers) and each timestep's back-pointers are packed in one `u32`
/// (bit 0: garbage came from the last stage; bits 1-2: stage 1 came from 0 = itself,
/// 1 = garbage, 2 = last stage; bit `i + 1`: stage `i >= 2` advanced from stage `i - 1`).
/// Same recurrences and tie-breaks as `decode_recording`. Returns false if not applicable.
fn decode_recording_packed(
    prep: &PreparedCosts<'_>,
    motif: &[usize],
    rec: Range<usize>,
    buf: &mut DecodeBuffers,
) -> bool {
    macro_rules! dispatch {
        ($($r:literal => $h:literal),*) => {
            match motif.len() {
                $($r => forward_packed::<$h>(prep, motif, rec.clone(), buf),)*
                _ => return false,
            }
        };
    }
    dispatch!(1 => 2, 2 => 3, 3 => 4, 4 => 5, 5 => 6, 6 => 7, 7 => 8, 8 => 9, 9 => 10,
        10 => 11, 11 => 12, 12 => 13, 13 => 14, 14 => 15, 15 => 16, 16 => 17);
    true
}

fn forward_packed<const H: usize>(
    prep: &PreparedCosts<'_>,
    motif: &[usize],
    rec: Range<usize>,
    buf: &mut DecodeBuffers,
) {
    debug_assert!(motif.len() + 1 == H && H <= MAX_PACKED_LEN + 1);
    let HmmInput { k, beta, .. } = prep.input;
    let r = H - 1;
    let len = rec.len();
    buf.bits.clear();
    buf.bits.resize(len, 0);
    buf.path.clear();
    buf.path.resize(len, 0);
    let bits = &mut buf.bits[..];
    let stride = (k + 2) * BLOCK;
    let t0 = rec.start;
    let mut cur = [f64::INFINITY; H];
    let mut t = t0;
    while t < rec.end {
        let b = t / BLOCK;
        let blk = &prep.blocks[b * stride..(b + 1) * stride];
        let base = b * BLOCK;
        let to = (rec.end - base).min(BLOCK);
        let col = |j: usize| &blk[j * BLOCK..j * BLOCK + to];
        let garbage = col(k);
        let switch = col(k + 1);
        // cols[i] is the emission column of stage i + 1; the last slot is unused.
        let cols: [&[f64]; H] = std::array::from_fn(|i| if i < r { col(motif[i]) } else { &[] });
        let mut from = t - base;
        if t == t0 {
            cur[0] = garbage[from];
            cur[1] = cols[0][from];
            from += 1;
        }
        let out = &mut bits[base + from - t0..base + to - t0];
        for (off, slot) in (from..to).zip(out.iter_mut()) {
            let mut nx = [0.0f64; H];
            let from_last = cur[r] + beta;
            let g_stay = cur[0] + switch[off];
            let gc = from_last < g_stay;
            nx[0] = if gc { from_last } else { g_stay } + garbage[off];
            let mut code = u32::from(gc);
            let mut best = cur[1];
            let mut c1 = 0u32;
            let from_g = cur[0] + beta;
            if from_g < best {
                best = from_g;
                c1 = 1;
            }
            if r > 1 && from_last < best {
                best = from_last;
                c1 = 2;
            }
            nx[1] = best + cols[0][off];
            code |= c1 << 1;
            for i in 2..H {
                let stay = cur[i];
                let adv = cur[i - 1] + beta;
                let a = adv < stay;
                nx[i] = if a { adv } else { stay } + cols[i - 1][off];
                code |= u32::from(a) << (i + 1);
            }
            *slot = code;
            cur = nx;
        }
        t = base + to;
    }
    let mut state = if cur[0] <= cur[r] { 0usize } else { r };
    for off in (0..len).rev() {
        buf.path[off] = state as u8;
        if off == 0 {
            break;
        }
        let code = bits[off];
        state = match state {
            0 => {
                if code & 1 == 0 {
                    0
                } else {
                    r
                }
            }
            1 => match (code >> 1) & 3 {
                0 => 1,
                1 => 0,
                _ => r,
            },
            i => {
                if (code >> (i + 1)) & 1 == 0 {
                    i
                } else {
                    i - 1
                }
            }
        };
    }
}

/// General kernel (any motif length up to `MAX_MOTIF_LEN`), one back-pointer byte per
/// hidden state and timestep.
fn decode_recording(
    prep: &PreparedCosts<'_>,
    motif: &[usize],
    rec: Range<usize>,
    buf: &mut DecodeBuffers,
) {
    let HmmInput { k, beta, .. } = prep.input;
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
    let stride = (k + 2) * BLOCK;

    let t0 = rec.start;
    let mut t = t0;
    while t < rec.end {
        let b = t / BLOCK;
        let blk = &prep.blocks[b * stride..(b + 1) * stride];
        let col = |j: usize| &blk[j * BLOCK..(j + 1) * BLOCK];
        let garbage = col(k);
        let switch = col(k + 1);
        let first_col = col(motif[0]);
        let from = t - b * BLOCK;
        let to = (rec.end - b * BLOCK).min(BLOCK);
        for off in from..to {
            let tt = b * BLOCK + off;
            if tt == t0 {
                cur[0] = garbage[off];
                cur[1] = first_col[off];
                continue;
            }
            let bk = &mut back[(tt - t0) * h..(tt - t0 + 1) * h];
            let last = cur[r];
            let from_last = last + beta;
            // Garbage: from garbage (pays what the plain path pays) or from the last stage.
            let g_stay = cur[0] + switch[off];
            let g_code = from_last < g_stay;
            next[0] = if g_code { from_last } else { g_stay } + garbage[off];
            bk[0] = u8::from(g_code);
            // Stage 1: stay, from garbage, or from the last stage (back-to-back instances).
            let mut best = cur[1];
            let mut code = 0u8;
            let from_g = cur[0] + beta;
            if from_g < best {
                best = from_g;
                code = 1;
            }
            if r > 1 && from_last < best {
                best = from_last;
                code = 2;
            }
            next[1] = best + first_col[off];
            bk[1] = code;
            // Stage i > 1: stay or advance from stage i - 1.
            for i in 2..=r {
                let stay = cur[i];
                let adv = cur[i - 1] + beta;
                let a = adv < stay;
                next[i] = if a { adv } else { stay } + blk[motif[i - 1] * BLOCK + off];
                bk[i] = u8::from(a);
            }
            std::mem::swap(cur, next);
        }
        t = b * BLOCK + to;
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
    let mut off = 0;
    while off < path.len() {
        if current.is_none() && path[off] == 0 {
            // Outside instances: skip the garbage run in one scan.
            match path[off..].iter().position(|&h| h != 0) {
                Some(p) => off += p,
                None => break,
            }
            prev_h = 0;
        }
        let hs = path[off];
        let t = t0 + off;
        // A new pass starts when stage 1 is entered from outside stage 1. (With r == 1 a
        // stay in stage 1 cannot be told from a back-to-back re-entry: a run is one instance.)
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
        off += 1;
    }
    if let Some(inst) = current.take() {
        out.push(inst);
    }
    debug_assert!(out.iter().all(|i| i.stage_starts.len() == r as usize));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The packed fast kernel and the general byte kernel decode the same paths.
    #[test]
    fn packed_and_general_kernels_agree() {
        let mut state = 12345u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        let (t, k) = (9000usize, 4usize);
        let plain: Vec<usize> = (0..t).map(|i| (i / 7 + i / 13) % k).collect();
        let costs: Vec<f64> = (0..t * k)
            .map(|i| {
                if plain[i / k] == i % k {
                    next()
                } else {
                    0.5 + 3.0 * next()
                }
            })
            .collect();
        let recordings = [0..4100, 4100..4100, 4100..t];
        let input = HmmInput {
            costs: &costs,
            k,
            plain: &plain,
            recordings: &recordings,
            beta: 1.5,
            garbage_penalty: 0.2,
        };
        let prep = PreparedCosts::new(&input);
        for motif in [vec![1], vec![0, 1], vec![0, 1, 2], vec![3, 2, 1, 0, 1]] {
            for rec in recordings.iter().filter(|r| !r.is_empty()) {
                let mut a = DecodeBuffers::default();
                let mut b = DecodeBuffers::default();
                assert!(decode_recording_packed(&prep, &motif, rec.clone(), &mut a));
                decode_recording(&prep, &motif, rec.clone(), &mut b);
                assert_eq!(a.path, b.path, "motif {motif:?}");
                assert!(
                    a.path.iter().any(|&h| h != 0),
                    "test should decode some instances"
                );
            }
        }
        let long: Vec<usize> = (0..MAX_PACKED_LEN + 1).map(|i| i % k).collect();
        assert!(!decode_recording_packed(
            &prep,
            &long,
            0..t,
            &mut DecodeBuffers::default()
        ));
    }
}
