//! Servers that hang, and commands that give up on them in time: the API (`dispatch`, `doctor`, `apply`,
//! `watch`) and a git remote (`apply`'s upstream fetch, `forecast`, `dispatcher watch --source-url`,
//! `subscriber watch`) that never answer, stall after the headers, or drip a byte a second. Each of the 24
//! combinations gives up within its configured bound plus five seconds, says why, and still serves what
//! does not depend on the hanging server.
//!
//! The bounds: an API request gets `--request-timeout 2s` a try and `--max-retry-time 4s` in all; git gets
//! `--request-timeout 2s` for connecting, for the headers and as the window of its low-speed limit. Each
//! test prints one line of the hang table (`cargo test hangs:: -- --nocapture`).

use std::io::{Read as _, Write as _};
use std::time::Duration;

use ecosync::demo::DemoSample;
use serde_json::json;

use crate::support::dispatch::{dispatch_cmd, source};
use crate::support::fake_github::{FakeGitHub, Fault, FaultKind, Misbehavior};
use crate::support::plan::Config;
use crate::support::subscriber_fixture::{Pair, config, mapped};
use crate::support::{Cmd, Output, demo};

const TOKEN: &str = "test-token-not-secret";

/// The API's bounds: two seconds a try, four for a request with all its tries.
const API_BOUNDS: [&str; 6] = [
    "--request-timeout",
    "2s",
    "--max-retry-time",
    "4s",
    "--max-attempts",
    "3",
];
const API_BOUND: Duration = Duration::from_secs(4);

/// git's bound: two seconds to connect, for the headers, and as the low-speed window.
const GIT_BOUNDS: [&str; 2] = ["--request-timeout", "2s"];
const GIT_BOUND: Duration = Duration::from_secs(2);

/// What every command is allowed past its bound.
const GRACE: Duration = Duration::from_secs(5);

/// The line every run must show: why it gave up.
const API_GAVE_UP: &str = "no complete answer within";

/// Checks the run ended within `bound` and the grace, and prints its line of the table.
fn within(command: &str, server: &str, how: Misbehavior, bound: Duration, out: &Output) {
    println!(
        "hang table | {command:<32} | {server:<3} {:<24} | bound {:>2} s | gave up after {:>5.1} s",
        how.name(),
        bound.as_secs(),
        out.elapsed.as_secs_f64()
    );
    assert!(
        out.elapsed <= bound + GRACE,
        "{command} against a{} server that {} took {:?}, more than {:?} + {:?}\n{out}",
        if server == "API" { "n API" } else { " git" },
        how.name(),
        out.elapsed,
        bound,
        GRACE
    );
}

/// `dispatcher dispatch` to `acme/a`, whose API hangs, and `acme/b`: `acme/b` receives its dispatch, the
/// run fails naming the timeout.
fn dispatch(how: Misbehavior) {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/a").add_repo("acme/b");
    fake.fail(Fault::new(FaultKind::Hang(how)).repo("acme/a").always());
    let (repo, config) = source(&["acme/a", "acme/b"]);
    let out = dispatch_cmd(&repo, &config)
        .args(["--api-url", &fake.url()])
        .args(API_BOUNDS)
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .env("ECOSYNC_TOKEN", TOKEN)
        .env("ECOSYNC_RETRY_BASE_DELAY", "200ms")
        .timeout(Duration::from_secs(60))
        .run();
    within("dispatcher dispatch", "API", how, API_BOUND, &out);
    let out = out.expect_code(1).expect_stderr(API_GAVE_UP);
    assert_eq!(fake.dispatches("acme/b").len(), 1, "{out}");
    assert!(fake.dispatches("acme/a").is_empty(), "{out}");
}

