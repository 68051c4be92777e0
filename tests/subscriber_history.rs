//! Right on every history: every cherry-picked commit arrives, a first sync works with every strategy, the
//! last sync is found whichever way a sync pull request was merged, and nothing the base already has is
//! proposed again.

use git2::Oid;
use serde_json::json;

use crate::support::subscriber_fixture::{
    Pair, config, event_file, mapped, payload, synced_to_first,
};

const BRANCH: &str = "ecosync/acme-mono";

/// The commits of the forge cousin's `branch` that `main` lacks, oldest first: (author, message).
fn branch_commits(p: &Pair, branch: &str) -> Vec<(String, String)> {
    let bare = git2::Repository::open_bare(p.forge_repo("cousin")).unwrap();
    let mut walk = bare.revwalk().unwrap();
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)
        .unwrap();
    walk.push(p.remote_branch(branch).unwrap()).unwrap();
    walk.hide(p.remote_branch("main").unwrap()).unwrap();
    walk.map(|id| {
        let c = bare.find_commit(id.unwrap()).unwrap();
        (
            c.author().name().unwrap().to_owned(),
            c.message().unwrap().to_owned(),
        )
    })
    .collect()
}

/// A cousin synced to upstream's first commit, `features/x` kept at `app`, with `strategy`.
fn synced(strategy: &str) -> Pair {
    synced_to_first(config(mapped(), strategy))
}

