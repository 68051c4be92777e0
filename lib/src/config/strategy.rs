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
    /// Every upstream commit since the last sync, each its own change (against its first parent) and its
    /// own commit, keeping its author and message; commits that touch no subscribed path are skipped. The
    /// first sync brings the mapped directories to the upstream state.
    CherryPick,
    /// Each mapped directory becomes exactly the upstream directory at that commit (the cousin's own edits
    /// there are overwritten, files deleted upstream are deleted), in one commit.
    Squash,
    /// For forks that share upstream's history: a fast-forward when possible, else a merge commit. Whole
    /// commits are merged; subscriptions only decide which events are acted on.
    Merge,
}

/// What a strategy's change is computed against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeBase {
    /// The upstream commit synced last (found by its trailer): the change since then.
    LastSync,
    /// The upstream commit's first parent: that one commit's own change.
    OwnParent,
    /// Nothing: the mapped directories take the upstream state.
    Nothing,
    /// The shared history: whole commits are merged.
    History,
}

/// The policy of each strategy, in one place: every part of the pipeline asks the strategy instead of
/// matching on it.
impl Strategy {
    /// What the change is computed against.
    pub fn change_base(self) -> ChangeBase {
        match self {
            Strategy::DiffApply => ChangeBase::LastSync,
            Strategy::CherryPick => ChangeBase::OwnParent,
            Strategy::Squash => ChangeBase::Nothing,
            Strategy::Merge => ChangeBase::History,
        }
    }

    /// Whether whole upstream commits are merged (a fork sharing upstream's history) instead of a tree
    /// change being applied to the mapped directories.
    pub fn merges_history(self) -> bool {
        self.change_base() == ChangeBase::History
    }

    /// Whether subscriptions may map an upstream directory to another place (all but `merge`).
    pub fn maps_directories(self) -> bool {
        !self.merges_history()
    }

    /// Whether each sync commit carries a trailer naming its upstream commit, from which the next sync
    /// starts (all but `merge`, whose merge commits are the record).
    pub fn tracks_last_sync(self) -> bool {
        !self.merges_history()
    }

    /// Whether the next sync needs the last synced commit to still exist upstream (`diff-apply`, whose
    /// change is computed since it, and `cherry-pick`, which picks every commit since it).
    pub fn needs_last_sync(self) -> bool {
        matches!(
            self.change_base(),
            ChangeBase::LastSync | ChangeBase::OwnParent
        )
    }

    /// Whether the sync commit keeps the upstream commit's author and message (`cherry-pick`).
    pub fn keeps_authors(self) -> bool {
        self.change_base() == ChangeBase::OwnParent
    }

    /// Whether a sync stacks on earlier, unmerged syncs on the pull request branch instead of replacing them
    /// (`cherry-pick`, where each upstream commit is its own change); otherwise a newer sync supersedes the
    /// branch.
    pub fn stacks(self) -> bool {
        self.change_base() == ChangeBase::OwnParent
    }

    /// How it brings a change, in a phrase for people (`subscriber explain`).
    pub fn brings(self) -> &'static str {
        match self.change_base() {
            ChangeBase::LastSync => {
                "the change since the last sync, merged three ways with this repository's own edits"
            }
            ChangeBase::OwnParent => "each upstream commit since the last sync as its own commit",
            ChangeBase::Nothing => "the upstream directory's exact state, overwriting local edits",
            ChangeBase::History => "whole upstream commits, fast-forwarded or merged",
        }
    }

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
