//! Greedy locking of motif instances (docs/method.md section 7).

use std::collections::BTreeMap;

/// An instance as seen by the greedy: which motif, its span (inclusive) and its score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Span {
    /// Index of the motif the instance belongs to.
    pub motif: usize,
    /// First timestep.
    pub start: usize,
    /// Last timestep (inclusive).
    pub end: usize,
    /// Instance score (higher is better).
    pub score: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Unseen,
    Tentative,
    Evicted,
    Locked,
    Skipped,
}

/// Non-overlapping inclusive spans keyed by start, with overlap queries.
#[derive(Default)]
struct SpanSet {
    by_start: BTreeMap<usize, usize>,
}

impl SpanSet {
    fn overlaps(&self, start: usize, end: usize) -> bool {
        // Spans are disjoint, so only the last span starting at or before `end` can overlap.
        self.by_start
            .range(..=end)
            .next_back()
            .is_some_and(|(_, &e)| e >= start)
    }
    fn insert(&mut self, start: usize, end: usize) {
        self.by_start.insert(start, end);
    }
}

/// Greedy assignment (docs/method.md section 7). Returns, for every motif `0..n_motifs`, the indices
/// (into `spans`) of its locked instances in increasing start order; motifs that never reach
/// `min_instances` get an empty list.
///
/// Order: score descending, ties by motif index, then start (explicit, so the result does not
/// depend on the input order). An instance overlapping a locked span is skipped; so is one
/// overlapping a tentative instance of its own motif (impossible for instances decoded from
/// one Viterbi path; the rule keeps locked spans disjoint on arbitrary input). A motif whose
/// tentative count reaches `min_instances` locks them all; a locked motif locks each further
/// non-overlapping instance at once; every lock evicts the tentative instances it overlaps.
#[track_caller]
pub fn greedy(spans: &[Span], n_motifs: usize, min_instances: usize) -> Vec<Vec<usize>> {
    assert!(
        spans.iter().all(|s| s.motif < n_motifs && s.start <= s.end),
        "span with motif >= n_motifs or start > end"
    );
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&spans[a], &spans[b]);
        y.score
            .total_cmp(&x.score)
            .then(x.motif.cmp(&y.motif))
            .then(x.start.cmp(&y.start))
            .then(x.end.cmp(&y.end))
            .then(a.cmp(&b))
    });
    let max_len = spans.iter().map(|s| s.end - s.start).max().unwrap_or(0);

    let mut status = vec![Status::Unseen; spans.len()];
    let mut locked = SpanSet::default();
    // Tentative instances of all motifs, keyed by (start, index); they may overlap.
    let mut tentative: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    let mut tentative_of: Vec<Vec<usize>> = vec![Vec::new(); n_motifs];
    let mut n_tentative = vec![0usize; n_motifs];
    let mut motif_locked = vec![false; n_motifs];
    let mut locked_of: Vec<Vec<usize>> = vec![Vec::new(); n_motifs];

    // Locks instance `id` and evicts every tentative instance overlapping it.
    let lock = |id: usize,
                status: &mut [Status],
                locked: &mut SpanSet,
                tentative: &mut BTreeMap<(usize, usize), usize>,
                n_tentative: &mut [usize],
                locked_of: &mut [Vec<usize>]| {
        let s = spans[id];
        if status[id] == Status::Tentative {
            tentative.remove(&(s.start, id));
            n_tentative[s.motif] -= 1;
        }
        status[id] = Status::Locked;
        locked.insert(s.start, s.end);
        locked_of[s.motif].push(id);
        let lo = s.start.saturating_sub(max_len);
        let victims: Vec<usize> = tentative
            .range((lo, 0)..=(s.end, usize::MAX))
            .filter(|&(_, &e)| e >= s.start)
            .map(|(&(_, j), _)| j)
            .collect();
        for j in victims {
            tentative.remove(&(spans[j].start, j));
            status[j] = Status::Evicted;
            n_tentative[spans[j].motif] -= 1;
        }
    };

    for &id in &order {
        let s = spans[id];
        if locked.overlaps(s.start, s.end) {
            status[id] = Status::Skipped;
            continue;
        }
        if motif_locked[s.motif] {
            lock(
                id,
                &mut status,
                &mut locked,
                &mut tentative,
                &mut n_tentative,
                &mut locked_of,
            );
            continue;
        }
        let lo = s.start.saturating_sub(max_len);
        let clashes_own = tentative
            .range((lo, 0)..=(s.end, usize::MAX))
            .any(|(&(_, j), &e)| e >= s.start && spans[j].motif == s.motif);
        if clashes_own {
            status[id] = Status::Skipped;
            continue;
        }
        status[id] = Status::Tentative;
        tentative.insert((s.start, id), s.end);
        tentative_of[s.motif].push(id);
        n_tentative[s.motif] += 1;
        if n_tentative[s.motif] >= min_instances {
            motif_locked[s.motif] = true;
            let mine = std::mem::take(&mut tentative_of[s.motif]);
            for j in mine {
                // Own tentatives never overlap each other, so none is evicted by a sibling.
                if status[j] == Status::Tentative {
                    lock(
                        j,
                        &mut status,
                        &mut locked,
                        &mut tentative,
                        &mut n_tentative,
                        &mut locked_of,
                    );
                }
            }
        }
    }
    for (m, ids) in locked_of.iter_mut().enumerate() {
        if ids.len() < min_instances || !motif_locked[m] {
            ids.clear();
        }
        ids.sort_by_key(|&a| spans[a].start);
    }
    locked_of
}
