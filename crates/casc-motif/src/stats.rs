//! Poisson upper tail in log space, accurate far below the smallest positive `f64`.

/// `ln(n!)`: exact summation for small `n`, Stirling's series (error below 1e-15) beyond.
pub fn ln_factorial(n: u64) -> f64 {
    if n < 30 {
        return (2..=n).map(|i| (i as f64).ln()).sum();
    }
    let x = n as f64;
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    // ln n! = n ln n - n + ln(2 pi n)/2 + 1/(12n) - 1/(360n^3) + 1/(1260n^5) - 1/(1680n^7)
    let series = inv * (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0 - inv2 / 1680.0)));
    x * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI * x).ln() + series
}

/// `ln P(X > c)` for `X ~ Poisson(mean)`.
///
/// When `c + 1 > mean` the terms `P(X = j)` decrease from `j = c + 1` on, and the tail is
/// summed directly from `c + 1` upward, relative to its first term, so the result stays
/// accurate however small the probability is (e.g. `mean = 0.5, c = 60` gives about
/// `ln(5e-103)`). Otherwise the tail is at least about one half and is computed as
/// `ln(1 - P(X <= c))`, the lower tail being summed from `c` downward.
/// Returns `-inf` when `mean == 0` and `0` when `mean` is infinite.
pub fn poisson_log_sf(mean: f64, c: u64) -> f64 {
    if mean.is_nan() || mean < 0.0 {
        return f64::NAN;
    }
    if mean == 0.0 {
        return f64::NEG_INFINITY;
    }
    if mean.is_infinite() {
        return 0.0;
    }
    let ln_mean = mean.ln();
    let ln_term = |j: u64| -mean + j as f64 * ln_mean - ln_factorial(j);
    let j0 = c + 1;
    if j0 as f64 > mean {
        // Sum t_j / t_{j0} for j >= j0; ratio t_{j+1}/t_j = mean/(j+1) < 1 and decreasing.
        let mut sum = 1.0f64;
        let mut term = 1.0f64;
        let mut j = j0;
        loop {
            j += 1;
            let r = mean / j as f64;
            term *= r;
            sum += term;
            // Remaining tail is at most term * r' / (1 - r') with r' = mean / (j + 1).
            let rn = mean / (j + 1) as f64;
            if term * rn / (1.0 - rn) <= sum * 1e-17 || term == 0.0 {
                break;
            }
        }
        ln_term(j0) + sum.ln()
    } else {
        // Lower tail P(X <= c), summed downward from c (terms decrease as j falls).
        let mut sum = 1.0f64;
        let mut term = 1.0f64;
        let mut j = c;
        while j > 0 {
            term *= j as f64 / mean;
            sum += term;
            j -= 1;
            if term <= sum * 1e-17 {
                break;
            }
        }
        let ln_low = ln_term(c) + sum.ln();
        (-ln_low.exp()).ln_1p()
    }
}

/// `P(X > c)` for `X ~ Poisson(mean)`, i.e. `exp(poisson_log_sf(mean, c))`; underflows to 0
/// only below about 1e-308 (use [`poisson_log_sf`] to rank such values).
pub fn poisson_sf(mean: f64, c: u64) -> f64 {
    poisson_log_sf(mean, c).exp()
}

/// `ln C(n, k)`, the logarithm of the binomial coefficient; `-inf` when `k > n`.
pub fn ln_choose(n: u64, k: u64) -> f64 {
    if k > n {
        return f64::NEG_INFINITY;
    }
    ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k)
}

/// One step of the extension chain of [`extension_log_sf`]: of `population` occurrences of a
/// state (those followed by another segment), `successes` are followed by the next stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtensionStep {
    /// Occurrences of the stage's state that are followed by another segment, `N(a+)`.
    pub population: u64,
    /// Those followed by the next stage's state, `N(ab)`.
    pub successes: u64,
}

/// `ln P(X = k)` for `X ~ Hypergeometric(population, successes, draws)`; `-inf` outside the support.
pub fn hypergeometric_log_pmf(population: u64, successes: u64, draws: u64, k: u64) -> f64 {
    if draws > population
        || successes > population
        || k > draws
        || k > successes
        || draws - k > population - successes
    {
        return f64::NEG_INFINITY;
    }
    ln_choose(successes, k) + ln_choose(population - successes, draws - k)
        - ln_choose(population, draws)
}

