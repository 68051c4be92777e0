//! `SyncRepoError`: why an operation on a [`SyncRepo`](crate::git::SyncRepo) failed (open, fetch, push, lock).

/// Why a git transport operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncRepoError {
    /// The repository could not be opened.
    #[error("cannot open git repository `{path}`")]
    Open {
        /// The path.
        path: String,
        /// libgit2's error.
        source: git2::Error,
    },
    /// The repository is a shallow clone, so the history cannot be searched for the last sync.
    #[error("`{0}` is a shallow clone, so its history cannot be searched for earlier syncs")]
    Shallow(String),
    /// Fetching failed. The URL and the message never hold the URL's user name or password.
    #[error("cannot fetch `{what}` from `{url}`")]
    Fetch {
        /// The ref.
        what: String,
        /// Where from.
        url: String,
        /// libgit2's error.
        source: git2::Error,
    },
    /// The push was refused or failed.
    #[error("cannot push `{branch}` to `{url}`: {message}")]
    Push {
        /// The branch.
        branch: String,
        /// Where to.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The repository's ecosync lock could not be taken or its stale lock files removed.
    #[error("cannot lock `{path}` for this run")]
    Lock {
        /// The git directory.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
    /// A scratch directory for the dry run could not be made.
    #[error("cannot make a scratch repository for the dry run: {0}")]
    Scratch(std::io::Error),
    /// libgit2 failed.
    #[error("git: {}", crate::git::git_reason(.0))]
    Git(#[from] git2::Error),
}
