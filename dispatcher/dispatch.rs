//! `dispatcher dispatch` (and `dispatcher flush`): plans, then hands the plan to
//! [`ecosync::dispatch::deliver`] (or [`ecosync::dispatch::preview`] /
//! [`ecosync::dispatch::deliver::preview_direct`] for a dry run) and prints what became of each repository:
//! progress on stderr, `--report`, and under GitHub Actions the job summary, the step outputs and
//! annotations.
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
use ecosync::dispatch::plan::watermark;
use ecosync::dispatch::{self, DeliverySettings};
use ecosync::stop_signal::StopSignal;
use ecosync::{PlanOutcome, RepoName};

use crate::direct::DirectArgs;
use crate::plan::PlanArgs;
use ecosync_cli::cli_env::string_or_fallback;
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

    /// Read and move the dispatch watermark with the token in this variable (e.g. `GITHUB_TOKEN`, which has
    /// Contents: write on the source repository) [default: the forge's credentials].
    #[arg(long, env = "ECOSYNC_WATERMARK_TOKEN_ENV", value_name = "VAR")]
    pub watermark_token_env: Option<String>,
}

impl DispatchCommand {
    /// `dispatcher flush`: every `buffered-pr` entry of the branch is synced at the head, and its pull
    /// request opens once its oldest change is older than `buffer_hours`. No path changes (the range is
    /// the head alone), so nothing else is delivered, and the dispatch watermark is neither read nor moved.
    pub fn flush(&self) -> CliResult {
        let mut flush = DispatchCommand {
            plan: self.plan.clone(),
            forge: self.forge.clone(),
            direct: self.direct.clone(),
            source_repo: self.source_repo.clone(),
            report: self.report.clone(),
            audit_log: self.audit_log.clone(),
            watermark_token_env: None,
            retry_failed: None,
            ..*self
        };
        let head = self.plan.head.clone().unwrap_or_else(|| "HEAD".to_owned());
        flush.plan.base = Some(head.clone());
        flush.plan.head = Some(head);
        flush.plan.no_watermark = true;
        flush.run()
    }

