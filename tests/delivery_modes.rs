//! The delivery modes through the real `dispatcher` binary, on the local forge and on the fake GitHub:
//! `push` (a fast-forward mirror that never forces; merge-upstream for a GitHub fork), `pull-request`
//! (into a mapped target and into a fork, and one pull request per commit), `buffered-pr` (held until the
//! oldest change is older than the buffer; `dispatcher flush`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use git2::{Oid, Repository};
use serde_json::{Value, json};

use crate::support::bare::{file_at, tip};
use crate::support::dispatch::local_forge;
use crate::support::fake_github::FakeGitHub;
use crate::support::plan::Config;
use crate::support::{Cmd, Output, Repo};

/// A source monorepo: `features/x/lib.txt`, `features/y/lib.txt` and a README, in one first commit.
fn source() -> Repo {
    let repo = Repo::new();
    repo.write("README.md", "monorepo\n");
    repo.write("features/x/lib.txt", "x1\n");
    repo.write("features/y/lib.txt", "y1\n");
    repo.commit("first");
    repo
}

/// A target `name` on the local forge `forge` holding the source's current `main` (a fork), or a repository
/// of its own with one file (a cousin).
fn seed(forge: &Path, name: &str, from: Option<&Repo>) -> PathBuf {
    let dir = forge.join(format!("{name}.git"));
    Repository::init_bare(&dir)
        .unwrap()
        .set_head("refs/heads/main")
        .unwrap();
    if let Some(repo) = from {
        repo.push(&dir, "main");
    } else {
        let own = Repo::new();
        own.write("own.txt", "the cousin's own\n");
        own.commit("cousin start");
        own.push(&dir, "main");
    }
    dir
}

fn dispatch(repo: &Repo, config: &Config, forge: &Path, base: &str) -> Cmd {
    Cmd::dispatcher()
        .dir(repo.path())
        .args([
            "dispatch", "--base", base, "--head", "HEAD", "--ref", "main",
        ])
        .args(["--source-repo", "acme/mono", "--no-watermark"])
        .arg("--config")
        .arg(config.path())
        .arg("--forge")
        .arg(format!("local:{}", forge.display()))
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .timeout(Duration::from_secs(90))
}

/// `dispatcher dispatch` of `base..HEAD` on `main` as `acme/mono` against the fake GitHub `fake`, the
/// targets' git being the bare repositories under `git`.
fn dispatch_github(repo: &Repo, config: &Config, fake: &FakeGitHub, git: &Path, base: &str) -> Cmd {
    Cmd::dispatcher()
        .dir(repo.path())
        .args([
            "dispatch", "--base", base, "--head", "HEAD", "--ref", "main",
        ])
        .args([
            "--source-repo",
            "acme/mono",
            "--no-watermark",
            "--api-url",
            &fake.url(),
        ])
        .arg("--config")
        .arg(config.path())
        .arg("--git-base")
        .arg(git)
        .env("ECOSYNC_TOKEN", "test-token-not-secret")
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .timeout(Duration::from_secs(60))
}

/// `dispatcher flush` of `main` as `acme/mono` to the local forge `forge`.
fn flush(repo: &Repo, config: &Config, forge: &Path) -> Cmd {
    Cmd::dispatcher()
        .dir(repo.path())
        .args(["flush", "--ref", "main", "--source-repo", "acme/mono"])
        .arg("--config")
        .arg(config.path())
        .arg("--forge")
        .arg(format!("local:{}", forge.display()))
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .timeout(Duration::from_secs(90))
}

/// A work repository on `main` of the bare repository `git_dir`, to commit to it as its people would.
fn clone_main(git_dir: &Path) -> Repo {
    let own = Repo::new();
    own.git
        .remote_anonymous(git_dir.to_str().unwrap())
        .unwrap()
        .fetch(&["+refs/heads/main:refs/heads/main"], None, None)
        .unwrap();
    own.checkout("main");
    own
}

