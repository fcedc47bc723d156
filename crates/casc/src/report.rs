//! `report.html`: one self-contained page (hand-written inline SVG, no script, no network) that
//! shows a `casc fit` output folder: sensors with state bands, motif instances, per-state
//! precision heatmaps and the run summary.
//!
//! Numbers copied from the run's files are shown with the exact text they have in the files
//! (the JSON is read by a small parser here that keeps each number's text), so a reader can
//! search the page for a value from `summary.json` and find it. Long series are drawn with
//! min/max downsampling per pixel column and state bands merged per pixel run, so the page stays
//! small (about 0.5 MB for a 1,000,000-step, 5-sensor run).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::data::{Missing, ReadOptions, read_csv};

/// Width in pixels of the time axis of the timeline plot.
const PLOT_W: usize = 1200;
/// Left margin of the timeline (sensor names).
const MARGIN_L: usize = 120;
/// Right margin of the timeline.
const MARGIN_R: usize = 36;
/// Above this many rows/columns a heatmap is drawn as one embedded bitmap instead of SVG cells.
const HEATMAP_SVG_MAX: usize = 40;
/// Timesteps of the full-resolution detail plot drawn under the overview of a long series.
const DETAIL: usize = 1000;
/// Instances listed per motif in the collapsible instance table.
const INSTANCES_LISTED: usize = 200;

