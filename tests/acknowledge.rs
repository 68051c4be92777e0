//! Acknowledged deliveries: `dispatcher dispatch --ack` sets a `pending` commit status per target on the
//! source commit, a subscriber with `"acknowledge": true` settles it to `success` (the pull request) or
//! `failure` (the issue), and `dispatcher status [--wait]` lists them; on the local forge and against the
//! fake GitHub.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ecosync::RepoName;
use ecosync::demo::DemoSample;
use ecosync::forge::local::LocalForge;
use git2::Oid;
use serde_json::{Value, json};

use crate::support::fake_github::{Fault, FaultKind};
use crate::support::subscriber_fixture::check_cmd;
use crate::support::{Cmd, Output, demo};

/// The cousin's configuration with `"acknowledge": true` (and, for the fake GitHub, `upstream.url` at the
/// source's bare repository), written to a file for `--config`.
fn acked_config(
    sample: &DemoSample,
    cousin: &RepoName,
    dir: &Path,
    local_upstream: bool,
) -> PathBuf {
    let mut cfg = demo::cousin_config(sample, cousin.as_str());
    cfg["acknowledge"] = json!(true);
    if local_upstream {
        demo::set_local_upstream(sample, &mut cfg);
    }
    demo::write_config(&dir.join(format!("{}-acked.json", cousin.name())), &cfg)
}

fn dispatch_local(sample: &DemoSample, base: Oid, head: Oid) -> Output {
    demo::dispatch_local(sample, "main", base, head)
        .arg("--ack")
        .run()
}

fn apply_local(sample: &DemoSample, cousin: &RepoName, dir: &Path) -> Output {
    demo::apply_local(sample, cousin, &demo::newest_event(sample, cousin))
        .arg("--config")
        .arg(acked_config(sample, cousin, dir, false))
        .run()
}

fn status_local(sample: &DemoSample, rev: Oid, args: &[&str]) -> Output {
    Cmd::dispatcher()
        .args([
            "status",
            &rev.to_string(),
            "--forge",
            &demo::local_forge(sample),
        ])
        .args(args)
        .arg("--repo")
        .arg(sample.work_dir(DemoSample::source().as_str()))
        .timeout(Duration::from_secs(60))
        .run()
}

/// Target -> (state, target URL) of `dispatcher status --format json`.
fn states(out: &Output) -> Vec<(String, String, Value)> {
    out.json()["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["target"].as_str().unwrap().to_owned(),
                s["state"].as_str().unwrap().to_owned(),
                s["target_url"].clone(),
            )
        })
        .collect()
}

