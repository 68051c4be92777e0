//! Right at the edges, through the real binaries: a shallow clone (deepened from `origin` over HTTP, refused
//! when `origin` cannot deepen it), a partial clone, a missing revision, libgit2's texts kept out of
//! messages, `per_commit`'s catch-up from the target's own last sync and its limit per run, a failure issue
//! that stays open while a commit still fails, and a non-UTF-8 file name in a `per_commit` delivery.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::git_cli::git;
use crate::support::loopback_http::{LoopbackHttp, git_http_backend};
use crate::support::plan::Config;
use crate::support::{Cmd, Output, Repo};

/// A source with three commits: everything, then `features/y`, then `features/x`.
fn three_commits() -> (Repo, Vec<git2::Oid>) {
    let repo = Repo::new();
    repo.write("README.md", "monorepo\n")
        .write("features/x/a.txt", "x1\n")
        .write("features/y/b.txt", "y1\n");
    let c1 = repo.commit("first");
    repo.write("features/y/b.txt", "y2\n");
    let c2 = repo.commit("y changes");
    repo.write("features/x/a.txt", "x2\n");
    let c3 = repo.commit("x changes");
    (repo, vec![c1, c2, c3])
}

/// `acme/x` subscribes to `features/x`, `acme/y` to `features/y`.
fn two_entries() -> Config {
    Config::new(&json!([
        {"repo": "acme/x", "subscriptions": ["features/x/**"]},
        {"repo": "acme/y", "subscriptions": ["features/y/**"]}
    ]))
}

/// `repo`'s `main` in a bare `acme/mono.git` under a new directory.
fn publish(repo: &Repo) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let bare = root.path().join("acme/mono.git");
    git2::Repository::init_bare(&bare)
        .unwrap()
        .set_head("refs/heads/main")
        .unwrap();
    repo.push(&bare, "main");
    root
}

/// `git clone ARGS URL` into a new directory (the git CLI makes the clone, as actions/checkout would).
fn clone(url: &str, args: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let mut all: Vec<&str> = vec!["clone", "-q"];
    all.extend_from_slice(args);
    all.extend_from_slice(&[url, "clone"]);
    git(dir.path(), &all);
    let path = dir.path().join("clone");
    (dir, path)
}

fn plan_in(dir: &Path, config: &Config, args: &[&str]) -> Cmd {
    Cmd::dispatcher()
        .dir(dir)
        .args(["plan", "--format", "json", "--no-watermark"])
        .arg("--config")
        .arg(config.path())
        .args(args)
        .timeout(Duration::from_secs(60))
}

