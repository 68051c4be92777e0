//! `RepositoryInfo`: what one `GET /repos/{owner}/{repo}` says that a delivery needs.

use crate::repo_name::RepoName;

/// A repository's default branch and, for a fork, the repository it is a fork of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryInfo {
    /// The default branch.
    pub default_branch: String,
    /// The repository this one is a fork of (never on the local forge, which has no forks).
    pub fork_of: Option<RepoName>,
}
