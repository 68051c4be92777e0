//! The watchers as services: a kill in the middle of a poll repeats at most the delivery in flight, a stop
//! signal interrupts a request that hangs and ends the process within two seconds, a state directory that
//! cannot be written stops the watcher before it delivers anything, a second watcher on one state directory
//! refuses to start naming the first, credentials in `--source-url` never reach the disk, and `dispatch`
//! and `watch` keep one record of what was delivered (the dispatch watermark), whichever ran first.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::{Value, json};

use crate::support::dispatch::local_forge;
use crate::support::fake_github::{FakeGitHub, Fault, FaultKind, Misbehavior};
use crate::support::plan::Config;
use crate::support::subscriber_fixture::{Pair, config, mapped};
use crate::support::{Cmd, Repo};

const TOKEN: &str = "test-token-not-secret";
const WATERMARK: &str = "refs/ecosync/dispatched/main";

/// A developer's clone whose `origin` is a local forge's `acme/source`, the targets subscribed to its
/// `src/`, and the watcher's own clone and state directory.
struct Scene {
    dev: Repo,
    config: Config,
    forge: tempfile::TempDir,
    clone: tempfile::TempDir,
    state: tempfile::TempDir,
    targets: Vec<String>,
}

impl Scene {
    fn new(targets: usize) -> Scene {
        let targets: Vec<String> = (0..targets).map(|i| format!("acme/t{i}")).collect();
        let mut names: Vec<&str> = targets.iter().map(String::as_str).collect();
        names.push("acme/source");
        let forge = local_forge(&names);
        let dev = Repo::new();
        dev.write("README.md", "hello");
        dev.commit("first");
        let origin = forge.path().join("acme/source.git");
        dev.git.remote("origin", origin.to_str().unwrap()).unwrap();
        dev.push(&origin, "main");
        let clone = tempfile::tempdir().unwrap();
        git2::Repository::clone(origin.to_str().unwrap(), clone.path()).unwrap();
        let entries: Vec<Value> = targets
            .iter()
            .map(|t| json!({"repo": t, "subscriptions": ["src/**"]}))
            .collect();
        Scene {
            dev,
            config: Config::new(&Value::Array(entries)),
            forge,
            clone,
            state: tempfile::tempdir().unwrap(),
            targets,
        }
    }

    fn origin(&self) -> PathBuf {
        self.forge.path().join("acme/source.git")
    }

    /// `dispatcher watch` of the watcher's clone on the local forge.
    fn watch(&self) -> Cmd {
        self.watch_in(self.state.path())
    }

    fn watch_in(&self, state: &Path) -> Cmd {
        Cmd::dispatcher()
            .arg("watch")
            .arg("--repo")
            .arg(self.clone.path())
            .arg("--config")
            .arg(self.config.path())
            .arg("--state-dir")
            .arg(state)
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
        self.dev.push(&self.origin(), "main");
        id
    }

    /// `dispatcher dispatch` of the developer's clone's last commit, as a workflow runs it (reading and
    /// moving the watermark on `origin`).
    fn dispatch(&self, before: git2::Oid, after: git2::Oid) -> Cmd {
        let event = self.state.path().join(format!("{after}.event.json"));
        std::fs::write(
            &event,
            serde_json::to_vec(&json!({
                "ref": "refs/heads/main", "before": before.to_string(), "after": after.to_string(),
                "repository": {"default_branch": "main"},
            }))
            .unwrap(),
        )
        .unwrap();
        Cmd::dispatcher()
            .dir(self.dev.path())
            .args(["dispatch", "--source-repo", "acme/source", "--config"])
            .arg(self.config.path())
            .arg("--forge")
            .arg(format!("local:{}", self.forge.path().display()))
            .env("ECOSYNC_MIN_INTERVAL", "0")
            .env("GITHUB_EVENT_NAME", "push")
            .env("GITHUB_EVENT_PATH", event)
            .timeout(Duration::from_secs(60))
    }

