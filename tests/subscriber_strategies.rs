//! The four strategies through the real `subscriber`, with mappings into a subdirectory and into the root,
//! on renames, deletions, binary files, symlinks and executable bits; the git CLI is the oracle where git
//! can answer (an unmapped cherry-pick, a fork merge).

use serde_json::json;

use crate::support::git_cli::git;
use crate::support::subscriber_fixture::{Pair, config, mapped, tree_files};

const BRANCH: &str = "ecosync/acme-mono";

/// An upstream commit that renames, deletes, adds a binary file, a symlink and an executable, and edits.
fn rich_upstream_change(p: &Pair) -> git2::Oid {
    let u = &p.upstream;
    u.write("features/x/a.txt", "a1\na2\na3\na4\na5\na6\na7\nA8\n");
    u.rename("features/x/b.txt", "features/x/renamed.txt");
    u.write("features/x/blob.bin", [0u8, 159, 146, 150, 0, 1, 2]);
    u.symlink("features/x/link", "a.txt");
    u.write("features/x/run.sh", "#!/bin/sh\necho hi\n");
    u.set_exec("features/x/run.sh", true);
    u.rename("other/o.txt", "features/x/moved-in.txt");
    u.commit("upstream: rich change")
}

#[test]
fn diff_apply_into_a_subdirectory_keeps_kinds_and_modes() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    p.apply(&["--latest"]).success();
    p.merge_pr(BRANCH, "merge");
    rich_upstream_change(&p);
    p.apply(&["--latest"]).success();
    let files = p.remote_files(BRANCH);
    assert_eq!(files["app/a.txt"].1, b"a1\na2\na3\na4\na5\na6\na7\nA8\n");
    assert!(!files.contains_key("app/b.txt"), "deleted by the rename");
    assert_eq!(files["app/renamed.txt"].1, b"b1\n");
    assert_eq!(files["app/blob.bin"].1, [0u8, 159, 146, 150, 0, 1, 2]);
    assert_eq!(
        files["app/link"],
        (0o120000, b"a.txt".to_vec()),
        "a symlink"
    );
    assert_eq!(files["app/run.sh"].0, 0o100755, "executable");
    assert_eq!(
        files["app/moved-in.txt"].1, b"o\n",
        "renamed into the mapped dir"
    );
    assert!(!files.keys().any(|k| k.starts_with("other")));
    // And out of it again: upstream moves a file out of the mapped directory; the cousin loses it.
    p.merge_pr(BRANCH, "squash");
    p.upstream.rename("features/x/renamed.txt", "other/b.txt");
    p.upstream.set_exec("features/x/run.sh", false);
    p.upstream.commit("upstream: move out, drop exec");
    p.apply(&["--latest"]).success();
    let files = p.remote_files(BRANCH);
    assert!(!files.contains_key("app/renamed.txt"));
    assert_eq!(files["app/run.sh"].0, 0o100644);
}

#[test]
fn squash_into_the_root_mirrors_exactly_but_keeps_github_dir() {
    let p = Pair::new(config(json!([{"path": "features/x", "to": ""}]), "squash"));
    p.cousin.write("a.txt", "cousin's own version\n");
    p.cousin
        .write(".github/workflows/sync.yml", "on: repository_dispatch\n");
    p.cousin.commit("cousin: own files");
    rich_upstream_change(&p);
    p.apply(&["--latest"]).success();
    let files = p.remote_files(BRANCH);
    assert_eq!(
        files["a.txt"].1, b"a1\na2\na3\na4\na5\na6\na7\nA8\n",
        "overwritten"
    );
    assert!(
        !files.contains_key("README.md"),
        "the root is upstream's directory"
    );
    assert!(files.contains_key(".github/ecosync.json"));
    assert!(files.contains_key(".github/workflows/sync.yml"));
    assert_eq!(files["link"].0, 0o120000);
    assert_eq!(files["run.sh"].0, 0o100755);
}

