//! `subscriber apply` against the fake GitHub: the requests it makes, and a crash between the push and the
//! pull request (the fake fails the create) completed by the next run.

use std::time::Duration;

use serde_json::json;

use crate::support::Cmd;
use crate::support::fake_github::{FakeGitHub, Fault, FaultKind};
use crate::support::subscriber_fixture::{Pair, config, mapped};

const BRANCH: &str = "ecosync/acme-mono";

/// `subscriber apply --latest` of the cousin against the API at `api_url` with `token`, after pushing the
/// cousin's `main` to the forge.
fn apply_cmd(p: &Pair, api_url: &str, token: &str) -> Cmd {
    p.push_cousin();
    Cmd::subscriber()
        .arg("apply")
        .arg("--repo")
        .arg(p.cousin.path())
        .args(["--api-url", api_url, "--latest"])
        .arg("--cousin-url")
        .arg(p.forge_repo("cousin"))
        .env("GITHUB_REPOSITORY", "acme/cousin")
        .env("ECOSYNC_TOKEN", token)
}

fn apply(p: &Pair, fake: &FakeGitHub) -> crate::support::Output {
    apply_cmd(p, &fake.url(), "test-token-not-secret")
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .env("ECOSYNC_RETRY_BASE_DELAY", "100ms")
        .timeout(Duration::from_secs(60))
        .run()
}

fn pair() -> Pair {
    let mut cfg = config(mapped(), "diff-apply");
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
    // The issue says what is really there: the branch was pushed.
    let body = fake.issues("acme/mono")[0]["body"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        body.contains(&format!("branch `{BRANCH}` holds the sync at `{head}`")),
        "{body}"
    );
    assert!(!body.contains("nothing was pushed"), "{body}");
    let out = apply(&p, &fake).success();
    assert!(out.stdout.contains("already carries this sync"), "{out}");
    assert_eq!(p.remote_branch(BRANCH), Some(head), "no second commit");
    assert_eq!(fake.pulls("acme/cousin").len(), 1);
    // Third run: same event again, still one pull request.
    apply(&p, &fake).success();
    assert_eq!(fake.pulls("acme/cousin").len(), 1);
}

#[test]
fn apply_sets_actions_outputs_and_summary() {
    let p = pair();
    let fake = FakeGitHub::start();
    fake.add_repo("acme/cousin").add_repo("acme/mono");
    let dir = tempfile::tempdir().unwrap();
    let (output, summary) = (dir.path().join("output"), dir.path().join("summary"));
    apply_cmd(&p, &fake.url(), "test-token-not-secret")
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .run()
        .success();
    let out = std::fs::read_to_string(&output).unwrap();
    assert!(out.contains("result=applied\n"), "{out}");
    assert!(out.contains("pull_request=http"), "{out}");
    let sum = std::fs::read_to_string(&summary).unwrap();
    assert!(sum.contains("into `acme/cousin`: **applied**"), "{sum}");
}

/// The subscriber's GitHub requests (look up, create and decorate a pull request; look up and open an
/// issue) checked by Prism against GitHub's `OpenAPI` description.
#[test]
fn subscriber_requests_match_the_spec() {
    let Some(prism) = crate::support::prism::prism() else {
        return;
    };
    let run = |p: &Pair| {
        apply_cmd(p, &prism.url(), "contract-test-token")
            .args(["--min-interval", "0", "--max-attempts", "1"])
            .timeout(Duration::from_secs(60))
            .run()
    };
    let mut cfg = config(mapped(), "diff-apply");
    // Prism's example repository has `master` as its default branch.
    cfg["pull_request"] = json!({"base": "main", "reviewers": ["alice"], "team_reviewers": ["core"], "assignees": ["bob"]});
    let p = Pair::new(cfg);
    let out = run(&p).success();
    assert!(out.stdout.contains("pull request: "), "{out}");
    // A conflict: the failure issue.
    let mut cfg = config(mapped(), "diff-apply");
    cfg["pull_request"] = json!({"base": "main"});
    let q = Pair::new(cfg);
    let u1 = q.upstream.head();
    q.cousin.write("app/a.txt", "mine\n");
    q.cousin
        .commit(&format!("sync\n\nEcosync-Upstream: acme/mono@{u1}\n"));
    q.upstream.write("features/x/a.txt", "theirs\n");
    q.upstream.commit("upstream: conflicting");
    let out = run(&q).expect_code(1);
    assert!(out.stdout.contains("reported: "), "{out}");
    let bad = prism.request_violations();
    assert!(
        bad.is_empty(),
        "Prism reported violations:\n{}",
        bad.join("\n")
    );
}
