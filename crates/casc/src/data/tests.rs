//! Tests of the reader: dialects, headers, column choices, time columns, missing values, row
//! numbers and recordings.

use super::*;

fn parse(s: &str) -> Result<Table, ParseError> {
    parse_csv(s.as_bytes(), &ReadOptions::default())
}

fn parse_with(s: &str, opts: ReadOptions) -> Result<Table, ParseError> {
    parse_csv(s.as_bytes(), &opts)
}

fn err(s: &str, opts: ReadOptions) -> ParseError {
    parse_with(s, opts).unwrap_err()
}

#[test]
fn header_is_detected_and_trailing_blank_lines_ignored() {
    let t = parse("a,b\n1,2\n3,4\n\n\n").unwrap();
    assert_eq!(t.names, Some(vec!["a".to_string(), "b".to_string()]));
    assert_eq!(t.values, vec![1.0, 2.0, 3.0, 4.0]);
    assert_eq!(t.row_numbers, vec![0, 1]);
    let t = parse("1,2\r\n3,4\r\n").unwrap();
    assert_eq!(t.names, None);
    assert_eq!(t.rows(), 2);
    let t = parse("1,2\n3,4").unwrap();
    assert_eq!(t.rows(), 2, "no line break at the end");
}

#[test]
fn errors_name_line_and_column() {
    let e = parse("1,2\n3,x\n").unwrap_err();
    assert_eq!((e.line, e.column), (Some(2), Some(2)));
    assert!(
        e.message.starts_with("\"x\" is not a number (column 2)"),
        "{}",
        e.message
    );
    let e = parse("1,2\n3\n").unwrap_err();
    assert_eq!(e.line, Some(2));
    assert!(
        e.message.contains("1 columns but the first row has 2"),
        "{}",
        e.message
    );
    let e = parse("a,b\n1,2\n3\n").unwrap_err();
    assert!(e.message.contains("but the header has 2"), "{}", e.message);
    assert_eq!(parse("1,2\nNaN,3\n").unwrap_err().column, Some(1));
    assert_eq!(parse("1,2\ninf,3\n").unwrap_err().line, Some(2));
    assert!(parse("").unwrap_err().message.contains("empty"));
    assert!(parse("\n\n").unwrap_err().message.contains("empty"));
    assert!(parse("a,b\n").unwrap_err().message.contains("no data rows"));
    assert!(
        parse_csv(b"1,2\n\x00\x01", &ReadOptions::default())
            .unwrap_err()
            .message
            .contains("not a text")
    );
    assert!(
        parse_csv(b"1,2\n\xff\xfe", &ReadOptions::default())
            .unwrap_err()
            .message
            .contains("not UTF-8")
    );
    assert!(
        parse_csv(b"\xff\xfea\x00,\x00", &ReadOptions::default())
            .unwrap_err()
            .message
            .contains("UTF-16")
    );
    assert_eq!(parse("1,2e300\n").unwrap().values, vec![1.0, 2e300]);
}

#[test]
fn blank_lines_inside_the_data_are_refused_with_their_line() {
    let e = parse("1,2\n\n3,4\n").unwrap_err();
    assert_eq!(
        (e.line, e.message.as_str()),
        (Some(2), "blank line inside the data")
    );
    let e = parse("a,b\r\n1,2\r\n3,4\r\n   \r\n5,6\r\n").unwrap_err();
    assert_eq!(e.line, Some(4));
    // Lines after a blank line keep their numbers.
    let e = parse("\n\na,b\n1,2\n3,x\n").unwrap_err();
    assert_eq!(
        e.line,
        Some(5),
        "leading blank lines are skipped but counted"
    );
    // A quoted field over two lines is one row; the next row is on line 4.
    let e = err(
        "name,b\n\"x\ny\",2\n1,z\n",
        ReadOptions::new().ignore_columns(["name"]),
    );
    assert_eq!(e.line, Some(4), "{e:?}");
}

