//! `DeliveryMode`: how the dispatcher brings a push to one downstream repository.

use serde::{Deserialize, Serialize};

/// How a push reaches a downstream repository (`mode` of an `ecosystem.json` entry).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryMode {
    /// Send one `repository_dispatch` event; a workflow in the target (the subscriber) applies it.
    #[default]
    Dispatch,
    /// The target branch mirrors the source branch, fast-forward only (never forced); for forks.
    Push,
    /// The dispatcher applies the change itself and opens or refreshes one pull request on the target
    /// (one per source commit with `per_commit`).
    PullRequest,
    /// Like `pull-request`, but the pull request opens only once the oldest change on its branch is older
    /// than `buffer_hours`; until then each push only moves the branch.
    BufferedPr,
}

impl DeliveryMode {
    /// Every mode's name, as written in `ecosystem.json`.
    pub const NAMES: [&'static str; 4] = ["dispatch", "push", "pull-request", "buffered-pr"];

    /// The name as written in `ecosystem.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryMode::Dispatch => "dispatch",
            DeliveryMode::Push => "push",
            DeliveryMode::PullRequest => "pull-request",
            DeliveryMode::BufferedPr => "buffered-pr",
        }
    }

    /// True for the modes in which the dispatcher applies the change with the sync engine and opens a pull
    /// request.
    pub fn applies_changes(self) -> bool {
        matches!(self, DeliveryMode::PullRequest | DeliveryMode::BufferedPr)
    }
}

impl std::fmt::Display for DeliveryMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_what_serde_reads() {
        for name in DeliveryMode::NAMES {
            let mode: DeliveryMode = serde_json::from_value(serde_json::json!(name)).unwrap();
            assert_eq!(mode.as_str(), name);
        }
        assert_eq!(DeliveryMode::default(), DeliveryMode::Dispatch);
    }
}
