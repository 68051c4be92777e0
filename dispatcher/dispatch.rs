//! `dispatcher dispatch`: plans, then hands the plan to [`ecosync::dispatch::deliver`] (or
//! [`ecosync::dispatch::preview`] for a dry run) and prints what became of each repository: progress on
//! stderr, `--report`, and under GitHub Actions the job summary, the step outputs and annotations.
//!
//! Exit status: 0 when every planned dispatch was delivered (or with `--warn-only`, or a dry run);
//! 1 when any failed (after every other was tried) or on an error before sending; 2 for usage errors and
//! an invalid configuration.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use clap::builder::BoolishValueParser;
use ecosync::actions::{self, Actions, Level};
use ecosync::cli_env::string_or_fallback;
use ecosync::dispatch::delivery_report::{
    DeliveryReport, DeliveryStatus, FailureIssue, RepoResult,
};
use ecosync::dispatch::{self, DeliverySettings, watermark};
use ecosync::forge::Forge;
use ecosync::sync::repo::GitAuth;
use ecosync::{ForgeArgs, PlanOutcome, RepoName};

use crate::glue::{CliError, CliResult, Exit, print_stdout};
use crate::plan::PlanArgs;

/// Send one `repository_dispatch` to each repository the push concerns (see `plan`), paced and retried as
/// GitHub asks. Needs a token with Contents: write on every target (or `--forge local:DIR`).
#[derive(Debug, Args)]
pub struct DispatchCommand {
    #[command(flatten)]
    pub plan: PlanArgs,

    #[command(flatten)]
    pub forge: ForgeArgs,

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

    /// Write a JSON report (one line per repository) to this file.
    #[arg(long, env = "ECOSYNC_REPORT", value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Read and move the dispatch watermark with the token in this variable (e.g. `GITHUB_TOKEN`, which has
    /// Contents: write on the source repository) [default: the forge's credentials].
    #[arg(long, env = "ECOSYNC_WATERMARK_TOKEN_ENV", value_name = "VAR")]
    pub watermark_token_env: Option<String>,
}

