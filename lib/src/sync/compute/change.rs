//! `SyncChange`: what applying one upstream commit with a strategy does to the cousin's tree, computed in
//! git's object database (nothing is checked out or written through the file system).

use git2::{Commit, Oid, Repository, Tree};

use crate::config::strategy::{ChangeBase, Strategy};
use crate::config::subscription::Subscription;
use crate::repo_path::touches_git_dir;
use crate::sync::compute::conflict::Conflict;
use crate::sync::compute::mapped_tree::{self, MappedTreeError};
use crate::sync::compute::tree_merge::{self, MergedTree};

/// Why a change could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum SyncChangeError {
    /// A mapped directory could not be read or written.
    #[error(transparent)]
    Mapped(#[from] MappedTreeError),
    /// The result would write a path outside the mapped directories or into `.git` (the path escaped).
    #[error("the change would write `{path}`, {why}; nothing was applied")]
    UnsafePath {
        /// The offending path.
        path: String,
        /// Why it is refused.
        why: &'static str,
    },
    /// An upstream tree entry has a name git itself refuses (`git fsck`, checkout).
    #[error(
        "upstream's tree has an entry `{path}`, {why}, which git refuses to check out; nothing was applied"
    )]
    UnsafeEntry {
        /// The entry's path in upstream, escaped (`\n`, `\u{{200c}}`).
        path: String,
        /// What is wrong with its name.
        why: &'static str,
    },
    /// libgit2 failed.
    #[error("git: {}", crate::git::git_reason(.0))]
    Git(#[from] git2::Error),
}

/// Checks the names of the entries of tree `new` that are not in tree `old` as they are (same name, id and
/// mode), recursing only into subtrees that differ, so the cost follows the change, not the repository.
/// `prefix` is where `new` sits in upstream, for the message.
fn check_entries(
    repo: &Repository,
    old: Option<Oid>,
    new: Oid,
    prefix: &str,
) -> Result<(), SyncChangeError> {
    if old == Some(new) {
        return Ok(());
    }
    let old_tree = old.map(|o| repo.find_tree(o)).transpose()?;
    let new_tree = repo.find_tree(new)?;
    for entry in &new_tree {
        let name = entry.name_bytes();
        // A NUL cannot be looked up (and a tree can hold none): such a name is refused below.
        let previous = old_tree
            .as_ref()
            .filter(|_| !name.contains(&0))
            .and_then(|t| t.get_name_bytes(name))
            .map(|e| (e.id(), e.filemode()));
        if previous == Some((entry.id(), entry.filemode())) {
            continue;
        }
        let shown = || {
            let name = String::from_utf8_lossy(name);
            let full = if prefix.is_empty() {
                name.into_owned()
            } else {
                format!("{prefix}/{name}")
            };
            full.escape_debug().to_string()
        };
        let is_link = entry.filemode() == i32::from(git2::FileMode::Link);
        if let Some(why) = crate::repo_path::unsafe_entry_name(name, is_link) {
            return Err(SyncChangeError::UnsafeEntry { path: shown(), why });
        }
        if entry.kind() == Some(git2::ObjectType::Tree) {
            let old_sub = previous
                .filter(|(_, mode)| *mode == i32::from(git2::FileMode::Tree))
                .map(|(id, _)| id);
            let name = String::from_utf8_lossy(name);
            let sub_prefix = if prefix.is_empty() {
                name.into_owned()
            } else {
                format!("{prefix}/{name}")
            };
            check_entries(repo, old_sub, entry.id(), &sub_prefix)?;
        }
    }
    Ok(())
}

/// How the new cousin state relates to the old one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeShape {
    /// A new commit on top of the cousin with this tree (and, for a merge, upstream as second parent).
    Commit {
        /// The new tree.
        tree: Oid,
        /// The second parent of a merge commit.
        merge_parent: Option<Oid>,
    },
    /// The cousin fast-forwards to this upstream commit (strategy `merge` only).
    FastForward(Oid),
}

/// The computed change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncChange {
    /// What the new state is.
    pub shape: ChangeShape,
    /// Conflicting files in the cousin (the tree then carries conflict markers).
    pub conflicts: Vec<Conflict>,
    /// True when no earlier sync was found and the mapped directories were brought to the upstream state.
    pub first_sync: bool,
}

impl SyncChange {
    /// The tree the cousin would have.
    pub fn tree(&self, repo: &Repository) -> Result<Oid, git2::Error> {
        match &self.shape {
            ChangeShape::Commit { tree, .. } => Ok(*tree),
            ChangeShape::FastForward(c) => Ok(repo.find_commit(*c)?.tree_id()),
        }
    }
}

