//! Bounded, proptest-driven fuzzing of the two parsers that read untrusted bytes: the CSV
//! reader (files and streams) and the model decoder. They must answer with a value or an
//! error, never a panic. The same inputs are the cargo-fuzz targets' (`fuzz/`); the
//! `#[ignore]`d test at the end runs them for as long as `CASC_FUZZ_SECONDS` says.

use casc::data::{GapFiller, Missing, ReadOptions, RowReader, detect_delimiter, parse_csv};
use casc::{FitParams, Model, Series};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Bytes that look like CSV often enough to reach deep paths: numbers, missing values,
/// timestamps, names, delimiters, quotes, line breaks, a byte-order mark, NUL and invalid
/// UTF-8.
fn csv_like() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(b"1".to_vec()),
        Just(b"-2.5e3".to_vec()),
        Just(b"NaN".to_vec()),
        Just(b"null".to_vec()),
        Just(b"inf".to_vec()),
        Just(b"".to_vec()),
        Just(b",".to_vec()),
        Just(b";".to_vec()),
        Just(b"\t".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"a".to_vec()),
        Just(b"t".to_vec()),
        Just(b"2024-05-01T12:00:00Z".to_vec()),
        Just(b"\"x\"".to_vec()),
        Just(b"\"".to_vec()),
        Just(b" ".to_vec()),
        Just(b"\xef\xbb\xbf".to_vec()),
        Just(vec![0xff]),
        Just(vec![0]),
        proptest::collection::vec(any::<u8>(), 0..4),
    ];
    proptest::collection::vec(token, 0..60).prop_map(|v| v.concat())
}

/// Tables: an optional header, rows of numbers, missing values and timestamps (sometimes
/// ragged), one delimiter and line ending, with a few bytes of noise spliced in.
fn table_like() -> impl Strategy<Value = Vec<u8>> {
    let cell = prop_oneof![
        24 => (-1000i32..1000).prop_map(|v| (f64::from(v) / 8.0).to_string()),
        1 => Just(String::new()),
        1 => Just("NaN".to_string()),
        1 => Just("2024-05-01 12:00:00.5".to_string()),
        1 => Just("\"3\"".to_string()),
        1 => Just("walk".to_string()),
    ];
    let name = prop_oneof![Just("a"), Just("t"), Just("x"), Just(""), Just("\"a, b\"")];
    (1usize..5)
        .prop_flat_map(move |width| {
            let ragged = proptest::collection::vec(cell.clone(), 1..5);
            let row = prop_oneof![
                12 => proptest::collection::vec(cell.clone(), width),
                1 => ragged,
            ];
            (
                proptest::option::of(proptest::collection::vec(name.clone(), width)),
                proptest::collection::vec(row, 0..12),
                prop_oneof![Just(","), Just(";"), Just("\t")],
                prop_oneof![Just("\n"), Just("\r\n")],
                proptest::collection::vec((any::<usize>(), csv_like()), 0..2),
            )
        })
        .prop_map(|(header, rows, d, eol, noise)| {
            let mut text = String::new();
            if let Some(h) = header {
                text.push_str(&h.join(d));
                text.push_str(eol);
            }
            for r in rows {
                text.push_str(&r.join(d));
                text.push_str(eol);
            }
            let mut bytes = text.into_bytes();
            for (at, n) in noise {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, n);
            }
            bytes
        })
}

/// Reading options over the names the generator uses.
fn options() -> impl Strategy<Value = ReadOptions> {
    let column = prop_oneof![Just("a"), Just("t"), Just("1"), Just("2"), Just("x")];
    let maybe = |p: u32| proptest::bool::weighted(f64::from(p) / 100.0);
    (
        0usize..4,
        proptest::option::of(column.clone()),
        proptest::option::of(column.clone()),
        proptest::option::of(proptest::collection::vec(column.clone(), 1..3)),
        proptest::collection::vec(column, 0..2),
        proptest::option::of(prop_oneof![Just(','), Just(';'), Just('\t'), Just('"')]),
    )
        .prop_flat_map(move |o| {
            (
                Just(o),
                maybe(30),
                maybe(30),
                maybe(30),
                maybe(30),
                maybe(30),
            )
        })
        .prop_map(|((m, seq, time, cols, ignore, delimiter), s, t, c, i, d)| {
            let (seq, time, cols) = (seq.filter(|_| s), time.filter(|_| t), cols.filter(|_| c));
            let ignore = if i { ignore } else { Vec::new() };
            let delimiter = delimiter.filter(|_| d);
            let missing = [
                Missing::Error,
                Missing::Drop,
                Missing::Ffill,
                Missing::Interpolate,
            ][m];
            ReadOptions {
                missing,
                sequence_column: seq.map(String::from),
                time_column: time.map(String::from),
                columns: cols.map(|c| c.into_iter().map(String::from).collect()),
                ignore_columns: ignore.into_iter().map(String::from).collect(),
                delimiter,
            }
        })
}

