//! `subscriber watch`: the pull model for a downstream repository that cannot receive dispatches. Every
//! interval it lists the upstream branch (one ref listing, no fetch) and, when it moved, runs the same sync
//! as `subscriber apply --latest`; the head it synced is kept in the state directory, so a restart does not
//! sync again what was synced. A failed sync is retried after an exponential backoff with jitter. One
//! watcher per state directory (locked); a stop interrupts what it waits on.

use std::time::{Duration, SystemTime};

use git2::Oid;

use crate::audit_log::AuditLog;
use crate::error_kind::{ErrorKind, UserError};
use crate::forge::Forge;
use crate::git::GitAuth;
use crate::repo_name::InferError;
use crate::stop_signal::StopSignal;
use crate::sync::sync_error::SyncError;
use crate::sync::sync_outcome::{Failed, Report};
use crate::sync::verify::event::SyncEvent;
use crate::sync::{SyncOutcome, SyncRequest, SyncRun};
use crate::watch::state_lock::StateLock;
use crate::watch::watch_state::{BranchState, WatchState, WatchStateError};

/// How to watch.
#[derive(Debug)]
pub struct UpstreamWatchSettings {
    /// Where the state is kept.
    pub state_dir: std::path::PathBuf,
    /// Time between polls.
    pub interval: Duration,
    /// Wait this long before the first poll.
    pub initial_delay: Duration,
    /// First retry delay after a failed sync.
    pub retry_base: Duration,
    /// The longest retry delay.
    pub retry_max: Duration,
    /// Stop after this many polls; `None`: until a signal.
    pub max_polls: Option<u64>,
    /// Set by SIGINT or SIGTERM.
    pub stop: StopSignal,
    /// Where each sync's actions are appended (`--audit-log`).
    pub audit: Option<AuditLog>,
}

/// What the watcher did.
#[derive(Debug)]
pub enum UpstreamEvent {
    /// Nothing new upstream.
    Quiet,
    /// The upstream branch is at a head not synced yet.
    Moved {
        /// The head synced before, if any.
        from: Option<Oid>,
        /// The new head.
        to: Oid,
    },
    /// A sync ran (successfully, or with its failure reported as configured).
    Synced(Box<SyncRun>),
    /// The sync failed; it is tried again after `retry_in`.
    Retrying {
        /// Failures in a row.
        failures: u32,
        /// The wait.
        retry_in: Duration,
    },
    /// Listing upstream failed; the next poll tries again.
    PollFailed {
        /// What went wrong.
        error: String,
    },
    /// Stopped, with the state written.
    Stopped {
        /// The signal's name, when one stopped it.
        signal: Option<&'static str>,
    },
}

