//! `ShallowUpstream`: a network upstream fetched shallow into a scratch repository of its own, deepened only
//! as far as the run needs.
//!
//! A strategy that does not merge upstream's history (diff-apply, squash, cherry-pick) reads upstream's trees
//! between the last sync and the target, never the history below them: a full fetch into a fresh clone of
//! the cousin downloads all of it for nothing. So the branch is fetched with a depth into a bare repository
//! in a temporary directory (never into the cousin's clone, which must stay whole: it is pushed from, and a
//! shallow clone cannot be searched for earlier syncs), and that repository is read in place like a
//! [`LocalUpstream`](crate::git::local_upstream::LocalUpstream): its objects become an in-memory alternate
//! of the cousin's repository, its ref is kept in memory, and
//! [`SyncRepo::own_objects`](crate::git::SyncRepo::own_objects) makes the sync commit whole in the
//! cousin's store.
//!
//! The cousin's repository does not know the scratch repository's `shallow` file, so a walk there that
//! reached the boundary would look for a parent that was never fetched. Walks over upstream's history run in
//! the scratch repository instead, where libgit2 honours the boundary, and the questions whose answer the
//! boundary could change deepen the fetch first (see [`crate::git::SyncRepo::upstream_descends`]).
//! The directory goes when the run ends; nothing in it outlives a dry run.

use std::path::PathBuf;
use std::sync::Mutex;

use git2::{FetchOptions, Oid, Repository};

use crate::git::advertised::advertised;
use crate::git::git_auth::GitAuth;
use crate::git::poison::lock_ignoring_poison;

/// The first depth fetched: enough for the commits since a recent sync.
const FIRST_DEPTH: i32 = 64;

/// Each deepening fetches this many times the depth before.
const GROWTH: i32 = 4;

/// Past this depth the next deepening fetches the whole history.
const LAST_DEPTH: i32 = 4096;

/// What libgit2 sends as the depth to fetch everything a shallow repository lacks
/// (`GIT_FETCH_DEPTH_UNSHALLOW`).
const UNSHALLOW: i32 = i32::MAX;

/// An upstream branch fetched shallow into a scratch repository.
pub struct ShallowUpstream {
    /// The scratch repository (bare, with nothing but what was fetched).
    repo: Repository,
    /// Where it lives; removed on drop.
    _dir: tempfile::TempDir,
    /// Where upstream is fetched from (may hold credentials; never logged as it is).
    url: String,
    /// The ref read on upstream, and the ref it is fetched into here.
    remote_ref: String,
    local_ref: String,
    /// The credentials.
    auth: GitAuth,
    /// The commit the branch pointed at on the first fetch: the run's tip.
    tip: Oid,
    /// The depth fetched so far, `None` once the history is complete.
    depth: Mutex<Option<i32>>,
}

impl ShallowUpstream {
    /// Fetches `remote_ref` from `url` with the first depth into a new scratch repository, or `None` when
    /// upstream has no such ref.
    pub fn fetch(
        url: &str,
        remote_ref: &str,
        local_ref: &str,
        auth: &GitAuth,
    ) -> Result<Option<ShallowUpstream>, git2::Error> {
        let dir = tempfile::Builder::new()
            .prefix("ecosync-upstream-")
            .tempdir()
            .map_err(|e| {
                git2::Error::from_str(&format!("cannot make a scratch repository: {e}"))
            })?;
        let repo = Repository::init_bare(dir.path())?;
        let found = {
            let mut remote = repo.remote_anonymous(url)?;
            remote.connect_auth(git2::Direction::Fetch, Some(auth.callbacks(url)), None)?;
            let found = advertised(&remote, remote_ref)?;
            remote.disconnect()?;
            found
        };
        let Some(tip) = found else {
            return Ok(None);
        };
        let upstream = ShallowUpstream {
            repo,
            _dir: dir,
            url: url.to_owned(),
            remote_ref: remote_ref.to_owned(),
            local_ref: local_ref.to_owned(),
            auth: auth.clone(),
            tip,
            depth: Mutex::new(Some(0)),
        };
        upstream.fetch_at(FIRST_DEPTH)?;
        Ok(Some(upstream))
    }

    /// The commit upstream's branch pointed at when it was first fetched.
    pub fn tip(&self) -> Oid {
        self.tip
    }

