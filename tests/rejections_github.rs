//! Rejections through `subscriber apply` against the fake GitHub: who closed a pull request comes from its
//! issue (as on GitHub), a rejected change is held and reported once in the source, a newer commit is
//! proposed naming the rejected pull request, ecosync's own closes are no rejection, a paused target
//! resumes when a person reopens the pull request, and the issue closes itself after the next merged
//! sync.

use std::time::Duration;

use serde_json::Value;

use crate::support::Cmd;
use crate::support::fake_github::FakeGitHub;
use crate::support::subscriber_fixture::{Pair, config, mapped};

const BRANCH: &str = "ecosync/acme-mono";

fn apply(p: &Pair, fake: &FakeGitHub, args: &[&str]) -> crate::support::Output {
    p.push_cousin();
    Cmd::subscriber()
        .arg("apply")
        .arg("--repo")
        .arg(p.cousin.path())
        .args(["--api-url", &fake.url(), "--latest"])
        .arg("--cousin-url")
        .arg(p.forge_repo("cousin"))
        .args(args)
        .env("GITHUB_REPOSITORY", "acme/cousin")
        .env("ECOSYNC_TOKEN", "test-token-not-secret")
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .timeout(Duration::from_secs(60))
        .run()
}

fn fake() -> FakeGitHub {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/cousin").add_repo("acme/mono");
    fake
}

/// Merges pull request `number` (its branch into `main`, pushed) as GitHub's merge button does.
fn merge(p: &Pair, fake: &FakeGitHub, number: u64) {
    let sha = p.merge_by_hand(BRANCH, "merge");
    fake.merge_pull("acme/cousin", number, &sha.to_string(), "merger");
}

fn body(pull: &Value) -> &str {
    pull["body"].as_str().unwrap_or_default()
}

#[test]
fn a_rejection_on_github_is_held_reported_once_and_closed_by_the_next_merged_sync() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    let fake = fake();
    apply(&p, &fake, &[]).success();
    merge(&p, &fake, 1);
    p.upstream
        .write("features/x/a.txt", "A1\na2\na3\na4\na5\na6\na7\na8\n");
    let u2 = p.upstream.commit("upstream: a changes");
    let out = apply(&p, &fake, &[]).success();
    assert!(out.stdout.contains("pull request: opened #2"), "{out}");
    fake.comment_as("acme/cousin", 2, "alice", "not this one");
    fake.close_pull("acme/cousin", 2, "alice");

    let out = apply(&p, &fake, &[]).success();
    assert!(
        out.stdout
            .contains("held: #2 was closed without merging by alice"),
        "{out}"
    );
    // Who closed it: only the issue says, as on GitHub.
    assert!(
        !fake
            .requests_to("GET", "/repos/acme/cousin/issues/2")
            .is_empty()
    );
    assert_eq!(fake.pulls("acme/cousin").len(), 2);
    let issues = fake.issues("acme/mono");
    assert_eq!(issues.len(), 1, "{issues:#?}");
    let issue = &issues[0];
    assert_eq!(
        issue["title"],
        "ecosync: acme/cousin declined changes from acme/mono"
    );
    let labels: Vec<&str> = issue["labels"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["name"].as_str())
        .collect();
    assert_eq!(labels, ["ecosync-rejected"]);
    let text = issue["body"].as_str().unwrap();
    for expected in ["#2", "`alice`", "not this one", &u2.to_string()[..12]] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    // Again: nothing new, nothing written.
    fake.clear_requests();
    let out = apply(&p, &fake, &[]).success();
    assert!(out.stdout.contains("held: #2"), "{out}");
    let writes: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    assert!(writes.is_empty(), "{writes:#?}");

    // A newer change: a new pull request that names the rejected one.
    p.upstream.write("features/x/b.txt", "b2\n");
    p.upstream.commit("upstream: b changes");
    let out = apply(&p, &fake, &[]).success();
    assert!(out.stdout.contains("pull request: opened #3"), "{out}");
    let pulls = fake.pulls("acme/cousin");
    let text = body(&pulls[2]);
    assert!(text.contains("**After a rejection:** #2"), "{text}");
    assert!(text.contains("by `alice`"), "{text}");
    assert!(text.contains(&u2.to_string()[..12]), "{text}");

    // Merged: the issue closes itself.
    merge(&p, &fake, 3);
    let out = apply(&p, &fake, &[]).success();
    assert!(
        out.stdout
            .contains("recorded: closed issue #1 in `acme/mono`"),
        "{out}"
    );
    assert_eq!(fake.issues("acme/mono")[0]["state"], "closed");
}

#[test]
fn on_github_ecosync_s_own_close_is_no_rejection_and_a_reopened_pull_request_resumes_a_pause() {
    let mut cfg = config(mapped(), "diff-apply");
    cfg["on_rejection"] = "pause".into();
    let p = Pair::new(cfg);
    let fake = fake();
    apply(&p, &fake, &[]).success();
    merge(&p, &fake, 1);
    p.upstream
        .write("features/x/a.txt", "A1\na2\na3\na4\na5\na6\na7\na8\n");
    p.upstream.commit("upstream: a changes");
    apply(&p, &fake, &[]).success();
    // Upstream undoes it: ecosync closes #2 itself, with its marker; that pauses nothing.
    p.upstream
        .write("features/x/a.txt", "a1\na2\na3\na4\na5\na6\na7\na8\n");
    p.upstream.commit("upstream: undo");
    let out = apply(&p, &fake, &[]).success();
    assert!(out.stdout.contains("closed pull request #2"), "{out}");
    assert!(
        fake.pull_comments("acme/cousin", 2)[0].contains("<!-- ecosync:closed -->"),
        "{:?}",
        fake.pull_comments("acme/cousin", 2)
    );
    p.upstream.write("features/x/b.txt", "b2\n");
    p.upstream.commit("upstream: b changes");
    let out = apply(&p, &fake, &[]).success();
    assert!(out.stdout.contains("pull request: opened #3"), "{out}");
    assert!(fake.issues("acme/mono").is_empty());

    // A person closes #3: the target is paused.
    fake.close_pull("acme/cousin", 3, "bob");
    p.upstream.write("features/x/b.txt", "b3\n");
    p.upstream.commit("upstream: b again");
    let out = apply(&p, &fake, &[]).success();
    assert!(out.stdout.contains("paused: #3"), "{out}");
    let labels = fake.issues("acme/mono")[0]["labels"].to_string();
    assert!(labels.contains("ecosync-paused"), "{labels}");
    // Reopened by hand: proposed to again, the same pull request brought up to date.
    fake.reopen_pull("acme/cousin", 3);
    let out = apply(&p, &fake, &[]).success();
    assert!(out.stdout.contains("pull request: updated #3"), "{out}");
    let labels = fake.issues("acme/mono")[0]["labels"].to_string();
    assert!(!labels.contains("ecosync-paused"), "{labels}");
}
