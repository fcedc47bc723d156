//! The null models of the significance test (docs/method.md section 7, step 3), and the
//! correction for testing many candidates.
//!
//! The Markov null: the segment sequence is a first-order Markov chain over states, without
//! self-transitions (a segment never follows itself), with the transition frequencies of the
//! sequence itself. A candidate `w_1 .. w_r` is tested by its extension chain: of the
//! `X_2 = N(w_1 w_2)` occurrences of its first pair (those with room for the rest of the
//! candidate in their recording), `X_3` continue with `w_3`, and so on. Under the null, given
//! the transition counts, each continuation is a draw without replacement from the
//! successors of the state reached: `X_{j+1} | X_j ~ Hypergeometric(N(w_j +), N(w_j w_{j+1}),
//! X_j)`. The expected count is the chain's mean, `N(w_1 w_2) prod_j P(w_j -> w_{j+1})`, and
//! the p-value is `P(X_r >= observed)`.

use std::ops::Range;

use crate::segments::Collapsed;
use crate::stats::{ExtensionStep, extension_log_sf};

/// The null model the significance test compares a candidate's count with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Null {
    /// First-order Markov chain over segments without self-transitions, fitted on the
    /// segment sequence (the default). A candidate counts as a motif only if it recurs more
    /// often than the chain's transitions explain: with 2 states the sequence is forced and
    /// nothing is ever significant; a state that flickers inside another makes `A -> B -> A`
    /// frequent under the chain too.
    #[default]
    Markov,
    /// The reference's null: segment states independent with their frequencies, repeats
    /// tested by a Poisson tail after replacing known modules, with a Bonferroni threshold.
    /// It ignores that a segment never follows itself, so alternations pass it; kept for the
    /// conformance vectors.
    Independent,
}

/// How the p-values of all candidates are corrected for testing many of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    /// Bonferroni: adjusted `p = min(1, m p)`, controlling the chance of any false discovery
    /// (the family-wise error rate). The default: on the synthetic benchmark it finds the
    /// planted motif exactly as often as Benjamini-Hochberg, with fewer extra sub-motifs.
    #[default]
    Bonferroni,
    /// Benjamini-Hochberg: adjusted `p` is the q-value, controlling the expected fraction of
    /// false discoveries among those reported. With no motif in the data it rejects exactly
    /// when Bonferroni does.
    BenjaminiHochberg,
}

/// Adjusted `ln p` for the tested candidates' `ln p`, in the same order, in a family of
/// `family` hypotheses (the untested ones count with `p = 1`; `family` is raised to the
/// number tested if smaller). Capped at 0.
pub fn adjust_log_p(log_p: &[f64], family: usize, correction: Correction) -> Vec<f64> {
    let m = family.max(log_p.len()).max(1) as f64;
    match correction {
        Correction::Bonferroni => log_p.iter().map(|&lp| (lp + m.ln()).min(0.0)).collect(),
        Correction::BenjaminiHochberg => {
            let mut order: Vec<usize> = (0..log_p.len()).collect();
            order.sort_by(|&a, &b| log_p[a].total_cmp(&log_p[b]).then(a.cmp(&b)));
            let mut out = vec![0.0; log_p.len()];
            let mut running = 0.0f64;
            for (rank, &i) in order.iter().enumerate().rev() {
                let q = log_p[i] + m.ln() - ((rank + 1) as f64).ln();
                running = running.min(q);
                out[i] = running;
            }
            out
        }
    }
}

/// The first-order Markov null of a segment sequence (see the module docs).
#[derive(Clone, Debug)]
pub struct MarkovNull {
    k: usize,
    /// `N(ab)`, row-major `k x k` (zero diagonal).
    pairs: Vec<u64>,
    /// `N(a+)`: occurrences of `a` followed by another segment of the same recording.
    out: Vec<u64>,
    /// For every pair, the sorted "room" of its occurrences: the number of segments from the
    /// pair's first segment to the end of its recording, inclusive.
    rooms: Vec<Vec<u32>>,
}

impl MarkovNull {
    /// Fits the chain on `segments` (transitions inside recordings only). States must be `< k`.
    #[track_caller]
    pub fn fit(segments: &Collapsed, k: usize) -> Self {
        let mut pairs = vec![0u64; k * k];
        let mut out = vec![0u64; k];
        let mut rooms = vec![Vec::new(); k * k];
        let mut at = 0;
        for &n in &segments.per_recording {
            let rec: Range<usize> = at..at + n;
            at += n;
            let s = &segments.states[rec];
            for (t, w) in s.windows(2).enumerate() {
                let (a, b) = (w[0], w[1]);
                pairs[a * k + b] += 1;
                out[a] += 1;
                rooms[a * k + b].push((n - t) as u32);
            }
        }
        for v in &mut rooms {
            v.sort_unstable();
        }
        Self {
            k,
            pairs,
            out,
            rooms,
        }
    }

