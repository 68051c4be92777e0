//! `subscriber check`: validates the cousin's configuration file and reports every problem with its line
//! and column and a hint.

use std::path::PathBuf;

use clap::Args;
use ecosync::RepoName;
use ecosync::config::cousin_config::ConfigOverrides;

use crate::config_file;
use ecosync_cli::glue::{CliError, CliResult, Exit, print_stdout};

/// Checks `.github/ecosync.json` (or `--config FILE`) and prints every problem found.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The configuration file (default: `.github/ecosync.json` in `--repo`).
    #[arg(long, env = "ECOSYNC_CONFIG")]
    pub config: Option<PathBuf>,
    /// The cousin repository's directory.
    #[arg(long, env = "ECOSYNC_REPO", default_value = ".")]
    pub repo: PathBuf,
    /// The upstream repository, for a configuration that is a plain list of subscriptions.
    #[arg(long, env = "ECOSYNC_UPSTREAM")]
    pub upstream: Option<RepoName>,
}

/// Runs the check.
pub fn run(args: &CheckArgs) -> CliResult {
    let path = config_file::config_path(args.config.as_deref(), &args.repo);
    let overrides = ConfigOverrides {
        upstream_repo: args.upstream.clone(),
    };
    match config_file::load_with_placeholders(&path, &overrides) {
        Ok((config, warnings)) => {
            for w in &warnings {
                eprintln!("{w}");
            }
            let warned = match warnings.len() {
                0 => String::new(),
                1 => " (1 warning)".to_owned(),
                n => format!(" ({n} warnings)"),
            };
            print_stdout(&format!(
                "{}: ok{warned}: syncs {} from {} (`{}`) with strategy `{}`\n",
                path.display(),
                config.describe_subscriptions().join(", "),
                config.upstream_repo,
                config.upstream_branch,
                config.strategy
            ))?;
            Ok(Exit::Success)
        }
        Err(problems) => {
            let summary = anyhow::anyhow!(
                "{}: {} problem{} found",
                path.display(),
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            );
            Err(CliError::config(problems, summary))
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::{Args as _, Command};
    use ecosync_cli::cli_env::flags_off_the_rule;

    #[test]
    fn every_flag_of_check_reads_its_ecosync_variable() {
        let cmd = super::CheckArgs::augment_args(Command::new("check"));
        assert_eq!(flags_off_the_rule(&cmd), Vec::<String>::new());
    }
}
