//! Progress and cancellation: the [`FitObserver`] hook a front end (the command line's progress
//! bar, the Python package) passes to [`fit_with`](crate::fit_with). Every method has a no-op
//! default, and [`NoObserver`] is the observer of [`fit`](crate::fit).
//!
//! A leaf of the crate (it names the diagnostics type it reports, nothing else).

use crate::diagnostics::IterationDiagnostics;

/// A stage of the fit, announced by [`FitObserver::stage`] when it starts.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Stage {
    /// A pilot fit of the beta estimate, `round` from 0, with the current `beta`.
    BetaEstimate {
        /// The pilot fit's number, from 0.
        round: usize,
        /// The switching penalty it uses.
        beta: f64,
    },
    /// The initial clusterings (mixture and local moments).
    Init,
    /// A few EM iterations from each of `candidates` initial clusterings.
    Screening {
        /// Initial clusterings screened.
        candidates: usize,
    },
    /// Phase 1 (TICC) from the best screened start.
    Phase1,
    /// The choice of the number of states: states merged down from the most allowed.
    States,
    /// A round of split-and-merge proposals after phase 1.
    SplitMerge {
        /// The round, from 0.
        round: usize,
        /// Proposals tried in parallel in this round.
        proposals: usize,
    },
    /// Phase 1 continued on the whole of a long series from the sketch's models.
    Phase1Full,
    /// Phase 2 (motifs).
    Phase2,
}

/// Receives the progress of a fit and can cancel it. Called from the fit's threads: the
/// methods take `&self` and the observer must be `Sync`.
pub trait FitObserver: Sync {
    /// A stage starts.
    fn stage(&self, _stage: Stage) {}
    /// An EM iteration of the main line of the fit ended (not the parallel trials of
    /// screening and split-and-merge, which report only their stage).
    fn iteration(&self, _iteration: &IterationDiagnostics) {}
    /// Polled at every EM iteration, the parallel trials' included: `true` stops the fit with
    /// [`FitError::Cancelled`](crate::FitError::Cancelled).
    fn cancelled(&self) -> bool {
        false
    }
}

/// The observer that observes nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoObserver;

impl FitObserver for NoObserver {}

/// How a piece of the fit reports: to the observer, with or without its iterations.
#[derive(Clone, Copy)]
pub(crate) struct Watch<'a> {
    observer: &'a dyn FitObserver,
    live: bool,
}

impl<'a> Watch<'a> {
    /// Reports everything to `observer`.
    pub(crate) fn new(observer: &'a dyn FitObserver) -> Self {
        Self {
            observer,
            live: true,
        }
    }
    /// The same observer, without iteration reports (for parallel trials).
    pub(crate) fn quiet(self) -> Self {
        Self {
            live: false,
            ..self
        }
    }
    /// Announces a stage (only when live).
    pub(crate) fn stage(&self, stage: Stage) {
        if self.live {
            self.observer.stage(stage);
        }
    }
    /// Reports an iteration (only when live).
    pub(crate) fn iteration(&self, it: &IterationDiagnostics) {
        if self.live {
            self.observer.iteration(it);
        }
    }
    /// Whether the fit was cancelled.
    pub(crate) fn cancelled(&self) -> bool {
        self.observer.cancelled()
    }
}
