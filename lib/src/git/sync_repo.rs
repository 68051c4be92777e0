//! `SyncRepo`: the cousin's local repository as the subscriber uses it: an object store that fetches into a
//! private ref namespace, builds trees and commits, and pushes; or, for a dry run, the same with every write
//! kept in memory or in a throw-away scratch repository, so the cousin's repository is left untouched.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use git2::{
    FetchOptions, ObjectType, Odb, OdbLookupFlags, Oid, PushOptions, Repository,
    RepositoryOpenFlags,
};

use crate::git::advertised::advertised;
use crate::git::git_auth::GitAuth;
use crate::git::local_upstream::LocalUpstream;
use crate::git::poison::lock_ignoring_poison;
use crate::git::repo_lock::RepoLock;
use crate::git::shallow_upstream::ShallowUpstream;
use crate::git::sync_repo_error::SyncRepoError;
use crate::repo_name::{redact_userinfo, redact_userinfo_in};

/// `error` with `url`'s user name and password taken out of its message (libgit2 may quote the URL).
fn redact_error(error: &git2::Error, url: &str) -> git2::Error {
    git2::Error::new(
        error.code(),
        error.class(),
        redact_userinfo_in(error.message(), url),
    )
}

/// The cousin's repository, ready for a (possibly dry) run.
pub struct SyncRepo {
    /// The repository where objects are read and (unless dry) written.
    pub repo: Repository,
    /// For a dry run: where fetched objects go instead of the cousin's repository.
    scratch: Option<(tempfile::TempDir, Repository)>,
    /// One run at a time in this clone (none for a dry run, which writes nothing to it).
    _lock: Option<RepoLock>,
    /// The object directories of local upstreams read in place, added (in memory) as alternates.
    borrowed: Mutex<Vec<PathBuf>>,
    /// In a real run, the refs read in place and never written (`local_ref` to commit): the cousin's
    /// repository must not point at objects it does not have once the alternate is gone.
    in_place: Mutex<HashMap<String, Oid>>,
    /// A network upstream fetched shallow, read in place like a local one; upstream's history is walked
    /// there.
    shallow: std::sync::OnceLock<ShallowUpstream>,
}

/// Takes the ecosync lock of the repository whose git directory is `git_dir` and clears what a killed run
/// left under `refs/<namespace>/` and on each of `refs`.
fn lock(
    git_dir: &Path,
    namespaces: &[&str],
    refs: &[String],
    clear_packs: bool,
) -> Result<RepoLock, SyncRepoError> {
    let failed = |source| SyncRepoError::Lock {
        path: git_dir.display().to_string(),
        source,
    };
    let lock = RepoLock::acquire(git_dir).map_err(failed)?;
    for path in lock
        .clear_stale(namespaces, refs, clear_packs)
        .map_err(failed)?
    {
        tracing::warn!(path = %path.display(), "removed a lock file a killed run left behind");
    }
    Ok(lock)
}

/// The git directory of a repository on this machine that `url` names (a path or a `file://` URL), if it
/// names one: the local forge's bare repositories.
fn local_git_dir(url: &str) -> Option<std::path::PathBuf> {
    let path = url.strip_prefix("file://").unwrap_or(url);
    if path.contains("://") || !Path::new(path).is_dir() {
        return None;
    }
    Repository::open(path).ok().map(|r| r.path().to_path_buf())
}

impl SyncRepo {
    /// Opens the repository at `path` (or above it). A dry run adds an in-memory object backend, so every
    /// object it builds stays in memory, and fetches into a scratch repository.
    pub fn open(path: &Path, dry_run: bool) -> Result<SyncRepo, SyncRepoError> {
        let repo = Repository::discover(path).map_err(|source| SyncRepoError::Open {
            path: path.display().to_string(),
            source,
        })?;
        if repo.is_shallow() {
            return Err(SyncRepoError::Shallow(path.display().to_string()));
        }
        let lock = if dry_run {
            None
        } else {
            Some(lock(repo.path(), &["ecosync"], &[], true)?)
        };
        let scratch = if dry_run {
            let dir = tempfile::Builder::new()
                .prefix("ecosync-dry-run-")
                .tempdir()
                .map_err(SyncRepoError::Scratch)?;
            let scratch = Repository::init_bare(dir.path())?;
            // The scratch repository sees the cousin's objects, so fetching a branch the cousin already
            // has downloads nothing.
            std::fs::write(
                dir.path().join("objects/info/alternates"),
                format!("{}\n", repo.path().join("objects").display()),
            )
            .map_err(SyncRepoError::Scratch)?;
            let odb = repo.odb()?;
            odb.add_disk_alternate(&dir.path().join("objects").display().to_string())?;
            // Highest priority: new objects land here, in memory, and nowhere else.
            odb.add_new_mempack_backend(1000)?;
            Some((dir, scratch))
        } else {
            None
        };
        Ok(SyncRepo {
            repo,
            scratch,
            _lock: lock,
            borrowed: Mutex::default(),
            in_place: Mutex::default(),
            shallow: std::sync::OnceLock::new(),
        })
    }