    /// Where upstream is fetched from, as configured (it may hold credentials: redact before showing it).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The ref read on upstream.
    pub fn remote_ref(&self) -> &str {
        &self.remote_ref
    }

    /// The scratch repository, to walk upstream's history in: libgit2 stops at its shallow boundary.
    pub fn repo(&self) -> &Repository {
        &self.repo
    }

    /// The scratch repository's object directory, to add as an alternate of the cousin's repository.
    pub fn objects_dir(&self) -> PathBuf {
        self.repo.path().join("objects")
    }

    /// True once the whole history of the branch is fetched.
    pub fn is_complete(&self) -> bool {
        lock_ignoring_poison(&self.depth).is_none()
    }

    /// Whether the fetched history holds the object `id`.
    pub fn contains(&self, id: Oid) -> bool {
        self.repo.odb().is_ok_and(|odb| odb.exists(id))
    }

    /// The commits of the shallow boundary: fetched, their parents not.
    pub fn boundary(&self) -> Vec<Oid> {
        // libgit2 keeps them in `shallow`, one id a line, and offers no call to read them.
        std::fs::read_to_string(self.repo.path().join("shallow"))
            .unwrap_or_default()
            .lines()
            .filter_map(|line| Oid::from_str(line.trim()).ok())
            .collect()
    }

    /// Whether `id` is a commit of the shallow boundary (its parents not fetched).
    pub fn is_boundary(&self, id: Oid) -> bool {
        self.boundary().contains(&id)
    }

    /// Whether a commit that `from` reaches and `last` does not is on the shallow boundary (so the history
    /// between them is not all fetched).
    pub fn walk_meets_boundary(&self, from: Oid, last: Oid) -> Result<bool, git2::Error> {
        let boundary = self.boundary();
        let mut walk = self.repo.revwalk()?;
        walk.push(from)?;
        walk.hide(last)?;
        for id in walk {
            if boundary.contains(&id?) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Fetches more of the history: [`GROWTH`] times the depth so far, past [`LAST_DEPTH`] all of it.
    /// Returns false when there was nothing more to fetch.
    pub fn deepen(&self) -> Result<bool, git2::Error> {
        let depth = *lock_ignoring_poison(&self.depth);
        let Some(depth) = depth else {
            return Ok(false);
        };
        let next = if depth >= LAST_DEPTH {
            UNSHALLOW
        } else {
            depth.saturating_mul(GROWTH)
        };
        self.fetch_at(next)?;
        Ok(true)
    }

    /// Fetches the whole history.
    pub fn unshallow(&self) -> Result<(), git2::Error> {
        if !self.is_complete() {
            self.fetch_at(UNSHALLOW)?;
        }
        Ok(())
    }

    /// Fetches the branch to `depth` commits (or all of them, [`UNSHALLOW`]) and records how deep the
    /// history now goes.
    fn fetch_at(&self, depth: i32) -> Result<(), git2::Error> {
        let mut remote = self.repo.remote_anonymous(&self.url)?;
        let mut fo = FetchOptions::new();
        fo.remote_callbacks(self.auth.callbacks(&self.url));
        fo.update_fetchhead(false);
        fo.download_tags(git2::AutotagOption::None);
        fo.depth(depth);
        remote.fetch(
            &[format!("+{}:{}", self.remote_ref, self.local_ref)],
            Some(&mut fo),
            None,
        )?;
        // A deeper fetch of a branch that moved meanwhile would mix two histories.
        let now = self.repo.refname_to_id(&self.local_ref)?;
        if now != self.tip {
            return Err(git2::Error::from_str(&format!(
                "`{}` moved from `{}` to `{now}` while its history was being fetched; run again",
                self.remote_ref, self.tip
            )));
        }
        let complete = !self.repo.is_shallow();
        if depth == UNSHALLOW && !complete {
            // Asking again would only loop.
            return Err(git2::Error::from_str(
                "the history is still shallow after fetching all of it; does the server support deepening?",
            ));
        }
        tracing::debug!(
            depth = if depth == UNSHALLOW { -1 } else { depth },
            complete,
            "fetched upstream's history shallow"
        );
        *lock_ignoring_poison(&self.depth) = (!complete).then_some(depth);
        Ok(())
    }
}
