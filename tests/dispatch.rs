//! `dispatcher dispatch` through the real binary: against the fake GitHub (payloads, pacing, the retry
//! rules measured on the server's clock, failures that do not stop the others, exit codes, the report, the
//! Actions outputs, the failure issue, no token anywhere) and against the local forge.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::dispatch::{dispatch_cmd, dispatch_local, local_forge, source};
use crate::support::fake_github::{FakeGitHub, Fault, FaultKind, Recorded};
use crate::support::plan::Config;
use crate::support::{Cmd, Output, Repo};

/// A token that must never show up in any output.
const TOKEN: &str = "ghp_ecosyncTESTtoken0123456789abcdefABCDEF";

/// `dispatcher dispatch` on `repo` against `fake`, with fast test waits and no interval.
fn dispatch(repo: &Repo, config: &Config, fake: &FakeGitHub) -> Cmd {
    dispatch_at(repo, config, &fake.url())
}

/// `dispatcher dispatch` on `repo` against the API root `api_url`.
fn dispatch_at(repo: &Repo, config: &Config, api_url: &str) -> Cmd {
    dispatch_cmd(repo, config)
        .args(["--api-url", api_url])
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .env("ECOSYNC_TOKEN", TOKEN)
        .env("ECOSYNC_RETRY_BASE_DELAY", "200ms")
        .env("ECOSYNC_MIN_RATE_LIMIT_WAIT", "1500ms")
        .timeout(Duration::from_secs(60))
}

fn dispatches_to<'a>(requests: &'a [Recorded], repo: &str) -> Vec<&'a Recorded> {
    let path = format!("/repos/{repo}/dispatches");
    requests.iter().filter(|r| r.path == path).collect()
}

fn gap(a: &Recorded, b: &Recorded) -> Duration {
    b.at.saturating_sub(a.at)
}

fn report(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn line<'a>(report: &'a Value, repo: &str) -> &'a Value {
    report["repos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["repo"] == repo)
        .unwrap_or_else(|| panic!("no line for {repo} in {report:#}"))
}

fn assert_no_token(out: &Output) {
    assert!(
        !out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN),
        "token leaked\n{out}"
    );
}

/// The requests a run sent, but the one listing of the source's records of rejections and reversals
/// every delivery reads (to show the targets that are held back).
fn sent(fake: &FakeGitHub) -> Vec<crate::support::fake_github::Recorded> {
    fake.requests()
        .into_iter()
        .filter(|r| !(r.method == "GET" && r.path.ends_with("/repos/acme/source/issues")))
        .collect()
}

#[test]
fn sends_one_dispatch_per_repository_with_the_planned_payload() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/a").add_repo("acme/b");
    let (repo, config) = source(&["acme/a", "acme/b"]);
    let out = dispatch(&repo, &config, &fake).run().success();
    assert_no_token(&out);
    out.expect_stderr("repository 2 of 2: ")
        .expect_stderr("2 delivered, 0 failed");
    for name in ["acme/a", "acme/b"] {
        let sent = fake.dispatches(name);
        assert_eq!(sent.len(), 1, "{name}: exactly one dispatch");
        assert_eq!(sent[0]["event_type"], "upstream-update");
        let p = &sent[0]["client_payload"];
        assert_eq!(p["ecosync"], 1);
        assert_eq!(p["source_repo"], "acme/source");
        assert_eq!(p["ref"], "main");
        assert_eq!(p["base_sha"], repo.rev("HEAD~1").to_string());
        assert_eq!(p["commit_sha"], repo.rev("HEAD").to_string());
        assert_eq!(p["updated_feature"], "src/**");
        assert_eq!(p["updated_features"], json!(["src/**", "docs/**"]));
        assert_eq!(p["changed_paths"], json!(["docs/guide.md", "src/lib.rs"]));
        assert_eq!(p["changed_paths_truncated"], false);
        assert!(
            p["dispatch_id"].as_str().unwrap().starts_with("ecosync-"),
            "{p}"
        );
        assert!(p.as_object().unwrap().len() <= 10);
    }
    // Nothing but the two dispatches was sent, each with the token and no Accept header Prism rejects.
    let requests = sent(&fake);
    assert_eq!(requests.len(), 2, "{requests:#?}");
    assert!(requests.iter().all(|r| r.authorized && r.method == "POST"));
}

