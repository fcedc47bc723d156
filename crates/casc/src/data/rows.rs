//! Reading a table row by row from any byte source (a file's bytes, standard input, a pipe):
//! the dialect from the first lines, the header, then each row's values, time and recording
//! label, with its line number. Files and streams go through this same reader.

use std::io::{Chain, Cursor, Read};

use super::dialect::{detect_delimiter, not_text, strip_bom};
use super::layout::Layout;
use super::{Missing, ParseError, ReadOptions};

/// Passes bytes through and keeps those not yet accounted for, so that line numbers can be
/// counted in the raw text (the csv crate skips blank lines without counting them).
struct Tee<R> {
    inner: R,
    /// Bytes from absolute offset `base` on.
    buf: Vec<u8>,
    base: u64,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        self.buf.extend_from_slice(&out[..n]);
        Ok(n)
    }
}

impl<R> Tee<R> {
    /// Forgets the bytes before absolute offset `to` once there are many of them.
    fn trim(&mut self, to: u64) {
        let k = (to - self.base) as usize;
        if k >= 1 << 16 {
            self.buf.drain(..k);
            self.base = to;
        }
    }
}

/// The end of the first `lines` non-blank lines of `head` (after their line break), if it has
/// that many complete ones.
fn sample_end(head: &[u8], lines: usize) -> Option<usize> {
    let mut seen = 0;
    let mut start = 0;
    for (i, &b) in head.iter().enumerate() {
        if b == b'\n' {
            if !head[start..i].iter().all(u8::is_ascii_whitespace) {
                seen += 1;
                if seen == lines {
                    return Some(i + 1);
                }
            }
            start = i + 1;
        }
    }
    None
}

/// One data row's place in the input and the cells that are not values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowInfo {
    /// The row's number among the data rows, from 0 (the header is not counted).
    pub number: usize,
    /// Its 1-based line.
    pub line: usize,
    /// The cell of the time column, as written.
    pub time: Option<String>,
    /// The cell of the sequence (recording) column.
    pub sequence: Option<String>,
}

type Source<R> = Tee<Chain<Cursor<Vec<u8>>, R>>;

/// A table read row by row: comma, semicolon or tab separated (detected from the first lines
/// unless [`ReadOptions::delimiter`] is set), fields optionally quoted, a UTF-8 byte-order mark
/// skipped, a header row detected when every cell of the first row is a name (not a number, a
/// missing value or a timestamp). Blank lines at the end are ignored; one before a data row is
/// an error.
pub struct RowReader<R: Read> {
    csv: csv::Reader<Source<R>>,
    layout: Layout,
    missing: Missing,
    record: csv::StringRecord,
    /// The absolute offset and 1-based line up to which lines are counted.
    offset: u64,
    line: usize,
    /// The byte before `offset`.
    prev: u8,
    /// The first row, when it is data, with its line.
    first: Option<(csv::StringRecord, usize)>,
    /// A blank line seen since the last row (an error if another row follows).
    blank: Option<usize>,
    rows: usize,
}