/// The values a stream of `bytes` gives, read row by row as `casc predict --stream` reads.
fn streamed(bytes: &[u8], opts: &ReadOptions) -> Result<Vec<f64>, ()> {
    let mut reader = RowReader::new(bytes, opts, 1).map_err(|_| ())?;
    let mut filler = GapFiller::new(opts.missing, reader.n_values());
    let mut out = Vec::new();
    let mut row = Vec::new();
    while let Some(info) = reader.read_row(&mut row).map_err(|_| ())? {
        filler.push(info, &row, |_, v| out.extend_from_slice(v));
    }
    filler
        .finish(|_, v| out.extend_from_slice(v))
        .map_err(|_| ())?;
    Ok(out)
}

/// Checks one CSV input: no panic; a table is finite and rectangular; a stream of the same
/// bytes (without a recording column, which streams refuse) gives the same values.
pub fn check_csv(bytes: &[u8], opts: &ReadOptions) -> Result<(), TestCaseError> {
    let table = parse_csv(bytes, opts);
    if let Ok(t) = &table {
        prop_assert!(t.values.iter().all(|v| v.is_finite()));
        prop_assert_eq!(t.values.len() % t.n, 0);
        prop_assert_eq!(t.row_numbers.len(), t.rows());
        if let Some(time) = &t.time {
            prop_assert_eq!(time.values.len(), t.rows());
        }
        let _ = casc::data::series_from_tables(vec![("f".into(), t.clone())]);
    }
    // A stream detects its delimiter from its first line, a file from its first 20.
    let first_line_end = bytes
        .split(|&b| b == b'\n')
        .scan(0, |at, l| {
            *at += l.len() + 1;
            Some((*at, l))
        })
        .find(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
        .map_or(bytes.len(), |(at, _)| at.min(bytes.len()));
    let head: Vec<u8> = bytes
        .split(|&b| b == b'\n')
        .take(20)
        .collect::<Vec<_>>()
        .join(&b'\n');
    let same_dialect = opts.delimiter.is_some()
        || detect_delimiter(&bytes[..first_line_end]) == detect_delimiter(&head);
    if opts.sequence_column.is_none()
        && same_dialect
        && let (Ok(t), Ok(s)) = (&table, streamed(bytes, opts))
    {
        prop_assert_eq!(&t.values, &s, "stream and file differ");
    }
    Ok(())
}

/// A small fitted model's file, and a series to apply damaged models to.
fn model_and_series() -> (Vec<u8>, Series) {
    let values: Vec<f64> = (0..120).map(|i| ((i * 37 % 11) as f64).sin()).collect();
    let series = Series::new(values, 2, None).unwrap();
    let params = FitParams::new(2)
        .beta(5.0)
        .motif_min_instances(1)
        .check()
        .unwrap();
    let bytes = casc::fit(&series, &params).unwrap().model.to_bytes();
    (bytes, series)
}

/// The header's length: magic, version, payload length, CRC.
const HEADER: usize = 24;

/// Applies `edits` to the payload of a model file and recomputes its checksum, so that the
/// decoder (not the checksum) meets the damage; `cut` truncates the payload.
pub fn damage(good: &[u8], edits: &[(usize, u8)], cut: Option<usize>) -> Vec<u8> {
    let mut payload = good[HEADER..].to_vec();
    for &(i, b) in edits {
        if !payload.is_empty() {
            let i = i % payload.len();
            payload[i] = b;
        }
    }
    if let Some(c) = cut {
        payload.truncate(c % (payload.len() + 1));
    }
    let mut out = good[..HEADER].to_vec();
    out[12..20].copy_from_slice(&(payload.len() as u64).to_le_bytes());
    out[20..24].copy_from_slice(&casc_fit::crc32(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// Checks one model file: decoding gives a valid model or an error, and a model that decodes
/// predicts (or refuses) without panicking.
pub fn check_model(bytes: &[u8], series: &Series) -> Result<(), TestCaseError> {
    if let Ok(m) = Model::from_bytes(bytes) {
        prop_assert!(m.validate().is_ok());
        if m.n_sensors == series.n_sensors() && m.n_sensors * m.window <= 64 {
            if let Ok(p) = m.predict(series) {
                prop_assert_eq!(p.assignment.len(), series.n_steps());
                prop_assert!(p.assignment.iter().all(|&s| s < m.n_states()));
            }
            let _ = casc::StreamPredictor::new(&m, Some(3));
        }
    }
    Ok(())
}

fn edits() -> impl Strategy<Value = Vec<(usize, u8)>> {
    proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn csv_reader_never_panics(
        bytes in prop_oneof![1 => csv_like(), 3 => table_like()],
        opts in options(),
    ) {
        check_csv(&bytes, &opts)?;
    }

    #[test]
    fn model_decoder_never_panics_past_the_checksum(
        edits in edits(),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let (good, series) = model_and_series();
        check_model(&damage(&good, &edits, cut), &series)?;
    }

    #[test]
    fn model_decoder_survives_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut with_magic = casc_fit::MAGIC.to_vec();
        with_magic.extend_from_slice(&bytes);
        let _ = Model::from_bytes(&bytes);
        let _ = Model::from_bytes(&with_magic);
    }
}

#[test]
fn the_checksum_is_recomputed_so_the_decoder_meets_the_damage() {
    let (good, _) = model_and_series();
    assert_eq!(damage(&good, &[], None), good, "no edit: the same file");
    let cut = damage(&good, &[], Some(good.len() / 2));
    let e = Model::from_bytes(&cut).unwrap_err().to_string();
    assert!(e.contains("cannot decode"), "past the checksum: {e}");
}

/// The fuzzing inputs for `CASC_FUZZ_SECONDS` seconds (default 60): `cargo test -p casc
/// --release --test fuzz -- --ignored --nocapture`.
#[test]
#[ignore = "long: run on purpose, with CASC_FUZZ_SECONDS"]
fn fuzz_for_a_while() {
    let seconds: u64 = std::env::var("CASC_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let (good, series) = model_and_series();
    let until = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    // A runner per round, each with its own seed (a runner counts its successes).
    let runner = |round: u64| {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&round.to_le_bytes());
        TestRunner::new_with_rng(
            Config {
                cases: 256,
                failure_persistence: None,
                ..Config::default()
            },
            TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
        )
    };
    let (mut csv_cases, mut model_cases, mut rounds) = (0u64, 0u64, 0u64);
    let decoded = std::cell::Cell::new(0u64);
    let read = std::cell::Cell::new(0u64);
    while std::time::Instant::now() < until {
        rounds += 1;
        runner(2 * rounds)
            .run(
                &(prop_oneof![1 => csv_like(), 3 => table_like()], options()),
                |(bytes, opts)| {
                    read.set(read.get() + u64::from(parse_csv(&bytes, &opts).is_ok()));
                    check_csv(&bytes, &opts)
                },
            )
            .unwrap();
        csv_cases += 256;
        runner(2 * rounds + 1)
            .run(
                &(edits(), proptest::option::of(any::<usize>())),
                |(e, c)| {
                    let bytes = damage(&good, &e, c);
                    decoded.set(decoded.get() + u64::from(Model::from_bytes(&bytes).is_ok()));
                    check_model(&bytes, &series)
                },
            )
            .unwrap();
        model_cases += 256;
    }
    eprintln!(
        "fuzzed for {seconds} s: {csv_cases} CSV inputs ({} read as tables), {model_cases} damaged models ({} decoded and applied), {rounds} rounds, no panic",
        read.get(),
        decoded.get()
    );
}
