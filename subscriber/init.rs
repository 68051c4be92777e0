//! `subscriber init`: writes the downstream repository's starting `.github/ecosync.json` (one subscription
//! per top-level folder, the upstream directories and, unless `--upstream` names it, the upstream repository
//! as `CHANGE-ME` placeholders) and the sync workflow, refusing to overwrite any file.

use std::path::PathBuf;

use clap::Args;
use ecosync::RepoName;
use ecosync::init::downstream_starter;
use ecosync_cli::glue::{CliError, CliResult, Exit, print_stdout};

/// Write a starting .github/ecosync.json and the sync workflow; never overwrites a file.
///
/// `.github/ecosync.json` gets one subscription per top-level folder, `{"path": "CHANGE-ME/<folder>", "to":
/// "<folder>"}`: write the upstream directory each folder copies (`check` warns about each placeholder left,
/// and `apply` refuses them). `.github/workflows/sync-upstream.yml` is the shipped workflow.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The downstream repository; `.` is the repository containing the current directory.
    #[arg(long, env = "ECOSYNC_REPO", value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// The upstream repository, `owner/name` [default: a `CHANGE-ME/upstream` placeholder].
    #[arg(long, env = "ECOSYNC_UPSTREAM", value_name = "OWNER/NAME")]
    pub upstream: Option<RepoName>,
}

/// Runs `init`.
pub fn run(args: &InitArgs) -> CliResult {
    let files = downstream_starter(&args.repo, args.upstream.as_ref());
    files.write().map_err(CliError::of)?;
    print_stdout(&files.summary())?;
    Ok(Exit::Success)
}
