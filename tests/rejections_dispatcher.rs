//! Rejections in the modes in which the dispatcher opens the pull requests itself (`pull-request`, with and
//! without `per_commit`), through the real `dispatcher` on the local forge: a closed pull request holds its
//! change (and with `per_commit` only its commit), `--repropose` proposes again, `--ack` sets `rejected:
//! #N`, a dry run says what holds, and a subscriber's record in the source shows in the dispatcher's
//! report for a target in mode `dispatch`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use git2::Repository;
use serde_json::{Value, json};

use crate::support::dispatch::local_forge;
use crate::support::plan::Config;
use crate::support::{Cmd, Output, Repo};

fn source() -> Repo {
    let repo = Repo::new();
    repo.write("README.md", "monorepo\n");
    repo.write("features/x/lib.txt", "x1\n");
    repo.commit("first");
    repo
}

/// A target of its own with one file, and the source repository (where the issues go), on `forge`.
fn seed(forge: &Path) -> PathBuf {
    let dir = forge.join("acme/cousin.git");
    Repository::init_bare(&dir)
        .unwrap()
        .set_head("refs/heads/main")
        .unwrap();
    let own = Repo::new();
    own.write("own.txt", "the cousin's own\n");
    own.commit("cousin start");
    own.push(&dir, "main");
    Repository::init_bare(forge.join("acme/mono.git")).unwrap();
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

fn pulls(forge: &Path) -> Vec<Value> {
    let dir = forge.join("acme/cousin.forge/pulls");
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

/// Closes the target's pull request `number` without merging, as `by` would.
fn close(forge: &Path, number: u64, by: &str) {
    let path = forge.join(format!("acme/cousin.forge/pulls/{number}.json"));
    let mut record: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    record["state"] = "closed".into();
    record["closed_by"] = by.into();
    record["closed_at"] = ecosync::forge::local::now_rfc3339().into();
    std::fs::write(path, record.to_string()).unwrap();
}

fn issues(forge: &Path) -> Vec<Value> {
    let dir = forge.join("acme/mono.forge/issues");
    std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .filter_map(|t| serde_json::from_str(&t).ok())
                .collect()
        })
        .unwrap_or_default()
}

fn line(out: &Output) -> String {
    out.stderr
        .lines()
        .find(|l| l.contains(": acme/cousin: "))
        .unwrap_or_else(|| panic!("no progress line\n{out}"))
        .to_owned()
}

