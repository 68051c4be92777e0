//! `CommitStatus`: a commit status of the source repository, the record of an acknowledged delivery.
//!
//! `dispatcher dispatch --ack` sets one `pending` status per target on the source commit, with the context
//! `ecosync/<owner>/<name>`; a subscriber whose configuration says `"acknowledge": true` sets it to
//! `success` or `failure` when its run ends. `dispatcher status` reads them back. GitHub keeps every status
//! ever set; the newest of each context is the one that counts.

use serde::{Deserialize, Serialize};

use crate::repo_name::RepoName;

/// What every context ecosync sets starts with.
pub const CONTEXT_PREFIX: &str = "ecosync/";

/// GitHub keeps a status description to this many characters.
pub const MAX_DESCRIPTION_CHARS: usize = 140;

/// The state of a commit status, as GitHub names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusState {
    /// Dispatched, not yet acknowledged.
    Pending,
    /// The target synced (or had nothing to do).
    Success,
    /// The target's sync failed; the issue says why.
    Failure,
    /// The dispatch itself failed.
    Error,
}

impl StatusState {
    /// The name GitHub uses.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusState::Pending => "pending",
            StatusState::Success => "success",
            StatusState::Failure => "failure",
            StatusState::Error => "error",
        }
    }
}

impl std::fmt::Display for StatusState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCommitStatus {
    /// Its state.
    pub state: StatusState,
    /// `ecosync/<owner>/<name>` (see [`context`]).
    pub context: String,
    /// For people; cut to [`MAX_DESCRIPTION_CHARS`].
    pub description: String,
    /// Where it links to (the pull request, the issue, the run).
    pub target_url: Option<String>,
}

impl NewCommitStatus {
    /// The status of `target`'s delivery.
    pub fn new(
        target: &RepoName,
        state: StatusState,
        description: &str,
        target_url: Option<String>,
    ) -> Self {
        NewCommitStatus {
            state,
            context: context(target),
            description: cut(description),
            // A URL, not an identifier (a dispatch id outside Actions is `ecosync-...`).
            target_url: target_url.filter(|u| u.contains("://")),
        }
    }
}

/// A status as the forge lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitStatus {
    /// Its state.
    pub state: StatusState,
    /// Its context.
    pub context: String,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// Where it links to.
    #[serde(default)]
    pub target_url: Option<String>,
    /// When it was set (RFC 3339).
    pub updated_at: String,
}

impl CommitStatus {
    /// The target repository named by an ecosync context.
    pub fn target(&self) -> Option<&str> {
        self.context.strip_prefix(CONTEXT_PREFIX)
    }
}

/// The context of `target`'s delivery status.
pub fn context(target: &RepoName) -> String {
    format!("{CONTEXT_PREFIX}{target}")
}

/// Of `statuses` (newest first, as GitHub lists them), the newest of each ecosync context, sorted by
/// context.
pub fn latest_per_target(statuses: Vec<CommitStatus>) -> Vec<CommitStatus> {
    let mut seen = std::collections::BTreeMap::new();
    for s in statuses {
        if s.context.starts_with(CONTEXT_PREFIX) {
            seen.entry(s.context.clone()).or_insert(s);
        }
    }
    seen.into_values().collect()
}

fn cut(description: &str) -> String {
    if description.chars().count() <= MAX_DESCRIPTION_CHARS {
        return description.to_owned();
    }
    let mut s: String = description
        .chars()
        .take(MAX_DESCRIPTION_CHARS - 1)
        .collect();
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(context: &str, state: StatusState, at: &str) -> CommitStatus {
        CommitStatus {
            state,
            context: context.into(),
            description: None,
            target_url: None,
            updated_at: at.into(),
        }
    }

    #[test]
    fn newest_of_each_ecosync_context() {
        let latest = latest_per_target(vec![
            status("ecosync/a/b", StatusState::Success, "3"),
            status("ci/build", StatusState::Failure, "2"),
            status("ecosync/a/b", StatusState::Pending, "1"),
            status("ecosync/a/a", StatusState::Pending, "1"),
        ]);
        assert_eq!(latest.len(), 2);
        assert_eq!(
            (latest[0].target(), latest[0].state),
            (Some("a/a"), StatusState::Pending)
        );
        assert_eq!(latest[1].state, StatusState::Success);
    }

    #[test]
    fn descriptions_are_cut_and_urls_checked() {
        let repo = RepoName::parse("a/b").unwrap();
        let s = NewCommitStatus::new(
            &repo,
            StatusState::Pending,
            &"x".repeat(200),
            Some("ecosync-1".into()),
        );
        assert_eq!(s.description.chars().count(), MAX_DESCRIPTION_CHARS);
        assert_eq!((s.context.as_str(), s.target_url), ("ecosync/a/b", None));
    }
}
