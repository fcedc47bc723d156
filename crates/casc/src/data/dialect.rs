//! What kind of text a CSV input is: not a binary file, not UTF-16, a byte-order mark to skip,
//! and its delimiter (comma, semicolon or tab), detected from its first lines.

/// The delimiters detected, in the order preferred when several fit equally well.
pub const DETECTED: [u8; 3] = [b',', b';', b'\t'];

/// The delimiter as people name it in messages.
pub fn delimiter_name(d: u8) -> String {
    match d {
        b',' => "comma".into(),
        b';' => "semicolon".into(),
        b'\t' => "tab".into(),
        b' ' => "space".into(),
        other => format!("{:?}", other as char),
    }
}

/// Why the first bytes of an input are not CSV text, if they are not: a UTF-16 byte-order
/// mark, or a NUL byte (a binary file).
pub fn not_text(head: &[u8]) -> Option<String> {
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return Some("this is UTF-16 text: save it as UTF-8".into());
    }
    head.contains(&0)
        .then(|| "this is not a text file (it contains NUL bytes)".into())
}

/// `bytes` without a leading UTF-8 byte-order mark.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)
}

/// Occurrences of `d` outside double quotes in `line`.
fn count_outside_quotes(line: &[u8], d: u8) -> usize {
    let mut quoted = false;
    let mut n = 0;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if b == d && !quoted {
            n += 1;
        }
    }
    n
}

/// The delimiter of a table whose first lines are `head`: among comma, semicolon and tab, the
/// one that splits every non-blank line into the same number of fields (the most fields when
/// several do, comma first on a tie); failing that, the one most frequent on the first line;
/// comma when none occurs (one column).
pub fn detect_delimiter(head: &[u8]) -> u8 {
    let lines: Vec<&[u8]> = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .collect();
    let Some(first) = lines.first() else {
        return b',';
    };
    let mut best: Option<(usize, u8)> = None;
    for d in DETECTED {
        let c = count_outside_quotes(first, d);
        let consistent = c > 0 && lines.iter().all(|l| count_outside_quotes(l, d) == c);
        if consistent && best.is_none_or(|(bc, _)| c > bc) {
            best = Some((c, d));
        }
    }
    if let Some((_, d)) = best {
        return d;
    }
    let mut most = (0, b',');
    for d in DETECTED {
        let c = count_outside_quotes(first, d);
        if c > most.0 {
            most = (c, d);
        }
    }
    most.1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_detected() {
        assert_eq!(detect_delimiter(b"a,b,c\n1,2,3\n"), b',');
        assert_eq!(detect_delimiter(b"a;b;c\n1.2882;1.4494;0.0663\n"), b';');
        assert_eq!(detect_delimiter(b"a\tb\n1\t2\n"), b'\t');
        // Commas inside quotes do not count.
        assert_eq!(detect_delimiter(b"\"x,y\";b\n1;2\n"), b';');
        // Decimal commas vary from line to line; the semicolons do not.
        assert_eq!(detect_delimiter(b"a;b\n1,5;2\n3;4,25\n"), b';');
        assert_eq!(detect_delimiter(b"1\n2\n"), b',');
        assert_eq!(detect_delimiter(b""), b',');
        // Ragged lines: the most frequent on the first line.
        assert_eq!(detect_delimiter(b"a;b;c\n1;2\n"), b';');
    }

    #[test]
    fn binary_and_utf16_are_named() {
        assert!(not_text(b"\xff\xfea\0").unwrap().contains("UTF-16"));
        assert!(not_text(b"\x89PNG\0").unwrap().contains("NUL"));
        assert_eq!(not_text(b"a,b\n"), None);
        assert_eq!(strip_bom(b"\xef\xbb\xbfa"), b"a");
    }
}
