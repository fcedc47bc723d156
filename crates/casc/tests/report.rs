//! End to end: `casc fit` writes an output folder, `casc::report::write_report` turns it into
//! one page, and the numbers on the page are the texts written in the folder's files.

use std::path::PathBuf;
use std::process::Command;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("casc-report-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
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
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/paper-w2/data.csv"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_casc"))
        .args([
            "fit",
            data,
            "--states",
            "10",
            "--window",
            "2",
            "--motif-min-instances",
            "3",
            "-q",
            "--out",
        ])
        .arg(&dir)
        .output()
        .expect("the binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let path = casc::report::write_report(&dir).unwrap();
    let html = std::fs::read_to_string(&path).unwrap();
    assert!(html.len() < 2_000_000, "{} bytes", html.len());
    assert!(!html.contains("class=\"note\""), "the data file was found");
    assert_eq!(
        html.matches("<polygon").count(),
        5,
        "five sensors, downsampled"
    );

    let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let motifs = std::fs::read_to_string(dir.join("motifs.json")).unwrap();
    let states = std::fs::read_to_string(dir.join("states.json")).unwrap();
    let bic = &number_texts(&summary, "bic")[0];
    assert!(html.contains(&format!("BIC <b>{bic}</b>")), "BIC {bic}");
    let seconds = &summary[summary.find("\"seconds\": {").unwrap()..];
    let seconds = &seconds[..seconds.find('}').unwrap()];
    for key in ["read", "init", "phase1", "phase2", "fit", "total"] {
        let v = &number_texts(seconds, key)[0];
        assert!(html.contains(&format!("<td>{v}</td>")), "{key} {v}");
    }
    let n_motifs = motifs.matches("\"n_instances\"").count();
    assert!(
        n_motifs > 0,
        "the fixture has a motif with these parameters"
    );
    assert!(html.contains(&format!(", {n_motifs} motif")));
    for key in ["p_value", "n_instances"] {
        for v in number_texts(&motifs, key) {
            assert!(
                html.contains(&format!("<td class=\"num\">{v}</td>")),
                "{key} {v}"
            );
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
    let e = casc::report::write_report(&dir).unwrap_err();
    assert!(e.to_string().contains("summary.json"), "{e}");
    assert!(!dir.join("report.html").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
