//! The dispatch watermark: per source branch, the last head commit whose range was dispatched, kept as the
//! ref `refs/ecosync/dispatched/<branch>` on the source repository's `origin`, so no push is lost between
//! workflow runs.
//!
//! GitHub Actions keeps at most one pending run per concurrency group: a third push cancels the second
//! push's pending run, whose `before..after` would then never be dispatched. With the watermark the next run
//! starts where the last dispatched one ended, whatever its event says. Deliveries are at least once: a run
//! that dies after sending and before moving the watermark is covered again by the next run.
//!
//! The ref moves only forward and only after a run's deliveries: it is pushed without force (libgit2
//! refuses a push that is not a fast-forward, and the server takes it only if the ref still has the value
//! read in the same connection); a local `origin` is updated with a compare-and-swap. A run that loses a
//! race re-reads the ref and never moves it back.
//!
//! Each shard of `--shard K/N` has a watermark of its own, `refs/ecosync/dispatched-shard-K-of-N/<branch>`:
//! the N jobs of one push each move theirs, and none sees another's as "already dispatched". (Not under
//! `refs/ecosync/dispatched/<branch>/`: git cannot keep a ref that is also a directory of refs.) Shard 1 of
//! 1 is every target and shares the branch's watermark.

use std::path::{Path, PathBuf};

use git2::{Direction, Oid, PushOptions, Repository};
use serde::{Deserialize, Serialize};

use crate::dispatch::plan::shard::Shard;
use crate::error_kind::{ErrorKind, UserError};
use crate::git::{GitAuth, advertised, short_oid};
use crate::repo_name::redact_userinfo;

/// Where the watermark refs live, one per branch.
pub const REF_PREFIX: &str = "refs/ecosync/dispatched/";

/// The watermark ref of `branch`, or of one `shard` of it: `refs/ecosync/dispatched/<branch>`,
/// `refs/ecosync/dispatched-shard-K-of-N/<branch>`. Shard 1 of 1 is every target, and has the same watermark.
pub fn ref_name(branch: &str, shard: Option<Shard>) -> String {
    match shard {
        Some(s) if s.count() > 1 => format!(
            "refs/ecosync/dispatched-shard-{}-of-{}/{branch}",
            s.index(),
            s.count()
        ),
        _ => format!("{REF_PREFIX}{branch}"),
    }
}

/// Why the watermark could not be read or moved.
#[derive(Debug, thiserror::Error)]
pub enum WatermarkError {
    /// Talking to `origin` failed.
    #[error("cannot {action} the dispatch watermark `{git_ref}` on `{url}`: {message}")]
    Remote {
        /// `read` or `move`.
        action: &'static str,
        /// The ref.
        git_ref: String,
        /// `origin`'s URL, without credentials.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The head to record is not on `origin`, so the ref cannot point at it there.
    #[error(
        "cannot move the dispatch watermark `{git_ref}` to `{commit}`: that commit is not on `origin`"
    )]
    NotOnOrigin {
        /// The ref.
        git_ref: String,
        /// The commit.
        commit: Oid,
    },
    /// `--watermark-token-env` names a variable that is not set.
    #[error("`--watermark-token-env` names `{0}`, which is not set")]
    TokenEnvUnset(String),
    /// The forge would not hand out credentials for the source repository.
    #[error("cannot get git credentials for `{repo}` to read the watermark")]
    Credentials {
        /// The source repository.
        repo: String,
        /// The forge's error.
        #[source]
        source: crate::forge::ForgeError,
    },
    /// Other runs kept moving the ref while this one tried to.
    #[error(
        "cannot move the dispatch watermark `{git_ref}`: other runs kept changing it (last seen at {last})"
    )]
    Contended {
        /// The ref.
        git_ref: String,
        /// Where it was last seen.
        last: String,
    },
    /// The local clone could not be read or written.
    #[error("git: {}", crate::git::git_reason(.0))]
    Git(#[from] git2::Error),
}

