//! The whole chain as GitHub would run it, on the local forge: a source monorepo and three downstream
//! repositories of different shapes (a subdirectory mapping with diff-apply, a root mapping with squash, a fork
//! sharing history with merge); `dispatcher dispatch`; each recorded dispatch handed to `subscriber apply` as
//! its event file; then a second push that refreshes the open pull requests, and a downstream edit that
//! conflicts, which must not stop the others and must produce exactly one issue.

use std::path::Path;

use ecosync::RepoName;
use ecosync::demo::DemoSample;
use ecosync::forge::local::LocalForge;
use git2::Oid;

use crate::support::{Cmd, Output, bare, demo};

/// `dispatcher dispatch` of `base..head` to the local forge.
fn dispatch(sample: &DemoSample, base: Oid, head: Oid) -> Output {
    demo::dispatch_local(sample, "refs/heads/main", base, head).run()
}

/// Hands the newest dispatch `cousin` received to `subscriber apply`, as the listener workflow would.
fn apply_newest_event(sample: &DemoSample, cousin: &RepoName) -> Output {
    demo::apply_local(sample, cousin, &demo::newest_event(sample, cousin)).run()
}

/// A file's content on a branch of a repository on the forge.
fn file_on_branch(forge: &Path, repo: &RepoName, branch: &str, path: &str) -> Option<String> {
    bare::file_at(&forge.join(format!("{repo}.git")), branch, path)
}

fn branch_head_message(forge: &Path, repo: &RepoName, branch: &str) -> String {
    bare::head_message(&forge.join(format!("{repo}.git")), branch)
}

fn cousin(name: &str) -> RepoName {
    RepoName::parse(name).unwrap()
}

#[test]
fn chain_on_the_local_forge_refreshes_prs_and_reports_one_conflict() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = demo::sample(tmp.path());
    let forge_dir = sample.forge_dir();
    let forge = LocalForge::new(&forge_dir);
    let file = |c: &RepoName, branch: &str, path: &str| file_on_branch(&forge_dir, c, branch, path);
    let source = DemoSample::source();
    let (flask, react, fork) = (
        cousin("acme/flask-webpush"),
        cousin("acme/react-webpush"),
        cousin("acme/webdev-fork"),
    );

    // First push: all three cousins are concerned, each gets exactly one dispatch and opens one PR.
    let v2 = sample.push_update().unwrap();
    dispatch(&sample, sample.first, v2)
        .success()
        .expect_stderr("3 delivered, 0 failed")
        .expect_stderr("watermark: set `refs/ecosync/dispatched/main`");
    let watermark = git2::Repository::open_bare(forge_dir.join(format!("{source}.git")))
        .unwrap()
        .refname_to_id("refs/ecosync/dispatched/main")
        .unwrap();
    assert_eq!(
        watermark, v2,
        "the local forge keeps the watermark in the source's bare repository"
    );
    for c in [&flask, &react, &fork] {
        assert_eq!(forge.dispatches(c).unwrap().len(), 1, "{c}");
        apply_newest_event(&sample, c).success();
        let pulls = forge.pulls(c).unwrap();
        assert_eq!(pulls.len(), 1, "{c}: {pulls:?}");
        assert_eq!(pulls[0].state, "open");
        assert!(
            pulls[0]
                .body
                .contains(&format!("Ecosync-Upstream: {source}@{v2}")),
            "{c}: {}",
            pulls[0].body
        );
    }
    let flask_pr = forge.pulls(&flask).unwrap().remove(0);
    let react_pr = forge.pulls(&react).unwrap().remove(0);
    let fork_pr = forge.pulls(&fork).unwrap().remove(0);
    // The subdirectory mapping put upstream's file under app/ and kept the cousin's own files.
    let app = file(&flask, &flask_pr.head, "app/app.py").unwrap();
    assert!(app.contains("MAX_RETRIES = 3"), "{app}");
    assert!(file(&flask, &flask_pr.head, "deploy/Procfile").is_some());
    assert!(file(&flask, &flask_pr.head, "features/webpush/flask/app.py").is_none());
    assert!(
        branch_head_message(&forge_dir, &flask, &flask_pr.head)
            .contains(&format!("Ecosync-Upstream: {source}@{v2}"))
    );
    // The root mapping put upstream's directory at the root.
    let js = file(&react, &react_pr.head, "src/subscribe.js").unwrap();
    assert!(js.contains("retries = 3"), "{js}");
    // The fork merged upstream and kept its own commit.
    assert!(file(&fork, &fork_pr.head, "FORK.md").is_some());
    assert!(
        file(&fork, &fork_pr.head, "features/webpush/flask/app.py")
            .unwrap()
            .contains("MAX_RETRIES")
    );

    // The flask cousin edits the very line upstream changes next.
    demo::flask_edits_its_subscribe_answer(&sample);

    // Second push: flask and react change again.
    let v3 = sample
        .push(
            source.as_str(),
            &[
                ("features/webpush/flask/app.py", "from flask import Flask\n\napp = Flask(__name__)\nMAX_RETRIES = 5\n\n\n@app.post(\"/subscribe\")\ndef subscribe():\n    return {\"ok\": True, \"retries\": MAX_RETRIES, \"v\": 3}\n"),
                ("features/webpush/react/src/subscribe.js", "export const RETRIES = 5;\n"),
            ],
            "webpush: five retries",
        )
        .unwrap();
    dispatch(&sample, v2, v3).success();
    assert_eq!(forge.dispatches(&flask).unwrap().len(), 2);
    assert_eq!(forge.dispatches(&react).unwrap().len(), 2);

    // The conflicting cousin fails with an issue; nothing is pushed over its PR branch.
    let flask_branch_before = file(&flask, &flask_pr.head, "app/app.py");
    let out = apply_newest_event(&sample, &flask);
    assert_ne!(out.code, Some(0), "a conflict is a failure\n{out}");
    assert_eq!(
        file(&flask, &flask_pr.head, "app/app.py"),
        flask_branch_before,
        "nothing half-done pushed"
    );
    // The react cousin is refreshed: the same PR, not a second one, now at v3.
    apply_newest_event(&sample, &react).success();
    let pulls = forge.pulls(&react).unwrap();
    assert_eq!(pulls.len(), 1, "refreshed, not duplicated: {pulls:?}");
    assert_eq!(pulls[0].number, react_pr.number);
    assert!(
        pulls[0]
            .body
            .contains(&format!("Ecosync-Upstream: {source}@{v3}")),
        "{}",
        pulls[0].body
    );
    assert_eq!(
        file(&react, &react_pr.head, "src/subscribe.js").unwrap(),
        "export const RETRIES = 5;\n"
    );

    // Exactly one issue for the conflict, naming the file; the same event again comments on it instead.
    let issues: Vec<_> = [&flask, &react, &fork, &source]
        .iter()
        .flat_map(|r| forge.issues(r).unwrap())
        .collect();
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert!(issues[0].body.contains("app/app.py"), "{}", issues[0].body);
    assert!(
        issues[0].body.contains(&v3.to_string()),
        "{}",
        issues[0].body
    );
    let again = apply_newest_event(&sample, &flask);
    assert_ne!(again.code, Some(0));
    let issues = forge.issues(&flask).unwrap();
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].comments.len(), 1, "{issues:?}");
}