    fn dispatches(&self, target: &str) -> Vec<Value> {
        ecosync::forge::LocalForge::new(self.forge.path())
            .dispatches(&ecosync::RepoName::parse(target).unwrap())
            .unwrap_or_default()
    }

    fn total_dispatches(&self) -> usize {
        self.targets.iter().map(|t| self.dispatches(t).len()).sum()
    }

    fn state_file(&self) -> Option<Value> {
        let text = std::fs::read_to_string(self.state.path().join("watch-state.json")).ok()?;
        serde_json::from_str(&text).ok()
    }

    fn recorded_head(&self) -> Option<String> {
        self.state_file()?["branches"]["main"]["head"]
            .as_str()
            .map(str::to_owned)
    }

    fn watermark(&self) -> Option<git2::Oid> {
        git2::Repository::open_bare(self.origin())
            .unwrap()
            .refname_to_id(WATERMARK)
            .ok()
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
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(pid: u32, s: Signal) {
    kill(Pid::from_raw(i32::try_from(pid).unwrap()), s).unwrap();
}

/// Kills the watcher (SIGKILL) in the middle of its deliveries to eight targets, three times, restarting it
/// each time: every target receives the push, and at most the one delivery in flight at each kill is made
/// twice. The deliveries are made slow (the watcher delivers through the fake GitHub, which takes 150 ms
/// per dispatch), so each kill lands in the middle of a poll.
#[test]
fn a_kill_in_the_middle_of_a_poll_repeats_at_most_the_delivery_in_flight() {
    let s = Scene::new(8);
    let fake = FakeGitHub::start();
    fake.add_repo("acme/source");
    for t in &s.targets {
        fake.add_repo(t);
    }
    fake.fail(
        Fault::new(FaultKind::Slow(Duration::from_millis(150)))
            .path("/dispatches")
            .always(),
    );
    let watch = || {
        Cmd::dispatcher()
            .arg("watch")
            .arg("--repo")
            .arg(s.clone.path())
            .arg("--config")
            .arg(s.config.path())
            .arg("--state-dir")
            .arg(s.state.path())
            .args(["--interval", "100ms", "--source-repo", "acme/source"])
            .args(["--api-url", &fake.url(), "--no-watermark"])
            .env("ECOSYNC_MIN_INTERVAL", "0")
            .env("ECOSYNC_TOKEN", TOKEN)
            .timeout(Duration::from_secs(60))
    };
    let total = || -> usize { s.targets.iter().map(|t| fake.dispatches(t).len()).sum() };
    // The first run records the head, then sees the push and is killed after two deliveries.
    let kills = [2, 4, 6];
    let mut first = true;
    for after in kills {
        let out = watch().run_with(|pid| {
            if first {
                wait_for("the first poll", || s.recorded_head().is_some());
                s.push_change(1);
            }
            wait_for("deliveries before the kill", || total() >= after);
            signal(pid, Signal::SIGKILL);
        });
        first = false;
        assert_eq!(out.code, None, "killed\n{out}");
    }
    let out = watch().run_with(|pid| {
        wait_for("every target", || {
            s.targets.iter().all(|t| !fake.dispatches(t).is_empty())
        });
        std::thread::sleep(Duration::from_millis(500));
        signal(pid, Signal::SIGTERM);
    });
    let out = out.success();
    let repeats: usize = s
        .targets
        .iter()
        .map(|t| fake.dispatches(t).len().saturating_sub(1))
        .sum();
    println!(
        "repeats per kill | {} kills, {repeats} repeated deliveries ({:.2} per kill)",
        kills.len(),
        f64::from(u32::try_from(repeats).unwrap()) / 3.0
    );
    assert!(
        repeats <= kills.len(),
        "{repeats} repeats for {} kills\n{out}",
        kills.len()
    );
    // Nothing is left to deliver.
    let state = s.state_file().unwrap();
    assert!(
        state["branches"]["main"].get("pending").is_none(),
        "{state:#}"
    );
}

/// SIGTERM while a delivery's request hangs (the API never answers): the watcher exits 0 within two
/// seconds, says it was stopped, and its state keeps the interrupted target queued for the next start.
#[test]
fn sigterm_interrupts_a_hanging_request_and_exits_within_two_seconds() {
    let s = Scene::new(2);
    let fake = FakeGitHub::start();
    fake.add_repo("acme/source")
        .add_repo("acme/t0")
        .add_repo("acme/t1");
    fake.fail(
        Fault::new(FaultKind::Hang(Misbehavior::NeverAnswer))
            .repo("acme/t0")
            .always(),
    );
    // The head changes `src/`: the startup sync delivers it.
    s.push_change(1);
    git2::Repository::open(s.clone.path())
        .unwrap()
        .find_remote("origin")
        .unwrap()
        .fetch(&["+refs/heads/main:refs/heads/main"], None, None)
        .unwrap();
    let mut signalled = None;
    let out = Cmd::dispatcher()
        .arg("watch")
        .arg("--repo")
        .arg(s.clone.path())
        .arg("--config")
        .arg(s.config.path())
        .arg("--state-dir")
        .arg(s.state.path())
        .args(["--startup-sync", "--source-repo", "acme/source"])
        .args(["--api-url", &fake.url(), "--request-timeout", "60s"])
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .env("ECOSYNC_TOKEN", TOKEN)
        .timeout(Duration::from_secs(60))
        .run_with(|pid| {
            wait_for("the hanging request", || {
                !fake
                    .requests_to("POST", "/repos/acme/t0/dispatches")
                    .is_empty()
            });
            std::thread::sleep(Duration::from_millis(200));
            signalled = Some(Instant::now());
            signal(pid, Signal::SIGTERM);
        });
    let took = signalled.unwrap().elapsed();
    println!("stop signal | dispatcher watch, API request in flight: exited after {took:?}");
    let out = out.success().expect_stderr("stopped by SIGTERM");
    assert!(took <= Duration::from_secs(2), "{took:?}\n{out}");
    let state = s.state_file().unwrap();
    assert_eq!(
        state["branches"]["main"]["pending"]["acme/t0"]["queued"], true,
        "{state:#}\n{out}"
    );
}

/// SIGTERM while `subscriber watch` waits on an upstream git remote that stalls after its headers (with a
/// long timeout), in its listing and, past the listing, in the sync's own fetch (a blocking call inside
/// the sync): it exits 0 within two seconds either way.
#[test]
fn sigterm_interrupts_subscriber_watch_in_a_git_transfer() {
    subscriber_watch_stopped_in("/acme/mono.git/");
    subscriber_watch_stopped_in("/acme/mono.git/git-upload-pack");
}

fn subscriber_watch_stopped_in(stalled: &str) {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/cousin").add_repo("acme/mono");
    let mut cfg = config(mapped(), "diff-apply");
    cfg["upstream"]["url"] = json!(format!("{}/acme/mono.git", fake.url()));
    let p = Pair::new(cfg);
    fake.serve_git(p.forge.path());
    fake.fail(
        Fault::new(FaultKind::Hang(Misbehavior::StallAfterHeaders))
            .path(stalled)
            .always(),
    );
    let state = tempfile::tempdir().unwrap();
    p.push_cousin();
    let mut signalled = None;
    let out = Cmd::subscriber()
        .arg("watch")
        .arg("--repo")
        .arg(p.cousin.path())
        .arg("--state-dir")
        .arg(state.path())
        .args(["--api-url", &fake.url(), "--request-timeout", "60s"])
        .arg("--cousin-url")
        .arg(p.forge_repo("cousin"))
        .env("GITHUB_REPOSITORY", "acme/cousin")
        .env("ECOSYNC_TOKEN", TOKEN)
        .timeout(Duration::from_secs(60))
        .run_with(|pid| {
            wait_for("the stalled request", || {
                fake.requests().iter().any(|r| r.path.starts_with(stalled))
            });
            std::thread::sleep(Duration::from_millis(200));
            signalled = Some(Instant::now());
            signal(pid, Signal::SIGTERM);
        });
    let took = signalled.unwrap().elapsed();
    println!("stop signal | subscriber watch, stalled in `{stalled}`: exited after {took:?}");
    out.success().expect_stderr("stopped by SIGTERM");
    assert!(took <= Duration::from_secs(2), "{took:?}");
}

/// A state directory that stops being writable (here: replaced by a file) while the watcher runs: the next
/// push is not delivered, the watcher exits 1 saying why, a restart refuses to start, and once the
/// directory is back the push is delivered exactly once.
#[test]
fn a_state_directory_that_cannot_be_written_delivers_nothing() {
    let s = Scene::new(2);
    let state = s.state.path().join("state");
    let aside = s.state.path().join("aside");
    let recorded = || {
        std::fs::read_to_string(state.join("watch-state.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .is_some_and(|v| v["branches"]["main"]["head"].is_string())
    };
    let out = s.watch_in(&state).run_with(|_| {
        wait_for("the first poll", recorded);
        std::fs::rename(&state, &aside).unwrap();
        std::fs::write(&state, "not a directory").unwrap();
        s.push_change(1);
    });
    let out = out.expect_code(1);
    assert!(out.stderr.contains("cannot write"), "{out}");
    assert!(out.stderr.contains("hint:"), "{out}");
    assert_eq!(s.total_dispatches(), 0, "nothing delivered\n{out}");
    // Restarted as a service manager would: it refuses before anything.
    let again = s
        .watch_in(&state)
        .args(["--max-polls", "1"])
        .run()
        .expect_code(1);
    assert!(again.stderr.contains("state directory"), "{again}");
    assert_eq!(s.total_dispatches(), 0, "{again}");
    // Writable again: delivered once.
    std::fs::remove_file(&state).unwrap();
    std::fs::rename(&aside, &state).unwrap();
    s.watch_in(&state)
        .args(["--max-polls", "2"])
        .run()
        .success();
    for t in &s.targets {
        assert_eq!(s.dispatches(t).len(), 1, "{t}");
    }
}

/// `--listen` is not held by hostile clients: forty connections that send nothing and one that sends its
/// request a byte at a time take every place, and `/healthz` still answers within a few seconds (a
/// connection must send its headers within five seconds).
#[test]
fn the_status_server_answers_while_clients_hold_connections() {
    use std::io::{Read as _, Write as _};
    let s = Scene::new(1);
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut answered = None;
    let out = s
        .watch()
        .args(["--listen", &addr.to_string()])
        .run_with(|pid| {
            wait_for("the first poll", || s.recorded_head().is_some());
            let idle: Vec<std::net::TcpStream> = (0..40)
                .map(|_| std::net::TcpStream::connect(addr).unwrap())
                .collect();
            let mut slow = std::net::TcpStream::connect(addr).unwrap();
            let dripping = std::thread::spawn(move || {
                for b in b"GET /healthz HTTP/1.1\r\n" {
                    if slow.write_all(&[*b]).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(500));
                }
            });
            let start = Instant::now();
            let mut c = std::net::TcpStream::connect(addr).unwrap();
            c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            write!(
                c,
                "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            let mut text = String::new();
            let _ = c.read_to_string(&mut text);
            // The connections that sent nothing were closed by the server.
            let mut first = &idle[0];
            first
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut buf = [0u8; 16];
            let closed = matches!(first.read(&mut buf), Ok(0));
            answered = Some((start.elapsed(), text, closed));
            drop(idle);
            let _ = dripping.join();
            signal(pid, Signal::SIGTERM);
        });
    out.success();
    let (took, text, closed) = answered.unwrap();
    println!("status server | /healthz behind 41 hostile connections: answered after {took:?}");
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(closed, "an idle connection is closed by the server");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

/// A second watcher on a state directory in use refuses to start and names the first's process id.
#[test]
fn a_second_watcher_on_one_state_directory_refuses_naming_the_first() {
    let s = Scene::new(1);
    let mut second = None;
    let first = s.watch().run_with(|pid| {
        wait_for("the first poll", || s.recorded_head().is_some());
        second = Some((pid, s.watch().args(["--max-polls", "1"]).run()));
        s.push_change(1);
        wait_for("the delivery", || s.total_dispatches() == 1);
        signal(pid, Signal::SIGTERM);
    });
    first.success();
    let (pid, second) = second.unwrap();
    let second = second.expect_code(1);
    assert!(
        second.stderr.contains(&format!(
            "another watcher (pid {pid}) is using the state directory"
        )),
        "{second}"
    );
    assert!(second.stderr.contains("hint:"), "{second}");
    assert_eq!(s.total_dispatches(), 1);
}

/// A state directory named relatively and made at start is locked once, by this watcher (the lock taken
/// before the directory existed is the one the watcher holds).
#[test]
fn a_relative_state_directory_made_at_start_is_locked_once() {
    let s = Scene::new(1);
    let cwd = tempfile::tempdir().unwrap();
    for first in [true, false] {
        let out = s
            .watch_in(Path::new("state/new"))
            .dir(cwd.path())
            .args(["--max-polls", "1"])
            .run()
            .success();
        assert_eq!(out.stderr.contains("recorded"), first, "{out}");
    }
    assert!(cwd.path().join("state/new/watch.lock").exists());
}

/// `watch`, then `dispatch`: the watcher moves the watermark to the head it delivered, and a dispatch run of
/// the same push sends nothing again.
#[test]
fn dispatch_after_watch_delivers_nothing_twice() {
    let s = Scene::new(2);
    let before = s.dev.head();
    let mut pushed = None;
    s.watch()
        .run_with(|pid| {
            wait_for("the first poll", || s.recorded_head().is_some());
            pushed = Some(s.push_change(1));
            wait_for("the deliveries", || s.total_dispatches() == 2);
            wait_for("the watermark", || s.watermark() == pushed);
            signal(pid, Signal::SIGTERM);
        })
        .success();
    let pushed = pushed.unwrap();
    let out = s.dispatch(before, pushed).run().success();
    assert!(
        out.stderr.contains("already dispatched") || out.stdout.contains("already dispatched"),
        "{out}"
    );
    assert_eq!(s.total_dispatches(), 2, "{out}");
}

/// `dispatch`, then `watch`: a push dispatched while the watcher was down is not delivered again by it, and
/// the next push is delivered once, from there.
#[test]
fn watch_after_dispatch_delivers_nothing_twice() {
    let s = Scene::new(2);
    s.watch()
        .run_with(|pid| {
            wait_for("the first poll", || s.recorded_head().is_some());
            signal(pid, Signal::SIGTERM);
        })
        .success();
    let before = s.dev.head();
    let first = s.push_change(1);
    s.dispatch(before, first).run().success();
    assert_eq!(s.total_dispatches(), 2);
    assert_eq!(s.watermark(), Some(first));
    let mut second = None;
    let out = s.watch().run_with(|pid| {
        wait_for("the poll after the dispatch", || {
            s.recorded_head() == Some(first.to_string())
        });
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(
            s.total_dispatches(),
            2,
            "the dispatched push is not delivered again"
        );
        second = Some(s.push_change(2));
        wait_for("the next push", || s.total_dispatches() == 4);
        std::thread::sleep(Duration::from_millis(400));
        signal(pid, Signal::SIGTERM);
    });
    let out = out.success();
    assert_eq!(s.total_dispatches(), 4, "{out}");
    for t in &s.targets {
        let d = s.dispatches(t);
        assert_eq!(
            d[1]["client_payload"]["base_sha"],
            first.to_string(),
            "{out}"
        );
        assert_eq!(
            d[1]["client_payload"]["commit_sha"],
            second.unwrap().to_string()
        );
    }
    assert_eq!(s.watermark(), second, "{out}");
}

/// A source whose server refuses pushes: the watcher delivers every push all the same and says once per
/// head that the watermark could not be moved.
#[test]
fn a_watermark_that_cannot_be_moved_is_one_warning_and_deliveries_go_on() {
    let s = Scene::new(1);
    let backend = crate::support::loopback_http::git_http_backend(s.forge.path(), None);
    let server = crate::support::loopback_http::LoopbackHttp::start(move |req| {
        if req.path.ends_with("/git-receive-pack") || req.query.contains("git-receive-pack") {
            return (403, Vec::new(), b"pushes are not allowed here".to_vec());
        }
        backend(req)
    });
    let state = tempfile::tempdir().unwrap();
    let out = Cmd::dispatcher()
        .arg("watch")
        .args(["--source-url", &format!("{}/acme/source.git", server.url())])
        .arg("--config")
        .arg(s.config.path())
        .arg("--state-dir")
        .arg(state.path())
        .args(["--interval", "100ms", "--source-repo", "acme/source"])
        .arg("--forge")
        .arg(format!("local:{}", s.forge.path().display()))
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .timeout(Duration::from_secs(60))
        .run_with(|pid| {
            let recorded = || {
                std::fs::read_to_string(state.path().join("watch-state.json"))
                    .is_ok_and(|t| t.contains("\"main\""))
            };
            wait_for("the first poll", recorded);
            s.push_change(1);
            wait_for("the delivery", || s.total_dispatches() == 1);
            // Several more polls.
            std::thread::sleep(Duration::from_millis(800));
            signal(pid, Signal::SIGTERM);
        })
        .success();
    let warnings = out
        .stderr
        .lines()
        .filter(|l| l.contains("the dispatch watermark was not moved"))
        .count();
    assert_eq!(
        warnings, 2,
        "once for the first head, once for the pushed one\n{out}"
    );
    assert_eq!(s.total_dispatches(), 1, "{out}");
    assert_eq!(s.watermark(), None);
}

/// A password in `--source-url` is used (the server wants it) and never written: not in the state clone's
/// git config, nor anywhere else under the state directory, nor in the output.
#[test]
fn credentials_in_the_source_url_never_reach_the_disk() {
    let s = Scene::new(1);
    let secret = "s3cr3t-in-the-url";
    let server = crate::support::loopback_http::LoopbackHttp::start(
        crate::support::loopback_http::git_http_backend(
            s.forge.path(),
            Some(format!(
                "Basic {}",
                base64(&format!("x-access-token:{secret}"))
            )),
        ),
    );
    let url = server
        .url()
        .replace("http://", &format!("http://x-access-token:{secret}@"));
    let state = tempfile::tempdir().unwrap();
    let out = Cmd::dispatcher()
        .arg("watch")
        .args(["--source-url", &format!("{url}/acme/source.git")])
        .arg("--config")
        .arg(s.config.path())
        .arg("--state-dir")
        .arg(state.path())
        .args(["--max-polls", "1", "--source-repo", "acme/source"])
        .arg("--forge")
        .arg(format!("local:{}", s.forge.path().display()))
        .timeout(Duration::from_secs(60))
        .run()
        .success();
    assert!(out.stderr.contains("recorded"), "the listing worked\n{out}");
    assert!(
        !out.stderr.contains(secret) && !out.stdout.contains(secret),
        "{out}"
    );
    let config = std::fs::read_to_string(state.path().join("source.git/config")).unwrap();
    assert!(
        config.contains(&format!("{}/acme/source.git", server.url())),
        "{config}"
    );
    for file in walk(state.path()) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            "the password is in {}",
            file.display()
        );
    }
    assert!(server.seen().iter().all(|r| r.authorization.is_some()));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// Standard base64, as HTTP Basic authentication writes it.
fn base64(s: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in s.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