fn pulls(forge: &Path, name: &str) -> Vec<Value> {
    let dir = forge.join(format!("{name}.forge/pulls"));
    let mut out: Vec<Value> = std::fs::read_dir(&dir)
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

fn report_line(out: &Output, repo: &str) -> String {
    out.stderr
        .lines()
        .find(|l| l.contains(&format!(": {repo}: ")))
        .unwrap_or_else(|| panic!("no progress line for {repo}\n{out}"))
        .to_owned()
}

#[test]
fn push_mirrors_the_source_branch_into_a_fork_and_never_forces() {
    let repo = source();
    let forge = local_forge(&[]);
    let fork = seed(forge.path(), "acme/fork", Some(&repo));
    let config = Config::new(&json!([
        {"repo": "acme/fork", "subscriptions": ["**"], "mode": "push"}
    ]));
    repo.write("features/x/lib.txt", "x2\n");
    repo.commit("x2");
    let out = dispatch(&repo, &config, forge.path(), "HEAD~1")
        .run()
        .success();
    assert!(report_line(&out, "acme/fork").contains("pushed"), "{out}");
    assert_eq!(
        tip(&fork, "main"),
        Some(repo.head()),
        "the fork's main is the source's"
    );

    // The fork gets a commit of its own: the next push is not forced over it.
    let own = clone_main(&fork);
    own.write("fork-only.txt", "mine\n");
    let forks_own = own.commit("the fork's own commit");
    own.push(&fork, "main");
    repo.write("features/x/lib.txt", "x3\n");
    repo.commit("x3");
    let out = dispatch(&repo, &config, forge.path(), "HEAD~1")
        .run()
        .expect_code(1);
    let line = report_line(&out, "acme/fork");
    assert!(line.contains("was not forced"), "{out}");
    assert_eq!(
        tip(&fork, "main"),
        Some(forks_own),
        "the fork's commit is kept"
    );
}

#[test]
fn push_with_pull_request_opens_one_when_the_fork_has_its_own_commits() {
    let repo = source();
    let forge = local_forge(&[]);
    let fork = seed(forge.path(), "acme/fork", Some(&repo));
    let own = clone_main(&fork);
    own.write("fork-only.txt", "mine\n");
    let forks_own = own.commit("the fork's own commit");
    own.push(&fork, "main");
    let config = Config::new(&json!([
        {"repo": "acme/fork", "subscriptions": ["**"], "mode": "push", "pull_request": {"labels": ["sync"]}}
    ]));
    repo.write("features/x/lib.txt", "x2\n");
    repo.commit("x2");
    let out = dispatch(&repo, &config, forge.path(), "HEAD~1")
        .run()
        .success();
    assert!(
        report_line(&out, "acme/fork").contains("a pull request instead"),
        "{out}"
    );
    assert_eq!(
        tip(&fork, "main"),
        Some(forks_own),
        "main itself is not moved"
    );
    let prs = pulls(forge.path(), "acme/fork");
    assert_eq!(prs.len(), 1, "{prs:?}");
    let branch = prs[0]["head"].as_str().unwrap().to_owned();
    assert_eq!(
        file_at(&fork, &branch, "features/x/lib.txt").as_deref(),
        Some("x2\n")
    );
    assert_eq!(
        file_at(&fork, &branch, "fork-only.txt").as_deref(),
        Some("mine\n")
    );
}

#[test]
fn pull_request_applies_a_mapped_change_into_a_cousin_and_a_fork() {
    let repo = source();
    let forge = local_forge(&[]);
    let cousin = seed(forge.path(), "acme/cousin", None);
    let fork = seed(forge.path(), "acme/fork", Some(&repo));
    let cache = tempfile::tempdir().unwrap();
    let config = Config::new(&json!([
        {"repo": "acme/cousin", "subscriptions": ["features/x/**"], "mode": "pull-request",
         "mapping": [{"path": "features/x", "to": "app"}], "pull_request": {"labels": ["from-mono"]}},
        {"repo": "acme/fork", "subscriptions": ["features/**"], "mode": "pull-request"}
    ]));
    repo.write("features/x/lib.txt", "x2\n");
    repo.write("features/y/lib.txt", "y2\n");
    repo.commit("x2 and y2");
    let out = dispatch(&repo, &config, forge.path(), "HEAD~1")
        .arg("--target-dir")
        .arg(cache.path())
        .run()
        .success();
    assert!(
        report_line(&out, "acme/cousin").contains("opened pull request #1"),
        "{out}"
    );
    let prs = pulls(forge.path(), "acme/cousin");
    assert_eq!(prs.len(), 1);
    let branch = prs[0]["head"].as_str().unwrap().to_owned();
    // The first sync brings the mapped directory to the source's state; the cousin's own file stays.
    assert_eq!(
        file_at(&cousin, &branch, "app/lib.txt").as_deref(),
        Some("x2\n")
    );
    assert_eq!(
        file_at(&cousin, &branch, "own.txt").as_deref(),
        Some("the cousin's own\n")
    );
    assert!(
        file_at(&cousin, &branch, "features/y/lib.txt").is_none(),
        "only the mapping"
    );
    assert!(
        prs[0]["body"].as_str().unwrap().contains("acme/mono"),
        "{:?}",
        prs[0]
    );
    // The fork: identity mapping of `features`.
    let prs = pulls(forge.path(), "acme/fork");
    assert_eq!(prs.len(), 1, "{out}");
    let branch = prs[0]["head"].as_str().unwrap().to_owned();
    assert_eq!(
        file_at(&fork, &branch, "features/y/lib.txt").as_deref(),
        Some("y2\n")
    );
    assert_eq!(
        tip(&fork, "main"),
        Some(repo.rev("HEAD~1")),
        "main waits for the merge"
    );

    // The same push again: the open pull requests are refreshed, not duplicated.
    let out = dispatch(&repo, &config, forge.path(), "HEAD~1")
        .arg("--target-dir")
        .arg(cache.path())
        .run()
        .success();
    assert!(report_line(&out, "acme/cousin").contains("#1"), "{out}");
    assert_eq!(pulls(forge.path(), "acme/cousin").len(), 1);
    assert_eq!(pulls(forge.path(), "acme/fork").len(), 1);
}

/// Moves `main` of the bare repository `git_dir` to `branch`'s head: its pull request merged.
fn merge_by_hand(git_dir: &Path, branch: &str) {
    let git = Repository::open_bare(git_dir).unwrap();
    let head = git.refname_to_id(&format!("refs/heads/{branch}")).unwrap();
    git.reference("refs/heads/main", head, true, "merged")
        .unwrap();
}

#[test]
fn per_commit_opens_one_pull_request_per_source_commit() {
    let repo = source();
    let forge = local_forge(&[]);
    let cousin = seed(forge.path(), "acme/cousin", None);
    let config = Config::new(&json!([
        {"repo": "acme/cousin", "subscriptions": ["features/x/**"], "mode": "pull-request",
         "per_commit": true, "mapping": [{"path": "features/x", "to": "x"}]}
    ]));
    // Never synced: three commits get one first sync at the head, not three pull requests of old states.
    let start = repo.head();
    for n in 1..=3 {
        repo.write("features/x/lib.txt", format!("x{n}\n"));
        repo.commit(&format!("x{n}"));
    }
    let out = dispatch(&repo, &config, forge.path(), &start.to_string())
        .run()
        .success();
    assert!(
        report_line(&out, "acme/cousin").contains("first sync: one pull request"),
        "{out}"
    );
    let prs = pulls(forge.path(), "acme/cousin");
    assert_eq!(prs.len(), 1, "{prs:#?}");
    let first = prs[0]["head"].as_str().unwrap().to_owned();
    assert_eq!(
        first, "ecosync/acme-mono",
        "the first sync is one rolling pull request"
    );
    assert_eq!(
        file_at(&cousin, &first, "x/lib.txt").as_deref(),
        Some("x3\n")
    );
    // A push before it is merged refreshes it: still one pull request.
    repo.write("features/x/lib.txt", "x4\n");
    repo.commit("x4");
    dispatch(&repo, &config, forge.path(), "HEAD~1")
        .run()
        .success();
    assert_eq!(pulls(forge.path(), "acme/cousin").len(), 1);
    assert_eq!(
        file_at(&cousin, &first, "x/lib.txt").as_deref(),
        Some("x4\n")
    );
    merge_by_hand(&cousin, &first);

    // Synced: each commit that touches the subscriptions gets its own pull request with its change alone.
    let start = repo.head();
    let mut commits = Vec::new();
    for (i, file) in ["a.txt", "b.txt", "c.txt"].iter().enumerate() {
        repo.write(&format!("features/x/{file}"), format!("{i}\n"));
        commits.push(repo.commit(&format!("add {file}")));
        repo.write("README.md", format!("readme {i}\n"));
        repo.commit("readme only");
    }
    let out = dispatch(&repo, &config, forge.path(), &start.to_string())
        .run()
        .success();
    let line = report_line(&out, "acme/cousin");
    assert!(
        line.contains("skipped 3 commit(s) touching no subscribed path"),
        "{out}"
    );
    let prs = pulls(forge.path(), "acme/cousin");
    assert_eq!(prs.len(), 4, "{prs:#?}\n{out}");
    for (pr, (commit, file)) in prs[1..]
        .iter()
        .zip(commits.iter().zip(["a.txt", "b.txt", "c.txt"]))
    {
        let branch = pr["head"].as_str().unwrap();
        assert!(
            branch.ends_with(&commit.to_string()[..12]),
            "{branch} names {commit}"
        );
        // Each pull request brings its own commit's file and no other.
        assert!(
            file_at(&cousin, branch, &format!("x/{file}")).is_some(),
            "{branch}"
        );
        let others = ["a.txt", "b.txt", "c.txt"]
            .iter()
            .filter(|f| **f != file)
            .filter(|f| file_at(&cousin, branch, &format!("x/{f}")).is_some())
            .count();
        assert_eq!(others, 0, "{branch} carries only its commit");
    }
    // Merged in any order: the last one first, then the first; each applies alone.
    merge_by_hand(&cousin, prs[3]["head"].as_str().unwrap());
    let out = dispatch(&repo, &config, forge.path(), &start.to_string())
        .run()
        .success();
    assert_eq!(
        pulls(forge.path(), "acme/cousin").len(),
        4,
        "nothing reopened: {out}"
    );
    assert!(tip(&cousin, prs[1]["head"].as_str().unwrap()).is_some());
}

#[test]
fn buffered_pr_moves_the_branch_and_opens_once_the_oldest_change_is_old_enough() {
    let repo = source();
    let forge = local_forge(&[]);
    let cousin = seed(forge.path(), "acme/cousin", None);
    let entry = |hours: f64| {
        Config::new(&json!([
            {"repo": "acme/cousin", "subscriptions": ["features/x/**"], "mode": "buffered-pr",
             "buffer_hours": hours, "mapping": [{"path": "features/x", "to": "x"}]}
        ]))
    };
    // The test repository's clock starts in the past: its commits are days old.
    repo.write("features/x/lib.txt", "x2\n");
    repo.commit("x2");
    let fresh = entry(24.0 * 365.0);
    let out = dispatch(&repo, &fresh, forge.path(), "HEAD~1")
        .run()
        .success();
    assert!(
        report_line(&out, "acme/cousin").contains("opens after"),
        "{out}"
    );
    assert!(
        pulls(forge.path(), "acme/cousin").is_empty(),
        "held: no pull request yet"
    );
    let branch = "ecosync/acme-mono";
    assert_eq!(
        file_at(&cousin, branch, "x/lib.txt").as_deref(),
        Some("x2\n"),
        "the branch moved"
    );

    // A push that does not concern the entry still opens the pull request once its buffer has run out.
    let old = entry(1.0);
    repo.write("README.md", "readme only\n");
    repo.commit("readme");
    let out = dispatch(&repo, &old, forge.path(), "HEAD~1")
        .run()
        .success();
    assert!(
        report_line(&out, "acme/cousin").contains("opened pull request #1"),
        "{out}"
    );
    assert_eq!(pulls(forge.path(), "acme/cousin").len(), 1);
    // `flush` then changes nothing: the open pull request is kept, not duplicated.
    let out = flush(&repo, &old, forge.path()).run().success();
    assert!(
        report_line(&out, "acme/cousin").contains("delivered"),
        "{out}"
    );
    assert_eq!(pulls(forge.path(), "acme/cousin").len(), 1);
}

#[test]
fn flush_opens_the_buffered_pull_requests_that_are_due_and_only_those() {
    let repo = source();
    let forge = local_forge(&[]);
    seed(forge.path(), "acme/due", None);
    seed(forge.path(), "acme/fresh", None);
    let config = Config::new(&json!([
        {"repo": "acme/due", "subscriptions": ["features/x/**"], "mode": "buffered-pr", "buffer_hours": 1},
        {"repo": "acme/fresh", "subscriptions": ["features/x/**"], "mode": "buffered-pr",
         "buffer_hours": 8760}
    ]));
    repo.write("features/x/lib.txt", "x2\n");
    repo.commit("x2");
    let out = flush(&repo, &config, forge.path()).run().success();
    assert!(
        report_line(&out, "acme/due").contains("opened pull request #1"),
        "{out}"
    );
    assert!(
        report_line(&out, "acme/fresh").contains("opens after"),
        "{out}"
    );
    assert_eq!(pulls(forge.path(), "acme/due").len(), 1);
    assert!(pulls(forge.path(), "acme/fresh").is_empty());
    // It reports as the command that ran.
    assert!(
        out.stderr
            .contains("\nflush: 2 delivered, 0 failed, 0 skipped\n"),
        "{out}"
    );
}

#[test]
fn push_into_a_github_fork_is_one_merge_upstream_request() {
    let repo = source();
    let fake = FakeGitHub::start();
    fake.add_repo("acme/mono")
        .add_repo("acme/fork")
        .add_repo("acme/mirror");
    fake.set_fork("acme/fork", "acme/mono");
    // The targets' git, which the fake GitHub does not serve.
    let git = local_forge(&[]);
    let fork = seed(git.path(), "acme/fork", Some(&repo));
    let mirror = seed(git.path(), "acme/mirror", Some(&repo));
    let before = repo.head();
    repo.write("features/x/lib.txt", "x2\n");
    repo.commit("x2");
    let config = Config::new(&json!([
        {"repo": "acme/fork", "subscriptions": ["**"], "mode": "push"},
        {"repo": "acme/mirror", "subscriptions": ["**"], "mode": "push"}
    ]));
    let out = dispatch_github(&repo, &config, &fake, git.path(), "HEAD~1")
        .run()
        .success();
    assert!(
        report_line(&out, "acme/fork").contains("merge-upstream (fast-forward)"),
        "{out}"
    );
    assert_eq!(fake.merged_upstream("acme/fork"), ["main"]);
    // One request did it: nothing was pushed to the fork's git.
    assert_eq!(tip(&fork, "main"), Some(before));
    // A repository that is no fork is pushed to.
    assert!(fake.merged_upstream("acme/mirror").is_empty());
    assert_eq!(tip(&mirror, "main"), Some(repo.head()), "{out}");
    assert!(
        !out.stderr.contains("test-token-not-secret")
            && !out.stdout.contains("test-token-not-secret")
    );
}

#[test]
fn pull_request_mode_against_the_fake_github_opens_one_decorated_pull_request() {
    let repo = source();
    let fake = FakeGitHub::start();
    fake.add_repo("acme/mono").add_repo("acme/cousin");
    let git = local_forge(&[]);
    let cousin = seed(git.path(), "acme/cousin", None);
    repo.write("features/x/lib.txt", "x2\n");
    repo.commit("x2");
    let config = Config::new(&json!([
        {"repo": "acme/cousin", "subscriptions": ["features/x/**"], "mode": "pull-request",
         "mapping": [{"path": "features/x", "to": "app"}],
         "pull_request": {"labels": ["from-mono"], "reviewers": ["alice"]}}
    ]));
    let run = || {
        dispatch_github(&repo, &config, &fake, git.path(), "HEAD~1")
            .run()
            .success()
    };
    let out = run();
    assert!(
        report_line(&out, "acme/cousin").contains("opened pull request #1"),
        "{out}"
    );
    let prs = fake.pulls("acme/cousin");
    assert_eq!(prs.len(), 1);
    let branch = prs[0]["head"]["ref"].as_str().unwrap().to_owned();
    assert_eq!(
        file_at(&cousin, &branch, "app/lib.txt").as_deref(),
        Some("x2\n")
    );
    assert_eq!(
        fake.requests_to("POST", "/labels")[0].json()["labels"],
        json!(["from-mono"])
    );
    run();
    assert_eq!(
        fake.pulls("acme/cousin").len(),
        1,
        "refreshed, not duplicated"
    );
}

#[test]
fn a_conflict_opens_one_failure_issue_in_the_source_and_the_other_targets_still_get_theirs() {
    let repo = source();
    let forge = local_forge(&["acme/mono"]);
    let cousin = seed(forge.path(), "acme/cousin", None);
    let other = seed(forge.path(), "acme/other", None);
    let cache = tempfile::tempdir().unwrap();
    let config = Config::new(&json!([
        {"repo": "acme/cousin", "subscriptions": ["features/x/**"], "mode": "pull-request",
         "mapping": [{"path": "features/x", "to": "app"}]},
        {"repo": "acme/other", "subscriptions": ["features/x/**"], "mode": "pull-request",
         "mapping": [{"path": "features/x", "to": "vendor/x"}]}
    ]));
    repo.write("features/x/lib.txt", "x2\n");
    repo.commit("x2");
    let run = || {
        dispatch(&repo, &config, forge.path(), "HEAD~1")
            .arg("--target-dir")
            .arg(cache.path())
    };
    run().run().success();
    // The cousin merges the sync, then edits the same line.
    let merged = {
        let git = Repository::open_bare(&cousin).unwrap();
        let head = git.refname_to_id("refs/heads/ecosync/acme-mono").unwrap();
        git.reference("refs/heads/main", head, true, "merged by hand")
            .unwrap();
        head
    };
    let own = clone_main(&cousin);
    assert_eq!(own.head(), merged);
    own.write("app/lib.txt", "the cousin's x\n");
    own.commit("cousin edit");
    own.push(&cousin, "main");
    repo.write("features/x/lib.txt", "x3\n");
    repo.commit("x3");
    let out = run().run().expect_code(1);
    let line = report_line(&out, "acme/cousin");
    assert!(line.contains("conflict"), "{out}");
    assert!(
        line.contains("app/lib.txt"),
        "the conflict names the file: {out}"
    );
    assert!(
        report_line(&out, "acme/other").contains("delivered"),
        "{out}"
    );
    assert_eq!(
        file_at(&other, "ecosync/acme-mono", "vendor/x/lib.txt").as_deref(),
        Some("x3\n")
    );
    let issues = ecosync::forge::LocalForge::new(forge.path())
        .issues(&ecosync::RepoName::parse("acme/mono").unwrap())
        .unwrap();
    assert_eq!(
        issues.len(),
        1,
        "one failure issue, in the source: {issues:?}"
    );
    assert!(issues[0].title.contains("acme/cousin"), "{issues:?}");
    // The same failing push again: still one issue.
    run().run().expect_code(1);
    let issues = ecosync::forge::LocalForge::new(forge.path())
        .issues(&ecosync::RepoName::parse("acme/mono").unwrap())
        .unwrap();
    assert_eq!(issues.len(), 1, "{issues:?}");
}

#[test]
fn a_dry_run_computes_every_mode_and_writes_nothing() {
    let repo = source();
    let forge = local_forge(&[]);
    let cousin = seed(forge.path(), "acme/cousin", None);
    let fork = seed(forge.path(), "acme/fork", Some(&repo));
    let config = Config::new(&json!([
        {"repo": "acme/cousin", "subscriptions": ["features/x/**"], "mode": "pull-request",
         "mapping": [{"path": "features/x", "to": "app"}]},
        {"repo": "acme/fork", "subscriptions": ["**"], "mode": "push"}
    ]));
    let before = repo.head();
    repo.write("features/x/lib.txt", "x2\n");
    repo.commit("x2");
    let out = dispatch(&repo, &config, forge.path(), "HEAD~1")
        .arg("--dry-run")
        .run()
        .success();
    assert!(
        out.stderr.contains(
            "acme/cousin (mode `pull-request`): dry run: applied: would open pull request"
        ),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("acme/fork (mode `push`): dry run: would fast-forward `main`"),
        "{out}"
    );
    assert!(pulls(forge.path(), "acme/cousin").is_empty());
    assert_eq!(tip(&cousin, "ecosync/acme-mono"), None, "nothing pushed");
    assert_eq!(tip(&fork, "main"), Some(before), "the fork is not moved");
}

#[test]
fn per_commit_and_buffered_pull_requests_against_the_fake_github() {
    let repo = source();
    let fake = FakeGitHub::start();
    fake.add_repo("acme/mono")
        .add_repo("acme/each")
        .add_repo("acme/held");
    let git = local_forge(&[]);
    seed(git.path(), "acme/each", None);
    let held = seed(git.path(), "acme/held", None);
    let config = Config::new(&json!([
        {"repo": "acme/each", "subscriptions": ["features/x/**"], "mode": "pull-request", "per_commit": true},
        {"repo": "acme/held", "subscriptions": ["features/x/**"], "mode": "buffered-pr", "buffer_hours": 8760}
    ]));
    let run = |base: Oid| {
        dispatch_github(&repo, &config, &fake, git.path(), &base.to_string())
            .timeout(Duration::from_secs(90))
            .run()
            .success()
    };
    // The first sync, merged.
    repo.write("features/x/lib.txt", "x0\n");
    repo.commit("x0");
    run(repo.rev("HEAD~1"));
    let first = fake.pulls("acme/each");
    assert_eq!(first.len(), 1);
    merge_by_hand(
        &git.path().join("acme/each.git"),
        first[0]["head"]["ref"].as_str().unwrap(),
    );
    // Three independent commits (each its own file), so each applies alone.
    let start = repo.head();
    for n in 1..=3 {
        repo.write(&format!("features/x/f{n}.txt"), format!("{n}\n"));
        repo.commit(&format!("f{n}"));
    }
    let out = run(start);
    let each: Vec<Value> = fake.pulls("acme/each").into_iter().skip(1).collect();
    assert_eq!(each.len(), 3, "three commits, three pull requests: {out}");
    let heads: std::collections::BTreeSet<&str> = each
        .iter()
        .map(|p| p["head"]["ref"].as_str().unwrap())
        .collect();
    assert_eq!(heads.len(), 3, "each on its own branch: {heads:?}");
    assert!(fake.pulls("acme/held").is_empty(), "held: {out}");
    assert_eq!(
        file_at(&held, "ecosync/acme-mono", "features/x/f3.txt").as_deref(),
        Some("3\n"),
        "the buffered branch carries the change: {out}"
    );
}

#[test]
fn on_conflict_draft_pull_request_gives_dependent_commits_a_draft_with_the_markers() {
    let repo = source();
    let forge = local_forge(&[]);
    let cousin = seed(forge.path(), "acme/cousin", Some(&repo));
    let config = Config::new(&json!([
        {"repo": "acme/cousin", "subscriptions": ["features/x/**"], "mode": "pull-request",
         "per_commit": true, "on_conflict": "draft-pull-request"}
    ]));
    // A first sync, merged, so each commit's own change applies from then on.
    repo.write("features/x/lib.txt", "x2\n");
    repo.commit("x2");
    dispatch(&repo, &config, forge.path(), "HEAD~1")
        .run()
        .success();
    let first = pulls(forge.path(), "acme/cousin");
    merge_by_hand(&cousin, first[0]["head"].as_str().unwrap());
    // Two commits on the same line: the second depends on the first.
    let start = repo.head();
    repo.write("features/x/lib.txt", "x3\n");
    repo.commit("x3");
    repo.write("features/x/lib.txt", "x4\n");
    repo.commit("x4");
    let out = dispatch(&repo, &config, forge.path(), &start.to_string())
        .run()
        .success();
    let prs = pulls(forge.path(), "acme/cousin");
    assert_eq!(prs.len(), 3, "{out}");
    assert_eq!(
        prs[1]["draft"], false,
        "the first applies cleanly: {:?}",
        prs[1]
    );
    assert_eq!(prs[2]["draft"], true, "the second conflicts: {:?}", prs[2]);
    let marked = file_at(
        &cousin,
        prs[2]["head"].as_str().unwrap(),
        "features/x/lib.txt",
    )
    .unwrap();
    assert!(marked.contains("<<<<<<<"), "{marked}");
}

#[test]
fn a_pull_request_whose_change_vanished_upstream_is_closed() {
    let repo = source();
    let forge = local_forge(&[]);
    let fork = seed(forge.path(), "acme/fork", Some(&repo));
    let config = Config::new(&json!([
        {"repo": "acme/fork", "subscriptions": ["features/**"], "mode": "pull-request"}
    ]));
    repo.write("features/x/lib.txt", "x2\n");
    repo.commit("x2");
    dispatch(&repo, &config, forge.path(), "HEAD~1")
        .run()
        .success();
    assert_eq!(pulls(forge.path(), "acme/fork")[0]["state"], "open");
    // Upstream takes the change back: the fork already has that state, so the pull request has nothing left.
    repo.write("features/x/lib.txt", "x1\n");
    repo.commit("revert x2");
    let out = dispatch(&repo, &config, forge.path(), "HEAD~1")
        .run()
        .success();
    assert!(
        report_line(&out, "acme/fork").contains("closed #1"),
        "{out}"
    );
    let prs = pulls(forge.path(), "acme/fork");
    assert_eq!(prs.len(), 1);
    assert_eq!(prs[0]["state"], "closed", "{:?}", prs[0]);
    assert_eq!(
        tip(&fork, "main"),
        Some(repo.rev("HEAD~2")),
        "main untouched"
    );
}

#[test]
fn ack_settles_the_deliveries_the_dispatcher_made_itself() {
    let repo = source();
    let forge = local_forge(&["acme/mono"]);
    seed(forge.path(), "acme/fork", Some(&repo));
    seed(forge.path(), "acme/cousin", None);
    let config = Config::new(&json!([
        {"repo": "acme/fork", "subscriptions": ["**"], "mode": "push"},
        {"repo": "acme/cousin", "subscriptions": ["features/x/**"], "mode": "pull-request",
         "mapping": [{"path": "features/x", "to": "app"}]}
    ]));
    repo.write("features/x/lib.txt", "x2\n");
    repo.commit("x2");
    let out = dispatch(&repo, &config, forge.path(), "HEAD~1")
        .arg("--ack")
        .run()
        .success();
    assert!(
        out.stderr.contains("ack: 2 of 2 delivery statuses set"),
        "{out}"
    );
    let status = Cmd::dispatcher()
        .dir(repo.path())
        .args([
            "status",
            &repo.head().to_string(),
            "--source-repo",
            "acme/mono",
            "--format",
            "json",
        ])
        .arg("--forge")
        .arg(format!("local:{}", forge.path().display()))
        .timeout(Duration::from_secs(30))
        .run()
        .success();
    let statuses = status.json()["statuses"].clone();
    let settled: Vec<(String, String)> = statuses
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["target"].as_str().unwrap_or_default().to_owned(),
                s["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        settled.contains(&("acme/fork".into(), "success".into())),
        "{statuses:#}"
    );
    assert!(
        settled.contains(&("acme/cousin".into(), "success".into())),
        "{statuses:#}"
    );
}

#[test]
fn a_dry_run_flush_says_what_it_would_open_and_opens_nothing() {
    let repo = source();
    let forge = local_forge(&[]);
    let due = seed(forge.path(), "acme/due", None);
    let config = Config::new(&json!([
        {"repo": "acme/due", "subscriptions": ["features/x/**"], "mode": "buffered-pr", "buffer_hours": 1}
    ]));
    repo.write("features/x/lib.txt", "x2\n");
    repo.commit("x2");
    let out = flush(&repo, &config, forge.path())
        .arg("--dry-run")
        .timeout(Duration::from_secs(60))
        .run()
        .success();
    assert!(
        out.stderr
            .contains("acme/due (mode `buffered-pr`): dry run: applied: would open pull request"),
        "{out}"
    );
    assert!(pulls(forge.path(), "acme/due").is_empty());
    assert_eq!(tip(&due, "ecosync/acme-mono"), None);
}

#[test]
fn a_root_file_subscription_never_copies_the_whole_repository() {
    let repo = source();
    let forge = local_forge(&[]);
    let cousin = seed(forge.path(), "acme/cousin", None);
    let config = Config::new(&json!([
        {"repo": "acme/cousin", "subscriptions": ["README.md"], "mode": "pull-request"}
    ]));
    repo.write("README.md", "changed\n");
    repo.commit("readme");
    let out = dispatch(&repo, &config, forge.path(), "HEAD~1")
        .run()
        .expect_code(1);
    let line = report_line(&out, "acme/cousin");
    assert!(line.contains("name no directory to copy"), "{out}");
    assert!(line.contains("add `mapping`"), "{out}");
    assert!(pulls(forge.path(), "acme/cousin").is_empty());
    assert_eq!(tip(&cousin, "ecosync/acme-mono"), None);
}