#[test]
fn mutating_requests_are_a_second_apart_by_default() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/a")
        .add_repo("acme/b")
        .add_repo("acme/c");
    let (repo, config) = source(&["acme/a", "acme/b", "acme/c"]);
    // The default interval (1s) and concurrency (1).
    dispatch(&repo, &config, &fake)
        .env_remove("ECOSYNC_MIN_INTERVAL")
        .run()
        .success();
    let requests = sent(&fake);
    assert_eq!(requests.len(), 3);
    // Starts are spaced by the client; arrivals may drift by the first request's connection set-up.
    for pair in requests.windows(2) {
        assert!(
            gap(&pair[0], &pair[1]) >= Duration::from_millis(900),
            "{requests:#?}"
        );
    }
}

#[test]
fn one_failing_repository_does_not_stop_the_others_and_exit_status_is_1() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/a").add_repo("acme/c"); // acme/b does not exist: 404
    let (repo, config) = source(&["acme/a", "acme/b", "acme/c"]);
    let dir = tempfile::tempdir().unwrap();
    let report_path = dir.path().join("report.json");
    let out = dispatch(&repo, &config, &fake)
        .arg("--report")
        .arg(&report_path)
        .run()
        .expect_code(1);
    assert_no_token(&out);
    out.expect_stderr("acme/b")
        .expect_stderr("Contents: write")
        .expect_stderr("2 delivered, 1 failed");
    assert_eq!(fake.dispatches("acme/a").len(), 1);
    assert_eq!(fake.dispatches("acme/c").len(), 1);
    // 404 is not retried.
    assert_eq!(dispatches_to(&fake.requests(), "acme/b").len(), 1);
    let report = report(&report_path);
    assert!(!report.to_string().contains(TOKEN));
    let b = line(&report, "acme/b");
    assert_eq!(b["status"], "failed");
    assert_eq!(b["attempts"], 1);
    assert_eq!(b["last_http_status"], 404);
    assert!(b["error"].as_str().unwrap().contains("HTTP 404"), "{b}");
    assert!(
        b["hint"].as_str().unwrap().contains("Contents: write"),
        "{b}"
    );
    let a = line(&report, "acme/a");
    assert_eq!(a["status"], "delivered");
    assert_eq!(a["attempts"], 1);
    assert_eq!(a["last_http_status"], 204);
    assert!(a["duration_ms"].is_u64());

    // --warn-only: the same failure, exit 0.
    dispatch(&repo, &config, &fake)
        .arg("--warn-only")
        .run()
        .success()
        .expect_stderr("--warn-only");
}

#[test]
fn unauthorized_and_invalid_requests_are_not_retried_and_say_what_to_check() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/a").add_repo("acme/b");
    fake.fail(Fault::new(FaultKind::Status(401)).repo("acme/a").always());
    fake.fail(Fault::new(FaultKind::Status(422)).repo("acme/b").always());
    let (repo, config) = source(&["acme/a", "acme/b"]);
    let out = dispatch(&repo, &config, &fake).run().expect_code(1);
    assert_no_token(&out);
    out.expect_stderr("HTTP 401")
        .expect_stderr("token is invalid or expired")
        .expect_stderr("HTTP 422")
        .expect_stderr("event_type");
    let requests = fake.requests();
    assert_eq!(dispatches_to(&requests, "acme/a").len(), 1);
    assert_eq!(dispatches_to(&requests, "acme/b").len(), 1);
}

#[test]
fn server_errors_and_dropped_connections_are_retried_with_backoff() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/a").add_repo("acme/b");
    fake.fail(Fault::new(FaultKind::Status(502)).repo("acme/a").times(2));
    fake.fail(Fault::new(FaultKind::Drop).repo("acme/b"));
    let (repo, config) = source(&["acme/a", "acme/b"]);
    let dir = tempfile::tempdir().unwrap();
    let report_path = dir.path().join("report.json");
    dispatch(&repo, &config, &fake)
        .arg("--report")
        .arg(&report_path)
        .run()
        .success();
    let requests = fake.requests();
    let a = dispatches_to(&requests, "acme/a");
    assert_eq!(a.len(), 3, "two failures then a success");
    // Base delay 200ms: the first backoff is 100..200ms, the second 200..400ms.
    assert!(gap(a[0], a[1]) >= Duration::from_millis(100), "{a:#?}");
    assert!(gap(a[1], a[2]) >= Duration::from_millis(200), "{a:#?}");
    assert_eq!(dispatches_to(&requests, "acme/b").len(), 2);
    assert_eq!(fake.dispatches("acme/a").len(), 1, "delivered once");
    assert_eq!(fake.dispatches("acme/b").len(), 1, "delivered once");
    let report = report(&report_path);
    assert_eq!(line(&report, "acme/a")["attempts"], 3);
    assert_eq!(line(&report, "acme/b")["attempts"], 2);
}

