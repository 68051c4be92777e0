//! `dispatcher validate`: checks `ecosystem.json` and reports every problem with its place and a hint.

use std::path::{Path, PathBuf};

use clap::Args;
use ecosync::config::diagnostic::Diagnostic;

use ecosync::dispatch::plan::change_set::{resolve_commit, tree_paths};
use ecosync::{Ecosystem, SourceLocation};
use ecosync_cli::glue::{CliError, CliResult, Exit, print_stdout};

/// Check ecosystem.json: every problem is reported with <file:line:column>, the entry, and a hint. Exits 0
/// when it is valid (warnings allowed), 1 otherwise.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The ecosystem file [default: ecosystem.json at the root of --repo].
    #[arg(long, env = "ECOSYNC_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The source repository, whose HEAD tree the patterns are checked against (a pattern that matches no
    /// file there is a warning); `.` is the repository containing the current directory.
    #[arg(long, env = "ECOSYNC_REPO", value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
}

impl ValidateArgs {
    /// Runs the command.
    pub fn run(&self) -> CliResult {
        let location = SourceLocation::find(&self.repo, self.config.as_deref());
        let (path, name) = (&location.config_path, location.config_name.as_str());
        let (ecosystem, mut diagnostics) = match Ecosystem::load(path, name) {
            Ok(ok) => ok,
            Err(diagnostics) => return Err(invalid(name, diagnostics)),
        };
        diagnostics.extend(tree_warnings(&location.repo_dir, &ecosystem, name)?);
        diagnostics.sort_by_key(|d| d.location);
        for d in &diagnostics {
            eprintln!("{d}");
        }
        let entries = ecosystem.entries().len();
        print_stdout(&format!(
            "`{name}` is valid: {entries} {}, {} {}\n",
            if entries == 1 { "entry" } else { "entries" },
            diagnostics.len(),
            if diagnostics.len() == 1 {
                "warning"
            } else {
                "warnings"
            },
        ))?;
        Ok(Exit::Success)
    }
}

/// Warnings for patterns that match nothing in the repository's HEAD; a warning of its own when there is no
/// tree to check against.
fn tree_warnings(
    repo_dir: &Path,
    ecosystem: &Ecosystem,
    name: &str,
) -> anyhow::Result<Vec<Diagnostic>> {
    let repo = match git2::Repository::open(repo_dir) {
        Ok(repo) => repo,
        Err(e) => {
            return Ok(vec![
                Diagnostic::warning(
                    name,
                    format!(
                        "cannot check the patterns against `{}`: {}",
                        repo_dir.display(),
                        e.message()
                    ),
                )
                .hint("pass `--repo DIR` with the source repository's clone"),
            ]);
        }
    };
    match resolve_commit(&repo, "HEAD").and_then(|head| tree_paths(&repo, head)) {
        Ok(paths) => Ok(ecosystem.unmatched_pattern_warnings(&paths, "HEAD")?),
        // An empty repository: the error says so and what to do.
        Err(e) => Ok(vec![Diagnostic::warning(
            name,
            format!("cannot check the patterns against HEAD: {e}"),
        )]),
    }
}

/// The error for an invalid `ecosystem.json`: its problems, then how many errors.
pub fn invalid(name: &str, diagnostics: Vec<Diagnostic>) -> CliError {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let summary = anyhow::anyhow!(
        "`{name}` is invalid: {errors} {}",
        if errors == 1 { "error" } else { "errors" }
    );
    CliError::config(diagnostics, summary)
}
