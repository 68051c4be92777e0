//! Changed paths through the real `dispatcher plan`, checked against `git diff --name-only --no-renames`:
//! renames across a subscription boundary, deletions, mode, type and submodule changes, new and deleted
//! branches, force pushes, merge commits, pull requests and missing commits.

use serde_json::{Value, json};

use crate::support::Repo;
use crate::support::plan::{Config, changed, delivery, git_names, plan_cmd, plan_json, strings};

const ZERO: &str = "0000000000000000000000000000000000000000";

fn event_file(value: &Value) -> tempfile::NamedTempFile {
    let f = tempfile::Builder::new()
        .prefix("ecosync-event-")
        .suffix(".json")
        .tempfile()
        .unwrap();
    std::fs::write(f.path(), serde_json::to_vec(value).unwrap()).unwrap();
    f
}

fn everything() -> Config {
    Config::new(&json!([{"repo": "acme/all", "subscriptions": ["**"], "branches": ["**"]}]))
}

/// `dispatcher plan --format json` with [`everything`] for the event in `event` (named by `GITHUB_EVENT_NAME`
/// when `name` is given).
fn plan_for_event(repo: &Repo, event: &tempfile::NamedTempFile, name: Option<&str>) -> Value {
    let config = everything();
    let mut cmd =
        plan_cmd(repo, &config, &["--format", "json"]).env("GITHUB_EVENT_PATH", event.path());
    if let Some(name) = name {
        cmd = cmd.env("GITHUB_EVENT_NAME", name);
    }
    cmd.run().success().json()
}

#[test]
fn a_rename_across_a_subscription_boundary_reaches_both_sides() {
    let repo = Repo::new();
    repo.write("features/a/x.py", "print('x')\n".repeat(20));
    repo.write("features/a/keep.py", "k");
    repo.commit("one");
    repo.rename("features/a/x.py", "features/b/x.py");
    repo.commit("move x to b");
    let config = Config::new(&json!([
        {"repo": "acme/a", "subscriptions": ["features/a"]},
        {"repo": "acme/b", "subscriptions": ["features/b/**"]},
    ]));
    let plan = plan_json(&repo, &config, &[]);
    assert_eq!(
        strings(&plan["changed_paths"]),
        ["features/a/x.py", "features/b/x.py"]
    );
    assert_eq!(changed(&plan), git_names(repo.path(), &["HEAD~1", "HEAD"]));
    assert_eq!(
        strings(&delivery(&plan, "acme/a").unwrap()["paths"]),
        ["features/a/x.py"]
    );
    assert_eq!(
        strings(&delivery(&plan, "acme/b").unwrap()["paths"]),
        ["features/b/x.py"]
    );
}

#[test]
fn deletions_mode_type_and_submodule_changes_count() {
    let repo = Repo::new();
    repo.write("gone/a.txt", "a");
    repo.write("gone/deep/b.txt", "b");
    repo.write("tool.sh", "#!/bin/sh\n");
    repo.write("link", "plain file");
    repo.write("same.txt", "same");
    let first = repo.commit("one");
    repo.remove("gone");
    repo.set_exec("tool.sh", true);
    repo.remove("link");
    repo.symlink("link", "same.txt");
    let second = repo.commit("delete, chmod, file to symlink");

    // A submodule pointer move, made with git2's tree builder (a gitlink is a commit id in a tree).
    let git = &repo.git;
    let with_submodule = |pointer: git2::Oid, parent: git2::Oid, msg: &str| {
        let parent = git.find_commit(parent).unwrap();
        let mut tb = git.treebuilder(Some(&parent.tree().unwrap())).unwrap();
        tb.insert("vendor-lib", pointer, 0o160000).unwrap();
        let tree = git.find_tree(tb.write().unwrap()).unwrap();
        let sig =
            git2::Signature::new("T", "t@example.com", &git2::Time::new(1_800_000_000, 0)).unwrap();
        git.commit(Some("HEAD"), &sig, &sig, msg, &tree, &[&parent])
            .unwrap()
    };
    let third = with_submodule(first, second, "add submodule");
    let fourth = with_submodule(second, third, "move submodule");

    let config = everything();
    let range = |a: git2::Oid, b: git2::Oid| {
        let (a, b) = (a.to_string(), b.to_string());
        let plan = plan_json(&repo, &config, &["--base", &a, "--head", &b]);
        assert_eq!(
            changed(&plan),
            git_names(repo.path(), &[&a, &b]),
            "{a}..{b}"
        );
        strings(&plan["changed_paths"])
    };
    assert_eq!(
        range(first, second),
        ["gone/a.txt", "gone/deep/b.txt", "link", "tool.sh"]
    );
    assert_eq!(range(third, fourth), ["vendor-lib"]);
    assert_eq!(
        range(first, fourth),
        [
            "gone/a.txt",
            "gone/deep/b.txt",
            "link",
            "tool.sh",
            "vendor-lib"
        ]
    );
}

