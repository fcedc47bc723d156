//! `assignments.csv` and `segments.csv`: a row per timestep, and a row per maximal run of one
//! state (and motif instance), written and read with the csv crate.

use std::path::Path;

use casc_fit::{Motif, Series};

use super::{OutputError, create, io_error, read_text};

/// A row of `assignments.csv`: `t,state`, with a leading `recording` column when the series
/// has several recordings, and the time column after `t` when the input had one.
///
/// `t` is the row's number inside its recording (among the data rows of its file, from 0):
/// rows dropped for missing values leave gaps, so the rows join back to the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssignmentRow {
    /// The recording, with several.
    pub recording: Option<String>,
    /// The row's number inside its recording.
    pub t: usize,
    /// The row's time, as written in the input's time column.
    pub time: Option<String>,
    /// State.
    pub state: usize,
}

/// A motif instance named in `segments.csv` (`M/I`: instance `I` of motif `M`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstanceRef {
    /// The motif.
    pub motif: usize,
    /// The instance of it.
    pub instance: usize,
}

/// A row of `segments.csv`: `start,end,state,motif`, end inclusive, in the row numbers of
/// `assignments.csv`'s `t`; a leading `recording` column when the series has several
/// recordings, and the times of the first and last row after `end` when the input had a time
/// column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentRow {
    /// The recording, with several.
    pub recording: Option<String>,
    /// The first row.
    pub start: usize,
    /// The last row, inclusive.
    pub end: usize,
    /// The time of the first row.
    pub start_time: Option<String>,
    /// The time of the last row.
    pub end_time: Option<String>,
    /// State.
    pub state: usize,
    /// The motif instance the segment belongs to, if any.
    pub motif: Option<InstanceRef>,
}

/// The columns of the output files besides the time column.
const RESERVED: [&str; 6] = ["recording", "t", "state", "start", "end", "motif"];

/// The header of the time column in `assignments.csv`: the input's name for it, or `time`
/// when that name is one of the other columns' (`t`, `state`, ...) or empty. In
/// `segments.csv` the columns are `start_<header>` and `end_<header>`.
pub fn time_header(name: &str) -> &str {
    if name.is_empty()
        || RESERVED.contains(&name)
        || name.starts_with("start_")
        || name.starts_with("end_")
    {
        "time"
    } else {
        name
    }
}

fn membership(t_total: usize, motifs: &[Motif]) -> Vec<Option<InstanceRef>> {
    let mut m = vec![None; t_total];
    for (mi, motif) in motifs.iter().enumerate() {
        for (ii, inst) in motif.instances.iter().enumerate() {
            let end = inst.end.min(t_total.saturating_sub(1));
            for slot in m.iter_mut().take(end + 1).skip(inst.start) {
                *slot = Some(InstanceRef {
                    motif: mi,
                    instance: ii,
                });
            }
        }
    }
    m
}

/// The rows of `assignments.csv` for `assignment` over `series`.
pub fn assignment_rows(series: &Series, assignment: &[usize]) -> Vec<AssignmentRow> {
    let multi = series.recordings().len() > 1;
    let time = series.time();
    let mut rows = Vec::with_capacity(assignment.len());
    for r in series.recordings() {
        for t in r.range.clone() {
            rows.push(AssignmentRow {
                recording: multi.then(|| r.name.clone()),
                t: row_number(series, r, t),
                time: time.map(|c| c.values[t].clone()),
                state: assignment[t],
            });
        }
    }
    rows
}

/// The row number of timestep `t` of recording `r`.
fn row_number(series: &Series, r: &casc_fit::Recording, t: usize) -> usize {
    if series.has_row_gaps() {
        series.row_number(t)
    } else {
        t - r.range.start
    }
}