/// Why a report could not be written: the file that is missing or malformed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file the report needs could not be read (the I/O error is the `source`).
    #[error("cannot read {} (is this a `casc fit` output folder?)", path.display())]
    Missing {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file was read but does not have the expected content.
    #[error("{}: {message}", path.display())]
    Malformed {
        /// The file (as named in the folder).
        path: PathBuf,
        /// What is wrong, and where.
        message: String,
    },
    /// `report.html` could not be written (the I/O error is the `source`).
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Reads the output folder `dir` of `casc fit` (and the data CSVs named in `summary.json`, when
/// they can still be found) and writes `dir/report.html`; returns that path.
///
/// A missing or unreadable data CSV is not an error: the page is written without the sensor
/// plot and says why.
pub fn write_report(dir: &Path) -> Result<PathBuf, ReportError> {
    let input = ReportInput::load(dir)?;
    let html = input.render();
    let path = dir.join("report.html");
    std::fs::write(&path, &html).map_err(|source| ReportError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// Sensor values for the plot: row-major, `n` values per timestep, all recordings one after
/// the other in the order of `summary.json`'s `recordings`.
#[derive(Clone, Debug)]
pub struct SensorData {
    /// Row-major values (`n_steps x n`).
    pub values: Vec<f64>,
    /// Values per timestep (sensors).
    pub n: usize,
}

/// A maximal run of one state, in global timesteps (`end` inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    start: usize,
    end: usize,
    state: usize,
}

#[derive(Clone, Debug)]
struct StateView {
    id: usize,
    timesteps: Json,
    nonzeros: Json,
    /// `d x d` row-major.
    precision: Vec<f64>,
}

#[derive(Clone, Debug)]
struct InstanceView {
    start: usize,
    end: usize,
    stage_starts: Vec<usize>,
    score: Json,
    recording: Option<String>,
}

#[derive(Clone, Debug)]
struct MotifView {
    id: Json,
    states: Vec<usize>,
    score: Json,
    p_value: Json,
    n_instances: Json,
    instances: Vec<InstanceView>,
}

/// Everything the page shows, read and checked: build it with [`ReportInput::load`] from a
/// folder or [`ReportInput::from_parts`] from in-memory texts, then [`ReportInput::render`].
#[derive(Clone, Debug)]
pub struct ReportInput {
    summary: Json,
    n_steps: usize,
    recordings: Vec<(String, usize, usize)>,
    sensors: Vec<String>,
    window: usize,
    standardization: Option<Vec<(Json, Json)>>,
    states: Vec<StateView>,
    motifs: Vec<MotifView>,
    runs: Vec<Run>,
    data: Option<SensorData>,
    data_note: Option<String>,
}

fn malformed(file: &str, message: impl Into<String>) -> ReportError {
    ReportError::Malformed {
        path: PathBuf::from(file),
        message: message.into(),
    }
}

impl ReportInput {
    /// Reads `summary.json`, `states.json`, `motifs.json` and `segments.csv` from `dir`, and the
    /// data CSVs named in `summary.json` (as given, else relative to `dir`); a data file that
    /// cannot be used is recorded as a note shown on the page.
    pub fn load(dir: &Path) -> Result<Self, ReportError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|source| ReportError::Missing { path, source })
        };
        let summary = read("summary.json")?;
        let states = read("states.json")?;
        let motifs = read("motifs.json")?;
        let segments = read("segments.csv")?;
        let mut input =
            Self::from_parts(&summary, &states, &motifs, &segments, None).map_err(|e| match e {
                ReportError::Malformed { path, message } => ReportError::Malformed {
                    path: dir.join(path),
                    message,
                },
                other => other,
            })?;
        match input.read_data(dir) {
            Ok(d) => input.data = Some(d),
            Err(note) => input.data_note = Some(note),
        }
        Ok(input)
    }

    /// Builds the input from the texts of `summary.json`, `states.json`, `motifs.json` and
    /// `segments.csv`, with optional sensor values (checked against the run's shape: values
    /// that do not fit are dropped and the page says so).
    pub fn from_parts(
        summary: &str,
        states: &str,
        motifs: &str,
        segments: &str,
        data: Option<SensorData>,
    ) -> Result<Self, ReportError> {
        let summary = Json::parse(summary).map_err(|m| malformed("summary.json", m))?;
        let states_j = Json::parse(states).map_err(|m| malformed("states.json", m))?;
        let motifs_j = Json::parse(motifs).map_err(|m| malformed("motifs.json", m))?;

        let sm = |m: String| malformed("summary.json", m);
        let n_steps = summary
            .get("n_steps")
            .and_then(Json::as_usize)
            .ok_or_else(|| sm("needs \"n_steps\", a non-negative integer".into()))?;
        let mut recordings = Vec::new();
        match summary.get("recordings") {
            Some(Json::Arr(rs)) => {
                for (i, r) in rs.iter().enumerate() {
                    let name = r
                        .get("name")
                        .and_then(Json::as_str)
                        .unwrap_or("")
                        .to_string();
                    let range = r.get("range");
                    let s = range.and_then(|g| g.get("start")).and_then(Json::as_usize);
                    let e = range.and_then(|g| g.get("end")).and_then(Json::as_usize);
                    match (s, e) {
                        (Some(s), Some(e)) if s <= e && e <= n_steps => {
                            recordings.push((name, s, e))
                        }
                        _ => {
                            return Err(sm(format!(
                                "recordings[{i}] needs a range {{start, end}} with start <= end <= n_steps ({n_steps})"
                            )));
                        }
                    }
                }
            }
            _ => recordings.push((String::new(), 0, n_steps)),
        }

        let st = |m: String| malformed("states.json", m);
        let sensors: Vec<String> = match states_j.get("sensors") {
            Some(Json::Arr(a)) => a
                .iter()
                .map(|s| s.as_str().map(str::to_string))
                .collect::<Option<_>>()
                .ok_or_else(|| st("\"sensors\" must be a list of strings".into()))?,
            _ => return Err(st("needs \"sensors\", a list of names".into())),
        };
        let window = states_j
            .get("window")
            .and_then(Json::as_usize)
            .filter(|&w| w >= 1)
            .ok_or_else(|| st("needs \"window\", an integer >= 1".into()))?;
        let standardization = match states_j.get("standardization") {
            Some(Json::Arr(a)) => Some(
                a.iter()
                    .map(|e| {
                        (
                            e.get("mean").cloned().unwrap_or(Json::Null),
                            e.get("sd").cloned().unwrap_or(Json::Null),
                        )
                    })
                    .collect(),
            ),
            _ => None,
        };
        let d = window * sensors.len();
        let mut states_v = Vec::new();
        let Some(Json::Arr(sa)) = states_j.get("states") else {
            return Err(st("needs \"states\", a list".into()));
        };
        for (i, s) in sa.iter().enumerate() {
            let id = s.get("state").and_then(Json::as_usize).unwrap_or(i);
            let mut precision = Vec::with_capacity(d * d);
            let rows = match s.get("precision") {
                Some(Json::Arr(rows)) if rows.len() == d => rows,
                _ => {
                    return Err(st(format!(
                        "states[{i}].precision must be {d} rows (window {window} x {} sensors)",
                        sensors.len()
                    )));
                }
            };
            for (r, row) in rows.iter().enumerate() {
                match row {
                    Json::Arr(cells) if cells.len() == d => {
                        for (c, v) in cells.iter().enumerate() {
                            // null is how a non-finite value is written: drawn white.
                            let x = match v {
                                Json::Null => Some(f64::NAN),
                                other => other.as_f64(),
                            };
                            precision.push(x.ok_or_else(|| {
                                st(format!("states[{i}].precision[{r}][{c}] is not a number"))
                            })?);
                        }
                    }
                    _ => {
                        return Err(st(format!(
                            "states[{i}].precision[{r}] must be a list of {d} numbers"
                        )));
                    }
                }
            }
            states_v.push(StateView {
                id,
                timesteps: s.get("timesteps").cloned().unwrap_or(Json::Null),
                nonzeros: s.get("nonzeros").cloned().unwrap_or(Json::Null),
                precision,
            });
        }

        let mt = |m: String| malformed("motifs.json", m);
        let Json::Arr(ma) = &motifs_j else {
            return Err(mt("must be a list of motifs".into()));
        };
        let mut motifs_v = Vec::new();
        for (i, m) in ma.iter().enumerate() {
            let states: Vec<usize> = match m.get("states") {
                Some(Json::Arr(a)) => a.iter().map(Json::as_usize).collect::<Option<_>>(),
                _ => None,
            }
            .ok_or_else(|| {
                mt(format!(
                    "motifs[{i}].states must be a list of state numbers"
                ))
            })?;
            let mut instances = Vec::new();
            if let Some(Json::Arr(ia)) = m.get("instances") {
                for (j, inst) in ia.iter().enumerate() {
                    let s = inst.get("start").and_then(Json::as_usize);
                    let e = inst.get("end").and_then(Json::as_usize);
                    let (Some(start), Some(end)) = (s, e) else {
                        return Err(mt(format!(
                            "motifs[{i}].instances[{j}] needs integer start and end"
                        )));
                    };
                    if start > end || end >= n_steps.max(1) {
                        return Err(mt(format!(
                            "motifs[{i}].instances[{j}]: start {start}, end {end} outside 0..{n_steps}"
                        )));
                    }
                    let stage_starts: Vec<usize> = match inst.get("stage_starts") {
                        Some(Json::Arr(a)) => a.iter().map(Json::as_usize).collect::<Option<_>>(),
                        None => Some(Vec::new()),
                        _ => None,
                    }
                    .filter(|v: &Vec<usize>| {
                        v.windows(2).all(|w| w[0] <= w[1])
                            && v.first().is_none_or(|&f| f >= start)
                            && v.last().is_none_or(|&l| l <= end)
                    })
                    .ok_or_else(|| {
                        mt(format!(
                            "motifs[{i}].instances[{j}].stage_starts must be increasing times inside the instance"
                        ))
                    })?;
                    instances.push(InstanceView {
                        start,
                        end,
                        stage_starts,
                        score: inst.get("score").cloned().unwrap_or(Json::Null),
                        recording: inst
                            .get("recording")
                            .and_then(Json::as_str)
                            .map(str::to_string),
                    });
                }
            }
            motifs_v.push(MotifView {
                id: m
                    .get("motif")
                    .cloned()
                    .unwrap_or(Json::Num(i as f64, i.to_string())),
                states,
                score: m.get("score").cloned().unwrap_or(Json::Null),
                p_value: m.get("p_value").cloned().unwrap_or(Json::Null),
                n_instances: m.get("n_instances").cloned().unwrap_or(Json::Num(
                    instances.len() as f64,
                    instances.len().to_string(),
                )),
                instances,
            });
        }

        let runs = parse_segments(segments, &recordings, n_steps)?;
        let mut input = Self {
            summary,
            n_steps,
            recordings,
            sensors,
            window,
            standardization,
            states: states_v,
            motifs: motifs_v,
            runs,
            data: None,
            data_note: None,
        };
        if let Some(d) = data {
            input.set_data(d);
        }
        Ok(input)
    }

    fn set_data(&mut self, d: SensorData) {
        if d.n == 0 || d.values.len() != d.n * self.n_steps {
            self.data_note = Some(format!(
                "sensor values not shown: the data has {} values in rows of {}, the run has {} timesteps",
                d.values.len(),
                d.n,
                self.n_steps
            ));
        } else {
            self.data = Some(d);
        }
    }

    /// Reads the data CSVs of `summary.json`'s `inputs`; on failure, the note to show.
    fn read_data(&self, dir: &Path) -> Result<SensorData, String> {
        let inputs: Vec<String> = match self.summary.get("inputs") {
            Some(Json::Arr(a)) => a
                .iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        if inputs.is_empty() {
            return Err("sensor values not shown: summary.json names no input file".into());
        }
        let mut values = Vec::new();
        let mut n = None;
        for p in &inputs {
            let given = PathBuf::from(p);
            // As given (absolute, or relative to the current directory), then inside the
            // output folder, then relative to each folder above it (where the fit may have run).
            let mut candidates = vec![
                given.clone(),
                dir.join(&given),
                dir.join(given.file_name().unwrap_or_default()),
            ];
            if given.is_relative()
                && let Ok(abs) = std::path::absolute(dir)
            {
                candidates.extend(abs.ancestors().skip(1).map(|a| a.join(&given)));
            }
            let Some(path) = candidates.iter().find(|c| c.is_file()) else {
                return Err(format!(
                    "sensor values not shown: the data file {p} was not found (a relative path is looked up from the current directory, the output folder and the folders above it)"
                ));
            };
            let t = read_table(path, self.sensors.len(), self.recordings.len() > 1)
                .map_err(|m| format!("sensor values not shown: {m}"))?;
            if *n.get_or_insert(t.n) != t.n {
                return Err("sensor values not shown: the data files have different widths".into());
            }
            values.extend_from_slice(&t.values);
        }
        let n = n.unwrap_or(0);
        if n != self.sensors.len() || values.len() != n * self.n_steps {
            return Err(format!(
                "sensor values not shown: the data files have {} rows of {n} values; the run had {} timesteps of {} sensors (was a missing-value policy or a sequence column used?)",
                values.len() / n.max(1),
                self.n_steps,
                self.sensors.len()
            ));
        }
        Ok(SensorData { values, n })
    }

    /// The whole page.
    pub fn render(&self) -> String {
        let mut h = String::with_capacity(64 * 1024);
        let title = match self.summary.get("inputs") {
            Some(Json::Arr(a)) if !a.is_empty() => a
                .iter()
                .map(|p| p.as_str().unwrap_or("?"))
                .collect::<Vec<_>>()
                .join(", "),
            _ => "casc fit".into(),
        };
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>casc report: {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
            esc(&title)
        );
        let _ = writeln!(
            h,
            "<h1>casc report <span class=\"dim\">{}</span></h1>",
            esc(&title)
        );
        let bic = self.summary.get("bic").map_or_else(|| "?".into(), fmt_json);
        let _ = writeln!(
            h,
            "<p class=\"lead\">{} timesteps &#215; {} sensors, {} recording{}, {} states, window {}, {} motif{}. BIC <b>{}</b>.</p>",
            self.n_steps,
            self.sensors.len(),
            self.recordings.len(),
            plural(self.recordings.len()),
            self.states.len(),
            self.window,
            self.motifs.len(),
            plural(self.motifs.len()),
            bic
        );
        h.push_str("<nav><a href=\"#timeline\">States over time</a> &#183; <a href=\"#motifs\">Motifs</a> &#183; <a href=\"#states\">Dependency networks</a> &#183; <a href=\"#summary\">Run summary</a></nav>\n");

        h.push_str("<section id=\"timeline\">\n<h2>States over time</h2>\n");
        self.legend(&mut h);
        if let Some(note) = &self.data_note {
            let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(note));
        }
        self.timeline_svg(&mut h, 0, self.n_steps);
        if self.n_steps > 2 * PLOT_W {
            // A full-resolution detail, starting a little before the first motif instance.
            let first = self
                .motifs
                .iter()
                .flat_map(|m| m.instances.iter().map(|i| i.start))
                .min()
                .unwrap_or(0);
            let lo = first.saturating_sub(DETAIL / 8).min(self.n_steps - DETAIL);
            let _ = writeln!(h, "<h3>Detail: timesteps {lo} to {}</h3>", lo + DETAIL - 1);
            self.timeline_svg(&mut h, lo, lo + DETAIL);
        }
        h.push_str("</section>\n");

        h.push_str("<section id=\"motifs\">\n<h2>Motifs</h2>\n");
        self.motif_table(&mut h);
        h.push_str("</section>\n");

        h.push_str("<section id=\"states\">\n<h2>Dependency networks</h2>\n");
        self.heatmaps(&mut h);
        h.push_str("</section>\n");

        h.push_str("<section id=\"summary\">\n<h2>Run summary</h2>\n");
        self.summary_tables(&mut h);
        h.push_str("</section>\n");
        h.push_str("<footer>Written by casc from the files of this folder. Numbers are shown as written in the files.</footer>\n</body>\n</html>\n");
        h
    }

    fn n_colors(&self) -> usize {
        let max_state = self
            .runs
            .iter()
            .map(|r| r.state + 1)
            .chain(self.states.iter().map(|s| s.id + 1))
            .max()
            .unwrap_or(0);
        max_state.max(self.states.len())
    }

    fn legend(&self, h: &mut String) {
        h.push_str("<div class=\"legend\">");
        let k = self.n_colors();
        for s in 0..k {
            let count = self
                .states
                .iter()
                .find(|v| v.id == s)
                .map_or_else(String::new, |v| {
                    format!(" <span class=\"dim\">{}</span>", fmt_json(&v.timesteps))
                });
            let _ = write!(
                h,
                "<span class=\"chip\"><span class=\"sw\" style=\"background:{}\"></span>state {s}{count}</span>",
                state_color(s, k)
            );
        }
        h.push_str("</div>\n");
    }

    /// Sensors (one lane each, min/max envelope per pixel column), state bands, motif lanes,
    /// time axis.
    fn timeline_svg(&self, h: &mut String, lo: usize, hi: usize) {
        let span = hi - lo;
        let k = self.n_colors();
        let n_lanes = self.data.as_ref().map_or(0, |d| d.n);
        let lane_h = if n_lanes == 0 {
            0.0
        } else {
            (420.0 / n_lanes as f64).clamp(22.0, 72.0)
        };
        let strip_h = 22.0;
        let top = if self.recordings.len() > 1 { 24.0 } else { 8.0 };
        let strip_y = top;
        let lanes_y = strip_y + strip_h + 6.0;
        let lanes_h = lane_h * n_lanes as f64;
        let motif_lane_h = 22.0;
        let motifs_y = lanes_y + lanes_h + if n_lanes > 0 { 10.0 } else { 0.0 };
        let motifs_h = motif_lane_h * self.motifs.len() as f64;
        let axis_y = motifs_y + motifs_h + 4.0;
        let height = axis_y + 34.0;
        let width = MARGIN_L + PLOT_W + MARGIN_R;
        let t_total = span.max(1);
        let xt = |t: f64| MARGIN_L as f64 + (t - lo as f64) * PLOT_W as f64 / t_total as f64;
        let _ = writeln!(
            h,
            "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height:.0}\" width=\"{width}\" height=\"{height:.0}\" font-family=\"sans-serif\" font-size=\"12\">"
        );

        // State bands: merged runs in pixel space.
        let bands = pixel_bands(&clip_runs(&self.runs, lo, hi), span, PLOT_W);
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

        // Sensor lanes.
        if let Some(d) = &self.data {
            for j in 0..d.n {
                let y0 = lanes_y + j as f64 * lane_h;
                let vals = &d.values[lo * d.n..hi * d.n];
                let (v_lo, v_hi) = finite_range(vals.iter().skip(j).step_by(d.n).copied());
                let pad = (v_hi - v_lo) * 0.06;
                let (v_lo, v_hi) = (v_lo - pad, v_hi + pad);
                let yv = |v: f64| y0 + 2.0 + (lane_h - 4.0) * (v_hi - v) / (v_hi - v_lo);
                let name = self
                    .sensors
                    .get(j)
                    .cloned()
                    .unwrap_or_else(|| format!("column {j}"));
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
                    esc(&truncate(&name, 16)),
                    esc(&name),
                    fmt_f64(v_lo + pad),
                    fmt_f64(v_hi - pad)
                );
                let color = SENSOR_INK;
                if span <= 2 * PLOT_W {
                    let mut pts = String::with_capacity(span * 14);
                    for t in 0..span {
                        let v = vals[t * d.n + j];
                        if v.is_finite() {
                            let _ = write!(pts, "{:.1},{:.1} ", xt((lo + t) as f64 + 0.5), yv(v));
                        }
                    }
                    let _ = writeln!(
                        h,
                        "<polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"0.9\"/>",
                        pts.trim_end()
                    );
                } else {
                    let env = envelope(vals, d.n, j, span, PLOT_W);
                    let mut pts = String::with_capacity(PLOT_W * 26);
                    for (c, &(_, mx)) in env.iter().enumerate() {
                        if mx.is_finite() {
                            let _ = write!(
                                pts,
                                "{:.1},{:.1} ",
                                MARGIN_L as f64 + c as f64 + 0.5,
                                yv(mx) - 0.3
                            );
                        }
                    }
                    for (c, &(mn, mx)) in env.iter().enumerate().rev() {
                        if mx.is_finite() {
                            let _ = write!(
                                pts,
                                "{:.1},{:.1} ",
                                MARGIN_L as f64 + c as f64 + 0.5,
                                yv(mn) + 0.3
                            );
                        }
                    }
                    let _ = writeln!(
                        h,
                        "<polygon points=\"{}\" fill=\"{color}\" fill-opacity=\"0.42\" stroke=\"none\"/>",
                        pts.trim_end()
                    );
                    let mut mean_pts = String::with_capacity(PLOT_W * 13);
                    for (c, m) in column_means(vals, d.n, j, span, PLOT_W)
                        .into_iter()
                        .enumerate()
                    {
                        if m.is_finite() {
                            let _ = write!(
                                mean_pts,
                                "{:.1},{:.1} ",
                                MARGIN_L as f64 + c as f64 + 0.5,
                                yv(m)
                            );
                        }
                    }
                    let _ = writeln!(
                        h,
                        "<polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1\"/>",
                        mean_pts.trim_end()
                    );
                }
            }
        }

        // Motif lanes: instances with their stages coloured by state; narrow ones merged.
        for (mi, m) in self.motifs.iter().enumerate() {
            let y = motifs_y + mi as f64 * motif_lane_h;
            let _ = writeln!(
                h,
                "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" class=\"lab\">motif {}</text>",
                MARGIN_L - 6,
                y + motif_lane_h / 2.0 + 4.0,
                fmt_json(&m.id)
            );
            let _ = writeln!(
                h,
                "<rect x=\"{MARGIN_L}\" y=\"{:.1}\" width=\"{PLOT_W}\" height=\"{:.1}\" class=\"lane\"/>",
                y + 2.0,
                motif_lane_h - 4.0
            );
            let mut narrow: Vec<(f64, f64)> = Vec::new();
            for inst in &m.instances {
                if inst.end < lo || inst.start >= hi {
                    continue;
                }
                let x0 = xt(inst.start.max(lo) as f64);
                let x1 = xt((inst.end + 1).min(hi) as f64);
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
                    fmt_json(&m.id),
                    inst.start,
                    inst.end
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
                        xt(ss as f64),
                        y + 3.0,
                        (xt(se as f64) - xt(ss as f64)).max(0.0),
                        motif_lane_h - 6.0,
                        state_color(state, k)
                    );
                }
                let _ = writeln!(
                    h,
                    "<rect x=\"{x0:.2}\" y=\"{:.1}\" width=\"{:.2}\" height=\"{:.1}\" fill=\"none\" stroke=\"#222\" stroke-width=\"1\"/></g>",
                    y + 3.0,
                    x1 - x0,
                    motif_lane_h - 6.0
                );
            }
            for (x0, x1) in narrow {
                let _ = writeln!(
                    h,
                    "<rect x=\"{x0:.2}\" y=\"{:.1}\" width=\"{:.2}\" height=\"{:.1}\" fill=\"#333\"/>",
                    y + 3.0,
                    (x1 - x0).max(1.0),
                    motif_lane_h - 6.0
                );
            }
        }

        // Recording boundaries, named above the state strip.
        if self.recordings.len() > 1 {
            for (name, s, _) in self.recordings.iter().filter(|r| r.1 < hi && r.2 > lo) {
                let x = xt((*s).max(lo) as f64);
                if *s >= lo {
                    let _ = writeln!(
                        h,
                        "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{axis_y:.1}\" class=\"rec\"/>",
                        strip_y - 16.0
                    );
                }
                let _ = writeln!(
                    h,
                    "<text x=\"{:.1}\" y=\"{:.1}\" class=\"reclab\">{}</text>",
                    x + 4.0,
                    strip_y - 5.0,
                    esc(&truncate(name, 32))
                );
            }
        }

        // Time axis.
        let _ = writeln!(
            h,
            "<line x1=\"{MARGIN_L}\" x2=\"{}\" y1=\"{axis_y:.1}\" y2=\"{axis_y:.1}\" class=\"axis\"/>",
            MARGIN_L + PLOT_W
        );
        for t in nice_ticks(lo, hi, 10) {
            let x = xt(t as f64);
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
        if span > PLOT_W {
            let _ = writeln!(
                h,
                "<p class=\"dim small\">Each pixel column covers about {} timesteps: {}the state band shows the state holding most of the column's timesteps.</p>",
                fmt_f64((span as f64 / PLOT_W as f64 * 10.0).round() / 10.0),
                if self.data.is_some() {
                    "sensors are drawn as the band between their minimum and maximum in the column with a line through their mean (each sensor on its own vertical scale: hover its name for the range), and "
                } else {
                    ""
                }
            );
        } else if self.data.is_some() {
            h.push_str("<p class=\"dim small\">Each sensor has its own vertical scale, fitted to the timesteps shown (hover its name for the range).</p>\n");
        }
    }

    fn motif_table(&self, h: &mut String) {
        if self.motifs.is_empty() {
            h.push_str("<p>No motif was kept in this run.</p>\n");
            return;
        }
        let k = self.n_colors();
        let _ = writeln!(
            h,
            "<p>{} motif{} kept.</p>\n<table class=\"data\">\n<thead><tr><th>motif</th><th>states</th><th>instances</th><th>score</th><th>p-value</th><th>mean duration per stage</th><th>mean duration</th></tr></thead>\n<tbody>",
            self.motifs.len(),
            plural(self.motifs.len())
        );
        for m in &self.motifs {
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
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                fmt_json(&m.id),
                chips.join(" &#8594; "),
                fmt_json(&m.n_instances),
                fmt_json(&m.score),
                fmt_json(&m.p_value),
                stages_s.join(" &#183; "),
                total.map_or_else(|| "&#8212;".into(), |v| format!("{v:.1}"))
            );
        }
        h.push_str("</tbody>\n</table>\n<p class=\"dim small\">Durations in timesteps, from each instance's stage starts and end (inclusive).</p>\n");
        for m in &self.motifs {
            let _ = writeln!(
                h,
                "<details><summary>Instances of motif {} ({})</summary>\n<table class=\"data\">\n<thead><tr><th>#</th>{}<th>start</th><th>end</th><th>stage starts</th><th>score</th></tr></thead>\n<tbody>",
                fmt_json(&m.id),
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
                    fmt_json(&inst.score)
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
    }

    fn heatmaps(&self, h: &mut String) {
        let n = self.sensors.len();
        let d = n * self.window;
        // One symmetric scale for all states, from the largest off-diagonal magnitude.
        let mut scale = 0.0f64;
        for s in &self.states {
            for r in 0..d {
                for c in 0..d {
                    let v = s.precision[r * d + c];
                    if r != c && v.is_finite() {
                        scale = scale.max(v.abs());
                    }
                }
            }
        }
        if scale == 0.0 {
            scale = 1.0;
        }
        let _ = writeln!(
            h,
            "<p>Each state's precision matrix (inverse covariance{}): a non-zero off-diagonal entry links two sensors given all the others. Colours are symmetric around 0, the same scale for every state; entries beyond &#177;{} (mostly the diagonal) are drawn at full colour.{}</p>",
            if self.window > 1 {
                format!(
                    " of {} stacked consecutive observations; the blocks are the time lags, sensor <i>name</i>[t+j] is the observation j steps later",
                    self.window
                )
            } else {
                String::new()
            },
            fmt_sig(scale),
            if d <= HEATMAP_SVG_MAX {
                " Hover a cell for its value (states.json has them all)."
            } else {
                " The exact values are in states.json."
            }
        );
        colorbar(h, scale);
        let labels: Vec<String> = (0..self.window)
            .flat_map(|lag| {
                self.sensors.iter().map(move |s| {
                    if self.window > 1 {
                        if lag == 0 {
                            format!("{s}[t]")
                        } else {
                            format!("{s}[t+{lag}]")
                        }
                    } else {
                        s.clone()
                    }
                })
            })
            .collect();
        let k = self.n_colors();
        h.push_str("<div class=\"cards\">\n");
        for s in &self.states {
            let _ = writeln!(
                h,
                "<div class=\"card\"><h3><span class=\"sw\" style=\"background:{}\"></span>state {}</h3><p class=\"small\">{} timesteps &#183; {} non-zeros</p>",
                state_color(s.id, k),
                s.id,
                fmt_json(&s.timesteps),
                fmt_json(&s.nonzeros)
            );
            heatmap_svg(h, &s.precision, d, self.window, &labels, scale);
            h.push_str("</div>\n");
        }
        h.push_str("</div>\n");
    }

    fn summary_tables(&self, h: &mut String) {
        let s = &self.summary;
        let g = |k: &str| s.get(k);
        h.push_str("<div class=\"cols\">\n<div>\n<h3>Run</h3>\n<table class=\"kv\">\n");
        let inputs = match g("inputs") {
            Some(Json::Arr(a)) => a
                .iter()
                .map(|p| esc(p.as_str().unwrap_or("?")))
                .collect::<Vec<_>>()
                .join("<br>"),
            _ => "&#8212;".into(),
        };
        kv(h, "inputs", &inputs);
        for key in ["n_steps", "n_sensors", "bic"] {
            if let Some(v) = g(key) {
                kv(h, key, &fmt_json(v));
            }
        }
        let recs: Vec<String> = self
            .recordings
            .iter()
            .map(|(n, a, b)| format!("{} [{a}, {b})", esc(n)))
            .collect();
        kv(h, "recordings", &recs.join("<br>"));
        for key in ["iterations", "converged"] {
            if let Some(Json::Obj(o)) = g(key) {
                for (k2, v) in o {
                    kv(h, &format!("{key} {k2}"), &fmt_json(v));
                }
            }
        }
        if let Some(v) = g("state_counts") {
            kv(h, "state_counts", &fmt_json(v));
        }
        h.push_str("</table>\n");
        if let Some(Json::Obj(o)) = g("seconds") {
            h.push_str("<h3>Seconds</h3>\n<table class=\"kv\">\n");
            let order = [
                "read",
                "beta",
                "init",
                "phase1",
                "split_merge",
                "phase2",
                "fit",
                "total",
            ];
            let rank = |k: &str| order.iter().position(|o| *o == k).unwrap_or(order.len());
            let mut o: Vec<&(String, Json)> = o.iter().collect();
            o.sort_by_key(|(k, _)| rank(k));
            for (k2, v) in o {
                kv(h, k2, &fmt_json(v));
            }
            h.push_str("</table>\n");
        }
        h.push_str("</div>\n<div>\n");
        if let Some(Json::Obj(o)) = g("parameters") {
            h.push_str("<h3>Parameters</h3>\n<table class=\"kv\">\n");
            for (k2, v) in o {
                kv(h, k2, &fmt_json(v));
            }
            h.push_str("</table>\n");
        }
        h.push_str("</div>\n<div>\n");
        if let Some(Json::Obj(o)) = g("init") {
            h.push_str("<h3>Initialisation</h3>\n<table class=\"kv\">\n");
            let chosen = o
                .iter()
                .find(|(k, _)| k == "chosen")
                .and_then(|(_, v)| v.as_str());
            for (k2, v) in o {
                if k2 == "candidates" {
                    continue;
                }
                kv(h, k2, &fmt_json(v));
            }
            h.push_str("</table>\n");
            if let Some((_, Json::Arr(cands))) = o.iter().find(|(k, _)| k == "candidates") {
                h.push_str("<table class=\"data\">\n<thead><tr><th>candidate</th><th>score</th></tr></thead>\n<tbody>\n");
                for c in cands {
                    let (name, score) = match c {
                        Json::Arr(a) if a.len() == 2 => (fmt_json(&a[0]), fmt_json(&a[1])),
                        other => (fmt_json(other), String::new()),
                    };
                    let is_chosen = match c {
                        Json::Arr(a) => {
                            a.first().and_then(Json::as_str) == chosen && chosen.is_some()
                        }
                        _ => false,
                    };
                    let _ = writeln!(
                        h,
                        "<tr{}><td>{name}{}</td><td class=\"num\">{score}</td></tr>",
                        if is_chosen { " class=\"chosen\"" } else { "" },
                        if is_chosen { " (chosen)" } else { "" }
                    );
                }
                h.push_str("</tbody>\n</table>\n");
            }
        }
        if let Some(Json::Arr(trials)) = g("split_merge")
            && !trials.is_empty()
        {
            h.push_str("<h3>Split and merge</h3>\n<table class=\"data\">\n<thead><tr><th>round</th><th>freed into kept</th><th>split</th><th>objective</th><th>to beat</th></tr></thead>\n<tbody>\n");
            for t in trials {
                if !matches!(t, Json::Obj(_)) {
                    continue;
                }
                let f = |key: &str| t.get(key).map_or_else(String::new, fmt_json);
                let kept = matches!(t.get("accepted"), Some(Json::Bool(true)));
                let _ = writeln!(
                    h,
                    "<tr{}><td>{}</td><td>{} &rarr; {}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                    if kept { " class=\"chosen\"" } else { "" },
                    f("round"),
                    f("freed"),
                    f("kept"),
                    f("split"),
                    f("objective"),
                    f("baseline")
                );
            }
            h.push_str("</tbody>\n</table>\n");
        }
        if let Some(st) = &self.standardization {
            h.push_str("<h3>Standardisation</h3>\n<table class=\"data\">\n<thead><tr><th>sensor</th><th>mean</th><th>sd</th></tr></thead>\n<tbody>\n");
            for (i, (m, sd)) in st.iter().enumerate() {
                let name = self
                    .sensors
                    .get(i)
                    .map_or_else(|| i.to_string(), |s| esc(s));
                let _ = writeln!(
                    h,
                    "<tr><td>{name}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                    fmt_json(m),
                    fmt_json(sd)
                );
            }
            h.push_str("</tbody>\n</table>\n");
        }
        h.push_str("</div>\n</div>\n");
        if let Some(Json::Arr(log)) = g("iteration_log")
            && !log.is_empty()
        {
            {
                let mut cols: Vec<String> = Vec::new();
                for e in log {
                    if let Json::Obj(o) = e {
                        for (k2, _) in o {
                            if !cols.contains(k2) {
                                cols.push(k2.clone());
                            }
                        }
                    }
                }
                // Phase and iteration first.
                for (pos, key) in ["phase", "iteration"].iter().enumerate() {
                    if let Some(i) = cols.iter().position(|c| c == key) {
                        let c = cols.remove(i);
                        cols.insert(pos.min(cols.len()), c);
                    }
                }
                h.push_str("<h3>Iteration log</h3>\n<div class=\"scroll\">\n<table class=\"data\">\n<thead><tr>");
                for c in &cols {
                    let _ = write!(h, "<th>{}</th>", esc(&c.replace('_', " ")));
                }
                h.push_str("</tr></thead>\n<tbody>\n");
                for e in log {
                    h.push_str("<tr>");
                    for c in &cols {
                        let v = e.get(c).map_or_else(String::new, fmt_json);
                        let _ = write!(h, "<td class=\"num\">{v}</td>");
                    }
                    h.push_str("</tr>\n");
                }
                h.push_str("</tbody>\n</table>\n</div>\n");
            }
        }
    }
}

