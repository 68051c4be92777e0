//! `SyncError`: why a sync stopped, whether that rejects the input or fails the run, and what to do.

use crate::error_kind::{ErrorKind, UserError};
use crate::forge::ForgeError;
use crate::git::SyncRepoError;
use crate::repo_name::{InferError, RepoName};
use crate::sync::compute::conflict::Conflict;
use crate::sync::publish::PublishError;
use crate::sync::sync_run_error::{SHALLOW_HINT, SyncRunError};

/// Why a sync stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The cousin's name was not given and cannot be read from `origin`.
    #[error(transparent)]
    CousinUnknown(#[from] InferError),
    /// The forge would not hand out git credentials.
    #[error("cannot get git credentials for `{repo}`")]
    Credentials {
        /// The repository.
        repo: RepoName,
        /// The forge's error.
        #[source]
        source: ForgeError,
    },
    /// The cousin's default branch could not be asked for.
    #[error("cannot find the default branch of `{repo}`")]
    DefaultBranch {
        /// The cousin.
        repo: RepoName,
        /// The forge's error.
        #[source]
        source: ForgeError,
    },
    /// The cousin's clone cannot be used.
    #[error("cannot use `{dir}`")]
    Open {
        /// The directory.
        dir: String,
        /// What is wrong with it.
        #[source]
        source: SyncRepoError,
    },
    /// A step before publishing stopped the run (a rejected event, a fetch, the change).
    #[error(transparent)]
    Prepare(#[from] SyncRunError),
    /// Before anything was pushed, the forge said for certain that a permission the sync needs is
    /// missing.
    #[error("preflight: {check}: {detail}; nothing was pushed")]
    Preflight {
        /// What was checked.
        check: String,
        /// What the forge said.
        detail: String,
        /// The exact fix, when there is one.
        fix: Option<String>,
    },
    /// The change conflicts and `on_conflict` is `issue`.
    #[error(
        "the upstream change conflicts with this repository in {}",
        files.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    )]
    Conflict {
        /// The conflicting files, each with how the sides disagree.
        files: Vec<Conflict>,
    },
    /// Pushing the branch or opening the pull request failed.
    #[error("cannot publish the sync to `{cousin}`")]
    Publish {
        /// The cousin.
        cousin: RepoName,
        /// What failed.
        #[source]
        source: PublishError,
    },
    /// Looking at (or closing) a superseded pull request failed.
    #[error("cannot check the open sync pull request of `{cousin}`")]
    Close {
        /// The cousin.
        cousin: RepoName,
        /// What failed.
        #[source]
        source: PublishError,
    },
    /// The pull request branch resolves to the branch the pull request targets.
    #[error(
        "the sync branch `{branch}` (from `pull_request.branch` `{template}`) is the base branch `{base}`: \
         the sync would be pushed straight into it, bypassing review; nothing was pushed"
    )]
    BranchIsBase {
        /// The resolved branch.
        branch: String,
        /// The template.
        template: String,
        /// The base branch.
        base: String,
    },
    /// libgit2 failed.
    #[error("git: {}", crate::git::git_reason(.0))]
    Git(#[from] git2::Error),
}

impl UserError for SyncError {
    /// A rejected input, a run that failed after the input was accepted, or a setting that must be fixed.
    fn kind(&self) -> ErrorKind {
        match self {
            SyncError::CousinUnknown(_) | SyncError::BranchIsBase { .. } => ErrorKind::Usage,
            SyncError::Prepare(e) if e.is_rejection() => ErrorKind::Rejected,
            _ => ErrorKind::Failed,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            SyncError::CousinUnknown(e) => e.hint(),
            SyncError::Credentials { source, .. } | SyncError::DefaultBranch { source, .. } => {
                source.hint()
            }
            SyncError::Open {
                source: SyncRepoError::Shallow(_),
                ..
            } => Some(SHALLOW_HINT.to_owned()),
            SyncError::Open { .. } | SyncError::Git(_) => None,
            SyncError::Preflight { fix, .. } => fix.clone(),
            SyncError::Prepare(e) => e.hint(),
            SyncError::Conflict { .. } => Some(
                "resolve it by hand (the issue says how), or set `\"on_conflict\": \"draft-pull-request\"` \
                 to get the conflict markers in a draft pull request"
                    .to_owned(),
            ),
            SyncError::Publish { source, .. } | SyncError::Close { source, .. } => source.hint(),
            SyncError::BranchIsBase { .. } => Some(
                "give `pull_request.branch` a branch of its own, such as the default `ecosync/{upstream}`"
                    .to_owned(),
            ),
        }
    }
}

impl SyncError {
    /// True when nothing of the run was accepted: the event, its source or its commit was refused.
    pub fn is_rejection(&self) -> bool {
        self.kind() == ErrorKind::Rejected
    }
}
