//! `dispatcher doctor`: checks, with the configured credentials, that `dispatch` can do its work.

use std::path::PathBuf;

use clap::Args;
use clap::builder::BoolishValueParser;
use ecosync::dispatch::dispatcher_checks::{self, DispatcherNeeds};
use ecosync::{Ecosystem, RepoName, SourceLocation};

use ecosync_cli::cli_env::string_or_fallback;
use ecosync_cli::forge_args::ForgeArgs;
use ecosync_cli::glue::{CliError, CliResult, TextOrJson};

/// Check, with the configured credentials, what `dispatch` needs: the token's identity, that it can see
/// the source and every enabled target, and Contents: write on each (Issues: write on the source with
/// --notify-issue). Only reads; exits 1 when a check fails.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The ecosystem file [default: ecosystem.json at the root of --repo].
    #[arg(long, env = "ECOSYNC_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The source repository's clone.
    #[arg(long, env = "ECOSYNC_REPO", value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,

    /// The source repository [default: `$GITHUB_REPOSITORY`, else the `origin` remote, else not checked].
    #[arg(long, env = "ECOSYNC_SOURCE_REPO", value_name = "OWNER/NAME")]
    pub source_repo: Option<String>,

    /// Also check Issues: write on the source repository, as `dispatch --notify-issue` needs.
    #[arg(long, env = "ECOSYNC_NOTIFY_ISSUE", value_parser = BoolishValueParser::new())]
    pub notify_issue: bool,

    /// Output format.
    #[arg(long, env = "ECOSYNC_FORMAT", value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,

    #[command(flatten)]
    pub forge: ForgeArgs,
}

impl DoctorArgs {
    /// Runs the command.
    pub fn run(&self) -> CliResult {
        let location = SourceLocation::find(&self.repo, self.config.as_deref());
        let name = location.config_name.as_str();
        let (ecosystem, _) = Ecosystem::load(&location.config_path, name)
            .map_err(|diagnostics| crate::validate::invalid(name, diagnostics))?;
        let source = match string_or_fallback(self.source_repo.clone(), "GITHUB_REPOSITORY") {
            Some(s) => {
                Some(RepoName::parse(&s).map_err(|e| {
                    CliError::of(e).context(format!("invalid `--source-repo` `{s}`"))
                })?)
            }
            None => ecosync::repo_name::infer_from_origin(&location.repo_dir, "--source-repo").ok(),
        };
        let needs = DispatcherNeeds {
            source,
            notify_issue: self.notify_issue,
        };
        let (runtime, forge) = ecosync_cli::glue::runtime_and_forge(&self.forge)?;
        let report = runtime.block_on(dispatcher_checks::check(&forge, &ecosystem, &needs));
        ecosync_cli::glue::finish_doctor(&report, self.format)
    }
}
