//! Shared set-up for the subscriber tests: an upstream repository, a cousin with its configuration, and
//! helpers to run `subscriber` and inspect trees.

#![allow(dead_code)]
// The fixtures take `serde_json::Value`s by value so tests can pass `json!(...)` straight in.
#![allow(clippy::needless_pass_by_value)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use git2::Oid;

use crate::support::{Cmd, Output, Repo, bare};

/// Seconds since the epoch, a day ago: recent enough for the default `max_age`.
pub fn recent() -> i64 {
    ecosync::git::clock::unix_seconds(SystemTime::now()) - 86_400
}

/// An upstream and a cousin, and a local forge holding `acme/mono` and `acme/cousin` as bare repositories.
pub struct Pair {
    pub upstream: Repo,
    pub cousin: Repo,
    pub forge: tempfile::TempDir,
}

impl Pair {
    /// An upstream with `features/x/{a.txt,b.txt}` and `other/o.txt`, and an empty cousin whose
    /// configuration is `config` (a JSON object; `upstream.url` is filled in when absent). Their commits
    /// are a day old, recent enough for the default `max_age`.
    pub fn new(config: serde_json::Value) -> Pair {
        Self::at(config, recent())
    }

    /// [`Pair::new`] with both repositories' clocks starting at `secs` since the epoch, so their commit ids
    /// are the same on every run (a fixed time in the past is older than the default `max_age`).
    pub fn at(mut config: serde_json::Value, secs: i64) -> Pair {
        let upstream = Repo::new();
        upstream.set_time(secs);
        upstream
            .write("features/x/a.txt", "a1\na2\na3\na4\na5\na6\na7\na8\n")
            .write("features/x/b.txt", "b1\n")
            .write("other/o.txt", "o\n");
        upstream.commit("upstream: initial");
        let cousin = Repo::new();
        cousin.set_time(secs);
        if config.get("upstream").and_then(|u| u.get("url")).is_none() {
            config["upstream"]["url"] = upstream.path().display().to_string().into();
        }
        cousin.write(
            ".github/ecosync.json",
            serde_json::to_string_pretty(&config).unwrap(),
        );
        cousin.write("README.md", "cousin\n");
        cousin.commit("cousin: initial");
        let forge = tempfile::Builder::new()
            .prefix("ecosync-forge-")
            .tempdir()
            .unwrap();
        for name in ["mono", "cousin"] {
            let mut opts = git2::RepositoryInitOptions::new();
            opts.bare(true).initial_head("main");
            git2::Repository::init_opts(forge.path().join(format!("acme/{name}.git")), &opts)
                .unwrap();
        }
        cousin
            .git
            .remote(
                "origin",
                forge.path().join("acme/cousin.git").to_str().unwrap(),
            )
            .unwrap();
        let p = Pair {
            upstream,
            cousin,
            forge,
        };
        p.push_cousin();
        p.push_upstream();
        p
    }

    /// Pushes the cousin's local `main` to its forge repository (as a merged pull request or a push would).
    pub fn push_cousin(&self) {
        let bare = git2::Repository::open_bare(self.forge_repo("cousin")).unwrap();
        if bare.refname_to_id("refs/heads/main").ok() == Some(self.cousin.head()) {
            return;
        }
        push(
            &self.cousin.git,
            &self.forge_repo("cousin"),
            "+refs/heads/main:refs/heads/main",
        );
    }

    /// Pushes upstream's `main` to the forge's `acme/mono`.
    pub fn push_upstream(&self) {
        push(
            &self.upstream.git,
            &self.forge_repo("mono"),
            "+refs/heads/main:refs/heads/main",
        );
    }

    /// The forge's bare repository `acme/NAME`.
    pub fn forge_repo(&self, name: &str) -> PathBuf {
        self.forge.path().join(format!("acme/{name}.git"))
    }

    /// The local forge.
    pub fn local_forge(&self) -> ecosync::forge::LocalForge {
        ecosync::forge::LocalForge::new(self.forge.path())
    }

    /// Pull request records of the cousin.
    pub fn pulls(&self) -> Vec<ecosync::forge::local::PullRecord> {
        self.local_forge()
            .pulls(&ecosync::RepoName::parse("acme/cousin").unwrap())
            .unwrap()
    }

    /// Issue records of `acme/NAME`.
    pub fn issues(&self, name: &str) -> Vec<ecosync::forge::local::IssueRecord> {
        self.local_forge()
            .issues(&ecosync::RepoName::parse(&format!("acme/{name}")).unwrap())
            .unwrap()
    }

    /// The head of `branch` in the forge's `acme/cousin`, if it exists.
    pub fn remote_branch(&self, branch: &str) -> Option<Oid> {
        bare::tip(&self.forge_repo("cousin"), branch)
    }

