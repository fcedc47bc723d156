//! Motifs: their lanes in the timeline (each instance with its stages coloured by state), the
//! table of motifs with mean stage durations, and the collapsible tables of instances.

use std::fmt::Write as _;

use casc::output::{InstanceEntry, MotifEntry};

use crate::downsampling::TimeAxis;
use crate::html::{esc, fmt_opt, plural, state_color};
use crate::input::ReportInput;

/// Height of one motif's lane in the timeline.
pub(crate) const LANE_H: f64 = 22.0;
/// Instances listed per motif in the collapsible instance table.
const INSTANCES_LISTED: usize = 200;

/// One lane per motif from height `y`, for timesteps `[lo, hi)`: each instance boxed with its
/// stages in their states' colours; instances narrower than 4 pixels (or without stages) are
/// merged into dark marks. `k` is the number of state colours.
pub(crate) fn lanes(
    h: &mut String,
    motifs: &[MotifEntry],
    axis: TimeAxis,
    lo: usize,
    hi: usize,
    y: f64,
    k: usize,
) {
    for (mi, m) in motifs.iter().enumerate() {
        let y = y + mi as f64 * LANE_H;
        let _ = writeln!(
            h,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" class=\"lab\">motif {}</text>",
            axis.left - 6.0,
            y + LANE_H / 2.0 + 4.0,
            m.motif
        );
        let _ = writeln!(
            h,
            "<rect x=\"{}\" y=\"{:.1}\" width=\"{}\" height=\"{:.1}\" class=\"lane\"/>",
            axis.left,
            y + 2.0,
            axis.width,
            LANE_H - 4.0
        );
        let mut narrow: Vec<(f64, f64)> = Vec::new();
        for inst in &m.instances {
            if inst.end < lo || inst.start >= hi {
                continue;
            }
            let x0 = axis.x(inst.start.max(lo) as f64);
            let x1 = axis.x((inst.end + 1).min(hi) as f64);
            if x1 - x0 < 4.0 || inst.stage_starts.is_empty() {
                match narrow.last_mut() {
                    Some(last) if x0 <= last.1 + 0.5 => last.1 = last.1.max(x1),
                    _ => narrow.push((x0, x1)),
                }
                continue;
            }
            let _ = write!(
                h,
                "<g><title>motif {} instance {}..{}</title>",
                m.motif, inst.start, inst.end
            );
            for (si, &ss) in inst.stage_starts.iter().enumerate() {
                let se = inst
                    .stage_starts
                    .get(si + 1)
                    .copied()
                    .unwrap_or(inst.end + 1);
                let state = m.states.get(si).copied().unwrap_or(0);
                let (ss, se) = (ss.clamp(lo, hi), se.clamp(lo, hi));
                if se <= ss {
                    continue;
                }
                let _ = write!(
                    h,
                    "<rect x=\"{:.2}\" y=\"{:.1}\" width=\"{:.2}\" height=\"{:.1}\" fill=\"{}\"/>",
                    axis.x(ss as f64),
                    y + 3.0,
                    (axis.x(se as f64) - axis.x(ss as f64)).max(0.0),
                    LANE_H - 6.0,
                    state_color(state, k)
                );
            }
            let _ = writeln!(
                h,
                "<rect x=\"{x0:.2}\" y=\"{:.1}\" width=\"{:.2}\" height=\"{:.1}\" fill=\"none\" stroke=\"#222\" stroke-width=\"1\"/></g>",
                y + 3.0,
                x1 - x0,
                LANE_H - 6.0
            );
        }
        for (x0, x1) in narrow {
            let _ = writeln!(
                h,
                "<rect x=\"{x0:.2}\" y=\"{:.1}\" width=\"{:.2}\" height=\"{:.1}\" fill=\"#333\"/>",
                y + 3.0,
                (x1 - x0).max(1.0),
                LANE_H - 6.0
            );
        }
    }
}

