//! `Repo`: a real git repository in a temp dir, built with git2, with a fixed signature and clock so tests
//! are reproducible.

use std::cell::Cell;
use std::path::{Path, PathBuf};

use git2::{IndexAddOption, Oid, Repository, Signature, Time};

/// A non-bare repository with a work tree in its own temp dir.
pub struct Repo {
    pub git: Repository,
    dir: tempfile::TempDir,
    clock: Cell<i64>,
}

/// The fixed start of every test repository's clock: 2026-01-01T00:00:00Z. Commits made through [`Repo`]
/// are one minute apart from there, unless a test sets the time.
pub const EPOCH: i64 = 1_767_225_600;

impl Repo {
    /// A new repository whose first branch is `main`.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ecosync-test-")
            .tempdir()
            .expect("temp dir");
        let mut opts = git2::RepositoryInitOptions::new();
        opts.initial_head("main");
        let git = Repository::init_opts(dir.path(), &opts).expect("git init");
        {
            let mut cfg = git.config().expect("config");
            cfg.set_str("user.name", "Test").unwrap();
            cfg.set_str("user.email", "test@example.com").unwrap();
        }
        Repo {
            git,
            dir,
            clock: Cell::new(EPOCH),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The clock's current time in seconds since the epoch; the next commit gets this time plus a minute.
    pub fn set_time(&self, secs: i64) {
        self.clock.set(secs);
    }

    fn abs(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes a file (creating parent directories) in the work tree.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> &Self {
        let p = self.abs(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, content).unwrap();
        self
    }

    /// Removes a file or a directory tree from the work tree.
    pub fn remove(&self, rel: &str) -> &Self {
        let p = self.abs(rel);
        if p.is_dir() && !p.is_symlink() {
            std::fs::remove_dir_all(p).unwrap();
        } else {
            std::fs::remove_file(p).unwrap();
        }
        self
    }

    /// Renames a file in the work tree.
    pub fn rename(&self, from: &str, to: &str) -> &Self {
        let to_abs = self.abs(to);
        if let Some(parent) = to_abs.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::rename(self.abs(from), to_abs).unwrap();
        self
    }

    /// Makes a symbolic link at `rel` pointing at `target`.
    pub fn symlink(&self, rel: &str, target: &str) -> &Self {
        let p = self.abs(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::os::unix::fs::symlink(target, p).unwrap();
        self
    }

    /// Sets or clears the executable bit.
    pub fn set_exec(&self, rel: &str, exec: bool) -> &Self {
        use std::os::unix::fs::PermissionsExt;
        let p = self.abs(rel);
        let mode = if exec { 0o755 } else { 0o644 };
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
        self
    }

    fn signature(&self, name: &str, email: &str) -> Signature<'static> {
        let t = self.clock.get() + 60;
        self.clock.set(t);
        Signature::new(name, email, &Time::new(t, 0)).unwrap()
    }

    /// Stages everything in the work tree (additions, changes, deletions) and commits it on HEAD.
    pub fn commit(&self, message: &str) -> Oid {
        self.commit_by(message, "Test", "test@example.com")
    }

    /// [`Repo::commit`] with `name <email>` as author and committer.
    pub fn commit_by(&self, message: &str, name: &str, email: &str) -> Oid {
        let mut index = self.git.index().unwrap();
        index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
        let tree_id = index.write_tree().unwrap();
        let tree = self.git.find_tree(tree_id).unwrap();
        let sig = self.signature(name, email);
        let parents: Vec<git2::Commit> = match self.git.head() {
            Ok(h) => vec![h.peel_to_commit().unwrap()],
            Err(_) => vec![],
        };
        let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
        self.git
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &parent_refs)
            .unwrap()
    }

    /// The commit HEAD points at.
    pub fn head(&self) -> Oid {
        self.git.head().unwrap().target().unwrap()
    }

    /// Creates `name` at `at` (without checking it out).
    pub fn branch(&self, name: &str, at: Oid) -> &Self {
        let c = self.git.find_commit(at).unwrap();
        self.git.branch(name, &c, true).unwrap();
        self
    }

    /// Checks out branch `name`, making the work tree match it.
    pub fn checkout(&self, name: &str) -> &Self {
        let refname = format!("refs/heads/{name}");
        let obj = self.git.revparse_single(&refname).unwrap();
        let mut cb = git2::build::CheckoutBuilder::new();
        cb.force().remove_untracked(true);
        self.git.checkout_tree(&obj, Some(&mut cb)).unwrap();
        self.git.set_head(&refname).unwrap();
        self
    }

    /// Merges branch `other` into HEAD with a merge commit whose tree is `other`'s merged with HEAD
    /// (panics on conflicts: tests that need conflicts build them by hand).
    pub fn merge(&self, other: &str, message: &str) -> Oid {
        let ours = self.git.head().unwrap().peel_to_commit().unwrap();
        let theirs = self
            .git
            .revparse_single(&format!("refs/heads/{other}"))
            .unwrap()
            .peel_to_commit()
            .unwrap();
        let mut idx = self.git.merge_commits(&ours, &theirs, None).unwrap();
        assert!(!idx.has_conflicts(), "merge of {other} conflicts");
        let tree_id = idx.write_tree_to(&self.git).unwrap();
        let tree = self.git.find_tree(tree_id).unwrap();
        let sig = self.signature("Test", "test@example.com");
        let id = self
            .git
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &[&ours, &theirs])
            .unwrap();
        let mut cb = git2::build::CheckoutBuilder::new();
        cb.force();
        self.git.checkout_head(Some(&mut cb)).unwrap();
        id
    }

    /// Pushes branch `branch` to the repository at `url` (a path), forcing, as a `git push` would.
    pub fn push(&self, url: &Path, branch: &str) -> &Self {
        let mut remote = self.git.remote_anonymous(url.to_str().unwrap()).unwrap();
        remote
            .push(&[format!("+refs/heads/{branch}:refs/heads/{branch}")], None)
            .unwrap();
        self
    }

    /// Resolves a revision to a commit id.
    pub fn rev(&self, spec: &str) -> Oid {
        self.git
            .revparse_single(spec)
            .unwrap()
            .peel_to_commit()
            .unwrap()
            .id()
    }
}

/// A bare repository in its own temp dir (a stand-in for a remote).
pub fn bare() -> (tempfile::TempDir, Repository) {
    let dir = tempfile::Builder::new()
        .prefix("ecosync-bare-")
        .tempdir()
        .expect("temp dir");
    let git = Repository::init_bare(dir.path()).expect("git init --bare");
    (dir, git)
}