#[test]
fn cherry_pick_matches_git_cli_and_keeps_author_and_message() {
    let p = Pair::new(config(json!(["features/x", "other"]), "cherry-pick"));
    // The cousin holds upstream's directories as of the first commit, plus its own edit.
    let u1 = p.upstream.head();
    p.cousin
        .write("features/x/a.txt", "mine\na2\na3\na4\na5\na6\na7\na8\n")
        .write("features/x/b.txt", "b1\n")
        .write("other/o.txt", "o\n");
    p.cousin
        .commit(&format!("sync\n\nEcosync-Upstream: acme/mono@{u1}\n"));
    let c2 = rich_upstream_change(&p);
    p.apply(&["--sha", &c2.to_string()]).success();
    let ours = p.remote_branch(BRANCH).unwrap();
    // The oracle: git cherry-pick of the same commit in a clone of the cousin.
    let oracle = tempfile::tempdir().unwrap();
    let cousin_url = p.forge_repo("cousin");
    git(
        oracle.path(),
        &["clone", "-q", cousin_url.to_str().unwrap(), "."],
    );
    git(
        oracle.path(),
        &["fetch", "-q", p.upstream.path().to_str().unwrap(), "main"],
    );
    git(oracle.path(), &["cherry-pick", &c2.to_string()]);
    let oracle_tree = git(oracle.path(), &["rev-parse", "HEAD^{tree}"]);
    let bare = git2::Repository::open_bare(p.forge_repo("cousin")).unwrap();
    let commit = bare.find_commit(ours).unwrap();
    assert_eq!(commit.tree_id().to_string(), oracle_tree);
    assert_eq!(
        commit.author().name().ok(),
        Some("Test"),
        "upstream's author"
    );
    let msg = commit.message().unwrap();
    assert!(msg.starts_with("upstream: rich change"), "{msg}");
    assert!(msg.contains(&format!("Ecosync-Upstream: acme/mono@{c2}")));
    assert_eq!(
        tree_files(&bare, ours)["features/x/a.txt"].1,
        b"mine\na2\na3\na4\na5\na6\na7\nA8\n"
    );
}

/// Fetches upstream's `main` into the cousin (as `refs/remotes/up/main`); its id.
fn fetch_upstream_main(p: &Pair) -> git2::Oid {
    let git = &p.cousin.git;
    let mut remote = git
        .remote_anonymous(p.upstream.path().to_str().unwrap())
        .unwrap();
    remote
        .fetch(&["+refs/heads/main:refs/remotes/up/main"], None, None)
        .unwrap();
    git.refname_to_id("refs/remotes/up/main").unwrap()
}

/// Makes the cousin a fork: upstream's history plus one commit of its own with the configuration.
fn fork(p: &Pair, own_change: bool) {
    let git = &p.cousin.git;
    let up = fetch_upstream_main(p);
    let config = std::fs::read(p.cousin.path().join(".github/ecosync.json")).unwrap();
    git.reference("refs/heads/main", up, true, "fork").unwrap();
    let mut cb = git2::build::CheckoutBuilder::new();
    cb.force().remove_untracked(true);
    git.checkout_head(Some(&mut cb)).unwrap();
    p.cousin.write(".github/ecosync.json", config);
    if own_change {
        p.cousin
            .write("features/x/a.txt", "fork\na2\na3\na4\na5\na6\na7\na8\n");
    }
    p.cousin.commit("fork: configuration");
}

