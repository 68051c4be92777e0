//! `dispatcher plan`: shows what a push would dispatch, sends nothing, needs no token.

use std::io::Write as _;

use clap::{Args, ValueEnum};
use ecosync::PlanOutcome;
use ecosync::dispatch::plan::shard_matrix::ShardMatrix;
use ecosync::dispatch::plan::watermark;
use ecosync_cli::forge_args::ForgeArgs;
use ecosync_cli::glue::{CliError, CliResult, Exit, print_stdout};

use crate::plan_args::PlanArgs;

impl PlanCommand {
    /// Attaches what the source records about held-back targets, when a forge can be set up and the source
    /// named; a failure to read is a warning, the plan stands.
    fn read_standings(&self, plan: &mut ecosync::Plan) {
        let Ok(source) = crate::source_repo::source_repo(self.source_repo.clone(), &self.args.repo)
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
