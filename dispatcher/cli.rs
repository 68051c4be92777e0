//! Argument parsing and the fixed pipeline: parse, run the subcommand, print the error once, map it to an
//! exit code.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Works out which paths a push changed and notifies the downstream repositories that subscribe to them.
#[derive(Debug, Parser)]
#[command(name = "dispatcher", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[allow(unreachable_code)]
#[derive(Debug, Subcommand)]
enum Command {
    // Subcommands are added here, one file each (validate.rs, plan.rs, dispatch.rs).
}

/// Parses the arguments, runs the subcommand and turns its outcome into an exit code.
// Allowed only until the first subcommand is added.
#[allow(unreachable_code, unused_variables)]
pub fn main() -> ExitCode {
    ecosync_log_init();
    let cli = Cli::parse();
    match cli.command {}
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