    /// The files of the forge cousin's `branch`.
    pub fn remote_files(&self, branch: &str) -> BTreeMap<String, (u32, Vec<u8>)> {
        let bare = git2::Repository::open_bare(self.forge_repo("cousin")).unwrap();
        let head = self
            .remote_branch(branch)
            .unwrap_or_else(|| panic!("no branch {branch}"));
        tree_files(&bare, head)
    }

    /// The cousin's commit at the head of the forge's `branch`.
    pub fn remote_commit_message(&self, branch: &str) -> String {
        bare::head_message(&self.forge_repo("cousin"), branch)
    }

    /// Merges the forge's `branch` into the cousin's `main` like GitHub's merge button (`how`: `merge`;
    /// `squash` with the pull request's title and body as message; `squash-commits`, GitHub's default, the
    /// title and the branch's commit messages; `squash-title`, the title alone; `rebase`, each commit of the
    /// branch made anew on `main`), pushes `main`, and records the pull request as merged (closed, with the
    /// commit the merge made) as GitHub would. The branch is kept.
    pub fn merge_pr(&self, branch: &str, how: &str) -> Oid {
        self.merge(branch, how, true)
    }

    /// [`Pair::merge_pr`] done by hand outside the forge: the pull request stays open.
    pub fn merge_by_hand(&self, branch: &str, how: &str) -> Oid {
        self.merge(branch, how, false)
    }

    fn merge(&self, branch: &str, how: &str, recorded: bool) -> Oid {
        let git = &self.cousin.git;
        let mut remote = git
            .remote_anonymous(self.forge_repo("cousin").to_str().unwrap())
            .unwrap();
        remote
            .fetch(
                &[format!("+refs/heads/{branch}:refs/remotes/forge/pr")],
                None,
                None,
            )
            .unwrap();
        let pr = git
            .find_reference("refs/remotes/forge/pr")
            .unwrap()
            .peel_to_commit()
            .unwrap();
        let main = git.head().unwrap().peel_to_commit().unwrap();
        let sig = git2::Signature::now("Merger", "merger@example.com").unwrap();
        let record = self
            .pulls()
            .into_iter()
            .rev()
            .find(|p| p.head == branch && p.state == "open");
        let (title, body, number) = record
            .as_ref()
            .map(|r| (r.title.clone(), r.body.clone(), r.number))
            .unwrap_or_default();
        // The branch's own commits, oldest first.
        let mut walk = git.revwalk().unwrap();
        walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)
            .unwrap();
        walk.push(pr.id()).unwrap();
        walk.hide(main.id()).unwrap();
        let own: Vec<git2::Commit> = walk
            .map(|id| git.find_commit(id.unwrap()).unwrap())
            .collect();
        let squash = |msg: &str| {
            git.commit(None, &sig, &sig, msg, &pr.tree().unwrap(), &[&main])
                .unwrap()
        };
        let new = match how {
            "merge" => git
                .commit(
                    None,
                    &sig,
                    &sig,
                    "Merge pull request",
                    &pr.tree().unwrap(),
                    &[&main, &pr],
                )
                .unwrap(),
            "squash" => squash(&format!("{title} (#{number})\n\n{body}")),
            "squash-commits" => {
                let commits: Vec<String> = own
                    .iter()
                    .map(|c| format!("* {}", c.message().unwrap()))
                    .collect();
                squash(&format!("{title} (#{number})\n\n{}\n", commits.join("\n")))
            }
            "squash-title" => squash(&format!("{title} (#{number})")),
            "rebase" => {
                // Each commit made anew, with its message and tree, on top of main (what a rebase merge
                // makes when main has not moved).
                let mut head = main.clone();
                for c in &own {
                    let id = git
                        .commit(
                            None,
                            &c.author(),
                            &sig,
                            c.message().unwrap(),
                            &c.tree().unwrap(),
                            &[&head],
                        )
                        .unwrap();
                    head = git.find_commit(id).unwrap();
                }
                head.id()
            }
            other => panic!("unknown merge {other}"),
        };
        git.reference("refs/heads/main", new, true, "merge pr")
            .unwrap();
        let mut cb = git2::build::CheckoutBuilder::new();
        cb.force();
        git.checkout_head(Some(&mut cb)).unwrap();
        self.push_cousin();
        if let Some(mut r) = record.filter(|_| recorded) {
            r.state = "closed".into();
            r.merged_commit = Some(new.to_string());
            r.closed_at = Some(ecosync::forge::local::now_rfc3339());
            r.closed_by = Some("merger".into());
            let path = self
                .forge
                .path()
                .join(format!("acme/cousin.forge/pulls/{}.json", r.number));
            std::fs::write(path, serde_json::to_string_pretty(&r).unwrap()).unwrap();
        }
        new
    }

    /// Closes the cousin's pull request `number` without merging it, as the user `by` would, after their
    /// `comment` when one is given.
    pub fn close_pr(&self, number: u64, by: &str, comment: Option<&str>) {
        self.edit_pr(number, |r| {
            if let Some(c) = comment {
                r.comments
                    .push(ecosync::forge::local::CommentRecord::new(by, c));
            }
            r.state = "closed".into();
            r.closed_at = Some(ecosync::forge::local::now_rfc3339());
            r.closed_by = Some(by.into());
        });
    }

    /// Reopens the cousin's pull request `number`, as a person would.
    pub fn reopen_pr(&self, number: u64) {
        self.edit_pr(number, |r| {
            r.state = "open".into();
            r.closed_at = None;
            r.closed_by = None;
        });
    }

    fn edit_pr(&self, number: u64, change: impl FnOnce(&mut ecosync::forge::local::PullRecord)) {
        let path = self
            .forge
            .path()
            .join(format!("acme/cousin.forge/pulls/{number}.json"));
        let mut r: ecosync::forge::local::PullRecord =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        change(&mut r);
        std::fs::write(path, serde_json::to_string_pretty(&r).unwrap()).unwrap();
    }

    /// `subscriber apply --repo COUSIN --forge local:DIR --repo-name acme/cousin ARGS...`, after pushing the
    /// cousin's `main` to the forge.
    pub fn apply(&self, args: &[&str]) -> Output {
        self.apply_cmd(args).run()
    }

    /// [`Pair::apply`] as a command not yet run, for a test to add to (the environment, a time limit).
    pub fn apply_cmd(&self, args: &[&str]) -> Cmd {
        self.push_cousin();
        Cmd::subscriber()
            .arg("apply")
            .arg("--repo")
            .arg(self.cousin.path())
            .arg("--forge")
            .arg(format!("local:{}", self.forge.path().display()))
            .args(["--repo-name", "acme/cousin"])
            .args(args)
            .timeout(Duration::from_secs(60))
    }
}

