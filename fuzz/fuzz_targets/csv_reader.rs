//! Fuzz target: the CSV reader (files and streams). The first byte picks the reading options;
//! the rest is the input. A table must be finite and rectangular, and a stream of the same
//! bytes must give the file's values when both detect the same delimiter.
#![no_main]

use casc::data::{GapFiller, Missing, ReadOptions, RowReader, detect_delimiter, parse_csv};
use libfuzzer_sys::fuzz_target;

fn options(b: u8) -> ReadOptions {
    let missing = [
        Missing::Error,
        Missing::Drop,
        Missing::Ffill,
        Missing::Interpolate,
    ][usize::from(b & 3)];
    let mut o = ReadOptions::new().missing(missing);
    if b & 4 != 0 {
        o = o.time_column("1");
    }
    if b & 8 != 0 {
        o = o.ignore_columns(["a"]);
    }
    if b & 16 != 0 {
        o = o.columns(["2", "x"]);
    }
    if b & 32 != 0 {
        o = o.delimiter(';');
    }
    if b & 64 != 0 {
        o = o.sequence_column("t");
    }
    o
}

fn streamed(bytes: &[u8], opts: &ReadOptions) -> Option<Vec<f64>> {
    let mut reader = RowReader::new(bytes, opts, 1).ok()?;
    let mut filler = GapFiller::new(opts.missing, reader.n_values());
    let mut out = Vec::new();
    let mut row = Vec::new();
    while let Some(info) = reader.read_row(&mut row).ok()? {
        filler.push(info, &row, |_, v| out.extend_from_slice(v));
    }
    filler.finish(|_, v| out.extend_from_slice(v)).ok()?;
    Some(out)
}

fuzz_target!(|data: &[u8]| {
    let Some((&b, bytes)) = data.split_first() else {
        return;
    };
    let opts = options(b);
    let table = parse_csv(bytes, &opts);
    if let Ok(t) = &table {
        assert!(t.values.iter().all(|v| v.is_finite()));
        assert_eq!(t.values.len() % t.n, 0);
        assert_eq!(t.row_numbers.len(), t.rows());
        let _ = casc::data::series_from_tables(vec![("f".into(), t.clone())]);
    }
    let first = bytes
        .split(|&c| c == b'\n')
        .find(|l| !l.iter().all(u8::is_ascii_whitespace))
        .unwrap_or(&[]);
    let head: Vec<u8> = bytes
        .split(|&c| c == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .take(20)
        .collect::<Vec<_>>()
        .join(&b'\n');
    let same_dialect =
        opts.delimiter.is_some() || detect_delimiter(first) == detect_delimiter(&head);
    if opts.sequence_column.is_none()
        && same_dialect
        && let (Ok(t), Some(s)) = (&table, streamed(bytes, &opts))
    {
        assert_eq!(t.values, s, "stream and file differ");
    }
});