#[test]
fn a_rejected_pull_request_holds_the_push_until_reproposed() {
    let repo = source();
    let forge = local_forge(&[]);
    seed(forge.path());
    let config = Config::new(&json!([
        {"repo": "acme/cousin", "subscriptions": ["features/x/**"], "mode": "pull-request",
         "mapping": [{"path": "features/x", "to": "app"}]}
    ]));
    repo.write("features/x/lib.txt", "x2\n");
    repo.commit("x2");
    let out = dispatch(&repo, &config, forge.path(), "HEAD~1")
        .run()
        .success();
    assert!(line(&out).contains("opened pull request #1"), "{out}");
    close(forge.path(), 1, "alice");

    // The same push again (a retry, a re-run): held, said, reported once, `rejected: #1` with `--ack`.
    let head = repo.head().to_string();
    let actions = tempfile::tempdir().unwrap();
    let summary = actions.path().join("summary.md");
    let out = dispatch(&repo, &config, forge.path(), "HEAD~1")
        .arg("--ack")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .run()
        .success();
    let markdown = std::fs::read_to_string(&summary).unwrap();
    assert!(
        markdown.contains("| `acme/cousin` | skipped (**rejected**) |"),
        "{markdown}"
    );
    let progress = line(&out);
    assert!(
        progress.contains("held: #1 was closed without merging by alice"),
        "{out}"
    );
    assert!(
        progress.contains("recorded in issue #1 in `acme/mono`"),
        "{out}"
    );
    assert!(out.stderr.contains("1 held back"), "{out}");
    assert_eq!(pulls(forge.path()).len(), 1);
    assert_eq!(issues(forge.path()).len(), 1);
    let statuses: Value = serde_json::from_str(
        &std::fs::read_to_string(
            forge
                .path()
                .join(format!("acme/mono.forge/statuses/{head}.json")),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(statuses[0]["state"], "failure", "{statuses:#}");
    assert_eq!(statuses[0]["description"], "rejected: #1");
    // A dry run says so too, and the JSON report carries the state.
    let report = tempfile::tempdir().unwrap();
    let path = report.path().join("report.json");
    let out = dispatch(&repo, &config, forge.path(), "HEAD~1")
        .arg("--dry-run")
        .arg("--report")
        .arg(&path)
        .run()
        .success();
    assert!(out.stderr.contains("held: #1"), "{out}");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        json["repos"][0]["standing"]["states"],
        json!(["rejected"]),
        "{json:#}"
    );
    // Proposed again on request.
    let out = dispatch(&repo, &config, forge.path(), "HEAD~1")
        .args(["--repropose", "acme/cousin"])
        .run()
        .success();
    assert!(line(&out).contains("opened pull request #2"), "{out}");
    assert_eq!(pulls(forge.path()).len(), 2);
}

#[test]
fn with_per_commit_a_rejection_holds_only_its_commit() {
    let repo = source();
    let forge = local_forge(&[]);
    let cousin = seed(forge.path());
    let config = Config::new(&json!([
        {"repo": "acme/cousin", "subscriptions": ["features/x/**"], "mode": "pull-request",
         "per_commit": true, "mapping": [{"path": "features/x", "to": "x"}]}
    ]));
    // The first sync, merged.
    repo.write("features/x/lib.txt", "x2\n");
    repo.commit("x2");
    dispatch(&repo, &config, forge.path(), "HEAD~1")
        .run()
        .success();
    let git = Repository::open_bare(&cousin).unwrap();
    let first = git.refname_to_id("refs/heads/ecosync/acme-mono").unwrap();
    git.reference("refs/heads/main", first, true, "merged")
        .unwrap();
    // Three commits, three pull requests; the second is closed without merging.
    let start = repo.head();
    for file in ["a.txt", "b.txt", "c.txt"] {
        repo.write(&format!("features/x/{file}"), "1\n");
        repo.commit(&format!("add {file}"));
    }
    dispatch(&repo, &config, forge.path(), &start.to_string())
        .run()
        .success();
    assert_eq!(pulls(forge.path()).len(), 4);
    close(forge.path(), 3, "alice");
    // A fourth commit, with the range delivered again: the other commits go on, only the rejected one
    // is held.
    repo.write("features/x/d.txt", "1\n");
    repo.commit("add d.txt");
    let out = dispatch(&repo, &config, forge.path(), &start.to_string())
        .run()
        .success();
    let progress = line(&out);
    assert!(progress.contains("held: #3"), "{out}");
    assert!(progress.contains("opened pull request #5"), "{out}");
    assert_eq!(pulls(forge.path()).len(), 5);
    // Another commit's pull request is merged: the rejected commit stays held all the same.
    let a = pulls(forge.path())[1].clone();
    let branch = a["head"].as_str().unwrap();
    let merged = git.refname_to_id(&format!("refs/heads/{branch}")).unwrap();
    git.reference("refs/heads/main", merged, true, "merged")
        .unwrap();
    let path = forge.path().join("acme/cousin.forge/pulls/2.json");
    let mut record = a.clone();
    record["state"] = "closed".into();
    record["merged_commit"] = merged.to_string().into();
    std::fs::write(path, record.to_string()).unwrap();
    let out = dispatch(&repo, &config, forge.path(), &start.to_string())
        .run()
        .success();
    assert!(line(&out).contains("held: #3"), "{out}");
    assert_eq!(pulls(forge.path()).len(), 5, "{out}");
}

#[test]
fn a_held_commit_takes_no_place_under_the_per_commit_limit() {
    let repo = source();
    let forge = local_forge(&[]);
    let cousin = seed(forge.path());
    let config = Config::new(&json!([
        {"repo": "acme/cousin", "subscriptions": ["features/x/**"], "mode": "pull-request",
         "per_commit": true, "per_commit_limit": 2, "mapping": [{"path": "features/x", "to": "x"}]}
    ]));
    repo.write("features/x/lib.txt", "x2\n");
    repo.commit("x2");
    dispatch(&repo, &config, forge.path(), "HEAD~1")
        .run()
        .success();
    let git = Repository::open_bare(&cousin).unwrap();
    let first = git.refname_to_id("refs/heads/ecosync/acme-mono").unwrap();
    git.reference("refs/heads/main", first, true, "merged")
        .unwrap();
    let start = repo.head();
    for file in ["a.txt", "b.txt"] {
        repo.write(&format!("features/x/{file}"), "1\n");
        repo.commit(&format!("add {file}"));
    }
    dispatch(&repo, &config, forge.path(), &start.to_string())
        .run()
        .success();
    assert_eq!(pulls(forge.path()).len(), 3);
    close(forge.path(), 2, "alice");
    repo.write("features/x/c.txt", "1\n");
    repo.commit("add c.txt");
    let out = dispatch(&repo, &config, forge.path(), "HEAD~1")
        .run()
        .success();
    let progress = line(&out);
    assert!(progress.contains("held: #2"), "{out}");
    assert!(progress.contains("opened pull request #4"), "{out}");
    assert!(!progress.contains("queued"), "{out}");
}

#[test]
fn a_subscriber_s_record_shows_in_the_dispatcher_s_report() {
    use ecosync::RepoName;
    use ecosync::sync::rejection::standing::{RejectedPull, Standing, StandingState};
    let repo = source();
    let forge = local_forge(&["acme/cousin"]);
    Repository::init_bare(forge.path().join("acme/mono.git")).unwrap();
    // What a subscriber recorded in the source (its run opened the issue).
    let mut standing = Standing::new(
        &RepoName::parse("acme/cousin").unwrap(),
        &RepoName::parse("acme/mono").unwrap(),
        "main",
    );
    standing.states = vec![StandingState::Rejected, StandingState::Paused];
    standing.rejections.push(RejectedPull {
        number: 7,
        url: "https://example.invalid/acme/cousin/pull/7".into(),
        head: "a".repeat(40),
        commits: Vec::new(),
        closed_by: Some("carol".into()),
        closed_at: Some("2026-01-01T00:00:00Z".into()),
        last_comment: None,
    });
    let dir = forge.path().join("acme/mono.forge/issues");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("1.json"),
        json!({
            "number": 1, "state": "open", "html_url": "file:///1", "assignees": [], "comments": [],
            "title": "ecosync: acme/cousin declined changes from acme/mono",
            "labels": ["ecosync-rejected", "ecosync-paused"],
            "body": ecosync::sync::rejection::rejection_issue::body(&standing),
        })
        .to_string(),
    )
    .unwrap();
    let config = Config::new(&json!([
        {"repo": "acme/cousin", "subscriptions": ["features/x/**"]}
    ]));
    repo.write("features/x/lib.txt", "x2\n");
    repo.commit("x2");
    let out = dispatch(&repo, &config, forge.path(), "HEAD~1")
        .run()
        .success();
    assert!(
        out.stderr
            .contains("acme/cousin: paused: #7 was closed without merging by `carol`"),
        "{out}"
    );
    assert!(out.stderr.contains("1 held back"), "{out}");
    // `plan` and `forecast` say so too, when they can read the source.
    let local = format!("local:{}", forge.path().display());
    let plan = |format: &str| {
        Cmd::dispatcher()
            .dir(repo.path())
            .args([
                "plan", "--base", "HEAD~1", "--head", "HEAD", "--ref", "main",
            ])
            .args([
                "--no-watermark",
                "--source-repo",
                "acme/mono",
                "--forge",
                &local,
            ])
            .args(["--format", format])
            .arg("--config")
            .arg(config.path())
            .timeout(Duration::from_secs(60))
            .run()
            .success()
    };
    let text = plan("text");
    assert!(
        text.stdout
            .contains("held back: acme/cousin: paused: #7 was closed without merging"),
        "{text}"
    );
    assert!(plan("markdown").stdout.contains("Held back:"), "markdown");
    let json: Value = serde_json::from_str(&plan("json").stdout).unwrap();
    assert_eq!(
        json["deliveries"][0]["standing"]["states"],
        json!(["rejected", "paused"])
    );
    let out = Cmd::dispatcher()
        .dir(repo.path())
        .args([
            "forecast", "--base", "HEAD~1", "--head", "HEAD", "--ref", "main",
        ])
        .args(["--source-repo", "acme/mono", "--forge", &local])
        .arg("--config")
        .arg(config.path())
        .timeout(Duration::from_secs(60))
        .run()
        .success();
    assert!(
        out.stdout
            .contains("held back: paused: #7 was closed without merging"),
        "{out}"
    );
    // Without a forge to read, the plan is as it always was.
    let out = Cmd::dispatcher()
        .dir(repo.path())
        .args([
            "plan", "--base", "HEAD~1", "--head", "HEAD", "--ref", "main",
        ])
        .args(["--no-watermark", "--source-repo", "acme/mono"])
        .arg("--config")
        .arg(config.path())
        .run()
        .success();
    assert!(!out.stdout.contains("held back"), "{out}");
}