/// Reads one data CSV, retrying with a missing-value policy and then with each header column as
/// a sequence column when the plain read fails.
fn read_table(path: &Path, n_sensors: usize, several: bool) -> Result<crate::Table, String> {
    let plain = read_csv(path, &ReadOptions::default());
    let first_err = match plain {
        Ok(t) => return Ok(t),
        Err(e) => e.to_string(),
    };
    let interp = ReadOptions {
        missing: Missing::Interpolate,
        sequence_column: None,
    };
    if let Ok(t) = read_csv(path, &interp)
        && t.n == n_sensors
    {
        return Ok(t);
    }
    if several || first_err.contains("not a number") || first_err.contains("numeric") {
        let header = std::fs::read_to_string(path)
            .ok()
            .and_then(|s| s.lines().next().map(str::to_string))
            .unwrap_or_default();
        for name in header
            .split(',')
            .map(|c| c.trim().trim_matches('"'))
            .take(64)
        {
            let o = ReadOptions {
                missing: Missing::Interpolate,
                sequence_column: Some(name.to_string()),
            };
            if let Ok(t) = read_csv(path, &o)
                && t.n == n_sensors
            {
                return Ok(t);
            }
        }
    }
    Err(first_err)
}

/// Parses `segments.csv` into runs in global time (merging neighbours of the same state that
/// differ only by motif membership).
fn parse_segments(
    text: &str,
    recordings: &[(String, usize, usize)],
    n_steps: usize,
) -> Result<Vec<Run>, ReportError> {
    let bad = |line: usize, m: String| malformed("segments.csv", format!("line {line}: {m}"));
    let mut lines = text.lines().enumerate();
    let header: Vec<&str> = match lines.next() {
        Some((_, l)) => l.split(',').map(str::trim).collect(),
        None => return Err(malformed("segments.csv", "the file is empty")),
    };
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (Some(cs), Some(ce), Some(ck)) = (col("start"), col("end"), col("state")) else {
        return Err(bad(1, "the header must name start, end and state".into()));
    };
    let cr = col("recording");
    let mut runs: Vec<Run> = Vec::new();
    for (i, line) in lines {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        // Recording names may contain commas only if the CSV quoted them; split from the right.
        let cells: Vec<&str> = line.split(',').collect();
        let offset = cells.len().saturating_sub(header.len());
        let cell = |c: usize| {
            cells
                .get(if c == 0 && cr == Some(0) {
                    0
                } else {
                    c + offset
                })
                .map(|s| s.trim())
        };
        let num = |c: usize, what: &str| {
            cell(c)
                .and_then(|s| s.parse::<usize>().ok())
                .ok_or_else(|| bad(line_no, format!("{what} is not a non-negative integer")))
        };
        let (mut start, mut end, state) = (num(cs, "start")?, num(ce, "end")?, num(ck, "state")?);
        if let Some(c) = cr {
            let name = if offset > 0 {
                cells[..=offset].join(",")
            } else {
                cell(c).unwrap_or("").to_string()
            };
            let name = name.trim();
            let Some((_, rs, re)) = recordings.iter().find(|r| r.0 == name) else {
                return Err(bad(
                    line_no,
                    format!("recording {name:?} is not in summary.json"),
                ));
            };
            start += rs;
            end += rs;
            if end >= *re {
                return Err(bad(
                    line_no,
                    format!("end {} is past recording {name:?}", end - rs),
                ));
            }
        }
        if start > end || end >= n_steps {
            return Err(bad(
                line_no,
                format!("segment {start}..={end} outside 0..{n_steps}"),
            ));
        }
        match runs.last_mut() {
            Some(last) if last.state == state && last.end + 1 == start => last.end = end,
            _ => runs.push(Run { start, end, state }),
        }
    }
    Ok(runs)
}

