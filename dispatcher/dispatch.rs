//! `dispatcher dispatch` (and `dispatcher flush`): builds a [`DispatchRequest`], runs
//! [`ecosync::dispatch::run`] and prints what became of each repository: progress on stderr, `--report`,
//! and under GitHub Actions the job summary, the step outputs and annotations.
//!
//! Exit status: 0 when every planned dispatch was delivered (or with `--warn-only`, or a dry run);
//! 1 when any failed (after every other was tried) or on an error before sending; 2 for usage errors and
//! an invalid configuration.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use clap::builder::BoolishValueParser;
use ecosync::actions::{Actions, Level};
use ecosync::dispatch::deliver::delivery_report::{DeliveryReport, DeliveryStatus};
use ecosync::dispatch::ecosystem::delivery_mode::DeliveryMode;
use ecosync::dispatch::{
    self, DeliverySettings, DispatchError, DispatchOutcome, DispatchRequest, PlanSource,
};
use ecosync::stop_signal::StopSignal;
use ecosync::{PlanError, RepoName};

use crate::direct::DirectArgs;
use crate::plan_args::PlanArgs;
use ecosync_cli::forge_args::ForgeArgs;
use ecosync_cli::glue::{CliError, CliResult, Exit, print_stdout};

/// Deliver the push to each repository it concerns (see `plan`), in each entry's `mode`: one
/// `repository_dispatch`, or the dispatcher's own push or pull request; paced and retried as GitHub asks.
/// Needs a token with Contents: write on every target, and Pull requests: write for the pull request modes
/// (or `--forge local:DIR`).
#[derive(Debug, Args)]
// Independent on/off flags of the command line, each its own `ECOSYNC_` variable: not a state machine.
#[allow(clippy::struct_excessive_bools)]
pub struct DispatchCommand {
    #[command(flatten)]
    pub plan: PlanArgs,

    #[command(flatten)]
    pub forge: ForgeArgs,

    #[command(flatten)]
    pub direct: DirectArgs,

    /// The repository the change comes from, carried in every payload [default: `$GITHUB_REPOSITORY`, else
    /// the `origin` remote].
    #[arg(long, env = "ECOSYNC_SOURCE_REPO", value_name = "OWNER/NAME")]
    pub source_repo: Option<String>,

    /// Print each payload that would be sent (one JSON object a line) and send nothing.
    #[arg(long, env = "ECOSYNC_DRY_RUN", value_parser = BoolishValueParser::new())]
    pub dry_run: bool,

    /// Report failed deliveries as warnings and exit 0 (a failed sync never turns the build red).
    #[arg(long, env = "ECOSYNC_WARN_ONLY", value_parser = BoolishValueParser::new())]
    pub warn_only: bool,

    /// On failures, open one issue in the source repository listing them (or comment on the open one).
    #[arg(long, env = "ECOSYNC_NOTIFY_ISSUE", value_parser = BoolishValueParser::new())]
    pub notify_issue: bool,

    /// Set a `pending` commit status (context `ecosync/<owner>/<name>`) on the source commit for each
    /// target before its dispatch, for subscribers with `"acknowledge": true` to settle; `dispatcher
    /// status` lists them. Needs Commit statuses: write on the source repository; never fatal.
    #[arg(long, env = "ECOSYNC_ACK", value_parser = BoolishValueParser::new())]
    pub ack: bool,

    /// Write a JSON report (one line per repository) to this file.
    #[arg(long, env = "ECOSYNC_REPORT", value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Send again only what this report (written by `--report`) lists as failed or not sent, for the same
    /// commits (its `base_sha` and `commit_sha`, unless `--base`/`--head` say otherwise).
    #[arg(long, env = "ECOSYNC_RETRY_FAILED", value_name = "REPORT")]
    pub retry_failed: Option<PathBuf>,

    /// Append one JSON line per dispatch sent (or failed) to this file.
    #[arg(long, env = "ECOSYNC_AUDIT_LOG", value_name = "FILE")]
    pub audit_log: Option<PathBuf>,

    /// Propose to this target again even though it closed its pull request without merging (or is
    /// paused), for the modes in which the dispatcher opens the pull request itself; repeatable. A target
    /// in mode `dispatch` decides in its own run: `subscriber apply --repropose OWNER/NAME` there.
    #[arg(
        long,
        env = "ECOSYNC_REPROPOSE",
        value_name = "OWNER/NAME",
        value_delimiter = ','
    )]
    pub repropose: Vec<RepoName>,

    /// Read and move the dispatch watermark with the token in this variable (e.g. `GITHUB_TOKEN`, which has
    /// Contents: write on the source repository) [default: the forge's credentials].
    #[arg(long, env = "ECOSYNC_WATERMARK_TOKEN_ENV", value_name = "VAR")]
    pub watermark_token_env: Option<String>,
}

impl DispatchCommand {
    /// `dispatcher flush`: see [`DispatchRequest::into_flush`].
    pub fn flush(&self) -> CliResult {
        self.execute(true)
    }

    /// Runs the command.
    pub fn run(&self) -> CliResult {
        self.execute(false)
    }

