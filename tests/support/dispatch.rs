//! The `dispatcher dispatch` tests' set-up: a repository with a change to dispatch and an ecosystem file
//! subscribing some repositories to it, a local forge, and the command that dispatches to it.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::plan::Config;
use crate::support::{Cmd, Repo};

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

/// A local forge holding a bare repository for each of `names`.
pub fn local_forge(names: &[&str]) -> tempfile::TempDir {
    let forge = tempfile::Builder::new()
        .prefix("ecosync-forge-")
        .tempdir()
        .unwrap();
    for name in names {
        git2::Repository::init_bare(forge.path().join(format!("{name}.git"))).unwrap();
    }
    forge
}

/// `dispatcher dispatch` of `repo`'s last commit on `main` as `acme/source`, with `config`; the caller
/// says where to (`--api-url` or `--forge`).
pub fn dispatch_cmd(repo: &Repo, config: &Config) -> Cmd {
    dispatch_cmd_from_origin(repo, config).args(["--source-repo", "acme/source"])
}

/// [`dispatch_cmd`] without `--source-repo`: the dispatcher reads it from `origin`.
pub fn dispatch_cmd_from_origin(repo: &Repo, config: &Config) -> Cmd {
    Cmd::dispatcher()
        .dir(repo.path())
        .args([
            "dispatch", "--base", "HEAD~1", "--head", "HEAD", "--ref", "main",
        ])
        .arg("--config")
        .arg(config.path())
}

/// [`dispatch_cmd`] to the local forge `forge`, without pacing.
pub fn dispatch_local(repo: &Repo, config: &Config, forge: &Path) -> Cmd {
    dispatch_cmd(repo, config)
        .arg("--forge")
        .arg(format!("local:{}", forge.display()))
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .timeout(Duration::from_secs(60))
}