/// The section's content: the table of motifs, then each motif's instances.
pub(crate) fn table(input: &ReportInput, h: &mut String) {
    let motifs = &input.motifs;
    if motifs.is_empty() {
        h.push_str("<p>No motif was kept in this run.</p>\n");
        return;
    }
    let k = input.n_colors();
    let _ = writeln!(
        h,
        "<p>{} motif{} kept.</p>\n<table class=\"data\">\n<thead><tr><th>motif</th><th>states</th><th>instances</th><th>score</th><th>p-value</th><th>adjusted p</th><th>observed</th><th>expected</th><th>mean duration per stage</th><th>mean duration</th></tr></thead>\n<tbody>",
        motifs.len(),
        plural(motifs.len())
    );
    for m in motifs {
        let chips: Vec<String> = m
            .states
            .iter()
            .map(|&s| {
                format!(
                    "<span class=\"chip\"><span class=\"sw\" style=\"background:{}\"></span>{s}</span>",
                    state_color(s, k)
                )
            })
            .collect();
        let (stages, total) = mean_stage_durations(&m.instances, m.states.len());
        let stages_s: Vec<String> = stages.iter().map(|v| format!("{v:.1}")).collect();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            m.motif,
            chips.join(" &#8594; "),
            m.n_instances,
            fmt_opt(m.score),
            fmt_opt(m.p_value),
            fmt_opt(m.adjusted_p_value),
            m.observed_count
                .map_or_else(|| "&#8212;".into(), |c| c.to_string()),
            fmt_opt(m.expected_count),
            stages_s.join(" &#183; "),
            total.map_or_else(|| "&#8212;".into(), |v| format!("{v:.1}"))
        );
    }
    h.push_str("</tbody>\n</table>\n<p class=\"dim small\">Adjusted p: the p-value corrected for all the candidates tested; observed: occurrences in the stage sequence the significance test saw; expected: their number under the null (a first-order Markov chain over segments by default). Durations in timesteps, from each instance's stage starts and end (inclusive).</p>\n");
    for m in motifs {
        instances(h, m);
    }
}

/// The collapsible table of `m`'s first instances.
fn instances(h: &mut String, m: &MotifEntry) {
    let _ = writeln!(
        h,
        "<details><summary>Instances of motif {} ({})</summary>\n<table class=\"data\">\n<thead><tr><th>#</th>{}<th>start</th><th>end</th><th>stage starts</th><th>score</th></tr></thead>\n<tbody>",
        m.motif,
        m.instances.len(),
        if m.instances.iter().any(|i| i.recording.is_some()) {
            "<th>recording</th>"
        } else {
            ""
        }
    );
    for (i, inst) in m.instances.iter().take(INSTANCES_LISTED).enumerate() {
        let rec = inst
            .recording
            .as_ref()
            .map_or_else(String::new, |r| format!("<td>{}</td>", esc(r)));
        let ss: Vec<String> = inst.stage_starts.iter().map(|v| v.to_string()).collect();
        let _ = writeln!(
            h,
            "<tr><td class=\"num\">{i}</td>{rec}<td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            inst.start,
            inst.end,
            ss.join(", "),
            fmt_opt(inst.score)
        );
    }
    h.push_str("</tbody>\n</table>\n");
    if m.instances.len() > INSTANCES_LISTED {
        let _ = writeln!(
            h,
            "<p class=\"dim small\">&#8230; and {} more in motifs.json.</p>",
            m.instances.len() - INSTANCES_LISTED
        );
    }
    h.push_str("</details>\n");
}

/// Mean duration (timesteps) of each stage over the instances, and mean total duration.
fn mean_stage_durations(instances: &[InstanceEntry], n_stages: usize) -> (Vec<f64>, Option<f64>) {
    let mut sums = vec![0.0; n_stages];
    let mut counts = vec![0usize; n_stages];
    let mut total = 0.0;
    for inst in instances {
        total += (inst.end + 1 - inst.start) as f64;
        for (si, &s) in inst.stage_starts.iter().enumerate().take(n_stages) {
            let e = inst
                .stage_starts
                .get(si + 1)
                .copied()
                .unwrap_or(inst.end + 1);
            sums[si] += (e - s) as f64;
            counts[si] += 1;
        }
    }
    let means = sums
        .iter()
        .zip(&counts)
        .map(|(s, &c)| if c == 0 { f64::NAN } else { s / c as f64 })
        .collect();
    let total = (!instances.is_empty()).then(|| total / instances.len() as f64);
    (means, total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{render_small, small_run};

    #[test]
    fn stage_durations_are_means_over_the_instances() {
        let m = &small_run(&[]).motifs[0];
        let (stages, total) = mean_stage_durations(&m.instances, 3);
        assert_eq!(stages, vec![3.0, 4.0, 5.0]);
        assert_eq!(total, Some(12.0));
        assert_eq!(mean_stage_durations(&[], 2).1, None);
    }

    #[test]
    fn instances_are_listed_with_their_recording_and_drawn_in_their_lane() {
        let h = render_small();
        assert!(h.contains("<summary>Instances of motif 0 (2)</summary>"));
        assert!(h.contains("<th>recording</th>"));
        assert!(h.contains(
            "<tr><td class=\"num\">1</td><td>b</td><td class=\"num\">22</td><td class=\"num\">33</td><td>22, 24, 30</td><td class=\"num\">11.25</td></tr>"
        ));
        assert!(h.contains("<title>motif 0 instance 22..33</title>"));
        assert!(h.contains("<title>motif 1 instance 35..38</title>"));
    }

    #[test]
    fn a_run_without_motifs_says_so() {
        let mut files = small_run(&[]);
        files.motifs.clear();
        let h = ReportInput::new(files).unwrap().render();
        assert!(h.contains("<p>No motif was kept in this run.</p>"));
        assert!(h.contains(", 0 motifs. BIC"));
    }
}
