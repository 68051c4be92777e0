//! Shared set-up for the subscriber tests: an upstream repository, a cousin with its configuration, and
//! helpers to run `subscriber` and inspect trees.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use git2::Oid;

use crate::support::{Cmd, Output, Repo};

/// Seconds since the epoch, a day ago: recent enough for the default `max_age`.
pub fn recent() -> i64 {
    (SystemTime::now().duration_since(UNIX_EPOCH).unwrap() - Duration::from_secs(86_400)).as_secs()
        as i64
}

/// An upstream and a cousin.
pub struct Pair {
    pub upstream: Repo,
    pub cousin: Repo,
}

impl Pair {
    /// An upstream with `features/x/{a.txt,b.txt}` and `other/o.txt`, and an empty cousin whose
    /// configuration is `config` (a JSON object; `upstream.url` is filled in when absent).
    pub fn new(mut config: serde_json::Value) -> Pair {
        let upstream = Repo::new();
        upstream.set_time(recent());
        upstream
            .write("features/x/a.txt", "a1\na2\na3\na4\na5\na6\na7\na8\n")
            .write("features/x/b.txt", "b1\n")
            .write("other/o.txt", "o\n");
        upstream.commit("upstream: initial");
        let cousin = Repo::new();
        cousin.set_time(recent());
        if config.get("upstream").and_then(|u| u.get("url")).is_none() {
            config["upstream"]["url"] = upstream.path().display().to_string().into();
        }
        cousin.write(
            ".github/ecosync.json",
            serde_json::to_string_pretty(&config).unwrap(),
        );
        cousin.write("README.md", "cousin\n");
        cousin.commit("cousin: initial");
        Pair { upstream, cousin }
    }

    /// `subscriber apply --repo COUSIN ARGS...`.
    pub fn apply(&self, args: &[&str]) -> Output {
        Cmd::subscriber()
            .arg("apply")
            .arg("--repo")
            .arg(self.cousin.path())
            .args(args)
            .timeout(Duration::from_secs(60))
            .run()
    }
}

/// The standard configuration: upstream `acme/mono`, the given subscriptions and strategy.
pub fn config(subscriptions: serde_json::Value, strategy: &str) -> serde_json::Value {
    serde_json::json!({
        "upstream": {"repo": "acme/mono"},
        "subscriptions": subscriptions,
        "strategy": strategy,
    })
}

/// Every path of a commit's tree with its mode and content.
pub fn tree_files(repo: &git2::Repository, commit: Oid) -> BTreeMap<String, (u32, Vec<u8>)> {
    let tree = repo.find_commit(commit).unwrap().tree().unwrap();
    let mut out = BTreeMap::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() == Some(git2::ObjectType::Blob) {
            let blob = repo.find_blob(entry.id()).unwrap();
            out.insert(
                format!("{dir}{}", entry.name().unwrap()),
                (entry.filemode() as u32, blob.content().to_vec()),
            );
        }
        git2::TreeWalkResult::Ok
    })
    .unwrap();
    out
}

/// A listing of every file under `dir` with its size and modification time, to prove nothing was written.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u64, SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else {
                out.insert(e.path(), (m.len(), m.modified().unwrap()));
            }
        }
    }
    out
}

/// A JSON event file holding `payload`, in its own temp dir.
pub fn event_file(payload: serde_json::Value) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("event.json");
    std::fs::write(
        &path,
        serde_json::to_string(
            &serde_json::json!({"action": "feature-update", "client_payload": payload}),
        )
        .unwrap(),
    )
    .unwrap();
    (dir, path)
}

/// A full ecosync payload for `sha`.
pub fn payload(source: &str, sha: Oid, features: &[&str]) -> serde_json::Value {
    serde_json::json!({
        "ecosync": 1,
        "source_repo": source,
        "ref": "refs/heads/main",
        "base_sha": "0".repeat(40),
        "commit_sha": sha.to_string(),
        "updated_feature": features[0],
        "updated_features": features,
        "changed_paths": [],
        "changed_paths_truncated": false,
        "dispatch_id": "run-42",
    })
}