    /// The commit a fetched ref points at (in the scratch repository for a dry run; in memory for a ref a
    /// real run read in place).
    pub fn fetched(&self, local_ref: &str) -> Option<Oid> {
        if let Some(oid) = lock_ignoring_poison(&self.in_place).get(local_ref) {
            return Some(*oid);
        }
        let target = self.scratch.as_ref().map_or(&self.repo, |(_, r)| r);
        target.refname_to_id(local_ref).ok()
    }

    /// True for a dry run.
    pub fn is_dry_run(&self) -> bool {
        self.scratch.is_some()
    }

    /// Fetches upstream's `refs/heads/{branch}` into [`upstream_ref`](crate::git::upstream_ref)
    /// and returns its commit, or `None` when upstream has no such branch.
    ///
    /// An upstream on this machine (a path or a `file://` URL) is not fetched but read in place
    /// ([`LocalUpstream`]): its object directory becomes an alternate of the cousin's repository for the
    /// run, in memory only, so the cost follows the change and not upstream's size. A dry run always reads
    /// it in place (nothing it builds outlives it). A real run does unless `whole_history` (a strategy
    /// whose commits take upstream's commits as parents needs all of upstream's history in the cousin's
    /// store, which is what a fetch brings); its ref is then kept in memory, not written, and
    /// [`SyncRepo::own_objects`] copies what the sync commit takes from upstream into the cousin's store.
    ///
    /// A network upstream, for a strategy that does not need `whole_history`, is fetched shallow into a
    /// scratch repository of its own ([`ShallowUpstream`]) and then read in place the same way; the
    /// questions about its history go through [`SyncRepo::upstream_descends`] and its siblings, which
    /// deepen the fetch when the answer could depend on what it left out.
    ///
    /// `remote_ref` is the ref read on upstream, `refs/heads/{branch}` unless the caller names another
    /// (the dispatcher delivering from its own clone names the commit it was given in a private ref).
    pub fn fetch_upstream(
        &self,
        url: &str,
        branch: &str,
        remote_ref: &str,
        auth: &GitAuth,
        whole_history: bool,
    ) -> Result<Option<Oid>, SyncRepoError> {
        let local_ref = crate::git::upstream_ref(branch);
        let err = |source: git2::Error| SyncRepoError::Fetch {
            what: remote_ref.to_owned(),
            url: redact_userinfo(url).into_owned(),
            source: redact_error(&source, url),
        };
        if self.is_dry_run() || !whole_history {
            if let Some(local) = LocalUpstream::open(url) {
                return self
                    .read_in_place(&local, remote_ref, &local_ref)
                    .map_err(err);
            }
            if !whole_history && self.shallow.get().is_none() {
                let Some(shallow) =
                    ShallowUpstream::fetch(url, remote_ref, &local_ref, auth).map_err(err)?
                else {
                    return Ok(None);
                };
                let tip = shallow.tip();
                self.borrow_objects(shallow.objects_dir()).map_err(err)?;
                self.keep_ref(&local_ref, tip).map_err(err)?;
                let _ = self.shallow.set(shallow);
                return Ok(Some(tip));
            }
        }
        self.fetch_ref(url, remote_ref, &local_ref, auth)
    }

    /// The repository to walk upstream's history in: the scratch repository of a shallow fetch, whose
    /// boundary libgit2 honours, else the cousin's. Walks that take commits of the cousin's own history
    /// stay on [`SyncRepo::repo`].
    pub fn history(&self) -> &Repository {
        self.shallow.get().map_or(&self.repo, ShallowUpstream::repo)
    }

