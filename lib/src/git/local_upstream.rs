//! `LocalUpstream`: a repository on this machine (a path or a `file://` URL) read through its object
//! database instead of libgit2's local transport.
//!
//! libgit2 fetches from a local path by walking everything the wanted tip reaches that the receiving
//! repository lacks, delta-compressing it into a new pack and indexing that pack: into a fresh clone of a
//! cousin, a 23-file change from a 100,000-file upstream cost seconds, several times `git fetch`. Read
//! through an alternate instead, the upstream's objects are used where they are, and only the ones the run
//! actually reads (the commits between the last sync and the target, and the mapped subtrees of their
//! trees) are ever touched: the cost follows the change, not the upstream's size. A dry run's objects never
//! outlive it; a real run copies into the cousin's store exactly the objects its sync commits take
//! ([`crate::git::SyncRepo::own_objects`]) and never writes a ref to an upstream commit, so the store
//! is whole once the alternate is gone. A strategy that merges upstream's history still fetches it.

use std::path::{Path, PathBuf};

use git2::{Oid, Repository, RepositoryOpenFlags};

/// An upstream repository opened in place.
pub struct LocalUpstream {
    repo: Repository,
}

impl LocalUpstream {
    /// Opens the repository `url` names when it is a local one (a path, or a `file://` URL, of an existing
    /// directory), or `None` for a network URL (`https://`, `ssh://`, `git@host:path`) or a path that is
    /// not a repository (the transport then reports the problem as it always did).
    pub fn open(url: &str) -> Option<LocalUpstream> {
        let path = local_path(url)?;
        if !path.is_dir() {
            return None;
        }
        let repo = Repository::open_ext(
            &path,
            RepositoryOpenFlags::NO_SEARCH,
            std::iter::empty::<&std::ffi::OsStr>(),
        )
        .ok()?;
        // A shallow upstream lacks history the transport would report missing; leave it to the transport.
        (!repo.is_shallow()).then_some(LocalUpstream { repo })
    }

    /// The upstream's object directory, to add as an alternate of the receiving repository.
    pub fn objects_dir(&self) -> PathBuf {
        // A linked work tree keeps its objects in the common directory.
        let objects = self.repo.commondir().join("objects");
        std::fs::canonicalize(&objects).unwrap_or(objects)
    }

    /// The commit `refs/heads/{branch}` points at, or `None` when the upstream has no such branch.
    pub fn branch_tip(&self, branch: &str) -> Result<Option<Oid>, git2::Error> {
        self.ref_tip(&format!("refs/heads/{branch}"))
    }

    /// The commit the ref `name` points at, or `None` when the upstream has no such ref.
    pub fn ref_tip(&self, name: &str) -> Result<Option<Oid>, git2::Error> {
        match self.repo.find_reference(name) {
            Ok(r) => r.resolve()?.peel_to_commit().map(|c| Some(c.id())),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The path a local URL names: `file:///srv/up.git` is `/srv/up.git`; a URL with a scheme, or in scp form
/// (`host:path`, a `:` before any `/`), is not local.
fn local_path(url: &str) -> Option<PathBuf> {
    if let Some(rest) = url.strip_prefix("file://") {
        return Some(PathBuf::from(rest));
    }
    if url.contains("://") {
        return None;
    }
    match (url.find(':'), url.find('/')) {
        (Some(colon), Some(slash)) if colon < slash => None,
        (Some(_), None) => None,
        _ => Some(Path::new(url).to_path_buf()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_and_file_urls_are_local() {
        assert_eq!(
            local_path("file:///srv/up.git"),
            Some(PathBuf::from("/srv/up.git"))
        );
        assert_eq!(
            local_path("/srv/up.git"),
            Some(PathBuf::from("/srv/up.git"))
        );
        assert_eq!(local_path("../up"), Some(PathBuf::from("../up")));
        assert_eq!(local_path("./a:b"), Some(PathBuf::from("./a:b")));
        assert_eq!(local_path("https://github.com/acme/up.git"), None);
        assert_eq!(local_path("ssh://git@github.com/acme/up.git"), None);
        assert_eq!(local_path("git@github.com:acme/up.git"), None);
        assert_eq!(local_path("host:up.git"), None);
    }

    #[test]
    fn a_missing_branch_is_none_and_a_directory_that_is_no_repository_is_not_opened() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(LocalUpstream::open(tmp.path().to_str().unwrap()).is_none());
        let repo = Repository::init_bare(tmp.path().join("up.git")).unwrap();
        let sig = git2::Signature::new("T", "t@example.com", &git2::Time::new(0, 0)).unwrap();
        let tree = repo.treebuilder(None).unwrap().write().unwrap();
        let tree = repo.find_tree(tree).unwrap();
        let commit = repo
            .commit(Some("refs/heads/main"), &sig, &sig, "one", &tree, &[])
            .unwrap();
        let url = format!("file://{}", tmp.path().join("up.git").display());
        let up = LocalUpstream::open(&url).unwrap();
        assert_eq!(up.branch_tip("main").unwrap(), Some(commit));
        assert_eq!(up.branch_tip("nope").unwrap(), None);
        assert!(up.objects_dir().ends_with("objects"));
    }
}
