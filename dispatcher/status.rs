//! `dispatcher status`: the delivery statuses (`dispatch --ack`) of a source commit, one per target, and
//! with `--wait`, waiting until none is pending.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use ecosync::ErrorKind;
use ecosync::dispatch::deliver::delivery_statuses::DeliveryStatuses;
use ecosync::dispatch::plan::change_set::resolve_commit;

use ecosync_cli::forge_args::{ForgeArgs, parse_duration};
use ecosync_cli::glue::{CliError, CliResult, Exit, print_stdout};

/// How to print the statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// A table for people.
    Text,
    /// One object, for tools.
    Json,
}

/// List the delivery statuses `dispatch --ack` set on a source commit (target, state, description, URL,
/// age); with --wait, wait until none is pending. Exits 1 when --wait times out or a target failed.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The source commit (SHA or ref, resolved in --repo).
    #[arg(value_name = "REV", default_value = "HEAD")]
    pub rev: String,

    /// The source repository's clone, where REV is resolved.
    #[arg(long, env = "ECOSYNC_REPO", value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,

    /// The source repository on the forge [default: `$GITHUB_REPOSITORY`, else the `origin` remote].
    #[arg(long, env = "ECOSYNC_SOURCE_REPO", value_name = "OWNER/NAME")]
    pub source_repo: Option<String>,

    /// Wait at most this long (`90s`, `10m`) until no target is pending.
    #[arg(long, env = "ECOSYNC_WAIT", value_name = "DURATION", value_parser = parse_duration)]
    pub wait: Option<Duration>,

    /// How often to look again while waiting.
    #[arg(long, env = "ECOSYNC_POLL_INTERVAL", value_name = "DURATION", value_parser = parse_duration,
          default_value = "10s")]
    pub poll_interval: Duration,

    /// Output format.
    #[arg(long, env = "ECOSYNC_FORMAT", value_enum, default_value_t = StatusFormat::Text)]
    pub format: StatusFormat,

    #[command(flatten)]
    pub forge: ForgeArgs,
}

impl StatusArgs {
    /// Runs the command.
    pub fn run(&self) -> CliResult {
        // Phase one: the repository, the commit and the forge, before any request.
        let source = crate::source_repo::source_repo(self.source_repo.clone(), &self.repo)?;
        let sha = resolve_sha(&self.repo, &self.rev)?;
        if self.poll_interval.is_zero() {
            return Err(CliError::usage(anyhow::anyhow!(
                "`--poll-interval` must be more than zero"
            )));
        }
        let (runtime, forge) = ecosync_cli::glue::runtime_and_forge(&self.forge)?;
        let result = runtime.block_on(async {
            match self.wait {
                Some(timeout) => {
                    DeliveryStatuses::wait(&forge, &source, &sha, timeout, self.poll_interval).await
                }
                None => DeliveryStatuses::list(&forge, &source, &sha).await,
            }
        });
        let statuses = result.map_err(CliError::of)?;
        let now = SystemTime::now();
        let out = match self.format {
            StatusFormat::Text => statuses.to_text(now),
            StatusFormat::Json => statuses.to_json(now),
        };
        print_stdout(&out)?;
        let failed = statuses.failed();
        if self.wait.is_some() && !failed.is_empty() {
            return Err(CliError::failed(anyhow::anyhow!(
                "{} target(s) did not sync: {}",
                failed.len(),
                failed.join(", ")
            ))
            .hint("each failed target's status links to the issue that says why"));
        }
        Ok(Exit::Success)
    }
}

/// REV as a full SHA: a 40-hex SHA as it is (the clone need not have it), anything else resolved in `repo`.
fn resolve_sha(repo: &std::path::Path, rev: &str) -> Result<String, CliError> {
    if rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(rev.to_ascii_lowercase());
    }
    let git = git2::Repository::discover(repo)
        .with_context(|| format!("`{}` is not a git repository", repo.display()))
        .map_err(|e| CliError::usage(e).hint("pass `--repo DIR`, or give REV as a full SHA"))?;
    resolve_commit(&git, rev)
        .map(|oid| oid.to_string())
        .map_err(|e| CliError::of(e).with_kind(ErrorKind::Usage))
}
