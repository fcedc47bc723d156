//! End to end: the library fits a fixture and writes its output folder (`casc::fit`, then
//! `casc::output::write_fit`), `casc_report::write_report` turns it into one page, and the
//! numbers on the page are the texts written in the folder's files.

use std::path::{Path, PathBuf};
use std::time::Instant;

use casc::output::{FitSummary, PredictSummary, write_fit, write_prediction};
use casc::{FitParams, ReadOptions, Series};

#[path = "../src/markup_check.rs"]
#[allow(dead_code)] // shared with the unit tests
mod markup_check;

use markup_check::check_markup;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("casc-report-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/paper-w2/data.csv")
}

/// Reads `inputs`, fits them with `params` and writes the output folder `dir`, as `casc fit`
/// does; returns the series.
fn fit_into(dir: &Path, inputs: &[PathBuf], params: FitParams) -> (Series, casc::Fit) {
    let started = Instant::now();
    let series = casc::read_series(inputs, &ReadOptions::default()).unwrap();
    let read = started.elapsed().as_secs_f64();
    let fit = casc::fit(&series, &params.check().unwrap()).unwrap();
    let summary = FitSummary::new(&series, inputs, &fit, read, started.elapsed().as_secs_f64())
        .with_read_options(&ReadOptions::default());
    write_fit(dir, &series, &fit, &summary).unwrap();
    (series, fit)
}

/// How the page shows a number whose text in the file is `text`: as it is when short, else in
/// a tooltip (`title`) over its rounded value.
fn shown(text: &str) -> String {
    if text.len() <= 7 {
        format!(">{text}<")
    } else {
        format!("<span title=\"{text}\">")
    }
}

