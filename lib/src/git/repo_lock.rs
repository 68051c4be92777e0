//! `RepoLock`: one ecosync run at a time in a repository (the cousin's clone, or a local forge's bare
//! repository while it is pushed to), held as an advisory file lock that the operating system releases when
//! the process ends, however it ends (a SIGKILL included), so it can never go stale itself.
//!
//! While it is held no other ecosync run is inside the repository, so a lock file in ecosync's own ref
//! namespaces can only be left over by a run that was killed mid-write: [`RepoLock::clear_stale`] removes
//! those, which is what lets a re-run converge instead of failing on "failed to lock file" forever.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// The lock file, inside the repository's git directory.
const LOCK_FILE: &str = "ecosync.lock";

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct RepoLock {
    git_dir: PathBuf,
    _file: File,
}

impl RepoLock {
    /// Waits for and takes the lock of the repository whose git directory is `git_dir`.
    pub fn acquire(git_dir: &Path) -> io::Result<RepoLock> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(git_dir.join(LOCK_FILE))?;
        file.lock()?;
        Ok(RepoLock {
            git_dir: git_dir.to_path_buf(),
            _file: file,
        })
    }

    /// Removes the `*.lock` files a killed run left under `refs/<namespace>/` for each namespace (for
    /// example `ecosync` for `refs/ecosync/`), the ref lock of each named ref (`refs/heads/<branch>`),
    /// and, with `clear_packs` (a repository only ecosync fetches into while it holds the lock), the
    /// temporary packs of a killed fetch. Returns what was removed, for the log.
    pub fn clear_stale(
        &self,
        namespaces: &[&str],
        refs: &[String],
        clear_packs: bool,
    ) -> io::Result<Vec<PathBuf>> {
        let mut removed = Vec::new();
        for ns in namespaces {
            let mut stack = vec![self.git_dir.join("refs").join(ns)];
            while let Some(dir) = stack.pop() {
                let entries = match std::fs::read_dir(&dir) {
                    Ok(e) => e,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                };
                for entry in entries {
                    let entry = entry?;
                    let path = entry.path();
                    if entry.file_type()?.is_dir() {
                        stack.push(path);
                    } else if path.extension().is_some_and(|e| e == "lock") {
                        remove(&path, &mut removed)?;
                    }
                }
            }
        }
        for r in refs {
            remove(&self.git_dir.join(format!("{r}.lock")), &mut removed)?;
        }
        // A fetch killed while libgit2 indexed its pack leaves the temporary pack and its index lock.
        if clear_packs {
            let pack_dir = self.git_dir.join("objects/pack");
            if let Ok(entries) = std::fs::read_dir(&pack_dir) {
                for entry in entries {
                    let path = entry?.path();
                    if path
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("pack_git2_"))
                    {
                        remove(&path, &mut removed)?;
                    }
                }
            }
        }
        // libgit2 locks `shallow` on every fetch, even in a repository that is not shallow. Without a
        // `shallow` file no shallow operation is under way, so with our lock held the lock is a leftover.
        if !self.git_dir.join("shallow").exists() {
            remove(&self.git_dir.join("shallow.lock"), &mut removed)?;
        }
        Ok(removed)
    }
}

fn remove(path: &Path, removed: &mut Vec<PathBuf>) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => {
            removed.push(path.to_path_buf());
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clears_only_lock_files_in_the_named_places() {
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path();
        std::fs::create_dir_all(git.join("refs/ecosync/upstream")).unwrap();
        std::fs::create_dir_all(git.join("refs/heads/ecosync")).unwrap();
        std::fs::write(git.join("refs/ecosync/upstream/main.lock"), "x").unwrap();
        std::fs::write(git.join("refs/ecosync/upstream/main"), "x").unwrap();
        std::fs::write(git.join("refs/heads/ecosync/acme-mono.lock"), "x").unwrap();
        std::fs::write(git.join("refs/heads/other.lock"), "x").unwrap();
        std::fs::write(git.join("shallow.lock"), "").unwrap();
        std::fs::create_dir_all(git.join("objects/pack")).unwrap();
        std::fs::write(git.join("objects/pack/pack_git2_1234idx.lock"), "").unwrap();
        std::fs::write(git.join("objects/pack/pack-1234.pack"), "").unwrap();
        let lock = RepoLock::acquire(git).unwrap();
        let removed = lock
            .clear_stale(
                &["ecosync"],
                &["refs/heads/ecosync/acme-mono".to_owned()],
                true,
            )
            .unwrap();
        assert_eq!(removed.len(), 4, "{removed:?}");
        assert!(git.join("objects/pack/pack-1234.pack").exists());
        assert!(git.join("refs/ecosync/upstream/main").exists());
        assert!(git.join("refs/heads/other.lock").exists(), "not ours");
        assert!(!git.join("shallow.lock").exists());
    }

    #[test]
    fn keeps_the_shallow_lock_of_a_shallow_repository() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("shallow"), "").unwrap();
        std::fs::write(dir.path().join("shallow.lock"), "").unwrap();
        let lock = RepoLock::acquire(dir.path()).unwrap();
        assert!(lock.clear_stale(&[], &[], false).unwrap().is_empty());
        assert!(dir.path().join("shallow.lock").exists());
    }
}
