//! The `dispatcher` binary: runs in the source repository, works out what a push changed and notifies the
//! downstream repositories that subscribe to it.

mod cli;
mod demo;
mod demo_steps;
mod direct;
mod dispatch;
mod doctor;
mod explain;
mod forecast;
mod forge;
mod init;
mod plan;
mod plan_args;
mod source_repo;
mod status;
mod validate;
mod watch;

fn main() -> std::process::ExitCode {
    ecosync_cli::glue::main(cli::run)
}
