//! The dispatch watermark, through the real `dispatcher dispatch` on the local forge: a push whose run never
//! happened is dispatched by the next run, a re-run sends nothing (everything with `--force`), a force push
//! keeps the event's range, and two runs at once leave the watermark at the newer head.

use std::path::{Path, PathBuf};
use std::time::Duration;

use git2::Oid;
use serde_json::{Value, json};

use crate::support::dispatch::local_forge;
use crate::support::plan::Config;
use crate::support::{Cmd, Output, Repo};

/// A source clone whose `origin` is a bare repository of a local forge, with three subscribed repositories:
/// `acme/first` follows `one/`, `acme/middle` follows `two/`, `acme/last` follows `three/`.
struct Source {
    repo: Repo,
    forge: tempfile::TempDir,
    config: Config,
    events: tempfile::TempDir,
}

const REF: &str = "refs/ecosync/dispatched/main";

impl Source {
    fn new() -> Source {
        let forge = local_forge(&["acme/source", "acme/first", "acme/middle", "acme/last"]);
        let repo = Repo::new();
        repo.write("README.md", "source\n");
        repo.commit("initial");
        let origin = forge.path().join("acme/source.git");
        repo.git.remote("origin", origin.to_str().unwrap()).unwrap();
        repo.push(&origin, "main");
        let config = Config::new(&json!([
            {"repo": "acme/first", "subscriptions": ["one/**"]},
            {"repo": "acme/middle", "subscriptions": ["two/**"]},
            {"repo": "acme/last", "subscriptions": ["three/**"]},
        ]));
        Source {
            repo,
            forge,
            config,
            events: tempfile::tempdir().unwrap(),
        }
    }

    fn origin(&self) -> PathBuf {
        self.forge.path().join("acme/source.git")
    }

    /// Commits `path` and pushes `main` to `origin`, as a developer's push would; returns (before, after).
    fn push(&self, path: &str) -> (Oid, Oid) {
        let before = self.repo.head();
        self.repo.write(path, format!("{path}\n"));
        let after = self.repo.commit(path);
        self.repo.push(&self.origin(), "main");
        (before, after)
    }

    /// The push event GitHub would hand the run of the push `before..after`.
    fn event(&self, before: Oid, after: Oid) -> PathBuf {
        let path = self.events.path().join(format!("{after}.json"));
        let event = json!({
            "ref": "refs/heads/main", "before": before.to_string(), "after": after.to_string(),
            "repository": {"default_branch": "main"},
        });
        std::fs::write(&path, serde_json::to_vec(&event).unwrap()).unwrap();
        path
    }

    /// `dispatcher dispatch` as the workflow runs it for the push event in `event`.
    fn dispatch(&self, event: &Path) -> Cmd {
        Cmd::dispatcher()
            .dir(self.repo.path())
            .args(["dispatch", "--config"])
            .arg(self.config.path())
            .arg("--forge")
            .arg(format!("local:{}", self.forge.path().display()))
            .env("ECOSYNC_MIN_INTERVAL", "0")
            .env("GITHUB_EVENT_NAME", "push")
            .env("GITHUB_EVENT_PATH", event)
            .timeout(Duration::from_secs(60))
    }

    /// The dispatches `repo` received so far.
    fn received(&self, repo: &str) -> Vec<Value> {
        ecosync::forge::LocalForge::new(self.forge.path())
            .dispatches(&ecosync::RepoName::parse(repo).unwrap())
            .unwrap()
    }

    /// Where the watermark points on `origin`.
    fn watermark(&self) -> Option<Oid> {
        git2::Repository::open_bare(self.origin())
            .unwrap()
            .refname_to_id(REF)
            .ok()
    }
}

fn short(oid: Oid) -> String {
    oid.to_string()[..12].to_owned()
}

fn counts(s: &Source) -> [usize; 3] {
    ["acme/first", "acme/middle", "acme/last"].map(|r| s.received(r).len())
}

#[test]
fn a_push_whose_run_never_happened_is_dispatched_by_the_next_run() {
    let s = Source::new();
    let (b1, c1) = s.push("one/a.txt");
    s.dispatch(&s.event(b1, c1)).run().success();
    assert_eq!(s.watermark(), Some(c1));
    assert_eq!(counts(&s), [1, 0, 0]);

    // The second push's run is cancelled by the third push (one pending run per concurrency group).
    let (_b2, c2) = s.push("two/b.txt");
    let (b3, c3) = s.push("three/c.txt");
    assert_eq!(b3, c2);
    let out = s.dispatch(&s.event(b3, c3)).run().success();
    let extended = format!(
        "range extended back to {} over 1 commit that was never dispatched",
        short(c1)
    );
    assert!(out.stderr.contains(&extended), "{out}");
    assert_eq!(counts(&s), [1, 1, 1], "{out}");
    let middle = &s.received("acme/middle")[0]["client_payload"];
    assert_eq!(middle["base_sha"], c1.to_string());
    assert_eq!(middle["commit_sha"], c3.to_string());
    assert_eq!(middle["changed_paths"], json!(["two/b.txt"]));
    assert_eq!(s.watermark(), Some(c3));

    // The plan tells the same truth before anything is sent, in every format.
    let (_, c4) = s.push("two/d.txt");
    let plan = Cmd::dispatcher()
        .dir(s.repo.path())
        .args(["plan", "--format", "json", "--config"])
        .arg(s.config.path())
        .args(["--base", &c1.to_string(), "--head", &c4.to_string()])
        .timeout(Duration::from_secs(60))
        .run()
        .success()
        .json();
    assert_eq!(plan["watermark"]["status"], "explicit_base", "{plan:#}");
    assert_eq!(plan["watermark"]["commit"], c3.to_string());
    let plan = Cmd::dispatcher()
        .dir(s.repo.path())
        .args(["plan", "--format", "json", "--config"])
        .arg(s.config.path())
        .env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_EVENT_PATH", s.event(c3, c4))
        .timeout(Duration::from_secs(60))
        .run()
        .success()
        .json();
    assert_eq!(plan["watermark"]["status"], "at_base", "{plan:#}");
    for format in ["text", "markdown"] {
        let out = Cmd::dispatcher()
            .dir(s.repo.path())
            .args(["plan", "--format", format, "--config"])
            .arg(s.config.path())
            .env("GITHUB_EVENT_NAME", "push")
            .env("GITHUB_EVENT_PATH", s.event(b3, c4))
            .timeout(Duration::from_secs(60))
            .run()
            .success();
        assert!(
            out.stdout.contains("atermark: the range starts at"),
            "{out}"
        );
    }
    assert_eq!(counts(&s), [1, 1, 1], "a plan sends nothing");
}

