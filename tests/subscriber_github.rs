//! `subscriber apply` against the fake GitHub: the requests it makes, and a crash between the push and the
//! pull request (the fake fails the create) completed by the next run.

use std::time::Duration;

use serde_json::json;

use crate::subscriber_fixture::{Pair, config};
use crate::support::Cmd;
use crate::support::fake_github::{FakeGitHub, Fault, FaultKind};

const BRANCH: &str = "ecosync/acme-mono";

fn apply(p: &Pair, fake: &FakeGitHub) -> crate::support::Output {
    p.push_cousin();
    Cmd::subscriber()
        .arg("apply")
        .arg("--repo")
        .arg(p.cousin.path())
        .args(["--api-url", &fake.url(), "--latest"])
        .arg("--cousin-url")
        .arg(p.forge_repo("cousin"))
        .env("GITHUB_REPOSITORY", "acme/cousin")
        .env("ECOSYNC_TOKEN", "test-token-not-secret")
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .env("ECOSYNC_RETRY_BASE_DELAY", "100ms")
        .timeout(Duration::from_secs(60))
        .run()
}

fn pair() -> Pair {
    let mut cfg = config(json!([{"path": "features/x", "to": "app"}]), "diff-apply");
    cfg["pull_request"] =
        json!({"reviewers": ["alice"], "team_reviewers": ["core"], "assignees": ["bob"]});
    Pair::new(cfg)
}

#[test]
fn opens_one_pull_request_with_labels_reviewers_and_assignees() {
    let p = pair();
    let fake = FakeGitHub::start();
    fake.add_repo("acme/cousin").add_repo("acme/mono");
    let out = apply(&p, &fake).success();
    assert!(out.stdout.contains("pull request: opened #1"), "{out}");
    let pulls = fake.pulls("acme/cousin");
    assert_eq!(pulls.len(), 1, "{pulls:?}");
    assert_eq!(pulls[0]["head"]["ref"], BRANCH);
    assert_eq!(pulls[0]["base"]["ref"], "main");
    let looked = fake.requests_to("GET", "/repos/acme/cousin/pulls");
    assert!(
        looked
            .iter()
            .any(|r| r.query.contains("head=acme%3Aecosync%2Facme-mono")
                || r.query.contains("head=acme:ecosync/acme-mono")),
        "{looked:?}"
    );
    let labels = fake.requests_to("POST", "/labels");
    assert_eq!(
        labels[0].json()["labels"],
        json!(["automated", "upstream-sync"])
    );
    let reviews = fake.requests_to("POST", "/requested_reviewers");
    assert_eq!(reviews[0].json()["reviewers"], json!(["alice"]));
    assert_eq!(reviews[0].json()["team_reviewers"], json!(["core"]));
    assert_eq!(fake.requests_to("POST", "/assignees").len(), 1);
    assert!(p.remote_branch(BRANCH).is_some());
    // The token went in Authorization headers only, never into output.
    assert!(!out.stdout.contains("test-token") && !out.stderr.contains("test-token"));
}

#[test]
fn failed_pull_request_create_is_completed_by_the_next_run() {
    let p = pair();
    let fake = FakeGitHub::start();
    fake.add_repo("acme/cousin").add_repo("acme/mono");
    fake.fail(
        Fault::new(FaultKind::Status(422))
            .method("POST")
            .path("/repos/acme/cousin/pulls"),
    );
    let out = apply(&p, &fake).expect_code(1);
    assert!(
        out.stdout
            .contains("reported: opened issue #1 in `acme/mono`"),
        "{out}"
    );
    let head = p
        .remote_branch(BRANCH)
        .expect("the push happened before the failure");
    assert!(fake.pulls("acme/cousin").is_empty());
    assert_eq!(fake.issues("acme/mono").len(), 1);
    let out = apply(&p, &fake).success();
    assert!(out.stdout.contains("already carries this sync"), "{out}");
    assert_eq!(p.remote_branch(BRANCH), Some(head), "no second commit");
    assert_eq!(fake.pulls("acme/cousin").len(), 1);
    // Third run: same event again, still one pull request.
    apply(&p, &fake).success();
    assert_eq!(fake.pulls("acme/cousin").len(), 1);
}