/// State bands in pixel space: `(x0, x1, state)` with `0 <= x0 < x1 <= width`, one per run of
/// pixels. Exact run boundaries when there are at most `width` runs, else per pixel column the
/// state covering most of its timesteps (ties to the smaller state), neighbours merged.
fn pixel_bands(runs: &[Run], n_steps: usize, width: usize) -> Vec<(f64, f64, usize)> {
    let t = n_steps.max(1) as f64;
    let w = width as f64;
    let mut out: Vec<(f64, f64, usize)> = Vec::new();
    if runs.len() <= width {
        for r in runs {
            let x0 = r.start as f64 * w / t;
            let x1 = (r.end + 1) as f64 * w / t;
            match out.last_mut() {
                Some(last) if last.2 == r.state && (last.1 - x0).abs() < 1e-9 => last.1 = x1,
                _ => out.push((x0, x1, r.state)),
            }
        }
        return out;
    }
    let mut ri = 0;
    let mut cover: Vec<(usize, usize)> = Vec::new();
    for c in 0..width {
        let c0 = c * n_steps / width;
        let c1 = ((c + 1) * n_steps / width).max(c0 + 1).min(n_steps);
        cover.clear();
        while ri < runs.len() && runs[ri].end < c0 {
            ri += 1;
        }
        let mut j = ri;
        while j < runs.len() && runs[j].start < c1 {
            let a = runs[j].start.max(c0);
            let b = (runs[j].end + 1).min(c1);
            if b > a {
                match cover.iter_mut().find(|e| e.0 == runs[j].state) {
                    Some(e) => e.1 += b - a,
                    None => cover.push((runs[j].state, b - a)),
                }
            }
            j += 1;
        }
        let Some(&(s, _)) = cover
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        else {
            continue;
        };
        let (x0, x1) = (c as f64, (c + 1) as f64);
        match out.last_mut() {
            Some(last) if last.2 == s && last.1 == x0 => last.1 = x1,
            _ => out.push((x0, x1, s)),
        }
    }
    out
}

