//! `dispatcher init`: writes the source repository's starting `ecosystem.json` (one entry per top-level
//! folder, each repository name a `CHANGE-ME/<folder>` placeholder) and the dispatch workflow, refusing to
//! overwrite any file.

use std::path::PathBuf;

use clap::Args;
use ecosync::init::source_starter;
use ecosync_cli::glue::{CliError, CliResult, Exit, print_stdout};

/// Write a starting ecosystem.json and the dispatch workflow; never overwrites a file.
///
/// `ecosystem.json` gets one entry per top-level folder, sending it to a repository named
/// `CHANGE-ME/<folder>`: replace each with the downstream repository (`validate` warns about each one left,
/// and `dispatch` refuses them). `.github/workflows/dispatch_updates.yml` is the shipped workflow.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The source repository; `.` is the repository containing the current directory.
    #[arg(long, env = "ECOSYNC_REPO", value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
}

impl InitArgs {
    /// Runs the command.
    pub fn run(&self) -> CliResult {
        let files = source_starter(&self.repo);
        files.write().map_err(CliError::of)?;
        print_stdout(&files.summary())?;
        Ok(Exit::Success)
    }
}
