//! Reading a bare repository as a forge holds it: the tip of a branch, a file on that branch, the message of
//! its head commit.

use std::path::Path;

use git2::{Oid, Repository};

/// The tip of `branch` in the bare repository `git_dir`, if the branch exists.
pub fn tip(git_dir: &Path, branch: &str) -> Option<Oid> {
    Repository::open_bare(git_dir)
        .unwrap()
        .refname_to_id(&format!("refs/heads/{branch}"))
        .ok()
}

/// The file `path` on `branch` of the bare repository `git_dir`, if both exist.
pub fn file_at(git_dir: &Path, branch: &str, path: &str) -> Option<String> {
    let git = Repository::open_bare(git_dir).unwrap();
    let commit = git
        .find_reference(&format!("refs/heads/{branch}"))
        .ok()?
        .peel_to_commit()
        .ok()?;
    let entry = commit.tree().ok()?.get_path(Path::new(path)).ok()?;
    let blob = git.find_blob(entry.id()).ok()?;
    Some(String::from_utf8_lossy(blob.content()).into_owned())
}

/// The message of the commit at the tip of `branch` (which must exist) in the bare repository `git_dir`.
pub fn head_message(git_dir: &Path, branch: &str) -> String {
    let git = Repository::open_bare(git_dir).unwrap();
    let commit = git
        .find_reference(&format!("refs/heads/{branch}"))
        .unwrap()
        .peel_to_commit()
        .unwrap();
    commit.message().unwrap_or("").to_owned()
}
