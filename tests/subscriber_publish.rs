//! `subscriber apply` publishing through the local forge: one branch and one pull request per upstream,
//! idempotent re-runs, completion after a crash, merged sync PRs followed by the next sync, and someone's
//! commits on the sync branch.

use crate::support::subscriber_fixture::{Pair, config, event_file, mapped, payload};

const BRANCH: &str = "ecosync/acme-mono";

/// A reviewer's commit on the forge's sync branch that writes `content` to `path`.
fn reviewer_commit(p: &Pair, path: &str, content: &[u8], message: &str) -> git2::Oid {
    let bare = git2::Repository::open_bare(p.forge_repo("cousin")).unwrap();
    let head = bare.find_commit(p.remote_branch(BRANCH).unwrap()).unwrap();
    let mut tb = git2::build::TreeUpdateBuilder::new();
    let blob = bare.blob(content).unwrap();
    tb.upsert(path, blob, git2::FileMode::Blob);
    let tree = bare
        .find_tree(tb.create_updated(&bare, &head.tree().unwrap()).unwrap())
        .unwrap();
    let sig = git2::Signature::now("Reviewer", "r@example.com").unwrap();
    bare.commit(
        Some(&format!("refs/heads/{BRANCH}")),
        &sig,
        &sig,
        message,
        &tree,
        &[&head],
    )
    .unwrap()
}

#[test]
fn first_sync_pushes_one_branch_and_opens_one_pull_request() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    let up = p.upstream.head();
    let out = p.apply(&["--latest"]).success();
    assert!(out.stdout.contains("pull request: opened #1"), "{out}");
    let files = p.remote_files(BRANCH);
    assert_eq!(files["app/a.txt"].1, b"a1\na2\na3\na4\na5\na6\na7\na8\n");
    assert!(files.contains_key(".github/ecosync.json"));
    assert!(!files.keys().any(|k| k.starts_with("other/")));
    let msg = p.remote_commit_message(BRANCH);
    assert!(
        msg.contains(&format!("Ecosync-Upstream: acme/mono@{up}")),
        "{msg}"
    );
    let pulls = p.pulls();
    assert_eq!(pulls.len(), 1);
    let pr = &pulls[0];
    assert_eq!((pr.head.as_str(), pr.base.as_str()), (BRANCH, "main"));
    assert_eq!(pr.labels, ["automated", "upstream-sync"]);
    assert!(pr.title.starts_with("Sync acme/mono to "), "{}", pr.title);
    assert!(pr.body.contains("First sync"), "{}", pr.body);
    assert!(
        pr.body
            .contains(&format!("Ecosync-Upstream: acme/mono@{up}"))
    );
    assert!(pr.body.contains("app/a.txt"));
}

#[test]
fn same_event_twice_makes_one_commit_one_branch_one_pr() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    let (_d, ev) = event_file(payload("acme/mono", p.upstream.head(), &["features/x"]));
    let ev = ev.to_str().unwrap();
    p.apply(&["--event", ev]).success();
    let head = p.remote_branch(BRANCH).unwrap();
    let out = p.apply(&["--event", ev]).success();
    assert!(out.stdout.contains("already carries this sync"), "{out}");
    assert!(out.stdout.contains("pull request: updated #1"), "{out}");
    assert_eq!(p.remote_branch(BRANCH), Some(head));
    assert_eq!(p.pulls().len(), 1);
    assert!(p.pulls()[0].body.contains("Dispatch: `run-42`"));
}

#[test]
fn a_crash_after_the_push_is_completed_by_the_next_run() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    p.apply(&["--latest"]).success();
    let head = p.remote_branch(BRANCH).unwrap();
    // As if the run had died after its push: the branch is there, the pull request is not.
    let pulls_dir = p.forge.path().join("acme/cousin.forge/pulls");
    std::fs::remove_dir_all(&pulls_dir).unwrap();
    assert!(p.pulls().is_empty());
    let out = p.apply(&["--latest"]).success();
    assert!(out.stdout.contains("already carries this sync"), "{out}");
    assert_eq!(p.remote_branch(BRANCH), Some(head));
    assert_eq!(p.pulls().len(), 1);
}

