//! Rejections and reversals through `subscriber apply` on the local forge: a sync pull request closed
//! without merging holds its change (one issue in the source, no nagging), a newer upstream commit is
//! proposed in a pull request that names the rejected one, ecosync's own closes are no rejection, a paused
//! target resumes by `--repropose` or by reopening, a revert on the base branch is reported once and named
//! when changed again, the issue closes itself after the next merged sync, and a dispatch can never make
//! ecosync open an issue.

use ecosync::sync::rejection::standing::{Standing, StandingState};

use crate::support::subscriber_fixture::{
    Pair, config, event_file, mapped, payload, synced_to_first,
};

const BRANCH: &str = "ecosync/acme-mono";

/// A cousin whose first sync (#1) was merged, and an upstream commit `u2` changing `features/x/a.txt`,
/// proposed in #2.
fn proposed(cfg: serde_json::Value) -> (Pair, git2::Oid) {
    let p = Pair::new(cfg);
    let out = p.apply(&["--latest"]).success();
    assert!(out.stdout.contains("pull request: opened #1"), "{out}");
    p.merge_pr(BRANCH, "merge");
    p.upstream
        .write("features/x/a.txt", "A1\na2\na3\na4\na5\na6\na7\na8\n");
    let u2 = p.upstream.commit("upstream: a changes");
    let out = p.apply(&["--latest"]).success();
    assert!(out.stdout.contains("pull request: opened #2"), "{out}");
    (p, u2)
}

fn record(p: &Pair) -> Standing {
    let issues = p.issues("mono");
    assert_eq!(issues.len(), 1, "{issues:#?}");
    Standing::from_body(&issues[0].body).expect("the issue carries the record")
}