/// main: A - D (D touches main.txt after the branch point); feature: A - B - C.
fn branched_repo() -> (Repo, git2::Oid, git2::Oid, git2::Oid) {
    let repo = Repo::new();
    repo.write("base.txt", "a");
    let a = repo.commit("A");
    repo.branch("feature", a).checkout("feature");
    repo.write("feature/one.txt", "b");
    repo.commit("B");
    repo.write("feature/two.txt", "c");
    let c = repo.commit("C");
    repo.checkout("main");
    repo.write("main.txt", "d");
    let d = repo.commit("D");
    (repo, a, c, d)
}

#[test]
fn a_new_branch_compares_with_its_merge_base_with_the_default_branch() {
    let (repo, _a, c, _d) = branched_repo();
    repo.checkout("feature");
    let event = event_file(&json!({
        "ref": "refs/heads/feature", "before": ZERO, "after": c.to_string(),
        "repository": {"default_branch": "main"}
    }));
    let plan = plan_for_event(&repo, &event, Some("push"));
    assert_eq!(
        strings(&plan["changed_paths"]),
        ["feature/one.txt", "feature/two.txt"]
    );
    assert_eq!(plan["ref"], "feature");
    assert_eq!(changed(&plan), git_names(repo.path(), &["main...feature"]));

    // Without a known default branch, the new branch's head is compared with its first parent.
    let c = c.to_string();
    let plan = plan_json(&repo, &everything(), &["--base", ZERO, "--head", &c]);
    assert_eq!(strings(&plan["changed_paths"]), ["feature/two.txt"]);

    // A new branch whose head is a root commit: every file counts.
    let fresh = Repo::new();
    fresh.write("x/1", "1");
    fresh.write("y", "2");
    let root = fresh.commit("root").to_string();
    let plan = plan_json(&fresh, &everything(), &["--base", ZERO, "--head", &root]);
    assert_eq!(strings(&plan["changed_paths"]), ["x/1", "y"]);
    assert_eq!(plan["base"], "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
}

#[test]
fn a_deleted_branch_dispatches_nothing_and_succeeds() {
    let (repo, _a, c, _d) = branched_repo();
    let event = event_file(&json!({
        "ref": "refs/heads/feature", "before": c.to_string(), "after": ZERO,
    }));
    let out = plan_cmd(&repo, &everything(), &[])
        .env("GITHUB_EVENT_PATH", event.path())
        .run()
        .success();
    assert_eq!(
        out.stdout,
        format!("`feature` was deleted (was at {c}): nothing to dispatch\n")
    );
    let plan = plan_for_event(&repo, &event, None);
    assert_eq!(plan["deleted"], true);
    assert_eq!(plan["deliveries"], json!([]));
}

#[test]
fn a_force_push_compares_the_two_trees() {
    let repo = Repo::new();
    repo.write("keep.txt", "k");
    let a = repo.commit("A");
    repo.write("old.txt", "b");
    let b = repo.commit("B");
    // Rewrite main: back to A, then a different commit.
    repo.git
        .reference("refs/heads/main", a, true, "reset")
        .unwrap();
    repo.checkout("main");
    repo.write("new.txt", "c");
    let c = repo.commit("C");
    let event = event_file(&json!({
        "ref": "refs/heads/main", "before": b.to_string(), "after": c.to_string(), "forced": true,
    }));
    let out = plan_cmd(&repo, &everything(), &[])
        .env("GITHUB_EVENT_PATH", event.path())
        .run()
        .success();
    assert!(out.stdout.contains("a force push"), "{out}");
    let plan = plan_for_event(&repo, &event, None);
    assert_eq!(strings(&plan["changed_paths"]), ["new.txt", "old.txt"]);
    assert_eq!(
        changed(&plan),
        git_names(repo.path(), &[&b.to_string(), &c.to_string()])
    );
}

#[test]
fn a_push_of_a_merge_commit_includes_the_merged_changes() {
    let (repo, _a, _c, d) = branched_repo();
    let m = repo.merge("feature", "merge feature");
    let (d, m) = (d.to_string(), m.to_string());
    let plan = plan_json(&repo, &everything(), &["--base", &d, "--head", &m]);
    assert_eq!(
        strings(&plan["changed_paths"]),
        ["feature/one.txt", "feature/two.txt"]
    );
    assert_eq!(changed(&plan), git_names(repo.path(), &[&d, &m]));
    // With no range given, HEAD (the merge) is compared with its first parent: the same.
    let plan = plan_json(&repo, &everything(), &[]);
    assert_eq!(plan["base"], d);
    assert_eq!(
        strings(&plan["changed_paths"]),
        ["feature/one.txt", "feature/two.txt"]
    );
}

#[test]
fn a_pull_request_compares_from_the_merge_base() {
    let (repo, _a, c, d) = branched_repo();
    let event = event_file(&json!({
        "action": "synchronize",
        "pull_request": {
            "base": {"ref": "main", "sha": d.to_string()},
            "head": {"ref": "feature", "sha": c.to_string()},
        }
    }));
    let plan = plan_for_event(&repo, &event, Some("pull_request"));
    // main.txt changed on main after the branch point: not part of the pull request.
    assert_eq!(
        strings(&plan["changed_paths"]),
        ["feature/one.txt", "feature/two.txt"]
    );
    assert_eq!(plan["ref"], "main");
    assert_eq!(
        changed(&plan),
        git_names(repo.path(), &[&format!("{d}...{c}")])
    );
}

#[test]
fn a_missing_commit_is_named_with_what_to_do() {
    let (repo, ..) = branched_repo();
    let out = plan_cmd(
        &repo,
        &everything(),
        &["--base", "1234567890123456789012345678901234567890"],
    )
    .run()
    .expect_code(1);
    assert!(
        out.stderr.starts_with(
            "error: revision `1234567890123456789012345678901234567890` is not in the repository\n  \
             hint: check the revision's spelling; a commit that is only on another clone needs `git fetch \
             origin 1234567890123456789012345678901234567890` first"
        ),
        "{out}"
    );
    let out = plan_cmd(&repo, &everything(), &["--head", "no-such-branch"])
        .run()
        .expect_code(1);
    assert!(
        out.stderr
            .contains("error: revision `no-such-branch` is not in the repository"),
        "{out}"
    );
    assert!(!out.stderr.contains("class="), "{out}");
}

#[test]
fn an_unsupported_event_is_a_clear_error() {
    let (repo, ..) = branched_repo();
    let event = event_file(&json!({"issue": {}}));
    let out = plan_cmd(&repo, &everything(), &[])
        .env("GITHUB_EVENT_PATH", event.path())
        .env("GITHUB_EVENT_NAME", "issues")
        .run()
        .expect_code(1);
    assert!(
        out.stderr.contains("event `issues` is not supported"),
        "{out}"
    );
}

#[test]
fn workflow_dispatch_compares_head_with_its_first_parent_and_tags_match_no_branch() {
    let (repo, ..) = branched_repo();
    let event = event_file(&json!({"ref": "refs/heads/main", "inputs": {}}));
    let out = plan_cmd(&repo, &everything(), &[])
        .env("GITHUB_EVENT_PATH", event.path())
        .env("GITHUB_EVENT_NAME", "workflow_dispatch")
        .run()
        .success();
    assert!(
        out.stdout.starts_with(&format!(
            "compared {}..{} on branch `main`: `HEAD` against its first parent\n",
            &repo.rev("HEAD~1").to_string()[..12],
            &repo.head().to_string()[..12]
        )),
        "{out}"
    );
    assert!(out.stdout.contains("acme/all"), "{out}");

    let head = repo.head().to_string();
    let parent = repo.rev("HEAD~1").to_string();
    let event = event_file(&json!({"ref": "refs/tags/v1.0", "before": parent, "after": head}));
    let plan = plan_for_event(&repo, &event, None);
    assert_eq!(plan["ref"], "refs/tags/v1.0");
    assert_eq!(plan["deliveries"], json!([]));
    assert_eq!(plan["skipped"][0]["reason"], "branch_not_matched");
}
