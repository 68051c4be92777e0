//! Argument parsing and the fixed pipeline: parse, run the subcommand, print the error once, map it to an
//! exit code (0 success, 1 invalid configuration or any error, 2 usage).

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::demo::DemoArgs;
use crate::dispatch::DispatchCommand;
use crate::plan::PlanCommand;
use crate::validate::ValidateArgs;

/// Works out which paths a push changed and notifies the downstream repositories that subscribe to them.
#[derive(Debug, Parser)]
#[command(name = "dispatcher", version, about, propagate_version = true)]
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
    /// Send one repository_dispatch to each repository the push concerns.
    Dispatch(Box<DispatchCommand>),
    /// Run the whole chain on a sample, locally: no token, no network.
    Demo(DemoArgs),
}

/// Parses the arguments, runs the subcommand and turns its outcome into an exit code.
pub fn main() -> ExitCode {
    ecosync_log_init();
    let cli = Cli::parse();
    // Like git itself, trust the local object database instead of re-hashing every object read: on a
    // large diff this check alone costs as much as the diff.
    git2::opts::strict_hash_verification(false);
    let result = match &cli.command {
        Command::Validate(args) => args.run(),
        Command::Plan(args) => args.run(),
        Command::Dispatch(args) => args.run(),
        Command::Demo(args) => args.run(),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            // An invalid configuration is already a list of "error: file:line:col: ..." lines.
            let invalid =
                err.downcast_ref::<ecosync::EcosystemInvalid>()
                    .or_else(|| match err.downcast_ref::<ecosync::PlanError>() {
                        Some(ecosync::PlanError::Config(invalid)) => Some(invalid),
                        _ => None,
                    });
            if let Some(invalid) = invalid {
                eprintln!("{invalid}");
            } else {
                eprintln!("error: {err:#}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Writes to stdout, reporting failures (a closed pipe is treated as success by `main`).
pub fn print_stdout(s: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())?;
    out.flush()?;
    Ok(())
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
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