/// Per pixel column, the minimum and maximum of sensor `j` over the timesteps it covers
/// (non-finite values skipped; `(NaN, NaN)` for a column with none).
fn envelope(values: &[f64], n: usize, j: usize, n_steps: usize, width: usize) -> Vec<(f64, f64)> {
    (0..width)
        .map(|c| {
            let c0 = c * n_steps / width;
            let c1 = ((c + 1) * n_steps / width).max(c0 + 1).min(n_steps);
            let mut mn = f64::INFINITY;
            let mut mx = f64::NEG_INFINITY;
            for t in c0..c1 {
                let v = values[t * n + j];
                if v.is_finite() {
                    mn = mn.min(v);
                    mx = mx.max(v);
                }
            }
            if mn.is_finite() {
                (mn, mx)
            } else {
                (f64::NAN, f64::NAN)
            }
        })
        .collect()
}

/// Per pixel column, the mean of sensor `j` over the timesteps it covers (non-finite values
/// skipped; NaN for a column with none).
fn column_means(values: &[f64], n: usize, j: usize, n_steps: usize, width: usize) -> Vec<f64> {
    (0..width)
        .map(|c| {
            let c0 = c * n_steps / width;
            let c1 = ((c + 1) * n_steps / width).max(c0 + 1).min(n_steps);
            let (sum, count) = (c0..c1)
                .map(|t| values[t * n + j])
                .filter(|v| v.is_finite())
                .fold((0.0, 0usize), |(s, k), v| (s + v, k + 1));
            if count == 0 {
                f64::NAN
            } else {
                sum / count as f64
            }
        })
        .collect()
}