#[test]
fn cherry_pick_carries_every_commit_in_order() {
    let p = synced("cherry-pick");
    p.upstream
        .write("features/x/a.txt", "A1\na2\na3\na4\na5\na6\na7\na8\n");
    let c1 = p
        .upstream
        .commit_by("upstream: one", "Ada", "ada@example.com");
    p.upstream.write("other/o.txt", "o2\n");
    let skipped = p.upstream.commit("upstream: elsewhere");
    p.upstream.write("features/x/b.txt", "b2\n");
    let c2 = p
        .upstream
        .commit_by("upstream: two", "Bea", "bea@example.com");
    p.upstream.write("features/x/c.txt", "c\n");
    let c3 = p
        .upstream
        .commit_by("upstream: three", "Cy", "cy@example.com");
    p.push_upstream();
    // The push's event names only its head, as a dispatch does.
    let (_dir, event) = event_file(payload("acme/mono", c3, &["features/x"]));
    let out = p.apply(&["--event", event.to_str().unwrap()]).success();
    assert!(
        out.stdout
            .contains("picked: 3 upstream commits (skipped 1 touching no subscribed path)"),
        "{out}"
    );
    let commits = branch_commits(&p, BRANCH);
    let got: Vec<(&str, &str, Oid)> = commits
        .iter()
        .map(|(a, m)| {
            let sha = m
                .lines()
                .find_map(|l| l.strip_prefix("Ecosync-Upstream: acme/mono@"))
                .expect("a trailer");
            (
                a.as_str(),
                m.lines().next().unwrap(),
                Oid::from_str(sha).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("Ada", "upstream: one", c1),
            ("Bea", "upstream: two", c2),
            ("Cy", "upstream: three", c3)
        ],
        "{out}"
    );
    assert!(!out.stdout.contains(&skipped.to_string()), "{out}");
    let files = p.remote_files(BRANCH);
    assert_eq!(files["app/a.txt"].1, b"A1\na2\na3\na4\na5\na6\na7\na8\n");
    assert_eq!(files["app/c.txt"].1, b"c\n");
    // `--latest` finds the branch already carrying all three, and nothing is lost or doubled.
    let head = p.remote_branch(BRANCH);
    p.apply(&["--latest"])
        .success()
        .expect_stdout("already carries this sync");
    assert_eq!(p.remote_branch(BRANCH), head);
    assert_eq!(p.pulls().len(), 1);
    let body = &p.pulls()[0].body;
    for c in [c1, c2, c3] {
        assert!(
            body.contains(&c.to_string()[..12]),
            "every commit listed\n{body}"
        );
    }
}

#[test]
fn cherry_pick_first_sync_brings_the_mapped_directories_then_picks() {
    let p = Pair::new(config(mapped(), "cherry-pick"));
    let out = p.apply(&["--latest"]).success();
    assert!(out.stdout.contains("first sync"), "{out}");
    assert!(!out.stdout.contains("conflict"), "{out}");
    let files = p.remote_files(BRANCH);
    assert_eq!(files["app/a.txt"].1, b"a1\na2\na3\na4\na5\na6\na7\na8\n");
    assert_eq!(files["app/b.txt"].1, b"b1\n");
    assert!(p.pulls()[0].body.contains("First sync"));
    p.merge_pr(BRANCH, "merge");
    // Later syncs pick commits, with upstream's author.
    p.upstream.write("features/x/b.txt", "b2\n");
    let c = p
        .upstream
        .commit_by("upstream: b2", "Ada", "ada@example.com");
    let out = p.apply(&["--sha", &c.to_string()]).success();
    assert!(out.stdout.contains("picked: 1 upstream commit"), "{out}");
    let commits = branch_commits(&p, BRANCH);
    assert_eq!(commits.len(), 1, "{out}");
    assert_eq!(commits[0].0, "Ada");
    assert!(commits[0].1.starts_with("upstream: b2"));
}

#[test]
fn the_last_sync_is_found_whichever_way_the_pull_request_was_merged() {
    for how in ["merge", "rebase", "squash-commits", "squash-title"] {
        let p = synced("diff-apply");
        p.upstream.write("features/x/b.txt", "b2\n");
        let u2 = p.upstream.commit("upstream: b2");
        p.apply(&["--latest"]).success();
        p.merge_pr(BRANCH, how);
        // The cousin deletes a file of its copy; upstream changes another one.
        p.cousin.remove("app/b.txt");
        p.cousin.commit("cousin: no b");
        p.upstream
            .write("features/x/a.txt", "a1\na2\na3\na4\na5\na6\na7\nnew\n");
        p.upstream.commit("upstream: last line");
        let out = p.apply(&["--latest"]).success();
        assert!(
            out.stdout.contains(&format!("last synced: {u2}")),
            "{how}: starts from the merged sync\n{out}"
        );
        assert!(!out.stdout.contains("conflict"), "{how}\n{out}");
        let files = p.remote_files(BRANCH);
        assert!(
            !files.contains_key("app/b.txt"),
            "{how}: the deleted file stays deleted"
        );
        assert_eq!(
            files["app/a.txt"].1, b"a1\na2\na3\na4\na5\na6\na7\nnew\n",
            "{how}"
        );
    }
}

#[test]
fn picks_merged_by_rebase_are_not_proposed_again() {
    let p = synced("cherry-pick");
    p.upstream.write("features/x/b.txt", "b2\n");
    p.upstream.commit("upstream: b2");
    p.upstream.write("features/x/c.txt", "c\n");
    p.upstream.commit("upstream: c");
    p.apply(&["--latest"]).success();
    assert_eq!(branch_commits(&p, BRANCH).len(), 2);
    // Rebase-merged, the head branch kept.
    p.merge_pr(BRANCH, "rebase");
    assert!(p.remote_branch(BRANCH).is_some());
    p.upstream.write("features/x/d.txt", "d\n");
    let u4 = p.upstream.commit("upstream: d");
    let out = p.apply(&["--sha", &u4.to_string()]).success();
    let commits = branch_commits(&p, BRANCH);
    assert_eq!(commits.len(), 1, "only the new commit\n{out}");
    assert!(commits[0].1.starts_with("upstream: d"), "{out}");
    let open: Vec<_> = p
        .pulls()
        .into_iter()
        .filter(|r| r.state == "open")
        .collect();
    assert_eq!(open.len(), 1, "{out}");
}

/// Rewrites the cousin's configuration with `subscriptions` and commits it.
fn subscribe(p: &Pair, subscriptions: serde_json::Value) {
    let path = p.cousin.path().join(".github/ecosync.json");
    let mut cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    cfg["subscriptions"] = subscriptions;
    p.cousin.write(
        ".github/ecosync.json",
        serde_json::to_string_pretty(&cfg).unwrap(),
    );
    p.cousin.commit("cousin: change subscriptions");
}

#[test]
fn an_added_subscription_is_backfilled_and_a_removed_one_left_alone() {
    for strategy in ["diff-apply", "cherry-pick", "squash"] {
        let p = synced(strategy);
        subscribe(
            &p,
            json!([{"path": "features/x", "to": "app"}, {"path": "other", "to": "vendor/other"}]),
        );
        // Upstream has not moved: the new directory still arrives.
        let out = p.apply(&["--latest"]).success();
        assert!(
            out.stdout.contains("backfill: `other` -> `vendor/other`"),
            "{strategy}\n{out}"
        );
        assert!(!out.stdout.contains("conflict"), "{strategy}\n{out}");
        assert_eq!(
            p.remote_files(BRANCH)["vendor/other/o.txt"].1,
            b"o\n",
            "{strategy}"
        );
        assert!(
            p.pulls()[0]
                .body
                .contains("**Backfill:** `other` -> `vendor/other`")
        );
        p.merge_pr(BRANCH, "merge");
        // Narrowed: `features/x` is no longer subscribed; upstream changes both.
        subscribe(&p, json!([{"path": "other", "to": "vendor/other"}]));
        p.upstream.write("features/x/a.txt", "changed\n");
        p.upstream.write("other/o.txt", "o2\n");
        p.upstream.commit("upstream: both");
        let out = p.apply(&["--latest"]).success();
        assert!(
            out.stdout.contains(
                "no longer subscribed: `features/x` -> `app` (the files there are left as they are)"
            ),
            "{strategy}\n{out}"
        );
        let files = p.remote_files(BRANCH);
        assert_eq!(files["vendor/other/o.txt"].1, b"o2\n", "{strategy}");
        assert_eq!(
            files["app/a.txt"].1, b"a1\na2\na3\na4\na5\na6\na7\na8\n",
            "{strategy}: left alone"
        );
    }
}