    /// Whether upstream commit `commit` descends from `ancestor` (as `git2::Repository::graph_descendant_of`
    /// on a full fetch). After a shallow fetch the answer is only taken from the fetched history when the
    /// boundary cannot change it: a path found there exists in the whole history too, and one found the
    /// other way round rules this one out (the history has no cycles); otherwise the fetch is deepened
    /// until it settles, at worst until the history is complete.
    pub fn upstream_descends(&self, commit: Oid, ancestor: Oid) -> Result<bool, SyncRepoError> {
        let Some(up) = self.shallow.get().filter(|_| commit != ancestor) else {
            return Ok(self.repo.graph_descendant_of(commit, ancestor)?);
        };
        loop {
            if up.is_complete() {
                return Ok(self.repo.graph_descendant_of(commit, ancestor)?);
            }
            if up.contains(commit) && up.contains(ancestor) {
                if up.repo().graph_descendant_of(commit, ancestor)? {
                    return Ok(true);
                }
                if up.repo().graph_descendant_of(ancestor, commit)? {
                    return Ok(false);
                }
            }
            self.deepen_upstream()?;
        }
    }

    /// Whether upstream (as a full fetch would bring it) has the commit `id`: after a shallow fetch that
    /// lacks it, the fetch is deepened until it has it or is complete.
    pub fn upstream_has(&self, id: Oid) -> Result<bool, SyncRepoError> {
        if let Some(up) = self.shallow.get() {
            while !up.contains(id) && self.deepen_upstream()? {}
        }
        Ok(self.repo.find_commit(id).is_ok())
    }

    /// After a shallow fetch: deepens it until `commit` and its parents are in it. When the history
    /// fetched goes back past `older_than` (seconds since the epoch) on every line without it, the commit
    /// is too old or unknown: the rest is fetched at once, so the run reports it as a full fetch would.
    pub fn reach_upstream(
        &self,
        commit: Oid,
        older_than: Option<i64>,
    ) -> Result<(), SyncRepoError> {
        let Some(up) = self.shallow.get() else {
            return Ok(());
        };
        while !up.is_complete() && (!up.contains(commit) || up.is_boundary(commit)) {
            let past = older_than.is_some_and(|cutoff| {
                up.boundary().iter().all(|b| {
                    up.repo()
                        .find_commit(*b)
                        .is_ok_and(|c| c.committer().when().seconds() < cutoff)
                })
            });
            if past {
                up.unshallow().map_err(|e| self.fetch_error(&e))?;
                self.refresh_borrowed()?;
            } else {
                self.deepen_upstream()?;
            }
        }
        Ok(())
    }

    /// After a shallow fetch: deepens it until every upstream commit `from` reaches that `last` does not
    /// (what a sync since `last` brings, and each commit's parents) is in it, above the boundary.
    ///
    /// The commits found this way are exactly those of the whole history unless upstream reaches one of
    /// them both from `from` and, through more commits than were fetched, from `last` (a side line longer
    /// than the depth merged twice); the depth grows until the walk between them meets no boundary.
    pub fn reach_upstream_since(&self, from: Oid, last: Oid) -> Result<(), SyncRepoError> {
        let Some(up) = self.shallow.get() else {
            return Ok(());
        };
        while !up.is_complete() && (!up.contains(last) || up.walk_meets_boundary(from, last)?) {
            self.deepen_upstream()?;
        }
        Ok(())
    }

    /// The commits on the boundary of a shallow fetch of upstream (fetched, their parents not); none
    /// without one.
    pub fn upstream_boundary(&self) -> Vec<Oid> {
        self.shallow
            .get()
            .map_or_else(Vec::new, ShallowUpstream::boundary)
    }

    /// Fetches more of a shallow upstream's history; false when there is no more (or no shallow fetch).
    pub fn deepen_upstream(&self) -> Result<bool, SyncRepoError> {
        let Some(up) = self.shallow.get() else {
            return Ok(false);
        };
        let deeper = up.deepen().map_err(|e| self.fetch_error(&e))?;
        if deeper {
            self.refresh_borrowed()?;
        }
        Ok(deeper)
    }

