//! `dispatcher watch` on the local forge: a push is delivered within a few intervals, exactly once, also
//! across a SIGKILL and a restart; SIGTERM exits 0 promptly with the state written; a corrupt or newer state
//! file is an error, never a silent reset.

use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::support::dispatch::{local_forge, source};
use crate::support::plan::Config;
use crate::support::{Cmd, Repo};

/// A developer's clone that pushes to the forge's `acme/source`, and the watcher's own clone of it.
struct Scene {
    dev: Repo,
    config: Config,
    forge: tempfile::TempDir,
    clone: tempfile::TempDir,
    state: tempfile::TempDir,
}

impl Scene {
    fn new() -> Scene {
        let (dev, config) = source(&["acme/cousin"]);
        let forge = local_forge(&["acme/source", "acme/cousin"]);
        dev.push(&forge.path().join("acme/source.git"), "main");
        let clone = tempfile::tempdir().unwrap();
        git2::Repository::clone(
            forge.path().join("acme/source.git").to_str().unwrap(),
            clone.path(),
        )
        .unwrap();
        Scene {
            dev,
            config,
            forge,
            clone,
            state: tempfile::tempdir().unwrap(),
        }
    }

    fn watch(&self) -> Cmd {
        Cmd::dispatcher()
            .arg("watch")
            .arg("--repo")
            .arg(self.clone.path())
            .arg("--config")
            .arg(self.config.path())
            .arg("--state-dir")
            .arg(self.state.path())
            .args(["--interval", "150ms", "--source-repo", "acme/source"])
            .arg("--forge")
            .arg(format!("local:{}", self.forge.path().display()))
            .env("ECOSYNC_MIN_INTERVAL", "0")
            .timeout(Duration::from_secs(60))
    }

    /// Commits a change to `src/` and pushes it.
    fn push_change(&self, n: u32) -> git2::Oid {
        self.dev.write("src/lib.rs", format!("fn v{n}() {{}}"));
        let id = self.dev.commit(&format!("change {n}"));
        self.dev
            .push(&self.forge.path().join("acme/source.git"), "main");
        id
    }

    fn dispatches(&self) -> Vec<serde_json::Value> {
        ecosync::forge::LocalForge::new(self.forge.path())
            .dispatches(&ecosync::RepoName::parse("acme/cousin").unwrap())
            .unwrap_or_default()
    }

    fn recorded_head(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.state.path().join("watch-state.json")).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        v["branches"]["main"]["head"].as_str().map(str::to_owned)
    }
}

