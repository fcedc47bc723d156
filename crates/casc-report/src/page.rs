//! The page: its head and CSS, the sentence under the title and the sections in order.
//!
//! The page is XML-compatible HTML (void elements self-closed, numeric character references
//! only) so that an XML parser can check it.

use std::fmt::Write as _;

use casc::output::Summary;

use crate::html::{esc, fmt_opt, plural};
use crate::input::ReportInput;
use crate::{heatmaps, motifs, profiles, summary, timeline};

impl ReportInput {
    /// The whole page.
    pub fn render(&self) -> String {
        let mut h = String::with_capacity(64 * 1024);
        let inputs = self.summary.inputs();
        let title = if inputs.is_empty() {
            match self.summary {
                Summary::Fit(_) => "casc fit".to_string(),
                Summary::Predict(_) => "casc predict".to_string(),
            }
        } else {
            inputs.join(", ")
        };
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>casc report: {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
            esc(&title)
        );
        let _ = writeln!(
            h,
            "<h1>casc report <span class=\"dim\">{}</span></h1>",
            esc(&title)
        );
        self.lead(&mut h);
        h.push_str("<nav><a href=\"#timeline\">States over time</a> &#183; <a href=\"#profiles\">What the states are</a> &#183; <a href=\"#motifs\">Motifs</a> &#183; <a href=\"#states\">Dependency networks</a> &#183; <a href=\"#summary\">Run summary</a></nav>\n");

        h.push_str("<section id=\"timeline\">\n<h2>States over time</h2>\n");
        timeline::section(self, &mut h);
        h.push_str("</section>\n");

        h.push_str("<section id=\"profiles\">\n<h2>What the states are</h2>\n");
        profiles::section(self, &mut h);
        h.push_str("</section>\n");

        h.push_str("<section id=\"motifs\">\n<h2>Motifs</h2>\n");
        motifs::table(self, &mut h);
        h.push_str("</section>\n");

        h.push_str("<section id=\"states\">\n<h2>Dependency networks</h2>\n");
        heatmaps::section(self, &mut h);
        h.push_str("</section>\n");

        h.push_str("<section id=\"summary\">\n<h2>Run summary</h2>\n");
        summary::section(self, &mut h);
        h.push_str("</section>\n");
        h.push_str("<footer>Written by casc from the files of this folder. Numbers are rounded for reading; hover one for the value in the files.</footer>\n</body>\n</html>\n");
        h
    }

    /// The sentence under the title: the run's size, and its BIC or the model it applied.
    fn lead(&self, h: &mut String) {
        let r = self.recordings().len();
        let m = self.motifs.len();
        let _ = write!(
            h,
            "<p class=\"lead\">{} timesteps &#215; {} sensors, {r} recording{}, {} states, ",
            self.n_steps(),
            self.n_sensors(),
            plural(r),
            self.n_states(),
        );
        match &self.summary {
            Summary::Fit(s) => {
                let _ = writeln!(
                    h,
                    "window {}, {m} motif{}. BIC <b>{}</b>.</p>",
                    self.window().unwrap_or(0),
                    plural(m),
                    fmt_opt(s.bic)
                );
            }
            Summary::Predict(s) => {
                let _ = writeln!(
                    h,
                    "{m} motif{}, labelled by the model <b>{}</b>.</p>",
                    plural(m),
                    esc(&s.model)
                );
            }
        }
    }
}

