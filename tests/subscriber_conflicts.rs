//! Conflicts under both `on_conflict` settings, and failure reports: one issue per cousin, commented on
//! when it is already open, nothing pushed.

use serde_json::json;

use crate::support::subscriber_fixture::conflicting;

const BRANCH: &str = "ecosync/acme-mono";

#[test]
fn conflict_opens_one_issue_upstream_and_pushes_nothing() {
    let p = conflicting(json!({}));
    let up = p.upstream.head();
    let out = p
        .apply(&["--latest"])
        .expect_code(1)
        .expect_stderr("conflicts with this repository in `app/a.txt` (edited here and upstream)");
    assert!(
        out.stdout
            .contains("reported: opened issue #1 in `acme/mono`"),
        "{out}"
    );
    assert_eq!(p.remote_branch(BRANCH), None, "nothing pushed");
    assert!(p.pulls().is_empty());
    let issues = p.issues("mono");
    assert_eq!(issues.len(), 1);
    let issue = &issues[0];
    assert_eq!(
        issue.title,
        "ecosync: sync of acme/mono into acme/cousin failed"
    );
    assert_eq!(issue.labels, ["ecosync-failure", "upstream-sync"]);
    for needle in [
        "`app/a.txt`",
        &up.to_string(),
        "git diff --binary --relative=features/x",
        "git apply --3way --directory=app",
        "Ecosync-Upstream: acme/mono@",
    ] {
        assert!(
            issue.body.contains(needle),
            "missing {needle:?} in\n{}",
            issue.body
        );
    }
    // The next failure comments on the open issue instead of opening another.
    let out = p.apply(&["--latest"]).expect_code(1);
    assert!(out.stdout.contains("commented on open issue #1"), "{out}");
    let issues = p.issues("mono");
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].comments.len(), 1);
}

/// A file the cousin deleted, which upstream then changed, is called missing, not an edit.
#[test]
fn a_missing_file_is_called_missing() {
    let p = conflicting(json!({}));
    // Only b.txt is in the way: the cousin deleted its copy, upstream changed it.
    p.cousin
        .write("app/a.txt", "a1\na2\na3\na4\na5\na6\na7\na8\n")
        .remove("app/b.txt");
    p.cousin.commit("cousin: no b");
    let out = p.apply(&["--latest"]).expect_code(1).expect_stderr(
        "conflicts with this repository in `app/b.txt` (missing here, changed upstream)",
    );
    assert!(!out.stderr.contains("own edits"), "{out}");
    let body = &p.issues("mono")[0].body;
    assert!(
        body.contains("- `app/b.txt` (missing here, changed upstream)"),
        "{body}"
    );
    assert!(body.contains("nothing was pushed"), "{body}");
}

#[test]
fn conflict_report_goes_where_notify_says_with_the_run_url() {
    let p = conflicting(json!({"notify": {"to": "self", "labels": ["sync-broken"]}}));
    p.push_cousin();
    crate::support::Cmd::subscriber()
        .arg("apply")
        .arg("--repo")
        .arg(p.cousin.path())
        .arg("--forge")
        .arg(format!("local:{}", p.forge.path().display()))
        .env("GITHUB_REPOSITORY", "acme/cousin")
        .env("GITHUB_RUN_ID", "777")
        .env("GITHUB_SERVER_URL", "https://github.example")
        .arg("--latest")
        .run()
        .expect_code(1);
    assert!(p.issues("mono").is_empty());
    let issues = p.issues("cousin");
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].labels, ["sync-broken"]);
    assert!(
        issues[0]
            .body
            .contains("https://github.example/acme/cousin/actions/runs/777"),
        "{}",
        issues[0].body
    );
}

#[test]
fn conflict_as_draft_pull_request_commits_the_markers() {
    let p = conflicting(json!({"on_conflict": "draft-pull-request"}));
    let out = p.apply(&["--latest"]).success();
    assert!(out.stdout.contains("warning: conflicts committed"), "{out}");
    let files = p.remote_files(BRANCH);
    let a = String::from_utf8(files["app/a.txt"].1.clone()).unwrap();
    assert!(a.contains("<<<<<<< this repository"), "{a}");
    assert!(a.contains(">>>>>>> upstream"), "{a}");
    assert_eq!(files["app/b.txt"].1, b"b2\n", "clean files are merged");
    let pulls = p.pulls();
    assert_eq!(pulls.len(), 1);
    assert!(pulls[0].draft);
    assert!(pulls[0].title.starts_with("[conflicts] "));
    assert!(pulls[0].body.contains("- `app/a.txt`"), "{}", pulls[0].body);
    assert!(p.issues("mono").is_empty());
}

#[test]
fn dry_run_reports_the_conflict_without_writing() {
    let p = conflicting(json!({}));
    p.push_cousin();
    let before = crate::support::subscriber_fixture::snapshot(p.forge.path());
    p.apply(&["--latest", "--dry-run"])
        .expect_code(1)
        .expect_stdout("would report the conflict in an issue in `acme/mono`");
    assert_eq!(
        before,
        crate::support::subscriber_fixture::snapshot(p.forge.path())
    );
}
