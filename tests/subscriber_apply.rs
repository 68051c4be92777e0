//! `subscriber apply`: verification of the event and the commit, and the strategies, driven through the
//! real binary on real repositories.

use serde_json::json;

use crate::support::Cmd;
use crate::support::subscriber_fixture::{
    Pair, config, event_file, mapped, payload, recent, snapshot, tree_files,
};

#[test]
fn dry_run_first_sync_writes_nothing() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    p.push_cousin();
    let before = (snapshot(p.cousin.path()), snapshot(p.forge.path()));
    let out = p.apply(&["--latest", "--dry-run"]).success();
    for needle in [
        "first sync",
        "app/a.txt",
        "+a1",
        "2 files changed, 9 insertions(+), 0 deletions(-)",
        "would push: ",
        "to new branch `ecosync/acme-mono`",
        "would open pull request: \"Sync acme/mono to ",
        "dry run: nothing was written",
    ] {
        assert!(out.stdout.contains(needle), "missing {needle:?}\n{out}");
    }
    assert!(!out.stdout.contains("other/o.txt"), "{out}");
    assert_eq!(
        before,
        (snapshot(p.cousin.path()), snapshot(p.forge.path())),
        "the dry run wrote something"
    );
}

#[test]
fn wrong_source_repo_is_rejected() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    let (_d, ev) = event_file(payload("evil/mono", p.upstream.head(), &["features/x"]));
    p.apply(&["--dry-run", "--event", ev.to_str().unwrap()])
        .expect_code(3)
        .expect_stderr("comes from `evil/mono`");
}

#[test]
fn unsubscribed_event_does_nothing() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    let (_d, ev) = event_file(payload("acme/mono", p.upstream.head(), &["other"]));
    let before = snapshot(p.cousin.path());
    p.apply(&["--event", ev.to_str().unwrap()])
        .success()
        .expect_stdout("not subscribed")
        .expect_stdout("`other`");
    assert_eq!(before, snapshot(p.cousin.path()));
}

#[test]
fn minimal_payload_is_accepted_and_dispatch_id_printed() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    let (_d, ev) = event_file(json!({
        "updated_feature": "features/x",
        "commit_sha": p.upstream.head().to_string(),
    }));
    p.apply(&["--dry-run", "--event", ev.to_str().unwrap()])
        .success()
        .expect_stdout("app/b.txt");
    let (_d2, ev2) = event_file(payload("acme/mono", p.upstream.head(), &["features/x/**"]));
    p.apply(&["--dry-run", "--event", ev2.to_str().unwrap()])
        .success()
        .expect_stdout("dispatch: run-42");
}

#[test]
fn bad_payloads_are_rejected() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    let (_d, ev) = event_file(json!({"updated_feature": "features/x", "commit_sha": "abc"}));
    p.apply(&["--dry-run", "--event", ev.to_str().unwrap()])
        .expect_code(3)
        .expect_stderr("not 40 hexadecimal");
    let (_d2, ev2) = event_file(json!({
        "updated_feature": "features/x",
        "commit_sha": p.upstream.head().to_string(),
        "url": "https://evil.example/x.git",
    }));
    p.apply(&["--dry-run", "--event", ev2.to_str().unwrap()])
        .expect_code(3)
        .expect_stderr("unknown field `url`");
}

#[test]
fn unknown_unreachable_and_old_commits_are_rejected() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    p.apply(&["--dry-run", "--sha", &"1".repeat(40)])
        .expect_code(3)
        .expect_stderr("does not exist");
    // A commit on another upstream branch exists after the fetch only if it is on `main`: push a side
    // branch commit into the cousin's own object store to prove existence alone is not enough.
    let side = p.upstream.head();
    p.upstream.branch("side", side);
    p.upstream.checkout("side");
    p.upstream.write("features/x/side.txt", "side\n");
    let side_commit = p.upstream.commit("side work");
    p.upstream.checkout("main");
    {
        let mut remote = p
            .cousin
            .git
            .remote_anonymous(p.upstream.path().to_str().unwrap())
            .unwrap();
        remote
            .fetch(&["+refs/heads/side:refs/remotes/up/side"], None, None)
            .unwrap();
    }
    p.apply(&["--dry-run", "--sha", &side_commit.to_string()])
        .expect_code(3)
        .expect_stderr("not reachable from upstream branch `main`");
    // Too old: committed 60 days ago.
    p.upstream.set_time(recent() - 60 * 86_400);
    p.upstream.write("features/x/old.txt", "old\n");
    let old = p.upstream.commit("old");
    p.upstream.set_time(recent());
    p.apply(&["--dry-run", "--sha", &old.to_string()])
        .expect_code(3)
        .expect_stderr("more than `max_age` (30d)");
}