impl UserError for WatermarkError {
    /// `--watermark-token-env` naming an unset variable is a usage error; anything else failed the run.
    fn kind(&self) -> ErrorKind {
        match self {
            WatermarkError::TokenEnvUnset(_) => ErrorKind::Usage,
            _ => ErrorKind::Failed,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            WatermarkError::Remote { action: "move", .. } => Some(
                "the token needs Contents: write on the source repository (the workflow's own token has it \
                 with `permissions: contents: write`; pass it with `--watermark-token-env GITHUB_TOKEN`), or \
                 turn the watermark off with `--no-watermark`"
                    .to_owned(),
            ),
            WatermarkError::Remote { .. } => Some(
                "the token needs Contents: read on the source repository, or turn the watermark off with \
                 `--no-watermark`"
                    .to_owned(),
            ),
            WatermarkError::NotOnOrigin { .. } => Some(
                "dispatch commits that were pushed to `origin` (the push event's `after`), or pass \
                 `--no-watermark`"
                    .to_owned(),
            ),
            WatermarkError::TokenEnvUnset(_) => Some(
                "set it (e.g. `GITHUB_TOKEN: ${{ github.token }}` in the step's env)".to_owned(),
            ),
            WatermarkError::Credentials { source, .. } => source.hint(),
            WatermarkError::Contended { .. } => Some(
                "let one run dispatch a branch at a time (a `concurrency` group per ref, as the shipped \
                 workflow has)"
                    .to_owned(),
            ),
            WatermarkError::Git(_) => None,
        }
    }
}

/// Whether the clone at `repo_dir` has an `origin` remote (without one there is no watermark).
pub fn has_origin(repo_dir: &Path) -> bool {
    Repository::open(repo_dir).is_ok_and(|r| r.find_remote("origin").is_ok())
}

/// The source repository's `origin`, where the watermark is read from and pushed to.
#[derive(Debug, Clone)]
pub struct WatermarkRemote {
    url: String,
    auth: GitAuth,
}

impl WatermarkRemote {
    /// The clone's `origin` with `auth`, or `None` when the clone has no `origin` remote (no watermark).
    pub fn origin(repo: &Repository, auth: GitAuth) -> Option<WatermarkRemote> {
        let remote = repo.find_remote("origin").ok()?;
        let url = String::from_utf8_lossy(remote.url_bytes()).into_owned();
        Some(WatermarkRemote { url, auth })
    }

    /// `origin`'s URL, without credentials, for messages.
    pub fn shown_url(&self) -> String {
        redact_userinfo(&self.url).into_owned()
    }

    /// The bare repository behind a local `origin` (a path or `file://` URL), for a compare-and-swap.
    fn local_path(&self) -> Option<PathBuf> {
        let path = self.url.strip_prefix("file://").unwrap_or(&self.url);
        let path = Path::new(path);
        (path.is_absolute() && path.exists()).then(|| path.to_path_buf())
    }

    fn error(&self, action: &'static str, git_ref: &str, e: &git2::Error) -> WatermarkError {
        WatermarkError::Remote {
            action,
            git_ref: git_ref.to_owned(),
            url: self.shown_url(),
            message: redact_userinfo(e.message()).into_owned(),
        }
    }

    /// The watermark ref `name` ([`ref_name`]) on `origin`, fetched into the clone when it is not there yet
    /// (so its ancestry can be checked), or `None` when there is none.
    pub fn read(&self, repo: &Repository, name: &str) -> Result<Option<Oid>, WatermarkError> {
        let err = |e: git2::Error| self.error("read", name, &e);
        let mut remote = repo.remote_anonymous(&self.url).map_err(err)?;
        remote
            .connect_auth(Direction::Fetch, Some(self.auth.callbacks(&self.url)), None)
            .map_err(err)?;
        let found = advertised(&remote, name).map_err(err)?;
        remote.disconnect().map_err(err)?;
        let Some(oid) = found else {
            return Ok(None);
        };
        if repo.find_commit(oid).is_err() {
            let mut fo = git2::FetchOptions::new();
            fo.remote_callbacks(self.auth.callbacks(&self.url));
            fo.update_fetchhead(false);
            fo.download_tags(git2::AutotagOption::None);
            remote
                .fetch(&[format!("+{name}:{name}")], Some(&mut fo), None)
                .map_err(err)?;
        }
        Ok(Some(oid))
    }

