//! Finding a reversal: a synced change undone on the target's base branch since its last sync.
//!
//! The last sync is the base branch's newest commit that records one (its trailer, or the commit a merged
//! sync pull request made). What it changed in the mapped directories is its diff against its first
//! parent. A path counts as reverted when the base branch's head has it back as it was before the sync
//! (its content and mode, or its absence) while the sync had changed it: a `git revert` of the sync commit,
//! a later commit that restores the files by hand, and a partial revert (some paths) all show this way.
//! A later edit to something else is the target's own change, not a reversal.

use git2::{Oid, Repository, Tree};

use crate::repo_path::RepoPath;
use crate::sync::compute::trailer::LastSync;
use crate::sync::rejection::standing::Reversal;

/// The most changed paths of one sync looked at.
const MAX_PATHS: usize = 10_000;

/// The paths of `last`'s sync (inside `dirs`, the target's mapped directories) that `base`, the base
/// branch's head, has put back to their content before it. `None` when nothing was undone.
pub fn find(
    git: &Repository,
    base: Oid,
    last: &LastSync,
    dirs: &[RepoPath],
) -> Result<Option<Reversal>, git2::Error> {
    if last.cousin_commit == base || dirs.is_empty() {
        return Ok(None);
    }
    let sync = git.find_commit(last.cousin_commit)?;
    let Ok(before) = sync.parent(0) else {
        return Ok(None);
    };
    let (before, after, now) = (before.tree()?, sync.tree()?, git.find_commit(base)?.tree()?);
    let mut options = git2::DiffOptions::new();
    if !dirs.iter().any(RepoPath::is_root) {
        for d in dirs {
            options.pathspec(d.as_str());
        }
    }
    let diff = git.diff_tree_to_tree(Some(&before), Some(&after), Some(&mut options))?;
    let mut paths = Vec::new();
    for delta in diff.deltas().take(MAX_PATHS) {
        let Some(path) = delta
            .new_file()
            .path()
            .or_else(|| delta.old_file().path())
            .and_then(|p| p.to_str())
        else {
            continue;
        };
        let (was, made, is) = (entry(&before, path), entry(&after, path), entry(&now, path));
        if was != made && is == was {
            paths.push(path.to_owned());
        }
    }
    if paths.is_empty() {
        return Ok(None);
    }
    paths.sort();
    paths.dedup();
    Ok(Some(Reversal {
        sync_commit: last.cousin_commit.to_string(),
        upstream: last.upstream_sha.to_string(),
        found_at: base.to_string(),
        paths,
        since: None,
    }))
}

/// A file's blob and mode in `tree`, or `None` when it is not there.
fn entry(tree: &Tree<'_>, path: &str) -> Option<(Oid, i32)> {
    tree.get_path(std::path::Path::new(path))
        .ok()
        .filter(|e| e.kind() == Some(git2::ObjectType::Blob))
        .map(|e| (e.id(), e.filemode()))
}