    /// Runs the command.
    pub fn run(&self) -> CliResult {
        // Phase 1: everything that can be wrong with the arguments, before anything is sent.
        let source = source_repo(self.source_repo.clone(), &self.plan.repo)?;
        let audit = ecosync_cli::glue::open_audit_log(self.audit_log.as_deref())?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        // A dry run needs no token: it reads the watermark anonymously, and a failure is a warning.
        let forge = if self.dry_run {
            None
        } else {
            Some(ecosync_cli::glue::forge_in(&runtime, &self.forge)?)
        };
        // Found once (the repository's root, also from a subdirectory): read before, moved after.
        let repo_dir = self.plan.repo_dir();
        let watermark_auth = match &forge {
            Some(forge) if !self.plan.no_watermark && watermark::has_origin(&repo_dir) => {
                let var = self.watermark_token_env.as_deref();
                let auth = runtime.block_on(watermark::credentials(forge, &source, var));
                Some(auth.map_err(CliError::of)?)
            }
            _ => None,
        };
        let mut plan_args = self.plan.clone();
        let retry = match &self.retry_failed {
            Some(path) => {
                let report = DeliveryReport::read(path).map_err(CliError::of)?;
                if plan_args.base.is_none() && plan_args.head.is_none() {
                    plan_args.base = Some(report.base_sha.clone()).filter(|b| !b.is_empty());
                    plan_args.head = Some(report.commit_sha.clone());
                }
                Some(report.to_retry())
            }
            None => None,
        };
        let mut plan = match plan_args.build_plan(watermark_auth.clone())? {
            PlanOutcome::Planned(plan) => plan,
            PlanOutcome::BranchDeleted { git_ref, before } => {
                let what = git_ref.map_or_else(|| "the ref".to_owned(), |r| format!("`{r}`"));
                eprintln!("{what} was deleted (was at {before}): nothing to dispatch");
                return Ok(Exit::Success);
            }
            PlanOutcome::AlreadyDispatched { watermark, .. } => {
                eprintln!("{}", watermark.message);
                return Ok(Exit::Success);
            }
        };
        if let Some(w) = &plan.watermark {
            eprintln!("watermark: {}", w.message);
        }
        if let Some(line) = plan.shard_line() {
            eprintln!("{line}");
        }
        if let Some(retry) = &retry {
            let planned = plan.deliveries.len();
            plan.deliveries.retain(|d| retry.contains(&d.repo));
            plan.flush.retain(|d| retry.contains(&d.repo));
            eprintln!(
                "retrying {} of the {planned} planned dispatches: those the report lists as failed or not sent",
                plan.deliveries.len()
            );
        }
        let settings = DeliverySettings {
            dispatch_id: dispatch::deliver::dispatch_id(&source),
            source_repo: source,
            concurrency: self.forge.concurrency as usize,
            notify_issue: self.notify_issue,
            stop: StopSignal::new(),
            ack: self.ack,
            direct: self.direct.settings(&repo_dir),
        };
        let Some(forge) = forge else {
            // The deliveries the dispatcher makes itself are computed when the targets can be read (a token,
            // or the local forge); without, they are listed with their mode only.
            let direct = plan
                .deliveries
                .iter()
                .filter(|d| d.mode != DeliveryMode::Dispatch)
                .count()
                + plan.flush.len();
            let readable = if direct > 0 {
                let _entered = runtime.enter();
                self.forge.build().ok()
            } else {
                None
            };
            let preview = if let Some(f) = &readable {
                runtime.block_on(dispatch::deliver::preview_direct(&plan, &settings, f))
            } else {
                if direct > 0 {
                    eprintln!(
                        "dry run: {direct} delivery(ies) in modes other than `dispatch` not computed: no token \
                         to read the targets with"
                    );
                }
                dispatch::preview(&plan, &settings)
            };
            print_stdout(&preview.json_lines())?;
            for r in preview
                .report
                .repos
                .iter()
                .filter(|r| r.mode != DeliveryMode::Dispatch)
            {
                eprintln!("{} (mode `{}`): {}", r.repo, r.mode, r.progress_line());
            }
            eprintln!(
                "dry run: {} dispatch(es) would be sent, nothing was sent",
                preview.outgoing.len()
            );
            return self.finish(&preview.report);
        };
        let mut report = runtime.block_on(async {
            settings.stop.listen();
            dispatch::deliver(&plan, &settings, &forge, |done, total, r| {
                eprintln!(
                    "repository {done} of {total}: {}: {}",
                    r.repo,
                    r.progress_line()
                );
            })
            .await
        });
        if let Some(log) = &audit {
            ecosync_cli::glue::record_audit(log, &ecosync::audit_log::delivery_entries(&report));
        }
        // Only now, after every delivery was made or reported: the next run starts from this head. A
        // stopped run leaves it, so the next run covers this range again.
        if report.interrupted.is_some() {
            return self.finish(&report);
        }
        let auth = watermark_auth.unwrap_or_default();
        let moved = match (&plan.watermark, &plan.git_ref) {
            (Some(note), Some(_)) => {
                watermark::after_delivery(&repo_dir, note, &plan.base, &plan.head, auth)
            }
            _ => Ok(None),
        };
        report.watermark_after = match &moved {
            Ok(described) => described.clone(),
            Err(e) => Some(format!("not moved: {e}")),
        };
        let moved = moved.map(|_| ());
        if let (Ok(()), Some(text)) = (&moved, &report.watermark_after) {
            eprintln!("watermark: {text}");
        }
        let watermark_error = moved.err();
        let exit = self.finish(&report)?;
        match watermark_error {
            // The deliveries were made; the next run covers this range again (at least once).
            Some(e) => Err(CliError::of(e)
                .hint("the deliveries were made; until the watermark moves, the next run sends them again")),
            None => Ok(exit),
        }
    }

    /// Prints the summary, writes the report and the Actions outputs, and picks the exit status.
    fn finish(&self, report: &DeliveryReport) -> CliResult {
        let set = report
            .acknowledgements
            .iter()
            .filter(|a| a.error.is_none())
            .count();
        if !report.acknowledgements.is_empty() {
            eprintln!(
                "ack: {set} of {} delivery statuses set on {}",
                report.acknowledgements.len(),
                report.commit_sha
            );
        }
        for a in report.acknowledgements.iter().filter(|a| a.error.is_some()) {
            eprintln!(
                "warning: cannot set the `{}` status for {}: {}",
                a.state,
                a.repo,
                a.error.as_deref().unwrap_or_default()
            );
        }
        if let Some(issue) = &report.failure_issue {
            eprintln!("{}", issue.describe());
        }
        eprintln!("{}", report.summary_line());
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

const SOURCE_HINT: &str = "GitHub Actions sets GITHUB_REPOSITORY";

/// The source repository: `--source-repo`, else `$GITHUB_REPOSITORY`, else the `origin` remote of `repo`.
pub fn source_repo(flag: Option<String>, repo: &std::path::Path) -> Result<RepoName, CliError> {
    match &string_or_fallback(flag, "GITHUB_REPOSITORY") {
        Some(s) => RepoName::parse(s)
            .map_err(|e| CliError::of(e).context(format!("invalid `--source-repo` `{s}`"))),
        None => ecosync::repo_name::infer_from_origin(repo, "--source-repo")
            .map_err(|e| CliError::of(e).hint(SOURCE_HINT)),
    }
}
