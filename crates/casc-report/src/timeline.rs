//! "States over time": the legend and one SVG with the state strip, a lane per sensor (the
//! line itself, or its min/max envelope and mean when there are more timesteps than pixels),
//! a lane per motif, recording boundaries and the time axis; full-resolution detail windows
//! under the overview of a long series (chosen along it, or as asked), each one collapsible.

use std::fmt::Write as _;

use crate::downsampling::{TimeAxis, clip_runs, column_means, envelope, pixel_bands};
use crate::html::{esc, fmt_f64, state_color, truncate};
use crate::input::ReportInput;
use crate::motifs;

/// Width in pixels of the time axis of the timeline plot.
const PLOT_W: usize = 1200;
/// Left margin of the timeline (sensor names).
const MARGIN_L: usize = 120;
/// Right margin of the timeline.
const MARGIN_R: usize = 36;
/// The colour of the sensor lines.
const SENSOR_INK: &str = "#2f3a46";

/// The section's content: legend, the note on the sensor values if any, the overview and the
/// detail windows.
pub(crate) fn section(input: &ReportInput, h: &mut String) {
    legend(input, h);
    if let Some(note) = &input.data_note {
        let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(note));
    }
    let n_steps = input.n_steps();
    timeline_svg(input, h, 0, n_steps);
    let windows = detail_windows(input);
    for (i, (lo, hi, why)) in windows.iter().enumerate() {
        let _ = writeln!(
            h,
            "<details class=\"detail\"{}><summary>Detail: timesteps {lo} to {}{}{}</summary>",
            if i == 0 { " open=\"open\"" } else { "" },
            hi - 1,
            time_span(input, *lo, *hi),
            if why.is_empty() {
                String::new()
            } else {
                format!(" <span class=\"dim\">({why})</span>")
            }
        );
        timeline_svg(input, h, *lo, *hi);
        h.push_str("</details>\n");
    }
    if !windows.is_empty() && input.options.details.is_none() {
        h.push_str("<p class=\"dim small\">Other detail windows: <code>casc report DIR --detail T1,T2 --detail-length N</code>.</p>\n");
    }
}

/// ` (time a to b)` for timesteps `[lo, hi)` when the data has a time column.
fn time_span(input: &ReportInput, lo: usize, hi: usize) -> String {
    match input.data.as_ref().and_then(|d| d.time()) {
        Some(t) if hi > lo && hi <= t.values.len() => format!(
            " &#183; {} {} to {}",
            esc(&t.name),
            esc(&t.values[lo]),
            esc(&t.values[hi - 1])
        ),
        _ => String::new(),
    }
}

/// The detail windows `[lo, hi)` with why each was chosen: the ones asked for, else, for a
/// series longer than the overview shows at full resolution, one around the first motif
/// instance and three spread along the series (without windows that mostly overlap).
pub(crate) fn detail_windows(input: &ReportInput) -> Vec<(usize, usize, String)> {
    let n = input.n_steps();
    let len = input.options.detail_length.clamp(1, n.max(1));
    if n == 0 {
        return Vec::new();
    }
    let last = n - len;
    if let Some(starts) = &input.options.details {
        return starts
            .iter()
            .map(|&s| (s.min(last), s.min(last) + len, String::new()))
            .collect();
    }
    if n <= 2 * PLOT_W {
        return Vec::new();
    }
    let mut candidates = Vec::new();
    if let Some(first) = input
        .motifs
        .iter()
        .flat_map(|m| m.instances.iter().map(|i| i.start))
        .min()
    {
        candidates.push((
            first.saturating_sub(len / 8).min(last),
            "around the first motif instance",
        ));
    }
    candidates.extend([
        (0, "the start"),
        (last / 2, "the middle"),
        (last, "the end"),
    ]);
    let mut windows: Vec<(usize, usize, String)> = Vec::new();
    for (lo, why) in candidates {
        if windows.iter().all(|w| w.0.abs_diff(lo) * 2 > len) {
            windows.push((lo, lo + len, why.to_string()));
        }
    }
    windows
}

/// One chip per state colour, with the state's timesteps.
fn legend(input: &ReportInput, h: &mut String) {
    h.push_str("<div class=\"legend\">");
    let k = input.n_colors();
    for s in 0..k {
        let count = input
            .timesteps_of(s)
            .map_or_else(String::new, |t| format!(" <span class=\"dim\">{t}</span>"));
        let _ = write!(
            h,
            "<span class=\"chip\"><span class=\"sw\" style=\"background:{}\"></span>state {s}{count}</span>",
            state_color(s, k)
        );
    }
    h.push_str("</div>\n");
}

