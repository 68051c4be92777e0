//! Shared test helpers: a runner for the real binaries with a bounded time and an isolated environment, and
//! a builder for real git repositories made with git2.

#![allow(dead_code, unused_imports)]

pub mod cmd;
pub mod fake_github;
pub mod prism;
pub mod repo;
pub mod workflow;

pub use cmd::{Cmd, Output};
pub use repo::Repo;