/// What to apply: the cousin's head, the upstream commit, and the upstream commit the cousin was last synced
/// to (for `diff-apply`).
pub struct ChangeInput<'r, 'a> {
    /// The cousin's repository (holding the upstream objects too).
    pub repo: &'r Repository,
    /// The strategy.
    pub strategy: Strategy,
    /// The subscriptions (ignored by `merge`).
    pub subscriptions: &'a [Subscription],
    /// The cousin's base commit.
    pub cousin: &'a Commit<'r>,
    /// The upstream commit to apply.
    pub upstream: &'a Commit<'r>,
    /// The last upstream commit synced, if any.
    pub last_synced: Option<Oid>,
    /// Subscriptions added since the last sync: their directories take the upstream state (backfill)
    /// instead of the change since the last sync.
    pub backfill: &'a [Subscription],
}

/// Computes the change.
pub fn compute(input: &ChangeInput<'_, '_>) -> Result<SyncChange, SyncChangeError> {
    let repo = input.repo;
    let cousin_tree = input.cousin.tree()?;
    let upstream_tree = input.upstream.tree()?;
    let (base_tree, first_sync): (Option<Tree<'_>>, bool) = match input.strategy.change_base() {
        ChangeBase::History => return merge(input),
        ChangeBase::LastSync => match input.last_synced {
            Some(id) => (Some(repo.find_commit(id)?.tree()?), false),
            None => (None, true),
        },
        ChangeBase::OwnParent => match input.upstream.parent(0) {
            Ok(p) => (Some(p.tree()?), false),
            // A root commit's own change is everything in it.
            Err(_) => (Some(repo.find_tree(mapped_tree::empty_tree(repo)?)?), false),
        },
        ChangeBase::Nothing => (None, false),
    };
    let mut tree = cousin_tree.id();
    let mut conflicts = Vec::new();
    for sub in input.subscriptions {
        let at_root = sub.to.is_root();
        let current = repo.find_tree(tree)?;
        let ours = mapped_tree::subtree(repo, &current, &sub.to, at_root, "the cousin")?;
        let theirs = mapped_tree::subtree(repo, &upstream_tree, &sub.path, at_root, "upstream")?;
        // Whatever upstream holds that the cousin does not could enter it: refuse names git refuses.
        check_entries(repo, Some(ours), theirs, sub.path.as_str())?;
        let base_tree = base_tree.as_ref().filter(|_| !input.backfill.contains(sub));
        let merged = match base_tree {
            None => MergedTree {
                tree: theirs,
                conflicts: Vec::new(),
            },
            Some(base) => {
                let ancestor = mapped_tree::subtree(repo, base, &sub.path, at_root, "upstream")?;
                tree_merge::merge_trees(repo, ancestor, ours, theirs)?
            }
        };
        conflicts.extend(merged.conflicts.iter().map(|c| c.under(&sub.to)));
        if merged.tree != ours {
            tree = mapped_tree::splice(repo, &current, &sub.to, merged.tree)?;
        }
    }
    check_mapped(repo, &cousin_tree, tree, input.subscriptions)?;
    conflicts.sort();
    Ok(SyncChange {
        shape: ChangeShape::Commit {
            tree,
            merge_parent: None,
        },
        conflicts,
        first_sync,
    })
}

fn merge(input: &ChangeInput<'_, '_>) -> Result<SyncChange, SyncChangeError> {
    let repo = input.repo;
    let (ours, theirs) = (input.cousin.id(), input.upstream.id());
    check_entries(
        repo,
        Some(input.cousin.tree_id()),
        input.upstream.tree_id(),
        "",
    )?;
    if repo.graph_descendant_of(theirs, ours)? {
        check_paths(repo, input.cousin.tree_id(), input.upstream.tree_id())?;
        return Ok(SyncChange {
            shape: ChangeShape::FastForward(theirs),
            conflicts: Vec::new(),
            first_sync: false,
        });
    }
    let mut opts = git2::MergeOptions::new();
    opts.find_renames(true);
    let index = repo.merge_commits(input.cousin, input.upstream, Some(&opts))?;
    let merged = tree_merge::resolve_index(repo, index)?;
    check_paths(repo, input.cousin.tree_id(), merged.tree)?;
    Ok(SyncChange {
        shape: ChangeShape::Commit {
            tree: merged.tree,
            merge_parent: Some(theirs),
        },
        conflicts: merged.conflicts,
        first_sync: false,
    })
}

