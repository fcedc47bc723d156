//! Suffix array (prefix doubling with radix sort), LCP array (Kasai) and maximal repeats over an integer alphabet.

/// Suffix array of `s` over an integer alphabet: the start positions of all suffixes in
/// lexicographic order (a suffix that is a proper prefix of another sorts first).
///
/// Prefix doubling with a counting sort per round: `O(n log n)` worst case, and only a few
/// rounds when repeats are short (each round stops refining once all ranks are distinct).
/// Works on 32-bit indices internally; panics if `s` has `2^32 - 1` symbols or more.
#[track_caller]
pub fn suffix_array(s: &[usize]) -> Vec<usize> {
    let n = s.len();
    if n == 0 {
        return Vec::new();
    }
    assert!(
        n < u32::MAX as usize,
        "suffix_array supports fewer than 2^32 - 1 symbols"
    );
    // Compress the alphabet to 0..m so the counting sorts are O(n + m).
    let mut rank = compress(s);
    let mut m = rank.iter().copied().max().map_or(0, |x| x + 1) as usize;

    let mut sa: Vec<u32> = vec![0; n];
    let mut cnt: Vec<u32> = vec![0; n + 1];
    let identity: Vec<u32> = (0..n as u32).collect();
    counting_sort_by_rank(&identity, &rank, m, &mut cnt, &mut sa);
    let mut second = identity;
    let mut tmp: Vec<u32> = vec![0; n];

    let mut h = 1usize;
    while m < n {
        // Order by the second key (rank of the suffix h further on); suffixes that have no
        // second half come first. Their ranks are already unique, so their order is free.
        let mut w = 0;
        for i in n.saturating_sub(h)..n {
            second[w] = i as u32;
            w += 1;
        }
        for &p in sa.iter() {
            if p as usize >= h {
                second[w] = p - h as u32;
                w += 1;
            }
        }
        debug_assert_eq!(w, n);
        // Stable counting sort by the first key.
        counting_sort_by_rank(&second, &rank, m, &mut cnt, &mut sa);
        // New ranks from the (first, second) key pairs.
        let key2 = |i: usize, rank: &[u32]| rank.get(i + h).map_or(0, |&x| x + 1);
        tmp[sa[0] as usize] = 0;
        for j in 1..n {
            let (a, b) = (sa[j - 1] as usize, sa[j] as usize);
            let differ = rank[a] != rank[b] || key2(a, &rank) != key2(b, &rank);
            tmp[b] = tmp[a] + u32::from(differ);
        }
        std::mem::swap(&mut rank, &mut tmp);
        m = rank[sa[n - 1] as usize] as usize + 1;
        h = h.saturating_mul(2);
    }
    sa.into_iter().map(|x| x as usize).collect()
}

/// Maps the symbols of `s` to dense ranks `0..m` preserving order.
fn compress(s: &[usize]) -> Vec<u32> {
    let max = s.iter().copied().max().unwrap_or(0);
    if max < 4 * s.len() + 1024 {
        let mut present = vec![0u32; max + 1];
        for &x in s {
            present[x] = 1;
        }
        let mut acc = 0;
        for p in present.iter_mut() {
            let was = *p;
            *p = acc;
            acc += was;
        }
        s.iter().map(|&x| present[x]).collect()
    } else {
        let mut sorted = s.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        s.iter()
            .map(|x| sorted.binary_search(x).unwrap_or_default() as u32)
            .collect()
    }
}

/// Stable counting sort of `order` by `rank[order[j]]` (ranks in `0..m`) into `out`.
fn counting_sort_by_rank(order: &[u32], rank: &[u32], m: usize, cnt: &mut [u32], out: &mut [u32]) {
    let cnt = &mut cnt[..=m];
    cnt.fill(0);
    for &i in order {
        cnt[rank[i as usize] as usize + 1] += 1;
    }
    for r in 1..=m {
        cnt[r] += cnt[r - 1];
    }
    for &i in order {
        let r = rank[i as usize] as usize;
        out[cnt[r] as usize] = i;
        cnt[r] += 1;
    }
}

