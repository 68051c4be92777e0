//! `Watcher`: `dispatcher watch` as a library call. Every interval it lists `origin`'s branches (one cheap
//! ref listing), fetches only when a watched branch moved, and delivers exactly what `dispatcher dispatch`
//! would for the range from the last processed commit to the new head.
//!
//! What it processed is kept in the [`WatchState`], written as it goes: the branch's new head with every
//! delivery about to be made (marked queued) before the first one, then each delivery's result as it
//! ends. So a watcher stopped or killed in the middle of a poll makes again, at restart, only the delivery
//! that was in flight, and a state directory that cannot be written stops the watcher before it delivers
//! anything it could not record.
//!
//! A target whose delivery fails stays behind (its own base is kept), is tried again after an exponential
//! backoff with jitter, and after `breaker_threshold` failures in a row is skipped for a cool-down (circuit
//! open) and then probed once (half-open); the targets that succeed move on. So nothing is delivered twice
//! and nothing is lost: a later push to a target that was behind is delivered with its whole range.
//!
//! The watcher and `dispatcher dispatch` share one record of what was delivered: the branch's dispatch
//! watermark on `origin` (`refs/ecosync/dispatched/<branch>`). The watcher starts past it when a dispatch
//! run moved it ahead, and moves it to each head it processed; the per-target state (retries, circuits)
//! stays in the watcher's state file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use git2::{FetchOptions, Oid, Repository};

use crate::audit_log::AuditLog;
use crate::config::placeholder::PlaceholdersLeft;
use crate::dispatch::deliver::delivery_report::DeliveryStatus;
use crate::dispatch::ecosystem::Ecosystem;
use crate::dispatch::ecosystem::delivery_mode::DeliveryMode;
use crate::dispatch::ecosystem::path_pattern::PathPattern;
use crate::dispatch::plan::Plan;
use crate::dispatch::plan::plan_outcome::PlanOutcome;
use crate::dispatch::plan::plan_request::{PlanError, PlanRequest};
use crate::dispatch::plan::watermark;
use crate::dispatch::{
    self, DeliverySettings, DispatchEvent, DispatchOutcome, DispatchRequest, PlanSource,
};
use crate::error_kind::{ErrorKind, UserError};
use crate::forge::Forge;
use crate::git::GitAuth;
use crate::stop_signal::StopSignal;
use crate::watch::state_lock::StateLock;
use crate::watch::watch_state::{BranchState, Pending, WatchState, WatchStateError};
use crate::watch::watched_branches as ecosystem_branches;

/// Everything a watcher needs, checked by the caller.
// Each flag is one independent switch of the command line.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug)]
pub struct WatchSettings {
    /// The source repository's clone, fetched from its `origin`.
    pub repo_dir: PathBuf,
    /// Its `ecosystem.json`.
    pub config_path: PathBuf,
    /// How to name the file in messages.
    pub config_name: String,
    /// Where the state is kept.
    pub state_dir: PathBuf,
    /// Time between polls.
    pub interval: Duration,
    /// Wait this long before the first poll.
    pub initial_delay: Duration,
    /// Without a recorded head, deliver the head commit's own change at start (else only record the head).
    pub startup_sync: bool,
    /// Deliver only to targets whose `owner/name` matches one of these globs (all when empty).
    pub only: Vec<globset::GlobMatcher>,
    /// Hold back a target's range until it changes at least this many of its paths (0: never).
    pub min_changes: usize,
    /// Deliver ranges below `min_changes` anyway.
    pub force: bool,
    /// Show what would be delivered; send nothing, record nothing.
    pub dry_run: bool,
    /// How deliveries are made (source repository, identifier, concurrency, stop signal).
    pub delivery: DeliverySettings,
    /// First retry delay after a failure; doubled for each failure in a row.
    pub retry_base: Duration,
    /// The longest retry delay.
    pub retry_max: Duration,
    /// Failures in a row that open a target's circuit.
    pub breaker_threshold: u32,
    /// How long an open circuit skips its target before one probe.
    pub breaker_cooldown: Duration,
    /// Credentials for fetching `origin`.
    pub origin_auth: GitAuth,
    /// Stop after this many polls (for tests and one-shot use); `None`: until a signal.
    pub max_polls: Option<u64>,
    /// Where each delivery is appended (`--audit-log`).
    pub audit: Option<AuditLog>,
    /// Move each branch's dispatch watermark on `origin` to the head processed, so `dispatcher dispatch`
    /// and the watcher keep one record of what was delivered.
    pub watermark: bool,
}

