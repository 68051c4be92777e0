//! `ecosync-cli`: what the `dispatcher` and `subscriber` binaries share on the command line: the glue (log
//! set-up, the one error type at the boundary with its kinds, hints and exit codes, printing) and the
//! service runner of both `watch` commands. The library (`ecosync`) holds every decision; this crate only
//! turns its results into output and exit codes.

pub mod glue;
pub mod service;
