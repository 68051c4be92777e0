//! The content matrix: content that ordinary files do not exercise (gitlinks added, bumped, removed and
//! outside the subscribed folder; a non-UTF-8 name; a symlink; a mode-only change), through every way a
//! change travels (the subscriber's `cherry-pick`, `diff-apply` mapped and at the root, `squash` and
//! `merge`; the dispatcher's `push`, `pull-request`, `per_commit` and `buffered-pr`). After each step the
//! synced tree is compared with git's own (`git ls-tree -r -z`: names as bytes, modes, ids), and the
//! figures are printed as `content matrix: WAY: right/total`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use git2::{FileMode, Oid, Repository};
use serde_json::json;

use crate::support::Cmd;
use crate::support::Repo;
use crate::support::plan::Config;
use crate::support::subscriber_fixture::{Pair, config, recent};

/// The cases, in the order they are committed (each builds on the one before).
const CASES: [&str; 7] = [
    "gitlink added",
    "gitlink bumped",
    "gitlink outside the folder",
    "gitlink removed",
    "non-UTF-8 name",
    "symlink",
    "mode-only change",
];

const SUB_1: &str = "1111111111111111111111111111111111111111";
const SUB_2: &str = "2222222222222222222222222222222222222222";

/// Commits case `n` on `repo`'s `main` (a tree edit: a gitlink cannot be staged from a work tree without
/// its submodule), `secs` since the epoch.
fn commit_case(repo: &Repository, n: usize, secs: i64) -> Oid {
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    let tree = head.tree().unwrap();
    let mut u = git2::build::TreeUpdateBuilder::new();
    let blob = |text: &str| repo.blob(text.as_bytes()).unwrap();
    match n {
        0 => {
            u.upsert(
                "features/x/sub",
                Oid::from_str(SUB_1).unwrap(),
                FileMode::Commit,
            );
        }
        1 => {
            u.upsert(
                "features/x/sub",
                Oid::from_str(SUB_2).unwrap(),
                FileMode::Commit,
            );
        }
        2 => {
            u.upsert(
                "vendor/lib",
                Oid::from_str(SUB_1).unwrap(),
                FileMode::Commit,
            );
            u.upsert("features/x/b.txt", blob("b2\n"), FileMode::Blob);
        }
        3 => {
            u.remove("features/x/sub");
        }
        4 => {
            u.upsert(
                &b"features/x/caf\xe9.txt"[..],
                blob("latin-1\n"),
                FileMode::Blob,
            );
        }
        5 => {
            u.upsert("features/x/link", blob("a.txt"), FileMode::Link);
        }
        _ => {
            let a = tree.get_path(Path::new("features/x/a.txt")).unwrap().id();
            u.upsert("features/x/a.txt", a, FileMode::BlobExecutable);
        }
    }
    let new = u.create_updated(repo, &tree).unwrap();
    let sig = git2::Signature::new("Test", "test@example.com", &git2::Time::new(secs, 0)).unwrap();
    repo.commit(
        Some("HEAD"),
        &sig,
        &sig,
        &format!("upstream: {}", CASES[n]),
        &repo.find_tree(new).unwrap(),
        &[&head],
    )
    .unwrap()
}

/// `git ls-tree -r -z TREEISH` in the repository `dir`: every entry's mode, type, id and name, as bytes.
fn ls_tree(dir: &Path, treeish: &str) -> Vec<Vec<u8>> {
    let out = Command::new("git")
        .args(["ls-tree", "-r", "-z", treeish])
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success(), "git ls-tree {treeish}: {out:?}");
    let mut entries: Vec<Vec<u8>> = out
        .stdout
        .split(|&b| b == 0)
        .filter(|e| !e.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    entries.sort();
    entries
}

