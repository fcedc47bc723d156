//! The small pieces of HTML every section uses: escaping, number formatting (numbers are
//! rounded for reading, with the text the files have in a tooltip), state colours and
//! key/value rows.

use std::fmt::Write as _;

/// Colour of state `s` among `k`: Tableau 10 / 20 style categorical colours, then evenly
/// spaced hues for larger `k`.
pub(crate) fn state_color(s: usize, k: usize) -> String {
    const P10: [&str; 10] = [
        "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#edc948", "#76b7b2", "#ff9da7",
        "#9c755f", "#bab0ac",
    ];
    const P20: [&str; 20] = [
        "#4e79a7", "#a0cbe8", "#f28e2b", "#ffbe7d", "#59a14f", "#8cd17d", "#b6992d", "#f1ce63",
        "#499894", "#86bcb6", "#e15759", "#ff9d9a", "#79706e", "#bab0ac", "#d37295", "#fabfd2",
        "#b07aa1", "#d4a6c8", "#9d7660", "#d7b5a6",
    ];
    if k <= 10 && s < 10 {
        P10[s].into()
    } else if k <= 20 && s < 20 {
        P20[s].into()
    } else {
        let hue = (s as f64 * 137.508) % 360.0;
        let light = if s.is_multiple_of(2) { 55 } else { 70 };
        format!("hsl({hue:.0},60%,{light}%)")
    }
}

/// A key/value row of a `kv` table; `v_html` is already HTML.
pub(crate) fn kv(h: &mut String, k: &str, v_html: &str) {
    let _ = writeln!(
        h,
        "<tr><th>{}</th><td>{v_html}</td></tr>",
        esc(&k.replace('_', " "))
    );
}

/// `"s"` unless `n` is 1.
pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `s` cut to `max` characters, the last one an ellipsis when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('\u{2026}');
        t
    }
}

/// HTML-escapes text for element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// The dash shown for a missing value (`null` in the files).
pub(crate) const DASH: &str = "&#8212;";

/// A number read from the folder's JSON, as the text serde_json wrote for it (the shortest text
/// that reads back as `v`: `25.0`, `8.536723575373206e-29`); a dash if not finite. For
/// tooltips: the page shows [`num_html`].
pub(crate) fn fmt_num(v: f64) -> String {
    serde_json::Number::from_f64(v).map_or_else(|| DASH.into(), |n| n.to_string())
}