    /// `error` of fetching the shallow upstream, as [`SyncRepoError::Fetch`] without credentials.
    fn fetch_error(&self, error: &git2::Error) -> SyncRepoError {
        let (what, url) = self
            .shallow
            .get()
            .map(|up| (up.remote_ref().to_owned(), up.url().to_owned()))
            .unwrap_or_default();
        SyncRepoError::Fetch {
            what,
            url: redact_userinfo(&url).into_owned(),
            source: redact_error(error, &url),
        }
    }

    /// Rescans the borrowed object directories after a fetch added packs to one.
    fn refresh_borrowed(&self) -> Result<(), git2::Error> {
        self.repo.odb()?.refresh()?;
        if let Some((_, scratch)) = &self.scratch {
            scratch.odb()?.refresh()?;
        }
        Ok(())
    }

    /// Fetches `refs/heads/{branch}` from `url` into `local_ref` and returns its commit, or `None` when the
    /// remote has no such branch.
    pub fn fetch_branch(
        &self,
        url: &str,
        branch: &str,
        local_ref: &str,
        auth: &GitAuth,
    ) -> Result<Option<Oid>, SyncRepoError> {
        self.fetch_ref(url, &format!("refs/heads/{branch}"), local_ref, auth)
    }

    /// Fetches the ref `remote_ref` from `url` into `local_ref` and returns its commit, or `None` when the
    /// remote has no such ref.
    pub fn fetch_ref(
        &self,
        url: &str,
        remote_ref: &str,
        local_ref: &str,
        auth: &GitAuth,
    ) -> Result<Option<Oid>, SyncRepoError> {
        let target = self.scratch.as_ref().map_or(&self.repo, |(_, r)| r);
        let err = |source: git2::Error| SyncRepoError::Fetch {
            what: remote_ref.to_owned(),
            url: redact_userinfo(url).into_owned(),
            source: redact_error(&source, url),
        };
        let mut remote = target.remote_anonymous(url).map_err(err)?;
        // Look first: fetching a branch that does not exist is not an error for us, just "absent".
        remote
            .connect_auth(git2::Direction::Fetch, Some(auth.callbacks(url)), None)
            .map_err(err)?;
        let found = advertised(&remote, remote_ref).map_err(err)?;
        remote.disconnect().map_err(err)?;
        let Some(oid) = found else {
            return Ok(None);
        };
        let mut fo = FetchOptions::new();
        fo.remote_callbacks(auth.callbacks(url));
        fo.update_fetchhead(false);
        fo.download_tags(git2::AutotagOption::None);
        remote
            .fetch(&[format!("+{remote_ref}:{local_ref}")], Some(&mut fo), None)
            .map_err(err)?;
        if self.scratch.is_some() {
            self.repo.odb()?.refresh()?;
        }
        Ok(Some(oid))
    }

    /// For a repository on this machine (the local forge): clears what a push killed mid-way left there for
    /// `branch` (its ref lock, a temporary pack), under that repository's ecosync lock. Elsewhere a no-op.
    pub fn clear_remote_leftovers(&self, url: &str, branch: &str) -> Result<(), SyncRepoError> {
        if let Some(dir) = local_git_dir(url).filter(|_| !self.is_dry_run()) {
            lock(&dir, &[], &[format!("refs/heads/{branch}")], true)?;
        }
        Ok(())
    }

    /// Points `local_ref` at `remote_ref` of a local repository, whose objects the cousin's
    /// repository (and a dry run's scratch repository) then read through an alternate added in memory.
    /// Nothing is copied here. A dry run writes the ref in its scratch repository; a real run keeps it in
    /// memory ([`SyncRepo::fetched`]), so nothing on disk names an object the cousin's store lacks.
    fn read_in_place(
        &self,
        local: &LocalUpstream,
        remote_ref: &str,
        local_ref: &str,
    ) -> Result<Option<Oid>, git2::Error> {
        let Some(oid) = local.ref_tip(remote_ref)? else {
            return Ok(None);
        };
        self.borrow_objects(local.objects_dir())?;
        self.keep_ref(local_ref, oid)?;
        Ok(Some(oid))
    }

