//! `dispatcher plan`: shows what a push would dispatch, sends nothing, needs no token.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::builder::BoolishValueParser;
use clap::{Args, ValueEnum};
use ecosync::cli_env::{path_or_fallback, string_or_fallback};
use ecosync::dispatch::github_event::GitHubEvent;
use ecosync::dispatch::plan_request::WatermarkSettings;
use ecosync::sync::repo::GitAuth;
use ecosync::{PlanError, PlanOutcome, PlanRequest, SourceLocation};

use crate::glue::{CliError, CliResult, Exit, print_stdout};

/// Which commits to compare and against which `ecosystem.json`: shared by `plan` and `dispatch`.
#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// The ecosystem file [default: ecosystem.json at the root of --repo].
    #[arg(long, env = "ECOSYNC_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The source repository's clone; `.` is the repository containing the current directory.
    #[arg(long, env = "ECOSYNC_REPO", value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,

    /// The base commit (SHA or ref); 40 zeros means a new branch [default: from the event, else the first
    /// parent of --head].
    #[arg(long, env = "ECOSYNC_BASE", value_name = "REV")]
    pub base: Option<String>,

    /// The head commit (SHA or ref); 40 zeros means a deleted branch [default: from the event, else HEAD].
    #[arg(long, env = "ECOSYNC_HEAD", value_name = "REV")]
    pub head: Option<String>,

    /// The branch pushed, checked against each entry's `branches` [default: from the event, else the
    /// current branch].
    #[arg(long = "ref", env = "ECOSYNC_REF", value_name = "REF")]
    pub git_ref: Option<String>,

    /// The GitHub Actions event payload, read when --base and --head are not given [default:
    /// `$GITHUB_EVENT_PATH`].
    #[arg(
        long,
        value_name = "FILE",
        env = "ECOSYNC_EVENT",
        hide_env_values = true
    )]
    pub event: Option<PathBuf>,

    /// The event's name (push, `pull_request`, `workflow_dispatch`) [default: `$GITHUB_EVENT_NAME`, else guessed
    /// from the payload].
    #[arg(long, value_name = "NAME", env = "ECOSYNC_EVENT_NAME")]
    pub event_name: Option<String>,

    /// Ignore the dispatch watermark (`refs/ecosync/dispatched/<branch>` on `origin`): the range is the
    /// event's, and nothing records what was dispatched, so a push whose run was cancelled is lost.
    #[arg(long, env = "ECOSYNC_NO_WATERMARK", value_parser = BoolishValueParser::new())]
    pub no_watermark: bool,

    /// Plan (and send) a head that the watermark says was dispatched already.
    #[arg(long, env = "ECOSYNC_FORCE", value_parser = BoolishValueParser::new())]
    pub force: bool,
}

impl PlanArgs {
    /// The source repository's clone, as planning finds it (its root, also from a subdirectory).
    pub fn repo_dir(&self) -> PathBuf {
        SourceLocation::find(&self.repo, self.config.as_deref()).repo_dir
    }

    /// Turns the raw arguments into a validated request (reading the event file), with no side effect.
    pub fn request(&self) -> anyhow::Result<PlanRequest> {
        let location = SourceLocation::find(&self.repo, self.config.as_deref());
        // Empty values (an unset workflow input) count as unset.
        let base = self.base.clone().filter(|s| !s.is_empty());
        let head = self.head.clone().filter(|s| !s.is_empty());
        let git_ref = self.git_ref.clone().filter(|s| !s.is_empty());
        let explicit = base.is_some() || head.is_some();
        // flag > ECOSYNC_EVENT > GITHUB_EVENT_PATH (what Actions sets); the same for the event's name.
        let event_path = path_or_fallback(self.event.clone(), "GITHUB_EVENT_PATH");
        let event_name = string_or_fallback(self.event_name.clone(), "GITHUB_EVENT_NAME");
        let event = match (event_path, explicit) {
            (Some(path), false) => Some(
                GitHubEvent::load(&path, event_name.as_deref())
                    .context("cannot use the GitHub event")?,
            ),
            _ => None,
        };
        Ok(PlanRequest {
            repo_dir: location.repo_dir,
            config_path: location.config_path,
            config_name: location.config_name,
            base,
            head,
            git_ref,
            event,
            watermark: (!self.no_watermark).then(|| WatermarkSettings {
                auth: GitAuth::default(),
                force: self.force,
            }),
        })
    }