/// Refuses a mapped result that differs from the cousin outside the mapped directories, or touches `.git`
/// inside them. Compares subtrees by id, so the cost follows the mapped directories, not the repository.
fn check_mapped(
    repo: &Repository,
    cousin: &Tree<'_>,
    new: Oid,
    subscriptions: &[Subscription],
) -> Result<(), SyncChangeError> {
    if cousin.id() == new {
        return Ok(());
    }
    let new_tree = repo.find_tree(new)?;
    let mut rebuilt = cousin.id();
    for sub in subscriptions {
        let at_root = sub.to.is_root();
        let theirs = mapped_tree::subtree(repo, &new_tree, &sub.to, at_root, "the result")?;
        let ours = mapped_tree::subtree(repo, cousin, &sub.to, at_root, "the cousin")?;
        let current = repo.find_tree(rebuilt)?;
        rebuilt = mapped_tree::splice(repo, &current, &sub.to, theirs)?;
        let (a, b) = (repo.find_tree(ours)?, repo.find_tree(theirs)?);
        let diff = repo.diff_tree_to_tree(Some(&a), Some(&b), None)?;
        for delta in diff.deltas() {
            for file in [delta.old_file(), delta.new_file()] {
                let rel =
                    String::from_utf8_lossy(file.path_bytes().unwrap_or_default()).into_owned();
                if touches_git_dir(&rel) {
                    return Err(SyncChangeError::UnsafePath {
                        path: crate::escape::line(&sub.to.join(&rel)).into_owned(),
                        why: "which is inside a `.git` directory",
                    });
                }
            }
        }
    }
    if rebuilt != new {
        return Err(SyncChangeError::UnsafePath {
            path: "(outside the mapped directories)".to_owned(),
            why: "which is outside every mapped directory",
        });
    }
    Ok(())
}

/// Refuses a (merge) result that touches `.git` anywhere.
fn check_paths(repo: &Repository, old: Oid, new: Oid) -> Result<(), SyncChangeError> {
    if old == new {
        return Ok(());
    }
    let old = repo.find_tree(old)?;
    let new = repo.find_tree(new)?;
    let diff = repo.diff_tree_to_tree(Some(&old), Some(&new), None)?;
    for delta in diff.deltas() {
        for file in [delta.old_file(), delta.new_file()] {
            let path = String::from_utf8_lossy(file.path_bytes().unwrap_or_default()).into_owned();
            if touches_git_dir(&path) {
                return Err(SyncChangeError::UnsafePath {
                    path: crate::escape::line(&path).into_owned(),
                    why: "which is inside a `.git` directory",
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo_path::RepoPath;

    /// An upstream tree with a `.GIT` directory is refused.
    #[test]
    fn refuses_a_git_directory_from_upstream() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let sig = git2::Signature::now("T", "t@example.com").unwrap();
        let blob = repo.blob(b"[core]\n").unwrap();
        let mut inner = repo.treebuilder(None).unwrap();
        inner.insert("config", blob, 0o100644).unwrap();
        let inner = inner.write().unwrap();
        // libgit2's tree builder refuses such a name, so the tree is written raw, as a hostile server could.
        let raw_tree = |name: &str, id: Oid| {
            let mut bytes = format!("40000 {name}\0").into_bytes();
            bytes.extend_from_slice(id.as_bytes());
            repo.odb()
                .unwrap()
                .write(git2::ObjectType::Tree, &bytes)
                .unwrap()
        };
        let evil = raw_tree("f", raw_tree(".GIT", inner));
        let empty = mapped_tree::empty_tree(&repo).unwrap();
        let cousin = repo
            .commit(None, &sig, &sig, "c", &repo.find_tree(empty).unwrap(), &[])
            .unwrap();
        let up = repo
            .commit(None, &sig, &sig, "u", &repo.find_tree(evil).unwrap(), &[])
            .unwrap();
        let (cousin, up) = (
            repo.find_commit(cousin).unwrap(),
            repo.find_commit(up).unwrap(),
        );
        let subs = [Subscription {
            path: RepoPath::parse("f").unwrap(),
            to: RepoPath::parse("app").unwrap(),
        }];
        let err = compute(&ChangeInput {
            repo: &repo,
            strategy: Strategy::Squash,
            subscriptions: &subs,
            cousin: &cousin,
            upstream: &up,
            last_synced: None,
            backfill: &[],
        })
        .unwrap_err();
        assert!(err.to_string().contains("entry `f/.GIT`"), "{err}");
    }
}