/// The README's first command: `dispatcher demo` runs the whole chain and prints one pull request per
/// downstream repository.
#[test]
fn demo_runs_the_whole_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let out = Cmd::dispatcher()
        .arg("demo")
        .arg("--dir")
        .arg(&dir)
        .run()
        .success();
    for c in [
        "acme/flask-webpush#1 [open]",
        "acme/react-webpush#1 [open]",
        "acme/webdev-fork#1 [open]",
    ] {
        assert!(out.stdout.contains(c), "missing {c}\n{out}");
    }
    assert!(!out.stdout.contains("issue ["), "no issue expected\n{out}");
    // Running it again into the same directory is refused rather than mixing two samples.
    Cmd::dispatcher()
        .arg("demo")
        .arg("--dir")
        .arg(&dir)
        .run()
        .expect_code(2)
        .expect_stderr("already exists");
}

#[test]
fn chain_against_the_fake_github_refreshes_prs() {
    const TOKEN: &str = "ghp_chainTestSecretToken0123456789";

    let tmp = tempfile::tempdir().unwrap();
    let sample = demo::sample(tmp.path());
    let source = DemoSample::source();
    let cousins = DemoSample::cousins();
    let fake = demo::fake_github();
    let dispatch = |base: Oid, head: Oid| {
        demo::dispatch_github(&sample, "refs/heads/main", base, head, &fake, TOKEN).run()
    };
    // Hands the newest recorded dispatch to the subscriber as the event file Actions would write.
    let apply = |c: &RepoName| {
        let event = demo::github_event(&fake, c, tmp.path());
        let config = tmp.path().join(format!("{}.json", c.name()));
        let config = demo::config_with_local_upstream(&sample, c.as_str(), &config);
        demo::apply_github(&sample, c.as_str(), &config, &fake, TOKEN)
            .arg("--event")
            .arg(&event)
            .env("ECOSYNC_MIN_INTERVAL", "0s")
            .run()
    };
    let no_token = |out: &Output| {
        assert!(
            !out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN),
            "token leaked\n{out}"
        );
    };

    let v2 = sample.push_update().unwrap();
    let out = dispatch(sample.first, v2).success();
    no_token(&out);
    for c in &cousins {
        assert_eq!(
            fake.dispatches(c.as_str()).len(),
            1,
            "{c}: one dispatch per push"
        );
        let out = apply(c).success();
        no_token(&out);
        let pulls = fake.pulls(c.as_str());
        assert_eq!(pulls.len(), 1, "{c}: {pulls:#?}");
        let body = pulls[0]["body"].as_str().unwrap_or("");
        assert!(
            body.contains(&format!("Ecosync-Upstream: {source}@{v2}")),
            "{c}: {body}"
        );
        let head = pulls[0]["head"]["ref"].as_str().unwrap().to_owned();
        let msg = branch_head_message(&sample.forge_dir(), c, &head);
        assert!(
            msg.contains(&format!("Ecosync-Upstream: {source}@{v2}")),
            "{c}: {msg}"
        );
    }
    let flask = cousin("acme/flask-webpush");
    let head = fake.pulls(flask.as_str())[0]["head"]["ref"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        file_on_branch(&sample.forge_dir(), &flask, &head, "app/app.py")
            .unwrap()
            .contains("MAX_RETRIES = 3")
    );

    // A second push refreshes the open pull requests instead of opening new ones.
    let v3 = sample
        .push(
            source.as_str(),
            &[(
                "features/webpush/flask/app.py",
                "from flask import Flask\n\napp = Flask(__name__)\nMAX_RETRIES = 7\n",
            )],
            "flask: seven retries",
        )
        .unwrap();
    dispatch(v2, v3).success();
    assert_eq!(fake.dispatches(flask.as_str()).len(), 2);
    assert_eq!(
        fake.dispatches("acme/react-webpush").len(),
        1,
        "react is not concerned by the second push"
    );
    apply(&flask).success();
    let pulls = fake.pulls(flask.as_str());
    assert_eq!(pulls.len(), 1, "refreshed, not duplicated: {pulls:#?}");
    assert!(
        pulls[0]["body"]
            .as_str()
            .unwrap()
            .contains(&format!("Ecosync-Upstream: {source}@{v3}"))
    );
    assert!(
        file_on_branch(&sample.forge_dir(), &flask, &head, "app/app.py")
            .unwrap()
            .contains("MAX_RETRIES = 7")
    );
    assert!(
        !fake
            .requests_to("PATCH", "/repos/acme/flask-webpush/pulls/1")
            .is_empty(),
        "the PR was updated in place"
    );
    assert_eq!(
        fake.requests_to("POST", "/repos/acme/flask-webpush/pulls")
            .len(),
        1,
        "one PR created, ever"
    );
    assert!(
        fake.requests()
            .iter()
            .all(|r| !format!("{r:?}").contains(TOKEN)),
        "the fake records no token"
    );
}

