//! `subscriber explain`: for each upstream path, whether this repository subscribes to it, where it lands
//! after the mapping and which strategy brings it. Reads the configuration only.

use std::path::PathBuf;

use clap::Args;
use ecosync::RepoName;
use ecosync::config::cousin_config::ConfigOverrides;
use ecosync::repo_path::RepoPath;
use ecosync::sync::explain;

use crate::config_file;
use ecosync_cli::glue::{CliError, CliResult, Exit, TextOrJson, print_stdout};

/// Explain, for each upstream path, whether it is subscribed, where it lands here and which strategy
/// brings it.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Upstream paths, relative to upstream's root.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<String>,
    /// The configuration file (default: `.github/ecosync.json` in `--repo`).
    #[arg(long, env = "ECOSYNC_CONFIG")]
    pub config: Option<PathBuf>,
    /// The cousin repository's directory.
    #[arg(long, env = "ECOSYNC_REPO", default_value = ".")]
    pub repo: PathBuf,
    /// The upstream repository, for a configuration that is a plain list of subscriptions.
    #[arg(long, env = "ECOSYNC_UPSTREAM")]
    pub upstream: Option<RepoName>,
    /// Output format.
    #[arg(long, env = "ECOSYNC_FORMAT", value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

/// Runs the command.
pub fn run(args: &ExplainArgs) -> CliResult {
    let paths = args
        .paths
        .iter()
        .map(|p| RepoPath::parse(p.strip_prefix("./").unwrap_or(p)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::of(e).hint("give upstream paths as `git ls-files` shows them"))?;
    let path = config_file::config_path(args.config.as_deref(), &args.repo);
    let overrides = ConfigOverrides {
        upstream_repo: args.upstream.clone(),
    };
    let config = config_file::load(&path, &overrides).map_err(|problems| {
        let summary = anyhow::anyhow!(
            "{}: {} problem{} found",
            path.display(),
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        );
        CliError::config(problems, summary)
    })?;
    let landings = explain::explain(&config, &paths);
    let out = match args.format {
        TextOrJson::Text => explain::to_text(&landings),
        TextOrJson::Json => explain::to_json(&landings),
    };
    print_stdout(&out)?;
    Ok(Exit::Success)
}
