//! "Run summary": the run's figures, seconds per phase, the parameters, the initialisation, the
//! split-and-merge proposals, the standardisation and the iteration log.
//!
//! Records whose fields may change (the parameters, seconds, initialisation figures, the
//! iteration log) are listed generically, field by field in their declaration order, from
//! their serde form: a new or changed field shows up without a change here.

use std::fmt::{self, Write as _};

use casc::output::{FitSummary, PredictSummary, StatesFile, Summary};
use serde::Serialize;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::html::{DASH, esc, fmt_list, fmt_opt, fmt_value, kv, num_html};
use crate::input::ReportInput;

/// The section's content.
pub(crate) fn section(input: &ReportInput, h: &mut String) {
    h.push_str("<div class=\"cols\">\n<div>\n<h3>Run</h3>\n<table class=\"kv\">\n");
    match &input.summary {
        Summary::Fit(s) => fit_run(input, s, h),
        Summary::Predict(s) => predict_run(input, s, h),
    }
    h.push_str("</table>\n<h3>Seconds</h3>\n<table class=\"kv\">\n");
    let seconds = match &input.summary {
        Summary::Fit(s) => fields(&s.seconds),
        Summary::Predict(s) => fields(&s.seconds),
    };
    for (k, v) in &seconds {
        kv(h, k, &fmt_value(v));
    }
    h.push_str("</table>\n</div>\n");
    if let Some(s) = input.fit() {
        h.push_str("<div>\n<h3>Parameters</h3>\n<table class=\"kv\">\n");
        for (k, v) in &fields(&s.parameters) {
            kv(h, k, &fmt_value(v));
        }
        h.push_str("</table>\n</div>\n<div>\n");
        init(s, h);
        split_merge(s, h);
    } else {
        h.push_str("<div>\n");
    }
    if let Some(st) = &input.states {
        standardization(st, h);
    }
    h.push_str("</div>\n</div>\n");
    if let Some(s) = input.fit() {
        iteration_log(s, h);
    }
}

/// The rows of the run table common to a fit and a prediction, after `inputs`.
fn shape_rows(input: &ReportInput, h: &mut String) {
    kv(h, "n_steps", &input.n_steps().to_string());
    kv(h, "n_sensors", &input.n_sensors().to_string());
}

fn inputs_html(inputs: &[String]) -> String {
    if inputs.is_empty() {
        return DASH.into();
    }
    inputs
        .iter()
        .map(|p| esc(p))
        .collect::<Vec<_>>()
        .join("<br/>")
}

fn recordings_row(input: &ReportInput, h: &mut String) {
    let recs: Vec<String> = input
        .recordings()
        .iter()
        .map(|r| format!("{} [{}, {})", esc(&r.name), r.range.start, r.range.end))
        .collect();
    if recs.len() > 8 {
        kv(
            h,
            "recordings",
            &format!(
                "<details><summary>{} recordings</summary>{}</details>",
                recs.len(),
                recs.join("<br/>")
            ),
        );
    } else {
        kv(h, "recordings", &recs.join("<br/>"));
    }
}

fn fit_run(input: &ReportInput, s: &FitSummary, h: &mut String) {
    kv(h, "inputs", &inputs_html(&s.inputs));
    shape_rows(input, h);
    kv(h, "bic", &fmt_opt(s.bic));
    // The penalty used; the parameters show it as given (a number, or where the estimate began).
    kv(h, "beta", &num_html(s.beta));
    if !s.beta_estimates.is_empty() {
        let estimates: Vec<String> = s.beta_estimates.iter().map(|&b| num_html(b)).collect();
        kv(h, "beta_estimates", &estimates.join(" &#8594; "));
    }
    recordings_row(input, h);
    for (k, v) in fields(&s.iterations) {
        kv(h, &format!("iterations {k}"), &fmt_value(&v));
    }
    for (k, v) in fields(&s.converged) {
        kv(h, &format!("converged {k}"), &fmt_value(&v));
    }
    kv(h, "state_counts", &fmt_list(&s.state_counts));
}

fn predict_run(input: &ReportInput, s: &PredictSummary, h: &mut String) {
    kv(h, "model", &esc(&s.model));
    kv(h, "inputs", &inputs_html(&s.inputs));
    shape_rows(input, h);
    recordings_row(input, h);
    kv(h, "state_counts", &fmt_list(&s.state_counts));
}