impl<R: Read> RowReader<R> {
    /// Starts reading `input`: reads its first `sample_lines` lines (at least one; fewer at
    /// the end of the input) to detect the delimiter, then its first row to find the header.
    pub fn new(
        mut input: R,
        opts: &ReadOptions,
        sample_lines: usize,
    ) -> Result<RowReader<R>, ParseError> {
        let io = |e: std::io::Error| ParseError::whole(format!("cannot read: {e}"));
        let mut head = Vec::new();
        let mut chunk = [0u8; 8192];
        let want = sample_lines.max(1);
        while sample_end(&head, want).is_none() {
            let n = loop {
                match input.read(&mut chunk) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    other => break other.map_err(io)?,
                }
            };
            if n == 0 {
                break;
            }
            head.extend_from_slice(&chunk[..n]);
        }
        if let Some(m) = not_text(&head) {
            let line = head
                .iter()
                .position(|&b| b == 0)
                .map_or(1, |p| head[..p].iter().filter(|&&b| b == b'\n').count() + 1);
            return Err(ParseError {
                line: Some(line),
                column: None,
                message: m,
            });
        }
        let head = strip_bom(&head).to_vec();
        let delimiter = match opts.delimiter {
            Some(d) if d.is_ascii() && !matches!(d, '"' | '\n' | '\r') => d as u8,
            Some(d) => {
                return Err(ParseError::whole(format!(
                    "{d:?} cannot be a delimiter: give one ASCII character other than a quote or a line break"
                )));
            }
            None => detect_delimiter(&head[..sample_end(&head, want).unwrap_or(head.len())]),
        };
        let csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .trim(csv::Trim::All)
            .from_reader(Tee {
                inner: Cursor::new(head).chain(input),
                buf: Vec::new(),
                base: 0,
            });
        let mut reader = RowReader {
            csv,
            // Replaced below, once the first row is read.
            layout: Layout {
                width: 0,
                header: None,
                values: Vec::new(),
                names: None,
                time: None,
                sequence: None,
                delimiter,
            },
            missing: opts.missing,
            record: csv::StringRecord::new(),
            offset: 0,
            line: 1,
            prev: 0,
            first: None,
            blank: None,
            rows: 0,
        };
        let Some(line) = reader.next_record()? else {
            return Err(ParseError::whole("the file is empty".into()));
        };
        reader.blank = None;
        let cells: Vec<&str> = reader.record.iter().collect();
        reader.layout = Layout::new(&cells, line, opts, delimiter)?;
        if reader.layout.header.is_none() {
            reader.first = Some((reader.record.clone(), line));
        }
        Ok(reader)
    }

    /// The value columns' names, from the header (`None` without one).
    pub fn names(&self) -> Option<&[String]> {
        self.layout.names.as_deref()
    }

    /// Values per row.
    pub fn n_values(&self) -> usize {
        self.layout.values.len()
    }

    /// The time column's name, when there is one.
    pub fn time_name(&self) -> Option<&str> {
        self.layout.time.as_ref().map(|t| t.1.as_str())
    }

    /// Whether the first row is a header.
    pub fn has_header(&self) -> bool {
        self.layout.header.is_some()
    }

    /// The delimiter in use.
    pub fn delimiter(&self) -> u8 {
        self.layout.delimiter
    }

    /// Reads the next data row's values into `values` (in the table's column order; NaN for a
    /// missing value when the policy accepts it); `None` at the end of the input.
    pub fn read_row(&mut self, values: &mut Vec<f64>) -> Result<Option<RowInfo>, ParseError> {
        let line = match self.first.take() {
            Some((rec, line)) => {
                self.record = rec;
                line
            }
            None => match self.next_record()? {
                Some(line) => line,
                None => return Ok(None),
            },
        };
        if let Some(b) = self.blank {
            return Err(ParseError {
                line: Some(b),
                column: None,
                message: "blank line inside the data".into(),
            });
        }
        let cells: Vec<&str> = self.record.iter().collect();
        let (time, sequence) = self.layout.parse_row(&cells, line, self.missing, values)?;
        let number = self.rows;
        self.rows += 1;
        Ok(Some(RowInfo {
            number,
            line,
            time,
            sequence,
        }))
    }

    /// Reads the next non-blank record into `self.record`; returns its line. Blank lines
    /// before it are remembered in `self.blank` (the first of them).
    fn next_record(&mut self) -> Result<Option<usize>, ParseError> {
        loop {
            let more = self.csv.read_record(&mut self.record).map_err(|e| {
                let byte = match e.kind() {
                    csv::ErrorKind::Utf8 { pos: Some(p), .. } => Some(p.byte()),
                    _ => None,
                };
                let line = byte.map(|b| self.count_to(b));
                match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => ParseError {
                        line,
                        column: None,
                        message: "this is not UTF-8 text".into(),
                    },
                    csv::ErrorKind::Io(io) => ParseError::whole(format!("cannot read: {io}")),
                    _ => ParseError::whole(format!("cannot read: {e}")),
                }
            })?;
            if !more {
                return Ok(None);
            }
            let start = self.record.position().map_or(self.offset, |p| p.byte());
            self.count_to(start);
            // The csv crate's record starts where the blank lines before it start.
            let mut blank_from = self.line;
            let mut skipped = false;
            let mut first = true;
            loop {
                let i = (self.offset - self.csv.get_ref().base) as usize;
                let b = self.csv.get_ref().buf.get(i).copied();
                match b {
                    // The end of the previous row's `\r\n`.
                    Some(b'\n') if first && self.prev == b'\r' => {
                        self.line += 1;
                        blank_from = self.line;
                    }
                    Some(b'\n') => {
                        self.line += 1;
                        skipped = true;
                    }
                    Some(b'\r') => {}
                    _ => break,
                }
                first = false;
                self.prev = b.unwrap_or(0);
                self.offset += 1;
            }
            let line = self.line;
            self.csv.get_mut().trim(self.offset);
            let whitespace = self.record.len() == 1 && self.record[0].is_empty();
            let seen_any = self.rows > 0 || self.first.is_some() || self.layout.width > 0;
            if skipped && seen_any && self.blank.is_none() {
                self.blank = Some(blank_from);
            }
            if whitespace {
                if seen_any && self.blank.is_none() {
                    self.blank = Some(line);
                }
                continue;
            }
            return Ok(Some(line));
        }
    }

    /// Counts the line breaks up to absolute offset `to`; returns the line there.
    fn count_to(&mut self, to: u64) -> usize {
        let tee = self.csv.get_ref();
        let from = (self.offset.max(tee.base) - tee.base) as usize;
        let end = ((to.max(tee.base) - tee.base) as usize).min(tee.buf.len());
        if end > from {
            self.line += tee.buf[from..end].iter().filter(|&&b| b == b'\n').count();
            self.prev = tee.buf[end - 1];
            self.offset = tee.base + end as u64;
        }
        self.line
    }
}