/// Entries whose name starts with none of `skip`.
fn without(entries: Vec<Vec<u8>>, skip: &[&str]) -> Vec<Vec<u8>> {
    entries
        .into_iter()
        .filter(|e| {
            let name = e.splitn(2, |&b| b == b'\t').nth(1).unwrap_or_default();
            !skip.iter().any(|s| name.starts_with(s.as_bytes()))
        })
        .collect()
}

/// The tally of one way: cases right, and what was wrong.
#[derive(Default)]
struct Tally {
    right: usize,
    wrong: Vec<String>,
}

impl Tally {
    fn check(&mut self, case: &str, ok: bool, detail: impl FnOnce() -> String) {
        if ok {
            self.right += 1;
        } else {
            self.wrong.push(format!("{case}: {}", detail()));
        }
    }

    fn finish(self, way: &str) {
        println!("content matrix: {way}: {}/{}", self.right, CASES.len());
        assert!(self.wrong.is_empty(), "{way}:\n{}", self.wrong.join("\n"));
    }
}

fn show(entries: &[Vec<u8>]) -> String {
    entries
        .iter()
        .map(|e| String::from_utf8_lossy(e).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

const BRANCH: &str = "ecosync/acme-mono";

/// One subscriber strategy through every case: `to` is where `features/x` goes (`app`, or `""` for the
/// root); `merge` compares whole trees.
fn subscriber_way(way: &str, strategy: &str, to: &str) {
    // `merge` merges whole commits: its subscriptions only say which pushes concern it.
    let subs = if strategy == "merge" {
        json!(["features/x"])
    } else {
        json!([{"path": "features/x", "to": to}])
    };
    let p = Pair::new(config(subs, strategy));
    p.apply(&["--latest"]).success();
    p.merge_pr(BRANCH, "merge");
    let mut tally = Tally::default();
    for (n, case) in CASES.iter().enumerate() {
        let secs = recent() + 3600 + i64::try_from(n).unwrap() * 60;
        let commit = commit_case(&p.upstream.git, n, secs);
        let out = p.apply(&["--latest"]);
        if out.code != Some(0) {
            tally.check(case, false, || format!("the sync failed: {out}"));
            continue;
        }
        let cousin = p.forge_repo("cousin");
        let upstream = p.upstream.path();
        let (want, got) = if strategy == "merge" {
            (
                ls_tree(upstream, &commit.to_string()),
                without(ls_tree(&cousin, BRANCH), &[".github/", "README.md"]),
            )
        } else if to.is_empty() {
            (
                ls_tree(upstream, &format!("{commit}:features/x")),
                without(ls_tree(&cousin, BRANCH), &[".github/"]),
            )
        } else {
            (
                ls_tree(upstream, &format!("{commit}:features/x")),
                ls_tree(&cousin, &format!("{BRANCH}:{to}")),
            )
        };
        let outside = strategy != "merge"
            && ls_tree(&cousin, BRANCH)
                .iter()
                .any(|e| e.windows(11).any(|w| w == b"\tvendor/lib"));
        tally.check(case, want == got && !outside, || {
            format!("want\n{}\ngot\n{}", show(&want), show(&got))
        });
        p.merge_pr(BRANCH, "merge");
    }
    tally.finish(way);
}

#[test]
fn cherry_pick() {
    subscriber_way("cherry-pick", "cherry-pick", "app");
}

#[test]
fn diff_apply_mapped() {
    subscriber_way("diff-apply mapped", "diff-apply", "app");
}

#[test]
fn diff_apply_at_the_root() {
    subscriber_way("diff-apply at the root", "diff-apply", "");
}

#[test]
fn squash() {
    subscriber_way("squash", "squash", "app");
}

#[test]
fn merge() {
    subscriber_way("merge", "merge", "app");
}

/// A source like the subscriber's upstream, a local forge with `acme/mono` and the target `acme/t`.
fn dispatcher_way(way: &str, entry: &serde_json::Value) {
    let repo = Repo::new();
    repo.write("features/x/a.txt", "a1\n")
        .write("features/x/b.txt", "b1\n")
        .write("other/o.txt", "o\n");
    repo.commit("first");
    let forge = crate::support::dispatch::local_forge(&["acme/mono"]);
    let target = forge.path().join("acme/t.git");
    Repository::init_bare(&target)
        .unwrap()
        .set_head("refs/heads/main")
        .unwrap();
    let mode = entry["mode"].as_str().unwrap().to_owned();
    if mode == "push" {
        repo.push(&target, "main");
    } else {
        let own = Repo::new();
        own.write("own.txt", "the target's own\n");
        own.commit("target start");
        own.push(&target, "main");
    }
    let config = Config::new(&json!([entry.clone()]));
    let dispatch = || {
        Cmd::dispatcher()
            .dir(repo.path())
            .args([
                "dispatch", "--base", "HEAD~1", "--head", "HEAD", "--ref", "main",
            ])
            .args(["--source-repo", "acme/mono", "--no-watermark"])
            .arg("--config")
            .arg(config.path())
            .arg("--forge")
            .arg(format!("local:{}", forge.path().display()))
            .env("ECOSYNC_MIN_INTERVAL", "0")
            .timeout(Duration::from_secs(90))
            .run()
    };
    let bare = Repository::open_bare(&target).unwrap();
    let merge = |branch: &str| {
        let head = bare.refname_to_id(&format!("refs/heads/{branch}")).unwrap();
        bare.reference("refs/heads/main", head, true, "merged")
            .unwrap();
    };
    let per_commit = entry["per_commit"] == json!(true);
    if mode != "push" {
        // A first sync, merged: later pushes bring each change on its own.
        repo.write("features/x/a.txt", "a2\n");
        repo.commit("a2");
        dispatch().success();
        merge(BRANCH);
    }
    let mut tally = Tally::default();
    for (n, case) in CASES.iter().enumerate() {
        let secs = crate::support::repo::EPOCH + 86_400 + i64::try_from(n).unwrap() * 60;
        let commit = commit_case(&repo.git, n, secs);
        let out = dispatch();
        if out.code != Some(0) {
            tally.check(case, false, || format!("the delivery failed: {out}"));
            continue;
        }
        let branch = if mode == "push" {
            "main".to_owned()
        } else if per_commit {
            format!("{BRANCH}-{}", &commit.to_string()[..12])
        } else {
            BRANCH.to_owned()
        };
        let (want, got) = if mode == "push" {
            (
                ls_tree(repo.path(), &commit.to_string()),
                ls_tree(&target, &branch),
            )
        } else {
            (
                ls_tree(repo.path(), &format!("{commit}:features/x")),
                ls_tree(&target, &format!("{branch}:x")),
            )
        };
        let outside = mode != "push"
            && ls_tree(&target, &branch)
                .iter()
                .any(|e| e.windows(11).any(|w| w == b"\tvendor/lib"));
        tally.check(case, want == got && !outside, || {
            format!("want\n{}\ngot\n{}", show(&want), show(&got))
        });
        if mode != "push" {
            merge(&branch);
        }
    }
    tally.finish(way);
}

fn mapped(mode: &str) -> serde_json::Value {
    json!({"repo": "acme/t", "subscriptions": ["features/x/**"], "mode": mode,
        "mapping": [{"path": "features/x", "to": "x"}]})
}

#[test]
fn push_mode() {
    dispatcher_way(
        "push",
        &json!({"repo": "acme/t", "subscriptions": ["features/x/**"], "mode": "push"}),
    );
}

#[test]
fn pull_request_mode() {
    dispatcher_way("pull-request", &mapped("pull-request"));
}

#[test]
fn per_commit_mode() {
    let mut entry = mapped("pull-request");
    entry["per_commit"] = json!(true);
    dispatcher_way("per_commit", &entry);
}

#[test]
fn buffered_pr_mode() {
    let mut entry = mapped("buffered-pr");
    entry["buffer_hours"] = json!(24);
    dispatcher_way("buffered-pr", &entry);
}
