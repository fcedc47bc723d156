//! "Dependency networks": each state's precision matrix as a heatmap on its own symmetric
//! colour scale (a state of low variance has large precisions; one shared scale would whiten
//! the others), with its colour bar; small matrices as SVG cells with their values, large ones
//! as one embedded bitmap (a BMP, base64-encoded).

use std::fmt::Write as _;

use casc::output::STATES_FILE;

use crate::html::{esc, fmt_num, fmt_sig, state_color, truncate};
use crate::input::ReportInput;

/// Above this many rows/columns a heatmap is drawn as one embedded bitmap instead of SVG cells.
const HEATMAP_SVG_MAX: usize = 40;

/// The section's content; for a prediction's folder (no states), where to find them.
pub(crate) fn section(input: &ReportInput, h: &mut String) {
    let Some(states) = &input.states else {
        let why = input
            .states_note
            .clone()
            .unwrap_or_else(|| "the model file was not looked for".into());
        let _ = writeln!(
            h,
            "<p>This folder was written by <code>casc predict</code>, which labels data with a fitted model and does not copy its states, and {}: the states' networks are in the folder of the fit that made the model (its {STATES_FILE} and report.html).</p>",
            esc(&why)
        );
        return;
    };
    if let Some(path) = &input.states_from {
        let _ = writeln!(
            h,
            "<p class=\"dim\">The states of the model this folder applied, read from {}.</p>",
            esc(&path.display().to_string())
        );
    }
    let window = states.window;
    let d = states.sensors.len() * window;
    let _ = writeln!(
        h,
        "<p>Each state's precision matrix (inverse covariance{}): a non-zero off-diagonal entry links two sensors given all the others. Colours are symmetric around 0 and each state has its own scale, from its largest off-diagonal magnitude (under its name): compare the pattern of links between states, not the shades; entries beyond the scale (mostly the diagonal) are drawn at full colour.{}</p>",
        if window > 1 {
            format!(
                " of {window} stacked consecutive observations; the blocks are the time lags, sensor <i>name</i>[t+j] is the observation j steps later"
            )
        } else {
            String::new()
        },
        if d <= HEATMAP_SVG_MAX {
            " Hover a cell for its value (states.json has them all)."
        } else {
            " The exact values are in states.json."
        }
    );
    let labels: Vec<String> = (0..window)
        .flat_map(|lag| {
            states.sensors.iter().map(move |s| match (window, lag) {
                (1, _) => s.clone(),
                (_, 0) => format!("{s}[t]"),
                _ => format!("{s}[t+{lag}]"),
            })
        })
        .collect();
    let k = input.n_colors();
    h.push_str("<div class=\"cards\">\n");
    for s in &states.states {
        let scale = state_scale(&s.precision);
        let _ = writeln!(
            h,
            "<div class=\"card\"><h3><span class=\"sw\" style=\"background:{}\"></span>state {}</h3><p class=\"small\">{} timesteps &#183; {} non-zeros</p>",
            state_color(s.state, k),
            s.state,
            s.timesteps,
            s.nonzeros
        );
        colorbar(h, scale);
        heatmap_svg(h, &s.precision, window, &labels, scale);
        h.push_str("</div>\n");
    }
    h.push_str("</div>\n");
}

/// The colour scale of one state's precision `p`: its largest finite off-diagonal magnitude,
/// else its largest finite magnitude, else 1.
fn state_scale(p: &[Vec<f64>]) -> f64 {
    let mut off = 0.0f64;
    let mut all = 0.0f64;
    for (r, row) in p.iter().enumerate() {
        for (c, &v) in row.iter().enumerate() {
            if v.is_finite() {
                all = all.max(v.abs());
                if r != c {
                    off = off.max(v.abs());
                }
            }
        }
    }
    [off, all, 1.0]
        .into_iter()
        .find(|&v| v > 0.0)
        .unwrap_or(1.0)
}

