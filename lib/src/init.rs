//! `dispatcher init` and `subscriber init`: the starting files of a source repository (`ecosystem.json` and
//! the dispatch workflow) and of a downstream repository (`.github/ecosync.json` and the sync workflow).
//!
//! What only the user knows is written as a placeholder, `CHANGE-ME/...` (see
//! [`crate::config::placeholder`]): both checkers warn about each one, and the commands that would act on a
//! placeholder refuse it. Nothing is ever overwritten: when any of the files exists, none is written.

pub mod downstream_starter;
mod repo_survey;
pub mod source_starter;
pub mod starter_files;

pub use downstream_starter::downstream_starter;
pub use source_starter::source_starter;
pub use starter_files::{InitError, StarterFile, StarterFiles};