/// Sensors (one lane each, min/max envelope per pixel column), state bands, motif lanes and
/// time axis of timesteps `[lo, hi)`.
fn timeline_svg(input: &ReportInput, h: &mut String, lo: usize, hi: usize) {
    let span = hi - lo;
    let k = input.n_colors();
    let data = input.data.as_ref();
    let n_lanes = data.map_or(0, |d| d.n_sensors());
    let lane_h = if n_lanes == 0 {
        0.0
    } else {
        (420.0 / n_lanes as f64).clamp(22.0, 72.0)
    };
    let strip_h = 22.0;
    let several = input.recordings().len() > 1;
    let strip_y = if several { 24.0 } else { 8.0 };
    let lanes_y = strip_y + strip_h + 6.0;
    let lanes_h = lane_h * n_lanes as f64;
    let motifs_y = lanes_y + lanes_h + if n_lanes > 0 { 10.0 } else { 0.0 };
    let motifs_h = motifs::LANE_H * input.motifs.len() as f64;
    let axis_y = motifs_y + motifs_h + 4.0;
    let height = axis_y + 34.0;
    let width = MARGIN_L + PLOT_W + MARGIN_R;
    let axis = TimeAxis {
        lo,
        span,
        left: MARGIN_L as f64,
        width: PLOT_W as f64,
    };
    let _ = writeln!(
        h,
        "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height:.0}\" width=\"{width}\" height=\"{height:.0}\" font-family=\"sans-serif\" font-size=\"12\">"
    );

    // State bands: merged runs in pixel space.
    let bands = pixel_bands(&clip_runs(&input.runs, lo, hi), span, PLOT_W);
    let _ = writeln!(h, "<g class=\"strip\"><title>state per timestep</title>");
    for &(x0, x1, s) in &bands {
        let _ = writeln!(
            h,
            "<rect x=\"{:.2}\" y=\"{strip_y}\" width=\"{:.2}\" height=\"{strip_h}\" fill=\"{}\"/>",
            MARGIN_L as f64 + x0,
            x1 - x0,
            state_color(s, k)
        );
    }
    h.push_str("</g>\n");
    let _ = writeln!(
        h,
        "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" class=\"lab\">state</text>",
        MARGIN_L - 6,
        strip_y + strip_h / 2.0 + 4.0
    );
    if n_lanes > 0 {
        let _ = writeln!(h, "<g class=\"bands\" opacity=\"0.4\">");
        for &(x0, x1, s) in &bands {
            let _ = writeln!(
                h,
                "<rect x=\"{:.2}\" y=\"{lanes_y:.1}\" width=\"{:.2}\" height=\"{lanes_h:.1}\" fill=\"{}\"/>",
                MARGIN_L as f64 + x0,
                x1 - x0,
                state_color(s, k)
            );
        }
        h.push_str("</g>\n");
    }

    if let Some(d) = data {
        let n = d.n_sensors();
        let vals = &d.values()[lo * n..hi * n];
        for j in 0..n {
            let y0 = lanes_y + j as f64 * lane_h;
            let name = input
                .sensor_names()
                .get(j)
                .cloned()
                .unwrap_or_else(|| format!("column {j}"));
            sensor_lane(h, vals, n, j, &name, axis, y0, lane_h);
        }
    }

    motifs::lanes(h, &input.motifs, axis, lo, hi, motifs_y, k);

    // Recording boundaries, named above the state strip where the name fits (the whole name
    // on hover).
    let mut unnamed = 0;
    if several {
        let shown: Vec<&casc::Recording> = input
            .recordings()
            .iter()
            .filter(|r| r.range.start < hi && r.range.end > lo)
            .collect();
        let prefix = common_prefix(input.recordings());
        let mut hidden = 0;
        for (i, r) in shown.iter().enumerate() {
            let s = r.range.start;
            let x = axis.x(s.max(lo) as f64);
            let x_end = axis.x(r.range.end.min(hi) as f64);
            if s >= lo {
                let _ = writeln!(
                    h,
                    "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{axis_y:.1}\" class=\"rec\"/>",
                    strip_y - 16.0
                );
            }
            let _ = writeln!(
                h,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"16\" fill=\"#000\" fill-opacity=\"0\"><title>{} [{}, {})</title></rect>",
                strip_y - 17.0,
                (x_end - x).max(0.5),
                esc(&r.name),
                r.range.start,
                r.range.end
            );
            let next = shown
                .get(i + 1)
                .map_or((MARGIN_L + PLOT_W) as f64, |n| axis.x(n.range.start as f64));
            let room = ((next - x - 8.0) / 6.8).floor();
            if room >= 2.0 {
                let room = (room as usize).min(32);
                let _ = writeln!(
                    h,
                    "<text x=\"{:.1}\" y=\"{:.1}\" class=\"reclab\">{}</text>",
                    x + 4.0,
                    strip_y - 5.0,
                    esc(&truncate(&short_name(&r.name, prefix, room), room))
                );
            } else {
                hidden += 1;
            }
        }
        unnamed = hidden;
    }

    // Time axis.
    let _ = writeln!(
        h,
        "<line x1=\"{MARGIN_L}\" x2=\"{}\" y1=\"{axis_y:.1}\" y2=\"{axis_y:.1}\" class=\"axis\"/>",
        MARGIN_L + PLOT_W
    );
    for t in nice_ticks(lo, hi, 10) {
        let x = axis.x(t as f64);
        let _ = writeln!(
            h,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{axis_y:.1}\" y2=\"{:.1}\" class=\"axis\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" class=\"tick\">{t}</text>",
            axis_y + 5.0,
            axis_y + 18.0
        );
    }
    let _ = writeln!(
        h,
        "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" class=\"tick\">timestep</text>",
        MARGIN_L + PLOT_W,
        axis_y + 31.0
    );
    h.push_str("</svg>\n");
    if unnamed > 0 {
        let _ = writeln!(
            h,
            "<p class=\"dim small\">{unnamed} recording names do not fit above their recording: hover the strip above the states for them (the detail windows show more).</p>"
        );
    }
    if span > PLOT_W {
        let _ = writeln!(
            h,
            "<p class=\"dim small\">Each pixel column covers about {} timesteps: {}the state band shows the state holding most of the column's timesteps.</p>",
            fmt_f64((span as f64 / PLOT_W as f64 * 10.0).round() / 10.0),
            if data.is_some() {
                "sensors are drawn as the band between their minimum and maximum in the column with a line through their mean (each sensor on its own vertical scale: hover its name for the range), and "
            } else {
                ""
            }
        );
    } else if data.is_some() {
        h.push_str("<p class=\"dim small\">Each sensor has its own vertical scale, fitted to the timesteps shown (hover its name for the range).</p>\n");
    }
}