/// Mean duration (timesteps) of each stage over the instances, and mean total duration.
fn mean_stage_durations(instances: &[InstanceView], n_stages: usize) -> (Vec<f64>, Option<f64>) {
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

fn heatmap_svg(h: &mut String, p: &[f64], d: usize, window: usize, labels: &[String], scale: f64) {
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
        for r in 0..d {
            for c in 0..d {
                let v = p[r * d + c];
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
                    fmt_f64(v)
                );
            }
        }
    } else {
        let bmp = bmp_data(p, d, scale);
        let _ = writeln!(
            h,
            "<image x=\"{margin}\" y=\"{margin}\" width=\"{size}\" height=\"{size}\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" href=\"data:image/bmp;base64,{}\"/>",
            base64(&bmp)
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
    let steps = 41;
    let bw = 6.0;
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
fn diverging(t: f64) -> String {
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

/// A 24-bit BMP of the matrix (one pixel per entry; white for zeros).
fn bmp_data(p: &[f64], d: usize, scale: f64) -> Vec<u8> {
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
    for r in 0..d {
        for c in 0..d {
            let (rr, gg, bb) = diverging_rgb(p[r * d + c] / scale);
            b.extend_from_slice(&[bb, gg, rr]);
        }
        b.resize(b.len() + row - 3 * d, 0);
    }
    b
}

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

/// Colour of state `s` among `k`: Tableau 10 / 20 style categorical colours, then evenly
/// spaced hues for larger `k`.
fn state_color(s: usize, k: usize) -> String {
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

const SENSOR_INK: &str = "#2f3a46";

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

/// The runs overlapping `[lo, hi)`, clipped to it and shifted to start at 0.
fn clip_runs(runs: &[Run], lo: usize, hi: usize) -> Vec<Run> {
    runs.iter()
        .filter(|r| r.end >= lo && r.start < hi)
        .map(|r| Run {
            start: r.start.max(lo) - lo,
            end: r.end.min(hi - 1) - lo,
            state: r.state,
        })
        .collect()
}

fn kv(h: &mut String, k: &str, v_html: &str) {
    let _ = writeln!(
        h,
        "<tr><th>{}</th><td>{v_html}</td></tr>",
        esc(&k.replace('_', " "))
    );
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('\u{2026}');
        t
    }
}

/// HTML-escapes text for element content and attribute values.
pub fn esc(s: &str) -> String {
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

/// Shortest text that reads back as `v` (scientific notation for very small or large values).
fn fmt_f64(v: f64) -> String {
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
fn fmt_sig(v: f64) -> String {
    let s = format!("{v:.2e}");
    s.parse::<f64>().map_or(s, fmt_f64)
}

/// A JSON value as HTML: numbers with their text from the file, strings escaped, lists of
/// scalars comma-separated, objects as `key: value` pairs.
fn fmt_json(v: &Json) -> String {
    match v {
        Json::Null => "&#8212;".into(),
        Json::Bool(b) => (if *b { "yes" } else { "no" }).into(),
        Json::Num(_, text) => esc(text),
        Json::Str(s) => esc(s),
        Json::Arr(a) => a.iter().map(fmt_json).collect::<Vec<_>>().join(", "),
        Json::Obj(o) => o
            .iter()
            .map(|(k, v)| format!("{}: {}", esc(k), fmt_json(v)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// A JSON value that keeps each number's text as written, and object keys in file order.
#[derive(Clone, Debug, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    /// The value (correctly rounded by Rust's parser) and the text from the file.
    Num(f64, String),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(o) => o.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Num(v, _) => Some(*v),
            _ => None,
        }
    }

    fn as_usize(&self) -> Option<usize> {
        match self {
            Json::Num(_, t) => t.parse().ok(),
            _ => None,
        }
    }

    /// Parses a JSON document; the error names the byte offset.
    fn parse(text: &str) -> Result<Json, String> {
        let mut p = JsonParser {
            b: text.as_bytes(),
            i: 0,
        };
        let v = p.value(0)?;
        p.ws();
        if p.i != p.b.len() {
            return Err(p.err("unexpected text after the JSON value"));
        }
        Ok(v)
    }
}

struct JsonParser<'a> {
    b: &'a [u8],
    i: usize,
}

impl JsonParser<'_> {
    fn err(&self, m: &str) -> String {
        let line = self.b[..self.i.min(self.b.len())]
            .iter()
            .filter(|&&c| c == b'\n')
            .count()
            + 1;
        format!("not valid JSON at line {line} (byte {}): {m}", self.i)
    }

    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn lit(&mut self, word: &str, v: Json) -> Result<Json, String> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err("unknown literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, String> {
        if depth > 128 {
            return Err(self.err("nested too deeply"));
        }
        self.ws();
        match self.b.get(self.i) {
            None => Err(self.err("unexpected end")),
            Some(b'n') => self.lit("null", Json::Null),
            Some(b't') => self.lit("true", Json::Bool(true)),
            Some(b'f') => self.lit("false", Json::Bool(false)),
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b'[') => {
                self.i += 1;
                let mut a = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Json::Arr(a));
                }
                loop {
                    a.push(self.value(depth + 1)?);
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Json::Arr(a));
                        }
                        _ => return Err(self.err("expected , or ]")),
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                let mut o = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Json::Obj(o));
                }
                loop {
                    self.ws();
                    if self.b.get(self.i) != Some(&b'"') {
                        return Err(self.err("expected a key"));
                    }
                    let k = self.string()?;
                    self.ws();
                    if self.b.get(self.i) != Some(&b':') {
                        return Err(self.err("expected :"));
                    }
                    self.i += 1;
                    let v = self.value(depth + 1)?;
                    o.push((k, v));
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Json::Obj(o));
                        }
                        _ => return Err(self.err("expected , or }")),
                    }
                }
            }
            Some(c) if *c == b'-' || c.is_ascii_digit() => {
                let s = self.i;
                while self.i < self.b.len()
                    && matches!(
                        self.b[self.i],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.i += 1;
                }
                let text =
                    std::str::from_utf8(&self.b[s..self.i]).map_err(|_| self.err("bad number"))?;
                let v: f64 = text.parse().map_err(|_| self.err("bad number"))?;
                Ok(Json::Num(v, text.to_string()))
            }
            Some(_) => Err(self.err("unexpected character")),
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let h = self
            .b
            .get(self.i..self.i + 4)
            .ok_or_else(|| self.err("short \\u escape"))?;
        let s = std::str::from_utf8(h).map_err(|_| self.err("bad \\u escape"))?;
        let v = u32::from_str_radix(s, 16).map_err(|_| self.err("bad \\u escape"))?;
        self.i += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, String> {
        self.i += 1; // opening quote
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return Err(self.err("unterminated string"));
            };
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.b.get(self.i) else {
                        return Err(self.err("unterminated string"));
                    };
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let mut u = self.hex4()?;
                            if (0xD800..0xDC00).contains(&u) && self.b[self.i..].starts_with(b"\\u")
                            {
                                self.i += 2;
                                let lo = self.hex4()?;
                                u = 0x10000
                                    + ((u - 0xD800) << 10)
                                    + (lo.wrapping_sub(0xDC00) & 0x3FF);
                            }
                            char::from_u32(u).unwrap_or('\u{FFFD}')
                        }
                        _ => return Err(self.err("bad escape")),
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| self.err("string is not UTF-8"))
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
svg.plot{max-width:100%;height:auto;display:block}
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
footer{margin:30px 0 10px;color:#57606a;font-size:12px}
";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BIC: f64 = 2169.306565381765;
    const P0: f64 = 8.536723575373206e-29;
    const P1: f64 = 0.012345678901234567;
    const EVIL: &str = "<b>&\"";

    /// Checks that every non-void tag is closed in order, attributes are quoted, and text has
    /// no raw `<` and only well-formed entities. Returns the number of elements seen, or what is wrong.
    fn check_well_formed(h: &str) -> Result<usize, String> {
        macro_rules! ensure {
            ($c:expr, $($t:tt)*) => {
                if !$c {
                    return Err(format!($($t)*));
                }
            };
        }
        const VOID: [&str; 7] = ["meta", "br", "hr", "img", "input", "link", "wbr"];
        let b = h.as_bytes();
        let mut stack: Vec<String> = Vec::new();
        let mut i = 0;
        let mut elements = 0;
        while i < b.len() {
            match b[i] {
                b'<' => {
                    if h[i..].starts_with("<!DOCTYPE") || h[i..].starts_with("<!--") {
                        let end = if h[i..].starts_with("<!--") {
                            "-->"
                        } else {
                            ">"
                        };
                        i += h[i..].find(end).ok_or("unterminated declaration")? + end.len();
                        continue;
                    }
                    let close = b.get(i + 1) == Some(&b'/');
                    let start = i + 1 + usize::from(close);
                    let mut j = start;
                    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-') {
                        j += 1;
                    }
                    let name = h[start..j].to_ascii_lowercase();
                    ensure!(
                        !name.is_empty(),
                        "raw < at byte {i}: {}",
                        &h[i..(i + 40).min(h.len())]
                    );
                    // Scan to the end of the tag, honouring quoted attribute values.
                    let mut quote = None;
                    while j < b.len() {
                        match (quote, b[j]) {
                            (None, b'"') | (None, b'\'') => quote = Some(b[j]),
                            (Some(q), c) if c == q => quote = None,
                            (None, b'>') => break,
                            (None, b'<') => return Err(format!("< inside tag {name} at byte {j}")),
                            _ => {}
                        }
                        j += 1;
                    }
                    ensure!(j < b.len(), "unterminated tag {name}");
                    let self_closing = b[j - 1] == b'/';
                    if close {
                        let top = stack
                            .pop()
                            .ok_or_else(|| format!("</{name}> closes nothing"))?;
                        ensure!(top == name, "</{name}> closes <{top}> at byte {i}");
                    } else {
                        elements += 1;
                        if !self_closing && !VOID.contains(&name.as_str()) {
                            stack.push(name.clone());
                        }
                    }
                    i = j + 1;
                    if name == "style" && !close {
                        i += h[i..].find("</style>").ok_or("unclosed style")?;
                    }
                }
                b'&' => {
                    let semi = h[i..].find(';').ok_or("& without ;")?;
                    let ent = &h[i + 1..i + semi];
                    let ok = ["amp", "lt", "gt", "quot"].contains(&ent)
                        || (ent.starts_with('#')
                            && ent[1..].chars().all(|c| c.is_ascii_digit())
                            && ent.len() > 1);
                    ensure!(ok, "bad entity &{ent}; at byte {i}");
                    i += semi + 1;
                }
                _ => i += 1,
            }
        }
        ensure!(stack.is_empty(), "unclosed: {stack:?}");
        Ok(elements)
    }

    #[allow(clippy::needless_range_loop)] // fills both triangles by index
    fn sym(d: usize, seed: usize) -> Vec<Vec<f64>> {
        let mut m = vec![vec![0.0; d]; d];
        for r in 0..d {
            m[r][r] = 1.5 + r as f64 * 0.25;
            for c in 0..r {
                let v = if (r * 7 + c * 3 + seed).is_multiple_of(3) {
                    0.0
                } else {
                    ((r * 13 + c * 5 + seed) % 11) as f64 / 10.0 - 0.5
                };
                m[r][c] = v;
                m[c][r] = v;
            }
        }
        m
    }

    struct Folder {
        summary: String,
        states: String,
        motifs: String,
        segments: String,
    }

    /// A small two-recording run: 3 sensors (one named `<b>&"`), window 2, 3 states, 1 motif.
    fn small_run(data_path: &str) -> Folder {
        let sensors = [EVIL, "x1", "x2"];
        let d = 6;
        let counts = [14, 10, 16];
        let states: Vec<_> = (0..3)
            .map(|k| {
                let p = sym(d, k);
                let nnz = p.iter().flatten().filter(|v| **v != 0.0).count();
                json!({"state": k, "timesteps": counts[k], "nonzeros": nnz, "mean": [0.1, 0.2, 0.3, 0.1, 0.2, 0.3], "precision": p})
            })
            .collect();
        let states = json!({"sensors": sensors, "window": 2, "standardization": [{"mean": 1.25, "sd": 0.5}, {"mean": 0.0, "sd": 1.0}, {"mean": -3.0, "sd": 2.0}], "states": states});
        let motifs = json!([{
            "motif": 0, "states": [0, 1, 2], "score": 170.3064954632921, "p_value": P0, "n_instances": 2,
            "instances": [
                {"start": 2, "end": 13, "stage_starts": [2, 6, 8], "score": 12.5, "recording": "a", "local_start": 2, "local_end": 13},
                {"start": 22, "end": 33, "stage_starts": [22, 24, 30], "score": 11.25, "recording": "b", "local_start": 2, "local_end": 13}
            ]
        }, {
            "motif": 1, "states": [2, 0], "score": 3.5, "p_value": P1, "n_instances": 1,
            "instances": [{"start": 35, "end": 38, "stage_starts": [35, 37], "score": 1.0}]
        }]);
        let summary = json!({
            "inputs": [data_path],
            "n_steps": 40, "n_sensors": 3,
            "recordings": [{"name": "a", "range": {"start": 0, "end": 20}}, {"name": "b", "range": {"start": 20, "end": 40}}],
            "parameters": {"beta": 25.0, "lambda": 0.001, "n_states": 3, "window": 2, "seed": 7},
            "bic": BIC,
            "iterations": {"phase1": 4, "phase2": 2},
            "converged": {"phase1": true, "phase2": false},
            "state_counts": counts,
            "motifs": [{"states": [0, 1, 2], "instances": 2}],
            "seconds": {"read": 0.001, "init": 0.25, "phase1": 1.5, "phase2": 0.75, "fit": 2.5, "total": 2.6},
            "init": {"chosen": "gmm", "candidates": [["gmm", 29180.343370998835], ["local-moments-3", 29200.5]], "sample_size": 40},
            "iteration_log": [{"phase": 1, "iteration": 0, "objective": 123.456, "admm_iterations": [3, 4, 5]}],
        });
        // Local times per recording: a = 0..20, b = 20..40.
        let segments = "recording,start,end,state,motif\n\
            a,0,1,2,\na,2,5,0,0/0\na,6,7,1,0/0\na,8,13,2,0/0\na,14,19,0,\n\
            b,0,1,1,\nb,2,3,0,0/1\nb,4,9,1,0/1\nb,10,13,2,0/1\nb,14,14,0,\nb,15,16,2,1/0\nb,17,18,0,1/0\nb,19,19,1,\n";
        Folder {
            summary: serde_json::to_string_pretty(&summary).unwrap(),
            states: serde_json::to_string_pretty(&states).unwrap(),
            motifs: serde_json::to_string_pretty(&motifs).unwrap(),
            segments: segments.into(),
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("casc-report-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn write_folder(dir: &Path, f: &Folder) {
        for (name, text) in [
            ("summary.json", &f.summary),
            ("states.json", &f.states),
            ("motifs.json", &f.motifs),
            ("segments.csv", &f.segments),
        ] {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }

    fn data_csv(rows: usize) -> String {
        let mut s = String::from("a,b,c\n");
        for t in 0..rows {
            let _ = writeln!(
                s,
                "{},{},{}",
                (t as f64 * 0.3).sin(),
                t % 5,
                -(t as f64) * 0.125
            );
        }
        s
    }

    fn render_small() -> String {
        let f = small_run("data.csv");
        let values: Vec<f64> = (0..120).map(|i| (i as f64 * 0.37).sin()).collect();
        ReportInput::from_parts(
            &f.summary,
            &f.states,
            &f.motifs,
            &f.segments,
            Some(SensorData { values, n: 3 }),
        )
        .unwrap()
        .render()
    }

    #[test]
    fn page_is_well_formed() {
        let h = render_small();
        assert!(check_well_formed(&h).unwrap() > 100);
        assert!(h.starts_with("<!DOCTYPE html>"));
        assert!(!h.contains("<script"), "no script");
        assert!(
            !h.contains("http://")
                || !h
                    .replace("http://www.w3.org/2000/svg", "")
                    .contains("http://"),
            "no network"
        );
        assert_eq!(
            h.matches("<svg").count(),
            1 + 1 + 3,
            "timeline, colour bar, one heatmap per state"
        );
    }

    #[test]
    fn checker_rejects_broken_markup() {
        for bad in [
            "<div><span></div></span>",
            "<p>a < b</p>",
            "<div>",
            "<p>&foo;</p>",
            "</p>",
            "<p a=\"x>",
            "<style>p{}",
        ] {
            assert!(check_well_formed(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(
            check_well_formed("<p a=\"x>y\">&amp;<br><svg><rect/></svg></p>"),
            Ok(4)
        );
    }

    #[test]
    fn numbers_equal_the_run_outputs() {
        let h = render_small();
        let text = |v: f64| serde_json::to_string(&v).unwrap();
        assert!(h.contains(&format!("BIC <b>{}</b>", text(BIC))));
        assert!(h.contains(&format!("<td>{}</td>", text(BIC))));
        assert!(
            h.contains(&format!("<td class=\"num\">{}</td>", text(P0))),
            "p-value {}",
            text(P0)
        );
        assert!(h.contains(&format!("<td class=\"num\">{}</td>", text(P1))));
        assert!(h.contains("2 motifs kept."));
        assert!(h.contains(", 2 motifs. BIC"));
        // instances column
        assert!(h.contains("<td class=\"num\">2</td><td class=\"num\">170.3064954632921</td>"));
        // timesteps and non-zeros per state
        let f = small_run("data.csv");
        let states: serde_json::Value = serde_json::from_str(&f.states).unwrap();
        for s in states["states"].as_array().unwrap() {
            let line = format!(
                "{} timesteps &#183; {} non-zeros",
                s["timesteps"], s["nonzeros"]
            );
            assert!(h.contains(&line), "{line}");
        }
        assert!(h.contains(&format!(
            "<td class=\"num\">{}</td>",
            text(29180.343370998835)
        )));
        for v in ["0.001", "0.25", "1.5", "0.75", "2.5", "2.6", "25.0"] {
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
    fn numbers_keep_their_text_through_the_parser() {
        // Values with 17 significant digits, which a fast float parser may round differently.
        let vals = [
            29180.343370998835,
            0.1 + 0.2,
            1e-300,
            123456789.12345679,
            -6.626524252378694,
            P0,
            5e-324,
        ];
        for v in vals {
            let t = serde_json::to_string(&v).unwrap();
            let j = Json::parse(&t).unwrap();
            assert_eq!(j.as_f64(), Some(v), "{t}");
            assert_eq!(fmt_json(&j), t);
            assert_eq!(fmt_f64(v).parse::<f64>().unwrap(), v);
        }
    }

    #[test]
    fn json_parser_handles_strings_and_rejects_garbage() {
        let j = Json::parse(r#"{"a": ["x\"\\\u00e9\ud83d\ude00", true, null, -1.5e3], "b": {}}"#)
            .unwrap();
        let Some(Json::Arr(a)) = j.get("a") else {
            panic!()
        };
        assert_eq!(a[0].as_str(), Some("x\"\\é😀"));
        assert_eq!(a[1], Json::Bool(true));
        assert_eq!(a[2], Json::Null);
        assert_eq!(a[3].as_f64(), Some(-1500.0));
        assert_eq!(j.get("b"), Some(&Json::Obj(vec![])));
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "tru",
            "\"abc",
            "[1] x",
            "{1: 2}",
        ] {
            assert!(Json::parse(bad).is_err(), "{bad:?} accepted");
        }
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
        assert_eq!(
            esc("<a href='x'>&</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn write_report_reads_the_folder_and_the_data() {
        let dir = temp_dir("folder");
        let f = small_run(dir.join("data.csv").to_str().unwrap());
        write_folder(&dir, &f);
        std::fs::write(dir.join("data.csv"), data_csv(40)).unwrap();
        let path = write_report(&dir).unwrap();
        assert_eq!(path, dir.join("report.html"));
        let h = std::fs::read_to_string(&path).unwrap();
        check_well_formed(&h).unwrap();
        assert_eq!(h.matches("<polyline").count(), 3, "one line per sensor");
        assert!(!h.contains("class=\"note\""));
        // Recording boundary drawn for the second recording.
        assert!(h.contains(">b</text>"));

        // The data file gone: the page is still written and says why.
        std::fs::remove_file(dir.join("data.csv")).unwrap();
        let h = std::fs::read_to_string(write_report(&dir).unwrap()).unwrap();
        check_well_formed(&h).unwrap();
        assert!(!h.contains("<polyline") && !h.contains("<polygon"));
        assert!(
            h.contains("class=\"note\">sensor values not shown: the data file"),
            "note"
        );

        // Wrong number of rows: also a note, not an error.
        std::fs::write(dir.join("data.csv"), data_csv(39)).unwrap();
        let h = std::fs::read_to_string(write_report(&dir).unwrap()).unwrap();
        assert!(h.contains("the run had 40 timesteps"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn relative_input_paths_are_also_looked_up_in_the_folder() {
        let dir = temp_dir("relative");
        let f = small_run("some/where/else/data.csv");
        write_folder(&dir, &f);
        std::fs::write(dir.join("data.csv"), data_csv(40)).unwrap();
        let h = std::fs::read_to_string(write_report(&dir).unwrap()).unwrap();
        assert_eq!(h.matches("<polyline").count(), 3);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn errors_name_the_missing_or_malformed_file() {
        let dir = temp_dir("errors");
        let f = small_run("data.csv");
        for (victim, garbage) in [
            ("states.json", None),
            ("segments.csv", None),
            ("summary.json", Some("{\"n_steps\": ")),
            ("motifs.json", Some("{\"not\": \"a list\"}")),
            (
                "states.json",
                Some(
                    "{\"sensors\": [\"a\"], \"window\": 1, \"states\": [{\"precision\": [[1, 2]]}]}",
                ),
            ),
            ("segments.csv", Some("start,end,state,motif\n0,3,x,\n")),
            (
                "segments.csv",
                Some("recording,start,end,state,motif\nzz,0,3,1,\n"),
            ),
        ] {
            write_folder(&dir, &f);
            match garbage {
                None => std::fs::remove_file(dir.join(victim)).unwrap(),
                Some(g) => std::fs::write(dir.join(victim), g).unwrap(),
            }
            let e = write_report(&dir).unwrap_err();
            let path = match &e {
                ReportError::Missing { path, .. } => {
                    assert!(garbage.is_none());
                    path
                }
                ReportError::Malformed { path, .. } => {
                    assert!(garbage.is_some());
                    path
                }
                other => panic!("{other}"),
            };
            assert_eq!(path, &dir.join(victim), "{e}");
            assert!(e.to_string().contains(victim), "{e}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn segments_are_merged_into_global_runs() {
        let recs = vec![("a".to_string(), 0, 20), ("b".to_string(), 20, 40)];
        let f = small_run("x");
        let runs = parse_segments(&f.segments, &recs, 40).unwrap();
        assert_eq!(
            runs[0],
            Run {
                start: 0,
                end: 1,
                state: 2
            }
        );
        // a:14..19 state 0 then b:0..1 state 1: distinct; b:17..18 (0) then b:19 (1).
        assert!(runs.contains(&Run {
            start: 34,
            end: 34,
            state: 0
        }));
        assert_eq!(
            runs.last(),
            Some(&Run {
                start: 39,
                end: 39,
                state: 1
            })
        );
        assert!(
            runs.windows(2)
                .all(|w| w[0].end + 1 == w[1].start && w[0].state != w[1].state)
        );
        // Neighbours of one state split by motif membership merge.
        let r = parse_segments(
            "start,end,state,motif\n0,3,1,\n4,9,1,0/0\n10,11,0,\n",
            &[],
            12,
        )
        .unwrap();
        assert_eq!(
            r,
            vec![
                Run {
                    start: 0,
                    end: 9,
                    state: 1
                },
                Run {
                    start: 10,
                    end: 11,
                    state: 0
                }
            ]
        );
    }

    #[test]
    fn pixel_bands_match_a_brute_force_majority() {
        // Many short runs: per column the state with most timesteps (ties to the smaller state).
        let n_steps = 10_007;
        let width = 100;
        let mut runs = Vec::new();
        let mut t = 0;
        let mut i = 0usize;
        while t < n_steps {
            let len = 1 + (i * 7919) % 23;
            let end = (t + len - 1).min(n_steps - 1);
            let state = (i * 31) % 5;
            match runs.last_mut() {
                Some(Run {
                    end: e, state: s, ..
                }) if *s == state => *e = end,
                _ => runs.push(Run {
                    start: t,
                    end,
                    state,
                }),
            }
            t = end + 1;
            i += 1;
        }
        let mut per_t = vec![0; n_steps];
        for r in &runs {
            per_t[r.start..=r.end].fill(r.state);
        }
        let bands = pixel_bands(&runs, n_steps, width);
        assert!(bands.len() <= width);
        assert!(
            bands
                .windows(2)
                .all(|w| w[0].1 == w[1].0 && w[0].2 != w[1].2),
            "merged and contiguous"
        );
        for c in 0..width {
            let (c0, c1) = (c * n_steps / width, (c + 1) * n_steps / width);
            let mut cnt = [0usize; 5];
            for &s in &per_t[c0..c1] {
                cnt[s] += 1;
            }
            let best = (0..5)
                .max_by(|&a, &b| cnt[a].cmp(&cnt[b]).then(b.cmp(&a)))
                .unwrap();
            let band = bands
                .iter()
                .find(|b| b.0 <= c as f64 && (c as f64) < b.1)
                .unwrap();
            assert_eq!(band.2, best, "column {c}");
        }
        // Few runs: exact boundaries.
        let few = [
            Run {
                start: 0,
                end: 9,
                state: 1,
            },
            Run {
                start: 10,
                end: 39,
                state: 0,
            },
        ];
        assert_eq!(
            pixel_bands(&few, 40, 400),
            vec![(0.0, 100.0, 1), (100.0, 400.0, 0)]
        );
    }

    #[test]
    fn envelope_is_the_min_and_max_per_column() {
        let n_steps = 1003;
        let values: Vec<f64> = (0..n_steps * 2)
            .map(|i| ((i * 37) % 101) as f64 - 50.0)
            .collect();
        let env = envelope(&values, 2, 1, n_steps, 10);
        for (c, &(mn, mx)) in env.iter().enumerate() {
            let col: Vec<f64> = (c * n_steps / 10..(c + 1) * n_steps / 10)
                .map(|t| values[t * 2 + 1])
                .collect();
            assert_eq!(mn, col.iter().copied().fold(f64::INFINITY, f64::min));
            assert_eq!(mx, col.iter().copied().fold(f64::NEG_INFINITY, f64::max));
            let mean = column_means(&values, 2, 1, n_steps, 10)[c];
            assert!((mean - col.iter().sum::<f64>() / col.len() as f64).abs() < 1e-12);
        }
    }

    #[test]
    fn ticks_and_colours() {
        assert_eq!(
            nice_ticks(0, 3000, 10),
            (0..=6).map(|i| i * 500).collect::<Vec<_>>()
        );
        assert_eq!(
            nice_ticks(1234, 2234, 10),
            (13..=22).map(|i| i * 100).collect::<Vec<_>>()
        );
        let runs = [
            Run {
                start: 0,
                end: 9,
                state: 1,
            },
            Run {
                start: 10,
                end: 30,
                state: 2,
            },
        ];
        assert_eq!(
            clip_runs(&runs, 5, 12),
            vec![
                Run {
                    start: 0,
                    end: 4,
                    state: 1
                },
                Run {
                    start: 5,
                    end: 6,
                    state: 2
                }
            ]
        );
        assert_eq!(nice_ticks(0, 7, 10), (0..=7).collect::<Vec<_>>());
        assert_eq!(diverging(0.0), "#ffffff");
        assert_eq!(diverging(1.0), "#b2182b");
        assert_eq!(diverging(-5.0), "#2166ac");
        let colours: std::collections::HashSet<_> = (0..30).map(|s| state_color(s, 30)).collect();
        assert_eq!(colours.len(), 30);
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"M"), "TQ==");
    }

    #[test]
    fn large_precision_matrices_are_drawn_as_one_bitmap() {
        let n = 21; // window 2: 42 x 42, above HEATMAP_SVG_MAX
        let d = 2 * n;
        let sensors: Vec<String> = (0..n).map(|j| format!("s{j}")).collect();
        let states = json!({"sensors": sensors, "window": 2, "standardization": null,
            "states": [{"state": 0, "timesteps": 10, "nonzeros": d, "mean": vec![0.0; d], "precision": sym(d, 1)}]})
        .to_string();
        let summary = json!({"n_steps": 10, "bic": 1.0}).to_string();
        let input = ReportInput::from_parts(
            &summary,
            &states,
            "[]",
            "start,end,state,motif\n0,9,0,\n",
            None,
        )
        .unwrap();
        let h = input.render();
        check_well_formed(&h).unwrap();
        assert_eq!(h.matches("data:image/bmp;base64,").count(), 1);
        assert!(!h.contains("s0[t+1] / "), "no per-cell titles");
        let with_null = states.replacen("1.5", "null", 1);
        assert_ne!(with_null, states);
        let h = ReportInput::from_parts(
            &summary,
            &with_null,
            "[]",
            "start,end,state,motif\n0,9,0,\n",
            None,
        )
        .unwrap()
        .render();
        check_well_formed(&h).unwrap();
        let bmp = bmp_data(&vec![0.0; d * d], d, 1.0);
        assert_eq!(bmp.len(), 54 + d * (3 * d).div_ceil(4) * 4);
        assert_eq!(&bmp[54..57], &[255, 255, 255], "zero is white");
        assert!(h.contains("The exact values are in states.json."));
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
        let states =
            json!({"sensors": sensors, "window": 1, "standardization": null, "states": states})
                .to_string();
        // Runs of 3..60 steps (about 30,000 of them) and a motif with 3,000 instances.
        let mut seg = String::from("start,end,state,motif\n");
        let mut t = 0;
        let mut i = 0usize;
        while t < n_steps {
            let end = (t + 3 + (i * 7919) % 58).min(n_steps - 1);
            let _ = writeln!(seg, "{t},{end},{},", (i * 5) % k);
            t = end + 1;
            i += 1;
        }
        let instances: Vec<_> = (0..3000)
            .map(|j| {
                let s = j * 333;
                json!({"start": s, "end": s + 59, "stage_starts": [s, s + 20, s + 40], "score": 1.5})
            })
            .collect();
        let motifs = json!([{"motif": 0, "states": [1, 2, 3], "score": 9.0, "p_value": 1e-9, "n_instances": 3000, "instances": instances}]).to_string();
        let summary = json!({"inputs": ["big.csv"], "n_steps": n_steps, "n_sensors": n, "recordings": [{"name": "big", "range": {"start": 0, "end": n_steps}}], "bic": 1.0}).to_string();
        let mut x = 12345u64;
        let values: Vec<f64> = (0..n_steps * n)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((i / n) as f64 * 1e-4).sin() + (x >> 11) as f64 / (1u64 << 53) as f64
            })
            .collect();
        let input = ReportInput::from_parts(
            &summary,
            &states,
            &motifs,
            &seg,
            Some(SensorData { values, n }),
        )
        .unwrap();
        let h = input.render();
        check_well_formed(&h).unwrap();
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
        assert_eq!(
            h.matches("<polyline").count(),
            2 * n,
            "a mean line per sensor, and a line per sensor in the detail"
        );
        eprintln!("1M-step page: {} bytes", h.len());
    }
}
