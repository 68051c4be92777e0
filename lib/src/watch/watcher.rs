//! `Watcher`: `dispatcher watch` as a library call. Every interval it lists `origin`'s branches (one cheap
//! ref listing), fetches only when a watched branch moved, and delivers exactly what `dispatcher dispatch`
//! would for the range from the last processed commit to the new head; then records the new head in the
//! [`WatchState`].
//!
//! A target whose delivery fails stays behind (its own base is kept), is tried again after an exponential
//! backoff with jitter, and after `breaker_threshold` failures in a row is skipped for a cool-down (circuit
//! open) and then probed once (half-open); the targets that succeed move on. So nothing is delivered twice
//! and nothing is lost: a later push to a target that was behind is delivered with its whole range.

use std::collections::BTreeMap;
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
use crate::dispatch::{self, DeliverySettings, DispatchOutcome, DispatchRequest, PlanSource};
use crate::error_kind::{ErrorKind, UserError};
use crate::forge::Forge;
use crate::git::GitAuth;
use crate::watch::watch_state::{BranchState, Pending, WatchState, WatchStateError};
use crate::watch::watched_branches as ecosystem_branches;

/// Everything a watcher needs, checked by the caller.
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
}

impl UserError for WatchError {
    /// As the plan's error says; else failed.
    fn kind(&self) -> ErrorKind {
        match self {
            WatchError::Plan(e) => e.kind(),
            WatchError::Dispatch(e) => e.kind(),
            WatchError::State(_) | WatchError::NoOrigin(_) => ErrorKind::Failed,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            WatchError::State(e) => e.hint(),
            WatchError::Plan(e) => e.hint(),
            WatchError::Dispatch(e) => e.hint(),
            WatchError::NoOrigin(_) => None,
        }
    }
}

/// The bare clone of `url` that `--source-url` watches, in `state_dir/source.git`: made on first use, its
/// `origin` set to `url`.
pub fn bare_source(state_dir: &std::path::Path, url: &str) -> Result<PathBuf, WatchError> {
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
    Ok(path)
}

