//! The cells of a time column: a number (seconds, a sample index, any increasing count) or an
//! ISO-8601 date and time.
//!
//! A small parser of its own rather than a date-time crate: a time column is only checked
//! here (its text is carried into the outputs as written), so the subset of ISO-8601 that
//! sensor exports use is all that is needed: `YYYY-MM-DD`, then optionally `T` or a space,
//! `HH:MM`, `:SS`, a fraction of any length (`.` or `,`), and `Z` or an offset (`+HH:MM`,
//! `+HHMM`, `+HH`).

/// Seconds since 1970-01-01T00:00:00Z of an ISO-8601 timestamp (a time without an offset is
/// read as UTC), or `None` when `s` is not one.
pub fn parse_iso8601(text: &str) -> Option<f64> {
    let b = text.as_bytes();
    let digits = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0i64, |v, d| v * 10 + i64::from(d - b'0')))
    };
    let year = digits(0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (month, day) = (digits(5, 2)?, digits(8, 2)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut seconds = days_from_civil(year, month, day) as f64 * 86_400.0;
    let mut i = 10;
    if i == b.len() {
        return Some(seconds);
    }
    if !matches!(b[i], b'T' | b't' | b' ') {
        return None;
    }
    i += 1;
    let (hour, minute) = (digits(i, 2)?, digits(i + 3, 2)?);
    if b.get(i + 2) != Some(&b':') || hour > 23 || minute > 59 {
        return None;
    }
    i += 5;
    let mut second = 0.0;
    if b.get(i) == Some(&b':') {
        let s = digits(i + 1, 2)?;
        if s > 60 {
            return None;
        }
        second = s as f64;
        i += 3;
        if matches!(b.get(i), Some(b'.' | b',')) {
            let start = i + 1;
            let mut end = start;
            while b.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            if end == start {
                return None;
            }
            let frac: f64 = format!("0.{}", &text[start..end]).parse().ok()?;
            second += frac;
            i = end;
        }
    }
    seconds += (hour * 3600 + minute * 60) as f64 + second;
    match b.get(i) {
        None => Some(seconds),
        Some(b'Z' | b'z') if i + 1 == b.len() => Some(seconds),
        Some(&sign @ (b'+' | b'-')) => {
            let oh = digits(i + 1, 2)?;
            let rest = &b[i + 3..];
            let om = match rest {
                [] => 0,
                [b':', _, _] => digits(i + 4, 2)?,
                [_, _] => digits(i + 3, 2)?,
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let offset = (oh * 3600 + om * 60) as f64;
            Some(if sign == b'+' {
                seconds - offset
            } else {
                seconds + offset
            })
        }
        _ => None,
    }
}

/// A time cell: a finite number, or an ISO-8601 timestamp (as seconds since 1970, UTC).
pub fn parse_time(s: &str) -> Option<f64> {
    match s.parse::<f64>() {
        Ok(v) => v.is_finite().then_some(v),
        Err(_) => parse_iso8601(s),
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_timestamps() {
        assert_eq!(parse_iso8601("1970-01-01"), Some(0.0));
        assert_eq!(parse_iso8601("1970-01-01 00:04:40.000"), Some(280.0));
        assert_eq!(parse_iso8601("1970-01-01T00:04:40.25Z"), Some(280.25));
        assert_eq!(parse_iso8601("1970-01-01T01:00+01:00"), Some(0.0));
        assert_eq!(parse_iso8601("1970-01-01T00:00-0130"), Some(5400.0));
        assert_eq!(parse_iso8601("1970-01-01T05:00:00+05"), Some(0.0));
        // 2000-03-01 is 11017 days after 1970-01-01 (checked with `date -d 2000-03-01 +%s`).
        assert_eq!(parse_iso8601("2000-03-01"), Some(11017.0 * 86400.0));
        assert_eq!(parse_iso8601("2024-02-29T12:30:00"), Some(1709209800.0));
        assert_eq!(parse_iso8601("1969-12-31T23:59:59"), Some(-1.0));
        for bad in [
            "",
            "2023-02-29",
            "2024-13-01",
            "2024-01-01T24:00",
            "2024-01-01T10",
            "2024-01-01T10:00:00.",
            "2024-01-01X10:00",
            "2024-01-01T10:00Zx",
            "24-01-01",
            "abc",
            "2024-01-01T10:00+1",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad:?}");
        }
        assert_eq!(parse_time("12.5"), Some(12.5));
        assert_eq!(parse_time("inf"), None);
        assert_eq!(parse_time("2024-01-01"), Some(1704067200.0));
    }
}