#[test]
fn a_slow_answer_times_out_and_is_retried() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/a");
    fake.fail(Fault::new(FaultKind::Slow(Duration::from_secs(3))).repo("acme/a"));
    let (repo, config) = source(&["acme/a"]);
    dispatch(&repo, &config, &fake)
        .args(["--request-timeout", "500ms"])
        .run()
        .success();
    assert_eq!(dispatches_to(&fake.requests(), "acme/a").len(), 2);
}

#[test]
fn retries_give_up_after_the_try_limit() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/a");
    fake.fail(Fault::new(FaultKind::Status(503)).repo("acme/a").always());
    let (repo, config) = source(&["acme/a"]);
    dispatch(&repo, &config, &fake)
        .args(["--max-attempts", "3"])
        .run()
        .expect_code(1)
        .expect_stderr("after 3 attempts");
    assert_eq!(dispatches_to(&fake.requests(), "acme/a").len(), 3);
}

#[test]
fn retry_after_is_honoured() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/a");
    fake.fail(Fault::new(FaultKind::RetryAfter { secs: 1 }).repo("acme/a"));
    let (repo, config) = source(&["acme/a"]);
    // A fallback wait of 10s would show if the headers were ignored.
    dispatch(&repo, &config, &fake)
        .env("ECOSYNC_MIN_RATE_LIMIT_WAIT", "10s")
        .run()
        .success();
    let requests = fake.requests();
    let a = dispatches_to(&requests, "acme/a");
    assert_eq!(a.len(), 2);
    assert!(gap(a[0], a[1]) >= Duration::from_millis(990), "{a:#?}");
    assert!(
        gap(a[0], a[1]) < Duration::from_secs(5),
        "no extra wait: {a:#?}"
    );
}

#[test]
fn an_exhausted_primary_limit_waits_until_the_reset_time() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/a");
    fake.fail(Fault::new(FaultKind::PrimaryLimit { reset_in_secs: 2 }).repo("acme/a"));
    let (repo, config) = source(&["acme/a"]);
    // A fallback wait of 10s would show if the headers were ignored.
    dispatch(&repo, &config, &fake)
        .env("ECOSYNC_MIN_RATE_LIMIT_WAIT", "10s")
        .run()
        .success();
    let requests = fake.requests();
    let a = dispatches_to(&requests, "acme/a");
    assert_eq!(a.len(), 2);
    // The reset is a whole second 2s after "now" on the server: between 1s and 2s later.
    assert!(gap(a[0], a[1]) >= Duration::from_millis(990), "{a:#?}");
    assert!(gap(a[0], a[1]) < Duration::from_secs(5), "{a:#?}");
}

#[test]
fn a_secondary_limit_without_headers_waits_the_configured_minimum() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/a").add_repo("acme/b");
    fake.fail(Fault::new(FaultKind::SecondaryLimit).repo("acme/a"));
    let (repo, config) = source(&["acme/a", "acme/b"]);
    // The minimum is lowered to 1.5s for the test (GitHub: at least a minute, the default).
    dispatch(&repo, &config, &fake)
        .args(["--concurrency", "2"])
        .run()
        .success();
    let requests = fake.requests();
    let a = dispatches_to(&requests, "acme/a");
    assert_eq!(a.len(), 2);
    assert!(gap(a[0], a[1]) >= Duration::from_millis(1490), "{a:#?}");
    // At most a quarter more for jitter, not a doubled or default (one minute) wait; room for a busy machine.
    assert!(gap(a[0], a[1]) < Duration::from_secs(4), "{a:#?}");
}

