//! Test helper (also used by `tests/report.rs`): checks a page with a strict XML parser — it
//! parses, ids are unique, SVG elements are known and their coordinates are numbers, and every
//! data URI is valid base64 (a bitmap's size matches its header).

use base64::Engine as _;

const SVG_NS: &str = "http://www.w3.org/2000/svg";
const SVG_ELEMENTS: [&str; 10] = [
    "svg", "g", "rect", "line", "text", "title", "polyline", "polygon", "image", "path",
];
const NUMERIC: [&str; 8] = ["x", "y", "width", "height", "x1", "x2", "y1", "y2"];

/// What [`check_markup`] counted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Markup {
    /// Elements.
    pub elements: usize,
    /// `<svg>` elements.
    pub svgs: usize,
    /// Data URIs (all decoded).
    pub data_uris: usize,
}

/// Parses `h` as XML and checks it; the error says what is wrong and where.
pub fn check_markup(h: &str) -> Result<Markup, String> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(h, opts).map_err(|e| e.to_string())?;
    let mut seen = std::collections::HashSet::new();
    let mut m = Markup::default();
    for node in doc.descendants().filter(|n| n.is_element()) {
        m.elements += 1;
        let name = node.tag_name().name();
        let at = || format!("<{name}> at {:?}", doc.text_pos_at(node.range().start));
        if let Some(id) = node.attribute("id")
            && !seen.insert(id.to_string())
        {
            return Err(format!("id {id:?} is used twice ({})", at()));
        }
        let in_svg = node
            .ancestors()
            .any(|a| a.is_element() && a.tag_name().name() == "svg");
        if name == "svg" {
            m.svgs += 1;
        }
        if in_svg {
            if node.tag_name().namespace() != Some(SVG_NS) {
                return Err(format!("{} is not in the SVG namespace", at()));
            }
            if !SVG_ELEMENTS.contains(&name) {
                return Err(format!("{} is not an SVG element the page uses", at()));
            }
            for a in node.attributes() {
                let v = a.value();
                let numbers: Vec<&str> = match a.name() {
                    n if NUMERIC.contains(&n) => vec![v],
                    "viewBox" => v.split_whitespace().collect(),
                    "points" => v
                        .split(|c: char| c == ',' || c.is_whitespace())
                        .filter(|s| !s.is_empty())
                        .collect(),
                    _ => Vec::new(),
                };
                let finite = numbers
                    .iter()
                    .all(|s| s.parse::<f64>().is_ok_and(f64::is_finite));
                let shaped = match a.name() {
                    "viewBox" => numbers.len() == 4,
                    "points" => numbers.len().is_multiple_of(2),
                    "width" | "height" => !v.starts_with('-'),
                    _ => true,
                };
                let ok = finite && shaped;
                if !ok {
                    return Err(format!(
                        "{}: {}={v:?} is not a valid number",
                        at(),
                        a.name()
                    ));
                }
            }
        }
        for a in node.attributes() {
            if let Some(uri) = a.value().strip_prefix("data:") {
                let (mime, payload) = uri
                    .split_once(";base64,")
                    .ok_or_else(|| format!("{}: a data URI that is not base64", at()))?;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(payload)
                    .map_err(|e| format!("{}: bad base64: {e}", at()))?;
                if mime == "image/bmp" {
                    let size = bytes
                        .get(2..6)
                        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
                    if !bytes.starts_with(b"BM") || size != Some(bytes.len()) {
                        return Err(format!("{}: the bitmap's header does not match", at()));
                    }
                }
                m.data_uris += 1;
            }
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checker_rejects_broken_markup() {
        let svg = |inner: &str| format!("<p><svg xmlns=\"{SVG_NS}\">{inner}</svg></p>");
        for bad in [
            "<div><span></div></span>".to_string(),
            "<p>a < b</p>".into(),
            "<div>".into(),
            "<p>&foo;</p>".into(),
            "</p>".into(),
            "<p a=\"x>".into(),
            "<style>p{}".into(),
            "<p><br>x</p>".into(),
            "<p><b id=\"a\"/><i id=\"a\"/></p>".into(),
            svg("<rect x=\"NaN\"/>"),
            svg("<polyline points=\"1,2 3\"/>"),
            svg("<rect width=\"-2\"/>"),
            svg("<div/>"),
            "<p><svg><rect/></svg></p>".into(),
            svg("<image href=\"data:image/bmp;base64,Qk0=x\"/>"),
            svg("<image href=\"data:image/bmp;base64,Qk0=\"/>"),
        ] {
            assert!(check_markup(&bad).is_err(), "{bad} accepted");
        }
        assert_eq!(
            check_markup(&format!(
                "<p a=\"x>y\">&amp;<br/>{}</p>",
                svg("<rect x=\"1.5\"/><image href=\"data:text/plain;base64,TWFu\"/>")
            )),
            Ok(Markup {
                elements: 6,
                svgs: 1,
                data_uris: 1
            })
        );
    }
}
