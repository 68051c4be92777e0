//! `subscriber apply` given hostile input: payload text that tries to become markup, oversized or newer
//! payloads, credentials in URLs, a sync branch that is the base branch, upstream tree entries git refuses,
//! and file names that try to start workflow commands. Each gets nothing: no live text, no secret shown,
//! nothing pushed.

use std::path::Path;

use serde_json::json;

use crate::support::Output;
use crate::support::subscriber_fixture::{
    Pair, check_cmd, config, event_file, mapped, payload, push,
};

const BRANCH: &str = "ecosync/acme-mono";

/// No line of the run's output starts a workflow command.
fn assert_no_workflow_command(out: &Output) {
    for line in out.stdout.lines().chain(out.stderr.lines()) {
        assert!(
            !line.starts_with("::"),
            "a forged workflow command: {line:?}\n{out}"
        );
    }
}

/// Every byte of every file under `dir`, lossily as text.
fn all_text_under(dir: &Path) -> String {
    let mut text = String::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                text.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
            }
        }
    }
    text
}

/// Everything a run showed or left: its output and every file of the forge.
fn everything_shown(out: &Output, p: &Pair) -> String {
    format!(
        "{}{}{}",
        out.stdout,
        out.stderr,
        all_text_under(p.forge.path())
    )
}

#[test]
fn payload_features_reach_the_pull_request_only_as_bounded_inline_code() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    let evil = "features/x` @octocat <img src=x> [click](https://evil.example) #1";
    let mut features: Vec<String> = vec!["features/x".into(), evil.into()];
    features.extend((0..30).map(|i| format!("features/x/f{i}")));
    let features: Vec<&str> = features.iter().map(String::as_str).collect();
    let (_d, ev) = event_file(payload("acme/mono", p.upstream.head(), &features));
    p.apply(&["--event", ev.to_str().unwrap()]).success();
    let body = &p.pulls()[0].body;
    let message = p.remote_commit_message(BRANCH);
    for text in [body, &message] {
        for live in ["@octocat", "<img", "](https://evil", "` @"] {
            assert!(!text.contains(live), "{live:?} is live in\n{text}");
        }
        assert!(text.contains("`features/x`, "), "{text}");
        assert!(text.contains(" and 22 more"), "{text}");
    }
}

