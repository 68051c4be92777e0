//! The `dispatcher` binary: runs in the source repository, works out what a push changed and notifies the
//! downstream repositories that subscribe to it.

mod cli;
mod demo;
mod dispatch;
mod plan;
mod validate;

fn main() -> std::process::ExitCode {
    cli::main()
}
