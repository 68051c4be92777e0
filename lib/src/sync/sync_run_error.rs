//! `SyncRunError`: why the steps of a sync before publishing stopped, whether that rejects the input or fails
//! the run, and what to do about it.

use git2::Oid;

use crate::error_kind::{ErrorKind, UserError};
use crate::git::SyncRepoError;
use crate::repo_name::RepoName;
use crate::sync::compute::change::SyncChangeError;

/// Why the pipeline stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncRunError {
    /// The event names another source repository.
    #[error(
        "the event comes from `{got}`, but this repository syncs from `{configured}`; the event is rejected"
    )]
    WrongSource {
        /// The payload's `source_repo`.
        got: RepoName,
        /// The configured upstream.
        configured: RepoName,
    },
    /// The commit is not in the fetched upstream.
    #[error("commit `{sha}` does not exist in `{url}` (fetched `{branch}`)")]
    UnknownCommit {
        /// The commit.
        sha: Oid,
        /// Where upstream was fetched from.
        url: String,
        /// The upstream branch.
        branch: String,
    },
    /// The commit exists but is not on the upstream branch.
    #[error(
        "commit `{sha}` is not reachable from upstream branch `{branch}` (tip `{tip}`); only commits on the \
         configured branch are synced"
    )]
    Unreachable {
        /// The commit.
        sha: Oid,
        /// The upstream branch.
        branch: String,
        /// Its tip.
        tip: Oid,
    },
    /// The commit is older than `max_age`.
    #[error(
        "commit `{sha}` was committed {age} ago, more than `max_age` ({max_age}); the event is rejected"
    )]
    TooOld {
        /// The commit.
        sha: Oid,
        /// Its age, rounded.
        age: String,
        /// The configured maximum.
        max_age: String,
    },
    /// The upstream branch does not exist.
    #[error("upstream `{url}` has no branch `{branch}`")]
    NoUpstreamBranch {
        /// Where upstream was fetched from.
        url: String,
        /// The branch.
        branch: String,
    },
    /// The cousin's base branch could not be found.
    #[error("this repository has no branch `{0}` to sync into")]
    NoBase(String),
    /// The last synced commit named by a trailer is gone from upstream.
    #[error(
        "the last synced upstream commit `{sha}` (named in commit `{by}` here) is not in upstream any more; \
         was upstream's history rewritten?"
    )]
    LostSync {
        /// The upstream commit.
        sha: Oid,
        /// The cousin commit carrying the trailer.
        by: Oid,
    },
    /// Fetching or pushing.
    #[error(transparent)]
    Repo(#[from] SyncRepoError),
    /// Computing the change.
    #[error(transparent)]
    Change(#[from] SyncChangeError),
    /// libgit2 failed.
    #[error("git: {}", crate::git::git_reason(.0))]
    Git(#[from] git2::Error),
}

impl SyncRunError {
    /// True when the input was rejected (exit status 3) rather than the run failing (1).
    pub fn is_rejection(&self) -> bool {
        matches!(
            self,
            SyncRunError::WrongSource { .. }
                | SyncRunError::UnknownCommit { .. }
                | SyncRunError::Unreachable { .. }
                | SyncRunError::TooOld { .. }
        )
    }
}

impl UserError for SyncRunError {
    /// Rejected when the input was, else failed.
    fn kind(&self) -> ErrorKind {
        if self.is_rejection() {
            ErrorKind::Rejected
        } else {
            ErrorKind::Failed
        }
    }

    fn hint(&self) -> Option<String> {
        let hint = match self {
            SyncRunError::WrongSource { .. } => {
                "only the configured `upstream.repo` may send changes; fix the dispatcher's ecosystem or this \
                 repository's `upstream.repo`"
            }
            SyncRunError::UnknownCommit { .. } | SyncRunError::Unreachable { .. } => {
                "dispatch only commits pushed to the upstream branch, or run `subscriber apply --latest`"
            }
            SyncRunError::TooOld { .. } => {
                "raise `max_age` in the configuration, or run `subscriber apply --latest` to sync the tip"
            }
            SyncRunError::LostSync { .. } => {
                "sync once with `\"strategy\": \"squash\"` to start again from the upstream state"
            }
            SyncRunError::Repo(SyncRepoError::Shallow(_)) => SHALLOW_HINT,
            SyncRunError::NoUpstreamBranch { .. } => "check `upstream.branch` and `upstream.url`",
            _ => return None,
        };
        Some(hint.to_owned())
    }
}

/// What to do about a shallow clone.
pub const SHALLOW_HINT: &str =
    "check out the full history (actions/checkout with `fetch-depth: 0`)";