/// Waits up to 20 seconds for `done`.
fn wait_for(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn signal(pid: u32, s: Signal) {
    kill(Pid::from_raw(i32::try_from(pid).unwrap()), s).unwrap();
}

fn commit_sha(dispatch: &serde_json::Value) -> String {
    dispatch["client_payload"]["commit_sha"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_push_is_delivered_once_and_sigterm_writes_the_state() {
    let s = Scene::new();
    let start_head = s.dev.head().to_string();
    let mut pushed = None;
    let audit = s.state.path().join("audit.jsonl");
    let out = s.watch().arg("--audit-log").arg(&audit).run_with(|pid| {
        // The first poll records the head without delivering it.
        wait_for("the first poll", || s.recorded_head().is_some());
        assert_eq!(s.recorded_head().as_deref(), Some(start_head.as_str()));
        assert!(s.dispatches().is_empty());
        let c = s.push_change(1);
        pushed = Some(c);
        wait_for("the delivery", || !s.dispatches().is_empty());
        // A few more intervals: nothing is sent twice.
        std::thread::sleep(Duration::from_millis(600));
        signal(pid, Signal::SIGTERM);
    });
    let out = out.success();
    assert!(
        out.stderr.contains("stopped by SIGTERM: state written"),
        "{out}"
    );
    assert!(out.stderr.contains("acme/cousin: delivered"), "{out}");
    let dispatches = s.dispatches();
    assert_eq!(dispatches.len(), 1, "{out}");
    let pushed = pushed.unwrap().to_string();
    assert_eq!(commit_sha(&dispatches[0]), pushed);
    assert_eq!(s.recorded_head(), Some(pushed.clone()));
    let audit: Vec<serde_json::Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["action"], "dispatch_sent");
    assert_eq!(audit[0]["target"], "acme/cousin");
    assert_eq!(audit[0]["source_commit"], pushed.as_str());
}

#[test]
fn a_killed_watcher_restarts_without_delivering_twice() {
    let s = Scene::new();
    let first = s.watch().run_with(|pid| {
        wait_for("the first poll", || s.recorded_head().is_some());
        s.push_change(1);
        wait_for("the first delivery", || s.dispatches().len() == 1);
        signal(pid, Signal::SIGKILL);
    });
    assert_eq!(first.code, None, "killed\n{first}");
    // Pushed while it was down: delivered at restart, with nothing before it again.
    let c2 = s.push_change(2);
    let second = s.watch().run_with(|pid| {
        wait_for("the delivery after the restart", || {
            s.dispatches().len() >= 2
        });
        std::thread::sleep(Duration::from_millis(600));
        signal(pid, Signal::SIGTERM);
    });
    let second = second.success();
    let shas: Vec<String> = s.dispatches().iter().map(commit_sha).collect();
    assert_eq!(shas.len(), 2, "nothing delivered twice\n{second}");
    assert_eq!(shas[1], c2.to_string(), "{second}");
}

#[test]
fn a_corrupt_or_newer_state_file_is_an_error() {
    let s = Scene::new();
    let file = s.state.path().join("watch-state.json");
    std::fs::write(&file, "{\"version\": 99, \"branches\": {}}").unwrap();
    s.watch()
        .run()
        .expect_code(1)
        .expect_stderr("written by a newer ecosync");
    std::fs::write(&file, "not json").unwrap();
    let out = s.watch().run().expect_code(1);
    assert!(out.stderr.contains("is not a watch state file"), "{out}");
    assert!(out.stderr.contains("hint:"), "{out}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "not json",
        "never reset"
    );
}

#[test]
fn pushes_during_a_failure_are_delivered_after_recovery_and_the_breaker_opens_and_closes() {
    let s = Scene::new();
    let cousin = s.forge.path().join("acme/cousin.git");
    let before = s.dev.head().to_string();
    let mut last = None;
    let out = s
        .watch()
        .args(["--retry-delay", "100ms", "--retry-max-delay", "200ms"])
        .args(["--breaker-threshold", "3", "--breaker-cooldown", "1s"])
        .run_with(|pid| {
            wait_for("the first poll", || s.recorded_head().is_some());
            // The target is gone: its deliveries fail.
            std::fs::remove_dir_all(&cousin).unwrap();
            s.push_change(1);
            std::thread::sleep(Duration::from_millis(400));
            last = Some(s.push_change(2));
            // Enough failures to open the circuit.
            std::thread::sleep(Duration::from_millis(1500));
            git2::Repository::init_bare(&cousin).unwrap();
            wait_for("the delivery after recovery", || !s.dispatches().is_empty());
            std::thread::sleep(Duration::from_millis(400));
            signal(pid, Signal::SIGTERM);
        });
    let out = out.success();
    assert!(
        out.stderr.contains("acme/cousin: failed (1 in a row)"),
        "{out}"
    );
    assert!(out.stderr.contains("circuit open"), "{out}");
    let dispatches = s.dispatches();
    assert_eq!(dispatches.len(), 1, "one delivery for both pushes\n{out}");
    let payload = &dispatches[0]["client_payload"];
    assert_eq!(payload["base_sha"], before.as_str(), "{out}");
    assert_eq!(
        commit_sha(&dispatches[0]),
        last.unwrap().to_string(),
        "{out}"
    );
    // Recovered: nothing is left pending.
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(s.state.path().join("watch-state.json")).unwrap(),
    )
    .unwrap();
    assert!(
        state["branches"]["main"].get("pending").is_none(),
        "{state}"
    );
}

#[test]
fn min_changes_holds_a_small_range_until_the_next_push_and_only_filters_targets() {
    let s = Scene::new();
    let before = s.dev.head().to_string();
    let out = s
        .watch()
        .args(["--min-changes", "2", "--only", "acme/*"])
        .run_with(|pid| {
            wait_for("the first poll", || s.recorded_head().is_some());
            s.push_change(1);
            std::thread::sleep(Duration::from_millis(500));
            assert!(s.dispatches().is_empty(), "one changed path is held back");
            s.dev.write("docs/guide.md", "guide 2");
            s.dev.commit("docs");
            s.dev.push(&s.forge.path().join("acme/source.git"), "main");
            wait_for("the delivery", || !s.dispatches().is_empty());
            signal(pid, Signal::SIGTERM);
        });
    let out = out.success();
    assert!(
        out.stderr
            .contains("1 changed path(s), fewer than `--min-changes 2`"),
        "{out}"
    );
    let d = s.dispatches();
    assert_eq!(d.len(), 1, "{out}");
    assert_eq!(d[0]["client_payload"]["base_sha"], before.as_str());
    // A glob that takes no target: nothing is delivered.
    let s = Scene::new();
    let out = s
        .watch()
        .args(["--only", "other/*", "--startup-sync", "--max-polls", "2"])
        .run()
        .success();
    assert!(out.stderr.contains("not matched by `--only`"), "{out}");
    assert!(s.dispatches().is_empty());
}

/// A GET on loopback, answered as (status line, body).
fn http_get(port: u16, path: &str) -> (String, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

#[test]
fn metrics_and_healthz_show_the_deliveries() {
    let s = Scene::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut seen = None;
    let out = s
        .watch()
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .run_with(|pid| {
            wait_for("the first poll", || s.recorded_head().is_some());
            let c = s.push_change(1);
            wait_for("the delivery", || !s.dispatches().is_empty());
            wait_for("the metrics", || {
                http_get(port, "/metrics")
                    .1
                    .contains("result=\"delivered\"")
            });
            let (status, metrics) = http_get(port, "/metrics");
            let (health_status, health) = http_get(port, "/healthz");
            seen = Some((c, status, metrics, health_status, health));
            signal(pid, Signal::SIGTERM);
        });
    out.success();
    let (pushed, status, metrics, health_status, health) = seen.unwrap();
    assert!(status.contains("200"), "{status}");
    // A real Prometheus text-format parser reads it.
    let lines = metrics.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).unwrap();
    let value = |name: &str, label: (&str, &str)| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && s.labels.get(label.0) == Some(label.1))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            })
    };
    assert_eq!(
        value("ecosync_deliveries_total", ("result", "delivered")),
        Some(1.0),
        "{metrics}"
    );
    assert!(
        value("ecosync_files_processed_total", ("target", "acme/cousin")).unwrap() >= 1.0,
        "{metrics}"
    );
    for name in [
        "ecosync_sync_duration_seconds",
        "ecosync_active_syncs",
        "ecosync_queue_depth",
        "ecosync_last_success_timestamp_seconds",
        "ecosync_breaker_open",
    ] {
        assert!(metrics.contains(name), "{name} missing in\n{metrics}");
    }
    assert!(health_status.contains("200"), "{health_status}");
    let health: serde_json::Value = serde_json::from_str(health.trim()).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["last_success_commit"], pushed.to_string().as_str());
    assert!(health["last_poll"].is_string());
}