#[test]
fn dialects_quotes_and_bom() {
    let want = vec![1.2882, 1.4494, 0.0663, 2.0, 3.0, 4.0];
    for text in [
        "a;b;c\n1.2882;1.4494;0.0663\n2;3;4\n",
        "a\tb\tc\n1.2882\t1.4494\t0.0663\n2\t3\t4\n",
        "\u{feff}\"a\",\"b\",\"c\"\n\"1.2882\",\"1.4494\",\"0.0663\"\n2,3,4\n",
        "\"a, the first\",b,c\n1.2882, 1.4494 ,0.0663\n2,3,4\n",
    ] {
        let t = parse(text).unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
        assert_eq!(t.values, want, "{text:?}");
        assert_eq!(t.n, 3);
    }
    let t = parse("\"a, the first\",b,c\n1,2,3\n").unwrap();
    assert_eq!(t.names.unwrap()[0], "a, the first");
    // A given delimiter wins over detection.
    let t = parse_with("a|b\n1|2\n", ReadOptions::new().delimiter('|')).unwrap();
    assert_eq!(t.values, vec![1.0, 2.0]);
    assert!(
        err("1,2\n", ReadOptions::new().delimiter('"'))
            .message
            .contains("cannot be a delimiter")
    );
}

#[test]
fn a_non_numeric_column_is_named_with_what_to_do() {
    let raw = "timestamp,x,y\n1970-01-01 00:04:40.000,0.1,0.2\n";
    let e = parse(raw).unwrap_err();
    assert_eq!((e.line, e.column), (Some(2), Some(1)));
    assert!(
        e.message.contains("(column \"timestamp\")")
            && e.message.contains("--time-column timestamp")
            && e.message.contains("--ignore-columns timestamp"),
        "{}",
        e.message
    );
    let e = parse("rec,x\nwalk,1\n").unwrap_err();
    assert!(e.message.contains("--sequence-column rec"), "{}", e.message);
    // Without a header, columns are named by number.
    let e = parse("1,walk\n2,walk\n").unwrap_err();
    assert!(e.message.contains("--sequence-column 2"), "{}", e.message);
    // Another delimiter than the one detected.
    let e = parse_with("a\n1;2\n", ReadOptions::new().delimiter(',')).unwrap_err();
    assert!(e.message.contains("--delimiter ';'"), "{}", e.message);
    let e = parse("a;b\n1,5;2\n").unwrap_err();
    assert!(e.message.contains("decimal commas"), "{}", e.message);
}

