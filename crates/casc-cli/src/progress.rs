//! The progress bar of a long fit: a [`FitObserver`] that shows the stage, the iteration and
//! the objective on standard error, only on a terminal and only once the fit has run for a
//! second (a quick fit prints nothing extra).

use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use casc::{FitObserver, IterationDiagnostics, Stage};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a fit runs before the bar appears.
const DELAY: Duration = Duration::from_secs(1);

/// A spinner with the fit's stage; dropped (and cleared) when the fit ends.
pub struct Progress {
    bar: ProgressBar,
    stage: Mutex<String>,
    shown: Arc<Mutex<bool>>,
}

impl Progress {
    /// A progress display, active only when standard error is a terminal and `enabled`.
    pub fn new(enabled: bool) -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        let shown = Arc::new(Mutex::new(false));
        if enabled && std::io::stderr().is_terminal() {
            // After DELAY, show the bar if the fit is still running.
            let (bar, shown) = (bar.clone(), shown.clone());
            let started = Instant::now();
            std::thread::spawn(move || {
                std::thread::sleep(DELAY.saturating_sub(started.elapsed()));
                let mut s = shown.lock().unwrap_or_else(|p| p.into_inner());
                if !bar.is_finished() {
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                    bar.enable_steady_tick(Duration::from_millis(120));
                    *s = true;
                }
            });
        }
        Self {
            bar,
            stage: Mutex::new(String::from("starting")),
            shown,
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        let _s = self.shown.lock().unwrap_or_else(|p| p.into_inner());
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

fn describe(stage: Stage) -> String {
    match stage {
        Stage::BetaEstimate { round, beta } => {
            format!("estimating beta: pilot fit {} (beta {beta:.1})", round + 1)
        }
        Stage::Init => "initial clusterings".into(),
        Stage::Screening { candidates } => format!("screening {candidates} initialisations"),
        Stage::Phase1 => "phase 1 (TICC)".into(),
        Stage::SplitMerge { round, proposals } => {
            format!(
                "split and merge: round {}, {proposals} proposals",
                round + 1
            )
        }
        Stage::Phase1Full => "phase 1 on the whole series".into(),
        Stage::Phase2 => "phase 2 (motifs)".into(),
        _ => "fitting".into(),
    }
}

impl FitObserver for Progress {
    fn stage(&self, stage: Stage) {
        let d = describe(stage);
        self.bar.set_message(d.clone());
        *self.stage.lock().unwrap_or_else(|p| p.into_inner()) = d;
    }

    fn iteration(&self, it: &IterationDiagnostics) {
        let stage = self.stage.lock().unwrap_or_else(|p| p.into_inner()).clone();
        self.bar.set_message(format!(
            "{stage}: iteration {}, objective {:.1}",
            it.iteration + 1,
            it.objective
        ));
    }
}