#[test]
fn subscriber_watch_syncs_each_new_upstream_head_once() {
    use crate::support::subscriber_fixture::{Pair, config, mapped};
    let p = Pair::new(config(mapped(), "diff-apply"));
    p.push_cousin();
    let state = tempfile::tempdir().unwrap();
    let watch = || {
        Cmd::subscriber()
            .arg("watch")
            .arg("--state-dir")
            .arg(state.path())
            .args(["--interval", "150ms", "--repo-name", "acme/cousin"])
            .arg("--repo")
            .arg(p.cousin.path())
            .arg("--forge")
            .arg(format!("local:{}", p.forge.path().display()))
            .timeout(Duration::from_secs(60))
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut health = None;
    let out = watch()
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .run_with(|pid| {
            wait_for("the first sync", || !p.pulls().is_empty());
            p.upstream.write("features/x/b.txt", "b2\n");
            let c = p.upstream.commit("upstream: b2");
            wait_for("the second sync", || {
                p.pulls()[0].body.contains(&c.to_string()[..12])
            });
            std::thread::sleep(Duration::from_millis(400));
            health = Some((c, http_get(port, "/healthz")));
            signal(pid, Signal::SIGTERM);
        });
    let (c, (status, body)) = health.unwrap();
    assert!(status.contains("200"), "{status}");
    let body: serde_json::Value = serde_json::from_str(body.trim()).unwrap();
    assert_eq!(
        body["last_success_commit"],
        c.to_string().as_str(),
        "{body}"
    );
    let out = out.success();
    assert!(
        out.stderr.contains("stopped by SIGTERM: state written"),
        "{out}"
    );
    assert_eq!(p.pulls().len(), 1, "one pull request, updated\n{out}");
    assert_eq!(p.remote_files("ecosync/acme-mono")["app/b.txt"].1, b"b2\n");
    let head = p.remote_branch("ecosync/acme-mono");
    // Restarted with nothing new upstream: nothing is synced again.
    let again = watch().args(["--max-polls", "3"]).run().success();
    assert!(!again.stderr.contains("syncing"), "{again}");
    assert!(!again.stderr.contains("upstream moved"), "{again}");
    assert_eq!(p.remote_branch("ecosync/acme-mono"), head);
}

#[test]
fn the_breaker_opens_and_closes_against_the_fake_github() {
    use crate::support::fake_github::{FakeGitHub, Fault, FaultKind};
    let s = Scene::new();
    let fake = FakeGitHub::start();
    fake.add_repo("acme/cousin");
    // Three refusals in a row, then GitHub accepts again.
    fake.fail(
        Fault::new(FaultKind::Status(422))
            .method("POST")
            .path("/repos/acme/cousin/dispatches")
            .times(3),
    );
    let out = Cmd::dispatcher()
        .arg("watch")
        .arg("--repo")
        .arg(s.clone.path())
        .arg("--config")
        .arg(s.config.path())
        .arg("--state-dir")
        .arg(s.state.path())
        .args(["--interval", "100ms", "--source-repo", "acme/source"])
        .args(["--retry-delay", "100ms", "--retry-max-delay", "100ms"])
        .args(["--breaker-threshold", "2", "--breaker-cooldown", "400ms"])
        .args(["--api-url", &fake.url()])
        .env("ECOSYNC_TOKEN", "test-token-not-secret")
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .timeout(Duration::from_secs(60))
        .run_with(|pid| {
            wait_for("the first poll", || s.recorded_head().is_some());
            s.push_change(1);
            wait_for("the delivery", || {
                !fake.dispatches("acme/cousin").is_empty()
            });
            std::thread::sleep(Duration::from_millis(300));
            signal(pid, Signal::SIGTERM);
        });
    let out = out.success();
    assert!(out.stderr.contains("failed (1 in a row)"), "{out}");
    assert!(out.stderr.contains("failed (2 in a row)"), "{out}");
    assert!(out.stderr.contains("circuit open, probed again"), "{out}");
    assert!(
        out.stderr.contains("failed (3 in a row)"),
        "the probe failed once\n{out}"
    );
    assert!(
        out.stderr.contains("acme/cousin: delivered"),
        "closed again\n{out}"
    );
    assert_eq!(fake.dispatches("acme/cousin").len(), 1, "{out}");
    assert!(!out.stderr.contains("test-token"), "{out}");
}

#[test]
fn source_url_is_cloned_bare_into_the_state_dir() {
    let s = Scene::new();
    let url = s.forge.path().join("acme/source.git");
    let out = Cmd::dispatcher()
        .arg("watch")
        .arg("--source-url")
        .arg(&url)
        .arg("--config")
        .arg(s.config.path())
        .arg("--state-dir")
        .arg(s.state.path())
        .args(["--interval", "150ms", "--source-repo", "acme/source"])
        .arg("--forge")
        .arg(format!("local:{}", s.forge.path().display()))
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .timeout(Duration::from_secs(60))
        .run_with(|pid| {
            wait_for("the first poll", || s.recorded_head().is_some());
            s.push_change(1);
            wait_for("the delivery", || !s.dispatches().is_empty());
            signal(pid, Signal::SIGTERM);
        });
    out.success();
    assert!(git2::Repository::open_bare(s.state.path().join("source.git")).is_ok());
    assert_eq!(s.dispatches().len(), 1);
    // Without `--config` there is no ecosystem.json to find.
    Cmd::dispatcher()
        .arg("watch")
        .arg("--source-url")
        .arg(&url)
        .arg("--state-dir")
        .arg(s.state.path())
        .run()
        .expect_code(2)
        .expect_stderr("`--source-url` needs `--config FILE`");
    // A state directory that cannot be made: the watch state's hint says what to check.
    let file = s.state.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    Cmd::dispatcher()
        .arg("watch")
        .arg("--source-url")
        .arg(&url)
        .arg("--config")
        .arg(s.config.path())
        .arg("--state-dir")
        .arg(&file)
        .run()
        .expect_code(1)
        .expect_stderr("hint: check that `--state-dir` is a directory this user can write");
}

#[test]
fn the_watcher_delivers_in_the_entry_s_mode() {
    let s = Scene::new();
    std::fs::write(
        s.config.path(),
        r#"[{"repo": "acme/cousin", "subscriptions": ["src/**"], "mode": "push"}]"#,
    )
    .unwrap();
    let cousin = s.forge.path().join("acme/cousin.git");
    // An empty repository whose default branch is `main`.
    git2::Repository::open_bare(&cousin)
        .unwrap()
        .set_head("refs/heads/main")
        .unwrap();
    let main_of = || {
        git2::Repository::open_bare(&cousin)
            .unwrap()
            .refname_to_id("refs/heads/main")
            .ok()
    };
    let audit = s.state.path().join("audit.jsonl");
    let mut pushed = None;
    let out = s.watch().arg("--audit-log").arg(&audit).run_with(|pid| {
        wait_for("the first poll", || s.recorded_head().is_some());
        pushed = Some(s.push_change(1));
        wait_for("the mirror", || main_of() == pushed);
        signal(pid, Signal::SIGTERM);
    });
    out.success();
    assert!(s.dispatches().is_empty(), "no dispatch in mode push");
    let audit = std::fs::read_to_string(&audit).unwrap();
    assert!(audit.contains("\"action\":\"branch_mirrored\""), "{audit}");
}

#[test]
fn the_watcher_opens_pull_requests_from_the_commits_it_fetched() {
    let s = Scene::new();
    std::fs::write(
        s.config.path(),
        r#"[{"repo": "acme/cousin", "subscriptions": ["src/**"], "mode": "pull-request"}]"#,
    )
    .unwrap();
    let cousin = s.forge.path().join("acme/cousin.git");
    {
        // A cousin with a `main` of its own; the clone's local `main` stays behind `origin/main`.
        let own = Repo::new();
        own.write("own.txt", "own\n");
        own.commit("start");
        own.push(&cousin, "main");
        git2::Repository::open_bare(&cousin)
            .unwrap()
            .set_head("refs/heads/main")
            .unwrap();
    }
    let pulls = || {
        ecosync::forge::LocalForge::new(s.forge.path())
            .pulls(&ecosync::RepoName::parse("acme/cousin").unwrap())
            .unwrap_or_default()
    };
    let out = s.watch().run_with(|pid| {
        wait_for("the first poll", || s.recorded_head().is_some());
        s.push_change(1);
        wait_for("the pull request", || !pulls().is_empty());
        signal(pid, Signal::SIGTERM);
    });
    out.success();
    assert_eq!(pulls().len(), 1);
    assert!(
        s.dispatches().is_empty(),
        "no dispatch in mode pull-request"
    );
}

#[test]
fn a_listen_port_in_use_is_refused_with_a_free_one_to_use() {
    let s = Scene::new();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let out = s
        .watch()
        .args(["--listen", &format!("127.0.0.1:{port}"), "--max-polls", "1"])
        .run()
        .expect_code(2);
    assert!(
        out.stderr
            .contains(&format!("error: cannot listen on `127.0.0.1:{port}`")),
        "{out}"
    );
    assert!(
        out.stderr.contains(&format!(
            "hint: port {port} is in use (another watcher?); `127.0.0.1:"
        )),
        "{out}"
    );
    assert!(
        out.stderr.contains("is free: pass `--listen 127.0.0.1:"),
        "{out}"
    );
    drop(busy);
}
