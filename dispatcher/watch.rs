//! `dispatcher watch`: polls the source clone's `origin` and delivers every push once, as `dispatch` would,
//! with its state in `--state-dir`; prints a banner, then one timestamped line per poll that found
//! something, per delivery and per failure. SIGTERM or SIGINT: the request in flight is interrupted, the
//! state (written as each delivery ended) is written, exit 0 within two seconds.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use clap::builder::BoolishValueParser;
use ecosync::SourceLocation;
use ecosync::dispatch::{self, DeliverySettings};
use ecosync::git::GitAuth;
use ecosync::stop_signal::StopSignal;
use ecosync::watch::state_lock::StateLock;
use ecosync::watch::{WatchEvent, WatchSettings};

use ecosync_cli::forge_args::ForgeArgs;
use ecosync_cli::glue::{CliError, CliResult, Exit};
use ecosync_cli::service::{ServiceArgs, stamp};

/// Watch the source repository and deliver every push to the repositories it concerns, as a service.
// Each flag is one independent switch of the command line, as clap wants them.
#[allow(clippy::struct_excessive_bools)]
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

    /// Set a `pending` commit status on the source commit for each target before its dispatch, for the
    /// subscriber to settle (as `dispatch --ack`).
    #[arg(long, env = "ECOSYNC_ACK", value_parser = BoolishValueParser::new())]
    pub ack: bool,

    /// On failures, open one issue in the source repository listing them (or comment on the open one), as
    /// `dispatch --notify-issue`.
    #[arg(long, env = "ECOSYNC_NOTIFY_ISSUE", value_parser = BoolishValueParser::new())]
    pub notify_issue: bool,

    /// Leave the branches' dispatch watermarks alone (`refs/ecosync/dispatched/<branch>` on `origin`, which
    /// `dispatcher dispatch` reads and moves too).
    #[arg(long, env = "ECOSYNC_NO_WATERMARK", value_parser = BoolishValueParser::new())]
    pub no_watermark: bool,

    /// Append one JSON line per dispatch sent (or failed) to this file.
    #[arg(long, env = "ECOSYNC_AUDIT_LOG", value_name = "FILE")]
    pub audit_log: Option<PathBuf>,

    /// The repository the change comes from, carried in every payload [default: `$GITHUB_REPOSITORY`, else
    /// the `origin` remote].
    #[arg(long, env = "ECOSYNC_SOURCE_REPO", value_name = "OWNER/NAME")]
    pub source_repo: Option<String>,

    #[command(flatten)]
    pub service: ServiceArgs,

    #[command(flatten)]
    pub forge: ForgeArgs,

    #[command(flatten)]
    pub direct: crate::direct::DirectArgs,
}

impl WatchCommand {
    /// Runs the command.
    pub fn run(&self) -> CliResult {
        // One watcher per state directory, locked before anything in it is touched.
        let _lock = StateLock::acquire(&self.service.state_dir).map_err(CliError::of)?;
        let mut url_auth = None;
        let location = match &self.source_url {
            Some(url) => {
                let Some(config) = &self.config else {
                    return Err(CliError::usage(anyhow::anyhow!(
                        "`--source-url` needs `--config FILE`: the bare clone has no work tree to find `ecosystem.json` in"
                    )));
                };
                let (dir, auth) =
                    ecosync::watch::watcher::bare_source(&self.service.state_dir, url)
                        .map_err(CliError::of)?;
                url_auth = auth;
                SourceLocation {
                    repo_dir: dir,
                    config_path: config.clone(),
                    config_name: config.display().to_string(),
                }
            }
            None => SourceLocation::find(&self.repo, self.config.as_deref()),
        };
        let source = crate::source_repo::source_repo(self.source_repo.clone(), &location.repo_dir)?;
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
        let audit = ecosync_cli::glue::open_audit_log(self.audit_log.as_deref())?;
        self.service.check()?;
        let (runtime, status) = self.service.start()?;
        let forge = if self.dry_run {
            None
        } else {
            Some(ecosync_cli::glue::forge_in(&runtime, &self.forge)?)
        };
        // git over https waits as the forge's settings say, in a dry run too.
        ecosync::git::git_https::set_timeouts(self.forge.settings().git_timeouts());
        // `origin` is read with the credentials in `--source-url`, else the forge's for the source (none
        // for the local forge).
        let origin_auth = match (&forge, url_auth) {
            (_, Some(auth)) => auth,
            (Some(f), None) => runtime
                .block_on(ecosync::dispatch::plan::watermark::credentials(
                    f, &source, None,
                ))
                .map_err(CliError::of)?,
            (None, None) => GitAuth::default(),
        };
        let stop = StopSignal::new();
        let direct = self.direct.settings(&location.repo_dir, &self.forge);
        let settings = WatchSettings {
            repo_dir: location.repo_dir,
            config_path: location.config_path,
            config_name: location.config_name,
            state_dir: self.service.state_dir.clone(),
            interval: self.service.interval,
            initial_delay: self.service.initial_delay,
            startup_sync: self.startup_sync,
            only,
            min_changes: self.min_changes,
            force: self.force,
            dry_run: self.dry_run,
            delivery: DeliverySettings {
                dispatch_id: dispatch::deliver::dispatch_id(&source),
                source_repo: source.clone(),
                concurrency: self.forge.concurrency as usize,
                notify_issue: self.notify_issue,
                ack: self.ack,
                stop: stop.clone(),
                direct,
            },
            retry_base: self.service.retry_delay,
            retry_max: self.service.retry_max(),
            breaker_threshold: self.breaker_threshold.max(1),
            breaker_cooldown: self.breaker_cooldown,
            origin_auth,
            max_polls: self.service.max_polls,
            audit,
            watermark: !self.no_watermark,
        };
        eprintln!(
            "{} watching `{}` ({}) every {}, state in `{}`{}",
            stamp(),
            settings.repo_dir.display(),
            source,
            humantime::format_duration(self.service.interval),
            settings.state_dir.display(),
            if self.dry_run { ", dry run" } else { "" }
        );
        stop.listen();
        ecosync_cli::service::end_after_stop(&stop);
        let result = runtime.block_on(ecosync::watch::watch(&settings, forge.as_ref(), |event| {
            status.observe(&event);
            print_event(&event);
        }));
        // A git call a stop interrupted may still be running on a blocking thread: not waited for.
        runtime.shutdown_background();
        result.map_err(CliError::of)?;
        Ok(Exit::Success)
    }
}

fn print_event(event: &WatchEvent) {
    if let Some(line) = event.line() {
        eprintln!("{} {}", stamp(), ecosync::escape::line(&line));
    }
}