/// The rows of `segments.csv`: maximal runs of one state and one motif instance, never across
/// a recording boundary.
pub fn segment_rows(series: &Series, assignment: &[usize], motifs: &[Motif]) -> Vec<SegmentRow> {
    let multi = series.recordings().len() > 1;
    let time = series.time();
    let member = membership(assignment.len(), motifs);
    let mut rows = Vec::new();
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
            rows.push(SegmentRow {
                recording: multi.then(|| r.name.clone()),
                start: row_number(series, r, start),
                end: row_number(series, r, end),
                start_time: time.map(|c| c.values[start].clone()),
                end_time: time.map(|c| c.values[end].clone()),
                state: assignment[start],
                motif: member[start],
            });
            start = end + 1;
        }
    }
    rows
}

fn csv_error(path: &Path) -> impl Fn(csv::Error) -> OutputError + '_ {
    move |source| OutputError::Csv {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `rows` to `path` as `assignments.csv`: the `recording` column when the rows have
/// one, the time column (headed `time`, or [`time_header`] of `time_column`) when they have
/// times.
pub fn write_assignments(
    path: &Path,
    rows: &[AssignmentRow],
    time_column: Option<&str>,
) -> Result<(), OutputError> {
    let e = csv_error(path);
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(create(path)?));
    let multi = rows.iter().any(|r| r.recording.is_some());
    let timed = rows.iter().any(|r| r.time.is_some());
    let mut header = vec!["t"];
    if multi {
        header.insert(0, "recording");
    }
    if timed {
        header.push(time_header(time_column.unwrap_or("time")));
    }
    header.push("state");
    w.write_record(&header).map_err(&e)?;
    for r in rows {
        let (t, s) = (r.t.to_string(), r.state.to_string());
        let mut rec: Vec<&str> = Vec::with_capacity(4);
        if multi {
            rec.push(r.recording.as_deref().unwrap_or(""));
        }
        rec.push(&t);
        if timed {
            rec.push(r.time.as_deref().unwrap_or(""));
        }
        rec.push(&s);
        w.write_record(&rec).map_err(&e)?;
    }
    w.flush().map_err(io_error(path))
}

/// Writes `rows` to `path` as `segments.csv` (the time columns headed as
/// [`write_assignments`] heads its own, with `start_` and `end_` before it).
pub fn write_segments(
    path: &Path,
    rows: &[SegmentRow],
    time_column: Option<&str>,
) -> Result<(), OutputError> {
    let e = csv_error(path);
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(create(path)?));
    let multi = rows.iter().any(|r| r.recording.is_some());
    let timed = rows.iter().any(|r| r.start_time.is_some());
    let name = time_header(time_column.unwrap_or("time"));
    let (start_h, end_h) = (format!("start_{name}"), format!("end_{name}"));
    let mut header = vec!["start", "end"];
    if multi {
        header.insert(0, "recording");
    }
    if timed {
        header.extend([start_h.as_str(), end_h.as_str()]);
    }
    header.extend(["state", "motif"]);
    w.write_record(&header).map_err(&e)?;
    for r in rows {
        let motif = r
            .motif
            .map(|m| format!("{}/{}", m.motif, m.instance))
            .unwrap_or_default();
        let (start, end, state) = (r.start.to_string(), r.end.to_string(), r.state.to_string());
        let mut rec: Vec<&str> = Vec::with_capacity(7);
        if multi {
            rec.push(r.recording.as_deref().unwrap_or(""));
        }
        rec.extend([start.as_str(), end.as_str()]);
        if timed {
            rec.push(r.start_time.as_deref().unwrap_or(""));
            rec.push(r.end_time.as_deref().unwrap_or(""));
        }
        rec.extend([state.as_str(), motif.as_str()]);
        w.write_record(&rec).map_err(&e)?;
    }
    w.flush().map_err(io_error(path))
}

/// The columns of a CSV output file: where each known one is, and the others.
struct Columns {
    header: Vec<String>,
}

