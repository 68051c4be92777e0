//! `MergedTree`: a three-way merge of trees in git's object database, with conflicts turned into files
//! that carry conflict markers (for a draft pull request) and listed by path.

use git2::{Index, IndexEntry, Oid, Repository};

use crate::sync::compute::conflict::{Conflict, ConflictKind};

/// The result of a three-way merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedTree {
    /// The merged tree; conflicting text files hold conflict markers, other conflicting entries keep the
    /// cousin's side (or upstream's when the cousin has none).
    pub tree: Oid,
    /// The conflicting files, relative to the merged trees, sorted by path.
    pub conflicts: Vec<Conflict>,
}

/// Merges `theirs` into `ours` with `ancestor` as the common base.
pub fn merge_trees(
    repo: &Repository,
    ancestor: Oid,
    ours: Oid,
    theirs: Oid,
) -> Result<MergedTree, git2::Error> {
    // The common cases need no merge at all (and are what makes a 50,000-file cousin cheap).
    let clean = |tree| MergedTree {
        tree,
        conflicts: Vec::new(),
    };
    if ancestor == theirs || ours == theirs {
        return Ok(clean(ours));
    }
    if ancestor == ours {
        return Ok(clean(theirs));
    }
    let a = repo.find_tree(ancestor)?;
    let o = repo.find_tree(ours)?;
    let t = repo.find_tree(theirs)?;
    let mut opts = git2::MergeOptions::new();
    opts.find_renames(true);
    let index = repo.merge_trees(&a, &o, &t, Some(&opts))?;
    resolve_index(repo, index)
}

/// Writes a merge index as a tree, replacing each conflict by a marked-up file (text on both sides) or by
/// one side, and lists the conflicting paths.
pub fn resolve_index(repo: &Repository, mut index: Index) -> Result<MergedTree, git2::Error> {
    if !index.has_conflicts() {
        return Ok(MergedTree {
            tree: index.write_tree_to(repo)?,
            conflicts: Vec::new(),
        });
    }
    let mut resolved: Vec<IndexEntry> = Vec::new();
    let mut conflicts = Vec::new();
    let mut to_remove = Vec::new();
    for conflict in index.conflicts()? {
        let conflict = conflict?;
        let any = conflict
            .our
            .as_ref()
            .or(conflict.their.as_ref())
            .or(conflict.ancestor.as_ref());
        let Some(any) = any else { continue };
        let path = crate::repo_path::path_text(&any.path).into_owned();
        to_remove.push(any.path.clone());
        if let Some(a) = &conflict.ancestor {
            to_remove.push(a.path.clone());
        }
        if let Some(t) = &conflict.their {
            to_remove.push(t.path.clone());
        }
        let kind = match (&conflict.ancestor, &conflict.our, &conflict.their) {
            (_, None, _) => ConflictKind::MissingHere,
            (_, Some(_), None) => ConflictKind::DeletedUpstream,
            (None, Some(_), Some(_)) => ConflictKind::BothAdded,
            (Some(_), Some(_), Some(_)) => ConflictKind::BothEdited,
        };
        conflicts.push(Conflict { path, kind });
        let entry = match (&conflict.our, &conflict.their) {
            (Some(our), Some(their)) if is_text_blob(repo, our) && is_text_blob(repo, their) => {
                let mut opts = git2::MergeFileOptions::new();
                opts.ancestor_label("last synced upstream")
                    .our_label("this repository")
                    .their_label("upstream");
                let merged = repo.merge_file_from_index(
                    conflict.ancestor.as_ref().unwrap_or(our),
                    our,
                    their,
                    Some(&mut opts),
                )?;
                let id = repo.blob(merged.content())?;
                let mut e = stage0(our);
                e.id = id;
                // The index stores sizes in 32 bits, as git does; only a cache hint.
                e.file_size = u32::try_from(merged.content().len()).unwrap_or(u32::MAX);
                Some(e)
            }
            (Some(our), _) => Some(stage0(our)),
            (None, Some(their)) => Some(stage0(their)),
            (None, None) => None,
        };
        resolved.extend(entry);
    }
    to_remove.sort();
    to_remove.dedup();
    for path in to_remove {
        index.conflict_remove(&bytes_path(&path))?;
    }
    for e in resolved {
        index.add(&e)?;
    }
    conflicts.sort();
    conflicts.dedup();
    Ok(MergedTree {
        tree: index.write_tree_to(repo)?,
        conflicts,
    })
}

