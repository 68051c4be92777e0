//! The shallow fetch of a network upstream: a fresh CI-like clone of the cousin applies a small upstream
//! change from an upstream with a long history (`ECOSYNC_BENCH_SHALLOW_COMMITS` commits, 2,000 by default,
//! over `ECOSYNC_BENCH_SHALLOW_FILES` files, 3,000 by default) served by `git http-backend` on loopback.
//!
//! Prints, median of `ECOSYNC_BENCH_RUNS` runs, the bytes the server sent and the wall time of:
//! - a real run's pipeline, `verify` and `compute` (shallow fetch, verify, last sync, apply, commit, copy into
//!   the clone what the commit takes);
//! - the full fetch it replaces, `SyncRepo::fetch_ref` of upstream's branch into the clone (what
//!   `fetch_upstream` did for a network upstream before);
//! - `git fetch --depth 1` and a full `git fetch` of upstream's branch into a fresh clone, for reference.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use ecosync::config::cousin_config::{ConfigOverrides, CousinConfig};
use ecosync::git::{GitAuth, SyncRepo};
use ecosync::sync::compute::{self, Prepared};
use ecosync::sync::verify::verify;

use crate::loopback_http::{LoopbackHttp, git_http_backend};
use crate::{fresh_clone, git, median, settings};

/// Files of `features/x`, the subscribed directory.
const FEATURE: usize = 200;

/// Files the last upstream commit changes in `features/x`.
const CHANGED: usize = 5;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Writes one `git fast-import` file entry.
fn file(stream: &mut Vec<u8>, path: &str, content: &str) {
    writeln!(
        stream,
        "M 100644 inline {path}\ndata {}\n{content}",
        content.len()
    )
    .unwrap();
}

/// Writes one `git fast-import` commit header on `refs/heads/main`.
fn header(stream: &mut Vec<u8>, message: &str, time: i64, first: bool) {
    writeln!(
        stream,
        "commit refs/heads/main\ncommitter Bench <bench@example.com> {time} +0000\ndata {}\n{message}",
        message.len()
    )
    .unwrap();
    if first {
        // A fresh import starts from nothing.
        stream.extend_from_slice(b"deleteall\n");
    }
}

/// Runs `git fast-import` in the bare repository `dir` on `stream`.
fn import(dir: &Path, stream: &[u8]) {
    git(
        dir.parent().unwrap(),
        &["init", "-q", "--bare", "-b", "main", dir.to_str().unwrap()],
    );
    let mut child = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stream).unwrap();
    assert!(child.wait().unwrap().success());
}

fn content(path: &str, version: usize) -> String {
    format!("// {path}, version {version}\nfn f() {{\n    let x = {version};\n    x + 1\n}}\n")
}

