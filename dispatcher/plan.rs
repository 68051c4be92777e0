//! `dispatcher plan`: shows what a push would dispatch, sends nothing, needs no token.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use ecosync::dispatch::github_event::GitHubEvent;
use ecosync::{PlanError, PlanOutcome, PlanRequest};

use crate::glue::{CliError, CliResult, Exit, print_stdout};

/// Which commits to compare and against which `ecosystem.json`: shared by `plan` and `dispatch`.
#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// The ecosystem file [default: ecosystem.json in --repo].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The source repository's clone.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,

    /// The base commit (SHA or ref); 40 zeros means a new branch [default: from the event, else the first
    /// parent of --head].
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,

    /// The head commit (SHA or ref); 40 zeros means a deleted branch [default: from the event, else HEAD].
    #[arg(long, value_name = "REV")]
    pub head: Option<String>,

    /// The branch pushed, checked against each entry's `branches` [default: from the event, else the
    /// current branch].
    #[arg(long = "ref", value_name = "REF")]
    pub git_ref: Option<String>,

    /// The GitHub Actions event payload, read when --base and --head are not given.
    #[arg(
        long,
        value_name = "FILE",
        env = "GITHUB_EVENT_PATH",
        hide_env_values = true
    )]
    pub event: Option<PathBuf>,

    /// The event's name (push, pull_request, workflow_dispatch) [default: guessed from the payload].
    #[arg(long, value_name = "NAME", env = "GITHUB_EVENT_NAME")]
    pub event_name: Option<String>,
}

impl PlanArgs {
    /// Turns the raw arguments into a validated request (reading the event file), with no side effect.
    pub fn request(&self) -> anyhow::Result<PlanRequest> {
        let (config_path, config_name) = match &self.config {
            Some(c) => (c.clone(), c.display().to_string()),
            None => {
                let p = self.repo.join("ecosystem.json");
                let name = if self.repo == std::path::Path::new(".") {
                    "ecosystem.json".to_owned()
                } else {
                    p.display().to_string()
                };
                (p, name)
            }
        };
        let explicit = self.base.is_some() || self.head.is_some();
        let event = match (&self.event, explicit) {
            (Some(path), false) if !path.as_os_str().is_empty() => Some(
                GitHubEvent::load(path, self.event_name.as_deref())
                    .context("cannot use the GitHub event")?,
            ),
            _ => None,
        };
        Ok(PlanRequest {
            repo_dir: self.repo.clone(),
            config_path,
            config_name,
            base: self.base.clone(),
            head: self.head.clone(),
            git_ref: self.git_ref.clone(),
            event,
        })
    }

    /// Makes the plan, printing the configuration's warnings to stderr.
    pub fn build_plan(&self) -> Result<PlanOutcome, CliError> {
        let request = self.request()?;
        let (outcome, warnings) = request.run().map_err(|e| match e {
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
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

impl PlanCommand {
    /// Runs the command.
    pub fn run(&self) -> CliResult {
        match self.args.build_plan()? {
            PlanOutcome::Planned(plan) => {
                let out = match self.format {
                    Format::Text => plan.to_text(),
                    Format::Json => plan.to_json(),
                    Format::Markdown => plan.to_markdown(),
                };
                print_stdout(&out)?;
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
        }
        Ok(Exit::Success)
    }
}