#[test]
fn a_rerun_sends_nothing_unless_forced() {
    let s = Source::new();
    let (b1, c1) = s.push("two/a.txt");
    let event = s.event(b1, c1);
    s.dispatch(&event).run().success();
    assert_eq!(counts(&s), [0, 1, 0]);
    let out = s.dispatch(&event).run().success();
    assert!(out.stderr.contains("already dispatched"), "{out}");
    // One sentence, words one space apart (no source-code indentation inside it).
    assert!(
        out.stderr
            .contains("`; nothing to send (`--force` sends it again)"),
        "{out}"
    );
    assert_eq!(counts(&s), [0, 1, 0], "{out}");
    let out = s.dispatch(&event).arg("--force").run().success();
    assert!(out.stderr.contains("`--force` sends it again"), "{out}");
    assert_eq!(counts(&s), [0, 2, 0], "{out}");
    assert_eq!(s.watermark(), Some(c1));
    // Without the watermark the event's range is sent as it is, and the ref is left alone.
    let out = s.dispatch(&event).arg("--no-watermark").run().success();
    assert!(!out.stderr.contains("watermark"), "{out}");
    assert_eq!(counts(&s), [0, 3, 0], "{out}");
}

#[test]
fn after_a_force_push_the_events_range_stands() {
    let s = Source::new();
    let (b1, c1) = s.push("one/a.txt");
    s.dispatch(&s.event(b1, c1)).run().success();
    let (_, c2) = s.push("two/b.txt");
    s.dispatch(&s.event(c1, c2)).run().success();
    assert_eq!(s.watermark(), Some(c2));
    // Rewrite: drop c2 and push another commit on c1 in its place.
    s.repo
        .git
        .reset(
            &s.repo.git.find_object(c1, None).unwrap(),
            git2::ResetType::Hard,
            None,
        )
        .unwrap();
    let (_, c3) = s.push("three/c.txt");
    let out = s.dispatch(&s.event(c2, c3)).run().success();
    assert!(
        out.stderr.contains(&format!(
            "{} is not an ancestor of `{c3}` (a force push?)",
            short(c2)
        )),
        "{out}"
    );
    // Two-dot, as GitHub compares: c2's file went away (two/) and c3's came (three/).
    assert_eq!(counts(&s), [1, 2, 1], "{out}");
    assert_eq!(s.watermark(), Some(c3));
}

#[test]
fn two_runs_at_once_leave_the_watermark_at_the_newer_head() {
    let s = Source::new();
    let (b0, c0) = s.push("one/start.txt");
    s.dispatch(&s.event(b0, c0)).run().success();
    for round in 0..3 {
        let (b1, c1) = s.push(&format!("one/r{round}.txt"));
        let (b2, c2) = s.push(&format!("three/r{round}.txt"));
        let (older, newer) = (s.dispatch(&s.event(b1, c1)), s.dispatch(&s.event(b2, c2)));
        let (a, b): (Output, Output) = std::thread::scope(|scope| {
            let a = scope.spawn(move || older.run());
            let b = scope.spawn(move || newer.run());
            (a.join().unwrap(), b.join().unwrap())
        });
        let (a, b) = (a.success(), b.success());
        assert_eq!(s.watermark(), Some(c2), "round {round}\n{a}\n{b}");
        // Every change reached its subscriber at least once.
        let last = s.received("acme/last");
        assert!(
            last.iter()
                .any(|d| d["client_payload"]["commit_sha"] == c2.to_string()),
            "round {round}\n{a}\n{b}"
        );
    }
}

#[test]
fn a_watermark_that_cannot_be_read_stops_the_run_and_says_what_to_do() {
    let s = Source::new();
    let (before, after) = s.push("one/a.txt");
    let gone = s.forge.path().join("acme/gone.git");
    s.repo
        .git
        .remote_set_url("origin", gone.to_str().unwrap())
        .unwrap();
    s.dispatch(&s.event(before, after))
        .run()
        .expect_code(1)
        .expect_stderr("error: cannot read the dispatch watermark")
        .expect_stderr("hint: the token needs Contents: read on the source repository, or turn the watermark off with `--no-watermark`");
    assert_eq!(counts(&s), [0, 0, 0]);
}
