//! `dispatcher watch`: polls the source clone's `origin` and delivers every push once, as `dispatch` would,
//! with its state in `--state-dir`; prints a banner, then one timestamped line per poll that found
//! something, per delivery and per failure. SIGTERM or SIGINT: the request in flight finishes, the state is
//! written, exit 0.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use clap::builder::BoolishValueParser;
use ecosync::audit_log::AuditEntry;
use ecosync::cli_env::string_or_fallback;
use ecosync::dispatch::stop_signal::StopSignal;
use ecosync::dispatch::{self, DeliverySettings};
use ecosync::sync::repo::GitAuth;
use ecosync::watch::watch_status::WatchStatus;
use ecosync::watch::{WatchEvent, WatchSettings};
use ecosync::{ForgeArgs, RepoName, SourceLocation};

use crate::glue::{CliError, CliResult, Exit};

/// Watch the source repository and deliver every push to the repositories it concerns, as a service.
#[derive(Debug, Args)]
pub struct WatchCommand {
    /// The ecosystem file [default: ecosystem.json at the root of --repo].
    #[arg(long, env = "ECOSYNC_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The source repository's clone, fetched from its `origin`.
    #[arg(long, env = "ECOSYNC_REPO", value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,

    /// Watch this repository instead of `--repo`: cloned bare into `--state-dir` (needs `--config`).
    #[arg(
        long,
        env = "ECOSYNC_SOURCE_URL",
        value_name = "URL",
        conflicts_with = "repo"
    )]
    pub source_url: Option<String>,

    /// Where the watcher keeps what it processed (created if missing).
    #[arg(long, env = "ECOSYNC_STATE_DIR", value_name = "DIR")]
    pub state_dir: PathBuf,

    /// Time between polls.
    #[arg(long, env = "ECOSYNC_INTERVAL", value_name = "DURATION", default_value = "60s", value_parser = humantime::parse_duration)]
    pub interval: Duration,

    /// Wait this long before the first poll.
    #[arg(long, env = "ECOSYNC_INITIAL_DELAY", value_name = "DURATION", default_value = "0s", value_parser = humantime::parse_duration)]
    pub initial_delay: Duration,

    /// For a branch with no recorded head, deliver its head commit's change at start (without it, the
    /// first poll only records the heads).
    #[arg(long, env = "ECOSYNC_STARTUP_SYNC", value_parser = BoolishValueParser::new())]
    pub startup_sync: bool,

    /// Deliver only to target repositories matching this glob (`owner/*`); repeatable.
    #[arg(long, env = "ECOSYNC_ONLY", value_name = "GLOB", value_delimiter = ',')]
    pub only: Vec<String>,

    /// Hold back a target's range until it changes at least N of its paths.
    #[arg(
        long,
        env = "ECOSYNC_MIN_CHANGES",
        value_name = "N",
        default_value_t = 0
    )]
    pub min_changes: usize,

    /// Deliver ranges below `--min-changes` anyway.
    #[arg(long, env = "ECOSYNC_FORCE", value_parser = BoolishValueParser::new())]
    pub force: bool,

    /// Show what would be delivered; send nothing, record nothing.
    #[arg(long, env = "ECOSYNC_DRY_RUN", value_parser = BoolishValueParser::new())]
    pub dry_run: bool,

    /// First retry delay after a failed delivery (doubled for each failure in a row, with jitter).
    #[arg(long, env = "ECOSYNC_RETRY_DELAY", value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration)]
    pub retry_delay: Duration,

    /// The longest retry delay.
    #[arg(long, env = "ECOSYNC_RETRY_MAX_DELAY", value_name = "DURATION", default_value = "15m", value_parser = humantime::parse_duration)]
    pub retry_max_delay: Duration,

    /// Failures in a row after which a target is skipped for `--breaker-cooldown` (circuit open).
    #[arg(
        long,
        env = "ECOSYNC_BREAKER_THRESHOLD",
        value_name = "N",
        default_value_t = 5
    )]
    pub breaker_threshold: u32,

    /// How long an open circuit skips its target before one probe.
    #[arg(long, env = "ECOSYNC_BREAKER_COOLDOWN", value_name = "DURATION", default_value = "30m", value_parser = humantime::parse_duration)]
    pub breaker_cooldown: Duration,

    /// Serve `/metrics` (Prometheus text format) and `/healthz` (JSON) on this address, e.g.
    /// `127.0.0.1:9464`.
    #[arg(long, env = "ECOSYNC_LISTEN", value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,

    /// Append one JSON line per dispatch sent (or failed) to this file.
    #[arg(long, env = "ECOSYNC_AUDIT_LOG", value_name = "FILE")]
    pub audit_log: Option<PathBuf>,

    /// Stop after this many polls [default: run until SIGTERM or SIGINT].
    #[arg(long, env = "ECOSYNC_MAX_POLLS", value_name = "N")]
    pub max_polls: Option<u64>,

    /// The repository the change comes from, carried in every payload [default: `$GITHUB_REPOSITORY`, else
    /// the `origin` remote].
    #[arg(long, env = "ECOSYNC_SOURCE_REPO", value_name = "OWNER/NAME")]
    pub source_repo: Option<String>,

    #[command(flatten)]
    pub forge: ForgeArgs,
}