impl DispatchCommand {
    /// Runs the command.
    pub fn run(&self) -> CliResult {
        // Phase 1: everything that can be wrong with the arguments, before anything is sent.
        let source = match &string_or_fallback(self.source_repo.clone(), "GITHUB_REPOSITORY") {
            Some(s) => RepoName::parse(s)
                .with_context(|| format!("invalid `--source-repo` `{s}`"))
                .map_err(CliError::usage)?,
            None => ecosync::repo_name::infer_from_origin(&self.plan.repo, "--source-repo")
                .map_err(|e| CliError::usage(e).hint(SOURCE_HINT))?,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        // A dry run needs no token: it reads the watermark anonymously, and a failure is a warning.
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
        let watermark_auth = match &forge {
            Some(forge)
                if !self.plan.no_watermark && watermark::has_origin(&self.plan.repo_dir()) =>
            {
                Some(runtime.block_on(self.watermark_auth(forge, &source))?)
            }
            _ => None,
        };
        let plan = match self.plan.build_plan(watermark_auth.clone())? {
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
        let settings = DeliverySettings {
            dispatch_id: dispatch::deliver::dispatch_id(&source),
            source_repo: source,
            concurrency: self.forge.concurrency as usize,
            notify_issue: self.notify_issue,
        };
        let Some(forge) = forge else {
            let preview = dispatch::preview(&plan, &settings);
            let mut out = String::new();
            for o in &preview.outgoing {
                let line = serde_json::json!({
                    "repo": o.repo,
                    "event_type": o.event_type,
                    "client_payload": o.payload.to_json(),
                });
                out.push_str(&line.to_string());
                out.push('\n');
            }
            print_stdout(&out)?;
            eprintln!(
                "dry run: {} dispatch(es) would be sent, nothing was sent",
                preview.outgoing.len()
            );
            return self.finish(&preview.report);
        };
        let mut report = runtime.block_on(dispatch::deliver(
            &plan,
            &settings,
            &forge,
            |done, total, r| {
                eprintln!("repository {done} of {total}: {}: {}", r.repo, progress(r));
            },
        ));
        // Only now, after every delivery was made or reported: the next run starts from this head.
        let moved = watermark::after_delivery(
            &self.plan.repo_dir(),
            &plan,
            watermark_auth.unwrap_or_default(),
        );
        let mut watermark_error = None;
        match moved {
            Ok(Some((git_ref, advance))) => {
                let text = advance.describe(&git_ref);
                eprintln!("watermark: {text}");
                report.watermark_after = Some(text);
            }
            Ok(None) => {}
            Err(e) => {
                report.watermark_after = Some(format!("not moved: {e}"));
                watermark_error = Some(e);
            }
        }
        let exit = self.finish(&report)?;
        match watermark_error {
            // The deliveries were made; the next run covers this range again (at least once).
            Some(e) => Err(CliError::failed(e)
                .hint("the deliveries were made; until the watermark moves, the next run sends them again")),
            None => Ok(exit),
        }
    }

    /// The credentials the watermark is read and pushed with.
    async fn watermark_auth(&self, forge: &Forge, source: &RepoName) -> Result<GitAuth, CliError> {
        if let Some(var) = &self.watermark_token_env {
            let token = std::env::var(var).unwrap_or_default();
            if token.trim().is_empty() {
                return Err(CliError::usage(anyhow::anyhow!(
                    "`--watermark-token-env` names `{var}`, which is not set"
                ))
                .hint("set it (e.g. `GITHUB_TOKEN: ${{ github.token }}` in the step's env)"));
            }
            return Ok(GitAuth {
                userpass: Some(("x-access-token".to_owned(), token.trim().to_owned())),
            });
        }
        let creds = forge
            .git_credentials(source)
            .await
            .with_context(|| {
                format!("cannot get git credentials for `{source}` to read the watermark")
            })
            .map_err(CliError::failed)?;
        Ok(GitAuth {
            userpass: creds.map(|c| (c.username, c.password)),
        })
    }

    /// Prints the summary, writes the report and the Actions outputs, and picks the exit status.
    fn finish(&self, report: &DeliveryReport) -> CliResult {
        match &report.failure_issue {
            Some(FailureIssue::Opened { number, url }) => {
                eprintln!("opened issue #{number} listing the failures: {url}");
            }
            Some(FailureIssue::Commented { number, url }) => {
                eprintln!("commented on issue #{number} with the failures: {url}");
            }
            Some(FailureIssue::Failed { error }) => {
                eprintln!("warning: could not report the failures in an issue: {error}");
            }
            None => {}
        }
        let delivered = report.count(DeliveryStatus::Delivered);
        let failed = report.count(DeliveryStatus::Failed);
        let skipped = report.count(DeliveryStatus::Skipped);
        eprintln!("dispatch: {delivered} delivered, {failed} failed, {skipped} skipped");
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
            let mut annotations = String::new();
            for r in report.failed() {
                let mut msg = format!("dispatch to {} failed: {}", r.repo, error_text(r));
                if let Some(hint) = &r.hint {
                    _ = write!(msg, " (hint: {hint})");
                }
                annotations.push_str(&actions::annotation(level, "ecosync dispatch", &msg));
            }
            print_stdout(&annotations)?;
            actions
                .append_summary(&report.to_markdown())
                .map_err(CliError::failed)?;
            let counts = [delivered, failed, skipped].map(|n| n.to_string());
            actions
                .set_outputs(&[
                    ("delivered", &counts[0]),
                    ("failed", &counts[1]),
                    ("skipped", &counts[2]),
                ])
                .map_err(CliError::failed)?;
        }
        if failed > 0 && !self.warn_only {
            return Ok(Exit::Failed);
        }
        if failed > 0 {
            eprintln!("warning: {failed} dispatch(es) failed; exiting 0 because of --warn-only");
        }
        Ok(Exit::Success)
    }
}

const SOURCE_HINT: &str = "pass `--source-repo OWNER/NAME` (GitHub Actions sets GITHUB_REPOSITORY)";

/// One repository's result, for its progress line.
fn progress(r: &RepoResult) -> String {
    if r.status == DeliveryStatus::Delivered {
        format!(
            "delivered ({} attempt{}, {} ms)",
            r.attempts,
            if r.attempts == 1 { "" } else { "s" },
            r.duration_ms
        )
    } else {
        let mut s = format!("failed: {}", error_text(r));
        if let Some(hint) = &r.hint {
            s.push_str("; hint: ");
            s.push_str(hint);
        }
        s
    }
}

fn error_text(r: &RepoResult) -> &str {
    r.error.as_deref().unwrap_or("unknown error")
}
