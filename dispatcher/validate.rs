//! `dispatcher validate`: checks `ecosystem.json` and reports every problem with its place and a hint.

use std::path::PathBuf;

use clap::Args;
use ecosync::config::diagnostic::Diagnostic;

use ecosync::SourceLocation;
use ecosync::dispatch::validation::validate;
use ecosync_cli::glue::{CliError, CliResult, Exit, print_stdout};

/// Check ecosystem.json: every problem is reported with <file:line:column>, the entry, and a hint. Exits 0
/// when it is valid (warnings allowed), 2 otherwise.
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
        let name = location.config_name.as_str();
        let validation = validate(&location.config_path, name, &location.repo_dir);
        let Some(entries) = validation.entries.filter(|_| validation.is_valid()) else {
            return Err(invalid(name, validation.diagnostics));
        };
        let warnings = validation.diagnostics;
        for d in &warnings {
            eprintln!("{d}");
        }
        print_stdout(&format!(
            "`{name}` is valid: {entries} {}, {} {}\n",
            if entries == 1 { "entry" } else { "entries" },
            warnings.len(),
            if warnings.len() == 1 {
                "warning"
            } else {
                "warnings"
            },
        ))?;
        Ok(Exit::Success)
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