/// LCP array (Kasai et al.): `lcp[j]` is the length of the longest common prefix of the
/// suffixes `sa[j - 1]` and `sa[j]`; `lcp[0] = 0`.
#[track_caller]
pub fn lcp_array(s: &[usize], sa: &[usize]) -> Vec<usize> {
    let n = s.len();
    assert_eq!(
        sa.len(),
        n,
        "suffix array length {} != text length {n}",
        sa.len()
    );
    let mut inv = vec![0usize; n];
    for (j, &p) in sa.iter().enumerate() {
        inv[p] = j;
    }
    let mut lcp = vec![0usize; n];
    let mut h = 0usize;
    for i in 0..n {
        let j = inv[i];
        if j == 0 {
            h = 0;
            continue;
        }
        let p = sa[j - 1];
        while i + h < n && p + h < n && s[i + h] == s[p + h] {
            h += 1;
        }
        lcp[j] = h;
        h = h.saturating_sub(1);
    }
    lcp
}

/// A maximal repeat given as an interval of the suffix array: the suffixes
/// `sa[lb..=rb]` are exactly its occurrences.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RepeatInterval {
    /// Length of the repeat (number of symbols).
    pub len: usize,
    /// First suffix-array index of its occurrences.
    pub lb: usize,
    /// Last suffix-array index of its occurrences (inclusive).
    pub rb: usize,
}

/// All maximal repeats of length at least `min_len` as suffix-array intervals (bottom-up
/// traversal of the LCP intervals; an LCP interval is right-maximal by construction and
/// is kept when its occurrences are preceded by at least two different symbols, the text
/// start counting as a symbol of its own).
#[track_caller]
pub fn maximal_repeat_intervals(
    s: &[usize],
    sa: &[usize],
    lcp: &[usize],
    min_len: usize,
) -> Vec<RepeatInterval> {
    let n = s.len();
    assert!(sa.len() == n && lcp.len() == n, "sa/lcp length mismatch");
    if n < 2 {
        return Vec::new();
    }
    // Prefix count of positions j where the left symbol differs from that of j - 1.
    let left = |j: usize| {
        if sa[j] == 0 { usize::MAX } else { s[sa[j] - 1] }
    };
    let mut diff_prefix = vec![0u32; n];
    for j in 1..n {
        diff_prefix[j] = diff_prefix[j - 1] + u32::from(left(j) != left(j - 1));
    }
    let min_len = min_len.max(1);
    let mut out = Vec::new();
    // Stack of (lcp value, left bound).
    let mut stack: Vec<(usize, usize)> = vec![(0, 0)];
    for i in 1..=n {
        let cur = lcp.get(i).copied().unwrap_or(0);
        let mut lb = i - 1;
        while let Some(&(top_lcp, top_lb)) = stack.last() {
            if cur >= top_lcp {
                break;
            }
            stack.pop();
            let rb = i - 1;
            if top_lcp >= min_len && diff_prefix[rb] > diff_prefix[top_lb] {
                out.push(RepeatInterval {
                    len: top_lcp,
                    lb: top_lb,
                    rb,
                });
            }
            lb = top_lb;
        }
        if stack.last().is_none_or(|&(top_lcp, _)| cur > top_lcp) {
            stack.push((cur, lb));
        }
    }
    out
}

/// A maximal repeat with its symbols and sorted start positions.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Repeat {
    /// The repeated symbols.
    pub symbols: Vec<usize>,
    /// Start positions of all (possibly overlapping) occurrences, increasing.
    pub positions: Vec<usize>,
}

/// All maximal repeats of `s` of length at least `min_len`, sorted by symbols.
pub fn maximal_repeats(s: &[usize], min_len: usize) -> Vec<Repeat> {
    let sa = suffix_array(s);
    let lcp = lcp_array(s, &sa);
    let mut out: Vec<Repeat> = maximal_repeat_intervals(s, &sa, &lcp, min_len)
        .into_iter()
        .map(|iv| {
            let mut positions = sa[iv.lb..=iv.rb].to_vec();
            positions.sort_unstable();
            Repeat {
                symbols: s[positions[0]..positions[0] + iv.len].to_vec(),
                positions,
            }
        })
        .collect();
    out.sort();
    out
}

/// Number of non-overlapping occurrences of a pattern of length `len` among the sorted
/// start `positions`, taken greedily from the left.
pub fn count_non_overlapping(positions: &[usize], len: usize) -> usize {
    let mut count = 0;
    let mut free_from = 0usize;
    for &p in positions {
        if count == 0 || p >= free_from {
            count += 1;
            free_from = p + len;
        }
    }
    count
}