/// What the watcher did, for the caller to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    /// A poll found nothing new.
    Quiet,
    /// A branch's head was seen for the first time and recorded.
    Recorded {
        /// The branch.
        branch: String,
        /// Its head.
        head: Oid,
    },
    /// A branch moved.
    Moved {
        /// The branch.
        branch: String,
        /// The head processed before (`None` for a startup sync).
        from: Option<Oid>,
        /// The new head.
        to: Oid,
    },
    /// A target received its range.
    Delivered {
        /// The target.
        repo: String,
        /// The range's base.
        base: String,
        /// Its head.
        head: String,
        /// How many of its paths the range changed.
        paths: usize,
        /// How long the delivery took, retries included.
        duration: Duration,
        /// How it was delivered.
        mode: DeliveryMode,
    },
    /// Deliveries in flight (`0` when they are done).
    Delivering {
        /// How many.
        count: usize,
    },
    /// A poll ended; `pending` targets are behind their branch.
    Polled {
        /// Targets waiting for a retry or for more changes.
        pending: usize,
    },
    /// A dry run would deliver this.
    WouldDeliver {
        /// The target.
        repo: String,
        /// The range's base.
        base: String,
        /// Its head.
        head: String,
    },
    /// A target is held back (backoff, open circuit, `--only`, `--min-changes`).
    Held {
        /// The target.
        repo: String,
        /// Why.
        why: String,
    },
    /// A target that failed waits for its retry (backoff) or for its circuit's cool-down.
    Waiting {
        /// The target.
        repo: String,
        /// Whether its circuit is open.
        breaker_open: bool,
        /// Until it is tried again.
        retry_in: Duration,
    },
    /// A target's delivery failed.
    Failed {
        /// The target.
        repo: String,
        /// How it was to be delivered.
        mode: DeliveryMode,
        /// What went wrong.
        error: String,
        /// Failures in a row.
        failures: u32,
        /// When it is tried again.
        retry_in: Duration,
        /// Whether its circuit is now open.
        breaker_open: bool,
        /// How long the attempt took.
        duration: Duration,
    },
    /// A poll failed (listing or fetching `origin`, planning); the next poll tries again.
    PollFailed {
        /// What went wrong.
        error: String,
        /// When the next poll comes.
        retry_in: Duration,
    },
    /// What the watcher did with a branch's dispatch watermark (`refs/ecosync/dispatched/<branch>`): read
    /// it to start past what another run delivered, moved it, or could not move it.
    Watermark {
        /// The branch.
        branch: String,
        /// What happened, for people.
        message: String,
        /// Whether it could not be moved.
        failed: bool,
    },
    /// The audit log could not be appended to (the deliveries were made all the same).
    AuditFailed {
        /// Why.
        error: String,
    },
    /// The watcher stopped (a signal, or `max_polls`), with its state written.
    Stopped {
        /// The signal's name, when one stopped it.
        signal: Option<&'static str>,
    },
}

