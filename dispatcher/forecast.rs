//! `dispatcher forecast`: what each target's sync would do once the head is merged upstream, before the
//! merge: clean, conflicts, not subscribed, already has it, or unknown with the reason.

use clap::builder::BoolishValueParser;
use clap::{Args, ValueEnum};
use ecosync::PlanOutcome;
use ecosync::dispatch::forecast;
use ecosync::forge::sticky_comment::{self, StickyComment};

use crate::plan_args::PlanArgs;
use ecosync_cli::cli_env::path_or_fallback;
use ecosync_cli::forge_args::ForgeArgs;
use ecosync_cli::glue::{CliError, CliResult, Exit, print_stdout};

/// How to print the forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ForecastFormat {
    /// For people.
    Text,
    /// For tools.
    Json,
    /// For a pull request comment or `$GITHUB_STEP_SUMMARY`.
    Markdown,
}

/// Forecast, before a pull request is merged, what each target's sync would do: fetch each target's base
/// branch (read-only), read its `.github/ecosync.json`, and run the sync engine in memory as if the head
/// were merged upstream. Takes `plan`'s options (a `pull_request` event gives base and head) and the forge
/// options; writes nothing.
#[derive(Debug, Args)]
pub struct ForecastArgs {
    #[command(flatten)]
    pub plan: PlanArgs,

    #[command(flatten)]
    pub forge: ForgeArgs,

    /// The repository the change comes from [default: `$GITHUB_REPOSITORY`, else the `origin` remote].
    #[arg(long, env = "ECOSYNC_SOURCE_REPO", value_name = "OWNER/NAME")]
    pub source_repo: Option<String>,

    /// Output format.
    #[arg(long, env = "ECOSYNC_FORMAT", value_enum, default_value_t = ForecastFormat::Text)]
    pub format: ForecastFormat,

    /// Also post the markdown forecast as one sticky comment on the source pull request, updated in place
    /// on every run (found by a hidden marker), never a second one.
    #[arg(long, env = "ECOSYNC_COMMENT", value_parser = BoolishValueParser::new())]
    pub comment: bool,

    /// The source pull request to comment on [default: the `pull_request` event's number].
    #[arg(long, env = "ECOSYNC_PULL_REQUEST", value_name = "NUMBER")]
    pub pull_request: Option<u64>,
}

/// The hidden marker of the sticky forecast comment.
const MARKER: &str = "<!-- ecosync-forecast -->";

/// The pull request's number from the event file (`number`, or `pull_request.number`).
fn event_pull_request(args: &PlanArgs) -> Option<u64> {
    let path = path_or_fallback(args.event.clone(), "GITHUB_EVENT_PATH")?;
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    value["number"]
        .as_u64()
        .or_else(|| value["pull_request"]["number"].as_u64())
}

impl ForecastArgs {
    /// Runs the command.
    pub fn run(&self) -> CliResult {
        let source = crate::source_repo::source_repo(self.source_repo.clone(), &self.plan.repo)?;
        let pull_request = if self.comment {
            Some(
                self.pull_request
                    .or_else(|| event_pull_request(&self.plan))
                    .ok_or_else(|| {
                        CliError::usage(anyhow::anyhow!(
                            "`--comment` needs the source pull request"
                        ))
                        .hint("pass `--pull-request NUMBER`, or run on a `pull_request` event")
                    })?,
            )
        } else {
            None
        };
        // The watermark says what was dispatched; a forecast is about a change not merged yet.
        let mut plan_args = self.plan.clone();
        plan_args.no_watermark = true;
        let plan = match plan_args.planned(|r| r.plan(None))? {
            PlanOutcome::Planned(plan) => plan,
            PlanOutcome::BranchDeleted { .. } | PlanOutcome::AlreadyDispatched { .. } => {
                print_stdout("nothing to forecast: the range has no change\n")?;
                return Ok(Exit::Success);
            }
        };
        let (runtime, forge) = ecosync_cli::glue::runtime_and_forge(&self.forge)?;
        let repo_dir = self.plan.repo_dir();
        let forecasts = runtime.block_on(forecast::forecast(
            &plan,
            &source,
            &repo_dir,
            &forge,
            self.forge.concurrency as usize,
        ));
        print_stdout(&match self.format {
            ForecastFormat::Text => forecast::to_text(&plan, &forecasts),
            ForecastFormat::Json => forecast::to_json(&plan, &forecasts),
            ForecastFormat::Markdown => forecast::to_markdown(&plan, &forecasts),
        })?;
        if let Some(number) = pull_request {
            let body = forecast::to_markdown(&plan, &forecasts);
            let done = runtime
                .block_on(sticky_comment::upsert(
                    &forge, &source, number, MARKER, &body,
                ))
                .map_err(|e| {
                    CliError::of(e).context(format!("cannot comment on {source}#{number}"))
                })?;
            eprintln!(
                "forecast comment {} on {source}#{number}",
                match done {
                    StickyComment::Created => "posted",
                    StickyComment::Updated => "updated",
                }
            );
        }
        Ok(Exit::Success)
    }
}