#[test]
fn oversized_and_newer_payloads_are_rejected_and_nothing_is_opened() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    let up = p.upstream.head();
    // 56 KB of valid, subscribed features: under GitHub's limit, over the bound on their number.
    let many: Vec<String> = (0..3000).map(|i| format!("features/x/f{i:05}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let (_d1, ev1) = event_file(payload("acme/mono", up, &many));
    assert!(std::fs::metadata(&ev1).unwrap().len() > 50_000);
    p.apply(&["--event", ev1.to_str().unwrap()])
        .expect_code(3)
        .expect_stderr("the payload lists 3000 `updated_features`, more than the 500 accepted");
    // Over GitHub's 64 KB.
    let mut big = payload("acme/mono", up, &["features/x"]);
    big["changed_paths"] = json!(
        (0..4000)
            .map(|i| format!("features/x/{i:020}"))
            .collect::<Vec<_>>()
    );
    let (_d2, ev2) = event_file(big);
    p.apply(&["--event", ev2.to_str().unwrap()])
        .expect_code(3)
        .expect_stderr("more than the 65536 GitHub accepts");
    // A newer payload version: named, with both versions and what to do.
    let mut newer = payload("acme/mono", up, &["features/x"]);
    newer["ecosync"] = json!(2);
    newer["something_new"] = json!(true);
    let (_d3, ev3) = event_file(newer);
    p.apply(&["--event", ev3.to_str().unwrap()])
        .expect_code(3)
        .expect_stderr("the payload is version 2")
        .expect_stderr("understands version 1")
        .expect_stderr("hint: upgrade the subscriber");
    assert!(p.pulls().is_empty());
    assert!(p.issues("mono").is_empty() && p.issues("cousin").is_empty());
    assert_eq!(p.remote_branch(BRANCH), None);
}

#[test]
fn credentials_in_urls_are_never_shown() {
    // Nothing listens on port 1, so both fetches fail after the URL was used.
    let mut cfg = config(mapped(), "diff-apply");
    cfg["upstream"]["url"] = json!("https://upstream-user:SECRET@127.0.0.1:1/acme/mono.git");
    let p = Pair::new(cfg);
    // With the commit named, the issue carries the commands to sync by hand, `git fetch URL` among them.
    let out = p
        .apply(&["--sha", &p.upstream.head().to_string()])
        .expect_code(1);
    assert_eq!(out.stderr.matches("warning: ").count(), 1, "{out}");
    assert!(
        out.stderr
            .contains("`upstream.url` holds a user name or password"),
        "{out}"
    );
    assert!(
        out.stderr.contains("https://***@127.0.0.1:1/acme/mono.git"),
        "{out}"
    );
    assert_eq!(p.issues("mono").len(), 1, "the failure is reported");
    let issue = &p.issues("mono")[0].body;
    assert!(
        issue.contains("git fetch https://***@127.0.0.1:1/acme/mono.git main"),
        "{issue}"
    );
    let everything = everything_shown(&out, &p);
    assert!(
        !everything.contains("SECRET"),
        "the upstream secret leaked:\n{everything}"
    );

    let p = Pair::new(config(mapped(), "diff-apply"));
    let out = p
        .apply(&[
            "--latest",
            "--cousin-url",
            "https://x-access-token:SECRET@127.0.0.1:1/acme/cousin.git",
        ])
        .expect_code(1);
    assert!(
        out.stderr
            .contains("`--cousin-url` holds a user name or password"),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("https://***@127.0.0.1:1/acme/cousin.git"),
        "{out}"
    );
    assert_eq!(p.issues("mono").len(), 1, "the failure is reported");
    let everything = everything_shown(&out, &p);
    assert!(
        !everything.contains("SECRET"),
        "the cousin secret leaked:\n{everything}"
    );
}

#[test]
fn the_sync_branch_can_never_be_the_base_branch() {
    for branch in ["{branch}", "main"] {
        let mut cfg = config(mapped(), "diff-apply");
        cfg["pull_request"] = json!({"branch": branch});
        let p = Pair::new(cfg);
        let main = p.remote_branch("main");
        check_cmd(p.cousin.path())
            .run()
            .expect_code(2)
            .expect_stderr("`/pull_request/branch`")
            .expect_stderr("makes `main`, which is a default branch");
        p.apply(&["--latest"])
            .expect_code(2)
            .expect_stderr("makes `main`");
        assert_eq!(
            p.remote_branch("main"),
            main,
            "{branch}: main was pushed to"
        );
        assert!(p.pulls().is_empty() && p.issues("mono").is_empty());
    }
    let mut cfg = config(mapped(), "diff-apply");
    cfg["pull_request"] = json!({"branch": "release", "base": "release"});
    let p = Pair::new(cfg);
    p.apply(&["--latest"])
        .expect_code(2)
        .expect_stderr("makes `release`, which is `pull_request.base`");
    // Known only at run time: the cousin's default branch is `trunk`, and so is the fixed template.
    let mut cfg = config(mapped(), "diff-apply");
    cfg["pull_request"] = json!({"branch": "trunk"});
    let p = Pair::new(cfg);
    push(
        &p.cousin.git,
        &p.forge_repo("cousin"),
        "+refs/heads/main:refs/heads/trunk",
    );
    let bare = git2::Repository::open_bare(p.forge_repo("cousin")).unwrap();
    bare.set_head("refs/heads/trunk").unwrap();
    let trunk = p.remote_branch("trunk");
    let out = p
        .apply(&["--latest"])
        .expect_code(2)
        .expect_stderr("the sync branch `trunk` (from `pull_request.branch` `trunk`) is the base branch `trunk`")
        .expect_stderr("hint: give `pull_request.branch` a branch of its own");
    assert_eq!(
        p.remote_branch("trunk"),
        trunk,
        "trunk was pushed to\n{out}"
    );
    assert!(p.pulls().is_empty() && p.issues("mono").is_empty());
}

/// A raw tree object with one entry, as a hostile server could send (libgit2's builders refuse such names).
fn raw_tree(repo: &git2::Repository, entries: &[(&str, &[u8], git2::Oid)]) -> git2::Oid {
    let mut bytes = Vec::new();
    for (mode, name, id) in entries {
        bytes.extend_from_slice(format!("{mode} ").as_bytes());
        bytes.extend_from_slice(name);
        bytes.push(0);
        bytes.extend_from_slice(id.as_bytes());
    }
    repo.odb()
        .unwrap()
        .write(git2::ObjectType::Tree, &bytes)
        .unwrap()
}

#[test]
fn upstream_tree_entries_git_refuses_are_refused() {
    for (name, mode, shown) in [
        (".g\u{200c}it", "40000", r"features/x/.g\u{200c}it"),
        ("git~1", "40000", "features/x/git~1"),
        (".GIT", "40000", "features/x/.GIT"),
        (".git.", "40000", "features/x/.git."),
        ("a/b", "100644", "features/x/a/b"),
        (".gitmodules", "120000", "features/x/.gitmodules"),
    ] {
        let p = Pair::new(config(mapped(), "diff-apply"));
        let git = &p.upstream.git;
        let blob = git.blob(b"[core]\n\tfsmonitor = evil\n").unwrap();
        let inner = raw_tree(git, &[("100644", b"config", blob)]);
        let entry = if mode == "40000" { inner } else { blob };
        let a = git.blob(b"a1\n").unwrap();
        // Entries sorted as git sorts them (a tree's name sorts as if it ended in `/`).
        let mut entries = vec![
            (mode, name.as_bytes(), entry),
            ("100644", b"a.txt".as_slice(), a),
        ];
        entries.sort_by_key(|(m, n, _)| {
            let mut k = n.to_vec();
            if *m == "40000" {
                k.push(b'/');
            }
            k
        });
        let x = raw_tree(git, &entries);
        let features = raw_tree(git, &[("40000", b"x", x)]);
        let root = raw_tree(git, &[("40000", b"features", features)]);
        let head = git.head().unwrap().peel_to_commit().unwrap();
        let sig = git2::Signature::now("Evil", "evil@example.com").unwrap();
        let tree = git.find_tree(root).unwrap();
        git.commit(Some("refs/heads/main"), &sig, &sig, "evil", &tree, &[&head])
            .unwrap();
        let out = p.apply(&["--latest"]).expect_code(1);
        assert!(
            out.stderr
                .contains(&format!("upstream's tree has an entry `{shown}`")),
            "{name:?}\n{out}"
        );
        assert_eq!(p.remote_branch(BRANCH), None, "{name:?}: pushed\n{out}");
        assert!(p.pulls().is_empty());
        let issues = p.issues("mono");
        assert_eq!(issues.len(), 1, "{name:?}: reported like other failures");
        assert!(issues[0].body.contains(shown), "{}", issues[0].body);
    }
}

#[test]
fn file_names_with_newlines_are_escaped_everywhere() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    p.upstream.write("features/x/a\n::warning::pwned", "x\n");
    let up = p.upstream.commit("upstream: a hostile file name");
    // A changed path with a newline is data, not a reason to refuse the event.
    let mut ev = payload("acme/mono", up, &["features/x"]);
    ev["changed_paths"] = json!(["features/x/a\n::warning::pwned"]);
    let (_d, ev) = event_file(ev);
    let dry = p
        .apply(&["--dry-run", "--event", ev.to_str().unwrap()])
        .success();
    assert_no_workflow_command(&dry);
    assert!(dry.stdout.contains(r"b/app/a\n::warning::pwned"), "{dry}");
    let out = p.apply(&["--event", ev.to_str().unwrap()]).success();
    assert_no_workflow_command(&out);
    let files = p.remote_files(BRANCH);
    assert!(
        files.contains_key("app/a\n::warning::pwned"),
        "the file itself is synced as it is"
    );
    let body = &p.pulls()[0].body;
    let message = p.remote_commit_message(BRANCH);
    for text in [body, &message] {
        assert!(!text.lines().any(|l| l.starts_with("::")), "{text}");
    }
    assert!(body.contains(r"app/a\n::warning::pwned"), "{body}");
}