/// Why the watcher could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The state could not be read or written.
    #[error(transparent)]
    State(#[from] WatchStateError),
    /// The configuration or the clone cannot be used.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A delivery could not start.
    #[error(transparent)]
    Dispatch(#[from] Box<crate::dispatch::DispatchError>),
    /// The clone has no `origin` to watch.
    #[error("`{0}` has no `origin` remote to watch")]
    NoOrigin(String),
    /// `origin` could not be listed or fetched.
    #[error("cannot {action} `origin` (`{url}`): {message}")]
    Origin {
        /// `list` or `fetch`.
        action: &'static str,
        /// `origin`'s URL, without credentials.
        url: String,
        /// What went wrong.
        message: String,
    },
}

impl UserError for WatchError {
    /// As the plan's error says; else failed.
    fn kind(&self) -> ErrorKind {
        match self {
            WatchError::Plan(e) => e.kind(),
            WatchError::Dispatch(e) => e.kind(),
            WatchError::State(_) | WatchError::NoOrigin(_) | WatchError::Origin { .. } => {
                ErrorKind::Failed
            }
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            WatchError::State(e) => e.hint(),
            WatchError::Plan(e) => e.hint(),
            WatchError::Dispatch(e) => e.hint(),
            WatchError::NoOrigin(_) => None,
            WatchError::Origin { .. } => Some(
                "the next poll tries again; check the URL, the network and the credentials for the \
                 source (`--request-timeout` and `--git-low-speed-limit` bound each transfer)"
                    .to_owned(),
            ),
        }
    }
}

/// The bare clone of `url` that `--source-url` watches, in `state_dir/source.git`: made on first use, its
/// `origin` set to `url` without any user name and password in it (a clone made before is cleaned of
/// them). Returns the clone and those credentials, which are only ever handed to git through its
/// credentials callback, never written to disk.
pub fn bare_source(
    state_dir: &std::path::Path,
    url: &str,
) -> Result<(PathBuf, Option<GitAuth>), WatchError> {
    let (url, credentials) = crate::git::git_https::split_credentials(url);
    let url = url.as_str();
    let path = state_dir.join("source.git");
    let failed = |source: git2::Error| {
        WatchError::Plan(PlanError::Repository {
            dir: path.clone(),
            source,
        })
    };
    std::fs::create_dir_all(state_dir).map_err(|source| {
        WatchError::State(WatchStateError::Io {
            what: "create the state directory",
            path: state_dir.to_path_buf(),
            source,
        })
    })?;
    let repo = match Repository::open_bare(&path) {
        Ok(r) => r,
        Err(_) => Repository::init_bare(&path).map_err(failed)?,
    };
    if repo.find_remote("origin").is_ok() {
        repo.remote_set_url("origin", url).map_err(failed)?;
    } else {
        repo.remote("origin", url).map_err(failed)?;
    }
    // A fetch writes `origin`'s URL into FETCH_HEAD: one from a URL with a password goes too.
    let _ = std::fs::remove_file(path.join("FETCH_HEAD"));
    let auth = credentials.map(|(u, p)| GitAuth {
        userpass: Some((u, p)),
    });
    Ok((path, auth))
}

/// Runs the loop until a signal (or `max_polls`), reporting each step to `log`.
///
/// The state directory is locked first (a second watcher on it refuses to start), and the state is
/// written once before anything else happens, so a directory that cannot be written stops the watcher
/// before it delivers anything. A stop (SIGTERM, SIGINT) interrupts whatever the watcher waits on, a
/// request in flight included; the state, written as each delivery ended, is written once more.
pub async fn watch(
    settings: &WatchSettings,
    forge: Option<&Forge>,
    mut log: impl FnMut(WatchEvent),
) -> Result<(), WatchError> {
    refuse_placeholders(settings, forge)?;
    let _lock = StateLock::acquire(&settings.state_dir)?;
    let mut state = WatchState::load(&settings.state_dir)?;
    let saving = !settings.dry_run;
    if saving {
        state.save(&settings.state_dir)?;
    }
    let stop = &settings.delivery.stop;
    if !pause(settings.initial_delay, stop).await {
        log(WatchEvent::Stopped {
            signal: stop_name(settings),
        });
        return Ok(());
    }
    let mut polls = 0;
    let mut poll_failures = 0;
    // The heads whose watermark could not be moved: tried again when the branch moves, said once.
    let mut unmovable = BTreeMap::new();
    loop {
        let mut wait = settings.interval;
        let polled = tokio::select! {
            polled = poll(settings, forge, &mut state, &mut unmovable, &mut log) => Some(polled),
            _ = stop.stopped() => None,
        };
        match polled {
            None => {
                if saving {
                    state.save(&settings.state_dir)?;
                }
                log(WatchEvent::Stopped {
                    signal: stop_name(settings),
                });
                return Ok(());
            }
            Some(Ok(())) => {
                poll_failures = 0;
                log(WatchEvent::Polled {
                    pending: state.branches.values().map(|b| b.pending.len()).sum(),
                });
            }
            Some(Err(WatchError::State(e))) => return Err(WatchError::State(e)),
            Some(Err(e)) => {
                // A source that cannot be listed or fetched is not hammered: the wait grows.
                poll_failures += 1;
                wait = wait.max(backoff(settings, poll_failures));
                log(WatchEvent::PollFailed {
                    error: crate::error_kind::error_chain(&e),
                    retry_in: wait,
                });
            }
        }
        if saving {
            state.save(&settings.state_dir)?;
        }
        polls += 1;
        let done = settings.max_polls.is_some_and(|m| polls >= m);
        if done || stop.signal().is_some() || !pause(wait, stop).await {
            log(WatchEvent::Stopped {
                signal: stop_name(settings),
            });
            return Ok(());
        }
    }
}

/// Refuses, before the first poll, an `ecosystem.json` that still names placeholder repositories when the
/// deliveries would go to GitHub (as `dispatch` does for each run). A configuration that cannot be read is
/// left to the polls, which report it and try again.
fn refuse_placeholders(settings: &WatchSettings, forge: Option<&Forge>) -> Result<(), WatchError> {
    if settings.dry_run || forge.is_none_or(Forge::is_local) {
        return Ok(());
    }
    let Ok((ecosystem, _)) = Ecosystem::load(&settings.config_path, &settings.config_name) else {
        return Ok(());
    };
    let entries = ecosystem.placeholder_entries();
    if entries.is_empty() {
        return Ok(());
    }
    let left = PlaceholdersLeft::in_ecosystem(ecosystem.file(), entries);
    Err(WatchError::Dispatch(Box::new(left.into())))
}

fn stop_name(settings: &WatchSettings) -> Option<&'static str> {
    settings
        .delivery
        .stop
        .signal()
        .map(crate::stop_signal::StopSignal::name)
}

