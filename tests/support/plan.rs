//! Helpers for the `dispatcher plan` tests and the modules that build on them: an ecosystem file in a temp
//! dir, `dispatcher plan` runs, git's own list of changed paths as an oracle, and accessors on the JSON plan.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{Cmd, Repo};

/// An ecosystem file in its own temp dir (outside the repository, so commits never pick it up).
pub struct Config {
    dir: tempfile::TempDir,
}

impl Config {
    pub fn new(value: &Value) -> Self {
        Self::raw(&serde_json::to_string_pretty(value).unwrap())
    }

    pub fn raw(text: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ecosync-config-")
            .tempdir()
            .unwrap();
        std::fs::write(dir.path().join("ecosystem.json"), text).unwrap();
        Config { dir }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("ecosystem.json")
    }
}

/// Runs `dispatcher plan --format json` with `args` in `repo` and returns the parsed plan.
pub fn plan_json(repo: &Repo, config: &Config, args: &[&str]) -> Value {
    let out = plan_cmd(repo, config, args)
        .arg("--format")
        .arg("json")
        .run()
        .success();
    out.json()
}

pub fn plan_cmd(repo: &Repo, config: &Config, args: &[&str]) -> Cmd {
    Cmd::dispatcher()
        .dir(repo.path())
        .arg("plan")
        .arg("--config")
        .arg(config.path())
        .args(args)
}

/// The paths `git diff --name-only --no-renames` lists for `range` (the git CLI as an oracle).
pub fn git_names(repo: &Path, range: &[&str]) -> BTreeSet<String> {
    let out = std::process::Command::new("git")
        .args([
            "-c",
            "core.quotePath=false",
            "diff",
            "--name-only",
            "--no-renames",
            "-z",
        ])
        .args(range)
        .current_dir(repo)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("run git");
    assert!(out.status.success(), "git diff failed: {out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The plan's `changed_paths` as a set.
pub fn changed(plan: &Value) -> BTreeSet<String> {
    strings(&plan["changed_paths"]).into_iter().collect()
}

pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

/// The delivery for `repo`, if any.
pub fn delivery<'a>(plan: &'a Value, repo: &str) -> Option<&'a Value> {
    plan["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["repo"] == repo)
}
