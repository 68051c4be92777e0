//! `TargetStanding`: what holds a target back, as a plan, a forecast or a delivery report shows it: the
//! states (`rejected`, `paused`, `reverted`), the pull request closed without merging, the reverted paths,
//! in words. Made from what the sync engine found in a delivery the dispatcher made itself ([`Declines`]
//! and [`Held`]), or from the record in the source repository (a [`Standing`]) for any other target.

use serde::{Deserialize, Serialize};

use crate::sync::rejection::declines::Declines;
use crate::sync::rejection::standing::{Standing, StandingState};
use crate::sync::sync_outcome::{Held, SyncOutcome};

/// A rejected pull request first seen by a delivery: its `rejected: #N` status goes on `head`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRejection {
    /// Its number.
    pub number: u64,
    /// Where to see it.
    pub url: String,
    /// The source commit it carried.
    pub head: String,
}

/// What holds one target back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetStanding {
    /// The states that hold, sorted.
    pub states: Vec<StandingState>,
    /// The pull request closed without merging that holds the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<u64>,
    /// Where to see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Who closed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<String>,
    /// The paths a reversal put back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reverted: Vec<String>,
    /// Whether every change of the delivery was held (nothing was proposed).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held: bool,
    /// The rejections the delivery saw for the first time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub new_rejections: Vec<NewRejection>,
    /// In words, for people.
    pub text: String,
}

impl TargetStanding {
    /// Whether nothing holds and nothing is to be said.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty() && self.new_rejections.is_empty()
    }

    /// What the outcomes of one delivery (one per commit with `per_commit`) found; `None` when nothing.
    pub fn from_outcomes<'a>(outcomes: impl IntoIterator<Item = &'a SyncOutcome>) -> Option<Self> {
        let mut s = TargetStanding::default();
        let mut any = false;
        let mut all_held = true;
        for outcome in outcomes {
            any = true;
            match outcome {
                SyncOutcome::Held(h) => s.add_held(h),
                _ => all_held = false,
            }
            if let Some(d) = outcome.declines() {
                s.add_declines(d);
            }
        }
        s.held = any && all_held;
        s.states.sort();
        s.states.dedup();
        s.text = s.words();
        (!s.is_empty()).then_some(s)
    }

    /// What the record in the source says, for a target the dispatcher does not deliver itself.
    pub fn from_record(record: &Standing) -> Option<Self> {
        if record.states.is_empty() {
            return None;
        }
        let rejection = record.rejection();
        let mut s = TargetStanding {
            states: record.states.clone(),
            pull_request: rejection.map(|r| r.number),
            url: rejection.map(|r| r.url.clone()),
            closed_by: rejection.and_then(|r| r.closed_by.clone()),
            reverted: record.reverted_paths().to_vec(),
            ..TargetStanding::default()
        };
        s.text = format!("{} (recorded in the source)", record.describe());
        Some(s)
    }

    fn add_held(&mut self, h: &Held) {
        self.states.push(StandingState::Rejected);
        if h.paused {
            self.states.push(StandingState::Paused);
        }
        if self.pull_request.is_none() {
            self.pull_request = Some(h.rejection.number);
            self.url = Some(h.rejection.url.clone());
            self.closed_by.clone_from(&h.rejection.closed_by);
        }
    }

    fn add_declines(&mut self, d: &Declines) {
        let states = d.states();
        if states.contains(&StandingState::Rejected)
            && self.pull_request.is_none()
            && let Some(r) = &d.rejection
        {
            self.pull_request = Some(r.number);
            self.url = Some(r.url.clone());
            self.closed_by.clone_from(&r.closed_by);
        }
        self.states.extend(states);
        if let Some(v) = &d.reversal {
            for p in &v.paths {
                if !self.reverted.contains(p) {
                    self.reverted.push(p.clone());
                }
            }
        }
        for r in &d.new_rejections {
            if !self.new_rejections.iter().any(|n| n.number == r.number) {
                self.new_rejections.push(NewRejection {
                    number: r.number,
                    url: r.url.clone(),
                    head: r.head.clone(),
                });
            }
        }
    }

    fn words(&self) -> String {
        let mut parts = Vec::new();
        if let Some(n) = self.pull_request {
            let state = if self.states.contains(&StandingState::Paused) {
                "paused"
            } else {
                "held"
            };
            let by = self
                .closed_by
                .as_deref()
                .map(|b| format!(" by {}", crate::escape::line(b)))
                .unwrap_or_default();
            parts.push(format!("{state}: #{n} was closed without merging{by}"));
        }
        if !self.reverted.is_empty() {
            parts.push(format!(
                "reverted: {} path{} undone since the last sync",
                self.reverted.len(),
                if self.reverted.len() == 1 { "" } else { "s" }
            ));
        }
        parts.join("; ")
    }
}
