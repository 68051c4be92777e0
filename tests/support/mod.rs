//! Shared test helpers: a runner for the real binaries with a bounded time and an isolated environment, and
//! a builder for real git repositories made with git2.

#![allow(dead_code, unused_imports)]

pub mod bare;
pub mod cmd;
pub mod demo;
pub mod dispatch;
pub mod fake_github;
pub mod git_cli;
pub mod links;
pub mod loopback_http;
pub mod plan;
pub mod prism;
pub mod repo;
pub mod snapshot;
pub mod subscriber_fixture;
pub mod validate;
pub mod workflow;

pub use cmd::{Cmd, Output};
pub use repo::Repo;

/// Writes the throwaway RSA key the GitHub App tests sign their JWTs with (made for these tests, used only
/// against the fake GitHub on loopback) into `dir`, and returns its path.
pub fn test_app_key(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("app.pem");
    std::fs::write(&path, include_str!("test_app_key.pem")).expect("write the test key");
    path
}