/// Sleeps `d`, waking early for a stop; false when stopped.
pub(crate) async fn pause(d: Duration, stop: &crate::stop_signal::StopSignal) -> bool {
    tokio::select! {
        () = tokio::time::sleep(d) => stop.signal().is_none(),
        _ = stop.stopped() => false,
    }
}

/// Milliseconds since the epoch.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// One poll: list, fetch what moved, deliver, update `state` (written as each delivery ends), and move
/// each processed branch's dispatch watermark.
async fn poll(
    settings: &WatchSettings,
    forge: Option<&Forge>,
    state: &mut WatchState,
    unmovable: &mut BTreeMap<String, Oid>,
    log: &mut impl FnMut(WatchEvent),
) -> Result<(), WatchError> {
    let patterns = ecosystem_branches::load(&settings.config_path, &settings.config_name)?;
    let listed = list_and_fetch(settings, state, patterns).await?;
    let repo = Repository::open(&settings.repo_dir).map_err(|source| PlanError::Repository {
        dir: settings.repo_dir.clone(),
        source,
    })?;
    let mut busy = false;
    // The branches whose watermark should be where the state says they were processed up to.
    let mut processed = Vec::new();
    for (branch, head) in listed.heads {
        let watermark = listed.watermarks.get(&branch).copied();
        let recorded = state.branches.get(&branch).cloned();
        // Unmoved, a branch needs work only when a target is due: one recorded before its delivery and
        // not delivered yet (the watcher stopped), or a failed one due for its retry (a target held by
        // `--min-changes` waits for the next push).
        let now = now_ms();
        let due = |b: &BranchState| {
            b.pending
                .values()
                .any(|p| p.queued || (p.failures > 0 && p.retry_at_ms <= now))
        };
        let from = match &recorded {
            Some(b) if b.head == head.to_string() && !due(b) => {
                if watermark != Some(head) {
                    processed.push((branch, head));
                }
                continue;
            }
            Some(b) => match dispatched_since(&repo, &b.head, watermark, head) {
                Some(w) => {
                    log(WatchEvent::Watermark {
                        branch: branch.clone(),
                        message: format!(
                            "`{}` is at {w}: delivered up to it by another run",
                            watermark::ref_name(&branch, None)
                        ),
                        failed: false,
                    });
                    Some(w.to_string())
                }
                None => Some(b.head.clone()),
            },
            None => match watermark.filter(|w| *w == head || is_ancestor(&repo, *w, head)) {
                // Dispatched before this watcher started: it goes on from there.
                Some(w) => {
                    let what = if w == head {
                        "delivered up to the head by another run"
                    } else {
                        "delivering what came after it"
                    };
                    log(WatchEvent::Watermark {
                        branch: branch.clone(),
                        message: format!(
                            "`{}` is at {w}: {what}",
                            watermark::ref_name(&branch, None)
                        ),
                        failed: false,
                    });
                    Some(w.to_string())
                }
                None if settings.startup_sync => None,
                None => {
                    state.branches.insert(
                        branch.clone(),
                        BranchState {
                            head: head.to_string(),
                            pending: BTreeMap::new(),
                        },
                    );
                    log(WatchEvent::Recorded {
                        branch: branch.clone(),
                        head,
                    });
                    busy = true;
                    processed.push((branch, head));
                    continue;
                }
            },
        };
        busy = true;
        if from.as_deref() != Some(&head.to_string()) {
            log(WatchEvent::Moved {
                branch: branch.clone(),
                from: from.as_deref().and_then(|f| Oid::from_str(f).ok()),
                to: head,
            });
        }
        deliver_branch(settings, forge, &branch, from, head, state, log).await?;
        processed.push((branch, head));
    }
    if !busy {
        log(WatchEvent::Quiet);
    }
    processed.retain(|(branch, head)| unmovable.get(branch) != Some(head));
    move_watermarks(settings, forge, state, processed, unmovable, log).await;
    Ok(())
}