#[test]
fn already_synced_commit_does_nothing() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    let up = p.upstream.head();
    p.cousin.write("app/a.txt", "whatever\n");
    p.cousin.commit(&format!(
        "manual sync\n\nEcosync-Upstream: acme/mono@{up}\n"
    ));
    p.apply(&["--dry-run", "--sha", &up.to_string()])
        .success()
        .expect_stdout("already synced");
}

#[test]
fn diff_apply_keeps_cousin_edits_and_squash_overwrites_them() {
    for (strategy, keeps) in [("diff-apply", true), ("squash", false)] {
        let p = Pair::new(config(mapped(), strategy));
        let u1 = p.upstream.head();
        // The cousin was synced to u1 and then edited its own copy (first line of a.txt).
        p.cousin
            .write("app/a.txt", "mine\na2\na3\na4\na5\na6\na7\na8\n")
            .write("app/b.txt", "b1\n");
        p.cousin
            .commit(&format!("sync\n\nEcosync-Upstream: acme/mono@{u1}\n"));
        p.upstream
            .write("features/x/a.txt", "a1\na2\na3\na4\na5\na6\na7\nupstream\n");
        p.upstream.commit("upstream: last line");
        let out = p.apply(&["--latest", "--dry-run"]).success();
        assert!(out.stdout.contains("+upstream"), "{strategy}\n{out}");
        assert_eq!(!out.stdout.contains("-mine"), keeps, "{strategy}\n{out}");
    }
}

/// Issue 14: a real run reads a local upstream in place and copies into the cousin's repository only the
/// objects its sync commits take, so the repository is whole without upstream (nothing refers to an object
/// it lacks) and holds none of upstream's history or its unsubscribed files.
#[test]
fn issue_14_a_real_run_takes_only_the_synced_objects_from_a_local_upstream() {
    for strategy in ["diff-apply", "cherry-pick", "squash"] {
        let p = Pair::new(config(mapped(), strategy));
        p.apply(&["--latest"]).success();
        let first = p.pulls().last().expect("a pull request").head.clone();
        p.merge_pr(&first, "merge");
        // A second sync since the first (a cherry-pick picks the new commit).
        p.upstream.write("features/x/b.txt", "b1\nb2\n");
        p.upstream.commit("upstream: b2");
        p.apply(&["--latest"]).success();
        let pr = p.pulls().last().expect("a pull request").head.clone();
        let head = p.remote_branch(&pr).expect("the pull request's branch");
        let git = &p.cousin.git;
        assert!(
            git.find_reference("refs/ecosync/upstream/main").is_err(),
            "{strategy}: the cousin refers to upstream's branch"
        );
        assert!(
            git.find_commit(p.upstream.head()).is_err(),
            "{strategy}: upstream's history was fetched"
        );
        let other = git2::Oid::hash_object(git2::ObjectType::Blob, b"o\n").unwrap();
        assert!(
            !git.odb().unwrap().exists(other),
            "{strategy}: an unsubscribed upstream file was copied"
        );
        // Every object the sync commit reaches is in the cousin's own store (and was pushed): git, which
        // knows nothing of the run's alternate, finds nothing missing.
        git.reference("refs/test/sync", head, true, "test").unwrap();
        for dir in [p.cousin.path().to_path_buf(), p.forge_repo("cousin")] {
            Cmd::new("git")
                .args(["fsck", "--connectivity-only", "--no-dangling"])
                .dir(&dir)
                .run()
                .success();
            let listed = Cmd::new("git")
                .args(["rev-list", "--objects", "--missing=print"])
                .arg(head.to_string())
                .dir(&dir)
                .run()
                .success();
            assert!(
                !listed.stdout.lines().any(|l| l.starts_with('?')),
                "{strategy}: objects missing in {}\n{listed}",
                dir.display()
            );
        }
        assert_eq!(
            tree_files(git, head)["app/b.txt"].1,
            b"b1\nb2\n",
            "{strategy}"
        );
    }
}