    /// Makes the plan, printing the configuration's warnings to stderr. `watermark_auth` reads the
    /// watermark with credentials (`None`: anonymously, and a watermark that cannot be read is a warning).
    pub fn build_plan(&self, watermark_auth: Option<GitAuth>) -> Result<PlanOutcome, CliError> {
        let mut request = self.request()?;
        let required = watermark_auth.is_some();
        if let (Some(w), Some(auth)) = (&mut request.watermark, watermark_auth) {
            w.auth = auth;
        }
        let (outcome, warnings) = match request.run() {
            Err(PlanError::Watermark(e)) if !required => {
                eprintln!("warning: {e}; planning the event's range without it");
                request.watermark = None;
                request.run()
            }
            other => other,
        }
        .map_err(|e| match e {
            PlanError::Config(invalid) => {
                crate::validate::invalid(&invalid.file, invalid.diagnostics)
            }
            other => CliError::failed(other),
        })?;
        for w in warnings {
            eprintln!("{w}");
        }
        Ok(outcome)
    }
}

/// How to print the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// The JSON contract read by tools and workflows.
    Json,
    /// For `$GITHUB_STEP_SUMMARY`.
    Markdown,
}

/// Show what a push would dispatch, to which repositories and why; sends nothing and needs no token.
#[derive(Debug, Args)]
pub struct PlanCommand {
    #[command(flatten)]
    pub args: PlanArgs,

    /// Output format.
    #[arg(long, env = "ECOSYNC_FORMAT", value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

impl PlanCommand {
    /// Runs the command.
    pub fn run(&self) -> CliResult {
        match self.args.build_plan(None)? {
            PlanOutcome::Planned(plan) => {
                match self.format {
                    // Written as it is serialised: the JSON of a large push is megabytes.
                    Format::Json => {
                        let mut out =
                            std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
                        plan.write_json(&mut out)?;
                        out.flush()?;
                    }
                    Format::Text => print_stdout(&plan.to_text())?,
                    Format::Markdown => print_stdout(&plan.to_markdown())?,
                }
                // The process exits next: freeing every changed path and delivery one by one is wasted
                // time on a large push.
                std::mem::forget(plan);
            }
            PlanOutcome::BranchDeleted { git_ref, before } => {
                let what = git_ref.map_or_else(|| "the ref".to_owned(), |r| format!("`{r}`"));
                let out = match self.format {
                    Format::Json => format!(
                        "{}\n",
                        serde_json::json!({
                            "base": before,
                            "head": ecosync::dispatch::revision_range::ZERO_SHA,
                            "deleted": true,
                            "changed_paths": [],
                            "deliveries": [],
                        })
                    ),
                    Format::Text => {
                        format!("{what} was deleted (was at {before}): nothing to dispatch\n")
                    }
                    Format::Markdown => format!(
                        "### ecosync plan\n\n{what} was deleted (was at `{before}`): nothing to dispatch.\n"
                    ),
                };
                print_stdout(&out)?;
            }
            PlanOutcome::AlreadyDispatched {
                git_ref,
                head,
                watermark,
            } => {
                let out = match self.format {
                    Format::Json => format!(
                        "{}\n",
                        serde_json::json!({
                            "head": head,
                            "ref": git_ref,
                            "already_dispatched": true,
                            "watermark": watermark,
                            "changed_paths": [],
                            "deliveries": [],
                        })
                    ),
                    Format::Text => format!("{}\n", watermark.message),
                    Format::Markdown => format!("### ecosync plan\n\n{}.\n", watermark.message),
                };
                print_stdout(&out)?;
            }
        }
        Ok(Exit::Success)
    }
}

#[cfg(test)]
mod tests {
    use clap::{Args as _, Command};
    use ecosync::cli_env::flags_off_the_rule;

    #[test]
    fn every_flag_of_plan_validate_and_demo_reads_its_ecosync_variable() {
        let cmd = Command::new("dispatcher")
            .subcommand(super::PlanCommand::augment_args(Command::new("plan")))
            .subcommand(crate::validate::ValidateArgs::augment_args(Command::new(
                "validate",
            )))
            .subcommand(crate::demo::DemoArgs::augment_args(Command::new("demo")));
        assert_eq!(flags_off_the_rule(&cmd), Vec::<String>::new());
    }
}
