//! Argument parsing and the fixed pipeline: parse, run the subcommand, print the error once, map it to an
//! exit code.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::apply::ApplyArgs;
use crate::check::CheckArgs;

/// Applies an upstream change in a downstream repository and opens one pull request for it.
///
/// Exit status: 0 applied, or nothing to do (not subscribed, already synced, no change); 1 failed (a
/// conflict or an error after the input was accepted; reported as an issue where configured); 2 usage
/// error or invalid configuration; 3 rejected input (bad payload, wrong `source_repo`, unknown, unreachable
/// or too old commit).
#[derive(Debug, Parser)]
#[command(
    name = "subscriber",
    version,
    about,
    long_about,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Check(CheckArgs),
    Apply(Box<ApplyArgs>),
}

/// How a run ended, as an exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Applied, or nothing to do.
    Ok = 0,
    /// Failed after the input was accepted.
    Failed = 1,
    /// Bad usage or invalid configuration.
    Usage = 2,
    /// The input was rejected.
    Rejected = 3,
}

/// An error that ends the run with a given status.
#[derive(Debug)]
pub struct Failure {
    /// The status.
    pub exit: Exit,
    /// What went wrong, with its chain.
    pub error: anyhow::Error,
    /// How to fix it.
    pub hint: Option<String>,
}

impl Failure {
    /// A failure with status `exit`.
    pub fn new(exit: Exit, error: impl Into<anyhow::Error>) -> Self {
        Failure {
            exit,
            error: error.into(),
            hint: None,
        }
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: Option<impl Into<String>>) -> Self {
        self.hint = hint.map(Into::into);
        self
    }
}

/// Parses the arguments, runs the subcommand and turns its outcome into an exit code.
pub fn main() -> ExitCode {
    ecosync_log_init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => crate::check::run(&args),
        Command::Apply(args) => crate::apply::run(*args),
    };
    match result {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(f) => {
            eprintln!("error: {:#}", f.error);
            if let Some(h) = &f.hint {
                eprintln!("  hint: {h}");
            }
            ExitCode::from(f.exit as u8)
        }
    }
}

/// Installs the tracing subscriber: level from `ECOSYNC_LOG` (default `warn`), to stderr.
fn ecosync_log_init() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ECOSYNC_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