#[test]
fn local_forge_pending_to_success_and_to_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = demo::sample(tmp.path());
    let forge = LocalForge::new(sample.forge_dir());
    let (flask, react, fork) = (
        RepoName::parse("acme/flask-webpush").unwrap(),
        RepoName::parse("acme/react-webpush").unwrap(),
        RepoName::parse("acme/webdev-fork").unwrap(),
    );

    let v2 = sample.push_update().unwrap();
    dispatch_local(&sample, sample.first, v2)
        .success()
        .expect_stderr("ack: 3 of 3 delivery statuses set on");
    let out = status_local(&sample, v2, &["--format", "json"]).success();
    let pending: Vec<_> = states(&out).into_iter().map(|(t, s, _)| (t, s)).collect();
    assert_eq!(
        pending,
        [
            ("acme/flask-webpush".to_owned(), "pending".to_owned()),
            ("acme/react-webpush".to_owned(), "pending".to_owned()),
            ("acme/webdev-fork".to_owned(), "pending".to_owned()),
        ]
    );

    // One subscriber acknowledges; waiting for the other two times out, naming them.
    apply_local(&sample, &flask, tmp.path())
        .success()
        .expect_stderr(
            "acknowledged: `ecosync/acme/flask-webpush` is success on acme/webdev-monorepo",
        );
    let pr_url = forge.pulls(&flask).unwrap()[0].html_url.clone();
    let out =
        status_local(&sample, v2, &["--wait", "1s", "--poll-interval", "200ms"]).expect_code(1);
    assert!(
        out.stderr.contains(
            "error: timed out after 1s: 2 of 3 target(s) still pending: acme/react-webpush, acme/webdev-fork"
        ),
        "{out}"
    );
    assert!(out.stderr.contains("hint: "), "{out}");
    assert!(out.elapsed < Duration::from_secs(20), "{out}");

    for c in [&react, &fork] {
        apply_local(&sample, c, tmp.path()).success();
    }
    let out = status_local(&sample, v2, &["--wait", "30s", "--poll-interval", "100ms"]).success();
    assert!(out.stdout.contains("3 target(s) on"), "{out}");
    assert!(
        out.stdout.contains("3 settled, 0 pending, 0 failed"),
        "{out}"
    );
    assert!(out.stdout.contains(&pr_url), "the PR is linked\n{out}");
    assert!(out.stdout.starts_with("TARGET"), "{out}");

    // The flask cousin edits the line upstream changes next: its sync conflicts and fails with an issue.
    demo::flask_edits_its_subscribe_answer(&sample);
    let v3 = sample
        .push(
            DemoSample::source().as_str(),
            &[("features/webpush/flask/app.py", "from flask import Flask\n\napp = Flask(__name__)\nMAX_RETRIES = 5\n\n\n@app.post(\"/subscribe\")\ndef subscribe():\n    return {\"ok\": True, \"retries\": MAX_RETRIES, \"v\": 3}\n")],
            "webpush: five retries",
        )
        .unwrap();
    dispatch_local(&sample, v2, v3).success();
    let out = status_local(&sample, v3, &["--format", "json"]).success();
    // v3 reaches flask (a subdirectory mapping) and the fork (whole history).
    assert_eq!(
        out.json()["pending"],
        json!(["acme/flask-webpush", "acme/webdev-fork"]),
        "{out}"
    );
    apply_local(&sample, &fork, tmp.path()).success();
    let out = apply_local(&sample, &flask, tmp.path());
    assert_eq!(out.code, Some(1), "a conflict is a failure\n{out}");
    assert!(
        out.stderr
            .contains("acknowledged: `ecosync/acme/flask-webpush` is failure"),
        "{out}"
    );
    let issue = forge.issues(&flask).unwrap().remove(0);
    let out = status_local(&sample, v3, &["--format", "json"]).success();
    let got = states(&out);
    assert_eq!(
        got[0],
        (
            "acme/flask-webpush".to_owned(),
            "failure".to_owned(),
            json!(issue.html_url)
        )
    );
    assert_eq!(got[1].1, "success");
    // Waiting on a commit with a failed target ends at once, with exit 1 naming it.
    let out = status_local(&sample, v3, &["--wait", "10s"]).expect_code(1);
    assert!(
        out.stderr
            .contains("1 target(s) did not sync: acme/flask-webpush"),
        "{out}"
    );
    // The earlier commit's statuses are untouched.
    assert!(
        states(&status_local(&sample, v2, &["--format", "json"]).success())
            .iter()
            .all(|(_, s, _)| s == "success")
    );
}

#[test]
fn without_acknowledge_the_status_stays_pending_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = demo::sample(tmp.path());
    let flask = RepoName::parse("acme/flask-webpush").unwrap();
    let v2 = sample.push_update().unwrap();
    // Without --ack: no status at all.
    demo::dispatch_local(&sample, "main", sample.first, v2)
        .run()
        .success();
    status_local(&sample, v2, &[])
        .success()
        .expect_stdout("no delivery status on");
    // A subscriber without `acknowledge` sets none either.
    let out = demo::apply_local(&sample, &flask, &demo::newest_event(&sample, &flask))
        .run()
        .success();
    assert!(!out.stderr.contains("acknowledged"), "{out}");
    status_local(&sample, v2, &[])
        .success()
        .expect_stdout("no delivery status on");
}

const TOKEN: &str = "ghp_ackTestSecretToken0123456789abcd";