#[test]
fn a_newer_update_refreshes_the_rolling_branch() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    p.apply(&["--latest"]).success();
    let first = p.remote_branch(BRANCH).unwrap();
    p.upstream.write("features/x/b.txt", "b2\n");
    let up2 = p.upstream.commit("upstream: b2");
    let out = p.apply(&["--latest"]).success();
    assert!(out.stdout.contains("replacing ecosync's earlier"), "{out}");
    assert!(out.stdout.contains("pull request: updated #1"), "{out}");
    assert_ne!(p.remote_branch(BRANCH), Some(first));
    assert_eq!(p.remote_files(BRANCH)["app/b.txt"].1, b"b2\n");
    assert_eq!(p.pulls().len(), 1);
    assert!(p.pulls()[0].body.contains(&up2.to_string()));
}

#[test]
fn merged_sync_prs_then_next_sync() {
    for how in ["merge", "squash", "rebase"] {
        let p = Pair::new(config(mapped(), "diff-apply"));
        let u1 = p.upstream.head();
        p.apply(&["--latest"]).success();
        p.merge_pr(BRANCH, how);
        // The same commit again: already synced, whichever way the PR was merged.
        p.apply(&["--sha", &u1.to_string()])
            .success()
            .expect_stdout("already synced");
        // The cousin edits its copy, upstream moves on: diff-apply starts from u1 and keeps the edit.
        p.cousin
            .write("app/a.txt", "mine\na2\na3\na4\na5\na6\na7\na8\n");
        p.cousin.commit("cousin: own edit");
        p.upstream
            .write("features/x/a.txt", "a1\na2\na3\na4\na5\na6\na7\nnew\n");
        p.upstream.commit("upstream: last line");
        let out = p.apply(&["--latest"]).success();
        assert!(
            out.stdout.contains(&format!("last synced: {u1}")),
            "{how}\n{out}"
        );
        assert_eq!(
            p.remote_files(BRANCH)["app/a.txt"].1,
            b"mine\na2\na3\na4\na5\na6\na7\nnew\n",
            "{how}"
        );
    }
}

#[test]
fn someones_commits_on_the_branch_are_never_force_pushed() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    p.apply(&["--latest"]).success();
    // A reviewer adds a fix to the sync branch.
    let fix = reviewer_commit(&p, "app/FIX.md", b"reviewer fix\n", "reviewer fix");
    let bare = git2::Repository::open_bare(p.forge_repo("cousin")).unwrap();
    p.upstream.write("features/x/b.txt", "b2\n");
    p.upstream.commit("upstream: b2");
    let out = p.apply(&["--latest"]).success();
    assert!(out.stdout.contains("it was not force-pushed"), "{out}");
    let new_head = p.remote_branch(BRANCH).unwrap();
    let new_commit = bare.find_commit(new_head).unwrap();
    assert_eq!(new_commit.parent_id(0).unwrap(), fix);
    let files = p.remote_files(BRANCH);
    assert_eq!(files["app/FIX.md"].1, b"reviewer fix\n");
    assert_eq!(files["app/b.txt"].1, b"b2\n");
}

#[test]
fn a_sync_pr_with_nothing_left_to_bring_is_closed() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    let u1 = p.upstream.head();
    p.apply(&["--latest"]).success();
    // Merged by hand, outside the forge: the pull request stays open.
    p.merge_by_hand(BRANCH, "merge");
    assert_eq!(p.pulls()[0].state, "open");
    let out = p.apply(&["--sha", &u1.to_string(), "--dry-run"]).success();
    assert!(out.stdout.contains("would close pull request #1"), "{out}");
    assert_eq!(p.pulls()[0].state, "open", "the dry run changed nothing");
    let out = p.apply(&["--sha", &u1.to_string()]).success();
    assert!(out.stdout.contains("already synced"), "{out}");
    assert!(out.stdout.contains("closed pull request #1"), "{out}");
    let pr = &p.pulls()[0];
    assert_eq!(pr.state, "closed");
    assert!(
        pr.comments[0].body.contains("nothing") || pr.comments[0].body.contains("already contains")
    );
}

#[test]
fn an_open_sync_pr_superseded_by_a_revert_is_closed() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    let u1 = p.upstream.head();
    p.cousin
        .write("app/a.txt", "a1\na2\na3\na4\na5\na6\na7\na8\n");
    p.cousin.write("app/b.txt", "b1\n");
    p.cousin
        .commit(&format!("sync\n\nEcosync-Upstream: acme/mono@{u1}\n"));
    p.upstream.write("features/x/b.txt", "changed\n");
    p.upstream.commit("upstream: change b");
    p.apply(&["--latest"]).success();
    assert_eq!(p.pulls()[0].state, "open");
    // Upstream reverts: the newest commit changes nothing here, and the open PR's change is gone upstream.
    p.upstream.write("features/x/b.txt", "b1\n");
    p.upstream.commit("upstream: revert");
    let out = p.apply(&["--latest"]).success();
    assert!(out.stdout.contains("no change"), "{out}");
    assert!(out.stdout.contains("closed pull request #1"), "{out}");
    assert_eq!(p.pulls()[0].state, "closed");
}