    /// Moves the watermark ref `name` to `head` once the range `base..head` was dispatched: only forward,
    /// only when nothing is left uncovered. `diverged_ok` allows replacing a watermark that is not an ancestor
    /// of `head` (after a force push, when this run's range was chosen knowing it).
    pub fn advance(
        &self,
        repo: &Repository,
        name: &str,
        base: Option<Oid>,
        head: Oid,
        diverged_ok: bool,
    ) -> Result<Advance, WatermarkError> {
        // A lost race is retried: the winner's value is read again and never moved back. Runs of one
        // branch are few, so a handful of tries with a growing pause settles it.
        let mut last = None;
        for attempt in 0..10u64 {
            let current = self.read(repo, name)?;
            let force = match decide(repo, current, base, head, diverged_ok)? {
                Decision::Stay(advance) => return Ok(advance),
                Decision::Move { force } => force,
            };
            match self.swap(repo, name, current, head, force)? {
                Swap::Done => {
                    return Ok(Advance::Moved {
                        from: current,
                        to: head,
                    });
                }
                Swap::Changed => {}
                Swap::Busy => std::thread::sleep(std::time::Duration::from_millis(
                    20 * (attempt + 1) + fastrand::u64(..20),
                )),
            }
            last = current;
        }
        Err(WatermarkError::Contended {
            git_ref: name.to_owned(),
            last: last.map_or_else(|| "nothing".to_owned(), |o| o.to_string()),
        })
    }

    /// Sets the ref from `current` to `head`, unless someone else moved it first or is moving it.
    fn swap(
        &self,
        repo: &Repository,
        name: &str,
        current: Option<Oid>,
        head: Oid,
        force: bool,
    ) -> Result<Swap, WatermarkError> {
        let err = |e: git2::Error| self.error("move", name, &e);
        if let Some(path) = self.local_path() {
            let bare = Repository::open(&path).map_err(err)?;
            if bare.find_commit(head).is_err() {
                return Err(WatermarkError::NotOnOrigin {
                    git_ref: name.to_owned(),
                    commit: head,
                });
            }
            let message = "ecosync: dispatched";
            let updated = match current {
                Some(old) => bare.reference_matching(name, head, true, old, message),
                None => bare.reference(name, head, false, message),
            };
            return match updated {
                Ok(_) => Ok(Swap::Done),
                Err(e)
                    if matches!(
                        e.code(),
                        git2::ErrorCode::Modified | git2::ErrorCode::Exists
                    ) =>
                {
                    Ok(Swap::Changed)
                }
                // Another run holds the ref's lock file while it writes.
                Err(e) if e.code() == git2::ErrorCode::Locked => Ok(Swap::Busy),
                Err(e) => Err(err(e)),
            };
        }
        // Over the network: the push carries the value read in this same connection, so the server
        // refuses it if another run moved the ref in between.
        repo.reference(name, head, true, "ecosync: dispatched")
            .map_err(err)?;
        let mut remote = repo.remote_anonymous(&self.url).map_err(err)?;
        remote
            .connect_auth(Direction::Push, Some(self.auth.callbacks(&self.url)), None)
            .map_err(err)?;
        let seen = advertised(&remote, name).map_err(err)?;
        if seen != current {
            return Ok(Swap::Changed);
        }
        let rejected = std::cell::RefCell::new(None::<String>);
        let mut callbacks = self.auth.callbacks(&self.url);
        callbacks.push_update_reference(|_, status| {
            if let Some(s) = status {
                *rejected.borrow_mut() = Some(s.to_owned());
            }
            Ok(())
        });
        let mut po = PushOptions::new();
        po.remote_callbacks(callbacks);
        let spec = format!("{}{name}:{name}", if force { "+" } else { "" });
        let pushed = remote.push(&[spec], Some(&mut po));
        drop(po);
        match pushed {
            Err(e) if e.code() == git2::ErrorCode::NotFastForward => return Ok(Swap::Changed),
            Err(e) => return Err(err(e)),
            Ok(()) => {}
        }
        match rejected.into_inner() {
            // A stale value or a lost lock: someone else was first.
            Some(status) if status.contains("stale") || status.contains("lock") => {
                Ok(Swap::Changed)
            }
            Some(status) => Err(WatermarkError::Remote {
                action: "move",
                git_ref: name.to_owned(),
                url: self.shown_url(),
                message: format!("the remote refused the update: {status}"),
            }),
            None => Ok(Swap::Done),
        }
    }
}