/// Whoever can dispatch chooses the payload: a `dispatch_id` or feature that could forge a line in the run's
/// log (`::` at the start of a line is a workflow command to the Actions runner) or markdown in the pull
/// request is rejected with exit 3, printed escaped, and nothing is pushed or opened.
#[test]
fn payload_strings_cannot_forge_log_lines_or_pull_request_text() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = demo::sample(tmp.path());
    let v2 = sample.push_update().unwrap();
    let flask = cousin("acme/flask-webpush");
    let forge = LocalForge::new(sample.forge_dir());
    for (feature, id) in [
        ("features/webpush/flask", "run\n::add-mask::x"),
        ("features/webpush/flask", "[details](https://evil.example)"),
        ("features/webpush/flask\n::stop-commands::t", "ecosync-1"),
    ] {
        let event = serde_json::json!({"client_payload": {
            "updated_feature": feature, "commit_sha": v2.to_string(),
            "source_repo": DemoSample::source().as_str(), "dispatch_id": id
        }});
        let path = tmp.path().join("event.json");
        std::fs::write(&path, event.to_string()).unwrap();
        let out = demo::apply_local(&sample, &flask, &path)
            .run()
            .expect_code(3);
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(
            !all.lines().any(|l| l.starts_with("::")),
            "a forged workflow command line\n{out}"
        );
        assert!(
            forge.pulls(&flask).unwrap().is_empty() && forge.issues(&flask).unwrap().is_empty()
        );
    }
}