/// `subscriber check --repo DIR`: the configuration of the repository at `dir` checked.
pub fn check_cmd(dir: &Path) -> Cmd {
    Cmd::subscriber().args(["check", "--repo"]).arg(dir)
}

/// Pushes with git2 from `git` to the repository at `to`.
pub fn push(git: &git2::Repository, to: &Path, refspec: &str) {
    let mut remote = git.remote_anonymous(to.to_str().unwrap()).unwrap();
    remote.push(&[refspec], None).unwrap();
}

/// The subscriptions most subscriber tests use: upstream's `features/x` mapped to the cousin's `app`.
pub fn mapped() -> serde_json::Value {
    serde_json::json!([{"path": "features/x", "to": "app"}])
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
                (
                    u32::try_from(entry.filemode()).unwrap(),
                    blob.content().to_vec(),
                ),
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

/// A cousin with `config` (which maps `features/x` to `app`), synced by an earlier sync to upstream's first
/// commit: `app` holds upstream's `features/x` as it was then, and the commit carries the trailer.
pub fn synced_to_first(config: serde_json::Value) -> Pair {
    let p = Pair::new(config);
    let u1 = p.upstream.head();
    p.cousin
        .write("app/a.txt", "a1\na2\na3\na4\na5\na6\na7\na8\n")
        .write("app/b.txt", "b1\n");
    p.cousin
        .commit(&format!("sync\n\nEcosync-Upstream: acme/mono@{u1}\n"));
    p
}

/// A cousin synced to upstream's first commit that changed the last line of `app/a.txt`, and an upstream
/// that changed the same line differently.
pub fn conflicting(extra: serde_json::Value) -> Pair {
    let mut cfg = config(mapped(), "diff-apply");
    for (k, v) in extra.as_object().unwrap() {
        cfg[k] = v.clone();
    }
    let p = Pair::new(cfg);
    let u1 = p.upstream.head();
    p.cousin
        .write("app/a.txt", "a1\na2\na3\na4\na5\na6\na7\ncousin\n")
        .write("app/b.txt", "b1\n");
    p.cousin
        .commit(&format!("sync\n\nEcosync-Upstream: acme/mono@{u1}\n"));
    p.upstream
        .write("features/x/a.txt", "a1\na2\na3\na4\na5\na6\na7\nupstream\n")
        .write("features/x/b.txt", "b2\n");
    p.upstream.commit("upstream: last line");
    p
}