/// The initialisation's figures, then its screened candidates with the chosen one marked.
fn init(s: &FitSummary, h: &mut String) {
    h.push_str("<h3>Initialisation</h3>\n<table class=\"kv\">\n");
    for (k, v) in fields(&s.init) {
        if k != "candidates" {
            kv(h, &k, &fmt_value(&v));
        }
    }
    h.push_str("</table>\n");
    let candidates = &s.init.candidates;
    if candidates.is_empty() {
        return;
    }
    h.push_str("<table class=\"data\">\n<thead><tr><th>candidate</th><th>score</th></tr></thead>\n<tbody>\n");
    for (name, score) in candidates {
        let chosen = *name == s.init.chosen;
        let _ = writeln!(
            h,
            "<tr{}><td>{}{}</td><td class=\"num\">{}</td></tr>",
            if chosen { " class=\"chosen\"" } else { "" },
            esc(name),
            if chosen { " (chosen)" } else { "" },
            num_html(*score)
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

/// Every split-and-merge proposal, the kept ones marked.
fn split_merge(s: &FitSummary, h: &mut String) {
    if s.split_merge.is_empty() {
        return;
    }
    h.push_str("<h3>Split and merge</h3>\n<table class=\"data\">\n<thead><tr><th>round</th><th>freed into kept</th><th>split</th><th>objective</th><th>to beat</th></tr></thead>\n<tbody>\n");
    for t in &s.split_merge {
        let _ = writeln!(
            h,
            "<tr{}><td>{}</td><td>{} &#8594; {}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            if t.accepted { " class=\"chosen\"" } else { "" },
            t.round,
            t.freed,
            t.kept,
            t.split,
            num_html(t.objective),
            num_html(t.baseline)
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

/// The mean and standard deviation each sensor was standardised with, when it was.
fn standardization(st: &StatesFile, h: &mut String) {
    let Some(scales) = &st.standardization else {
        return;
    };
    h.push_str("<h3>Standardisation</h3>\n<table class=\"data\">\n<thead><tr><th>sensor</th><th>mean</th><th>sd</th></tr></thead>\n<tbody>\n");
    for (i, sc) in scales.iter().enumerate() {
        let name = st.sensors.get(i).map_or_else(|| i.to_string(), |s| esc(s));
        let _ = writeln!(
            h,
            "<tr><td>{name}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            num_html(sc.mean),
            num_html(sc.sd)
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

/// The EM iterations, one row each and one column per field, grouped in passes: a pass is a
/// run of iterations of one phase numbered from 1 (phase 1 starts a new pass when it resumes
/// from a kept split-and-merge proposal, and, for a long series, on the whole series after its
/// sketch).
fn iteration_log(s: &FitSummary, h: &mut String) {
    if s.iteration_log.is_empty() {
        return;
    }
    let rows: Vec<Vec<(String, Value)>> = s.iteration_log.iter().map(fields).collect();
    let mut cols: Vec<&str> = Vec::new();
    for (k, _) in rows.iter().flatten() {
        if !cols.contains(&k.as_str()) && k != "phase" && k != "stage" {
            cols.push(k);
        }
    }
    if let Some(i) = cols.iter().position(|c| *c == "iteration") {
        let c = cols.remove(i);
        cols.insert(0, c);
    }
    // Passes: [start, end) of the log.
    let mut passes: Vec<(usize, usize)> = Vec::new();
    for (i, it) in s.iteration_log.iter().enumerate() {
        let new_pass = i == 0 || {
            let prev = &s.iteration_log[i - 1];
            prev.phase != it.phase || prev.stage != it.stage || it.iteration <= prev.iteration
        };
        if new_pass {
            passes.push((i, i + 1));
        } else if let Some(p) = passes.last_mut() {
            p.1 = i + 1;
        }
    }
    let name_of = |i: usize| pass_name(s.iteration_log[i].phase, &s.iteration_log[i].stage);
    let passes_named = |name: &str| passes.iter().filter(|p| name_of(p.0) == name).count();
    let phase_passes = |phase: u8| {
        passes
            .iter()
            .filter(|p| s.iteration_log[p.0].phase == phase)
            .count()
    };
    let _ = writeln!(
        h,
        "<h3>Iteration log</h3>\n<p class=\"dim small\">Iterations are numbered from 1 in each pass. {}</p>\n<div class=\"scroll\">\n<table class=\"data\">\n<thead><tr>",
        if phase_passes(1) > passes_named("Phase 1 (TICC) on the whole series") + 1 {
            "Phase 1 (TICC) runs in several passes: it resumes from each split-and-merge proposal it keeps."
        } else {
            ""
        }
    );
    for c in &cols {
        let _ = write!(h, "<th>{}</th>", esc(&c.replace('_', " ")));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    let mut seen: Vec<(String, usize)> = Vec::new();
    for &(start, end) in &passes {
        let name = name_of(start);
        let count = match seen.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => {
                *c += 1;
                *c
            }
            None => {
                seen.push((name.clone(), 1));
                1
            }
        };
        let pass = if passes_named(&name) > 1 {
            format!(", pass {count} of {}", passes_named(&name))
        } else {
            String::new()
        };
        let n = end - start;
        let last = &s.iteration_log[end - 1];
        let _ = writeln!(
            h,
            "<tr class=\"pass\"><th colspan=\"{}\">{name}{pass}: {n} iteration{}, objective {}</th></tr>",
            cols.len(),
            crate::html::plural(n),
            num_html(last.objective)
        );
        for row in &rows[start..end] {
            h.push_str("<tr>");
            for c in &cols {
                let v = row
                    .iter()
                    .find(|(k, _)| k == c)
                    .map_or_else(String::new, |(k, v)| match (k.as_str(), v.as_u64()) {
                        ("iteration", Some(i)) => (i + 1).to_string(),
                        _ => fmt_value(v),
                    });
                let _ = write!(h, "<td class=\"num\">{v}</td>");
            }
            h.push_str("</tr>\n");
        }
    }
    h.push_str("</tbody>\n</table>\n</div>\n");
}

/// The heading of a pass of the iteration log, from its phase and stage.
fn pass_name(phase: u8, stage: &str) -> String {
    match (phase, stage) {
        (1, "" | "phase 1") => "Phase 1 (TICC)".into(),
        (2, "" | "phase 2") => "Phase 2 (motifs)".into(),
        (_, "phase 1 (whole series)") => "Phase 1 (TICC) on the whole series".into(),
        (p, "") => format!("Phase {p}"),
        (_, other) => {
            let mut c = other.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
    }
}

/// The fields of `value` (a struct, or anything serde writes as a JSON object) in the order
/// serde writes them, each as a JSON value. A value that is not an object gives one row named
/// `value`.
pub(crate) fn fields<T: Serialize>(value: &T) -> Vec<(String, Value)> {
    /// A JSON object's entries in file order (`serde_json::Map` sorts its keys).
    struct Ordered(Vec<(String, Value)>);

    impl<'de> Deserialize<'de> for Ordered {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Entries;
            impl<'de> Visitor<'de> for Entries {
                type Value = Ordered;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Ordered, A::Error> {
                    let mut entries = Vec::new();
                    while let Some(e) = m.next_entry()? {
                        entries.push(e);
                    }
                    Ok(Ordered(entries))
                }
            }
            d.deserialize_map(Entries)
        }
    }

    let text = match serde_json::to_vec(value) {
        Ok(t) => t,
        Err(e) => return vec![("value".into(), Value::String(e.to_string()))],
    };
    match serde_json::from_slice::<Ordered>(&text) {
        Ok(o) => o.0,
        Err(_) => vec![(
            "value".into(),
            serde_json::from_slice(&text).unwrap_or(Value::Null),
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{render_small, small_params, small_run};

    #[test]
    fn fields_keep_their_declaration_order() {
        #[derive(Serialize)]
        struct S {
            zeta: u8,
            alpha: Option<f64>,
            mid: Vec<u8>,
        }
        let f = fields(&S {
            zeta: 1,
            alpha: None,
            mid: vec![2, 3],
        });
        let keys: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["zeta", "alpha", "mid"]);
        assert_eq!(f[1].1, Value::Null);
        assert_eq!(fields(&5u8), vec![("value".to_string(), Value::from(5u8))]);
    }

    #[test]
    fn parameters_are_listed_field_by_field() {
        let h = render_small();
        let table = &h[h.find("<h3>Parameters</h3>").unwrap()..];
        let table = &table[..table.find("</table>").unwrap()];
        let params = fields(&small_params());
        assert!(params.len() > 5, "{params:?}");
        let mut at = 0;
        for (k, v) in &params {
            let row = format!(
                "<tr><th>{}</th><td>{}</td></tr>",
                esc(&k.replace('_', " ")),
                fmt_value(v)
            );
            let found = table[at..].find(&row).unwrap_or_else(|| panic!("{row}"));
            at += found + row.len();
        }
        // A fixed number of states, as the enum serialises it.
        let row = &table[table.find("<th>n states</th>").expect("the states row")..];
        assert!(row[..row.find("</tr>").unwrap()].contains('3'), "{row}");
        assert!(table.contains("<tr><th>lambda</th><td>0.001</td></tr>"));
    }

    #[test]
    fn the_iteration_log_is_grouped_in_passes() {
        let mut f = small_run(&["a.csv", "b.csv"]);
        let Summary::Fit(s) = &mut f.summary else {
            unreachable!()
        };
        let it = s.iteration_log[0].clone();
        let at = |phase, iteration| {
            let mut i = it.clone();
            i.phase = phase;
            i.iteration = iteration;
            i
        };
        s.iteration_log = vec![at(1, 0), at(1, 1), at(1, 0), at(2, 0), at(2, 1), at(2, 2)];
        let h = crate::input::ReportInput::new(f).unwrap().render();
        assert!(
            h.contains(">Phase 1 (TICC), pass 1 of 2: 2 iterations"),
            "{h}"
        );
        assert!(h.contains(">Phase 1 (TICC), pass 2 of 2: 1 iteration,"));
        assert!(h.contains(">Phase 2 (motifs): 3 iterations"));
        assert!(h.contains("runs in several passes"));
    }

    #[test]
    fn split_merge_seconds_and_iteration_log() {
        let h = render_small();
        assert!(h.contains(
            "<tr class=\"chosen\"><td>0</td><td>2 &#8594; 1</td><td>0</td><td class=\"num\">99.5</td><td class=\"num\">100.25</td></tr>"
        ));
        assert!(h.contains("<tr><td>1</td><td>1 &#8594; 0</td>"));
        let seconds = &h[h.find("<h3>Seconds</h3>").unwrap()..];
        let seconds = &seconds[..seconds.find("</table>").unwrap()];
        let keys: Vec<&str> = seconds
            .match_indices("<th>")
            .map(|(i, _)| &seconds[i + 4..i + 4 + seconds[i + 4..].find('<').unwrap()])
            .collect();
        assert_eq!(
            keys,
            [
                "read",
                "beta",
                "init",
                "phase1",
                "split merge",
                "phase2",
                "fit",
                "total"
            ]
        );
        assert!(seconds.contains("<tr><th>beta</th><td>&#8212;</td></tr>"));
        assert!(h.contains("<thead><tr>\n<th>iteration</th>"));
        assert!(h.contains("<td class=\"num\">3, 4, 5</td><td class=\"num\">yes</td>"));
        assert!(h.contains("<td class=\"num\">123.456</td>"));
        assert!(
            h.contains("\">Phase 1 (TICC): 1 iteration, objective 123.456</th></tr>\n<tr><td class=\"num\">1</td>"),
            "a pass heading, iterations numbered from 1"
        );
        assert!(h.contains("<tr><th>converged phase2</th><td>no</td></tr>"));
        assert!(
            h.contains("<tr><th>beta</th><td>25.0</td></tr>"),
            "the penalty used"
        );
        assert!(!h.contains("<th>beta estimates</th>"), "beta was given");
        assert!(h.contains("<tr><th>recordings</th><td>a [0, 20)<br/>b [20, 40)</td></tr>"));
        assert!(h.contains("<tr><td>&lt;b&gt;&amp;&quot;</td><td class=\"num\">1.25</td><td class=\"num\">0.5</td></tr>"));
    }
}