    /// `N(ab)`: transitions from `a` to `b`.
    pub fn pair_count(&self, a: usize, b: usize) -> u64 {
        self.pairs[a * self.k + b]
    }

    /// `P(a -> b) = N(ab) / N(a+)`, 0 when `a` is never followed by a segment.
    pub fn transition(&self, a: usize, b: usize) -> f64 {
        match self.out[a] {
            0 => 0.0,
            n => self.pair_count(a, b) as f64 / n as f64,
        }
    }

    /// Occurrences of the pair `a b` with room for a word of length `len` in their recording.
    pub fn pairs_with_room(&self, a: usize, b: usize, len: usize) -> u64 {
        let v = &self.rooms[a * self.k + b];
        (v.len() - v.partition_point(|&room| (room as usize) < len)) as u64
    }

    /// The extension chain's start and steps for `word` (length >= 2).
    fn chain(&self, word: &[usize]) -> (u64, Vec<ExtensionStep>) {
        let start = self.pairs_with_room(word[0], word[1], word.len());
        let steps = word[1..]
            .windows(2)
            .map(|w| ExtensionStep {
                population: self.out[w[0]],
                successes: self.pair_count(w[0], w[1]),
            })
            .collect();
        (start, steps)
    }

    /// Expected count of `word` under the null: `N(w_1 w_2) prod_{j >= 2} P(w_j -> w_{j+1})`,
    /// counting the first pair's occurrences with room for the word. Panics on a word shorter
    /// than 2 or a state `>= k`.
    #[track_caller]
    pub fn expected_count(&self, word: &[usize]) -> f64 {
        assert!(word.len() >= 2, "a word has at least 2 states");
        let (start, steps) = self.chain(word);
        steps.iter().fold(start as f64, |e, s| {
            if s.population == 0 {
                0.0
            } else {
                e * s.successes as f64 / s.population as f64
            }
        })
    }

    /// `ln P(X_r >= observed)`: the log p-value of `observed` occurrences of `word` (the
    /// non-overlapping count is tested against the chain of overlapping occurrences, which is
    /// conservative for a word that overlaps itself). Panics like
    /// [`MarkovNull::expected_count`].
    #[track_caller]
    pub fn log_p_value(&self, word: &[usize], observed: usize) -> f64 {
        assert!(word.len() >= 2, "a word has at least 2 states");
        let start = self.pairs_with_room(word[0], word[1], word.len());
        self.log_p_extension(word, 2, start, observed)
    }

    /// The extension chain started from a known prefix: `ln P(X_r >= observed)` when
    /// `X_known = start` occurrences of `word[..known]` (with room for the whole word) are
    /// followed, state by state, by the rest of `word`. With `known == 2` and `start` the
    /// first pair's occurrences this is [`MarkovNull::log_p_value`]; a longer `known` asks
    /// whether the word's extension beyond a known motif is more than chance. Panics if
    /// `known` is not in `1..=word.len()` or a state is `>= k`.
    #[track_caller]
    pub fn log_p_extension(
        &self,
        word: &[usize],
        known: usize,
        start: u64,
        observed: usize,
    ) -> f64 {
        assert!(
            (1..=word.len()).contains(&known),
            "the known prefix must be part of the word"
        );
        let steps: Vec<ExtensionStep> = word[known - 1..]
            .windows(2)
            .map(|w| ExtensionStep {
                population: self.out[w[0]],
                successes: self.pair_count(w[0], w[1]),
            })
            .collect();
        extension_log_sf(start, &steps, observed as u64)
    }
}

impl std::fmt::Display for Null {
    /// `markov` or `independent` (what [`str::parse`] accepts).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Null::Markov => "markov",
            Null::Independent => "independent",
        })
    }
}

impl std::str::FromStr for Null {
    type Err = String;
    /// `markov` or `independent`, case-insensitive.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "markov" => Ok(Null::Markov),
            "independent" => Ok(Null::Independent),
            _ => Err(format!("{s:?} is neither `markov` nor `independent`")),
        }
    }
}

impl std::fmt::Display for Correction {
    /// `bh` or `bonferroni` (what [`str::parse`] accepts).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Correction::Bonferroni => "bonferroni",
            Correction::BenjaminiHochberg => "bh",
        })
    }
}

impl std::str::FromStr for Correction {
    type Err = String;
    /// `bh` (or `benjamini-hochberg`) or `bonferroni`, case-insensitive.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "bh" | "benjamini-hochberg" => Ok(Correction::BenjaminiHochberg),
            "bonferroni" => Ok(Correction::Bonferroni),
            _ => Err(format!("{s:?} is neither `bh` nor `bonferroni`")),
        }
    }
}