    /// Adds the object directory `objects` as an alternate of the cousin's repository (and of a dry run's
    /// scratch repository), in memory only.
    fn borrow_objects(&self, objects: PathBuf) -> Result<(), git2::Error> {
        let mut borrowed = lock_ignoring_poison(&self.borrowed);
        if !borrowed.contains(&objects) {
            let dir = objects.to_string_lossy();
            self.repo.odb()?.add_disk_alternate(&dir)?;
            if let Some((_, scratch)) = &self.scratch {
                scratch.odb()?.add_disk_alternate(&dir)?;
            }
            borrowed.push(objects);
        }
        Ok(())
    }

    /// Points `local_ref` at `oid`, a commit read in place: in a dry run's scratch repository, in memory
    /// for a real run.
    fn keep_ref(&self, local_ref: &str, oid: Oid) -> Result<(), git2::Error> {
        match &self.scratch {
            Some((_, scratch)) => {
                scratch.reference(local_ref, oid, true, "ecosync: read in place")?;
            }
            None => {
                lock_ignoring_poison(&self.in_place).insert(local_ref.to_owned(), oid);
            }
        }
        Ok(())
    }

    /// Makes `tip` whole in the cousin's own object store: copies into it every object that the commits
    /// from `complete` (exclusive: commits whose objects the store has in full, such as the base) to `tip`
    /// reach and that only a borrowed upstream has. Returns how many objects were copied. A no-op in a dry
    /// run and when nothing was read in place.
    ///
    /// Each commit's tree is compared with its first parent's by id, as `git diff` does, so only the
    /// subtrees that changed are read and the cost follows the change: the upstream files the sync takes
    /// and the trees above them, not upstream's history.
    pub fn own_objects(&self, tip: Oid, complete: &[Oid]) -> Result<usize, SyncRepoError> {
        if self.is_dry_run() || lock_ignoring_poison(&self.borrowed).is_empty() {
            return Ok(0);
        }
        // The cousin's store as it is on disk, without the in-memory alternates: what it will have once the
        // run is over.
        let own = Repository::open_ext(
            self.repo.path(),
            RepositoryOpenFlags::NO_SEARCH,
            std::iter::empty::<&std::ffi::OsStr>(),
        )?;
        let copy = ObjectCopy {
            from: self.repo.odb()?,
            to: own.odb()?,
        };
        let mut walk = self.repo.revwalk()?;
        walk.push(tip)?;
        for c in complete {
            walk.hide(*c)?;
        }
        let mut copied = 0;
        for id in walk {
            let commit = self.repo.find_commit(id?)?;
            let parent_tree = match commit.parent_ids().next() {
                Some(p) => Some(self.repo.find_commit(p)?.tree_id()),
                None => None,
            };
            copied += copy.tree(commit.tree_id(), parent_tree)?;
            copied += copy.missing(commit.id(), ObjectType::Commit)?;
        }
        if copied > 0 {
            tracing::debug!(copied, "copied the objects the sync takes from upstream");
        }
        Ok(copied)
    }

    /// Pushes `commit` to `refs/heads/{branch}` at `url`; `force` allows a non-fast-forward update.
    pub fn push(
        &self,
        url: &str,
        commit: Oid,
        branch: &str,
        force: bool,
        auth: &GitAuth,
    ) -> Result<(), SyncRepoError> {
        let fail = |message: String| SyncRepoError::Push {
            branch: branch.to_owned(),
            url: redact_userinfo(url).into_owned(),
            message: redact_userinfo_in(&message, url).into_owned(),
        };
        if self.is_dry_run() {
            return Err(fail("a dry run never pushes".to_owned()));
        }
        // A repository on this machine (the local forge) is pushed to under its own ecosync lock, which
        // makes a ref lock a killed push left on the branch a leftover to clear.
        let _remote_lock = match local_git_dir(url) {
            Some(dir) => Some(lock(&dir, &[], &[format!("refs/heads/{branch}")], true)?),
            None => None,
        };
        let local = format!("refs/ecosync/push/{branch}");
        self.repo
            .reference(&local, commit, true, "ecosync: commit to push")?;
        let rejected = std::cell::RefCell::new(None::<String>);
        let mut remote = self
            .repo
            .remote_anonymous(url)
            .map_err(|e| fail(e.message().to_owned()))?;
        let mut cb = auth.callbacks(url);
        cb.push_update_reference(|_refname, status| {
            if let Some(s) = status {
                *rejected.borrow_mut() = Some(s.to_owned());
            }
            Ok(())
        });
        let mut po = PushOptions::new();
        po.remote_callbacks(cb);
        let spec = format!(
            "{}{local}:refs/heads/{branch}",
            if force { "+" } else { "" }
        );
        let result = remote.push(&[spec], Some(&mut po));
        drop(po);
        // The private ref only served as the push source.
        if let Ok(mut r) = self.repo.find_reference(&local) {
            let _ = r.delete();
        }
        result.map_err(|e| fail(e.message().to_owned()))?;
        if let Some(status) = rejected.into_inner() {
            return Err(fail(format!("the remote refused the update: {status}")));
        }
        Ok(())
    }
}