/// The lane of sensor `j` of the row-major `vals` (`n` per row, the timesteps shown), at
/// height `y0`: its name, and its line or envelope on its own vertical scale.
#[allow(clippy::too_many_arguments)] // one lane's geometry; called once per sensor
fn sensor_lane(
    h: &mut String,
    vals: &[f64],
    n: usize,
    j: usize,
    name: &str,
    axis: TimeAxis,
    y0: f64,
    lane_h: f64,
) {
    let span = axis.span;
    let (v_lo, v_hi) = finite_range(vals.iter().skip(j).step_by(n).copied());
    let pad = (v_hi - v_lo) * 0.06;
    let (v_lo, v_hi) = (v_lo - pad, v_hi + pad);
    let yv = |v: f64| y0 + 2.0 + (lane_h - 4.0) * (v_hi - v) / (v_hi - v_lo);
    let _ = writeln!(
        h,
        "<line x1=\"{MARGIN_L}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" class=\"sep\"/>",
        MARGIN_L + PLOT_W,
        y0 + lane_h,
        y0 + lane_h
    );
    let _ = writeln!(
        h,
        "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" class=\"lab\">{}<title>{}: {} to {}</title></text>",
        MARGIN_L - 6,
        y0 + lane_h / 2.0 + 4.0,
        esc(&truncate(name, 16)),
        esc(name),
        fmt_f64(v_lo + pad),
        fmt_f64(v_hi - pad)
    );
    let px = |c: usize| MARGIN_L as f64 + c as f64 + 0.5;
    if span <= 2 * PLOT_W {
        let mut pts = String::with_capacity(span * 14);
        for t in 0..span {
            let v = vals[t * n + j];
            if v.is_finite() {
                let _ = write!(
                    pts,
                    "{:.1},{:.1} ",
                    axis.x((axis.lo + t) as f64 + 0.5),
                    yv(v)
                );
            }
        }
        let _ = writeln!(
            h,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{SENSOR_INK}\" stroke-width=\"0.9\"/>",
            pts.trim_end()
        );
        return;
    }
    let env = envelope(vals, n, j, span, PLOT_W);
    let mut pts = String::with_capacity(PLOT_W * 26);
    for (c, &(_, mx)) in env.iter().enumerate() {
        if mx.is_finite() {
            let _ = write!(pts, "{:.1},{:.1} ", px(c), yv(mx) - 0.3);
        }
    }
    for (c, &(mn, mx)) in env.iter().enumerate().rev() {
        if mx.is_finite() {
            let _ = write!(pts, "{:.1},{:.1} ", px(c), yv(mn) + 0.3);
        }
    }
    let _ = writeln!(
        h,
        "<polygon points=\"{}\" fill=\"{SENSOR_INK}\" fill-opacity=\"0.42\" stroke=\"none\"/>",
        pts.trim_end()
    );
    let mut mean_pts = String::with_capacity(PLOT_W * 13);
    for (c, m) in column_means(vals, n, j, span, PLOT_W)
        .into_iter()
        .enumerate()
    {
        if m.is_finite() {
            let _ = write!(mean_pts, "{:.1},{:.1} ", px(c), yv(m));
        }
    }
    let _ = writeln!(
        h,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{SENSOR_INK}\" stroke-width=\"1\"/>",
        mean_pts.trim_end()
    );
}