/// Entries of a distribution below this fraction of its largest one are dropped (the tail
/// they carry is far below the precision of an `f64` sum).
const NEGLIGIBLE: f64 = 1e-40;

/// `ln P(X_r >= observed)` for the extension chain of the Markov null (docs/method.md
/// section 7): `X_2 = start` is fixed and `X_{j+1} | X_j ~ Hypergeometric(N_j, S_j,
/// min(X_j, N_j))` for each step `(N_j, S_j)` in order.
///
/// Computed exactly (up to dropping terms below `1e-40` of the largest) by propagating the
/// distribution over the values `>= observed` only, since the chain never increases; the
/// work is about the square of the chain's spread per step, not of `start`. Returns 0 when
/// `observed == 0` and `-inf` when `observed > start`.
pub fn extension_log_sf(start: u64, steps: &[ExtensionStep], observed: u64) -> f64 {
    if observed == 0 {
        return 0.0;
    }
    if observed > start {
        return f64::NEG_INFINITY;
    }
    // dist[i] is P(X = lo + i) * exp(-scale).
    let mut lo = start;
    let mut dist = vec![1.0f64];
    let mut scale = 0.0f64;
    for &ExtensionStep {
        population: n_pop,
        successes: s,
    } in steps
    {
        // Support of the next value, restricted to >= observed.
        let hi_prev = lo + dist.len() as u64 - 1;
        let new_hi = hi_prev.min(n_pop).min(s);
        if new_hi < observed {
            return f64::NEG_INFINITY;
        }
        let new_lo = observed;
        // First pass: every row's log weight, to pick a common scale.
        let mut weights: Vec<(u64, f64, u64, u64, u64)> = Vec::with_capacity(dist.len());
        let mut new_scale = f64::NEG_INFINITY;
        for (i, &m) in dist.iter().enumerate() {
            if m <= 0.0 {
                continue;
            }
            let x = lo + i as u64;
            let draws = x.min(n_pop);
            let klo = observed.max(draws.saturating_sub(n_pop - s));
            let khi = draws.min(s);
            if klo > khi {
                continue;
            }
            // Start at the mode of the row, clamped to its admissible range.
            let mode = ((draws + 1) as f64 * (s + 1) as f64 / (n_pop + 2) as f64).floor() as u64;
            let k0 = mode.clamp(klo, khi);
            let lw = m.ln() + scale + hypergeometric_log_pmf(n_pop, s, draws, k0);
            new_scale = new_scale.max(lw);
            weights.push((draws, lw, klo, khi, k0));
        }
        if weights.is_empty() {
            return f64::NEG_INFINITY;
        }
        let mut next = vec![0.0f64; (new_hi - new_lo + 1) as usize];
        for &(draws, lw, klo, khi, k0) in &weights {
            let base = (lw - new_scale).exp();
            if base == 0.0 {
                continue;
            }
            // Relative pmf along the row from k0: ratio p(k+1)/p(k).
            let ratio = |k: u64| {
                ((s - k) as f64 * (draws - k) as f64)
                    / ((k + 1) as f64 * (n_pop - s + k + 1 - draws) as f64)
            };
            let mut v = 1.0f64;
            let mut k = k0;
            next[(k - new_lo) as usize] += base;
            while k < khi {
                v *= ratio(k);
                k += 1;
                if v < NEGLIGIBLE {
                    break;
                }
                next[(k - new_lo) as usize] += base * v;
            }
            v = 1.0;
            k = k0;
            while k > klo {
                v /= ratio(k - 1);
                k -= 1;
                if v < NEGLIGIBLE {
                    break;
                }
                next[(k - new_lo) as usize] += base * v;
            }
        }
        // Trim negligible ends.
        let top = next.iter().copied().fold(0.0f64, f64::max);
        if top <= 0.0 {
            return f64::NEG_INFINITY;
        }
        let first = next
            .iter()
            .position(|&v| v >= top * NEGLIGIBLE)
            .unwrap_or(0);
        let last = next
            .iter()
            .rposition(|&v| v >= top * NEGLIGIBLE)
            .unwrap_or(0);
        lo = new_lo + first as u64;
        dist = next[first..=last].to_vec();
        scale = new_scale;
    }
    let total: f64 = dist.iter().sum();
    (total.ln() + scale).min(0.0)
}