/// One state's `d x d` precision `p` (rows) as an SVG, with lag blocks and labels.
fn heatmap_svg(h: &mut String, p: &[Vec<f64>], window: usize, labels: &[String], scale: f64) {
    let d = p.len();
    let cell = if d <= 10 {
        22.0
    } else {
        (360 / d).clamp(2, 22) as f64
    };
    let show_labels = cell >= 9.0;
    let font = (cell - 2.0).min(11.0);
    let max_label = labels
        .iter()
        .map(|l| l.chars().count().min(14))
        .max()
        .unwrap_or(0) as f64;
    let margin = if show_labels {
        (max_label * font * 0.58 + 6.0).ceil()
    } else {
        4.0
    };
    let size = cell * d as f64;
    let (w, ht) = (margin + size + 4.0, margin + size + 4.0);
    let _ = writeln!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w:.0} {ht:.0}\" width=\"{w:.0}\" height=\"{ht:.0}\" font-family=\"sans-serif\" font-size=\"{font:.0}\">"
    );
    let _ = writeln!(
        h,
        "<rect x=\"{margin}\" y=\"{margin}\" width=\"{size}\" height=\"{size}\" fill=\"#fff\" stroke=\"#999\"/>"
    );
    if d <= HEATMAP_SVG_MAX {
        for (r, row) in p.iter().enumerate() {
            for (c, &v) in row.iter().enumerate() {
                if v == 0.0 {
                    continue;
                }
                let _ = writeln!(
                    h,
                    "<rect x=\"{:.0}\" y=\"{:.0}\" width=\"{cell}\" height=\"{cell}\" fill=\"{}\"><title>{} / {}: {}</title></rect>",
                    margin + c as f64 * cell,
                    margin + r as f64 * cell,
                    diverging(v / scale),
                    esc(&labels[r]),
                    esc(&labels[c]),
                    fmt_num(v)
                );
            }
        }
    } else {
        let _ = writeln!(
            h,
            "<image x=\"{margin}\" y=\"{margin}\" width=\"{size}\" height=\"{size}\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" href=\"data:image/bmp;base64,{}\"/>",
            base64(&bmp_data(p, scale))
        );
    }
    if window > 1 {
        let n = d / window;
        for b in 1..window {
            let z = margin + (b * n) as f64 * cell;
            let _ = writeln!(
                h,
                "<line x1=\"{z}\" x2=\"{z}\" y1=\"{margin}\" y2=\"{:.0}\" class=\"block\"/><line y1=\"{z}\" y2=\"{z}\" x1=\"{margin}\" x2=\"{:.0}\" class=\"block\"/>",
                margin + size,
                margin + size
            );
        }
    }
    if show_labels {
        for (i, l) in labels.iter().enumerate() {
            let y = margin + (i as f64 + 0.5) * cell + font * 0.35;
            let x = margin + (i as f64 + 0.5) * cell;
            let short = esc(&truncate(l, 14));
            let _ = writeln!(
                h,
                "<text x=\"{:.0}\" y=\"{y:.1}\" text-anchor=\"end\">{short}</text><text transform=\"translate({:.1} {:.0}) rotate(-90)\">{short}</text>",
                margin - 4.0,
                x + font * 0.35,
                margin - 4.0
            );
        }
    }
    h.push_str("</svg>\n");
}