#[test]
fn under_actions_writes_summary_outputs_and_annotations_without_the_token() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/a");
    let (repo, config) = source(&["acme/a", "acme/missing"]);
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let output = dir.path().join("output.txt");
    let report_path = dir.path().join("report.json");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let out = dispatch(&repo, &config, &fake)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_SERVER_URL", "https://github.example")
        .env("GITHUB_RUN_ID", "4242")
        .env("GITHUB_TOKEN", TOKEN)
        .arg("--report")
        .arg(&report_path)
        .run()
        .expect_code(1);
    assert_no_token(&out);
    out.expect_stdout("::error title=ecosync dispatch::dispatch to acme/missing failed");
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary.starts_with("earlier step\n"),
        "appended, not replaced"
    );
    assert!(summary.contains("| `acme/a` | delivered |"), "{summary}");
    assert!(
        summary.contains("| `acme/missing` | **failed** |"),
        "{summary}"
    );
    let outputs = std::fs::read_to_string(&output).unwrap();
    assert!(
        outputs.contains("delivered=1\n") && outputs.contains("failed=1\n"),
        "{outputs}"
    );
    let report_text = std::fs::read_to_string(&report_path).unwrap();
    for text in [&summary, &outputs, &report_text] {
        assert!(!text.contains(TOKEN));
    }
    // The run URL is the dispatch id, so the subscriber can point back at this run.
    assert_eq!(
        fake.dispatches("acme/a")[0]["client_payload"]["dispatch_id"],
        "https://github.example/acme/source/actions/runs/4242"
    );

    // --warn-only turns the annotations into warnings.
    dispatch(&repo, &config, &fake)
        .env("GITHUB_ACTIONS", "true")
        .arg("--warn-only")
        .run()
        .success()
        .expect_stdout("::warning title=ecosync dispatch::");
}

#[test]
fn notify_issue_opens_one_issue_then_comments_on_it() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/source").add_repo("acme/a");
    let (repo, config) = source(&["acme/a", "acme/gone"]);
    dispatch(&repo, &config, &fake)
        .arg("--notify-issue")
        .run()
        .expect_code(1)
        .expect_stderr("opened issue #1");
    let issues = fake.issues("acme/source");
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0]["labels"][0]["name"], "ecosync");
    assert!(
        issues[0]["body"].as_str().unwrap().contains("`acme/gone`"),
        "{:#}",
        issues[0]
    );
    assert!(!issues[0]["body"].as_str().unwrap().contains("`acme/a`"));

    dispatch(&repo, &config, &fake)
        .arg("--notify-issue")
        .run()
        .expect_code(1)
        .expect_stderr("commented on issue #1");
    let issues = fake.issues("acme/source");
    assert_eq!(issues.len(), 1, "no second issue");
    assert!(
        issues[0]["comment_bodies"][0]
            .as_str()
            .unwrap()
            .contains("`acme/gone`")
    );
    assert_eq!(
        fake.requests_to("POST", "/repos/acme/source/issues").len(),
        1
    );
    assert!(fake.requests().iter().all(|r| !r.body.contains(TOKEN)));
}

#[test]
fn nothing_failed_means_no_issue() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/source").add_repo("acme/a");
    let (repo, config) = source(&["acme/a"]);
    dispatch(&repo, &config, &fake)
        .arg("--notify-issue")
        .run()
        .success();
    assert!(sent(&fake).iter().all(|r| !r.path.contains("/issues")));
}

#[test]
fn dry_run_prints_the_payloads_and_sends_nothing() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/a");
    let (repo, config) = source(&["acme/a", "acme/b"]);
    let out = dispatch(&repo, &config, &fake)
        .env_remove("ECOSYNC_TOKEN")
        .arg("--dry-run")
        .run()
        .success();
    let lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0]["repo"], "acme/a");
    assert_eq!(lines[1]["repo"], "acme/b");
    assert_eq!(lines[0]["event_type"], "upstream-update");
    assert_eq!(
        lines[0]["client_payload"]["commit_sha"],
        repo.rev("HEAD").to_string()
    );
    assert!(fake.requests().is_empty(), "a dry run sends nothing");
}

#[test]
fn a_missing_token_fails_before_anything_is_sent() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/a");
    let (repo, config) = source(&["acme/a"]);
    dispatch(&repo, &config, &fake)
        .env_remove("ECOSYNC_TOKEN")
        .run()
        .expect_code(2)
        .expect_stderr("no GitHub token")
        .expect_stderr("ECOSYNC_TOKEN");
    assert!(fake.requests().is_empty());
}