/// The watermark `watermark`, when another run (`dispatcher dispatch`) moved it past the head this watcher
/// processed (`recorded`) towards `head`: the targets that are not behind start from there.
fn dispatched_since(
    repo: &Repository,
    recorded: &str,
    watermark: Option<Oid>,
    head: Oid,
) -> Option<Oid> {
    let w = watermark?;
    let r = Oid::from_str(recorded).ok()?;
    (w != r && is_ancestor(repo, r, w) && (w == head || is_ancestor(repo, w, head))).then_some(w)
}

/// Whether `a` is an ancestor of `b` (both known to the clone).
fn is_ancestor(repo: &Repository, a: Oid, b: Oid) -> bool {
    repo.graph_descendant_of(b, a).unwrap_or(false)
}

/// Moves the dispatch watermark of each `processed` branch to the head the state records for it, so a
/// `dispatcher dispatch` run after this watcher starts where it ended. Not in a dry run (nor without a
/// forge), not with `--only` (the other targets were not delivered), not with `--no-watermark`; a failure
/// is said once, and tried again when the branch moves.
async fn move_watermarks(
    settings: &WatchSettings,
    forge: Option<&Forge>,
    state: &WatchState,
    processed: Vec<(String, Oid)>,
    unmovable: &mut BTreeMap<String, Oid>,
    log: &mut impl FnMut(WatchEvent),
) {
    if settings.dry_run || !settings.watermark || !settings.only.is_empty() || forge.is_none() {
        return;
    }
    for (branch, head) in processed {
        // Only once every target is at the head (none recorded as not delivered yet).
        let ready = state
            .branches
            .get(&branch)
            .is_some_and(|b| b.head == head.to_string() && b.pending.values().all(|p| !p.queued));
        if !ready {
            continue;
        }
        let repo_dir = settings.repo_dir.clone();
        let auth = settings.origin_auth.clone();
        let name = watermark::ref_name(&branch, None);
        let moved = tokio::task::spawn_blocking(move || {
            let repo = Repository::open(&repo_dir)?;
            let Some(remote) = watermark::WatermarkRemote::origin(&repo, auth) else {
                return Ok(None);
            };
            // The watcher's state is the record of what it delivered: after a force push the watermark
            // follows the branch.
            let advance = remote.advance(&repo, &name, None, head, true)?;
            Ok::<_, watermark::WatermarkError>(Some(advance.describe(&name)))
        })
        .await;
        match moved {
            Ok(Ok(Some(message))) => log(WatchEvent::Watermark {
                branch,
                message,
                failed: false,
            }),
            Ok(Ok(None)) => {}
            Ok(Err(e)) => {
                unmovable.insert(branch.clone(), head);
                log(WatchEvent::Watermark {
                    branch,
                    message: crate::error_kind::error_chain(&e),
                    failed: true,
                });
            }
            Err(e) => {
                unmovable.insert(branch.clone(), head);
                log(WatchEvent::Watermark {
                    branch,
                    message: format!("the watermark was not moved: {e}"),
                    failed: true,
                });
            }
        }
    }
}

/// What one listing of `origin` found.
struct Listed {
    /// The watched branches' heads.
    heads: Vec<(String, Oid)>,
    /// Their dispatch watermarks, where there are.
    watermarks: BTreeMap<String, Oid>,
}

/// Lists `origin`'s branches and fetches those the configuration watches whose head is not the recorded
/// one (and their watermarks, when not in the clone); returns the watched branches' heads and watermarks.
/// On a blocking thread: a stop interrupts the wait for it.
async fn list_and_fetch(
    settings: &WatchSettings,
    state: &WatchState,
    patterns: Vec<Vec<PathPattern>>,
) -> Result<Listed, WatchError> {
    let repo_dir = settings.repo_dir.clone();
    let auth = settings.origin_auth.clone();
    let recorded: BTreeMap<String, String> = state
        .branches
        .iter()
        .map(|(b, s)| (b.clone(), s.head.clone()))
        .collect();
    tokio::task::spawn_blocking(move || list_and_fetch_now(&repo_dir, &auth, &recorded, &patterns))
        .await
        .unwrap_or_else(|e| {
            Err(WatchError::Plan(PlanError::Repository {
                dir: settings.repo_dir.clone(),
                source: git2::Error::from_str(&format!("the listing stopped: {e}")),
            }))
        })
}