fn stage0(e: &IndexEntry) -> IndexEntry {
    let mut e = IndexEntry {
        ctime: e.ctime,
        mtime: e.mtime,
        dev: e.dev,
        ino: e.ino,
        mode: e.mode,
        uid: e.uid,
        gid: e.gid,
        file_size: e.file_size,
        id: e.id,
        flags: e.flags,
        flags_extended: e.flags_extended,
        path: e.path.clone(),
    };
    // The stage lives in bits 12-13 of the flags.
    e.flags &= !0x3000;
    e
}

/// A path of the index as libgit2 takes it back: its very bytes (a non-UTF-8 name stays itself).
fn bytes_path(bytes: &[u8]) -> std::path::PathBuf {
    #[cfg(unix)]
    {
        std::path::PathBuf::from(
            <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(bytes),
        )
    }
    #[cfg(not(unix))]
    {
        std::path::PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
    }
}

fn is_text_blob(repo: &Repository, e: &IndexEntry) -> bool {
    let regular = e.mode == 0o100644 || e.mode == 0o100755;
    regular && repo.find_blob(e.id).is_ok_and(|b| !b.is_binary())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(repo: &Repository, files: &[(&str, &[u8])]) -> Oid {
        let mut b = repo.treebuilder(None).unwrap();
        for (name, content) in files {
            b.insert(name, repo.blob(content).unwrap(), 0o100644)
                .unwrap();
        }
        b.write().unwrap()
    }

    #[test]
    fn clean_merge_and_marked_up_conflicts() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let base = tree(&repo, &[("t.txt", b"1\n2\n3\n"), ("bin", b"\0a")]);
        let ours = tree(&repo, &[("t.txt", b"mine\n2\n3\n"), ("bin", b"\0ours")]);
        let theirs = tree(&repo, &[("t.txt", b"theirs\n2\n3\n"), ("bin", b"\0theirs")]);
        let m = merge_trees(&repo, base, ours, theirs).unwrap();
        assert_eq!(
            crate::sync::compute::conflict::paths(&m.conflicts),
            ["bin", "t.txt"]
        );
        assert!(
            m.conflicts
                .iter()
                .all(|c| c.kind == ConflictKind::BothEdited)
        );
        let t = repo.find_tree(m.tree).unwrap();
        let text = repo.find_blob(t.get_name("t.txt").unwrap().id()).unwrap();
        let text = String::from_utf8_lossy(text.content()).into_owned();
        assert!(
            text.contains("<<<<<<< this repository\nmine\n=======\ntheirs\n>>>>>>> upstream"),
            "{text}"
        );
        let bin = repo.find_blob(t.get_name("bin").unwrap().id()).unwrap();
        assert_eq!(
            bin.content(),
            b"\0ours",
            "a binary conflict keeps this repository's side"
        );
        // Different lines merge cleanly.
        let theirs2 = tree(&repo, &[("t.txt", b"1\n2\nthree\n"), ("bin", b"\0a")]);
        let ours2 = tree(&repo, &[("t.txt", b"one\n2\n3\n"), ("bin", b"\0a")]);
        let m = merge_trees(&repo, base, ours2, theirs2).unwrap();
        assert!(m.conflicts.is_empty());
        let t = repo.find_tree(m.tree).unwrap();
        let text = repo.find_blob(t.get_name("t.txt").unwrap().id()).unwrap();
        assert_eq!(text.content(), b"one\n2\nthree\n");
        // The shortcuts.
        assert_eq!(merge_trees(&repo, base, ours, base).unwrap().tree, ours);
        assert_eq!(merge_trees(&repo, base, base, theirs).unwrap().tree, theirs);
    }
}