impl Columns {
    fn find(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    fn need(&self, name: &str, path: &Path) -> Result<usize, OutputError> {
        self.find(name).ok_or_else(|| OutputError::Invalid {
            path: path.to_path_buf(),
            line: Some(1),
            message: format!(
                "no column {name:?} (the header is {})",
                self.header.join(",")
            ),
        })
    }
}

/// The records of a CSV output file after its header; `each` gets every record with its line.
fn read_records(
    path: &Path,
    mut each: impl FnMut(&Columns, &csv::StringRecord, usize) -> Result<(), OutputError>,
) -> Result<(), OutputError> {
    let bytes = read_text(path)?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes.as_slice());
    let mut rec = csv::StringRecord::new();
    let mut columns: Option<Columns> = None;
    let mut line = 0;
    while r.read_record(&mut rec).map_err(csv_error(path))? {
        line += 1;
        match &columns {
            None => {
                columns = Some(Columns {
                    header: rec.iter().map(str::to_string).collect(),
                })
            }
            Some(c) => each(c, &rec, line)?,
        }
    }
    if columns.is_none() {
        return Err(OutputError::Invalid {
            path: path.to_path_buf(),
            line: None,
            message: "the file is empty".into(),
        });
    }
    Ok(())
}

/// The cell `j` of `rec` as a number.
fn number(
    path: &Path,
    rec: &csv::StringRecord,
    j: usize,
    line: usize,
) -> Result<usize, OutputError> {
    let cell = rec.get(j).unwrap_or("");
    cell.parse().map_err(|_| OutputError::Invalid {
        path: path.to_path_buf(),
        line: Some(line),
        message: format!("{cell:?} is not a non-negative integer"),
    })
}

/// Reads an `assignments.csv` (a column other than `recording`, `t` and `state` is the time).
pub fn read_assignments(path: &Path) -> Result<Vec<AssignmentRow>, OutputError> {
    let mut rows = Vec::new();
    read_records(path, |c, rec, line| {
        let (t, state) = (c.need("t", path)?, c.need("state", path)?);
        let recording = c.find("recording");
        let time = (0..c.header.len()).find(|&j| Some(j) != recording && j != t && j != state);
        rows.push(AssignmentRow {
            recording: recording.and_then(|j| rec.get(j)).map(str::to_string),
            t: number(path, rec, t, line)?,
            time: time.and_then(|j| rec.get(j)).map(str::to_string),
            state: number(path, rec, state, line)?,
        });
        Ok(())
    })?;
    Ok(rows)
}

/// Reads a `segments.csv`; a `motif` cell is empty or `M/I`.
pub fn read_segments(path: &Path) -> Result<Vec<SegmentRow>, OutputError> {
    let mut rows = Vec::new();
    read_records(path, |c, rec, line| {
        let invalid = |message: String| OutputError::Invalid {
            path: path.to_path_buf(),
            line: Some(line),
            message,
        };
        let (start, end) = (c.need("start", path)?, c.need("end", path)?);
        let (state, motif) = (c.need("state", path)?, c.need("motif", path)?);
        let timed = |prefix: &str| {
            c.header
                .iter()
                .position(|h| h.starts_with(prefix))
                .and_then(|j| rec.get(j))
                .map(str::to_string)
        };
        let cell = rec.get(motif).unwrap_or("");
        let motif =
            if cell.is_empty() {
                None
            } else {
                let parsed = cell.split_once('/').and_then(|(m, i)| {
                    Some(InstanceRef {
                        motif: m.parse().ok()?,
                        instance: i.parse().ok()?,
                    })
                });
                Some(parsed.ok_or_else(|| {
                    invalid(format!("motif {cell:?} is not M/I (motif / instance)"))
                })?)
            };
        let (s, e) = (
            number(path, rec, start, line)?,
            number(path, rec, end, line)?,
        );
        if s > e {
            return Err(invalid(format!("segment starts at {s} after its end {e}")));
        }
        rows.push(SegmentRow {
            recording: c
                .find("recording")
                .and_then(|j| rec.get(j))
                .map(str::to_string),
            start: s,
            end: e,
            start_time: timed("start_"),
            end_time: timed("end_"),
            state: number(path, rec, state, line)?,
            motif,
        });
        Ok(())
    })?;
    Ok(rows)
}