/// Copies objects from one object database (with borrowed upstreams) into another (the cousin's own).
struct ObjectCopy<'r> {
    from: Odb<'r>,
    to: Odb<'r>,
}

impl ObjectCopy<'_> {
    /// Copies object `id` of kind `kind` unless the destination has it; returns 1 if it was copied.
    fn missing(&self, id: Oid, kind: ObjectType) -> Result<usize, git2::Error> {
        // No pack appears while this runs (the destination was opened after every fetch), so a miss needs
        // no rescan of the pack directory.
        if self.to.exists_ext(id, OdbLookupFlags::NO_REFRESH) {
            return Ok(0);
        }
        let object = self.from.read(id)?;
        if object.kind() != kind {
            return Err(git2::Error::from_str(&format!(
                "object `{id}` is a {}, not a {kind}",
                object.kind()
            )));
        }
        self.to.write(kind, object.data())?;
        Ok(1)
    }

    /// Copies what tree `new` reaches and the destination lacks, skipping every subtree and file whose id
    /// is the same in `old` (a tree the destination has in full); returns how many objects were copied.
    fn tree(&self, new: Oid, old: Option<Oid>) -> Result<usize, git2::Error> {
        if old == Some(new) {
            return Ok(0);
        }
        let object = self.from.read(new)?;
        let old_object = old.map(|o| self.from.read(o)).transpose()?;
        let old_entries: HashMap<&[u8], (Oid, Option<ObjectType>)> = match &old_object {
            Some(o) => tree_entries(o.data())?
                .into_iter()
                .map(|(name, id, kind)| (name, (id, kind)))
                .collect(),
            None => HashMap::new(),
        };
        let mut copied = 0;
        for (name, id, kind) in tree_entries(object.data())? {
            let before = old_entries.get(name);
            if before.is_some_and(|&(old_id, _)| old_id == id) {
                continue;
            }
            match kind {
                Some(ObjectType::Tree) => {
                    let old_subtree = before
                        .filter(|(_, k)| *k == Some(ObjectType::Tree))
                        .map(|&(o, _)| o);
                    copied += self.tree(id, old_subtree)?;
                }
                Some(kind) => copied += self.missing(id, kind)?,
                // A submodule's commit, which lives in another repository.
                None => {}
            }
        }
        copied += self.missing(new, ObjectType::Tree)?;
        Ok(copied)
    }
}

/// The entries of a raw tree object: name, id and the kind of object it names in this repository (`None`
/// for a submodule's commit, mode 160000).
type TreeEntry<'a> = (&'a [u8], Oid, Option<ObjectType>);

/// The entries of a raw tree object, in order.
fn tree_entries(mut raw: &[u8]) -> Result<Vec<TreeEntry<'_>>, git2::Error> {
    let malformed = || git2::Error::from_str("malformed tree object");
    let mut entries = Vec::new();
    while !raw.is_empty() {
        let space = raw.iter().position(|&b| b == b' ').ok_or_else(malformed)?;
        let nul = raw.iter().position(|&b| b == 0).ok_or_else(malformed)?;
        let id = raw.get(nul + 1..nul + 21).ok_or_else(malformed)?;
        if nul < space {
            return Err(malformed());
        }
        let mode = &raw[..space];
        let kind = match mode.strip_prefix(b"0").unwrap_or(mode) {
            b"40000" => Some(ObjectType::Tree),
            b"160000" => None,
            _ => Some(ObjectType::Blob),
        };
        entries.push((&raw[space + 1..nul], Oid::from_bytes(id)?, kind));
        raw = &raw[nul + 21..];
    }
    Ok(entries)
}