const CSS: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px auto;max-width:1360px;padding:0 16px;color:#1b1f24;background:#fff;font-size:14px;line-height:1.45}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d8dee4;padding-bottom:4px}h3{font-size:14px;margin:14px 0 6px}
.dim{color:#57606a;font-weight:normal}.small{font-size:12px}.lead{margin:4px 0 8px}
nav a{color:#0969da;text-decoration:none}
.note{background:#fff8c5;border:1px solid #d4a72c;padding:6px 10px;border-radius:4px}
.legend{display:flex;flex-wrap:wrap;gap:6px 14px;margin:6px 0 8px}
.chip{display:inline-flex;align-items:center;gap:4px;white-space:nowrap}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;border:1px solid rgba(0,0,0,.25);vertical-align:-1px;margin-right:4px}
svg.plot{max-width:100%;height:auto;display:block}svg.cbar{display:block;margin:2px 0 4px}
svg .lab{fill:#1b1f24;font-size:12px}svg .tick{fill:#57606a;font-size:11px}
svg .axis{stroke:#57606a;stroke-width:1}svg .sep{stroke:#d0d7de;stroke-width:1}
svg .lane{fill:#f6f8fa;stroke:#d0d7de}svg .rec{stroke:#24292f;stroke-dasharray:4 3}svg .reclab{fill:#24292f;font-size:12px;font-weight:600}
svg .block{stroke:#24292f;stroke-width:1.2}
table{border-collapse:collapse;margin:4px 0 10px}
table.data th,table.data td{border-bottom:1px solid #d8dee4;padding:3px 8px;text-align:left}
table.data th{background:#f6f8fa;font-weight:600}
table.kv th{text-align:left;font-weight:600;padding:2px 12px 2px 0;color:#57606a;vertical-align:top}table.kv td{padding:2px 0}
td.num,table.data td.num{font-variant-numeric:tabular-nums;text-align:right}
.scroll td{white-space:nowrap}
tr.chosen td{font-weight:600;background:#dafbe1}
.cards{display:flex;flex-wrap:wrap;gap:14px}
.card{border:1px solid #d0d7de;border-radius:6px;padding:6px 10px 8px}
.card h3{margin:4px 0 0}.card p{margin:0 0 4px;color:#57606a}
.cols{display:flex;flex-wrap:wrap;gap:10px 40px}
.scroll{max-height:420px;overflow:auto;border:1px solid #d8dee4}
.scroll table{margin:0}
details{margin:4px 0}summary{cursor:pointer;color:#0969da}
details.detail{margin:10px 0}details.detail>summary{font-weight:600;color:#1b1f24}
tr.pass th{background:#eaeef2;text-align:left;font-weight:600;padding:4px 8px}
table.profile td,table.profile th{padding:1px 6px}span[title]{text-decoration:underline dotted #8c959f}
footer{margin:30px 0 10px;color:#57606a;font-size:12px}
";

#[cfg(test)]
mod tests {
    use crate::html::fmt_round;
    use crate::markup_check::check_markup;
    use crate::test_support::{BIC, EVIL, P0, P1, render_small, small_run};

    #[test]
    fn page_is_well_formed() {
        let h = render_small();
        let report = check_markup(&h).unwrap();
        assert!(report.elements > 100, "{} elements", report.elements);
        assert!(h.starts_with("<!DOCTYPE html>"));
        assert!(!h.contains("<script"), "no script");
        assert!(
            !h.replace("http://www.w3.org/2000/svg", "")
                .contains("http://"),
            "no network"
        );
        assert_eq!(
            report.svgs,
            1 + 2 * 3,
            "timeline, a colour bar and a heatmap per state"
        );
    }

    #[test]
    fn numbers_are_rounded_with_the_files_text_at_hand() {
        let h = render_small();
        let shown = |v: f64| {
            let text = serde_json::to_string(&v).unwrap();
            format!("<span title=\"{text}\">{}</span>", fmt_round(v))
        };
        assert!(h.contains(&format!("BIC <b>{}</b>", shown(BIC))), "BIC");
        assert!(shown(BIC).contains(">2169.3<"), "{}", shown(BIC));
        assert!(h.contains(&format!("<td>{}</td>", shown(BIC))));
        assert!(
            h.contains(&format!("<td class=\"num\">{}</td>", shown(P0))),
            "p-value {}",
            shown(P0)
        );
        assert!(h.contains(&format!("<td class=\"num\">{}</td>", shown(P1))));
        assert!(h.contains("2 motifs kept."));
        assert!(h.contains(", 2 motifs. BIC"));
        assert!(h.contains(&format!(
            "<td class=\"num\">{}</td>",
            shown(170.3064954632921)
        )));
        // timesteps and non-zeros per state
        let files = small_run(&[]);
        for s in &files.states.as_ref().unwrap().states {
            let line = format!("{} timesteps &#183; {} non-zeros", s.timesteps, s.nonzeros);
            assert!(h.contains(&line), "{line}");
        }
        assert!(h.contains(&format!(
            "<td class=\"num\">{}</td>",
            shown(29180.343370998835)
        )));
        // Short texts are shown as written.
        for v in ["0.001", "0.25", "1.5", "0.75", "2.5", "2.6"] {
            assert!(h.contains(&format!("<td>{v}</td>")), "{v}");
        }
        assert!(h.contains("<td>14, 10, 16</td>"), "state counts");
        assert!(h.contains("<tr class=\"chosen\"><td>gmm (chosen)</td>"));
        // Mean stage durations: motif 0 stages (4+2)/2, (2+6)/2, (6+4)/2; total 12.
        assert!(h.contains(
            "<td class=\"num\">3.0 &#183; 4.0 &#183; 5.0</td><td class=\"num\">12.0</td>"
        ));
    }

    #[test]
    fn strings_from_the_files_are_escaped() {
        let h = render_small();
        assert!(!h.contains(EVIL));
        assert!(
            h.contains("&lt;b&gt;&amp;&quot;[t]"),
            "heatmap label with lag"
        );
        assert!(h.contains("&lt;b&gt;&amp;&quot;[t+1]"));
        assert!(
            h.contains(">&lt;b&gt;&amp;&quot;<title>"),
            "sensor lane label"
        );
    }
}