#[test]
fn fake_github_statuses_are_sent_paced_and_never_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = demo::sample(tmp.path());
    let source = DemoSample::source();
    let fake = demo::fake_github();
    // The react target's pending status is refused: the dispatch still goes out and the run succeeds.
    fake.fail(
        Fault::new(FaultKind::Status(403))
            .method("POST")
            .path("/statuses/")
            .nth(2),
    );
    let v2 = sample.push_update().unwrap();
    let out = demo::dispatch_github(&sample, "main", sample.first, v2, &fake, TOKEN)
        .arg("--ack")
        .run()
        .success()
        .expect_stderr("3 delivered, 0 failed")
        .expect_stderr("ack: 2 of 3 delivery statuses set on")
        .expect_stderr("warning: cannot set the `pending` status for acme/react-webpush");
    assert!(!out.stderr.contains(TOKEN) && !out.stdout.contains(TOKEN));
    let posts = fake.requests_to("POST", "");
    let statuses: Vec<_> = posts
        .iter()
        .filter(|r| r.path.contains("/statuses/"))
        .collect();
    assert_eq!(statuses.len(), 3, "{posts:#?}");
    for s in &statuses {
        assert_eq!(s.path, format!("/repos/{source}/statuses/{v2}"));
        assert_eq!(s.json()["state"], "pending");
        assert!(
            s.json()["context"]
                .as_str()
                .unwrap()
                .starts_with("ecosync/acme/")
        );
    }
    // Each pending status went out before that target's dispatch.
    let first_dispatch = posts
        .iter()
        .position(|r| r.path.ends_with("/dispatches"))
        .unwrap();
    let last_status = posts
        .iter()
        .rposition(|r| r.path.contains("/statuses/"))
        .unwrap();
    assert!(last_status < first_dispatch, "{posts:#?}");

    // The flask subscriber acknowledges against the fake: success, linked to its pull request.
    let flask = RepoName::parse("acme/flask-webpush").unwrap();
    let event = demo::github_event(&fake, &flask, tmp.path());
    let config = acked_config(&sample, &flask, tmp.path(), true);
    demo::apply_github(&sample, flask.as_str(), &config, &fake, TOKEN)
        .args(["--min-interval", "0"])
        .arg("--event")
        .arg(&event)
        .run()
        .success()
        .expect_stderr("acknowledged: `ecosync/acme/flask-webpush` is success");
    let newest = fake.statuses(source.as_str(), &v2.to_string())[0].clone();
    assert_eq!(newest["context"], "ecosync/acme/flask-webpush");
    assert_eq!(newest["state"], "success");
    let pr = fake.pulls(flask.as_str()).remove(0);
    assert_eq!(newest["target_url"], pr["html_url"]);

    // `dispatcher status` reads them back from the fake (newest per target).
    let out = Cmd::dispatcher()
        .args([
            "status",
            &v2.to_string(),
            "--forge",
            "github",
            "--format",
            "json",
        ])
        .args(["--source-repo", source.as_str()])
        .env("GITHUB_API_URL", fake.url())
        .env("ECOSYNC_TOKEN", TOKEN)
        .run()
        .success();
    let got: Vec<_> = states(&out).into_iter().map(|(t, s, _)| (t, s)).collect();
    assert_eq!(
        got,
        [
            ("acme/flask-webpush".to_owned(), "success".to_owned()),
            ("acme/webdev-fork".to_owned(), "pending".to_owned()),
        ]
    );
    assert_eq!(
        fake.requests_to("GET", "/statuses").len(),
        1,
        "one list request"
    );
}

#[test]
fn acknowledge_must_be_a_boolean() {
    let r = crate::support::Repo::new();
    r.write(
        ".github/ecosync.json",
        r#"{"upstream": {"repo": "acme/mono"}, "subscriptions": ["x"], "acknowledge": "yes"}"#,
    );
    check_cmd(r.path())
        .run()
        .expect_code(2)
        .expect_stderr("`acknowledge` is a string, not a boolean");
    r.write(
        ".github/ecosync.json",
        r#"{"upstream": {"repo": "acme/mono"}, "subscriptions": ["x"], "acknowledgde": true}"#,
    );
    check_cmd(r.path())
        .run()
        .expect_code(2)
        .expect_stderr("did you mean `acknowledge`?");
}