fn list_and_fetch_now(
    repo_dir: &std::path::Path,
    auth: &GitAuth,
    recorded: &BTreeMap<String, String>,
    patterns: &[Vec<PathPattern>],
) -> Result<Listed, WatchError> {
    let dir = repo_dir.display().to_string();
    let git = |source: git2::Error| PlanError::Repository {
        dir: repo_dir.to_path_buf(),
        source,
    };
    let repo = Repository::open(repo_dir).map_err(git)?;
    let mut remote = repo
        .find_remote("origin")
        .map_err(|_| WatchError::NoOrigin(dir))?;
    let url = remote.url().unwrap_or_default().to_owned();
    let failed = |action: &'static str| {
        let url = url.clone();
        move |e: git2::Error| WatchError::Origin {
            action,
            url: crate::repo_name::redact_userinfo(&url).into_owned(),
            message: crate::repo_name::redact_userinfo_in(e.message(), &url).into_owned(),
        }
    };
    remote
        .connect_auth(git2::Direction::Fetch, Some(auth.callbacks(&url)), None)
        .map_err(failed("list"))?;
    let mut heads = Vec::new();
    let mut watermarks = BTreeMap::new();
    for h in remote.list().map_err(failed("list"))? {
        if let Some(branch) = h.name().strip_prefix("refs/heads/")
            && ecosystem_branches::watched(patterns, branch)
        {
            heads.push((branch.to_owned(), h.oid()));
        } else if let Some(branch) = h.name().strip_prefix(watermark::REF_PREFIX) {
            watermarks.insert(branch.to_owned(), h.oid());
        }
    }
    remote.disconnect().map_err(failed("list"))?;
    watermarks.retain(|b, _| heads.iter().any(|(h, _)| h == b));
    let mut wanted: Vec<String> = heads
        .iter()
        .filter(|(b, oid)| {
            recorded.get(b).is_none_or(|h| *h != oid.to_string()) || repo.find_commit(*oid).is_err()
        })
        .map(|(b, _)| format!("+refs/heads/{b}:refs/remotes/origin/{b}"))
        .collect();
    wanted.extend(
        watermarks
            .iter()
            .filter(|(_, oid)| repo.find_commit(**oid).is_err())
            .map(|(b, _)| {
                let name = watermark::ref_name(b, None);
                format!("+{name}:{name}")
            }),
    );
    if !wanted.is_empty() {
        let mut fo = FetchOptions::new();
        fo.remote_callbacks(auth.callbacks(&url));
        fo.download_tags(git2::AutotagOption::None);
        fo.update_fetchhead(false);
        remote
            .fetch(&wanted, Some(&mut fo), None)
            .map_err(failed("fetch"))?;
    }
    // A watermark the clone still does not have cannot be compared with anything: it is left alone.
    watermarks.retain(|_, oid| repo.find_commit(*oid).is_ok());
    Ok(Listed { heads, watermarks })
}