fn delivered(plan: &Value) -> Vec<String> {
    plan["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["repo"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_shallow_clone_is_deepened_from_origin_and_never_fans_out() {
    let (repo, commits) = three_commits();
    let root = publish(&repo);
    let server = LoopbackHttp::start(git_http_backend(root.path(), None));
    let url = format!("{}/acme/mono.git", server.url());
    let (_tmp, shallow) = clone(&url, &["--depth", "1"]);
    assert_eq!(
        git(&shallow, &["rev-parse", "--is-shallow-repository"]),
        "true"
    );
    let config = two_entries();
    let out = plan_in(&shallow, &config, &[]).run().success();
    let plan = out.json();
    assert_eq!(plan["base"], commits[1].to_string(), "{out}");
    assert_eq!(
        delivered(&plan),
        ["acme/x"],
        "only the head's change counts"
    );
    // `--base HEAD~2` needs more of the history: deepened again.
    let (_tmp2, shallow) = clone(&url, &["--depth", "1"]);
    let plan = plan_in(&shallow, &config, &["--base", "HEAD~2"])
        .run()
        .success()
        .json();
    assert_eq!(plan["base"], commits[0].to_string());
    assert_eq!(delivered(&plan), ["acme/x", "acme/y"]);
    let deepened = server
        .seen()
        .iter()
        .any(|s| String::from_utf8_lossy(&s.body).contains("deepen "));
    assert!(deepened, "the history was deepened with a depth");
}

#[test]
fn a_shallow_clone_that_cannot_be_deepened_is_refused_and_nothing_is_sent() {
    let (repo, _) = three_commits();
    let root = publish(&repo);
    let url = format!("file://{}", root.path().join("acme/mono.git").display());
    let (_tmp, shallow) = clone(&url, &["--depth", "1"]);
    let config = two_entries();
    let out = plan_in(&shallow, &config, &[]).run().expect_code(2);
    assert!(
        out.stderr.contains("the clone is shallow and `HEAD`")
            || out.stderr.contains("the clone is shallow and "),
        "{out}"
    );
    assert!(out.stderr.contains("fetch-depth: 0"), "{out}");
    assert!(!out.stderr.contains("class="), "{out}");
    assert!(out.stdout.trim().is_empty(), "no plan: {out}");
    // `dispatch` sends nothing either.
    let forge = crate::support::dispatch::local_forge(&["acme/x", "acme/y"]);
    let out = Cmd::dispatcher()
        .dir(&shallow)
        .args(["dispatch", "--source-repo", "acme/mono", "--no-watermark"])
        .arg("--config")
        .arg(config.path())
        .arg("--forge")
        .arg(format!("local:{}", forge.path().display()))
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .timeout(Duration::from_secs(60))
        .run()
        .expect_code(2);
    assert!(out.stderr.contains("fetch-depth: 0"), "{out}");
    for name in ["acme/x", "acme/y"] {
        let records = forge.path().join(format!("{name}.forge"));
        let sent = std::fs::read_dir(&records).map_or(0, Iterator::count);
        assert_eq!(sent, 0, "nothing sent to {name}: {out}");
    }
}

#[test]
fn a_partial_clone_plans_like_a_full_one() {
    let (repo, commits) = three_commits();
    let root = publish(&repo);
    let bare = root.path().join("acme/mono.git");
    git(&bare, &["config", "uploadpack.allowFilter", "true"]);
    let url = format!("file://{}", bare.display());
    let (_tmp, partial) = clone(&url, &["--filter=blob:none"]);
    let plan = plan_in(&partial, &two_entries(), &[])
        .run()
        .success()
        .json();
    assert_eq!(plan["base"], commits[1].to_string());
    assert_eq!(delivered(&plan), ["acme/x"]);
}

#[test]
fn a_missing_revision_in_a_full_clone_is_named_without_shallow_advice() {
    let (repo, _) = three_commits();
    let out = plan_in(repo.path(), &two_entries(), &["--base", "no-such-rev"])
        .run()
        .expect_code(1);
    assert!(
        out.stderr
            .starts_with("error: revision `no-such-rev` is not in the repository\n"),
        "{out}"
    );
    assert!(
        out.stderr.contains("hint: check the revision's spelling"),
        "{out}"
    );
    assert!(!out.stderr.contains("shallow"), "{out}");
    assert!(!out.stderr.contains("class="), "{out}");
}

#[test]
fn libgit2_texts_never_reach_users() {
    let nowhere = tempfile::tempdir().unwrap();
    let out = plan_in(nowhere.path(), &two_entries(), &[])
        .run()
        .expect_code(1);
    assert!(out.stderr.contains("is not a git repository"), "{out}");
    assert!(!out.stderr.contains("could not find repository"), "{out}");
    assert!(!out.stderr.contains("class="), "{out}");
    let (repo, _) = three_commits();
    let out = plan_in(repo.path(), &two_entries(), &["--head", "no-such-branch"])
        .run()
        .expect_code(1);
    assert!(!out.stderr.contains("class="), "{out}");
    assert!(!out.stderr.contains("code=NotFound"), "{out}");
    // At debug level the raw text is there for whoever looks.
    let out = plan_in(nowhere.path(), &two_entries(), &[])
        .env("ECOSYNC_LOG", "ecosync=debug")
        .run()
        .expect_code(1);
    assert!(out.stderr.contains("could not find repository"), "{out}");
}

/// The per-commit set-up: a source, a cousin `acme/cousin` on a local forge mapping `features/x` to `x`.
struct PerCommit {
    repo: Repo,
    forge: tempfile::TempDir,
    cousin: PathBuf,
    config: Config,
}

impl PerCommit {
    fn new(extra: &Value) -> PerCommit {
        let repo = Repo::new();
        repo.write("README.md", "monorepo\n")
            .write("features/x/lib.txt", "x1\n");
        repo.commit("first");
        let forge = crate::support::dispatch::local_forge(&["acme/mono"]);
        let cousin = forge.path().join("acme/cousin.git");
        git2::Repository::init_bare(&cousin)
            .unwrap()
            .set_head("refs/heads/main")
            .unwrap();
        let own = Repo::new();
        own.write("own.txt", "the cousin's own\n");
        own.commit("cousin start");
        own.push(&cousin, "main");
        let mut entry = json!({"repo": "acme/cousin", "subscriptions": ["features/x/**"],
            "mode": "pull-request", "per_commit": true, "mapping": [{"path": "features/x", "to": "x"}]});
        for (k, v) in extra.as_object().unwrap() {
            entry[k] = v.clone();
        }
        let config = Config::new(&json!([entry]));
        PerCommit {
            repo,
            forge,
            cousin,
            config,
        }
    }

    fn dispatch(&self, base: &str) -> Output {
        Cmd::dispatcher()
            .dir(self.repo.path())
            .args([
                "dispatch", "--base", base, "--head", "HEAD", "--ref", "main",
            ])
            .args(["--source-repo", "acme/mono", "--no-watermark"])
            .arg("--config")
            .arg(self.config.path())
            .arg("--forge")
            .arg(format!("local:{}", self.forge.path().display()))
            .env("ECOSYNC_MIN_INTERVAL", "0")
            .timeout(Duration::from_secs(90))
            .run()
    }

    fn pulls(&self) -> Vec<Value> {
        records(&self.forge.path().join("acme/cousin.forge/pulls"))
    }

    fn issues(&self) -> Vec<ecosync::forge::local::IssueRecord> {
        ecosync::forge::LocalForge::new(self.forge.path())
            .issues(&ecosync::RepoName::parse("acme/mono").unwrap())
            .unwrap()
    }

    /// Merges `branch` of the cousin into its `main` (a fast-forward, as a merge by hand).
    fn merge(&self, branch: &str) {
        let git = git2::Repository::open_bare(&self.cousin).unwrap();
        let head = git.refname_to_id(&format!("refs/heads/{branch}")).unwrap();
        git.reference("refs/heads/main", head, true, "merged")
            .unwrap();
    }

    /// A first sync, merged: later pushes get one pull request per commit.
    fn synced(self) -> Self {
        self.repo.write("features/x/lib.txt", "x0\n");
        self.repo.commit("x0");
        self.dispatch("HEAD~1").success();
        self.merge("ecosync/acme-mono");
        self
    }
}

fn records(dir: &Path) -> Vec<Value> {
    let mut out: Vec<Value> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .filter_map(|t| serde_json::from_str(&t).ok())
                .collect()
        })
        .unwrap_or_default();
    out.sort_by_key(|p: &Value| p["number"].as_u64());
    out
}