/// The text of every JSON number stored under `key` anywhere in `json` (as written in the file).
fn number_texts(json: &str, key: &str) -> Vec<String> {
    let pat = format!("\"{key}\": ");
    json.match_indices(&pat)
        .map(|(i, _)| {
            json[i + pat.len()..]
                .chars()
                .take_while(|c| c.is_ascii_digit() || "+-.eE".contains(*c))
                .collect::<String>()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn report_of_a_real_fit_shows_the_files_numbers() {
    let dir = tmp("fit");
    let params = FitParams::new(10).window(2).motif_min_instances(3);
    fit_into(&dir, &[fixture()], params);

    let path = casc_report::write_report(&dir).unwrap();
    let html = std::fs::read_to_string(&path).unwrap();
    let markup = check_markup(&html).unwrap();
    let details = html.matches("<details class=\"detail\"").count();
    assert!(details >= 2, "detail windows along 3,000 steps: {details}");
    assert_eq!(
        markup.svgs,
        1 + details + 2 * 10,
        "timeline and its details (3,000 steps), a colour bar and a heatmap per state"
    );
    assert!(html.len() < 2_000_000, "{} bytes", html.len());
    assert!(!html.contains("class=\"note\""), "the data file was found");
    assert_eq!(
        html.matches("<polygon").count(),
        5,
        "five sensors, downsampled"
    );
    assert_eq!(
        html.matches("class=\"data profile\"").count(),
        10,
        "a profile per state"
    );

    let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let motifs = std::fs::read_to_string(dir.join("motifs.json")).unwrap();
    let states = std::fs::read_to_string(dir.join("states.json")).unwrap();
    let bic = &number_texts(&summary, "bic")[0];
    assert!(
        html.contains(&format!("BIC <b>{}", shown(bic).trim_start_matches('>'))),
        "BIC {bic}"
    );
    let seconds = &summary[summary.find("\"seconds\": {").unwrap()..];
    let seconds = &seconds[..seconds.find('}').unwrap()];
    for key in ["read", "beta", "init", "phase1", "phase2", "fit", "total"] {
        let v = &number_texts(seconds, key)[0];
        assert!(html.contains(&shown(v)), "{key} {v}");
    }
    let beta = &number_texts(&summary, "beta")[0]; // the penalty used (the parameter is an object)
    assert!(
        html.contains(&format!(
            "<tr><th>beta</th><td>{}",
            shown(beta).trim_start_matches('>')
        )),
        "beta {beta}"
    );
    let lambda = &number_texts(&summary, "lambda")[0];
    assert!(html.contains(&format!("<tr><th>lambda</th><td>{lambda}</td></tr>")));
    for v in number_texts(&summary, "objective") {
        assert!(html.contains(&shown(&v)), "objective {v}");
    }
    let n_motifs = motifs.matches("\"n_instances\"").count();
    assert!(
        n_motifs > 0,
        "the fixture has a motif with these parameters"
    );
    assert!(html.contains(&format!(", {n_motifs} motif")));
    for key in ["p_value", "n_instances"] {
        for v in number_texts(&motifs, key) {
            assert!(html.contains(&shown(&v)), "{key} {v}");
        }
    }
    let timesteps = number_texts(&states, "timesteps");
    let nonzeros = number_texts(&states, "nonzeros");
    assert_eq!(timesteps.len(), 10);
    for (t, z) in timesteps.iter().zip(&nonzeros) {
        assert!(html.contains(&format!("{t} timesteps &#183; {z} non-zeros")));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_folder_that_is_not_a_fit_is_an_error_naming_the_file() {
    let dir = tmp("empty");
    let e = casc_report::write_report(&dir).unwrap_err();
    assert!(e.to_string().contains("summary.json"), "{e}");
    assert_eq!(e.path(), Some(dir.join("summary.json").as_path()));
    assert!(!dir.join("report.html").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn recording_names_with_a_comma_and_a_quote() {
    // Two recordings, from files whose names need quoting in segments.csv.
    let dir = tmp("quoted");
    let text = std::fs::read_to_string(fixture()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (first, second) = lines.split_at(1500);
    let name = "plant \"A\", line 1";
    let inputs = [dir.join(format!("{name}.csv")), dir.join("plant B.csv")];
    std::fs::write(&inputs[0], first.join("\n")).unwrap();
    std::fs::write(&inputs[1], second.join("\n")).unwrap();
    let out = dir.join("out");
    let params = FitParams::new(6)
        .window(2)
        .beta(10.0)
        .motif_min_instances(3);
    let (series, fit) = fit_into(&out, &inputs, params);
    assert_eq!(series.recordings()[0].name, name);
    let segments = std::fs::read_to_string(out.join("segments.csv")).unwrap();
    assert!(
        segments.contains("\"plant \"\"A\"\", line 1\",0,"),
        "quoted in the CSV"
    );

    let html = std::fs::read_to_string(casc_report::write_report(&out).unwrap()).unwrap();
    check_markup(&html).unwrap();
    let escaped = "plant &quot;A&quot;, line 1";
    assert!(!html.contains(name));
    assert!(
        !html.contains("class=\"note\""),
        "the data files were found"
    );
    assert!(html.contains(&format!("class=\"reclab\">{escaped}</text>")));
    assert!(html.contains(&format!("{escaped} [0, 1500)<br/>plant B [1500, 3000)")));
    assert!(html.contains(&format!("<title>casc report: {}", casc_escape(&inputs[0]))));
    // The state strip is the assignment: both recordings' runs, in global time.
    let strip = &html[html.find("<g class=\"strip\">").unwrap()..];
    let strip = &strip[..strip.find("</g>").unwrap()];
    let switches = fit.assignment.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(strip.matches("<rect").count() <= switches + 1);
    let overview = &html[..html.find("</svg>").unwrap()];
    assert_eq!(
        overview.matches("class=\"rec\"").count(),
        2,
        "both recordings"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `path` escaped as the page escapes text.
fn casc_escape(path: &Path) -> String {
    path.display()
        .to_string()
        .replace('&', "&amp;")
        .replace('"', "&quot;")
}

#[test]
fn report_of_a_prediction_shows_what_the_folder_has() {
    let dir = tmp("predict");
    let fit_dir = dir.join("fit");
    let params = FitParams::new(10).window(2).motif_min_instances(3);
    let (series, fit) = fit_into(&fit_dir, &[fixture()], params);
    let prediction = fit.model.predict(&series).unwrap();
    let out = dir.join("predict");
    let model = fit_dir.join("model.casc");
    let summary = PredictSummary::new(
        &model,
        &[fixture()],
        &series,
        fit.model.n_states(),
        &prediction,
        0.5,
    );
    write_prediction(&out, &series, &prediction, &summary).unwrap();
    assert!(!out.join("states.json").exists());

    let html = std::fs::read_to_string(casc_report::write_report(&out).unwrap()).unwrap();
    let details = html.matches("<details class=\"detail\"").count();
    assert_eq!(
        check_markup(&html).unwrap().svgs,
        1 + details + 2 * 10,
        "the timeline, its details, and the model's states (found from summary.json)"
    );
    assert!(!html.contains("class=\"note\""), "the data file was found");
    assert_eq!(html.matches("<polygon").count(), 5);
    assert!(html.contains("The states of the model this folder applied, read from"));
    assert_eq!(html.matches("class=\"data profile\"").count(), 10);
    assert!(html.contains(&casc_escape(&model)));
    let motifs = std::fs::read_to_string(out.join("motifs.json")).unwrap();
    for v in number_texts(&motifs, "p_value") {
        assert!(html.contains(&shown(&v)), "{v}");
    }
    assert!(html.contains("<tr><th>predict</th><td>0.5</td></tr>"));
    let _ = std::fs::remove_dir_all(&dir);
}