#[test]
fn a_conflict_with_someones_commits_leaves_the_branch_and_says_so() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    p.apply(&["--latest"]).success();
    let fix = reviewer_commit(&p, "app/b.txt", b"reviewer\n", "reviewer");
    p.upstream.write("features/x/b.txt", "upstream\n");
    p.upstream.commit("upstream: b");
    let out = p.apply(&["--latest"]).expect_code(1);
    assert!(
        out.stderr.contains("has commits not made by ecosync"),
        "{out}"
    );
    assert_eq!(
        p.remote_branch(BRANCH),
        Some(fix),
        "the branch was left as it is"
    );
    let pr = &p.pulls()[0];
    assert!(
        pr.comments.iter().any(|c| c.body.contains("could not add")),
        "{pr:?}"
    );
    assert_eq!(p.issues("mono").len(), 1, "and the failure is reported");
}

#[test]
fn a_shallow_clone_is_refused_with_a_hint() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    let shallow = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("git")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(["clone", "-q", "--depth", "1"])
        .arg(format!("file://{}", p.forge_repo("cousin").display()))
        .arg(shallow.path())
        .status()
        .unwrap();
    assert!(status.success());
    crate::support::Cmd::subscriber()
        .arg("apply")
        .arg("--repo")
        .arg(shallow.path())
        .arg("--forge")
        .arg(format!("local:{}", p.forge.path().display()))
        .args(["--repo-name", "acme/cousin", "--latest"])
        .run()
        .expect_code(1)
        .expect_stderr("fetch-depth: 0");
}

/// A change of thousands of files opens its pull request: the body and the commit message stay within
/// GitHub's 65,536 characters (a longer body is refused with a 422), list the first files, say how many
/// more there are, and link the whole change.
#[test]
fn a_change_of_thousands_of_files_stays_within_githubs_limits() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    for i in 0..2_500 {
        p.upstream.write(
            &format!("features/x/generated/module-{i:05}/implementation-file.txt"),
            format!("{i}\n"),
        );
    }
    p.upstream.commit("upstream: generate 2,500 files");
    p.push_upstream();
    let out = p.apply(&["--latest"]).success();
    assert!(out.stdout.contains("pull request: opened #1"), "{out}");
    let pulls = p.pulls();
    let body = &pulls[0].body;
    assert!(
        body.chars().count() <= 65_536,
        "{} characters",
        body.chars().count()
    );
    assert!(body.contains("more files"), "{body}");
    assert!(body.contains("/acme/mono/commit/"), "{body}");
    assert!(
        body.contains("Ecosync-Upstream: acme/mono@"),
        "the trailer survives"
    );
    let message = p.remote_commit_message(BRANCH);
    assert!(message.chars().count() <= 65_536);
    // The 2,500 files, `app/a.txt` and `app/b.txt`, and the cousin's own `README.md` and config.
    assert_eq!(
        p.remote_files(BRANCH).len(),
        2_500 + 4,
        "every file is on the branch"
    );
}

/// The failure issue closes itself, with a comment linking the pull request, once a later run succeeds.
#[test]
fn the_failure_issue_closes_itself_when_a_later_run_succeeds() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    let nowhere = p.forge.path().join("acme/nowhere.git");
    p.apply(&["--latest", "--cousin-url", nowhere.to_str().unwrap()])
        .expect_code(1);
    let issues = p.issues("mono");
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].state, "open");
    let out = p.apply(&["--latest"]).success();
    assert!(
        out.stdout
            .contains("resolved: closed issue #1 in `acme/mono`"),
        "{out}"
    );
    let issues = p.issues("mono");
    assert_eq!(issues[0].state, "closed", "{out}");
    let pr = &p.pulls()[0];
    let last = &issues[0].comments.last().expect("a closing comment").body;
    assert!(last.contains(&pr.html_url), "{last}");
    // Another success finds no open issue and closes nothing.
    let out = p.apply(&["--latest"]).success();
    assert!(!out.stdout.contains("resolved:"), "{out}");
}
