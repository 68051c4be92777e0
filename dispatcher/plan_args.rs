//! `PlanArgs`: which commits to compare and against which `ecosystem.json`, the arguments `plan`, `dispatch`,
//! `flush`, `forecast` and `fleet` share, turned into a library request.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use clap::builder::BoolishValueParser;
use ecosync::dispatch::plan::github_event::GitHubEvent;
use ecosync::dispatch::plan::plan_request::{Planned, WatermarkSettings};
use ecosync::dispatch::plan::shard::Shard;
use ecosync::{PlanError, PlanRequest, SourceLocation};
use ecosync_cli::cli_env::{path_or_fallback, string_or_fallback};
use ecosync_cli::glue::CliError;

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

    /// Only the targets of shard K of N (K from 1 to N), for N jobs of a matrix: a fixed hash of each
    /// target's `owner/name` picks its shard, and each shard has its own watermark. Keep N fixed.
    #[arg(long, env = "ECOSYNC_SHARD", value_name = "K/N")]
    pub shard: Option<Shard>,
}

impl PlanArgs {
    /// The source repository's clone, as planning finds it (its root, also from a subdirectory).
    pub fn repo_dir(&self) -> PathBuf {
        SourceLocation::find(&self.repo, self.config.as_deref()).repo_dir
    }

    /// Turns the raw arguments into a validated request (reading the event file), with no side effect.
    pub fn request(&self) -> anyhow::Result<PlanRequest> {
        self.request_reading_event(true)
    }

    /// [`PlanArgs::request`]; with `read_event` false, the GitHub event is never read (`flush`, whose range
    /// is the head alone, runs on a schedule).
    pub fn request_reading_event(&self, read_event: bool) -> anyhow::Result<PlanRequest> {
        let location = SourceLocation::find(&self.repo, self.config.as_deref());
        // Empty values (an unset workflow input) count as unset.
        let base = self.base.clone().filter(|s| !s.is_empty());
        let head = self.head.clone().filter(|s| !s.is_empty());
        let git_ref = self.git_ref.clone().filter(|s| !s.is_empty());
        let explicit = base.is_some() || head.is_some() || !read_event;
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
                auth: ecosync::git::GitAuth::default(),
                force: self.force,
            }),
            shard: self.shard,
        })
    }

    /// Plans (see [`PlanRequest::plan`]; `shards`: every shard of that many), printing what planning had
    /// to say to stderr.
    pub fn planned<T>(
        &self,
        plan: impl FnOnce(PlanRequest) -> Result<Planned<T>, PlanError>,
    ) -> Result<T, CliError> {
        let planned = plan(self.request()?).map_err(|e| match e {
            PlanError::Config(invalid) => {
                crate::validate::invalid(&invalid.file, invalid.diagnostics)
            }
            other => CliError::of(other),
        })?;
        if let Some(e) = planned.watermark_skipped {
            eprintln!("warning: {e}; planning the event's range without it");
        }
        for w in planned.warnings {
            eprintln!("{w}");
        }
        Ok(planned.outcome)
    }
}
