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
