//! The command line: one subcommand per file.

use clap::{Parser, Subcommand};

use crate::demo::DemoArgs;
use crate::dispatch::DispatchCommand;
use crate::glue::CliResult;
use crate::plan::PlanCommand;
use crate::validate::ValidateArgs;
use crate::watch::WatchCommand;

/// Works out which paths a push changed and notifies the downstream repositories that subscribe to them.
///
/// Exit status: 0 success (also "nothing to dispatch"); 1 a delivery or another step failed; 2 bad command
/// line or invalid configuration.
#[derive(Debug, Parser)]
#[command(
    name = "dispatcher",
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
    /// Check ecosystem.json and report every problem.
    Validate(ValidateArgs),
    /// Show what a push would dispatch; sends nothing, needs no token.
    Plan(PlanCommand),
    /// Send one `repository_dispatch` to each repository the push concerns.
    Dispatch(Box<DispatchCommand>),
    /// Watch the source repository and deliver every push, as a long-running service.
    Watch(Box<WatchCommand>),
    /// Run the whole chain on a sample, locally: no token, no network.
    Demo(DemoArgs),
}

/// Runs the subcommand.
pub fn run(cli: Cli) -> CliResult {
    // Like git itself, trust the local object database instead of re-hashing every object read: on a
    // large diff this check alone costs as much as the diff. Planning (`plan`, `dispatch`) sets it itself
    // once its configuration is being read on another thread, so that libgit2's start-up, which the first
    // call pays, overlaps that reading.
    match cli.command {
        Command::Validate(args) => {
            git2::opts::strict_hash_verification(false);
            args.run()
        }
        Command::Plan(args) => args.run(),
        Command::Dispatch(args) => args.run(),
        Command::Watch(args) => args.run(),
        Command::Demo(args) => {
            git2::opts::strict_hash_verification(false);
            args.run()
        }
    }
}

#[test]
fn every_flag_follows_the_environment_variable_rule() {
    crate::glue::assert_every_flag_follows_the_rule::<Cli>();
}
