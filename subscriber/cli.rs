//! The command line: one subcommand per file.

use clap::{Parser, Subcommand};

use crate::apply::ApplyArgs;
use crate::check::CheckArgs;
use crate::doctor::DoctorArgs;
use crate::explain::ExplainArgs;
use crate::init::InitArgs;
use crate::watch::WatchArgs;
use ecosync_cli::glue::CliResult;

/// Applies an upstream change in a downstream repository and opens one pull request for it.
///
/// Exit status: 0 applied, or nothing to do (not subscribed, already synced, no change); 1 failed (a
/// conflict or an error after the input was accepted; reported as an issue where configured); 2 usage
/// error or invalid configuration; 3 rejected input (bad payload, wrong `source_repo`, unknown, unreachable
/// or too old commit).
#[derive(Debug, Parser)]
#[command(
    name = "subscriber",
    version = env!("ECOSYNC_VERSION_LINE"),
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
    /// Watch the upstream branch and sync each new head, as a long-running service.
    Watch(Box<WatchArgs>),
    Explain(ExplainArgs),
    Doctor(Box<DoctorArgs>),
    Init(InitArgs),
}

/// Runs the subcommand.
pub fn run(cli: Cli) -> CliResult {
    match cli.command {
        Command::Check(args) => crate::check::run(&args),
        Command::Apply(args) => crate::apply::run(*args),
        Command::Watch(args) => crate::watch::run(*args),
        Command::Explain(args) => crate::explain::run(&args),
        Command::Doctor(args) => crate::doctor::run(&args),
        Command::Init(args) => crate::init::run(&args),
    }
}

#[test]
fn every_flag_follows_the_environment_variable_rule() {
    ecosync_cli::cli_env::assert_every_flag_follows_the_rule::<Cli>();
}