/// Runs the loop until a signal (or `max_polls`), reporting each step to `log`.
pub async fn watch(
    settings: &WatchSettings,
    forge: Option<&Forge>,
    mut log: impl FnMut(WatchEvent),
) -> Result<(), WatchError> {
    refuse_placeholders(settings, forge)?;
    let mut state = WatchState::load(&settings.state_dir)?;
    let stop = &settings.delivery.stop;
    if !pause(settings.initial_delay, stop).await {
        log(WatchEvent::Stopped {
            signal: stop_name(settings),
        });
        return Ok(());
    }
    let mut polls = 0;
    let mut poll_failures = 0;
    loop {
        let mut wait = settings.interval;
        match poll(settings, forge, &mut state, &mut log).await {
            Ok(()) => {
                poll_failures = 0;
                log(WatchEvent::Polled {
                    pending: state.branches.values().map(|b| b.pending.len()).sum(),
                });
            }
            Err(WatchError::State(e)) => return Err(WatchError::State(e)),
            Err(e) => {
                // A source that cannot be listed or fetched is not hammered: the wait grows.
                poll_failures += 1;
                wait = wait.max(backoff(settings, poll_failures));
                log(WatchEvent::PollFailed {
                    error: crate::error_kind::error_chain(&e),
                    retry_in: wait,
                });
            }
        }
        if !settings.dry_run {
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
    let tick = Duration::from_millis(50);
    let mut left = d;
    while !left.is_zero() {
        if stop.signal().is_some() {
            return false;
        }
        let nap = left.min(tick);
        tokio::time::sleep(nap).await;
        left -= nap;
    }
    stop.signal().is_none()
}

/// Milliseconds since the epoch.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// One poll: list, fetch what moved, deliver, update `state`.
async fn poll(
    settings: &WatchSettings,
    forge: Option<&Forge>,
    state: &mut WatchState,
    log: &mut impl FnMut(WatchEvent),
) -> Result<(), WatchError> {
    let patterns = ecosystem_branches::load(&settings.config_path, &settings.config_name)?;
    let heads = list_and_fetch(settings, state, &patterns)?;
    let mut busy = false;
    for (branch, head) in heads {
        let recorded = state.branches.get(&branch).cloned();
        // Unmoved, a branch needs work only when a failed target is due for its retry (a target held by
        // `--min-changes` waits for the next push).
        let now = now_ms();
        let due = |b: &BranchState| {
            b.pending
                .values()
                .any(|p| p.failures > 0 && p.retry_at_ms <= now)
        };
        let from = match &recorded {
            Some(b) if b.head == head.to_string() && !due(b) => continue,
            Some(b) => Some(b.head.clone()),
            None if settings.startup_sync => None,
            None => {
                state.branches.insert(
                    branch.clone(),
                    BranchState {
                        head: head.to_string(),
                        pending: BTreeMap::new(),
                    },
                );
                log(WatchEvent::Recorded { branch, head });
                busy = true;
                continue;
            }
        };
        busy = true;
        if from.as_deref() != Some(&head.to_string()) {
            log(WatchEvent::Moved {
                branch: branch.clone(),
                from: from.as_deref().and_then(|f| Oid::from_str(f).ok()),
                to: head,
            });
        }
        let mut branch_state = recorded.unwrap_or_default();
        deliver_branch(settings, forge, &branch, from, head, &mut branch_state, log).await?;
        branch_state.head = head.to_string();
        state.branches.insert(branch, branch_state);
    }
    if !busy {
        log(WatchEvent::Quiet);
    }
    Ok(())
}

/// Lists `origin`'s branches and fetches those the configuration watches whose head is not the recorded
/// one; returns the watched branches' heads.
fn list_and_fetch(
    settings: &WatchSettings,
    state: &WatchState,
    patterns: &[Vec<PathPattern>],
) -> Result<Vec<(String, Oid)>, WatchError> {
    let dir = settings.repo_dir.display().to_string();
    let repo = Repository::open(&settings.repo_dir).map_err(|source| PlanError::Repository {
        dir: settings.repo_dir.clone(),
        source,
    })?;
    let git = |source: git2::Error| PlanError::Repository {
        dir: settings.repo_dir.clone(),
        source,
    };
    let mut remote = repo
        .find_remote("origin")
        .map_err(|_| WatchError::NoOrigin(dir))?;
    let url = remote.url().unwrap_or_default().to_owned();
    remote
        .connect_auth(
            git2::Direction::Fetch,
            Some(settings.origin_auth.callbacks(&url)),
            None,
        )
        .map_err(git)?;
    let mut heads = Vec::new();
    for h in remote.list().map_err(git)? {
        if let Some(branch) = h.name().strip_prefix("refs/heads/")
            && ecosystem_branches::watched(patterns, branch)
        {
            heads.push((branch.to_owned(), h.oid()));
        }
    }
    remote.disconnect().map_err(git)?;
    let moved: Vec<String> = heads
        .iter()
        .filter(|(b, oid)| {
            state
                .branches
                .get(b)
                .is_none_or(|s| s.head != oid.to_string())
                || repo.find_commit(*oid).is_err()
        })
        .map(|(b, _)| format!("+refs/heads/{b}:refs/remotes/origin/{b}"))
        .collect();
    if !moved.is_empty() {
        let mut fo = FetchOptions::new();
        fo.remote_callbacks(settings.origin_auth.callbacks(&url));
        fo.download_tags(git2::AutotagOption::None);
        remote.fetch(&moved, Some(&mut fo), None).map_err(git)?;
    }
    Ok(heads)
}

/// Delivers `from..head` of `branch` to every target that needs it, each from its own base.
async fn deliver_branch(
    settings: &WatchSettings,
    forge: Option<&Forge>,
    branch: &str,
    from: Option<String>,
    head: Oid,
    state: &mut BranchState,
    log: &mut impl FnMut(WatchEvent),
) -> Result<(), WatchError> {
    let head_text = head.to_string();
    // Targets behind keep their own base; every other target starts from the branch's recorded head.
    let default_base = from.unwrap_or_else(|| format!("{head_text}~1"));
    let mut bases: Vec<String> = vec![default_base.clone()];
    for p in state.pending.values() {
        if !bases.contains(&p.delivered) {
            bases.push(p.delivered.clone());
        }
    }
    let now = now_ms();
    let mut next_pending = BTreeMap::new();
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
                && state
                    .pending
                    .get(&repo)
                    .is_none_or(|p| p.retry_at_ms <= now)
        });
        for d in &plan.deliveries {
            let repo = d.repo.to_string();
            let pending = state.pending.get(&repo);
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
                    },
                );
                continue;
            }
            if let Some(p) = pending.filter(|p| p.retry_at_ms > now) {
                log(WatchEvent::Waiting {
                    repo: repo.clone(),
                    breaker_open: p.failures >= settings.breaker_threshold,
                    retry_in: Duration::from_millis(p.retry_at_ms - now),
                });
                next_pending.insert(repo, p.clone());
                continue;
            }
            ready.deliveries.push(d.clone());
        }
        if ready.deliveries.is_empty() && ready.flush.is_empty() {
            continue;
        }
        let Some(forge) = forge.filter(|_| !settings.dry_run) else {
            for d in &ready.deliveries {
                log(WatchEvent::WouldDeliver {
                    repo: d.repo.to_string(),
                    base: ready.base.clone(),
                    head: ready.head.clone(),
                });
            }
            continue;
        };
        log(WatchEvent::Delivering {
            count: ready.deliveries.len(),
        });
        let request = DispatchRequest {
            plan: PlanSource::Ready(Box::new(ready.clone())),
            watermark_token_env: None,
            retry_failed: None,
            dry_run: false,
            delivery: settings.delivery.clone(),
        };
        let outcome = dispatch::run(&request, Some(forge), settings.audit.as_ref(), |_| {}).await;
        log(WatchEvent::Delivering { count: 0 });
        // A ready plan, not a dry run: delivered as it is (the other outcomes come of planning or of a dry
        // run).
        let DispatchOutcome::Delivered(run) = outcome.map_err(Box::new)? else {
            continue;
        };
        if let Some(error) = run.audit_error {
            log(WatchEvent::AuditFailed { error });
        }
        let report = run.report;
        for r in &report.repos {
            let repo = r.repo.to_string();
            let duration = Duration::from_millis(r.duration_ms);
            match r.status {
                DeliveryStatus::Delivered => log(WatchEvent::Delivered {
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
                }),
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
                    next_pending.insert(
                        repo,
                        Pending {
                            delivered: base.clone(),
                            failures,
                            retry_at_ms: now + u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                            error,
                        },
                    );
                }
                DeliveryStatus::Skipped => {}
            }
        }
    }
    state.pending = next_pending;
    Ok(())
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