#[test]
fn merge_fast_forwards_a_fork_without_own_changes() {
    let p = Pair::new(config(json!(["features/x"]), "merge"));
    fork(&p, false);
    p.upstream.write("features/x/b.txt", "b2\n");
    let tip = p.upstream.commit("upstream: b2");
    let out = p.apply(&["--latest"]).success();
    // The fork's own configuration commit is not on upstream, so a merge commit is needed here too.
    let head = p.remote_branch(BRANCH).unwrap();
    let bare = git2::Repository::open_bare(p.forge_repo("cousin")).unwrap();
    let commit = bare.find_commit(head).unwrap();
    assert_eq!(commit.parent_ids().collect::<Vec<_>>()[1], tip, "{out}");
    // A fork that only tracks upstream fast-forwards.
    let q = Pair::new(config(json!(["features/x"]), "merge"));
    let git = &q.cousin.git;
    let up = fetch_upstream_main(&q);
    git.reference("refs/heads/main", up, true, "fork").unwrap();
    q.upstream.write("features/x/b.txt", "b3\n");
    let tip = q.upstream.commit("upstream: b3");
    q.apply(&["--latest"]).success();
    assert_eq!(
        q.remote_branch(BRANCH),
        Some(tip),
        "fast-forward to upstream"
    );
}

#[test]
fn merge_of_a_fork_matches_git_cli() {
    let p = Pair::new(config(json!(["features/x"]), "merge"));
    fork(&p, true);
    p.upstream
        .write("features/x/a.txt", "a1\na2\na3\na4\na5\na6\na7\nupstream\n");
    p.upstream.rename("features/x/b.txt", "features/x/c.txt");
    let tip = p.upstream.commit("upstream: edit and rename");
    p.apply(&["--latest"]).success();
    let head = p.remote_branch(BRANCH).unwrap();
    let oracle = tempfile::tempdir().unwrap();
    git(
        oracle.path(),
        &["clone", "-q", p.forge_repo("cousin").to_str().unwrap(), "."],
    );
    git(
        oracle.path(),
        &["fetch", "-q", p.upstream.path().to_str().unwrap(), "main"],
    );
    git(
        oracle.path(),
        &["merge", "-q", "--no-edit", &tip.to_string()],
    );
    let oracle_tree = git(oracle.path(), &["rev-parse", "HEAD^{tree}"]);
    let bare = git2::Repository::open_bare(p.forge_repo("cousin")).unwrap();
    let commit = bare.find_commit(head).unwrap();
    assert_eq!(commit.tree_id().to_string(), oracle_tree);
    assert_eq!(commit.parent_count(), 2);
    // Already merged: nothing to do.
    p.merge_pr(BRANCH, "merge");
    p.apply(&["--sha", &tip.to_string()])
        .success()
        .expect_stdout("already synced");
}

#[test]
fn cherry_picks_stack_on_the_rolling_branch_until_merged() {
    let p = Pair::new(config(json!(["features/x"]), "cherry-pick"));
    let u1 = p.upstream.head();
    p.cousin
        .write("features/x/a.txt", "a1\na2\na3\na4\na5\na6\na7\na8\n")
        .write("features/x/b.txt", "b1\n");
    p.cousin
        .commit(&format!("sync\n\nEcosync-Upstream: acme/mono@{u1}\n"));
    p.upstream.write("features/x/b.txt", "b2\n");
    let u2 = p.upstream.commit("upstream: b2");
    p.upstream.write("features/x/c.txt", "c\n");
    let u3 = p.upstream.commit("upstream: c");
    p.apply(&["--sha", &u2.to_string()]).success();
    let out = p.apply(&["--sha", &u3.to_string()]).success();
    assert!(
        out.stdout.contains("stacked on the earlier unmerged syncs"),
        "{out}"
    );
    let files = p.remote_files(BRANCH);
    assert_eq!(files["features/x/b.txt"].1, b"b2\n", "u2 kept");
    assert_eq!(files["features/x/c.txt"].1, b"c\n", "u3 added");
    // The same event again changes nothing.
    let head = p.remote_branch(BRANCH);
    p.apply(&["--sha", &u3.to_string()]).success();
    assert_eq!(p.remote_branch(BRANCH), head);
    assert_eq!(p.pulls().len(), 1);
}
