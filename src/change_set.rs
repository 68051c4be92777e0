//! `ChangeSet`: the paths that differ between two commits' trees, computed with git2.
//!
//! The diff compares trees by object id only: no patch is generated, no blob is read (binary detection is
//! skipped) and no rename detection runs. A rename therefore shows up as a deletion of the old path and an
//! addition of the new one, which is exactly what subscriptions need (both paths count), at no extra cost.
//! Additions, deletions, content changes, mode changes, type changes (file to symlink...) and submodule
//! pointer moves all count, by path. There is no limit on the number of files or commits.

use git2::{Delta, DiffOptions, Oid, Repository, Tree};

/// The id of git's empty tree, used as the base when every file of a commit counts as changed.
pub const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// Why changed paths could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum ChangeSetError {
    /// A revision is not in the local repository (often a shallow clone).
    #[error(
        "revision `{rev}` is not in the repository{shallow}; fetch enough history first, e.g. \
         `fetch-depth: 0` with actions/checkout (after a force push the old commit may need \
         `git fetch origin {rev}`)",
        shallow = if *.shallow { " (the clone is shallow)" } else { "" }
    )]
    UnknownRevision {
        /// The revision as given.
        rev: String,
        /// Whether the repository is a shallow clone.
        shallow: bool,
        /// What git2 said.
        #[source]
        source: git2::Error,
    },
    /// A revision names something that is not a commit.
    #[error("revision `{rev}` is not a commit")]
    NotACommit {
        /// The revision as given.
        rev: String,
    },
    /// Any other git failure.
    #[error("{what}")]
    Git {
        /// What was being done.
        what: String,
        /// What git2 said.
        #[source]
        source: git2::Error,
    },
}

impl ChangeSetError {
    pub(crate) fn git(what: impl Into<String>) -> impl FnOnce(git2::Error) -> Self {
        let what = what.into();
        move |source| ChangeSetError::Git { what, source }
    }
}

/// The paths changed between a base tree and a head commit, sorted by bytes, without duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSet {
    /// The base commit, or `None` when every file of `head` counts (compared with the empty tree).
    pub base: Option<Oid>,
    /// The head commit.
    pub head: Oid,
    /// Every changed path (both sides of a rename), sorted, unique.
    pub paths: Vec<String>,
}

impl ChangeSet {
    /// The paths that differ between commit `base` (or the empty tree) and commit `head`.
    #[tracing::instrument(skip(repo))]
    pub fn between(
        repo: &Repository,
        base: Option<Oid>,
        head: Oid,
    ) -> Result<Self, ChangeSetError> {
        let head_tree = commit_tree(repo, head)?;
        let base_tree = base.map(|b| commit_tree(repo, b)).transpose()?;
        let paths = diff_paths(repo, base_tree.as_ref(), &head_tree)?;
        Ok(ChangeSet { base, head, paths })
    }

    /// The base as a full SHA (the empty tree's id when there is no base commit).
    pub fn base_sha(&self) -> String {
        self.base
            .map_or_else(|| EMPTY_TREE.to_owned(), |b| b.to_string())
    }
}

/// Every file path (blobs, symlinks and submodules) in commit `commit`'s tree, sorted.
pub fn tree_paths(repo: &Repository, commit: Oid) -> Result<Vec<String>, ChangeSetError> {
    let tree = commit_tree(repo, commit)?;
    diff_paths(repo, None, &tree)
}

/// Resolves a SHA, branch, tag or other revision to a commit id.
pub fn resolve_commit(repo: &Repository, rev: &str) -> Result<Oid, ChangeSetError> {
    let object = repo
        .revparse_single(rev)
        .map_err(|source| ChangeSetError::UnknownRevision {
            rev: rev.to_owned(),
            shallow: repo.is_shallow(),
            source,
        })?;
    object
        .peel_to_commit()
        .map(|c| c.id())
        .map_err(|_| ChangeSetError::NotACommit {
            rev: rev.to_owned(),
        })
}

fn commit_tree(repo: &Repository, commit: Oid) -> Result<Tree<'_>, ChangeSetError> {
    repo.find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(|source| ChangeSetError::UnknownRevision {
            rev: commit.to_string(),
            shallow: repo.is_shallow(),
            source,
        })
}

fn diff_paths(
    repo: &Repository,
    base: Option<&Tree<'_>>,
    head: &Tree<'_>,
) -> Result<Vec<String>, ChangeSetError> {
    let mut opts = DiffOptions::new();
    opts.skip_binary_check(true)
        .include_typechange(true)
        .include_typechange_trees(true)
        .ignore_submodules(false)
        .context_lines(0);
    let diff = repo
        .diff_tree_to_tree(base, Some(head), Some(&mut opts))
        .map_err(ChangeSetError::git("cannot diff the two trees"))?;
    let mut paths = Vec::with_capacity(diff.deltas().len());
    for delta in diff.deltas() {
        let (old, new) = (delta.old_file().path_bytes(), delta.new_file().path_bytes());
        match delta.status() {
            Delta::Added => paths.extend(new),
            Delta::Deleted => paths.extend(old),
            _ => {
                paths.extend(old);
                if new != old {
                    paths.extend(new);
                }
            }
        }
    }
    let mut paths: Vec<String> = paths
        .into_iter()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    paths.sort_unstable();
    paths.dedup();
    Ok(paths)
}
