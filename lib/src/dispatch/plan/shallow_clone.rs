//! `ShallowClone`: a shallow clone's history deepened from `origin` until a range's base is in it.
//!
//! In a shallow clone (`git clone --depth 1`, actions/checkout's default) the commits at the boundary look
//! like root commits: libgit2 hides their parents. Taken as they look, `HEAD` against its first parent
//! would become "every file counts" and a plan would fan out to every downstream repository. A boundary is
//! never a root: before a range is used, [`ShallowClone::complete`] checks that the commits between its
//! base and its head are all there (and that a head without a base is a true root), and
//! [`ShallowClone::deepen`] fetches more of the branch's history from `origin` with a growing depth (the
//! whole history last) until they are. When `origin` cannot give more, the plan stops with
//! [`ChangeSetError::Shallow`] (exit 2): a range is never guessed.
//!
//! A partial clone (`--filter=blob:none`) holds every commit and tree, which is all a plan reads, so it
//! needs nothing here.

use git2::{FetchOptions, Oid, Repository};

use crate::dispatch::plan::change_set::ChangeSetError;
use crate::git::GitAuth;
use crate::repo_name::{redact_userinfo, redact_userinfo_in};

/// The first depth fetched: enough for a push of a few dozen commits.
const FIRST_DEPTH: i32 = 64;

/// Each deepening fetches this many times the depth before.
const GROWTH: i32 = 8;

/// Past this depth the next deepening fetches the whole history.
const LAST_DEPTH: i32 = 4096;

/// What libgit2 sends as the depth to fetch everything a shallow repository lacks
/// (`GIT_FETCH_DEPTH_UNSHALLOW`).
const UNSHALLOW: i32 = i32::MAX;

/// A shallow clone, deepened step by step from `origin`.
pub struct ShallowClone<'r> {
    repo: &'r Repository,
    auth: GitAuth,
    /// The branch whose history is fetched (`refs/heads/...`), or `HEAD` of `origin` when unknown.
    remote_ref: String,
    /// The depth fetched so far (0 before the first deepening).
    depth: i32,
}

impl<'r> ShallowClone<'r> {
    /// The clone `repo` when it is shallow (`None` otherwise), to deepen the history of `branch` (`origin`'s
    /// default branch when `None`) with `auth`.
    pub fn of(repo: &'r Repository, branch: Option<&str>, auth: GitAuth) -> Option<Self> {
        repo.is_shallow().then(|| ShallowClone {
            repo,
            auth,
            remote_ref: branch.map_or_else(|| "HEAD".to_owned(), |b| format!("refs/heads/{b}")),
            depth: 0,
        })
    }

    /// The commits of the shallow boundary: in the clone, their parents not.
    pub fn boundary(repo: &Repository) -> Vec<Oid> {
        // libgit2 keeps them in `shallow`, one id a line, and offers no call to read them.
        std::fs::read_to_string(repo.path().join("shallow"))
            .unwrap_or_default()
            .lines()
            .filter_map(|line| Oid::from_str(line.trim()).ok())
            .collect()
    }

    /// Whether the clone holds everything the range from `base` (none: every file counts) to `head` needs:
    /// every commit that `head` reaches and `base` does not, none of them on the boundary; without a base,
    /// `head` must be a true root commit.
    pub fn complete(repo: &Repository, base: Option<Oid>, head: Oid) -> bool {
        if !repo.is_shallow() {
            return true;
        }
        let boundary = Self::boundary(repo);
        let Some(base) = base else {
            return !boundary.contains(&head);
        };
        let walk = (|| {
            let mut walk = repo.revwalk()?;
            walk.push(head)?;
            walk.hide(base)?;
            Ok::<_, git2::Error>(walk)
        })();
        let Ok(walk) = walk else {
            return false;
        };
        for id in walk {
            match id {
                Ok(id) if !boundary.contains(&id) => {}
                _ => return false,
            }
        }
        true
    }

    /// Fetches more of the history: a first depth, then [`GROWTH`] times the depth before, past
    /// [`LAST_DEPTH`] all of it. Returns false when the clone is no longer shallow (nothing more to fetch);
    /// `what` says what the range is missing, for the error when `origin` cannot be reached.
    pub fn deepen(&mut self, what: &str) -> Result<bool, ChangeSetError> {
        if !self.repo.is_shallow() {
            return Ok(false);
        }
        let origin = self.repo.find_remote("origin").ok();
        let url = origin
            .as_ref()
            .map(|r| String::from_utf8_lossy(r.url_bytes()).into_owned());
        let refuse = |reason: String| ChangeSetError::Shallow {
            what: what.to_owned(),
            url: url.as_deref().map(|u| redact_userinfo(u).into_owned()),
            reason,
        };
        let Some(url) = url.clone() else {
            return Err(refuse("the clone has no `origin` remote".to_owned()));
        };
        let next = match self.depth {
            0 => FIRST_DEPTH,
            d if d >= LAST_DEPTH => UNSHALLOW,
            d => d.saturating_mul(GROWTH),
        };
        if self.depth == UNSHALLOW {
            // Asked for everything already: asking again would only loop.
            return Err(refuse(
                "it is still shallow after fetching the whole history".to_owned(),
            ));
        }
        let mut remote = self
            .repo
            .remote_anonymous(&url)
            .map_err(|e| refuse(fetch_reason(&e, &url)))?;
        let mut fo = FetchOptions::new();
        fo.remote_callbacks(self.auth.callbacks(&url));
        fo.update_fetchhead(false);
        fo.download_tags(git2::AutotagOption::None);
        fo.depth(next);
        remote
            .fetch(&[self.remote_ref.as_str()], Some(&mut fo), None)
            .map_err(|e| refuse(fetch_reason(&e, &url)))?;
        tracing::debug!(
            depth = if next == UNSHALLOW { -1 } else { next },
            shallow = self.repo.is_shallow(),
            "deepened the shallow clone from origin"
        );
        self.depth = next;
        Ok(true)
    }
}

/// Why a deepening fetch failed, in our words; libgit2's own text goes to the debug log.
fn fetch_reason(e: &git2::Error, url: &str) -> String {
    let message = redact_userinfo_in(e.message(), url);
    tracing::debug!(error = %message, class = ?e.class(), code = ?e.code(), "deepening the shallow clone failed");
    if e.message().contains("not supported by the local transport") {
        "`origin` is a directory on this machine, which libgit2 cannot deepen a clone from"
            .to_owned()
    } else if e.class() == git2::ErrorClass::Http || e.class() == git2::ErrorClass::Net {
        format!("`origin` could not be reached ({message})")
    } else {
        format!("the fetch failed ({message})")
    }
}
