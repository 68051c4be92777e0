//! `RevisionRange`: which two commits to compare, decided from `--base`/`--head`, the GitHub event, or HEAD.
//!
//! The rules follow what GitHub itself compares:
//! - a push compares `before` with `after`, two-dot (tree against tree), also after a force push where
//!   `before` is no longer an ancestor;
//! - a new branch (`before` is 40 zeros) compares with its merge base with the default branch when that
//!   branch is known and is not the one pushed, else with the first parent of `after`, else (a root commit)
//!   every file of `after` counts;
//! - a deleted branch (`after` is 40 zeros) has nothing to compare;
//! - a pull request compares the merge base of its base and head with its head (three-dot);
//! - with nothing given, HEAD is compared with its first parent.

use git2::{Oid, Repository};

use crate::dispatch::plan::change_set::{ChangeSetError, resolve_commit};

/// The all-zero SHA GitHub uses for "no commit" (a new or deleted ref).
pub const ZERO_SHA: &str = "0000000000000000000000000000000000000000";

/// Whether `rev` is GitHub's "no commit" SHA.
pub fn is_zero_sha(rev: &str) -> bool {
    rev.len() >= 40 && rev.bytes().all(|b| b == b'0')
}

/// Two commits to compare, and how they were chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionRange {
    /// The base commit, or `None` when every file of `head` counts.
    pub base: Option<Oid>,
    /// The head commit.
    pub head: Oid,
    /// How the base was chosen, for people (e.g. "the push's `before`, two-dot").
    pub description: String,
}

/// The outcome of choosing a range: a range, or a deleted branch with nothing to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeChoice {
    /// Compare these two commits.
    Range(RevisionRange),
    /// The ref was deleted (`after` is 40 zeros): nothing to dispatch.
    Deleted {
        /// The commit the ref pointed at before.
        before: String,
    },
}

impl RevisionRange {
    /// A push (or explicit `--base`/`--head`) from `before` to `after` of branch `pushed_branch`.
    /// `default_branch` is the repository's default branch when known (from the event); otherwise the
    /// clone's `origin/HEAD` is used when it has one.
    pub fn push(
        repo: &Repository,
        before: &str,
        after: &str,
        pushed_branch: Option<&str>,
        default_branch: Option<&str>,
    ) -> Result<RangeChoice, ChangeSetError> {
        if is_zero_sha(after) {
            return Ok(RangeChoice::Deleted {
                before: before.to_owned(),
            });
        }
        let head = resolve_commit(repo, after)?;
        if !is_zero_sha(before) {
            let base = resolve_commit(repo, before)?;
            let ancestor = base == head
                || repo
                    .graph_descendant_of(head, base)
                    .map_err(ChangeSetError::git("cannot walk the history"))?;
            let description = if ancestor {
                format!("`{before}`..`{after}`, two-dot")
            } else {
                format!(
                    "`{before}`..`{after}`, two-dot (a force push: `{before}` is not an ancestor of `{after}`)"
                )
            };
            return Ok(RangeChoice::Range(RevisionRange {
                base: Some(base),
                head,
                description,
            }));
        }
        // A new branch.
        let default = default_branch_tip(repo, default_branch)
            .filter(|(name, _)| pushed_branch.is_none_or(|b| b != name));
        if let Some((name, tip)) = default {
            let base = repo
                .merge_base(tip, head)
                .map_err(ChangeSetError::git(format!(
                    "the new branch has no common history with the default branch `{name}`"
                )))?;
            return Ok(RangeChoice::Range(RevisionRange {
                base: Some(base),
                head,
                description: format!(
                    "a new branch: its merge base with the default branch `{name}` against `{after}`"
                ),
            }));
        }
        Ok(RangeChoice::Range(Self::first_parent(
            repo,
            head,
            &format!("a new branch: `{after}`"),
        )?))
    }

    /// A pull request: the merge base of `base` and `head`, against `head` (three-dot).
    pub fn pull_request(
        repo: &Repository,
        base: &str,
        head: &str,
    ) -> Result<RevisionRange, ChangeSetError> {
        let base_id = resolve_commit(repo, base)?;
        let head_id = resolve_commit(repo, head)?;
        let merge_base = repo
            .merge_base(base_id, head_id)
            .map_err(ChangeSetError::git(format!(
                "`{base}` and `{head}` have no common ancestor; fetch with `fetch-depth: 0`"
            )))?;
        Ok(RevisionRange {
            base: Some(merge_base),
            head: head_id,
            description: format!("`{base}`...`{head}`, three-dot (from their merge base)"),
        })
    }

    /// `head` (a revision) against its first parent; every file counts for a root commit.
    pub fn against_first_parent(
        repo: &Repository,
        head: &str,
    ) -> Result<RevisionRange, ChangeSetError> {
        let id = resolve_commit(repo, head)?;
        Self::first_parent(repo, id, &format!("`{head}`"))
    }

    fn first_parent(
        repo: &Repository,
        head: Oid,
        what: &str,
    ) -> Result<RevisionRange, ChangeSetError> {
        let commit = repo
            .find_commit(head)
            .map_err(ChangeSetError::git(format!("cannot read commit `{head}`")))?;
        match commit.parent_id(0) {
            Ok(parent) => Ok(RevisionRange {
                base: Some(parent),
                head,
                description: format!("{what} against its first parent"),
            }),
            Err(_) => Ok(RevisionRange {
                base: None,
                head,
                description: format!("{what}, a root commit: every file counts"),
            }),
        }
    }
}

/// The default branch's name and tip: `name` looked up as `origin/name` then as a local branch, or the
/// clone's `origin/HEAD` when no name is given.
fn default_branch_tip(repo: &Repository, name: Option<&str>) -> Option<(String, Oid)> {
    if let Some(name) = name {
        [
            format!("refs/remotes/origin/{name}"),
            format!("refs/heads/{name}"),
        ]
        .iter()
        .find_map(|r| repo.refname_to_id(r).ok())
        .map(|tip| (name.to_owned(), tip))
    } else {
        let reference = repo.find_reference("refs/remotes/origin/HEAD").ok()?;
        let target = reference.symbolic_target().ok()??.to_owned();
        let name = target.strip_prefix("refs/remotes/origin/")?.to_owned();
        let tip = reference.resolve().ok()?.target()?;
        Some((name, tip))
    }
}