/// Why the watcher could not run.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamWatchError {
    /// The state could not be read or written.
    #[error(transparent)]
    State(#[from] WatchStateError),
    /// A setting must be fixed (the engine's usage errors).
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// The cousin cannot be named.
    #[error(transparent)]
    Cousin(#[from] InferError),
}

impl UserError for UpstreamWatchError {
    /// As the engine's error says; a state that cannot be read or written failed the run.
    fn kind(&self) -> ErrorKind {
        match self {
            UpstreamWatchError::State(e) => e.kind(),
            UpstreamWatchError::Sync(e) => e.kind(),
            UpstreamWatchError::Cousin(e) => e.kind(),
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            UpstreamWatchError::State(e) => e.hint(),
            UpstreamWatchError::Sync(e) => e.hint(),
            UpstreamWatchError::Cousin(e) => e.hint(),
        }
    }
}

/// Runs until a signal (or `max_polls`).
///
/// The state directory is locked first (a second watcher on it refuses to start), and the state is
/// written before anything else happens and again before each sync, so a directory that cannot be
/// written stops the watcher before it syncs anything it could not record. A stop (SIGTERM, SIGINT)
/// interrupts whatever the watcher waits on; a sync cut off that way is made again at the next start.
pub async fn watch_upstream(
    request: &SyncRequest,
    forge: &Forge,
    settings: &UpstreamWatchSettings,
    mut log: impl FnMut(UpstreamEvent),
) -> Result<(), UpstreamWatchError> {
    let _lock = StateLock::acquire(&settings.state_dir)?;
    let mut state = WatchState::load(&settings.state_dir)?;
    if !request.dry_run {
        state.save(&settings.state_dir)?;
    }
    let stop = &settings.stop;
    let mut failures = 0u32;
    let mut polls = 0;
    let mut wait = settings.initial_delay;
    loop {
        if !crate::watch::watcher::pause(wait, stop).await {
            break;
        }
        let polled = tokio::select! {
            polled = poll(request, forge, settings, &mut state, &mut failures, &mut log) => polled?,
            _ = stop.stopped() => break,
        };
        wait = polled;
        polls += 1;
        if settings.max_polls.is_some_and(|m| polls >= m) || stop.signal().is_some() {
            break;
        }
    }
    if !request.dry_run {
        state.save(&settings.state_dir)?;
    }
    log(UpstreamEvent::Stopped {
        signal: stop.signal().map(StopSignal::name),
    });
    Ok(())
}

/// One poll: lists upstream and, when it moved, syncs; returns the wait before the next poll.
async fn poll(
    request: &SyncRequest,
    forge: &Forge,
    settings: &UpstreamWatchSettings,
    state: &mut WatchState,
    failures: &mut u32,
    log: &mut impl FnMut(UpstreamEvent),
) -> Result<Duration, UpstreamWatchError> {
    let branch = request.config.upstream_branch.clone();
    let head = match upstream_head(request, forge).await {
        Err(error) => {
            log(UpstreamEvent::PollFailed { error });
            return Ok(settings.interval);
        }
        Ok(None) => {
            log(UpstreamEvent::PollFailed {
                error: format!("upstream has no branch `{branch}`"),
            });
            return Ok(settings.interval);
        }
        Ok(Some(head)) => head,
    };
    let recorded = state
        .branches
        .get(&branch)
        .and_then(|b| Oid::from_str(&b.head).ok());
    if recorded == Some(head) {
        log(UpstreamEvent::Quiet);
        return Ok(settings.interval);
    }
    log(UpstreamEvent::Moved {
        from: recorded,
        to: head,
    });
    // Nothing is synced that could not be recorded.
    if !request.dry_run {
        state.save(&settings.state_dir)?;
    }
    let mut run = request.clone();
    run.event = SyncEvent::manual(None);
    run.now = SystemTime::now();
    let done = match crate::sync::run(&run, forge, settings.audit.as_ref()).await {
        Ok(done) => done,
        // A setting to fix stops the service; anything else (the preflight's missing permission) is a
        // failed sync, tried again after a backoff.
        Err(e) if e.kind() == ErrorKind::Usage => return Err(e.into()),
        Err(error) => SyncRun {
            cousin: request.cousin_name()?,
            outcome: SyncOutcome::Failed(Box::new(Failed {
                change: None,
                error,
                report: Report::Nowhere,
            })),
            acknowledged: None,
            rejections_acknowledged: Vec::new(),
            audit_error: None,
        },
    };
    let failed = matches!(
        done.outcome,
        SyncOutcome::Failed(_) | SyncOutcome::Conflict(_) | SyncOutcome::Rejected(_)
    );
    // What was synced is the tip the engine saw, which may be newer than the listing.
    let synced = done.outcome.upstream_sha().unwrap_or(head);
    log(UpstreamEvent::Synced(Box::new(done)));
    if failed {
        *failures += 1;
        let delay = crate::watch::watcher::backoff_delay(
            settings.retry_base,
            settings.retry_max,
            *failures,
        );
        log(UpstreamEvent::Retrying {
            failures: *failures,
            retry_in: delay,
        });
        return Ok(delay);
    }
    *failures = 0;
    if !request.dry_run {
        state.branches.insert(
            branch,
            BranchState {
                head: synced.to_string(),
                ..BranchState::default()
            },
        );
        state.save(&settings.state_dir)?;
    }
    Ok(settings.interval)
}

/// The head of the upstream branch, by one ref listing.
async fn upstream_head(request: &SyncRequest, forge: &Forge) -> Result<Option<Oid>, String> {
    let config = &request.config;
    // A configured URL may point anywhere: the forge's token is never offered to it.
    let (url, auth) = if let Some(url) = &config.upstream_url {
        (url.clone(), GitAuth::default())
    } else {
        let creds = forge
            .git_credentials(&config.upstream_repo)
            .await
            .map_err(|e| crate::error_kind::error_chain(&e))?;
        (forge.git_url(&config.upstream_repo), GitAuth::from(creds))
    };
    let remote_ref = format!("refs/heads/{}", config.upstream_branch);
    // git2 blocks: on a blocking thread, so a stop interrupts the wait for it.
    tokio::task::spawn_blocking(move || {
        let shown = crate::repo_name::redact_userinfo(&url).into_owned();
        let fail = |e: git2::Error| {
            format!(
                "cannot list `{shown}`: {}",
                crate::repo_name::redact_userinfo_in(e.message(), &url)
            )
        };
        let mut remote = git2::Remote::create_detached(url.as_str()).map_err(fail)?;
        remote
            .connect_auth(git2::Direction::Fetch, Some(auth.callbacks(&url)), None)
            .map_err(fail)?;
        let head = crate::git::advertised(&remote, &remote_ref).map_err(fail)?;
        let _ = remote.disconnect();
        Ok(head)
    })
    .await
    .unwrap_or_else(|e| Err(format!("the listing stopped: {e}")))
}