/// Delivers `from..head` of `branch` to every target that needs it, each from its own base. Every target
/// about to be delivered is recorded (as queued) with the branch's new head before the first delivery,
/// and each delivery's result as it ends: a watcher stopped or killed in the middle makes again only the
/// delivery that was in flight.
async fn deliver_branch(
    settings: &WatchSettings,
    forge: Option<&Forge>,
    branch: &str,
    from: Option<String>,
    head: Oid,
    state: &mut WatchState,
    log: &mut impl FnMut(WatchEvent),
) -> Result<(), WatchError> {
    let head_text = head.to_string();
    // Targets behind keep their own base; every other target starts from the branch's recorded head.
    let default_base = from.unwrap_or_else(|| format!("{head_text}~1"));
    let before = state.branches.get(branch).cloned().unwrap_or_default();
    let mut bases: Vec<String> = vec![default_base.clone()];
    for p in before.pending.values() {
        if !bases.contains(&p.delivered) {
            bases.push(p.delivered.clone());
        }
    }
    let now = now_ms();
    let mut next_pending = BTreeMap::new();
    let mut runs = Vec::new();
    for base in bases {
        let Some(plan) = plan(settings, &base, &head_text, branch)? else {
            continue;
        };
        // The targets whose range this base is.
        let mut ready = plan.clone();
        ready.deliveries.clear();
        // The buffered pull requests this push does not concern are looked at once a poll (with the
        // branch's own base), for the targets `--only` names and whose circuit is closed.
        ready.flush.retain(|d| {
            let repo = d.repo.to_string();
            base == default_base
                && (settings.only.is_empty() || settings.only.iter().any(|g| g.is_match(&repo)))
                && before
                    .pending
                    .get(&repo)
                    .is_none_or(|p| p.queued || p.retry_at_ms <= now)
        });
        for d in &plan.deliveries {
            let repo = d.repo.to_string();
            let pending = before.pending.get(&repo);
            let mine = pending.map_or(base == default_base, |p| p.delivered == base);
            if !mine {
                continue;
            }
            if !settings.only.is_empty() && !settings.only.iter().any(|g| g.is_match(&repo)) {
                log(WatchEvent::Held {
                    repo,
                    why: "not matched by `--only`".into(),
                });
                continue;
            }
            if d.paths.len() < settings.min_changes && !settings.force {
                log(WatchEvent::Held {
                    why: format!(
                        "{} changed path(s), fewer than `--min-changes {}`; kept for the next push",
                        d.paths.len(),
                        settings.min_changes
                    ),
                    repo: repo.clone(),
                });
                next_pending.insert(
                    repo,
                    Pending {
                        delivered: base.clone(),
                        failures: 0,
                        retry_at_ms: 0,
                        error: String::new(),
                        queued: false,
                    },
                );
                continue;
            }
            if let Some(p) = pending.filter(|p| !p.queued && p.retry_at_ms > now) {
                log(WatchEvent::Waiting {
                    repo: repo.clone(),
                    breaker_open: p.failures >= settings.breaker_threshold,
                    retry_in: Duration::from_millis(p.retry_at_ms - now),
                });
                next_pending.insert(repo, p.clone());
                continue;
            }
            // Recorded before it is made.
            next_pending.insert(
                repo,
                Pending {
                    delivered: base.clone(),
                    queued: true,
                    ..pending.cloned().unwrap_or(Pending {
                        delivered: base.clone(),
                        failures: 0,
                        retry_at_ms: 0,
                        error: String::new(),
                        queued: true,
                    })
                },
            );
            ready.deliveries.push(d.clone());
        }
        if !(ready.deliveries.is_empty() && ready.flush.is_empty()) {
            runs.push((base, ready));
        }
    }
    let Some(forge) = forge.filter(|_| !settings.dry_run) else {
        for (_, ready) in &runs {
            for d in &ready.deliveries {
                log(WatchEvent::WouldDeliver {
                    repo: d.repo.to_string(),
                    base: ready.base.clone(),
                    head: ready.head.clone(),
                });
            }
        }
        // Nothing was delivered: the targets about to be stay as they were.
        next_pending.retain(|_, p| !p.queued);
        for (repo, p) in &before.pending {
            next_pending
                .entry(repo.clone())
                .or_insert_with(|| p.clone());
        }
        state.branches.insert(
            branch.to_owned(),
            BranchState {
                head: head_text,
                pending: next_pending,
            },
        );
        return Ok(());
    };
    // The branch's new head and every delivery about to be made, written before the first one: a state
    // that cannot be written stops the watcher here, before it delivers anything it could not record.
    state.branches.insert(
        branch.to_owned(),
        BranchState {
            head: head_text.clone(),
            pending: next_pending,
        },
    );
    state.save(&settings.state_dir)?;
    for (base, ready) in runs {
        log(WatchEvent::Delivering {
            count: ready.deliveries.len(),
        });
        // A state that cannot be written halts the deliveries not started yet.
        let halt = StopSignal::new();
        let mut delivery = settings.delivery.clone();
        delivery.stop = halt.clone();
        let request = DispatchRequest {
            plan: PlanSource::Ready(Box::new(ready.clone())),
            watermark_token_env: None,
            retry_failed: None,
            dry_run: false,
            delivery,
        };
        let mut recorded = BTreeSet::new();
        let mut save_error = None;
        let outcome = dispatch::run(&request, Some(forge), settings.audit.as_ref(), |event| {
            let DispatchEvent::Delivered { result, .. } = event else {
                return;
            };
            let branch_state = state.branches.entry(branch.to_owned()).or_default();
            record(settings, branch_state, &base, &ready, &result, now, log);
            recorded.insert(result.repo.to_string());
            if save_error.is_none()
                && let Err(e) = state.save(&settings.state_dir)
            {
                save_error = Some(e);
                halt.stop(15);
            }
        })
        .await;
        log(WatchEvent::Delivering { count: 0 });
        if let Some(e) = save_error {
            return Err(e.into());
        }
        // A ready plan, not a dry run: delivered as it is (the other outcomes come of planning or of a dry
        // run).
        let DispatchOutcome::Delivered(run) = outcome.map_err(Box::new)? else {
            continue;
        };
        if let Some(error) = run.audit_error {
            log(WatchEvent::AuditFailed { error });
        }
        // What was not reported as it ended (refused, skipped) is recorded now.
        let branch_state = state.branches.entry(branch.to_owned()).or_default();
        for r in &run.report.repos {
            if !recorded.contains(&r.repo.to_string()) {
                record(settings, branch_state, &base, &ready, r, now, log);
            }
        }
        state.save(&settings.state_dir)?;
    }
    Ok(())
}