#[test]
fn the_local_forge_receives_exactly_the_planned_events() {
    let (repo, config) = source(&["acme/a", "acme/b"]);
    let forge = local_forge(&["acme/a", "acme/b"]);
    let plan = crate::support::plan::plan_json(
        &repo,
        &config,
        &["--base", "HEAD~1", "--head", "HEAD", "--ref", "main"],
    );
    dispatch_local(&repo, &config, forge.path()).run().success();
    for delivery in plan["deliveries"].as_array().unwrap() {
        let name = delivery["repo"].as_str().unwrap();
        let dir = forge.path().join(format!("{name}.forge/dispatches"));
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{name}: {files:?}");
        let event: Value =
            serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
        assert_eq!(event["action"], delivery["event_type"]);
        assert_eq!(event["repository"]["full_name"], name);
        assert!(event["sender"]["login"].is_string());
        let p = &event["client_payload"];
        assert_eq!(p["updated_features"], delivery["features"]);
        assert_eq!(p["changed_paths"], delivery["paths"]);
        assert_eq!(p["base_sha"], plan["base"]);
        assert_eq!(p["commit_sha"], plan["head"]);
        assert_eq!(p["source_repo"], "acme/source");
    }
    // Nothing but the dispatch files and the bare repositories.
    let mut owners: Vec<_> = std::fs::read_dir(forge.path().join("acme"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    owners.sort();
    assert_eq!(owners, ["a.forge", "a.git", "b.forge", "b.git"]);
}

#[test]
fn github_app_auth_looks_up_each_installation_once_and_uses_its_token() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/a")
        .add_repo("acme/b")
        .add_repo("other/c");
    let (repo, config) = source(&["acme/a", "acme/b", "other/c"]);
    let dir = tempfile::tempdir().unwrap();
    let key = crate::support::test_app_key(dir.path());
    let out = dispatch(&repo, &config, &fake)
        .env_remove("ECOSYNC_TOKEN")
        .args(["--app-id", "12345", "--app-key-file"])
        .arg(&key)
        .run();
    let out = out.success();
    let pem = std::fs::read_to_string(&key).unwrap();
    let secret_line = pem.lines().nth(1).unwrap();
    assert!(!out.stderr.contains(secret_line) && !out.stdout.contains(secret_line));
    let requests = fake.requests();
    let lookups: Vec<&str> = requests
        .iter()
        .filter(|r| r.path.ends_with("/installation"))
        .map(|r| r.path.as_str())
        .collect();
    // One installation per owner, looked up with the app's JWT and cached.
    assert_eq!(
        lookups,
        ["/repos/acme/a/installation", "/repos/other/c/installation"]
    );
    assert!(
        requests
            .iter()
            .filter(|r| r.path.ends_with("/installation") || r.path.starts_with("/app/"))
            .all(|r| r.auth_kind == Some("jwt"))
    );
    let sent: Vec<&Recorded> = requests
        .iter()
        .filter(|r| r.path.ends_with("/dispatches"))
        .collect();
    assert_eq!(sent.len(), 3);
    assert!(
        sent.iter().all(|r| r.auth_kind == Some("installation")),
        "{sent:#?}"
    );
}

#[test]
fn a_bad_app_key_is_reported_before_anything_is_sent() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/a");
    let (repo, config) = source(&["acme/a"]);
    let out = dispatch(&repo, &config, &fake)
        .env("APP_KEY", "not a key")
        .args(["--app-id", "1", "--app-key-env", "APP_KEY"])
        .run()
        .expect_code(2);
    out.expect_stderr("variable `APP_KEY`")
        .expect_stderr("RSA private key");
    assert!(fake.requests().is_empty());
}

#[test]
fn an_enterprise_server_api_root_keeps_its_path_and_gets_the_token() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/a");
    let (repo, config) = source(&["acme/a"]);
    dispatch_at(&repo, &config, &format!("{}/api/v3", fake.url()))
        .run()
        .success();
    let requests = sent(&fake);
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/api/v3/repos/acme/a/dispatches");
    assert!(requests[0].authorized);
}