/// The characters all recording names start with (`recording_` of `recording_01`, ...).
fn common_prefix(recordings: &[casc::Recording]) -> usize {
    let Some(first) = recordings.first() else {
        return 0;
    };
    let mut len = first.name.chars().count();
    for r in &recordings[1..] {
        len = first
            .name
            .chars()
            .zip(r.name.chars())
            .take(len)
            .take_while(|(a, b)| a == b)
            .count();
    }
    len
}

/// A recording's name for a label with room for `room` characters: the name, or, when it is
/// longer and every name shares a prefix, an ellipsis and what follows the prefix.
fn short_name(name: &str, prefix: usize, room: usize) -> String {
    if name.chars().count() <= room || prefix < 3 {
        return name.to_string();
    }
    let rest: String = name.chars().skip(prefix).collect();
    format!("\u{2026}{rest}")
}

/// The smallest and largest finite value, widened when they are (nearly) equal; `(-1, 1)`
/// when there is none.
fn finite_range(it: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in it.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (-1.0, 1.0);
    }
    if hi - lo <= f64::EPSILON * lo.abs().max(1.0) {
        return (lo - 1.0, hi + 1.0);
    }
    (lo, hi)
}

/// Tick positions in `[lo, hi]`: the multiples of a step of 1, 2 or 5 times a power of ten
/// giving about `target` intervals.
fn nice_ticks(lo: usize, hi: usize, target: usize) -> Vec<usize> {
    let n = hi.saturating_sub(lo);
    if n == 0 {
        return vec![lo];
    }
    let raw = n as f64 / target as f64;
    let p = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p)
        .max(1.0) as usize;
    (lo.div_ceil(step)..=hi / step).map(|i| i * step).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::input::OutputFiles;
    use crate::markup_check::check_markup;
    use crate::test_support::{fit_summary, render_small, sym};

    #[test]
    fn recording_labels_keep_what_tells_them_apart() {
        let recs: Vec<casc::Recording> = (0..3)
            .map(|i| casc::Recording {
                name: format!("recording_{i:02}"),
                range: i * 10..i * 10 + 10,
            })
            .collect();
        let p = common_prefix(&recs);
        assert_eq!(p, "recording_0".len());
        assert_eq!(short_name("recording_01", p, 5), "\u{2026}1");
        assert_eq!(short_name("recording_01", p, 20), "recording_01");
        assert_eq!(short_name("abc", 0, 2), "abc");
    }

    #[test]
    fn ticks() {
        assert_eq!(
            nice_ticks(0, 3000, 10),
            (0..=6).map(|i| i * 500).collect::<Vec<_>>()
        );
        assert_eq!(
            nice_ticks(1234, 2234, 10),
            (13..=22).map(|i| i * 100).collect::<Vec<_>>()
        );
        assert_eq!(nice_ticks(0, 7, 10), (0..=7).collect::<Vec<_>>());
        assert_eq!(finite_range([f64::NAN].into_iter()), (-1.0, 1.0));
        assert_eq!(finite_range([2.0, 2.0].into_iter()), (1.0, 3.0));
    }

    #[test]
    fn short_series_draw_a_line_per_sensor_and_the_recordings() {
        let h = render_small();
        assert_eq!(h.matches("<polyline").count(), 3, "one line per sensor");
        assert!(!h.contains("<polygon"));
        assert!(h.contains(">b</text>"), "second recording named");
        assert_eq!(h.matches("class=\"rec\"").count(), 2, "two boundaries");
    }

    #[test]
    fn a_million_steps_give_a_small_page() {
        let n_steps = 1_000_000;
        let n = 5;
        let k = 8;
        let sensors: Vec<String> = (0..n).map(|j| format!("sensor {j}")).collect();
        let states: Vec<_> = (0..k)
            .map(|s| json!({"state": s, "timesteps": n_steps / k, "nonzeros": 9, "mean": vec![0.0; n], "precision": sym(n, s)}))
            .collect();
        let states = serde_json::from_value(
            json!({"sensors": sensors, "window": 1, "standardization": null, "states": states}),
        )
        .unwrap();
        // Runs of 3..60 steps (about 30,000 of them) and a motif with 3,000 instances.
        let mut segments = Vec::new();
        let (mut t, mut i) = (0, 0usize);
        while t < n_steps {
            let end = (t + 3 + (i * 7919) % 58).min(n_steps - 1);
            segments.push((None, t, end, (i * 5) % k));
            t = end + 1;
            i += 1;
        }
        let instances: Vec<_> = (0..3000)
            .map(|j| {
                let s = j * 333;
                json!({"start": s, "end": s + 59, "stage_starts": [s, s + 20, s + 40], "score": 1.5})
            })
            .collect();
        let motifs = serde_json::from_value(json!([{"motif": 0, "states": [1, 2, 3], "score": 9.0, "p_value": 1e-9, "n_instances": 3000, "instances": instances}])).unwrap();
        let summary = fit_summary(
            json!({"inputs": ["big.csv"], "n_steps": n_steps, "n_sensors": n,
            "recordings": [{"name": "big", "range": {"start": 0, "end": n_steps}}], "beta": 1.0, "bic": 1.0,
            "iterations": {"phase1": 1, "phase2": 0}, "converged": {"phase1": true, "phase2": null},
            "state_counts": vec![n_steps / k; k], "motifs": [],
            "seconds": {"read": 0.0, "beta": null, "init": 0.0, "phase1": 0.0, "split_merge": null, "phase2": null, "fit": 0.0, "total": 0.0},
            "init": {"sample_size": 0, "kmeans_inertia": 0.0, "gmm_iterations": 0, "gmm_mean_log_likelihood": 0.0, "candidates": [], "chosen": "gmm"},
            "split_merge": [], "beta_estimates": [], "iteration_log": []}),
        );
        let mut x = 12345u64;
        let values: Vec<f64> = (0..n_steps * n)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((i / n) as f64 * 1e-4).sin() + (x >> 11) as f64 / (1u64 << 53) as f64
            })
            .collect();
        let data = casc::Series::new(values, n, None).unwrap();
        let files = OutputFiles {
            summary,
            states: Some(states),
            motifs,
            assignments: crate::test_support::assignment_rows(&segments),
        };
        let h = ReportInput::new(files).unwrap().with_data(data).render();
        check_markup(&h).unwrap();
        assert!(h.len() < 10_000_000, "{} bytes", h.len());
        assert!(
            h.len() < 1_000_000,
            "{} bytes (expected well under the limit)",
            h.len()
        );
        let strip = &h[h.find("<g class=\"strip\">").unwrap()..];
        let strip = &strip[..strip.find("</g>").unwrap()];
        assert!(
            strip.matches("<rect").count() <= PLOT_W,
            "one rect per pixel run at most"
        );
        assert_eq!(h.matches("<polygon").count(), n, "one envelope per sensor");
        let windows = h.matches("<details class=\"detail\"").count();
        assert_eq!(
            windows, 3,
            "the first motif instance is at the start: start, middle, end"
        );
        assert_eq!(
            h.matches("<polyline").count(),
            n + windows * n,
            "a mean line per sensor, and a line per sensor in each detail"
        );
        eprintln!("1M-step page: {} bytes", h.len());
    }
}