/// Times the shallow fetch against the full one and git's; prints the figures.
pub fn run() {
    let commits = env_or("ECOSYNC_BENCH_SHALLOW_COMMITS", 2_000);
    let files = env_or("ECOSYNC_BENCH_SHALLOW_FILES", 3_000);
    let runs = env_or("ECOSYNC_BENCH_RUNS", 5);
    let now = ecosync::git::clock::unix_seconds(SystemTime::now());
    let work = tempfile::Builder::new()
        .prefix("ecosync-bench-shallow-")
        .tempdir()
        .unwrap();
    eprintln!("building an upstream of {commits} commits over {files} files ...");
    let t0 = Instant::now();
    std::fs::create_dir_all(work.path().join("forge/acme")).unwrap();
    // Upstream: features/x and the rest; each commit changes three files of the rest, every fiftieth one
    // of features/x too; the last one changes CHANGED files of features/x.
    let feature: Vec<String> = (0..FEATURE)
        .map(|i| format!("features/x/mod{i:03}/file.txt"))
        .collect();
    let rest: Vec<String> = (0..files.saturating_sub(FEATURE))
        .map(|i| format!("services/svc{:03}/file{i:05}.rs", i / 100))
        .collect();
    let start = now - i64::try_from(commits).unwrap() * 60 - 600;
    let mut stream = Vec::new();
    header(&mut stream, "upstream: initial", start, true);
    for path in feature.iter().chain(&rest) {
        file(&mut stream, path, &content(path, 0));
    }
    for i in 1..commits {
        let time = start + i64::try_from(i).unwrap() * 60;
        if i == commits - 1 {
            header(&mut stream, "upstream: the change", time, false);
            for path in feature.iter().take(CHANGED) {
                file(&mut stream, path, &content(path, i));
            }
            continue;
        }
        header(&mut stream, &format!("upstream: {i}"), time, false);
        for k in 0..3 {
            let path = &rest[(i * 7 + k * 131) % rest.len()];
            file(&mut stream, path, &content(path, i));
        }
        if i % 50 == 0 {
            let path = &feature[(i / 50) % FEATURE];
            file(&mut stream, path, &content(path, i));
        }
    }
    let up_dir = work.path().join("forge/acme/mono.git");
    import(&up_dir, &stream);
    let up = git2::Repository::open_bare(&up_dir).unwrap();
    let tip = up.refname_to_id("refs/heads/main").unwrap();
    let last = up.find_commit(tip).unwrap().parent_id(0).unwrap();
    let server_bytes = Arc::new(AtomicUsize::new(0));
    let server = {
        let backend = git_http_backend(&work.path().join("forge"), None);
        let bytes = Arc::clone(&server_bytes);
        LoopbackHttp::start(move |req| {
            let answer = backend(req);
            if req.path.ends_with("/git-upload-pack") {
                bytes.fetch_add(answer.2.len(), Ordering::Relaxed);
            }
            answer
        })
    };
    let url = format!("{}/acme/mono.git", server.url());
    // The cousin: features/x as upstream had it at the last sync (the tip's parent), named by the trailer,
    // and its own files.
    let config_text = format!(
        r#"{{"upstream": {{"repo": "acme/mono", "url": "{url}"}}, "subscriptions": ["features/x"]}}"#
    );
    let mut stream = Vec::new();
    header(
        &mut stream,
        &format!("cousin\n\nEcosync-Upstream: acme/mono@{last}\n"),
        now - 300,
        true,
    );
    let at_last = up.find_commit(last).unwrap().tree().unwrap();
    for path in &feature {
        let entry = at_last.get_path(Path::new(path)).unwrap();
        let blob = up.find_blob(entry.id()).unwrap();
        file(
            &mut stream,
            path,
            std::str::from_utf8(blob.content()).unwrap(),
        );
    }
    file(&mut stream, ".github/ecosync.json", &config_text);
    for i in 0..1_000 {
        let path = format!("src/dir{:02}/file{i:04}.rs", i / 100);
        file(&mut stream, &path, &content(&path, 0));
    }
    let cousin_dir = work.path().join("cousin.git");
    import(&cousin_dir, &stream);
    let config = CousinConfig::load(
        ".github/ecosync.json",
        &config_text,
        &ConfigOverrides::default(),
    )
    .unwrap();
    eprintln!(
        "set-up took {:.1?}; timing {runs} runs of each",
        t0.elapsed()
    );
    let fresh = |name: String| fresh_clone(work.path(), &cousin_dir, &name);
    // Each measure: the median time, and the bytes the server sent for it.
    let measure = |name: &str, what: &dyn Fn(&Path)| -> (Duration, usize) {
        let mut times = Vec::new();
        let mut bytes = 0;
        for run in 0..runs {
            let dir = fresh(format!("{name}-{run}"));
            let before = server_bytes.load(Ordering::Relaxed);
            let t = Instant::now();
            what(&dir);
            times.push(t.elapsed());
            bytes = server_bytes.load(Ordering::Relaxed) - before;
        }
        (median(times), bytes)
    };
    let shallow = measure("shallow", &|dir| {
        let settings = settings(&config, &url, tip);
        let repo = SyncRepo::open(dir, false).unwrap();
        match compute::compute(&repo, &settings, verify(&repo, &settings).unwrap()).unwrap() {
            Prepared::Change(plan) => assert_eq!(plan.summary.files.len(), CHANGED),
            other => panic!("unexpected {other:?}"),
        }
    });
    let full = measure("full", &|dir| {
        let repo = SyncRepo::open(dir, false).unwrap();
        let fetched = repo
            .fetch_ref(
                &url,
                "refs/heads/main",
                "refs/ecosync/upstream/main",
                &GitAuth::default(),
            )
            .unwrap();
        assert_eq!(fetched, Some(tip));
    });
    let git_depth = measure("git-depth", &|dir| {
        git(dir, &["fetch", "-q", "--depth", "1", &url, "main"]);
    });
    let git_full = measure("git-full", &|dir| git(dir, &["fetch", "-q", &url, "main"]));
    println!(
        "fresh clone of the cousin, upstream of {commits} commits over {files} files over loopback HTTP \
         (git http-backend), a {CHANGED}-file change since the last sync, median of {runs} runs"
    );
    for (label, (time, bytes)) in [
        ("ecosync, shallow (verify + compute):   ", shallow),
        ("ecosync, full fetch (fetch_ref only):  ", full),
        ("git fetch --depth 1:                   ", git_depth),
        ("git fetch (full):                      ", git_full),
    ] {
        println!(
            "  {label} {:>8.1} ms  {:>10} bytes received",
            time.as_secs_f64() * 1e3,
            bytes
        );
    }
    println!(
        "  ratio shallow / full fetch: time {:.2}, bytes {:.3}",
        shallow.0.as_secs_f64() / full.0.as_secs_f64(),
        f64::from(u32::try_from(shallow.1).unwrap_or(u32::MAX))
            / f64::from(u32::try_from(full.1).unwrap_or(u32::MAX))
    );
}
