//! `dispatcher plan`: shows what a push would dispatch, sends nothing, needs no token.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::builder::BoolishValueParser;
use clap::{Args, ValueEnum};
use ecosync::dispatch::plan::github_event::GitHubEvent;
use ecosync::dispatch::plan::plan_request::Planned;
use ecosync::dispatch::plan::plan_request::WatermarkSettings;
use ecosync::dispatch::plan::shard::Shard;
use ecosync::dispatch::plan::shard_matrix::ShardMatrix;
use ecosync::dispatch::plan::watermark;
use ecosync::{PlanError, PlanOutcome, PlanRequest, SourceLocation};
use ecosync_cli::forge_args::ForgeArgs;

use ecosync_cli::cli_env::{path_or_fallback, string_or_fallback};
use ecosync_cli::glue::{CliError, CliResult, Exit, print_stdout};

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

impl PlanCommand {
    /// Attaches what the source records about held-back targets, when a forge can be set up and the source
    /// named; a failure to read is a warning, the plan stands.
    fn read_standings(&self, plan: &mut ecosync::Plan) {
        let Ok(source) = crate::dispatch::source_repo(self.source_repo.clone(), &self.args.repo)
        else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        let Ok(forge) = ecosync_cli::glue::forge_in(&runtime, &self.forge) else {
            return;
        };
        if let Err(e) = runtime.block_on(plan.read_standings(&forge, &source)) {
            eprintln!(
                "warning: cannot read which targets are held back from `{source}`: {}",
                ecosync::error_kind::error_chain(&e)
            );
        }
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
    /// A GitHub Actions matrix on one line, `{"include":[{"shard":"1/4","deliveries":3},...]}`: the shards
    /// of `--shards N` that have at least one delivery.
    Matrix,
}

/// Show what a push would dispatch, to which repositories and why; sends nothing and needs no token.
#[derive(Debug, Args)]
pub struct PlanCommand {
    #[command(flatten)]
    pub args: PlanArgs,

    /// Output format.
    #[arg(long, env = "ECOSYNC_FORMAT", value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// For `--format matrix`: how many shards the targets are split into (at most 256, GitHub's limit of
    /// jobs per matrix). Keep it fixed: each target's shard and each shard's watermark depend on it.
    #[arg(long, env = "ECOSYNC_SHARDS", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=256))]
    pub shards: Option<u32>,

    /// Read the dispatch watermark with the token in this variable (e.g. `GITHUB_TOKEN`; a private source
    /// repository's watermark cannot be read without one) [default: anonymously].
    #[arg(long, env = "ECOSYNC_WATERMARK_TOKEN_ENV", value_name = "VAR")]
    pub watermark_token_env: Option<String>,

    /// The repository the change comes from, whose issues record which targets are held back (rejected,
    /// paused, reverted) [default: `$GITHUB_REPOSITORY`, else the `origin` remote].
    #[arg(long, env = "ECOSYNC_SOURCE_REPO", value_name = "OWNER/NAME")]
    pub source_repo: Option<String>,

    /// Where the held-back targets are read from, when a forge can be set up (a token, or `--forge
    /// local:DIR`); without one the plan says nothing of them.
    #[command(flatten)]
    pub forge: ForgeArgs,
}

impl PlanCommand {
    /// Runs the command.
    pub fn run(&self) -> CliResult {
        // Phase 1: the arguments that only make sense together.
        let shards = match (self.format, self.shards, self.args.shard) {
            (Format::Matrix, None, _) => {
                return Err(CliError::usage(anyhow::anyhow!(
                    "`--format matrix` needs `--shards N`, how many shards the targets are split into"
                ))
                .hint("for example `--shards 4`; each job of the matrix then runs `--shard K/4`"));
            }
            (Format::Matrix, Some(_), Some(shard)) => {
                return Err(CliError::usage(anyhow::anyhow!(
                    "`--shard {shard}` cannot go with `--format matrix`, which lists every shard"
                ))
                .hint("leave out `--shard`; the matrix's jobs pass it"));
            }
            (Format::Matrix, Some(n), None) => Some(n),
            (_, Some(n), _) => {
                return Err(CliError::usage(anyhow::anyhow!(
                    "`--shards {n}` only goes with `--format matrix`"
                ))
                .hint("to plan one shard, pass `--shard K/N`"));
            }
            (_, None, _) => None,
        };
        let auth = self
            .watermark_token_env
            .as_deref()
            .map(watermark::token_auth)
            .transpose()
            .map_err(CliError::of)?;
        if let Some(count) = shards {
            let plans = self.args.planned(|r| r.plan_shards(auth, count))?;
            print_stdout(&ShardMatrix::new(&plans).to_json_line())?;
            return Ok(Exit::Success);
        }
        let mut outcome = self.args.planned(|r| r.plan(auth))?;
        if let PlanOutcome::Planned(plan) = &mut outcome {
            self.read_standings(plan);
        }
        match self.format {
            // Written as it is serialised: the JSON of a large push is megabytes.
            Format::Json => {
                let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
                outcome.write_json(&mut out)?;
                out.flush()?;
            }
            // (A matrix always has `--shards`, handled above.)
            Format::Text | Format::Matrix => print_stdout(&outcome.to_text())?,
            Format::Markdown => print_stdout(&outcome.to_markdown())?,
        }
        // The process exits next: freeing every changed path and delivery one by one is wasted time on a
        // large push.
        std::mem::forget(outcome);
        Ok(Exit::Success)
    }
}
