//! ecosync keeps a family of git repositories in step with a source repository.
//!
//! The library holds every decision and every side effect; the `dispatcher` and `subscriber` binaries only
//! parse arguments, build a validated configuration, call into this crate, and print what it returns.
//! Nothing in here prints or exits.

pub mod payload;
pub mod repo_name;

pub use payload::Payload;
pub use repo_name::RepoName;
