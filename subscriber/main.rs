//! The `subscriber` binary: runs in a downstream repository, verifies an upstream commit, applies it and
//! opens or updates one pull request (or, on failure, an issue that says what to do).

mod apply;
mod check;
mod cli;
mod config_file;
mod doctor;
mod explain;
mod init;
mod watch;

fn main() -> std::process::ExitCode {
    ecosync_cli::glue::main(cli::run)
}