fn statuses(p: &Pair, sha: git2::Oid) -> Vec<serde_json::Value> {
    let path = p
        .forge
        .path()
        .join(format!("acme/mono.forge/statuses/{sha}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|_| "[]".into())).unwrap()
}

#[test]
fn a_pull_request_closed_without_merging_holds_its_change_and_is_reported_once() {
    let mut cfg = config(mapped(), "diff-apply");
    cfg["acknowledge"] = true.into();
    let (p, u2) = proposed(cfg);
    p.close_pr(2, "alice", Some("not this quarter, <b>sorry</b> @team"));
    let out = p.apply(&["--latest"]).success();
    assert!(
        out.stdout
            .contains("held: #2 was closed without merging by alice"),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("recorded: opened issue #1 in `acme/mono`"),
        "{out}"
    );
    assert_eq!(p.pulls().len(), 2, "nothing new is proposed");
    let issues = p.issues("mono");
    assert_eq!(issues.len(), 1);
    let issue = &issues[0];
    assert_eq!(
        issue.title,
        "ecosync: acme/cousin declined changes from acme/mono"
    );
    assert!(
        issue.labels.iter().any(|l| l == "ecosync-rejected"),
        "{issue:?}"
    );
    assert!(
        !issue.labels.iter().any(|l| l == "ecosync-paused"),
        "{issue:?}"
    );
    for expected in ["#2", "`alice`", &u2.to_string()[..12], "not this quarter"] {
        assert!(issue.body.contains(expected), "{expected}: {}", issue.body);
    }
    // The closer's words are shown, never rendered: no HTML, no mention outside the code block.
    assert!(
        issue.body.contains("```text\n  alice: not this quarter"),
        "{}",
        issue.body
    );
    let standing = record(&p);
    assert_eq!(standing.states, [StandingState::Rejected]);
    let rejected = standing.rejection().unwrap();
    assert_eq!(rejected.number, 2);
    assert_eq!(rejected.head, u2.to_string());
    assert_eq!(rejected.closed_by.as_deref(), Some("alice"));
    assert_eq!(rejected.commits, [u2.to_string()]);
    // `acknowledge`: the rejected commit is `failure` with `rejected: #2`.
    let st = statuses(&p, u2);
    assert_eq!(st[0]["state"], "failure", "{st:#?}");
    assert_eq!(st[0]["description"], "rejected: #2");

    // Again, and again: nothing new, nothing written, the same words.
    for _ in 0..2 {
        let out = p.apply(&["--latest"]).success();
        assert!(out.stdout.contains("held: #2"), "{out}");
        assert!(!out.stdout.contains("recorded:"), "{out}");
    }
    assert_eq!(p.pulls().len(), 2);
    let issues = p.issues("mono");
    assert_eq!(issues.len(), 1);
    assert!(issues[0].comments.is_empty(), "{:?}", issues[0].comments);
    // Under Actions: the step's result and the job summary say it.
    let dir = tempfile::tempdir().unwrap();
    let (output, summary) = (dir.path().join("output"), dir.path().join("summary"));
    p.apply_cmd(&["--latest"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .run()
        .success();
    let outputs = std::fs::read_to_string(&output).unwrap();
    assert!(outputs.contains("result=held\n"), "{outputs}");
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary.contains("into `acme/cousin`: **held**"),
        "{summary}"
    );
    // The event of the rejected commit itself: held too.
    let (_dir, event) = event_file(payload("acme/mono", u2, &["features/x"]));
    let out = p.apply(&["--event", event.to_str().unwrap()]).success();
    assert!(out.stdout.contains("held: #2"), "{out}");
}

#[test]
fn a_newer_commit_is_proposed_in_a_pull_request_that_names_the_rejected_one() {
    let (p, u2) = proposed(config(mapped(), "diff-apply"));
    p.close_pr(2, "alice", None);
    p.apply(&["--latest"]).success();
    // A commit outside the subscriptions brings nothing new: still held.
    p.upstream.write("other/o.txt", "o2\n");
    p.upstream.commit("upstream: other");
    let out = p.apply(&["--latest"]).success();
    assert!(out.stdout.contains("held: #2"), "{out}");
    // One that changes them is proposed.
    p.upstream.write("features/x/b.txt", "b2\n");
    p.upstream.commit("upstream: b changes");
    let out = p.apply(&["--latest"]).success();
    assert!(out.stdout.contains("pull request: opened #3"), "{out}");
    let pulls = p.pulls();
    assert_eq!(pulls.len(), 3);
    let body = &pulls[2].body;
    assert!(
        body.contains("**After a rejection:** #2"),
        "the new pull request names the rejected one: {body}"
    );
    assert!(body.contains("by `alice`"), "{body}");
    assert!(
        body.contains("carries 1 of its upstream commits again"),
        "{body}"
    );
    assert!(body.contains(&u2.to_string()[..12]), "{body}");
    // Nothing holds now; the issue says the target moved on, and stays open until a sync is merged.
    let standing = record(&p);
    assert!(standing.states.is_empty(), "{standing:?}");
    assert_eq!(p.issues("mono")[0].state, "open");

    // The new pull request is merged: the next run closes the issue.
    p.merge_pr(BRANCH, "merge");
    let out = p.apply(&["--latest"]).success();
    assert!(
        out.stdout
            .contains("recorded: closed issue #1 in `acme/mono`"),
        "{out}"
    );
    let issues = p.issues("mono");
    assert_eq!(issues[0].state, "closed");
    assert!(
        issues[0]
            .comments
            .last()
            .unwrap()
            .body
            .contains("merged a sync again (#3)"),
        "{:?}",
        issues[0].comments
    );
}

#[test]
fn a_pull_request_ecosync_closed_itself_is_no_rejection() {
    let (p, _) = proposed(config(mapped(), "diff-apply"));
    // Upstream undoes its change: #2 has nothing left to bring, and ecosync closes it, marked.
    p.upstream
        .write("features/x/a.txt", "a1\na2\na3\na4\na5\na6\na7\na8\n");
    p.upstream.commit("upstream: undo");
    let out = p.apply(&["--latest"]).success();
    assert!(out.stdout.contains("closed pull request #2"), "{out}");
    let closing = &p.pulls()[1].comments[0];
    assert!(
        closing.body.contains("<!-- ecosync:closed -->"),
        "{closing:?}"
    );
    p.upstream.write("features/x/b.txt", "b2\n");
    p.upstream.commit("upstream: b changes");
    let out = p.apply(&["--latest"]).success();
    assert!(out.stdout.contains("pull request: opened #3"), "{out}");
    assert!(!out.stdout.contains("held"), "{out}");
    assert!(!p.pulls()[2].body.contains("After a rejection"));
    assert!(p.issues("mono").is_empty(), "no rejection to report");
}

#[test]
fn a_paused_target_waits_until_reproposed_or_reopened() {
    let mut cfg = config(mapped(), "diff-apply");
    cfg["on_rejection"] = "pause".into();
    let p = Pair::new(cfg);
    p.apply(&["--latest"]).success();
    p.close_pr(1, "bob", None);
    p.upstream.write("features/x/b.txt", "b2\n");
    p.upstream.commit("upstream: b changes");
    let out = p.apply(&["--latest"]).success();
    assert!(
        out.stdout
            .contains("paused: #1 was closed without merging by bob"),
        "{out}"
    );
    assert!(out.stdout.contains("--repropose acme/cousin"), "{out}");
    assert_eq!(p.pulls().len(), 1);
    let issue = &p.issues("mono")[0];
    assert!(
        issue.labels.iter().any(|l| l == "ecosync-paused"),
        "{issue:?}"
    );
    assert_eq!(
        record(&p).states,
        [StandingState::Rejected, StandingState::Paused]
    );
    // The flag names this repository, nothing else.
    p.apply(&["--latest", "--repropose", "acme/other"])
        .expect_code(2)
        .expect_stderr("names another repository");
    // Resumed by the flag: proposed at once.
    let out = p
        .apply(&["--latest", "--repropose", "acme/cousin"])
        .success();
    assert!(out.stdout.contains("pull request: opened #2"), "{out}");
    assert!(out.stdout.contains("reproposed: #1"), "{out}");
    let issue = &p.issues("mono")[0];
    assert!(
        !issue.labels.iter().any(|l| l == "ecosync-paused"),
        "{issue:?}"
    );
    assert!(record(&p).states.is_empty());
    let out = p.apply(&["--latest"]).success();
    assert!(!out.stdout.contains("paused"), "{out}");
    // Paused again by the next rejection; resumed by reopening the pull request.
    p.close_pr(2, "bob", None);
    let out = p.apply(&["--latest"]).success();
    assert!(out.stdout.contains("paused: #2"), "{out}");
    // The same issue, brought up to date, with a comment naming the new rejection.
    let issues = p.issues("mono");
    assert_eq!(issues.len(), 1);
    assert!(
        issues[0]
            .comments
            .iter()
            .any(|c| c.body.contains("closed [#2]") && c.body.contains("`bob`")),
        "{:?}",
        issues[0].comments
    );
    let numbers: Vec<u64> = record(&p).rejections.iter().map(|r| r.number).collect();
    assert_eq!(numbers, [1, 2]);
    p.reopen_pr(2);
    let out = p.apply(&["--latest"]).success();
    assert!(out.stdout.contains("pull request: updated #2"), "{out}");
    assert!(!out.stdout.contains("paused"), "{out}");
}

#[test]
fn a_revert_on_the_base_branch_is_reported_once_and_named_when_changed_again() {
    let p = synced_to_first(config(mapped(), "diff-apply"));
    p.upstream
        .write("features/x/a.txt", "A1\na2\na3\na4\na5\na6\na7\na8\n");
    p.upstream.commit("upstream: a changes");
    p.apply(&["--latest"]).success();
    p.merge_pr(BRANCH, "squash");
    // Someone undoes the synced change by hand.
    p.cousin
        .write("app/a.txt", "a1\na2\na3\na4\na5\na6\na7\na8\n");
    p.cousin.commit("put a back");
    let out = p.apply(&["--latest"]).success();
    assert!(out.stdout.contains("already synced"), "{out}");
    assert!(out.stdout.contains("reverted: the last sync"), "{out}");
    assert!(out.stdout.contains("app/a.txt"), "{out}");
    assert!(out.stdout.contains("recorded: opened issue #1"), "{out}");
    let issue = &p.issues("mono")[0];
    assert!(
        issue.labels.iter().any(|l| l == "ecosync-reverted"),
        "{issue:?}"
    );
    assert!(issue.body.contains("app/a.txt"), "{}", issue.body);
    let standing = record(&p);
    assert_eq!(standing.states, [StandingState::Reverted]);
    assert_eq!(standing.reverted_paths(), ["app/a.txt"]);
    // Reported once.
    let out = p.apply(&["--latest"]).success();
    assert!(out.stdout.contains("reverted:"), "{out}");
    assert!(!out.stdout.contains("recorded:"), "{out}");
    assert!(p.issues("mono")[0].comments.is_empty());
    // A later upstream change to the same file: applied, and the pull request says it changes a
    // reverted path again.
    p.upstream
        .write("features/x/a.txt", "A1\na2\na3\na4\na5\na6\na7\nA8\n");
    p.upstream.commit("upstream: a again");
    let out = p.apply(&["--latest"]).success();
    assert!(out.stdout.contains("changes reverted paths again"), "{out}");
    let pr = p.pulls().pop().unwrap();
    assert!(
        pr.body
            .contains("**Changes reverted paths again:** `app/a.txt`"),
        "{}",
        pr.body
    );
    assert_eq!(
        p.remote_files(BRANCH)["app/a.txt"].1,
        b"a1\na2\na3\na4\na5\na6\na7\nA8\n",
        "the revert is kept: only the new change is applied"
    );
    // Merged: the record is moot, the issue closes itself.
    p.merge_pr(BRANCH, "squash");
    let out = p.apply(&["--latest"]).success();
    assert!(out.stdout.contains("recorded: closed issue #1"), "{out}");
    assert_eq!(p.issues("mono")[0].state, "closed");
}

#[test]
fn squash_says_so_when_it_brings_a_reverted_change_back() {
    let p = synced_to_first(config(mapped(), "squash"));
    p.upstream
        .write("features/x/a.txt", "A1\na2\na3\na4\na5\na6\na7\na8\n");
    p.upstream.commit("upstream: a changes");
    p.apply(&["--latest"]).success();
    p.merge_pr(BRANCH, "squash");
    p.cousin
        .write("app/a.txt", "a1\na2\na3\na4\na5\na6\na7\na8\n");
    p.cousin.commit("put a back");
    // An upstream change elsewhere: squash mirrors the whole directory, so a.txt comes back too.
    p.upstream.write("features/x/b.txt", "b2\n");
    p.upstream.commit("upstream: b changes");
    let out = p.apply(&["--latest"]).success();
    let pr = p.pulls().pop().unwrap();
    assert!(
        pr.body
            .contains("**Brings back reverted changes:** `app/a.txt`"),
        "{}\n{out}",
        pr.body
    );
    assert!(
        pr.body.contains("`squash` mirrors upstream exactly"),
        "{}",
        pr.body
    );
}

#[test]
fn a_dry_run_says_held_and_records_nothing() {
    let (p, _) = proposed(config(mapped(), "diff-apply"));
    p.close_pr(2, "alice", None);
    let out = p.apply(&["--latest", "--dry-run"]).success();
    assert!(out.stdout.contains("held: #2"), "{out}");
    assert!(
        out.stdout
            .contains("would record the rejections and reversals in an issue in `acme/mono`"),
        "{out}"
    );
    assert!(out.stdout.contains("dry run: nothing was written"), "{out}");
    assert!(p.issues("mono").is_empty());
}

#[test]
fn a_dispatch_can_never_make_ecosync_open_an_issue() {
    let (p, u2) = proposed(config(mapped(), "diff-apply"));
    p.close_pr(2, "alice", None);
    // A refused event does nothing at all.
    let (_dir, event) = event_file(payload("evil/other", u2, &["features/x"]));
    p.apply(&["--event", event.to_str().unwrap()])
        .expect_code(3);
    assert!(p.issues("mono").is_empty());
    // An accepted one reports what the target did, and nothing of the payload's own words.
    let (_dir, event) = event_file(payload(
        "acme/mono",
        u2,
        &["features/x", "@everyone <img src=x>"],
    ));
    let out = p.apply(&["--event", event.to_str().unwrap()]).success();
    assert!(out.stdout.contains("held: #2"), "{out}");
    let body = &p.issues("mono")[0].body;
    assert!(
        !body.contains("everyone") && !body.contains("img"),
        "{body}"
    );
    assert!(
        !body.contains("run-42"),
        "the dispatch id stays out: {body}"
    );
}

#[test]
fn a_watcher_refuses_repropose_which_is_for_one_run() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    let state = tempfile::tempdir().unwrap();
    crate::support::Cmd::subscriber()
        .args(["watch", "--repropose", "acme/cousin", "--repo"])
        .arg(p.cousin.path())
        .arg("--state-dir")
        .arg(state.path())
        .run()
        .expect_code(2)
        .expect_stderr("`--repropose` is for one run");
}