/// `dispatcher doctor` with `acme/a`'s API hanging: its checks fail naming the timeout, `acme/b`'s pass.
fn doctor(how: Misbehavior) {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/source")
        .add_repo("acme/a")
        .add_repo("acme/b");
    fake.fail(Fault::new(FaultKind::Hang(how)).repo("acme/a").always());
    let config = Config::new(&json!([
        {"repo": "acme/a", "subscriptions": ["a/**"]},
        {"repo": "acme/b", "subscriptions": ["b/**"]},
    ]));
    let dir = tempfile::tempdir().unwrap();
    let out = Cmd::dispatcher()
        .args(["doctor", "--forge", "github", "--format", "json"])
        .args(["--source-repo", "acme/source"])
        .arg("--config")
        .arg(config.path())
        .arg("--repo")
        .arg(dir.path())
        .args(API_BOUNDS)
        .env("GITHUB_API_URL", fake.url())
        .env("ECOSYNC_TOKEN", TOKEN)
        .env("ECOSYNC_RETRY_BASE_DELAY", "200ms")
        .timeout(Duration::from_secs(60))
        .run();
    within("dispatcher doctor", "API", how, API_BOUND, &out);
    let out = out.expect_code(1);
    let report = out.json();
    let checks = report["checks"].as_array().expect("checks");
    let about = |repo: &str| -> Vec<&serde_json::Value> {
        checks
            .iter()
            .filter(|c| c["check"].as_str().unwrap_or("").contains(repo))
            .collect()
    };
    let a = about("acme/a");
    assert!(!a.is_empty(), "{out}");
    assert!(a.iter().any(|c| c["result"] == "fail"), "{out}");
    assert!(out.stdout.contains(API_GAVE_UP), "{out}");
    let b = about("acme/b");
    assert!(
        !b.is_empty() && b.iter().all(|c| c["result"] == "ok"),
        "{out}"
    );
}

/// `subscriber apply --latest` whose cousin's API hangs: the sync fails naming the timeout, and its
/// failure is still reported in the upstream repository, whose API answers.
fn apply_api(how: Misbehavior) {
    let p = Pair::new(config(mapped(), "diff-apply"));
    let fake = FakeGitHub::start();
    fake.add_repo("acme/cousin").add_repo("acme/mono");
    fake.fail(
        Fault::new(FaultKind::Hang(how))
            .repo("acme/cousin")
            .always(),
    );
    let out = apply_against(&p, &fake).args(API_BOUNDS).run();
    within("subscriber apply", "API", how, API_BOUND, &out);
    assert_ne!(out.code, Some(0), "{out}");
    assert!(
        out.stderr.contains(API_GAVE_UP) || out.stdout.contains(API_GAVE_UP),
        "{out}"
    );
    assert!(fake.pulls("acme/cousin").is_empty(), "{out}");
    assert_eq!(
        fake.issues("acme/mono").len(),
        1,
        "the failure is reported upstream\n{out}"
    );
}

/// `subscriber apply --latest` of the cousin against `fake`, pushing to the pair's forge.
fn apply_against(p: &Pair, fake: &FakeGitHub) -> Cmd {
    p.push_cousin();
    Cmd::subscriber()
        .arg("apply")
        .arg("--repo")
        .arg(p.cousin.path())
        .args(["--api-url", &fake.url(), "--latest"])
        .arg("--cousin-url")
        .arg(p.forge_repo("cousin"))
        .env("GITHUB_REPOSITORY", "acme/cousin")
        .env("ECOSYNC_TOKEN", TOKEN)
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .env("ECOSYNC_RETRY_BASE_DELAY", "200ms")
        .timeout(Duration::from_secs(60))
}

/// A source clone whose `origin` is a local bare repository, with `acme/a` and `acme/b` subscribed.
struct WatchedSource {
    _repo: crate::support::Repo,
    config: Config,
    _bare: tempfile::TempDir,
    clone: tempfile::TempDir,
    state: tempfile::TempDir,
}

impl WatchedSource {
    fn new() -> Self {
        let (repo, config) = source(&["acme/a", "acme/b"]);
        let bare = tempfile::tempdir().unwrap();
        git2::Repository::init_bare(bare.path()).unwrap();
        repo.push(bare.path(), "main");
        let clone = tempfile::tempdir().unwrap();
        git2::Repository::clone(bare.path().to_str().unwrap(), clone.path()).unwrap();
        WatchedSource {
            _repo: repo,
            config,
            _bare: bare,
            clone,
            state: tempfile::tempdir().unwrap(),
        }
    }
}

