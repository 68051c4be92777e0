//! The command line: one subcommand per file.

use clap::{Parser, Subcommand};

use crate::demo::DemoArgs;
use crate::dispatch::DispatchCommand;
use crate::doctor::DoctorArgs;
use crate::explain::ExplainArgs;
use crate::forecast::ForecastArgs;
use crate::forge::ForgeCommand;
use crate::init::InitArgs;
use crate::plan::PlanCommand;
use crate::status::StatusArgs;
use crate::validate::ValidateArgs;
use crate::watch::WatchCommand;
use ecosync_cli::glue::CliResult;

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
    Plan(Box<PlanCommand>),
    /// Deliver the push to each repository it concerns, in each entry's mode (a `repository_dispatch`, a
    /// push, a pull request).
    Dispatch(Box<DispatchCommand>),
    /// Open the `buffered-pr` pull requests whose buffer has run out (same options as `dispatch`; run it on
    /// a schedule).
    Flush(Box<DispatchCommand>),
    /// Watch the source repository and deliver every push, as a long-running service.
    Watch(Box<WatchCommand>),
    // `demo` and `init` take their summary and their longer help from their arguments' doc comments.
    Demo(DemoArgs),
    Init(InitArgs),
    /// Explain why each path is or is not delivered to each entry; sends nothing, needs no token.
    Explain(ExplainArgs),
    /// List the delivery statuses `dispatch --ack` set on a commit; `--wait` until none is pending.
    Status(Box<StatusArgs>),
    /// Check, with the configured credentials, what `dispatch` needs; prints each check and its fix.
    Doctor(Box<DoctorArgs>),
    /// Forecast what each target's sync would do once the head is merged; writes nothing.
    Forecast(Box<ForecastArgs>),
    /// On the local forge, merge, close or reopen pull requests as GitHub's buttons do.
    Forge(Box<ForgeCommand>),
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
        Command::Flush(args) => args.flush(),
        Command::Watch(args) => args.run(),
        Command::Demo(args) => {
            git2::opts::strict_hash_verification(false);
            args.run()
        }
        Command::Init(args) => args.run(),
        Command::Explain(args) => args.run(),
        Command::Status(args) => args.run(),
        Command::Doctor(args) => args.run(),
        Command::Forecast(args) => args.run(),
        Command::Forge(args) => args.run(),
    }
}

#[test]
fn every_flag_follows_the_environment_variable_rule() {
    ecosync_cli::cli_env::assert_every_flag_follows_the_rule::<Cli>();
}