/// How a compare-and-swap of the ref went.
enum Swap {
    /// The ref now points at the head.
    Done,
    /// Someone else moved it first: read it again.
    Changed,
    /// Someone else is writing it right now: wait a little and read it again.
    Busy,
}

/// What became of the watermark after a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advance {
    /// Moved (or set for the first time) to the run's head.
    Moved {
        /// Where it was.
        from: Option<Oid>,
        /// Where it is now: the run's head.
        to: Oid,
    },
    /// It already was at the run's head.
    AlreadyThere,
    /// Another run moved it past this run's head: left where it is.
    Newer(Oid),
    /// This run's range does not reach back to it (an explicit `--base` after it): moving it would skip
    /// the commits in between, so it was left where it is.
    Gap(Oid),
    /// It is on another history than the run's head and this run did not choose its range knowing that.
    Diverged(Oid),
}

enum Decision {
    Move { force: bool },
    Stay(Advance),
}

fn decide(
    repo: &Repository,
    current: Option<Oid>,
    base: Option<Oid>,
    head: Oid,
    diverged_ok: bool,
) -> Result<Decision, git2::Error> {
    let Some(w) = current else {
        return Ok(Decision::Move { force: false });
    };
    if w == head {
        return Ok(Decision::Stay(Advance::AlreadyThere));
    }
    let known = repo.find_commit(w).is_ok();
    if known && repo.graph_descendant_of(w, head)? {
        return Ok(Decision::Stay(Advance::Newer(w)));
    }
    if known && repo.graph_descendant_of(head, w)? {
        // Everything up to `w` was dispatched before, `base..head` now: together all of `head` only when
        // `base` is `w` or older.
        let covered = match base {
            None => true,
            Some(b) => b == w || repo.graph_descendant_of(w, b)?,
        };
        return Ok(if covered {
            Decision::Move { force: false }
        } else {
            Decision::Stay(Advance::Gap(w))
        });
    }
    Ok(if diverged_ok {
        Decision::Move { force: true }
    } else {
        Decision::Stay(Advance::Diverged(w))
    })
}

/// What the watermark did to a plan's range, for the plan and the report (a JSON contract: these keys are
/// stable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatermarkNote {
    /// The ref, `refs/ecosync/dispatched/<branch>` (or a shard's, see [`ref_name`]).
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// The commit it points at, when there is one.
    pub commit: Option<String>,
    /// What it did to the range.
    pub status: WatermarkStatus,
    /// The same, for people.
    pub message: String,
}

/// What the watermark did to a plan's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatermarkStatus {
    /// No watermark yet for this branch: the event's range, and the watermark starts at this head.
    None,
    /// The watermark is the range's base already.
    AtBase,
    /// The range was extended back to the watermark over commits that were never dispatched.
    Extended,
    /// Part of the range was dispatched already: it starts at the watermark.
    Narrowed,
    /// The watermark is not an ancestor of the head (a force push): the event's range stands.
    ForcePush,
    /// The head is at or below the watermark: nothing to dispatch.
    AlreadyDispatched,
    /// The head is at or below the watermark and `--force` sends it again.
    Forced,
    /// `--base` was given: it wins.
    ExplicitBase,
    /// The watermark could not be used (no `origin` remote).
    Unavailable,
}

