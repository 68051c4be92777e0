//! `ecosync-cli`: what the `dispatcher` and `subscriber` binaries share on the command line. The library
//! (`ecosync`) holds every decision and never sees clap; this crate turns the command line into the
//! library's settings and the library's results into output and exit codes.
//!
//! - [`glue`]: the fixed pipeline of both binaries (log set-up, parsing, printing an error once, the exit
//!   status) and the one error type at their boundary, [`glue::CliError`], with its kind (which decides
//!   the exit status, see [`ecosync::ErrorKind`]) and its hints, taken from a library error through
//!   [`ecosync::UserError`] by [`glue::CliError::of`].
//! - [`service`]: the service options and runtime of both `watch` commands.
//! - [`cli_env`]: the environment-variable rule (every flag `--some-flag` reads `ECOSYNC_SOME_FLAG`), the
//!   GitHub Actions fallbacks, and a `--help` that hides unset variables' values.
//! - [`forge_args`]: the arguments that choose and configure the forge, mapped to the library's
//!   [`ecosync::ForgeSettings`].

pub mod cli_env;
pub mod forge_args;
pub mod glue;
pub mod service;