#[test]
fn the_local_forge_keeps_one_failure_issue_in_the_source_repository() {
    let (repo, config) = source(&["acme/a", "acme/missing"]);
    let forge = local_forge(&["acme/a", "acme/source"]);
    let run = || {
        dispatch_local(&repo, &config, forge.path())
            .arg("--notify-issue")
            .run()
            .expect_code(1)
    };
    run()
        .expect_stderr("git init --bare")
        .expect_stderr("opened issue #1");
    run().expect_stderr("commented on issue #1");
    let issues = forge.path().join("acme/source.forge/issues");
    let files: Vec<_> = std::fs::read_dir(&issues).unwrap().collect();
    assert_eq!(files.len(), 1, "one issue");
    let issue: Value =
        serde_json::from_str(&std::fs::read_to_string(issues.join("1.json")).unwrap()).unwrap();
    assert_eq!(issue["state"], "open");
    assert_eq!(issue["labels"], json!(["ecosync"]));
    assert!(issue["body"].as_str().unwrap().contains("`acme/missing`"));
    assert_eq!(issue["comments"].as_array().unwrap().len(), 1);
    // The delivered repository got both runs' events.
    let events = std::fs::read_dir(forge.path().join("acme/a.forge/dispatches"))
        .unwrap()
        .count();
    assert_eq!(events, 2);
}

#[test]
fn a_rate_limit_wait_is_one_line_at_the_default_level_and_a_retried_request_logs_no_error() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/a").add_repo("acme/b");
    fake.fail(Fault::new(FaultKind::SecondaryLimit).repo("acme/a"));
    fake.fail(Fault::new(FaultKind::Status(502)).repo("acme/b"));
    let (repo, config) = source(&["acme/a", "acme/b"]);
    // No ECOSYNC_LOG: the default level.
    let out = dispatch(&repo, &config, &fake)
        .env_remove("ECOSYNC_LOG")
        .run()
        .success();
    assert_no_token(&out);
    let out = out.expect_stderr("2 delivered, 0 failed");
    let waits: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("for GitHub's rate limit"))
        .collect();
    assert_eq!(waits.len(), 1, "one line for the one wait\n{out}");
    let wait = waits[0];
    assert!(wait.contains("WARN"), "{out}");
    // The configured minimum is 1.5s, plus up to a quarter for jitter.
    assert!(
        wait.contains("waiting 1.") && wait.contains(" s for GitHub's rate limit, until "),
        "{out}"
    );
    let until = wait
        .strip_suffix(" UTC")
        .and_then(|w| w.rsplit(' ').next())
        .unwrap_or_else(|| panic!("no `HH:MM:SS UTC` at the end of {wait:?}"));
    let fields: Vec<&str> = until.split(':').collect();
    assert!(
        fields.len() == 3
            && fields
                .iter()
                .all(|f| f.len() == 2 && f.parse::<u8>().is_ok()),
        "{until:?} is not HH:MM:SS\n{out}"
    );
    // The 502 was retried and succeeded: not an error for anyone; retries are logged at debug only.
    assert!(!out.stderr.contains("ERROR"), "{out}");
    assert!(!out.stderr.contains("retrying"), "{out}");
    assert_eq!(dispatches_to(&fake.requests(), "acme/b").len(), 2);
}

#[test]
fn the_api_root_comes_from_the_flag_then_ecosync_api_url_then_github_api_url() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/a");
    let (repo, config) = source(&["acme/a"]);
    // Nothing listens there: a request sent to it fails at once (one try).
    let nowhere = "http://127.0.0.1:9";
    let run = |extra: &[&str], env: &[(&str, &str)]| {
        let mut cmd = Cmd::dispatcher()
            .dir(repo.path())
            .args([
                "dispatch", "--base", "HEAD~1", "--head", "HEAD", "--ref", "main",
            ])
            .arg("--config")
            .arg(config.path())
            .args(["--source-repo", "acme/source", "--max-attempts", "1"])
            .args(extra)
            .env("ECOSYNC_MIN_INTERVAL", "0")
            .env("ECOSYNC_TOKEN", TOKEN)
            .timeout(Duration::from_secs(60));
        for (k, v) in env {
            cmd = cmd.env(*k, v);
        }
        cmd.run()
    };
    let url = fake.url();
    run(
        &["--api-url", &url],
        &[("ECOSYNC_API_URL", nowhere), ("GITHUB_API_URL", nowhere)],
    )
    .success();
    run(
        &[],
        &[("ECOSYNC_API_URL", &url), ("GITHUB_API_URL", nowhere)],
    )
    .success();
    run(&[], &[("GITHUB_API_URL", &url)]).success();
    run(&[], &[("ECOSYNC_API_URL", ""), ("GITHUB_API_URL", &url)]).success();
    assert_eq!(fake.dispatches("acme/a").len(), 4);
    // And the other way round, to show the runs above would have failed on the wrong root.
    run(
        &[],
        &[("ECOSYNC_API_URL", nowhere), ("GITHUB_API_URL", &url)],
    )
    .expect_code(1);
    assert_eq!(fake.dispatches("acme/a").len(), 4);
}