impl WatermarkNote {
    /// Whether the run may move the watermark to its head after its deliveries.
    pub fn may_advance(&self) -> bool {
        !matches!(
            self.status,
            WatermarkStatus::AlreadyDispatched
                | WatermarkStatus::Forced
                | WatermarkStatus::Unavailable
        )
    }

    /// Whether the run chose its range knowing the watermark is on another history.
    pub fn diverged(&self) -> bool {
        self.status == WatermarkStatus::ForcePush
    }
}

/// How many commits `base..head` holds on its first-parent line (the pushes' own history).
pub fn first_parent_count(repo: &Repository, from: Oid, to: Oid) -> Result<usize, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.simplify_first_parent()?;
    walk.push(to)?;
    walk.hide(from)?;
    Ok(walk.count())
}

/// After a run's deliveries: moves the watermark `note` names (its branch's, or its shard's) from `base`
/// to `head` where the note allows it. Returns what became of it, for people, or `None` when it was not
/// to be moved.
pub fn after_delivery(
    repo_dir: &Path,
    note: &WatermarkNote,
    base: &str,
    head: &str,
    auth: GitAuth,
) -> Result<Option<String>, WatermarkError> {
    if !note.may_advance() {
        return Ok(None);
    }
    let repo = Repository::open(repo_dir)?;
    let Some(remote) = WatermarkRemote::origin(&repo, auth) else {
        return Ok(None);
    };
    let head = Oid::from_str(head)?;
    // A plan of a root commit names git's empty tree as its base: nothing before it.
    let base = Oid::from_str(base)
        .ok()
        .filter(|b| repo.find_commit(*b).is_ok());
    let advance = remote.advance(&repo, &note.git_ref, base, head, note.diverged())?;
    Ok(Some(advance.describe(&note.git_ref)))
}

impl Advance {
    /// What happened, for people.
    pub fn describe(&self, git_ref: &str) -> String {
        match self {
            Advance::Moved {
                from: Some(from),
                to,
            } => {
                format!(
                    "moved `{git_ref}` from {} to {}",
                    short_oid(*from),
                    short_oid(*to)
                )
            }
            Advance::Moved { from: None, to } => format!("set `{git_ref}` to {}", short_oid(*to)),
            Advance::AlreadyThere => format!("`{git_ref}` already points at this run's head"),
            Advance::Newer(w) => format!(
                "left `{git_ref}` at {}: another run moved it past this run's head",
                short_oid(*w)
            ),
            Advance::Gap(w) => format!(
                "left `{git_ref}` at {}: this run's `--base` starts after it, so moving it would skip the \
                 commits in between",
                short_oid(*w)
            ),
            Advance::Diverged(w) => format!(
                "left `{git_ref}` at {}: it moved to another history while this run was dispatching",
                short_oid(*w)
            ),
        }
    }
}

/// The token in the variable `var`, offered as GitHub expects; an unset or empty variable is an error that
/// names it.
pub fn token_auth(var: &str) -> Result<GitAuth, WatermarkError> {
    GitAuth::token_from_env(var).ok_or_else(|| WatermarkError::TokenEnvUnset(var.into()))
}

/// The credentials the watermark is read and moved with: the token in `token_env` when one is named (the
/// workflow's own `GITHUB_TOKEN`), else the forge's for the source repository.
pub async fn credentials(
    forge: &crate::forge::Forge,
    source: &crate::repo_name::RepoName,
    token_env: Option<&str>,
) -> Result<GitAuth, WatermarkError> {
    if let Some(var) = token_env {
        return token_auth(var);
    }
    let creds =
        forge
            .git_credentials(source)
            .await
            .map_err(|source_err| WatermarkError::Credentials {
                repo: source.to_string(),
                source: source_err,
            })?;
    Ok(GitAuth::from(creds))
}
