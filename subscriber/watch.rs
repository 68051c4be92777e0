//! `subscriber watch`: polls the upstream branch and runs the same sync as `subscriber apply --latest`
//! when it moved, as a long-running service; one timestamped line per sync and per failure. SIGTERM or
//! SIGINT: the sync in flight is interrupted, the state is written, exit 0 within two seconds.

use std::time::Duration;

use clap::Args;
use ecosync::dispatch::ecosystem::delivery_mode::DeliveryMode;
use ecosync::stop_signal::StopSignal;
use ecosync::sync::SyncOutcome;
use ecosync::watch::WatchEvent;
use ecosync::watch::upstream_watch::{UpstreamEvent, UpstreamWatchSettings};
use ecosync::watch::watch_status::WatchStatus;

use crate::apply::ApplyArgs;
use ecosync_cli::glue::{CliError, CliResult, Exit};
use ecosync_cli::service::{ServiceArgs, stamp};

/// Watch the upstream branch and sync each new head, as a service (the pull model).
#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(flatten)]
    pub service: ServiceArgs,

    #[command(flatten)]
    pub apply: ApplyArgs,
}

/// Runs `watch`.
pub fn run(mut args: WatchArgs) -> CliResult {
    if args.apply.event.is_some() || args.apply.sha.is_some() {
        return Err(CliError::usage(anyhow::anyhow!(
            "`subscriber watch` syncs the upstream branch's head: `--event` and `--sha` do not apply"
        ))
        .hint("drop them; each poll runs what `subscriber apply --latest` would"));
    }
    if let Some(repo) = &args.apply.repropose {
        return Err(CliError::usage(anyhow::anyhow!(
            "`--repropose` is for one run, not for a service that would keep overriding people's rejections"
        ))
        .hint(format!(
            "run `subscriber apply --latest --repropose {repo}` once; the watcher then follows the pull request it opens"
        )));
    }
    args.service.check()?;
    args.apply.latest = true;
    let audit = ecosync_cli::glue::open_audit_log(args.apply.audit_log.as_deref())?;
    let (request, forge_args) = args.apply.request()?;
    let (runtime, status) = args.service.start()?;
    let forge = ecosync_cli::glue::forge_in(&runtime, &forge_args)?;
    let stop = StopSignal::new();
    let service = &args.service;
    let settings = UpstreamWatchSettings {
        state_dir: service.state_dir.clone(),
        interval: service.interval,
        initial_delay: service.initial_delay,
        retry_base: service.retry_delay,
        retry_max: service.retry_max(),
        max_polls: service.max_polls,
        stop: stop.clone(),
        audit,
    };
    eprintln!(
        "{} watching `{}` (`{}`) every {} for `{}`, state in `{}`",
        stamp(),
        request.config.upstream_repo,
        request.config.upstream_branch,
        humantime::format_duration(service.interval),
        request.repo_dir.display(),
        service.state_dir.display()
    );
    let mut started = std::time::Instant::now();
    stop.listen();
    ecosync_cli::service::end_after_stop(&stop);
    let result = runtime.block_on(async {
        ecosync::watch::upstream_watch::watch_upstream(&request, &forge, &settings, |event| {
            match event {
                UpstreamEvent::Quiet => {
                    status.observe(&WatchEvent::Polled { pending: 0 });
                    tracing::debug!("poll: nothing new upstream");
                }
                UpstreamEvent::Moved { from, to } => {
                    started = std::time::Instant::now();
                    match from {
                        Some(f) => eprintln!("{} upstream moved {f}..{to}", stamp()),
                        None => eprintln!("{} upstream at {to}: syncing", stamp()),
                    }
                }
                UpstreamEvent::Synced(done) => {
                    observe_sync(
                        &status,
                        &done.outcome,
                        done.cousin.as_str(),
                        started.elapsed(),
                    );
                    let text = done.outcome.text(&request);
                    let notes = done.notes(&request);
                    for line in text.stdout.lines().chain(text.stderr.lines()) {
                        eprintln!("{} {line}", stamp());
                    }
                    for line in notes {
                        eprintln!("{} {line}", stamp());
                    }
                }
                UpstreamEvent::Retrying { failures, retry_in } => eprintln!(
                    "{} sync failed ({failures} in a row): tried again in {}",
                    stamp(),
                    humantime::format_duration(Duration::from_secs(retry_in.as_secs()))
                ),
                UpstreamEvent::PollFailed { error } => {
                    eprintln!(
                        "{} poll failed: {}; tried again next poll",
                        stamp(),
                        ecosync::escape::line(&error)
                    );
                    status.observe(&WatchEvent::PollFailed {
                        error,
                        retry_in: service.interval,
                    });
                }
                UpstreamEvent::Stopped { signal } => match signal {
                    Some(s) => eprintln!("{} stopped by {s}: state written", stamp()),
                    None => eprintln!("{} stopped: state written", stamp()),
                },
            }
        })
        .await
    });
    // A git call a stop interrupted may still be running on a blocking thread: not waited for.
    runtime.shutdown_background();
    result.map_err(CliError::of)?;
    Ok(Exit::Success)
}

/// A sync as the metrics and the health document see it: a delivery to this repository, or a failure.
fn observe_sync(status: &WatchStatus, outcome: &SyncOutcome, target: &str, took: Duration) {
    let head = outcome
        .upstream_sha()
        .map(|s| s.to_string())
        .unwrap_or_default();
    match outcome {
        SyncOutcome::Failed(_) | SyncOutcome::Conflict(_) | SyncOutcome::Rejected(_) => {
            status.observe(&WatchEvent::Failed {
                repo: target.to_owned(),
                error: outcome.result().to_owned(),
                failures: 1,
                retry_in: Duration::ZERO,
                breaker_open: false,
                duration: took,
                // The sync engine opening a pull request, as in the dispatcher's `pull-request` mode.
                mode: DeliveryMode::PullRequest,
            });
        }
        _ => status.observe(&WatchEvent::Delivered {
            repo: target.to_owned(),
            base: String::new(),
            head,
            paths: match outcome {
                SyncOutcome::Applied(a) => a.change.summary.files.len(),
                _ => 0,
            },
            duration: took,
            mode: DeliveryMode::PullRequest,
        }),
    }
    status.observe(&WatchEvent::Polled { pending: 0 });
}
