//! `Declines`: what one run found about the target's rejections and reversals, and what it recorded in
//! the source; part of every outcome that got past the checks of the event.

use crate::forge::Issue;
use crate::repo_name::RepoName;
use crate::sync::rejection::standing::{RejectedPull, Reversal, StandingState};

/// What became of the issue about rejections and reversals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// It was opened.
    Opened {
        /// Where.
        place: RepoName,
        /// The issue.
        issue: Issue,
    },
    /// The open one was brought up to date.
    Updated {
        /// Where.
        place: RepoName,
        /// The issue.
        issue: Issue,
    },
    /// The target merged a sync again: it was closed.
    Closed {
        /// Where.
        place: RepoName,
        /// The issue.
        issue: Issue,
    },
    /// A dry run would open or update it there.
    WouldRecord(RepoName),
    /// It could not be written (the sync itself stands).
    Failed {
        /// Where it was to go.
        place: RepoName,
        /// Why.
        error: String,
    },
}

/// What a run found and did about rejections and reversals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declines {
    /// The newest rejection since the target last merged a sync.
    pub rejection: Option<RejectedPull>,
    /// Whether it still holds the target: nothing was proposed after it was closed.
    pub standing: bool,
    /// Whether the target is paused (`on_rejection: pause` and a rejection holds).
    pub paused: bool,
    /// Whether this run proposed again despite the rejection (`--repropose`).
    pub reproposed: bool,
    /// A synced change undone on the base branch since the last sync.
    pub reversal: Option<Reversal>,
    /// The reverted paths this run's pull request changes again (and says so).
    pub touched_again: Vec<String>,
    /// The rejections this run saw for the first time (each gets its `rejected: #N` status with
    /// acknowledgements on).
    pub new_rejections: Vec<RejectedPull>,
    /// What became of the issue in the source, when anything was to be written.
    pub recorded: Option<Recorded>,
    /// Why the target's pull requests could not be read (rejections were not checked).
    pub unchecked: Option<String>,
}

impl Declines {
    /// The states that hold: `rejected`, `paused`, `reverted`.
    pub fn states(&self) -> Vec<StandingState> {
        let mut states = Vec::new();
        if self.standing && self.rejection.is_some() && !self.reproposed {
            states.push(StandingState::Rejected);
            if self.paused {
                states.push(StandingState::Paused);
            }
        }
        if self.reversal.is_some() {
            states.push(StandingState::Reverted);
        }
        states
    }

    /// Whether there is nothing to say.
    pub fn is_empty(&self) -> bool {
        self.rejection.is_none()
            && self.reversal.is_none()
            && self.recorded.is_none()
            && self.unchecked.is_none()
    }
}