    fn execute(&self, flush: bool) -> CliResult {
        let verb = if flush { "flush" } else { "dispatch" };
        // Phase 1: everything that can be wrong with the arguments, before anything is sent.
        let source = crate::source_repo::source_repo(self.source_repo.clone(), &self.plan.repo)?;
        let audit = ecosync_cli::glue::open_audit_log(self.audit_log.as_deref())?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        // A dry run needs no token: it reads the watermark anonymously, and reads the targets (for the
        // modes the dispatcher delivers itself) only when a forge can be set up.
        let forge = match ecosync_cli::glue::forge_in(&runtime, &self.forge) {
            Ok(forge) => Some(forge),
            Err(_) if self.dry_run => None,
            Err(e) => return Err(e),
        };
        let repo_dir = self.plan.repo_dir();
        let mut request = DispatchRequest {
            plan: PlanSource::Request(Box::new(self.plan.request_reading_event(!flush)?)),
            watermark_token_env: self.watermark_token_env.clone(),
            retry_failed: self.retry_failed.clone(),
            dry_run: self.dry_run,
            delivery: DeliverySettings {
                dispatch_id: dispatch::deliver::dispatch_id(&source),
                source_repo: source,
                concurrency: self.forge.concurrency as usize,
                notify_issue: self.notify_issue,
                stop: StopSignal::new(),
                ack: self.ack,
                direct: {
                    let mut direct = self.direct.settings(&repo_dir, &self.forge);
                    direct.repropose.clone_from(&self.repropose);
                    direct
                },
            },
        };
        if flush {
            request = request.into_flush();
        }
        let outcome = runtime.block_on(async {
            request.delivery.stop.listen();
            let show = |e: ecosync::dispatch::DispatchEvent| eprintln!("{e}");
            dispatch::run(&request, forge.as_ref(), audit.as_ref(), show).await
        });
        let outcome = outcome.map_err(|e| match e {
            DispatchError::Plan(PlanError::Config(invalid)) => {
                crate::validate::invalid(&invalid.file, invalid.diagnostics)
            }
            e => CliError::of(e),
        })?;
        let run = match outcome {
            DispatchOutcome::BranchDeleted { git_ref, before } => {
                let what = git_ref.map_or_else(|| "the ref".to_owned(), |r| format!("`{r}`"));
                eprintln!("{what} was deleted (was at {before}): nothing to dispatch");
                return Ok(Exit::Success);
            }
            DispatchOutcome::AlreadyDispatched { message } => {
                eprintln!("{message}");
                return Ok(Exit::Success);
            }
            DispatchOutcome::DryRun(preview) => {
                print_stdout(&preview.json_lines())?;
                for r in preview
                    .report
                    .repos
                    .iter()
                    .filter(|r| r.mode != DeliveryMode::Dispatch)
                {
                    eprintln!("{} (mode `{}`): {}", r.repo, r.mode, r.progress_line());
                }
                return self.finish(&preview.report, &preview.summary_line(verb));
            }
            DispatchOutcome::Delivered(run) => run,
        };
        if let Some(e) = &run.audit_error {
            eprintln!("warning: {e}");
        }
        if let (None, Some(text)) = (&run.watermark_error, &run.report.watermark_after) {
            eprintln!("watermark: {text}");
        }
        let exit = self.finish(&run.report, &run.report.summary_line(verb))?;
        match run.watermark_error {
            // The deliveries were made; the next run covers this range again (at least once).
            Some(e) => Err(CliError::of(e)
                .hint("the deliveries were made; until the watermark moves, the next run sends them again")),
            None => Ok(exit),
        }
    }

    /// Prints the summary, writes the report and the Actions outputs, and picks the exit status.
    fn finish(&self, report: &DeliveryReport, summary: &str) -> CliResult {
        for line in report.closing_lines() {
            eprintln!("{line}");
        }
        eprintln!("{summary}");
        if let Some(path) = &self.report {
            std::fs::write(path, report.to_json() + "\n")
                .with_context(|| format!("cannot write the report to `{}`", path.display()))?;
        }
        if let Some(actions) = Actions::from_env() {
            let level = if self.warn_only {
                Level::Warning
            } else {
                Level::Error
            };
            print_stdout(&report.annotations(level))?;
            actions
                .append_summary(&report.to_markdown())
                .map_err(CliError::of)?;
            let outputs = report.outputs();
            let pairs: Vec<(&str, &str)> = outputs.iter().map(|(n, v)| (*n, v.as_str())).collect();
            actions.set_outputs(&pairs).map_err(CliError::of)?;
        }
        if let Some(signal) = &report.interrupted {
            eprintln!(
                "stopped by {signal}: the dispatches not sent are listed as `unsent`; `--retry-failed REPORT` \
                 sends them (and the failed ones)"
            );
            return Ok(Exit::Interrupted);
        }
        let failed = report.count(DeliveryStatus::Failed);
        if failed > 0 && !self.warn_only {
            return Ok(Exit::Failed);
        }
        if failed > 0 {
            eprintln!("warning: {failed} dispatch(es) failed; exiting 0 because of --warn-only");
        }
        Ok(Exit::Success)
    }
}
