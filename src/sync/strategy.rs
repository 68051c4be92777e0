//! `Strategy`: how the subscriber turns an upstream commit into a change of the cousin.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How an upstream commit is applied to the cousin.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// The upstream change since the last synced commit, restricted to the subscribed paths and re-rooted by
    /// the mapping, merged three ways into the cousin's tree: the cousin's own edits survive where they do
    /// not conflict. The first sync brings the mapped directories to the upstream state.
    #[default]
    DiffApply,
    /// Only the one upstream commit's own change (against its first parent), keeping its author and message.
    CherryPick,
    /// Each mapped directory becomes exactly the upstream directory at that commit (the cousin's own edits
    /// there are overwritten, files deleted upstream are deleted), in one commit.
    Squash,
    /// For forks that share upstream's history: a fast-forward when possible, else a merge commit. Whole
    /// commits are merged; subscriptions only decide which events are acted on.
    Merge,
}

impl Strategy {
    /// The name as written in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::DiffApply => "diff-apply",
            Strategy::CherryPick => "cherry-pick",
            Strategy::Squash => "squash",
            Strategy::Merge => "merge",
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