#[test]
fn header_problems() {
    let e = parse("a,b,\n1,2,3\n").unwrap_err();
    assert_eq!((e.line, e.column), (Some(1), Some(3)));
    assert!(
        e.message.contains("the header ends with an empty name"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("comma at the end of line 1"),
        "{}",
        e.message
    );
    let e = parse(",a,b\n0,1,2\n").unwrap_err();
    assert!(
        e.message.contains("column 1 of the header has no name")
            && e.message.contains("--ignore-columns 1"),
        "{}",
        e.message
    );
    let t = parse_with(",a,b\n0,1,2\n", ReadOptions::new().ignore_columns(["1"])).unwrap();
    assert_eq!(t.values, vec![1.0, 2.0]);
    let e = parse("a,b,a\n1,2,3\n").unwrap_err();
    assert!(
        e.message
            .contains("the header names two columns \"a\" (columns 1 and 3)"),
        "{}",
        e.message
    );
    let t = parse_with("a,b,a\n1,2,3\n", ReadOptions::new().ignore_columns(["3"])).unwrap();
    assert_eq!(t.names, Some(vec!["a".to_string(), "b".to_string()]));
}

#[test]
fn columns_are_chosen_by_name_or_number() {
    let text = "t,a,b,c\n0,1,2,3\n1,4,5,6\n";
    let t = parse_with(
        text,
        ReadOptions::new().columns(["c", "a"]).time_column("t"),
    )
    .unwrap();
    assert_eq!(t.values, vec![3.0, 1.0, 6.0, 4.0]);
    assert_eq!(t.names, Some(vec!["c".to_string(), "a".to_string()]));
    assert_eq!(t.time.as_ref().unwrap().values, vec!["0", "1"]);
    let t = parse_with(text, ReadOptions::new().ignore_columns(["t", "3"])).unwrap();
    assert_eq!(t.names, Some(vec!["a".to_string(), "c".to_string()]));
    let e = err(text, ReadOptions::new().columns(["d"]));
    assert!(
        e.message
            .contains("--columns \"d\": the header has no column named so"),
        "{}",
        e.message
    );
    let e = err(text, ReadOptions::new().columns(["a", "a"]));
    assert!(e.message.contains("twice"), "{}", e.message);
    let e = err(text, ReadOptions::new().columns(["t"]).time_column("t"));
    assert!(
        e.message.contains("which is the time column"),
        "{}",
        e.message
    );
    let e = err("1,2\n", ReadOptions::new().time_column("ts"));
    assert!(e.message.contains("no header row"), "{}", e.message);
    let t = parse_with("5,2\n6,3\n", ReadOptions::new().time_column("1")).unwrap();
    assert_eq!(t.values, vec![2.0, 3.0]);
    assert_eq!(t.time.unwrap().name, "time");
    let e = err(
        text,
        ReadOptions::new().ignore_columns(["t", "a", "b", "c"]),
    );
    assert!(e.message.contains("no value columns"), "{}", e.message);
}

#[test]
fn time_columns_take_numbers_and_iso_timestamps() {
    let text = "when,x\n2024-05-01T12:00:00Z,1\n2024-05-01 12:00:00.5,2\n";
    let t = parse_with(text, ReadOptions::new().time_column("when")).unwrap();
    let time = t.time.unwrap();
    assert_eq!(time.name, "when");
    assert_eq!(
        time.values,
        vec!["2024-05-01T12:00:00Z", "2024-05-01 12:00:00.5"]
    );
    let e = err("when,x\nnoon,1\n", ReadOptions::new().time_column("when"));
    assert_eq!((e.line, e.column), (Some(2), Some(1)));
    assert!(
        e.message.contains("neither a number nor an ISO-8601 time"),
        "{}",
        e.message
    );
    let e = err("when,x\n,1\n", ReadOptions::new().time_column("when"));
    assert!(e.message.contains("has an empty cell"), "{}", e.message);
}

#[test]
fn missing_policies_keep_row_numbers() {
    let opts = |m| ReadOptions::new().missing(m);
    let s = "1,10\n,20\nNaN,NA\n4,40\n";
    let t = parse_with(s, opts(Missing::Drop)).unwrap();
    assert_eq!(t.values, vec![1.0, 10.0, 4.0, 40.0]);
    assert_eq!(t.row_numbers, vec![0, 3], "the rows' numbers in the file");
    assert_eq!(t.missing_handled, 2);
    let t = parse_with(s, opts(Missing::Ffill)).unwrap();
    assert_eq!(t.values, vec![1.0, 10.0, 1.0, 20.0, 1.0, 20.0, 4.0, 40.0]);
    assert_eq!(t.row_numbers, vec![0, 1, 2, 3]);
    let t = parse_with(s, opts(Missing::Interpolate)).unwrap();
    assert_eq!(t.values, vec![1.0, 10.0, 2.0, 20.0, 3.0, 30.0, 4.0, 40.0]);
    let t = parse_with(",1\n2,3\n", opts(Missing::Ffill)).unwrap();
    assert_eq!(t.values, vec![2.0, 1.0, 2.0, 3.0]);
    let t = parse_with("a,b\nnull,1\n2,N/A\n", opts(Missing::Ffill)).unwrap();
    assert_eq!(t.values, vec![2.0, 1.0, 2.0, 1.0]);
    let e = err("a,b\n,1\n,2\n", opts(Missing::Interpolate));
    assert!(
        e.message.contains("column \"a\" has no observed value"),
        "{}",
        e.message
    );
    let e = err(",1\n2,\n", opts(Missing::Drop));
    assert!(e.message.contains("nothing is left"), "{}", e.message);
    // Dropped rows keep the time of the rows that are left.
    let t = parse_with(
        "ts,a\n0.5,1\n1.0,\n1.5,3\n",
        opts(Missing::Drop).time_column("ts"),
    )
    .unwrap();
    assert_eq!(t.time.unwrap().values, vec!["0.5", "1.5"]);
}

#[test]
fn sequence_column_splits_recordings() {
    let opts = ReadOptions::new().sequence_column("run");
    let t = parse_with("run,a\nx,1\nx,2\ny,3\nx,4\n", opts.clone()).unwrap();
    assert_eq!(t.n, 1);
    assert_eq!(t.names, Some(vec!["a".to_string()]));
    assert_eq!(t.row_numbers, vec![0, 1, 0, 0]);
    let s = series_from_tables(vec![("f".into(), t)]).unwrap();
    let names: Vec<_> = s
        .recordings()
        .iter()
        .map(|r| (r.name.clone(), r.range.clone()))
        .collect();
    assert_eq!(
        names,
        vec![("x".into(), 0..2), ("y".into(), 2..3), ("x#1".into(), 3..4)]
    );
    // A recording wholly dropped still separates the ones around it; numbers count inside
    // each recording, dropped rows included.
    let t = parse_with(
        "run,a\nx,1\nx,\ny,\nx,4\nx,5\n",
        opts.clone().missing(Missing::Drop),
    )
    .unwrap();
    let s = series_from_tables(vec![("f".into(), t)]).unwrap();
    let names: Vec<_> = s.recordings().iter().map(|r| r.name.clone()).collect();
    assert_eq!(names, vec!["x", "x#1"]);
    assert_eq!(
        (s.row_number(0), s.row_number(1), s.row_number(2)),
        (0, 0, 1)
    );
    // A label that is itself `x#1` is not taken twice.
    let t = parse_with("run,a\nx,1\nx#1,2\nx,3\n", opts).unwrap();
    assert_eq!(t.sequence.unwrap(), vec!["x", "x#1", "x#2"]);
}

#[test]
fn files_with_the_same_columns_in_another_order_are_reordered() {
    let a = parse("p,q\n1,2\n").unwrap();
    let b = parse("q,p\n20,10\n").unwrap();
    let s = series_from_tables(vec![("a".into(), a.clone()), ("b".into(), b)]).unwrap();
    assert_eq!(s.values(), &[1.0, 2.0, 10.0, 20.0]);
    let c = parse("p,r\n1,2\n").unwrap();
    let e = series_from_tables(vec![("a".into(), a), ("c".into(), c)]).unwrap_err();
    assert!(
        e.to_string()
            .contains("c has the columns p, r but the first file has p, q"),
        "{e}"
    );
}

#[test]
fn a_stream_reads_row_by_row_like_a_file() {
    let text = "x;y\n1;2\n3;4\n";
    let mut r = RowReader::new(text.as_bytes(), &ReadOptions::default(), 1).unwrap();
    assert_eq!(r.names(), Some(&["x".to_string(), "y".to_string()][..]));
    assert_eq!(r.delimiter(), b';');
    let mut row = Vec::new();
    let info = r.read_row(&mut row).unwrap().unwrap();
    assert_eq!(
        (info.number, info.line, row.clone()),
        (0, 2, vec![1.0, 2.0])
    );
    assert!(r.read_row(&mut row).unwrap().is_some());
    assert!(r.read_row(&mut row).unwrap().is_none());
}

#[test]
fn long_files_keep_their_line_numbers() {
    // Past the reader's buffer and the line counter's trimming.
    let mut text = String::from("a,b\n");
    for i in 0..30_000 {
        text.push_str(&format!("{i},\"{}\"\n", i * 2));
    }
    text.push_str("1,oops\n");
    let e = parse(&text).unwrap_err();
    assert_eq!(e.line, Some(30_002));
}
