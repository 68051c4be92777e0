//! The source side of the `dispatcher dispatch` tests: a repository with a change to dispatch and an
//! ecosystem file subscribing some repositories to it.

use serde_json::{Value, json};

use crate::support::Repo;
use crate::support::plan::Config;

/// A source repository whose last commit changes `src/lib.rs`, and a config subscribing `repos` to it.
pub fn source(repos: &[&str]) -> (Repo, Config) {
    let repo = Repo::new();
    repo.write("README.md", "hello");
    repo.commit("first");
    repo.write("src/lib.rs", "fn main() {}");
    repo.write("docs/guide.md", "guide");
    repo.commit("second");
    let entries: Vec<Value> = repos
        .iter()
        .map(|r| json!({"repo": r, "subscriptions": ["src/**", "docs/**"], "event_type": "upstream-update"}))
        .collect();
    (repo, Config::new(&Value::Array(entries)))
}