/// Records what became of one target's delivery of `base..` in its branch's state: delivered (no longer
/// behind) or failed (behind, retried after a backoff or once its circuit's cool-down is over).
fn record(
    settings: &WatchSettings,
    state: &mut BranchState,
    base: &str,
    ready: &Plan,
    r: &crate::dispatch::deliver::delivery_report::RepoResult,
    now: u64,
    log: &mut impl FnMut(WatchEvent),
) {
    let repo = r.repo.to_string();
    let duration = Duration::from_millis(r.duration_ms);
    match r.status {
        DeliveryStatus::Delivered => {
            state.pending.remove(&repo);
            log(WatchEvent::Delivered {
                paths: ready
                    .deliveries
                    .iter()
                    .find(|d| d.repo == r.repo)
                    .map_or(0, |d| d.paths.len()),
                repo,
                base: ready.base.clone(),
                head: ready.head.clone(),
                duration,
                mode: r.mode,
            });
        }
        DeliveryStatus::Failed | DeliveryStatus::Unsent => {
            let failures = state.pending.get(&repo).map_or(0, |p| p.failures) + 1;
            let open = failures >= settings.breaker_threshold;
            let wait = if open {
                settings.breaker_cooldown
            } else {
                backoff(settings, failures)
            };
            let error = r.error.clone().unwrap_or_else(|| "not sent".into());
            log(WatchEvent::Failed {
                repo: repo.clone(),
                mode: r.mode,
                error: error.clone(),
                failures,
                retry_in: wait,
                breaker_open: open,
                duration,
            });
            state.pending.insert(
                repo,
                Pending {
                    delivered: base.to_owned(),
                    failures,
                    retry_at_ms: now + u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    error,
                    queued: false,
                },
            );
        }
        DeliveryStatus::Skipped => {
            state.pending.remove(&repo);
        }
    }
}

/// Exponential backoff with ±25% jitter, bounded by `retry_max`.
fn backoff(settings: &WatchSettings, failures: u32) -> Duration {
    backoff_delay(settings.retry_base, settings.retry_max, failures)
}

/// `base` doubled for each failure in a row after the first, at most `max`, with ±25% jitter.
pub(crate) fn backoff_delay(base: Duration, max: Duration, failures: u32) -> Duration {
    let exp = base
        .saturating_mul(1 << failures.saturating_sub(1).min(20))
        .min(max);
    exp.mul_f64(0.75 + fastrand::f64() * 0.5)
}

/// The plan for `base..head` on `branch`, or `None` when the branch was deleted.
fn plan(
    settings: &WatchSettings,
    base: &str,
    head: &str,
    branch: &str,
) -> Result<Option<Plan>, WatchError> {
    let request = PlanRequest {
        repo_dir: settings.repo_dir.clone(),
        config_path: settings.config_path.clone(),
        config_name: settings.config_name.clone(),
        base: Some(base.to_owned()),
        head: Some(head.to_owned()),
        git_ref: Some(branch.to_owned()),
        event: None,
        watermark: None,
        shard: None,
    };
    Ok(match request.run()?.0 {
        PlanOutcome::Planned(p) => Some(p),
        PlanOutcome::BranchDeleted { .. } | PlanOutcome::AlreadyDispatched { .. } => None,
    })
}