/// `v` rounded for reading: integers as they are, one decimal from 100 on (`1255.7`), four
/// significant digits below (`0.01235`, `12.35`), and three in scientific notation for very
/// small or very large magnitudes (`8.54e-29`); trailing zeros dropped.
pub(crate) fn fmt_round(v: f64) -> String {
    if !v.is_finite() {
        return DASH.into();
    }
    let a = v.abs();
    if v.fract() == 0.0 && a < 1e9 {
        return format!("{}", v as i64);
    }
    let trim = |s: String| {
        if s.contains('.') && !s.contains('e') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if !(1e-3..1e9).contains(&a) {
        let s = format!("{v:.2e}");
        // 1.50e-7 -> 1.5e-7
        return match s.split_once('e') {
            Some((m, e)) => format!("{}e{e}", trim(m.to_string())),
            None => s,
        };
    }
    if a >= 100.0 {
        return trim(format!("{v:.1}"));
    }
    let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
    trim(format!("{v:.decimals$}"))
}

/// A number from the folder's files as HTML: its own text when that is short (`0.001`,
/// `25.0`), else rounded ([`fmt_round`]) with the file's text in a tooltip; a dash if not
/// finite.
pub(crate) fn num_html(v: f64) -> String {
    let exact = fmt_num(v);
    if !v.is_finite() || exact.len() <= 7 {
        return exact;
    }
    format!("<span title=\"{exact}\">{}</span>", fmt_round(v))
}

/// [`num_html`] of a number that may be `null` in the file.
pub(crate) fn fmt_opt(v: Option<f64>) -> String {
    v.map_or_else(|| DASH.into(), num_html)
}

/// A JSON value as HTML: numbers as [`num_html`] shows them, strings escaped, `true`/`false`
/// as yes/no, `null` as a dash, lists comma-separated, objects as `key: value` pairs.
pub(crate) fn fmt_value(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => DASH.into(),
        Value::Bool(b) => (if *b { "yes" } else { "no" }).into(),
        Value::Number(n) => match (n.as_f64(), n.is_f64()) {
            (Some(x), true) => num_html(x),
            _ => esc(&n.to_string()),
        },
        Value::String(s) => esc(s),
        Value::Array(a) => a.iter().map(fmt_value).collect::<Vec<_>>().join(", "),
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| format!("{}: {}", esc(k), fmt_value(v)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// Integers as a comma-separated list (`14, 10, 16`).
pub(crate) fn fmt_list(v: &[usize]) -> String {
    v.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A number computed for the page (not read from a file): the shortest text that reads back as
/// `v`, in scientific notation when very small or large.
pub(crate) fn fmt_f64(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let a = v.abs();
    if a != 0.0 && !(1e-5..1e16).contains(&a) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Three significant digits (for scales, not for run outputs).
pub(crate) fn fmt_sig(v: f64) -> String {
    let s = format!("{v:.2e}");
    s.parse::<f64>().map_or(s, fmt_f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::P0;

    #[test]
    fn numbers_read_back_keep_their_text() {
        // Values with 17 significant digits, which a fast float parser may round differently:
        // written by serde_json, read back through a typed field, shown with the file's text.
        let vals = [
            29180.343370998835,
            0.1 + 0.2,
            1e-300,
            123456789.12345679,
            -6.626524252378694,
            P0,
            5e-324,
            25.0,
            1e16,
        ];
        for v in vals {
            let t = serde_json::to_string(&v).unwrap();
            let back: Option<f64> = serde_json::from_str(&t).unwrap();
            assert_eq!(back, Some(v), "{t}");
            assert_eq!(back.map(fmt_num), Some(t.clone()));
            assert!(fmt_opt(back).contains(&t), "the file's text is on the page");
            assert_eq!(fmt_f64(v).parse::<f64>().unwrap(), v);
        }
        assert_eq!(fmt_opt(None), DASH);
        assert_eq!(fmt_num(f64::NAN), DASH);
        let v: serde_json::Value = serde_json::from_str(r#"[3, 2.50, true, null, "a<b"]"#).unwrap();
        assert_eq!(fmt_value(&v), "3, 2.5, yes, &#8212;, a&lt;b");
    }

    #[test]
    fn numbers_are_rounded_for_reading_with_the_exact_text_at_hand() {
        assert_eq!(fmt_round(1255.6782999788313), "1255.7");
        assert_eq!(fmt_round(29180.343370998835), "29180.3");
        assert_eq!(fmt_round(12.3456), "12.35");
        assert_eq!(fmt_round(0.012345678901234567), "0.01235");
        assert_eq!(fmt_round(9.693378643803586), "9.693");
        assert_eq!(fmt_round(25.0), "25");
        assert_eq!(fmt_round(-6.626524252378694), "-6.627");
        assert_eq!(fmt_round(P0), "8.54e-29");
        assert_eq!(fmt_round(1.5e-7), "1.5e-7");
        assert_eq!(fmt_round(2.5e12), "2.5e12");
        assert_eq!(fmt_round(0.1 + 0.2), "0.3");
        assert_eq!(fmt_round(f64::NAN), DASH);
        assert_eq!(num_html(0.001), "0.001");
        assert_eq!(num_html(25.0), "25.0");
        assert_eq!(
            num_html(1255.6782999788313),
            "<span title=\"1255.6782999788313\">1255.7</span>"
        );
        assert_eq!(fmt_opt(None), DASH);
        let v: serde_json::Value = serde_json::from_str("[3, 0.30000000000000004]").unwrap();
        assert_eq!(
            fmt_value(&v),
            "3, <span title=\"0.30000000000000004\">0.3</span>"
        );
    }

    #[test]
    fn escaping() {
        assert_eq!(
            esc("<a href='x'>&</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"
        );
        assert_eq!(truncate("abcdef", 4), "abc\u{2026}");
        assert_eq!(truncate("abc", 4), "abc");
    }

    #[test]
    fn state_colours_are_distinct() {
        let colours: std::collections::HashSet<_> = (0..30).map(|s| state_color(s, 30)).collect();
        assert_eq!(colours.len(), 30);
        assert_eq!(state_color(0, 10), "#4e79a7");
        assert_eq!(state_color(1, 20), "#a0cbe8");
    }
}