/// `dispatcher watch --startup-sync --max-polls 1` delivering to `acme/a`, whose API hangs, and `acme/b`:
/// `acme/b` receives its dispatch, `acme/a` is kept for a retry with the timeout as its error.
fn watch_api(how: Misbehavior) {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/source")
        .add_repo("acme/a")
        .add_repo("acme/b");
    fake.fail(Fault::new(FaultKind::Hang(how)).repo("acme/a").always());
    let s = WatchedSource::new();
    let out = Cmd::dispatcher()
        .arg("watch")
        .arg("--repo")
        .arg(s.clone.path())
        .arg("--config")
        .arg(s.config.path())
        .arg("--state-dir")
        .arg(s.state.path())
        .args([
            "--startup-sync",
            "--max-polls",
            "1",
            "--source-repo",
            "acme/source",
        ])
        .args(["--api-url", &fake.url()])
        .args(API_BOUNDS)
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .env("ECOSYNC_TOKEN", TOKEN)
        .env("ECOSYNC_RETRY_BASE_DELAY", "200ms")
        .timeout(Duration::from_secs(60))
        .run();
    within("dispatcher watch", "API", how, API_BOUND, &out);
    let out = out.success().expect_stderr(API_GAVE_UP);
    assert_eq!(fake.dispatches("acme/b").len(), 1, "{out}");
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(s.state.path().join("watch-state.json")).unwrap(),
    )
    .unwrap();
    let pending = &state["branches"]["main"]["pending"];
    assert!(pending.get("acme/a").is_some(), "{state:#}\n{out}");
    assert!(pending.get("acme/b").is_none(), "{state:#}\n{out}");
}

/// A pair whose upstream is `acme/mono` on `fake`'s git, which serves the pair's forge.
fn pair_over_fake_git(fake: &FakeGitHub) -> Pair {
    let mut cfg = config(mapped(), "diff-apply");
    cfg["upstream"]["url"] = json!(format!("{}/acme/mono.git", fake.url()));
    let p = Pair::new(cfg);
    fake.serve_git(p.forge.path());
    p
}

/// `subscriber apply --latest` whose upstream git remote hangs: the sync fails naming the remote, and its
/// failure is reported in the upstream repository, whose API answers.
fn apply_git(how: Misbehavior) {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/cousin").add_repo("acme/mono");
    let p = pair_over_fake_git(&fake);
    fake.fail(
        Fault::new(FaultKind::Hang(how))
            .path("/acme/mono.git/")
            .always(),
    );
    let out = apply_against(&p, &fake).args(GIT_BOUNDS).run();
    within(
        "subscriber apply (upstream fetch)",
        "git",
        how,
        GIT_BOUND,
        &out,
    );
    assert_ne!(out.code, Some(0), "{out}");
    assert!(
        out.stdout.contains("/acme/mono.git") || out.stderr.contains("/acme/mono.git"),
        "{out}"
    );
    assert!(fake.pulls("acme/cousin").is_empty(), "{out}");
    assert_eq!(
        fake.issues("acme/mono").len(),
        1,
        "the failure is reported upstream\n{out}"
    );
}

/// `dispatcher forecast` over the demo's targets, one of whose git remotes hangs: that one is unknown with
/// the reason, the others are forecast.
fn forecast(how: Misbehavior) {
    let tmp = tempfile::tempdir().unwrap();
    let sample = demo::sample(tmp.path());
    let fake = demo::fake_github();
    fake.serve_git(&sample.forge_dir());
    let hung = "acme/flask-webpush";
    fake.fail(
        Fault::new(FaultKind::Hang(how))
            .path(&format!("/{hung}.git/"))
            .always(),
    );
    let head = sample.push_update().unwrap();
    let out = Cmd::dispatcher()
        .args([
            "forecast",
            "--ref",
            "main",
            "--format",
            "json",
            "--concurrency",
            "4",
        ])
        .args([
            "--base",
            &sample.first.to_string(),
            "--head",
            &head.to_string(),
        ])
        .arg("--repo")
        .arg(sample.work_dir(DemoSample::source().as_str()))
        .args(["--api-url", &fake.url()])
        .args(GIT_BOUNDS)
        .env("ECOSYNC_TOKEN", TOKEN)
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .timeout(Duration::from_secs(60))
        .run();
    within("dispatcher forecast", "git", how, GIT_BOUND, &out);
    let json = out.json();
    let targets = json["targets"].as_array().expect("targets");
    let hung_target = targets
        .iter()
        .find(|t| t["repo"] == hung)
        .expect("the hung target");
    assert_eq!(hung_target["result"], "unknown", "{out}");
    let reason = hung_target["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(&format!("{hung}.git")), "{reason}\n{out}");
    let others: Vec<_> = targets.iter().filter(|t| t["repo"] != hung).collect();
    assert!(!others.is_empty(), "{out}");
    assert!(others.iter().all(|t| t["result"] != "unknown"), "{out}");
}

/// `GET path` on `addr`, by hand (a test's own client, bounded): the status line.
fn http_get_status(addr: &str, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).expect("connect to the status server");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    text.lines().next().unwrap_or_default().to_owned()
}

