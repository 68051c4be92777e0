//! `subscriber doctor`: checks, with the configured credentials, that `apply` can do its work.

use std::path::PathBuf;

use clap::Args;
use ecosync::RepoName;
use ecosync::config::cousin_config::ConfigOverrides;
use ecosync::sync::subscriber_checks;

use crate::config_file;
use ecosync_cli::cli_env::string_or_fallback;
use ecosync_cli::forge_args::ForgeArgs;
use ecosync_cli::glue::{CliError, CliResult, TextOrJson};

/// Check, with the configured credentials, what `apply` needs: the token's identity, Contents and Pull
/// requests write here (Workflows when subscriptions reach `.github/workflows`), the base branch, for a
/// workflow's `GITHUB_TOKEN` the setting "Allow GitHub Actions to create and approve pull requests", Issues
/// write where failures go, and upstream's visibility. Only reads; exits 1 when a check fails.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The configuration file (default: `.github/ecosync.json` in `--repo`).
    #[arg(long, env = "ECOSYNC_CONFIG")]
    pub config: Option<PathBuf>,
    /// This repository's directory.
    #[arg(long, env = "ECOSYNC_REPO", default_value = ".")]
    pub repo: PathBuf,
    /// The upstream repository, for a configuration that is a plain list of subscriptions.
    #[arg(long, env = "ECOSYNC_UPSTREAM")]
    pub upstream: Option<RepoName>,
    /// This repository, `owner/name` [default: `$GITHUB_REPOSITORY`, else the `origin` remote].
    #[arg(long, env = "ECOSYNC_REPO_NAME", value_name = "OWNER/NAME")]
    pub repo_name: Option<String>,
    /// Output format.
    #[arg(long, env = "ECOSYNC_FORMAT", value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
    #[command(flatten)]
    pub forge: ForgeArgs,
}

/// Runs the command.
pub fn run(args: &DoctorArgs) -> CliResult {
    let path = config_file::config_path(args.config.as_deref(), &args.repo);
    let overrides = ConfigOverrides {
        upstream_repo: args.upstream.clone(),
    };
    let config = config_file::load(&path, &overrides).map_err(|problems| {
        let summary = anyhow::anyhow!("invalid configuration `{}`", path.display());
        CliError::config(problems, summary).hint("run `subscriber check` for the full report")
    })?;
    let cousin = match string_or_fallback(args.repo_name.clone(), "GITHUB_REPOSITORY") {
        Some(r) => RepoName::parse(&r)
            .map_err(|e| CliError::of(e).context(format!("invalid `--repo-name` `{r}`")))?,
        None => ecosync::repo_name::infer_from_origin(&args.repo, "--repo-name")
            .map_err(CliError::of)?,
    };
    let (runtime, forge) = ecosync_cli::glue::runtime_and_forge(&args.forge)?;
    let report = runtime.block_on(subscriber_checks::check(&forge, &config, &cousin));
    ecosync_cli::glue::finish_doctor(&report, args.format)
}
