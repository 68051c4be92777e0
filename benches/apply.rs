//! Benchmark: a cousin of 50,000 files receives a 23-file upstream change.
//!
//! Prints, for the same change:
//! - `subscriber apply --dry-run` (the real binary, local forge): everything but the push and the API
//!   writes (it still fetches upstream and the cousin's branches, verifies, finds the last sync, applies,
//!   builds the commit and prints the diff);
//! - the library pipeline `verify` and `compute` (fetch, verify, last sync, apply, commit), no process start;
//! - `git cherry-pick` of the equivalent commit with the git CLI in a checked-out clone of the cousin
//!   (upstream already fetched, so only the cherry-pick itself is timed);
//!
//! and the ratios; then, on a fresh CI-like clone of the cousin (none of upstream's objects present, upstream
//! of `ECOSYNC_BENCH_UPSTREAM_FILES` files, 100,000 by default, over a local path):
//! - `subscriber apply --dry-run` (the real binary) in a fresh clone;
//! - a real run's pipeline, `verify` and `compute` without `--dry-run`, in a fresh clone: it reads upstream in
//!   place and copies into the clone the objects its commit takes, which the benchmark then checks with
//!   `git rev-list --objects --missing=print` (nothing missing once the run's alternate is gone);
//! - `git fetch` of upstream's branch into a fresh clone (what git needs before it can cherry-pick);
//!
//! and last, the shallow fetch of a network upstream with a long history (`apply_shallow.rs`; alone with
//! `ECOSYNC_BENCH_SHALLOW_ONLY=1`).
//!
//! Run with `cargo bench --bench apply`; `ECOSYNC_BENCH_FILES` and `ECOSYNC_BENCH_RUNS` change the size and
//! the number of timed runs (median reported), `ECOSYNC_BENCH_SUBSCRIBER` the binary timed.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use ecosync::config::cousin_config::{ConfigOverrides, CousinConfig};
use ecosync::git::{GitAuth, SyncRepo};
use ecosync::sync::compute::{self, Prepared};
use ecosync::sync::sync_settings::SyncSettings;
use ecosync::sync::verify::event::SyncEvent;
use ecosync::sync::verify::verify;
use git2::{Oid, Repository, Signature, Time};

#[path = "../tests/support/loopback_http.rs"]
#[allow(dead_code)]
mod loopback_http;
#[path = "apply_shallow.rs"]
mod shallow;

const CHANGED: usize = 23;

fn sig(t: i64) -> Signature<'static> {
    Signature::new("Bench", "bench@example.com", &Time::new(t, 0)).unwrap()
}

/// Builds a tree from (path, content) pairs through an in-memory index.
fn tree_of(repo: &Repository, files: &[(String, Vec<u8>)]) -> Oid {
    let mut idx = git2::Index::new().unwrap();
    for (path, content) in files {
        let id = repo.blob(content).unwrap();
        idx.add(&git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: 0o100644,
            uid: 0,
            gid: 0,
            file_size: u32::try_from(content.len()).unwrap_or(u32::MAX),
            id,
            flags: 0,
            flags_extended: 0,
            path: path.as_bytes().to_vec(),
        })
        .unwrap();
    }
    idx.write_tree_to(repo).unwrap()
}

fn commit(repo: &Repository, tree: Oid, parents: &[Oid], msg: &str, t: i64) -> Oid {
    let tree = repo.find_tree(tree).unwrap();
    let parents: Vec<git2::Commit<'_>> = parents
        .iter()
        .map(|p| repo.find_commit(*p).unwrap())
        .collect();
    let refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
    repo.commit(Some("HEAD"), &sig(t), &sig(t), msg, &tree, &refs)
        .unwrap()
}

