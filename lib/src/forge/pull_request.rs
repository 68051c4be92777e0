//! `PullRequest` and `NewPullRequest`: a pull request as the forge layer sees it.

use serde::{Deserialize, Serialize};

/// A pull request on a forge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    /// Its number in the repository.
    pub number: u64,
    /// Where a person can look at it.
    pub html_url: String,
    /// Its title.
    pub title: String,
    /// Its description (empty when it has none).
    pub body: String,
    /// The branch with the changes (without the `owner:` prefix).
    pub head: String,
    /// The branch it merges into.
    pub base: String,
    /// Whether it is a draft.
    pub draft: bool,
    /// `open` or `closed`.
    pub state: String,
    /// Its labels.
    #[serde(default)]
    pub labels: Vec<String>,
    /// The users asked for a review who have not given one yet.
    #[serde(default)]
    pub reviewers: Vec<String>,
    /// The teams asked for a review.
    #[serde(default)]
    pub team_reviewers: Vec<String>,
    /// Its assignees.
    #[serde(default)]
    pub assignees: Vec<String>,
    /// For a merged pull request: the commit the merge made on the base (the merge commit, the squashed
    /// commit, or the last rebased commit).
    #[serde(default)]
    pub merge_commit: Option<String>,
    /// When it was opened (RFC 3339), when the forge says.
    #[serde(default)]
    pub created_at: Option<String>,
    /// When it was closed, merged or not (RFC 3339); `None` while it is open.
    #[serde(default)]
    pub closed_at: Option<String>,
}

impl PullRequest {
    /// Whether it was merged.
    pub fn is_merged(&self) -> bool {
        self.merge_commit.is_some()
    }
}

/// What is needed to open a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPullRequest {
    /// Its title.
    pub title: String,
    /// Its description.
    pub body: String,
    /// The branch with the changes, in the same repository.
    pub head: String,
    /// The branch to merge into.
    pub base: String,
    /// Open it as a draft.
    pub draft: bool,
}