fn branches(pulls: &[Value]) -> Vec<String> {
    pulls
        .iter()
        .map(|p| p["head"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn per_commit_catches_up_a_commit_the_push_range_missed() {
    let p = PerCommit::new(&json!({})).synced();
    let before = p.pulls().len();
    p.repo.write("features/x/a.txt", "a\n");
    let missed = p.repo.commit("add a");
    p.repo.write("features/x/b.txt", "b\n");
    let last = p.repo.commit("add b");
    // The push range names only the last commit: the missed one is proposed too.
    let out = p.dispatch("HEAD~1").success();
    let heads = branches(&p.pulls()[before..]);
    assert_eq!(heads.len(), 2, "{heads:?}\n{out}");
    assert!(heads[0].ends_with(&missed.to_string()[..12]), "{heads:?}");
    assert!(heads[1].ends_with(&last.to_string()[..12]), "{heads:?}");
    // Run again: nothing new, nothing reopened.
    p.dispatch("HEAD~1").success();
    assert_eq!(p.pulls().len(), before + 2);
}

#[test]
fn per_commit_opens_at_most_the_limit_per_run_and_queues_the_rest() {
    let p = PerCommit::new(&json!({"per_commit_limit": 2})).synced();
    let before = p.pulls().len();
    for f in ["a", "b", "c"] {
        p.repo
            .write(&format!("features/x/{f}.txt"), format!("{f}\n"));
        p.repo.commit(&format!("add {f}"));
    }
    let out = p.dispatch("HEAD~3").success();
    assert_eq!(p.pulls().len(), before + 2, "{out}");
    assert!(
        out.stderr
            .contains("queued 1 commit(s) past the limit of 2"),
        "{out}"
    );
    // Once the first two merge, the next run proposes the third.
    let new = branches(&p.pulls()[before..]);
    p.merge(&new[0]);
    p.merge(&new[1]);
    let out = p.dispatch("HEAD~1").success();
    assert_eq!(p.pulls().len(), before + 3, "{out}");
    assert!(!out.stderr.contains("queued"), "{out}");
}

#[test]
fn per_commit_keeps_the_failure_issue_open_while_a_commit_still_fails() {
    let p = PerCommit::new(&json!({})).synced();
    // The cousin edits the synced file: the next upstream change of it conflicts.
    let own = Repo::new();
    own.git
        .remote_anonymous(p.cousin.to_str().unwrap())
        .unwrap()
        .fetch(&["+refs/heads/main:refs/heads/main"], None, None)
        .unwrap();
    own.checkout("main");
    own.write("x/lib.txt", "the cousin's edit\n");
    own.commit("cousin edit");
    own.push(&p.cousin, "main");
    p.repo.write("features/x/lib.txt", "upstream edit\n");
    p.repo.commit("conflicting");
    p.repo.write("features/x/new.txt", "new\n");
    p.repo.commit("clean");
    let out = p.dispatch("HEAD~2").expect_code(1);
    let issues = p.issues();
    assert_eq!(issues.len(), 1, "{out}");
    assert_eq!(
        issues[0].state, "open",
        "the clean commit's success must not close it: {out}"
    );
    // Once the cousin no longer conflicts, a run where no commit fails closes it.
    own.write("x/lib.txt", "x0\n");
    own.commit("cousin takes its edit back");
    own.push(&p.cousin, "main");
    let out = p.dispatch("HEAD~1").success();
    let issues = p.issues();
    assert_eq!(issues[0].state, "closed", "{out}");
}

#[test]
fn per_commit_delivers_a_commit_whose_only_file_has_a_non_utf8_name() {
    let p = PerCommit::new(&json!({})).synced();
    let before = p.pulls().len();
    let name = <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(b"caf\xe9.txt");
    std::fs::write(p.repo.path().join("features/x").join(name), "latin-1\n").unwrap();
    let commit = p.repo.commit("a latin-1 name");
    let out = p.dispatch("HEAD~1").success();
    assert!(!out.stderr.contains("touching no subscribed path"), "{out}");
    let heads = branches(&p.pulls()[before..]);
    assert_eq!(heads.len(), 1, "{out}");
    assert!(heads[0].ends_with(&commit.to_string()[..12]));
    // The file is in the cousin under its very bytes.
    let bare = git2::Repository::open_bare(&p.cousin).unwrap();
    let tip = bare
        .refname_to_id(&format!("refs/heads/{}", heads[0]))
        .unwrap();
    let tree = bare.find_commit(tip).unwrap().tree().unwrap();
    let x = tree.get_name("x").unwrap().to_object(&bare).unwrap();
    let names: Vec<Vec<u8>> = x
        .as_tree()
        .unwrap()
        .iter()
        .map(|e| e.name_bytes().to_vec())
        .collect();
    assert!(names.contains(&b"caf\xe9.txt".to_vec()), "{names:?}");
    // The plan writes the name in the one escaping.
    let plan = Cmd::dispatcher()
        .dir(p.repo.path())
        .args(["plan", "--format", "json", "--no-watermark"])
        .arg("--config")
        .arg(p.config.path())
        .run()
        .success()
        .json();
    assert_eq!(plan["changed_paths"], json!(["features/x/caf\\xe9.txt"]));
}