/// A fresh CI-like clone of the cousin at `cousin_dir`, in `work/name`: none of upstream's objects present.
fn fresh_clone(work: &Path, cousin_dir: &Path, name: &str) -> std::path::PathBuf {
    let dir = work.join(name);
    git(
        work,
        &[
            "clone",
            "-q",
            "--no-local",
            cousin_dir.to_str().unwrap(),
            dir.to_str().unwrap(),
        ],
    );
    dir
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args([
            "-c",
            "user.name=Bench",
            "-c",
            "user.email=bench@example.com",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    if std::env::var_os("ECOSYNC_BENCH_SHALLOW_ONLY").is_some() {
        shallow::run();
        return;
    }
    let total: usize = std::env::var("ECOSYNC_BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let runs: usize = std::env::var("ECOSYNC_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let now = ecosync::git::clock::unix_seconds(SystemTime::now());
    let work = tempfile::Builder::new()
        .prefix("ecosync-bench-")
        .tempdir()
        .unwrap();
    let upstream_files: usize = std::env::var("ECOSYNC_BENCH_UPSTREAM_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let (up_dir, cousin_dir, forge_dir) = (
        work.path().join("upstream"),
        work.path().join("cousin"),
        work.path().join("forge"),
    );
    eprintln!("building an upstream of {upstream_files} files and a cousin of {total} files ...");
    let t0 = Instant::now();
    // Upstream: features/x with 200 files; the change edits 23 of them.
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    let up = Repository::init_opts(&up_dir, &opts).unwrap();
    let feature: Vec<(String, Vec<u8>)> = (0..200)
        .map(|i| {
            (
                format!("features/x/mod{i:03}/file.txt"),
                format!("line 1 of {i}\nline 2\nline 3\nline 4\nline 5\n").into_bytes(),
            )
        })
        .collect();
    // The rest of the monorepo, which the cousin does not subscribe to.
    let rest: Vec<(String, Vec<u8>)> = (0..upstream_files.saturating_sub(feature.len()))
        .map(|i| {
            (
                format!("services/svc{:03}/file{i:06}.rs", i / 1000),
                format!("// upstream file {i}\nfn f{i}() {{}}\n").into_bytes(),
            )
        })
        .collect();
    // Every upstream object goes to memory first, then into one packfile: no 100,000 loose-object writes.
    let up_odb = up.odb().unwrap();
    let mempack = up_odb.add_new_mempack_backend(1_000).unwrap();
    let with_rest = |files: &[(String, Vec<u8>)]| {
        let mut all = files.to_vec();
        all.extend_from_slice(&rest);
        all
    };
    let c1 = commit(
        &up,
        tree_of(&up, &with_rest(&feature)),
        &[],
        "upstream: initial",
        now - 7200,
    );
    let mut changed = feature.clone();
    for (path, content) in changed.iter_mut().take(CHANGED) {
        content.extend_from_slice(format!("appended to {path}\n").as_bytes());
    }
    let c2 = commit(
        &up,
        tree_of(&up, &with_rest(&changed)),
        &[c1],
        "upstream: 23-file change",
        now - 3600,
    );
    {
        let mut buf = git2::Buf::new();
        mempack.dump(&up, &mut buf).unwrap();
        let mut writer = up_odb.packwriter().unwrap();
        std::io::Write::write_all(&mut writer, &buf).unwrap();
        writer.commit().unwrap();
        mempack.reset().unwrap();
    }
    drop(up_odb);
    // The cousin: the synced feature plus its own files, 50,000 in all.
    let cousin = Repository::init_opts(&cousin_dir, &opts).unwrap();
    let mut files = feature.clone();
    files.push((
        ".github/ecosync.json".into(),
        format!(
            r#"{{"upstream": {{"repo": "acme/mono", "url": "{}"}}, "subscriptions": ["features/x"]}}"#,
            up_dir.display()
        )
        .into_bytes(),
    ));
    let own = total.saturating_sub(files.len());
    for i in 0..own {
        files.push((
            format!("src/dir{:03}/file{:05}.rs", i / 250, i),
            format!("// own file {i}\nfn f{i}() {{}}\n").into_bytes(),
        ));
    }
    let base = commit(
        &cousin,
        tree_of(&cousin, &files),
        &[],
        &format!("cousin\n\nEcosync-Upstream: acme/mono@{c1}\n"),
        now - 3000,
    );
    {
        let mut cb = git2::build::CheckoutBuilder::new();
        cb.force();
        cousin.checkout_head(Some(&mut cb)).unwrap();
    }
    // The local forge: acme/cousin.git with main.
    std::fs::create_dir_all(forge_dir.join("acme")).unwrap();
    let bare_path = forge_dir.join("acme/cousin.git");
    let mut bopts = git2::RepositoryInitOptions::new();
    bopts.bare(true).initial_head("main");
    Repository::init_opts(&bare_path, &bopts).unwrap();
    cousin
        .remote_anonymous(bare_path.to_str().unwrap())
        .unwrap()
        .push(&["refs/heads/main:refs/heads/main"], None)
        .unwrap();
    // The git CLI's clone, checked out, with upstream fetched.
    let cli_dir = work.path().join("cli");
    git(
        work.path(),
        &[
            "clone",
            "-q",
            cousin_dir.to_str().unwrap(),
            cli_dir.to_str().unwrap(),
        ],
    );
    git(&cli_dir, &["fetch", "-q", up_dir.to_str().unwrap(), "main"]);
    // Warm: the cousin has upstream's objects too (a later run in the same clone).
    git(
        &cousin_dir,
        &[
            "fetch",
            "-q",
            up_dir.to_str().unwrap(),
            "main:refs/remotes/upstream/main",
        ],
    );
    eprintln!(
        "set-up took {:.1?}; timing {runs} runs of each",
        t0.elapsed()
    );

    // 1. The real binary, dry run.
    // `ECOSYNC_BENCH_SUBSCRIBER` times another build of the binary (an older one, to compare).
    let bin_path = std::env::var("ECOSYNC_BENCH_SUBSCRIBER")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_subscriber").into());
    let bin = bin_path.as_str();
    let mut binary = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let out = Command::new(bin)
            .args([
                "apply",
                "--dry-run",
                "--sha",
                &c2.to_string(),
                "--repo-name",
                "acme/cousin",
            ])
            .arg("--repo")
            .arg(&cousin_dir)
            .arg("--forge")
            .arg(format!("local:{}", forge_dir.display()))
            .env_remove("GITHUB_EVENT_PATH")
            .output()
            .unwrap();
        binary.push(t.elapsed());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!("{CHANGED} files changed")),
            "{stdout}"
        );
    }
    // 2. The library pipeline (writes the commit into the cousin's object store: a real run minus push).
    let config_text = std::fs::read_to_string(cousin_dir.join(".github/ecosync.json")).unwrap();
    let config = CousinConfig::load(
        ".github/ecosync.json",
        &config_text,
        &ConfigOverrides::default(),
    )
    .unwrap();
    let mut library = Vec::new();
    for _ in 0..runs {
        let settings = settings(&config, &up_dir.display().to_string(), c2);
        let t = Instant::now();
        let repo = SyncRepo::open(&cousin_dir, false).unwrap();
        let prepared =
            compute::compute(&repo, &settings, verify(&repo, &settings).unwrap()).unwrap();
        library.push(t.elapsed());
        match prepared {
            Prepared::Change(plan) => assert_eq!(plan.summary.files.len(), CHANGED),
            other => panic!("unexpected {other:?}"),
        }
    }
    // 3. git cherry-pick.
    let mut cli = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        git(&cli_dir, &["cherry-pick", &c2.to_string()]);
        cli.push(t.elapsed());
        git(&cli_dir, &["reset", "-q", "--hard", &base.to_string()]);
    }
    // 4. A fresh CI-like clone: the cousin cloned, none of upstream's objects present.
    let fresh = |name: String| fresh_clone(work.path(), &cousin_dir, &name);
    let mut fresh_binary = Vec::new();
    let mut fresh_real = Vec::new();
    let mut fresh_git = Vec::new();
    for run in 0..runs {
        let dir = fresh(format!("fresh-bin-{run}"));
        let t = Instant::now();
        let out = Command::new(bin)
            .args([
                "apply",
                "--dry-run",
                "--sha",
                &c2.to_string(),
                "--repo-name",
                "acme/cousin",
            ])
            .arg("--repo")
            .arg(&dir)
            .arg("--forge")
            .arg(format!("local:{}", forge_dir.display()))
            .env_remove("GITHUB_EVENT_PATH")
            .output()
            .unwrap();
        fresh_binary.push(t.elapsed());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(&format!("{CHANGED} files changed")),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let dir = fresh(format!("fresh-real-{run}"));
        let settings = settings(&config, &up_dir.display().to_string(), c2);
        let t = Instant::now();
        let repo = SyncRepo::open(&dir, false).unwrap();
        let prepared =
            compute::compute(&repo, &settings, verify(&repo, &settings).unwrap()).unwrap();
        fresh_real.push(t.elapsed());
        let Prepared::Change(plan) = prepared else {
            panic!("unexpected {prepared:?}");
        };
        assert_eq!(plan.summary.files.len(), CHANGED);
        drop(repo);
        // The clone is whole on its own: git, which knows nothing of the run's alternate, finds every
        // object the sync commit reaches.
        let missing = Command::new("git")
            .current_dir(&dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args(["rev-list", "--objects", "--missing=print"])
            .arg(plan.commit.to_string())
            .output()
            .unwrap();
        assert!(missing.status.success(), "{missing:?}");
        assert!(
            !String::from_utf8_lossy(&missing.stdout)
                .lines()
                .any(|l| l.starts_with('?')),
            "the real run left objects missing"
        );
        let dir = fresh(format!("fresh-git-{run}"));
        let t = Instant::now();
        git(&dir, &["fetch", "-q", up_dir.to_str().unwrap(), "main"]);
        fresh_git.push(t.elapsed());
    }
    let (b, l, c) = (median(binary), median(library), median(cli));
    let (fb, fr, fg) = (median(fresh_binary), median(fresh_real), median(fresh_git));
    println!("cousin of {total} files, upstream change of {CHANGED} files, median of {runs} runs");
    println!(
        "  subscriber apply --dry-run (binary):  {:>8.1} ms",
        b.as_secs_f64() * 1e3
    );
    println!(
        "  verify + compute (library):          {:>8.1} ms",
        l.as_secs_f64() * 1e3
    );
    println!(
        "  git cherry-pick (git CLI):            {:>8.1} ms",
        c.as_secs_f64() * 1e3
    );
    println!(
        "  ratio binary / git: {:.2}   library / git: {:.2}   (below 1.00: faster than git)",
        b.as_secs_f64() / c.as_secs_f64(),
        l.as_secs_f64() / c.as_secs_f64()
    );
    println!(
        "fresh clone of the cousin (no upstream object), upstream of {upstream_files} files over a local path"
    );
    println!(
        "  subscriber apply --dry-run (binary):  {:>8.1} ms",
        fb.as_secs_f64() * 1e3
    );
    println!(
        "  verify + compute, real run (library): {:>8.1} ms",
        fr.as_secs_f64() * 1e3
    );
    println!(
        "  git fetch of upstream's main:         {:>8.1} ms",
        fg.as_secs_f64() * 1e3
    );
    println!(
        "  ratio binary / git fetch: {:.2}   real run / git fetch: {:.2}",
        fb.as_secs_f64() / fg.as_secs_f64(),
        fr.as_secs_f64() / fg.as_secs_f64()
    );
    shallow::run();
}

/// The library pipeline's settings for syncing upstream's commit `c2` from `upstream_url` (a path or a URL).
fn settings(config: &CousinConfig, upstream_url: &str, c2: Oid) -> SyncSettings {
    SyncSettings {
        config: config.clone(),
        upstream_url: upstream_url.to_owned(),
        upstream_auth: GitAuth::default(),
        base_branch: "main".into(),
        cousin_url: None,
        cousin_auth: GitAuth::default(),
        event: SyncEvent::manual(Some(c2)),
        now: SystemTime::now(),
        committer: ("Bench".into(), "bench@example.com".into()),
        server_url: "https://github.com".into(),
        merged_syncs: Vec::new(),
        config_in_repo: None,
        single_commit: false,
        upstream_ref: None,
    }
}
