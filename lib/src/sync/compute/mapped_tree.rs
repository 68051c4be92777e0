//! Cutting a directory out of a tree and putting one into a tree, in git's object database only.
//!
//! These two operations are how every strategy maps an upstream directory onto a cousin directory: the
//! upstream subtree is read by id (no checkout, no file system), and the cousin's tree is rebuilt around it
//! with a `TreeUpdateBuilder`, so entries keep their exact modes (executable bits, symlinks as mode 120000
//! blobs, submodules) and nothing is ever followed or written outside `.git`.
//!
//! A mapping into the cousin's root leaves the cousin's own `.github` directory alone (its workflows and
//! this very configuration live there) and does not bring upstream's `.github` along.

use git2::{FileMode, ObjectType, Oid, Repository, Tree};

use crate::repo_path::RepoPath;

/// The directory a root mapping never takes from upstream nor overwrites in the cousin.
pub const RESERVED_AT_ROOT: &str = ".github";

/// Why a directory could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum MappedTreeError {
    /// The mapped path names a file, not a directory.
    #[error("`{path}` is a file in {side}, but subscriptions map directories")]
    NotADirectory {
        /// The path.
        path: String,
        /// `upstream` or `the cousin`.
        side: &'static str,
    },
    /// libgit2 failed.
    #[error("git: {}", crate::git::git_reason(.0))]
    Git(#[from] git2::Error),
}

/// The id of the empty tree, written (or found) in `repo`.
pub fn empty_tree(repo: &Repository) -> Result<Oid, git2::Error> {
    repo.treebuilder(None)?.write()
}

/// The subtree of `tree` at `path` (the empty tree when it does not exist). When `strip_reserved` is set,
/// the [`RESERVED_AT_ROOT`] entry is left out of the result.
pub fn subtree(
    repo: &Repository,
    tree: &Tree<'_>,
    path: &RepoPath,
    strip_reserved: bool,
    side: &'static str,
) -> Result<Oid, MappedTreeError> {
    let id = if path.is_root() {
        tree.id()
    } else {
        match tree.get_path(std::path::Path::new(path.as_str())) {
            Ok(entry) if entry.kind() == Some(ObjectType::Tree) => entry.id(),
            Ok(_) => {
                return Err(MappedTreeError::NotADirectory {
                    path: path.as_str().to_owned(),
                    side,
                });
            }
            Err(e) if e.code() == git2::ErrorCode::NotFound => empty_tree(repo)?,
            Err(e) => return Err(e.into()),
        }
    };
    if !strip_reserved {
        return Ok(id);
    }
    let t = repo.find_tree(id)?;
    if t.get_name(RESERVED_AT_ROOT).is_none() {
        return Ok(id);
    }
    let mut b = repo.treebuilder(Some(&t))?;
    b.remove(RESERVED_AT_ROOT)?;
    Ok(b.write()?)
}

/// `base` with the directory `to` replaced by the tree `sub` (removed when `sub` is empty). At the root,
/// `base`'s [`RESERVED_AT_ROOT`] entry is kept and `sub`'s, if any, dropped.
pub fn splice(
    repo: &Repository,
    base: &Tree<'_>,
    to: &RepoPath,
    sub: Oid,
) -> Result<Oid, git2::Error> {
    let sub_tree = repo.find_tree(sub)?;
    if to.is_root() {
        let mut b = repo.treebuilder(Some(&sub_tree))?;
        if b.get(RESERVED_AT_ROOT)?.is_some() {
            b.remove(RESERVED_AT_ROOT)?;
        }
        if let Some(own) = base.get_name(RESERVED_AT_ROOT) {
            b.insert(RESERVED_AT_ROOT, own.id(), own.filemode())?;
        }
        return b.write();
    }
    let exists = base.get_path(std::path::Path::new(to.as_str())).is_ok();
    if sub_tree.is_empty() && !exists {
        return Ok(base.id());
    }
    let mut u = git2::build::TreeUpdateBuilder::new();
    // An upsert replaces whatever is at `to`; a removal is only needed when the directory goes away.
    if sub_tree.is_empty() {
        u.remove(to.as_str());
    } else {
        u.upsert(to.as_str(), sub, FileMode::Tree);
    }
    u.create_updated(repo, base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob_tree(repo: &Repository, files: &[(&str, &str)]) -> Oid {
        let mut idx = git2::Index::new().unwrap();
        for (path, content) in files {
            let id = repo.blob(content.as_bytes()).unwrap();
            let entry = git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: 0o100644,
                uid: 0,
                gid: 0,
                file_size: 0,
                id,
                flags: 0,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            };
            idx.add(&entry).unwrap();
        }
        idx.write_tree_to(repo).unwrap()
    }

    #[test]
    fn splice_replaces_and_removes_directories() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let base = blob_tree(&repo, &[("app/a", "1"), ("keep", "k"), (".github/x", "g")]);
        let base = repo.find_tree(base).unwrap();
        let sub = blob_tree(&repo, &[("b", "2")]);
        let out = repo
            .find_tree(splice(&repo, &base, &RepoPath::parse("app").unwrap(), sub).unwrap())
            .unwrap();
        assert!(out.get_path("app/b".as_ref()).is_ok());
        assert!(out.get_path("app/a".as_ref()).is_err());
        assert!(out.get_path("keep".as_ref()).is_ok());
        let deep = repo
            .find_tree(splice(&repo, &base, &RepoPath::parse("x/y").unwrap(), sub).unwrap())
            .unwrap();
        assert!(deep.get_path("x/y/b".as_ref()).is_ok());
        let empty = empty_tree(&repo).unwrap();
        let gone = repo
            .find_tree(splice(&repo, &base, &RepoPath::parse("app").unwrap(), empty).unwrap())
            .unwrap();
        assert!(gone.get_path("app".as_ref()).is_err());
        let root = repo
            .find_tree(splice(&repo, &base, &RepoPath::root(), sub).unwrap())
            .unwrap();
        assert!(root.get_path(".github/x".as_ref()).is_ok());
        assert!(root.get_path("b".as_ref()).is_ok());
        assert!(root.get_path("keep".as_ref()).is_err());
    }

    #[test]
    fn subtree_of_missing_dir_is_empty_and_reserved_is_stripped() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let t = repo
            .find_tree(blob_tree(&repo, &[(".github/w", "w"), ("f/a", "a")]))
            .unwrap();
        let missing = subtree(
            &repo,
            &t,
            &RepoPath::parse("nope").unwrap(),
            false,
            "upstream",
        )
        .unwrap();
        assert_eq!(missing, empty_tree(&repo).unwrap());
        let stripped = repo
            .find_tree(subtree(&repo, &t, &RepoPath::root(), true, "upstream").unwrap())
            .unwrap();
        assert!(stripped.get_name(".github").is_none());
        assert!(
            subtree(
                &repo,
                &t,
                &RepoPath::parse("f/a").unwrap(),
                false,
                "upstream"
            )
            .is_err()
        );
    }
}
