//! `dispatcher explain`: for each path and each entry of `ecosystem.json`, whether a change of it is
//! delivered and why. Reads the configuration and the clone's HEAD tree only; sends nothing.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use ecosync::dispatch::plan::change_set::{resolve_commit, tree_paths};
use ecosync::dispatch::plan::explain::{self, check_path};
use ecosync::dispatch::plan::github_event::short_branch;
use ecosync::{Ecosystem, SourceLocation};

use ecosync_cli::glue::{CliError, CliResult, Exit, TextOrJson, print_stdout};

/// Explain, for each path and each entry, whether a change of the path is dispatched and why: the deciding
/// pattern (the last that matches), the pattern it would need, the branch filter (with --ref), a disabled
/// entry. A directory of HEAD's tree stands for every file below it. Sends nothing, needs no token.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Paths relative to the repository root; a directory (or a path ending with `/`) stands for the files
    /// below it.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<String>,

    /// The ecosystem file [default: ecosystem.json at the root of --repo].
    #[arg(long, env = "ECOSYNC_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The source repository's clone, whose HEAD tree tells directories from files; `.` is the repository
    /// containing the current directory.
    #[arg(long, env = "ECOSYNC_REPO", value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,

    /// The branch pushed, checked against each entry's `branches` [default: not checked, only listed].
    #[arg(long = "ref", env = "ECOSYNC_REF", value_name = "REF")]
    pub git_ref: Option<String>,

    /// Output format.
    #[arg(long, env = "ECOSYNC_FORMAT", value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,

    /// List every entry for each path, also those no pattern of which comes near it (the JSON always has
    /// every entry).
    #[arg(long, env = "ECOSYNC_ALL", value_parser = clap::builder::BoolishValueParser::new())]
    pub all: bool,
}

impl ExplainArgs {
    /// Runs the command.
    pub fn run(&self) -> CliResult {
        // Phase one: every input checked before anything is read.
        let paths = self
            .paths
            .iter()
            .map(|p| check_path(p))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CliError::of(e).hint("give paths as `git ls-files` shows them"))?;
        let git_ref = self
            .git_ref
            .as_deref()
            .filter(|r| !r.is_empty())
            .map(|r| short_branch(r).to_owned());
        let location = SourceLocation::find(&self.repo, self.config.as_deref());
        let name = location.config_name.as_str();
        let (ecosystem, warnings) = match Ecosystem::load(&location.config_path, name) {
            Ok(ok) => ok,
            Err(diagnostics) => return Err(crate::validate::invalid(name, diagnostics)),
        };
        for w in warnings {
            eprintln!("{w}");
        }
        // Without a readable clone every path is taken as a file (a trailing `/` still marks a directory).
        let tree = git2::Repository::open(&location.repo_dir)
            .ok()
            .and_then(|repo| {
                resolve_commit(&repo, "HEAD")
                    .and_then(|head| tree_paths(&repo, head))
                    .ok()
            });
        if tree.is_none() {
            eprintln!(
                "warning: no commit to read in `{}`, so every path is taken as a file (end a directory \
                 with `/`)",
                location.repo_dir.display()
            );
        }
        let explanations =
            explain::explain(&ecosystem, &paths, tree.as_deref(), git_ref.as_deref())
                .context("cannot match the subscription patterns")?;
        let out = match self.format {
            TextOrJson::Text => explain::to_text(&explanations, self.all),
            TextOrJson::Json => explain::to_json(&explanations),
        };
        print_stdout(&out)?;
        Ok(Exit::Success)
    }
}
