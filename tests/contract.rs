//! Contract tests: every kind of request the forge layer sends, checked by Prism against GitHub's own
//! `OpenAPI` description (`@octokit/openapi`). Prism answers a request that breaks the spec with 422 and an
//! `sl-violations` header, which makes the forge call (and the test) fail; its log is scanned for
//! violations too. Issue bodies are not validated by Prism (a schema quirk): the fake GitHub checks those.

use std::io::{Read, Write};
use std::time::Duration;

use clap::Parser;
use ecosync::forge::NewPullRequest;
use ecosync::{Forge, RepoName};
use ecosync_cli::forge_args::ForgeArgs;

use crate::support::Repo;
use crate::support::dispatch::dispatch_cmd;
use crate::support::plan::Config;
use crate::support::prism::{Session, prism};

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    forge: ForgeArgs,
}

/// A forge for `prism`; must be called inside a Tokio runtime.
fn forge(prism: &Session) -> Forge {
    Args::parse_from([
        "t",
        "--api-url",
        &prism.url(),
        "--token-env",
        "PATH",
        "--min-interval",
        "0",
        "--max-attempts",
        "1",
    ])
    .forge
    .build()
    .expect("forge builds")
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Fails if Prism logged a request violation.
fn assert_no_violation(prism: &Session) {
    let bad = prism.request_violations();
    assert!(
        bad.is_empty(),
        "Prism reported request violations:\n{}",
        bad.join("\n")
    );
}

/// A raw request to Prism: (status line, headers).
fn raw(prism: &Session, method: &str, path: &str, body: &str) -> (String, String) {
    let addr = prism.url().trim_start_matches("http://").to_string();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    let head = text.split("\r\n\r\n").next().unwrap_or("").to_string();
    let status = head.lines().next().unwrap_or("").to_string();
    (status, head.to_ascii_lowercase())
}

#[test]
fn prism_flags_a_request_that_breaks_the_spec() {
    let Some(prism) = prism() else { return };
    // `event_type` is required: the detector the other tests rely on must see this.
    let (status, headers) = raw(
        &prism,
        "POST",
        "/repos/acme/widget/dispatches",
        r#"{"client_payload":{}}"#,
    );
    assert!(status.contains(" 422"), "{status}\n{headers}");
    assert!(headers.contains("sl-violations"), "{headers}");
    assert!(
        !prism.request_violations().is_empty(),
        "the log check sees it too"
    );
}

#[test]
fn dispatch_through_the_binary_matches_the_spec() {
    let Some(prism) = prism() else { return };
    let repo = Repo::new();
    repo.write("README.md", "a");
    repo.commit("first");
    repo.write("src/lib.rs", "b");
    repo.commit("second");
    let config = Config::new(&serde_json::json!([
        {"repo": "acme/widget", "subscriptions": ["src/**"]},
        {"repo": "acme/gadget", "subscriptions": ["**"], "event_type": "sync"},
    ]));
    dispatch_cmd(&repo, &config)
        .args(["--api-url", &prism.url()])
        .args(["--min-interval", "0", "--max-attempts", "1"])
        .env("ECOSYNC_TOKEN", "contract-test-token")
        .timeout(Duration::from_secs(60))
        .run()
        .success()
        .expect_stderr("2 delivered, 0 failed");
    assert_no_violation(&prism);
}

#[test]
fn every_pull_request_and_issue_request_matches_the_spec() {
    let Some(prism) = prism() else { return };
    let r = RepoName::parse("acme/widget").unwrap();
    block_on(async {
        let f = forge(&prism);
        let branch = f.default_branch(&r).await.expect("get repository");
        assert!(!branch.is_empty());
        // Prism answers with the spec's example pull requests, which are for other branches.
        f.find_open_pull_request(&r, "ecosync/sync", "main")
            .await
            .expect("list pull requests");
        // The sync trail: merged pull requests into the base.
        f.merged_pull_requests(&r, "main")
            .await
            .expect("list merged pull requests");
        let new = NewPullRequest {
            title: "Sync from upstream".into(),
            body: "Upstream commit abc".into(),
            head: "ecosync/sync".into(),
            base: "main".into(),
            draft: true,
        };
        let pr = f
            .create_pull_request(&r, &new)
            .await
            .expect("create pull request");
        f.update_pull_request(&r, pr.number, "Sync 2", "body 2")
            .await
            .expect("update pull request");
        f.request_reviewers(
            &r,
            pr.number,
            &["octocat".into()],
            &["justice-league".into()],
        )
        .await
        .expect("request reviewers");
        f.add_labels(&r, pr.number, &["ecosync".into(), "sync".into()])
            .await
            .expect("add labels");
        f.add_assignees(&r, pr.number, &["octocat".into()])
            .await
            .expect("add assignees");
        f.comment(&r, pr.number, "a comment")
            .await
            .expect("comment");
        f.close_pull_request(&r, pr.number)
            .await
            .expect("close pull request");
        f.find_open_issue(&r, "ecosync: sync failed", Some("ecosync"))
            .await
            .expect("list issues");
        f.find_open_issue(&r, "no label", None)
            .await
            .expect("list issues");
        let issue = f
            .create_issue(&r, "a title nobody used", "body", &["ecosync".into()])
            .await
            .expect("create issue");
        f.close_issue(&r, issue.number).await.expect("close issue");
    });
    assert_no_violation(&prism);
}

/// What rejections and reversals read and write: the closed and open pull requests into a base, who
/// closed one (its issue), its comments with their authors, the issues labelled `ecosync-rejected`, and
/// the record brought up to date (body and labels).
#[test]
fn rejection_requests_match_the_spec() {
    let Some(prism) = prism() else { return };
    let r = RepoName::parse("acme/widget").unwrap();
    block_on(async {
        let f = forge(&prism);
        f.closed_pull_requests(&r, "main")
            .await
            .expect("list closed pull requests");
        f.open_pull_requests(&r, "main")
            .await
            .expect("list open pull requests");
        f.closed_by(&r, 1347).await.expect("get an issue");
        let comments = f.comments(&r, 1347).await.expect("list issue comments");
        assert!(comments.iter().all(|c| c.author.is_some()), "{comments:?}");
        f.open_issues(&r, "ecosync-rejected")
            .await
            .expect("list repository issues");
        f.update_issue(
            &r,
            1347,
            "the record",
            &["ecosync-rejected".into(), "ecosync-paused".into()],
        )
        .await
        .expect("update an issue");
    });
    assert_no_violation(&prism);
}

#[test]
fn commit_status_requests_match_the_spec() {
    use ecosync::forge::commit_status::{NewCommitStatus, StatusState};
    let Some(prism) = prism() else { return };
    let r = RepoName::parse("acme/widget").unwrap();
    let target = RepoName::parse("acme/gadget").unwrap();
    let sha = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
    block_on(async {
        let f = forge(&prism);
        // `dispatch --ack`: pending, without a URL outside Actions.
        let pending = NewCommitStatus::new(&target, StatusState::Pending, "dispatched", None);
        f.set_commit_status(&r, sha, &pending)
            .await
            .expect("create a commit status");
        // The subscriber: success linking to the pull request, failure linking to the issue.
        for (state, url) in [
            (
                StatusState::Success,
                "https://github.com/acme/gadget/pull/1",
            ),
            (
                StatusState::Failure,
                "https://github.com/acme/gadget/issues/2",
            ),
        ] {
            let s = NewCommitStatus::new(&target, state, "synced", Some(url.into()));
            f.set_commit_status(&r, sha, &s)
                .await
                .expect("create a commit status");
        }
        // `dispatcher status`: the list, read into our type.
        f.commit_statuses(&r, sha)
            .await
            .expect("list commit statuses for a reference");
    });
    assert_no_violation(&prism);
}

#[test]
fn doctor_requests_match_the_spec() {
    let Some(prism) = prism() else { return };
    let r = RepoName::parse("acme/widget").unwrap();
    block_on(async {
        let f = forge(&prism);
        // `GET /user` (Prism answers with its example user).
        f.identity(&r).await.expect("get the authenticated user");
        // `GET /repos/{owner}/{repo}` with its `permissions`.
        let access = f.repo_access(&r).await.expect("get a repository");
        assert!(access.visible);
        f.actions_pull_requests(&r)
            .await
            .expect("get default workflow permissions for a repository");
        f.branch_exists(&r, "main").await.expect("get a branch");
        // A branch name with a `/` is encoded into one path segment.
        f.branch_exists(&r, "release/1.x")
            .await
            .expect("get a branch");
    });
    // What an installation token asks when `GET /user` refuses it.
    let (status, headers) = raw(&prism, "GET", "/installation/repositories?per_page=1", "");
    assert!(!status.contains(" 422"), "{status}\n{headers}");
    assert_no_violation(&prism);
}

#[test]
fn push_mode_requests_match_the_spec() {
    let Some(prism) = prism() else { return };
    let r = RepoName::parse("acme/fork").unwrap();
    block_on(async {
        let f = forge(&prism);
        // `GET /repos/{owner}/{repo}`, read for `default_branch`, `fork` and `parent`.
        f.repository(&r).await.expect("get a repository");
        // `POST /repos/{owner}/{repo}/merge-upstream` (Prism answers with its example).
        let how = f
            .merge_upstream(&r, "main")
            .await
            .expect("sync a fork branch");
        assert!(!how.is_empty());
    });
    assert_no_violation(&prism);
}

#[test]
fn sticky_comment_requests_match_the_spec() {
    let Some(prism) = prism() else { return };
    let r = RepoName::parse("acme/widget").unwrap();
    block_on(async {
        let f = forge(&prism);
        // `forecast --comment`: list the pull request's comments, then update the marked one in place.
        f.comments(&r, 42).await.expect("list issue comments");
        f.update_comment(&r, 42, 1_000_001, "<!-- ecosync-forecast -->\nbody")
            .await
            .expect("update an issue comment");
    });
    assert_no_violation(&prism);
}