impl WatchCommand {
    /// Runs the command.
    pub fn run(&self) -> CliResult {
        let location = match &self.source_url {
            Some(url) => {
                let Some(config) = &self.config else {
                    return Err(CliError::usage(anyhow::anyhow!(
                        "`--source-url` needs `--config FILE`: the bare clone has no work tree to find `ecosystem.json` in"
                    )));
                };
                let dir = ecosync::watch::watcher::bare_source(&self.state_dir, url)
                    .map_err(CliError::failed)?;
                SourceLocation {
                    repo_dir: dir,
                    config_path: config.clone(),
                    config_name: config.display().to_string(),
                }
            }
            None => SourceLocation::find(&self.repo, self.config.as_deref()),
        };
        let source = match &string_or_fallback(self.source_repo.clone(), "GITHUB_REPOSITORY") {
            Some(s) => RepoName::parse(s)
                .with_context(|| format!("invalid `--source-repo` `{s}`"))
                .map_err(CliError::usage)?,
            None => ecosync::repo_name::infer_from_origin(&location.repo_dir, "--source-repo")
                .map_err(CliError::usage)?,
        };
        let only = self
            .only
            .iter()
            .map(|g| {
                globset::Glob::new(g)
                    .map(|g| g.compile_matcher())
                    .with_context(|| format!("invalid `--only` glob `{g}`"))
                    .map_err(CliError::usage)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let audit = crate::glue::open_audit_log(self.audit_log.as_deref())?;
        if self.interval.is_zero() {
            return Err(CliError::usage(anyhow::anyhow!(
                "`--interval` must be more than 0s"
            )));
        }
        // Two threads: `/metrics` and `/healthz` answer while a poll waits on git.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let status = WatchStatus::new(self.interval, self.initial_delay);
        if let Some(addr) = self.listen {
            let listener = runtime
                .block_on(ecosync::watch::watch_status::bind(addr))
                .with_context(|| format!("cannot listen on `{addr}`"))
                .map_err(|e| {
                    CliError::usage(e).hint("pick a free address, e.g. `127.0.0.1:9464`")
                })?;
            runtime.spawn(status.clone().serve(listener));
        }
        let forge = if self.dry_run {
            None
        } else {
            let _entered = runtime.enter();
            Some(
                self.forge
                    .build()
                    .context("cannot set up the forge")
                    .map_err(CliError::usage)?,
            )
        };
        // `origin` is read with the forge's credentials for the source (none for the local forge).
        let origin_auth = match &forge {
            Some(f) => runtime
                .block_on(ecosync::dispatch::watermark::credentials(f, &source, None))
                .map_err(CliError::failed)?,
            None => GitAuth::default(),
        };
        let stop = StopSignal::new();
        let settings = WatchSettings {
            repo_dir: location.repo_dir,
            config_path: location.config_path,
            config_name: location.config_name,
            state_dir: self.state_dir.clone(),
            interval: self.interval,
            initial_delay: self.initial_delay,
            startup_sync: self.startup_sync,
            only,
            min_changes: self.min_changes,
            force: self.force,
            dry_run: self.dry_run,
            delivery: DeliverySettings {
                dispatch_id: dispatch::deliver::dispatch_id(&source),
                source_repo: source.clone(),
                concurrency: self.forge.concurrency as usize,
                notify_issue: false,
                stop: stop.clone(),
            },
            retry_base: self.retry_delay,
            retry_max: self.retry_max_delay.max(self.retry_delay),
            breaker_threshold: self.breaker_threshold.max(1),
            breaker_cooldown: self.breaker_cooldown,
            origin_auth,
            max_polls: self.max_polls,
        };
        eprintln!(
            "{} watching `{}` ({}) every {}, state in `{}`{}",
            stamp(),
            settings.repo_dir.display(),
            source,
            humantime::format_duration(self.interval),
            settings.state_dir.display(),
            if self.dry_run { ", dry run" } else { "" }
        );
        if let Some(addr) = self.listen {
            eprintln!("{} serving /metrics and /healthz on http://{addr}", stamp());
        }
        let result = runtime.block_on(async {
            stop.listen();
            ecosync::watch::watch(&settings, forge.as_ref(), |event| {
                status.observe(&event);
                if let Some(log) = &audit {
                    let entry = audit_entry(&event, &settings.delivery.dispatch_id);
                    crate::glue::record_audit(log, &entry.into_iter().collect::<Vec<_>>());
                }
                print_event(event);
            })
            .await
        });
        result.map_err(|e| {
            let hint = match &e {
                ecosync::watch::WatchError::State(s) => Some(s.hint()),
                _ => None,
            };
            let error = CliError::failed(e);
            match hint {
                Some(h) => error.hint(h),
                None => error,
            }
        })?;
        Ok(Exit::Success)
    }
}

/// The audit line of a delivery or a failed one.
fn audit_entry(event: &WatchEvent, dispatch_id: &str) -> Option<AuditEntry> {
    let (repo, head, result, detail) = match event {
        WatchEvent::Delivered { repo, head, .. } => (repo, Some(head.clone()), "ok", None),
        WatchEvent::Failed { repo, error, .. } => (repo, None, "failed", Some(error.clone())),
        _ => return None,
    };
    let mut e = AuditEntry::now("dispatch_sent", repo.clone(), result);
    e.source_commit = head;
    e.dispatch_id = Some(dispatch_id.to_owned());
    e.detail = detail;
    Some(e)
}

/// The current time, UTC, to the second.
fn stamp() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

fn print_event(event: WatchEvent) {
    let line = match event {
        WatchEvent::Quiet => {
            tracing::debug!("poll: nothing new");
            return;
        }
        WatchEvent::Recorded { branch, head } => format!("`{branch}` is at {head}: recorded"),
        WatchEvent::Moved { branch, from, to } => match from {
            Some(f) => format!("`{branch}` moved {f}..{to}"),
            None => format!("`{branch}` at {to}: startup sync"),
        },
        WatchEvent::Delivered {
            repo, base, head, ..
        } => format!("{repo}: delivered {base}..{head}"),
        WatchEvent::Delivering { .. } | WatchEvent::Polled { .. } => return,
        WatchEvent::WouldDeliver { repo, base, head } => {
            format!("{repo}: would deliver {base}..{head} (dry run)")
        }
        WatchEvent::Held { repo, why } => format!("{repo}: held back: {why}"),
        WatchEvent::Waiting {
            repo,
            breaker_open,
            retry_in,
        } => {
            let why = if breaker_open {
                "circuit open"
            } else {
                "backing off"
            };
            tracing::debug!(%repo, "{why}: tried again in {retry_in:?}");
            return;
        }
        WatchEvent::Failed {
            repo,
            error,
            failures,
            retry_in,
            breaker_open,
            ..
        } => format!(
            "{repo}: failed ({failures} in a row): {error}; {} in {}",
            if breaker_open {
                "circuit open, probed again"
            } else {
                "retried"
            },
            humantime::format_duration(Duration::from_secs(retry_in.as_secs()))
        ),
        WatchEvent::PollFailed { error, retry_in } => format!(
            "poll failed: {error}; tried again in {}",
            humantime::format_duration(Duration::from_secs(retry_in.as_secs().max(1)))
        ),
        WatchEvent::Stopped { signal } => match signal {
            Some(s) => format!("stopped by {s}: state written"),
            None => "stopped: state written".to_owned(),
        },
    };
    eprintln!("{} {}", stamp(), ecosync::escape::line(&line));
}
