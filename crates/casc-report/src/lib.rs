//! `report.html`: one self-contained page (inline SVG, no script, no network) that shows the
//! output folder of `casc fit` or `casc predict`: the sensors with state bands, the motif
//! instances, each state's precision heatmap and the run summary.
//!
//! The folder is read through the typed files of [`casc::output`] (module `input`); each section
//! of the page has its module (`timeline`, `motifs`, `heatmaps`, `summary`), and `page` puts
//! them together. Numbers copied from the files are shown with the exact text they have in
//! the files (serde_json writes the shortest text that reads back as the same `f64`, and this
//! crate writes the number it read back the same way), so a reader can search the page for a
//! value from `summary.json` and find it. Long series are drawn with min/max envelopes per pixel
//! column and state bands merged per pixel run (module `downsampling`), so the page stays small
//! (well under 1 MB for a 1,000,000-step, 5-sensor run).
//!
//! ```no_run
//! let page = casc_report::write_report(std::path::Path::new("out/"))?;
//! println!("open {}", page.display());
//! # Ok::<(), casc_report::ReportError>(())
//! ```

use std::path::{Path, PathBuf};

use casc::output::OutputError;

mod downsampling;
mod heatmaps;
mod html;
mod input;
mod motifs;
mod page;
mod profiles;
mod summary;
mod timeline;

#[cfg(test)]
mod markup_check;
#[cfg(test)]
mod test_support;

pub use input::{OutputFiles, ReportInput};

/// What the page shows besides the folder's files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportOptions {
    /// First timesteps of the full-resolution detail windows; `None`: chosen along the series
    /// (the first motif instance, then evenly spaced) when it is longer than the overview's
    /// pixels can show.
    pub details: Option<Vec<usize>>,
    /// Timesteps per detail window (default 1,000).
    pub detail_length: usize,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            details: None,
            detail_length: 1000,
        }
    }
}

/// The page's file name inside the output folder.
pub const REPORT_FILE: &str = "report.html";

/// Why a report could not be written: the file that is missing, malformed or not writable.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file the report needs could not be read (the I/O error is the `source`).
    #[error(
        "cannot read {} (is this the output folder of `casc fit` or `casc predict`?)",
        path.display()
    )]
    Missing {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file was read but is not what casc writes, or does not fit with the other files (the
    /// message names the file and, where there is one, the line).
    #[error(transparent)]
    Malformed(OutputError),
    /// `report.html` could not be written (the I/O error is the `source`).
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl ReportError {
    /// The file the error is about, when it names one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            ReportError::Missing { path, .. } | ReportError::Write { path, .. } => Some(path),
            ReportError::Malformed(e) => match e {
                OutputError::Io { path, .. }
                | OutputError::Json { path, .. }
                | OutputError::Csv { path, .. }
                | OutputError::Invalid { path, .. } => Some(path),
                _ => None,
            },
        }
    }
}

impl From<OutputError> for ReportError {
    /// An unreadable file is [`ReportError::Missing`]; anything else is
    /// [`ReportError::Malformed`].
    fn from(e: OutputError) -> Self {
        match e {
            OutputError::Io { path, source } => ReportError::Missing { path, source },
            other => ReportError::Malformed(other),
        }
    }
}

/// Reads the output folder `dir` of `casc fit` or `casc predict` (and the data CSVs named in its
/// `summary.json`, when they can still be found) and writes `dir/report.html`; returns that
/// path.
///
/// A missing or unreadable data CSV is not an error: the page is written without the sensor
/// plot and says why.
pub fn write_report(dir: &Path) -> Result<PathBuf, ReportError> {
    write_report_with(dir, &ReportOptions::default())
}

/// [`write_report`] with `options` (which detail windows to draw).
pub fn write_report_with(dir: &Path, options: &ReportOptions) -> Result<PathBuf, ReportError> {
    let html = ReportInput::load(dir)?
        .with_options(options.clone())
        .render();
    let path = dir.join(REPORT_FILE);
    std::fs::write(&path, html).map_err(|source| ReportError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}