/// A free loopback address for `--listen`.
fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

/// `dispatcher watch --source-url` of a git remote that hangs: the poll fails naming the remote, the
/// watcher goes on (and exits after its one poll), and its status page answers meanwhile.
fn watch_source_url(how: Misbehavior) {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/source").add_repo("acme/a");
    let forge = tempfile::tempdir().unwrap();
    let (repo, config) = source(&["acme/a"]);
    let bare = forge.path().join("acme/source.git");
    git2::Repository::init_bare(&bare).unwrap();
    repo.push(&bare, "main");
    fake.serve_git(forge.path());
    fake.fail(
        Fault::new(FaultKind::Hang(how))
            .path("/acme/source.git/")
            .always(),
    );
    let state = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let mut status = String::new();
    let out = Cmd::dispatcher()
        .arg("watch")
        .args(["--source-url", &format!("{}/acme/source.git", fake.url())])
        .arg("--config")
        .arg(config.path())
        .arg("--state-dir")
        .arg(state.path())
        .args([
            "--max-polls",
            "1",
            "--source-repo",
            "acme/source",
            "--listen",
            &addr,
        ])
        .args(["--api-url", &fake.url()])
        .args(GIT_BOUNDS)
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .env("ECOSYNC_TOKEN", TOKEN)
        .timeout(Duration::from_secs(60))
        .run_with(|_| {
            std::thread::sleep(Duration::from_millis(800));
            status = http_get_status(&addr, "/healthz");
        });
    within("dispatcher watch --source-url", "git", how, GIT_BOUND, &out);
    let out = out.success().expect_stderr("poll failed");
    assert!(out.stderr.contains("/acme/source.git"), "{out}");
    assert!(status.starts_with("HTTP/1.1 200"), "{status}\n{out}");
}

/// `subscriber watch` of an upstream whose git remote hangs: the poll fails naming the remote, the watcher
/// goes on (and exits after its one poll).
fn subscriber_watch(how: Misbehavior) {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/cousin").add_repo("acme/mono");
    let p = pair_over_fake_git(&fake);
    fake.fail(
        Fault::new(FaultKind::Hang(how))
            .path("/acme/mono.git/")
            .always(),
    );
    let state = tempfile::tempdir().unwrap();
    p.push_cousin();
    let out = Cmd::subscriber()
        .arg("watch")
        .arg("--repo")
        .arg(p.cousin.path())
        .arg("--state-dir")
        .arg(state.path())
        .args(["--max-polls", "1", "--interval", "1s"])
        .args(["--api-url", &fake.url()])
        .arg("--cousin-url")
        .arg(p.forge_repo("cousin"))
        .args(GIT_BOUNDS)
        .env("GITHUB_REPOSITORY", "acme/cousin")
        .env("ECOSYNC_TOKEN", TOKEN)
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .timeout(Duration::from_secs(60))
        .run();
    within("subscriber watch", "git", how, GIT_BOUND, &out);
    let out = out.success().expect_stderr("poll failed");
    assert!(out.stderr.contains("/acme/mono.git"), "{out}");
}

/// One test per scenario and way of hanging.
macro_rules! hang_tests {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                use super::*;

                #[test]
                fn never_answers() {
                    super::$scenario(Misbehavior::NeverAnswer);
                }

                #[test]
                fn stalls_after_the_headers() {
                    super::$scenario(Misbehavior::StallAfterHeaders);
                }

                #[test]
                fn drips_a_byte_a_second() {
                    super::$scenario(Misbehavior::Drip);
                }
            }
        )*
    };
}

hang_tests!(
    dispatch,
    doctor,
    apply_api,
    watch_api,
    apply_git,
    forecast,
    watch_source_url,
    subscriber_watch,
);
