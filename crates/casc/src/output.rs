//! Writing a fit's or a prediction's results into an output folder.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use casc_fit::{Motif, Series};
use serde_json::{Value, json};

/// Writes `text` to `dir/name`, creating the folder.
pub fn write_file(dir: &Path, name: &str, text: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join(name))?);
    f.write_all(text.as_bytes())?;
    f.flush()
}

/// `assignments.csv`: `t,state` per timestep; with several recordings a leading `recording`
/// column and `t` counted inside each recording.
pub fn assignments_csv(series: &Series, assignment: &[usize]) -> String {
    let multi = series.recordings().len() > 1;
    let mut s = String::with_capacity(assignment.len() * 8);
    s.push_str(if multi {
        "recording,t,state\n"
    } else {
        "t,state\n"
    });
    for r in series.recordings() {
        for t in r.range.clone() {
            if multi {
                let _ = writeln!(s, "{},{},{}", r.name, t - r.range.start, assignment[t]);
            } else {
                let _ = writeln!(s, "{t},{}", assignment[t]);
            }
        }
    }
    s
}

/// For every timestep, the motif and instance it belongs to (`None` outside instances).
fn motif_membership(t_total: usize, motifs: &[Motif]) -> Vec<Option<(usize, usize)>> {
    let mut m = vec![None; t_total];
    for (mi, motif) in motifs.iter().enumerate() {
        for (ii, inst) in motif.instances.iter().enumerate() {
            for slot in &mut m[inst.start..=inst.end.min(t_total - 1)] {
                *slot = Some((mi, ii));
            }
        }
    }
    m
}

/// `segments.csv`: `start,end,state,motif` (end inclusive; `motif` is `M/I`, motif M's instance I,
/// or empty). Segments never span recordings; with several, a leading `recording` column.
pub fn segments_csv(series: &Series, assignment: &[usize], motifs: &[Motif]) -> String {
    let multi = series.recordings().len() > 1;
    let member = motif_membership(assignment.len(), motifs);
    let mut s = String::new();
    s.push_str(if multi {
        "recording,start,end,state,motif\n"
    } else {
        "start,end,state,motif\n"
    });
    for r in series.recordings() {
        let mut start = r.range.start;
        while start < r.range.end {
            let mut end = start;
            while end + 1 < r.range.end
                && assignment[end + 1] == assignment[start]
                && member[end + 1] == member[start]
            {
                end += 1;
            }
            let m = member[start]
                .map(|(a, b)| format!("{a}/{b}"))
                .unwrap_or_default();
            if multi {
                let _ = writeln!(
                    s,
                    "{},{},{},{},{m}",
                    r.name,
                    start - r.range.start,
                    end - r.range.start,
                    assignment[start]
                );
            } else {
                let _ = writeln!(s, "{start},{end},{},{m}", assignment[start]);
            }
            start = end + 1;
        }
    }
    s
}

/// `motifs.json`: per motif its states, score, p-value and instances (start, end inclusive,
/// stage breakpoints, score), with the recording and local times when there are several.
pub fn motifs_json(series: &Series, motifs: &[Motif]) -> Value {
    let multi = series.recordings().len() > 1;
    let locate = |t: usize| {
        series
            .recordings()
            .iter()
            .find(|r| r.range.contains(&t))
            .map(|r| (r.name.clone(), r.range.start))
            .unwrap_or_default()
    };
    Value::Array(
        motifs
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let instances: Vec<Value> = m
                    .instances
                    .iter()
                    .map(|inst| {
                        let mut v = json!({
                            "start": inst.start,
                            "end": inst.end,
                            "stage_starts": inst.stage_starts,
                            "score": finite(inst.score),
                        });
                        if multi {
                            let (name, off) = locate(inst.start);
                            v["recording"] = json!(name);
                            v["local_start"] = json!(inst.start - off);
                            v["local_end"] = json!(inst.end - off);
                        }
                        v
                    })
                    .collect();
                json!({
                    "motif": i,
                    "states": m.states,
                    "score": finite(m.score),
                    "p_value": finite(m.p_value),
                    "n_instances": m.instances.len(),
                    "instances": instances,
                })
            })
            .collect(),
    )
}

/// A JSON number, or `null` for a non-finite value (never written as NaN).
pub fn finite(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { Value::Null }
}