/// Without `--source-repo` (and outside Actions) the source repository is read from the clone's `origin`;
/// a clone without one is a usage error that says which flag to pass, and nothing is sent.
#[test]
fn the_source_repository_comes_from_origin() {
    let forge = local_forge(&["acme/a", "acme/source"]);
    let (repo, config) = source(&["acme/a"]);
    let dispatch = || {
        crate::support::dispatch::dispatch_cmd_from_origin(&repo, &config)
            .arg("--forge")
            .arg(format!("local:{}", forge.path().display()))
            .env("ECOSYNC_MIN_INTERVAL", "0")
            .timeout(Duration::from_secs(60))
            .run()
    };
    dispatch()
        .expect_code(2)
        .expect_stderr("has no `origin` remote")
        .expect_stderr("hint: pass `--source-repo OWNER/NAME`");
    let git = git2::Repository::open(repo.path()).unwrap();
    let origin = forge.path().join("acme/source.git");
    git.remote("origin", origin.to_str().unwrap()).unwrap();
    repo.push(&origin, "main");
    let out = dispatch().success();
    let events = ecosync::forge::LocalForge::new(forge.path())
        .dispatches(&ecosync::RepoName::parse("acme/a").unwrap())
        .unwrap();
    assert_eq!(events.len(), 1, "{out}");
    assert_eq!(events[0]["client_payload"]["source_repo"], "acme/source");
}

/// SIGTERM stops the run between requests: the report says what was sent and what was not, the exit status
/// says it was interrupted, the watermark is not moved, and `--retry-failed REPORT` sends exactly the rest.
#[test]
fn sigterm_stops_between_requests_and_retry_failed_sends_the_rest() {
    let fake = FakeGitHub::start();
    let names: Vec<String> = (0..6).map(|i| format!("acme/r{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    for n in &names {
        fake.add_repo(n);
    }
    fake.set_latency(Duration::from_millis(300));
    let (repo, config) = source(&names);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let out = dispatch(&repo, &config, &fake)
        .arg("--report")
        .arg(&report)
        .run_with(|pid| {
            std::thread::sleep(Duration::from_millis(800));
            let killed = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .unwrap();
            assert!(killed.success());
        })
        .expect_code(130);
    let out = out.expect_stderr("stopped by SIGTERM");
    let first: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(first["interrupted"], "SIGTERM", "{first:#}");
    let statuses: Vec<&str> = first["repos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    let sent = statuses.iter().filter(|s| **s == "delivered").count();
    let unsent = statuses.iter().filter(|s| **s == "unsent").count();
    assert!(
        sent >= 1 && unsent >= 1 && sent + unsent == 6,
        "{statuses:?}\n{out}"
    );
    let dispatched = |repo: &str| dispatches_to(&fake.requests(), repo).len();
    assert_eq!(names.iter().map(|n| dispatched(n)).sum::<usize>(), sent);

    let out = dispatch(&repo, &config, &fake)
        .arg("--retry-failed")
        .arg(&report)
        .run()
        .success();
    let out = out.expect_stderr(&format!("retrying {unsent} of the 6 planned dispatches"));
    for n in &names {
        assert_eq!(dispatched(n), 1, "{n} got its dispatch exactly once\n{out}");
    }
}

/// Opening the failure issue whose answer is lost (the issue was created, the connection dropped) looks
/// again before the retry: one issue, not two.
#[test]
fn a_failure_issue_whose_answer_was_lost_is_not_opened_twice() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/a").add_repo("acme/source");
    fake.fail(
        Fault::new(FaultKind::LoseAnswer)
            .method("POST")
            .path("/issues"),
    );
    let (repo, config) = source(&["acme/a", "acme/missing"]);
    let out = dispatch(&repo, &config, &fake)
        .arg("--notify-issue")
        .run()
        .expect_code(1)
        .expect_stderr("opened issue #1");
    assert_eq!(fake.issues("acme/source").len(), 1, "{out}");
    assert_eq!(
        fake.requests_to("POST", "/repos/acme/source/issues").len(),
        1,
        "{out}"
    );
}