/// A horizontal colour bar from `-scale` to `scale`.
fn colorbar(h: &mut String, scale: f64) {
    let steps = 31;
    let bw = 5.0;
    let w = steps as f64 * bw;
    let _ = write!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"cbar\" viewBox=\"0 0 {:.0} 34\" width=\"{:.0}\" height=\"34\" font-family=\"sans-serif\" font-size=\"11\">",
        w + 80.0,
        w + 80.0
    );
    for i in 0..steps {
        let t = -1.0 + 2.0 * i as f64 / (steps - 1) as f64;
        let _ = write!(
            h,
            "<rect x=\"{:.0}\" y=\"2\" width=\"{bw}\" height=\"14\" fill=\"{}\"/>",
            40.0 + i as f64 * bw,
            diverging(t)
        );
    }
    let _ = writeln!(
        h,
        "<text x=\"40\" y=\"30\" text-anchor=\"middle\">&#8722;{0}</text><text x=\"{1:.0}\" y=\"30\" text-anchor=\"middle\">0</text><text x=\"{2:.0}\" y=\"30\" text-anchor=\"middle\">{0}</text></svg>",
        fmt_sig(scale),
        40.0 + w / 2.0,
        40.0 + w
    );
}

/// Blue (negative) to white (0) to red (positive), clipped to `[-1, 1]`.
pub(crate) fn diverging(t: f64) -> String {
    let (r, g, b) = diverging_rgb(t);
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn diverging_rgb(t: f64) -> (u8, u8, u8) {
    let t = if t.is_nan() { 0.0 } else { t.clamp(-1.0, 1.0) };
    // Endpoints of ColorBrewer RdBu: #2166ac (negative), #b2182b (positive).
    let end = if t < 0.0 {
        (0x21, 0x66, 0xac)
    } else {
        (0xb2, 0x18, 0x2b)
    };
    let a = t.abs().powf(0.7);
    let mix = |e: u8| (255.0 + (f64::from(e) - 255.0) * a).round() as u8;
    (mix(end.0), mix(end.1), mix(end.2))
}

/// A 24-bit BMP of the matrix `p` (rows; one pixel per entry; white for zeros and NaN).
fn bmp_data(p: &[Vec<f64>], scale: f64) -> Vec<u8> {
    let d = p.len();
    let row = (3 * d).div_ceil(4) * 4;
    let size = 54 + row * d;
    let mut b = Vec::with_capacity(size);
    b.extend_from_slice(b"BM");
    b.extend_from_slice(&(size as u32).to_le_bytes());
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&54u32.to_le_bytes());
    b.extend_from_slice(&40u32.to_le_bytes());
    b.extend_from_slice(&(d as i32).to_le_bytes());
    b.extend_from_slice(&(-(d as i32)).to_le_bytes()); // top-down rows
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&24u16.to_le_bytes());
    b.extend_from_slice(&[0; 24]);
    for r in p {
        for &v in r {
            let (rr, gg, bb) = diverging_rgb(v / scale);
            b.extend_from_slice(&[bb, gg, rr]);
        }
        b.resize(b.len() + row - 3 * d, 0);
    }
    b
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for ch in bytes.chunks(3) {
        let v = (u32::from(ch[0]) << 16)
            | (u32::from(*ch.get(1).unwrap_or(&0)) << 8)
            | u32::from(*ch.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= ch.len() {
                s.push(A[((v >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use serde_json::json;

    use super::*;
    use crate::input::OutputFiles;
    use crate::markup_check::check_markup;
    use crate::test_support::{fit_summary, render_small, sym};

    #[test]
    fn colours_and_base64() {
        assert_eq!(diverging(0.0), "#ffffff");
        assert_eq!(diverging(f64::NAN), "#ffffff");
        assert_eq!(diverging(1.0), "#b2182b");
        assert_eq!(diverging(-5.0), "#2166ac");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"M"), "TQ==");
        let bytes: Vec<u8> = (0..=255)
            .chain((0..100u8).map(|i| i.wrapping_mul(7)))
            .collect();
        for n in 0..bytes.len() {
            let decoded = base64::engine::general_purpose::STANDARD.decode(base64(&bytes[..n]));
            assert_eq!(decoded.as_deref(), Ok(&bytes[..n]), "{n} bytes");
        }
    }

    #[test]
    fn every_state_has_its_own_scale() {
        let mut low = sym(3, 0);
        for row in low.iter_mut() {
            for v in row.iter_mut() {
                *v *= 1000.0;
            }
        }
        assert_eq!(state_scale(&low), 1000.0 * state_scale(&sym(3, 0)));
        assert_eq!(
            state_scale(&[vec![2.0, 0.0], vec![0.0, 3.0]]),
            3.0,
            "diagonal only"
        );
        assert_eq!(state_scale(&[vec![0.0]]), 1.0);
        let h = render_small();
        assert_eq!(
            h.matches("class=\"cbar\"").count(),
            3,
            "a colour bar per state"
        );
    }

    #[test]
    fn small_matrices_are_svg_cells_with_the_files_values() {
        let h = render_small();
        // sym(6, 0)[0][0] is 1.5; the page shows it as written in states.json.
        assert!(
            h.contains("<title>&lt;b&gt;&amp;&quot;[t] / &lt;b&gt;&amp;&quot;[t]: 1.5</title>")
        );
        assert!(h.contains("Hover a cell for its value"));
        assert_eq!(
            h.matches("class=\"block\"").count(),
            2 * 3,
            "one lag boundary"
        );
        assert!(!h.contains("data:image/bmp"));
    }

    #[test]
    fn large_precision_matrices_are_drawn_as_one_bitmap() {
        let n = 21; // window 2: 42 x 42, above HEATMAP_SVG_MAX
        let d = 2 * n;
        let sensors: Vec<String> = (0..n).map(|j| format!("s{j}")).collect();
        let mut precision = sym(d, 1);
        let states = |p: &Vec<Vec<f64>>| {
            serde_json::from_value(json!({"sensors": sensors, "window": 2, "standardization": null,
            "states": [{"state": 0, "timesteps": 10, "nonzeros": d, "mean": vec![0.0; d], "precision": p}]}))
            .unwrap()
        };
        let files = |p: &Vec<Vec<f64>>| OutputFiles {
            summary: fit_summary(json!({"inputs": [], "n_steps": 10, "n_sensors": n,
                "recordings": [{"name": "x", "range": {"start": 0, "end": 10}}], "beta": 1.0, "bic": 1.0,
                "iterations": {"phase1": 1, "phase2": 0}, "converged": {"phase1": true, "phase2": null},
                "state_counts": [10], "motifs": [],
                "seconds": {"read": 0.0, "beta": null, "init": 0.0, "phase1": 0.0, "split_merge": null, "phase2": null, "fit": 0.0, "total": 0.0},
                "init": {"sample_size": 0, "kmeans_inertia": 0.0, "gmm_iterations": 0, "gmm_mean_log_likelihood": 0.0, "candidates": [], "chosen": "gmm"},
                "split_merge": [], "beta_estimates": [], "iteration_log": []})),
            states: Some(states(p)),
            motifs: Vec::new(),
            assignments: crate::test_support::assignment_rows(&[(None, 0, 9, 0)]),
        };
        let h = ReportInput::new(files(&precision)).unwrap().render();
        let markup = check_markup(&h).unwrap();
        assert_eq!(markup.data_uris, 1);
        assert_eq!(h.matches("data:image/bmp;base64,").count(), 1);
        assert!(!h.contains("s0[t+1] / "), "no per-cell titles");
        assert!(h.contains("The exact values are in states.json."));
        // A non-finite entry (`null` in the file, NaN once read) is drawn white.
        precision[0][0] = f64::NAN;
        let h = ReportInput::new(files(&precision)).unwrap().render();
        check_markup(&h).unwrap();
        let bmp = bmp_data(&vec![vec![0.0; d]; d], 1.0);
        assert_eq!(bmp.len(), 54 + d * (3 * d).div_ceil(4) * 4);
        assert_eq!(&bmp[54..57], &[255, 255, 255], "zero is white");
        assert_eq!(
            &bmp_data(&precision, 1.0)[54..57],
            &[255, 255, 255],
            "NaN is white"
        );
    }
}
