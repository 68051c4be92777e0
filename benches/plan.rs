//! Benchmark of `dispatcher plan --format json` against `git diff --name-only` on a synthetic monorepo.
//!
//! Run with `cargo bench --bench plan` (add `-- --runs N` for more runs, `-- --keep` to keep the repository).
//! It builds, with git2 and in memory (one packfile, no work tree), a repository of 100,000 files, a push
//! that changes 10,000 of them (8,000 edits, 1,000 renames, 1,000 deletions), and an `ecosystem.json` of
//! 1,000 entries with 3 patterns each (a third of them negated); then it runs both commands on the same
//! range, several times, and prints the best wall time, the peak resident memory (from `getrusage` of a
//! helper process that runs just that command) and the ratio. Targets: plan within 1.5x of git, under
//! 100 MiB.

// Figures: counts and nanoseconds far below 2^52 become f64 exactly enough to print.
#![allow(clippy::cast_precision_loss)]

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use git2::{Oid, Repository, Signature, Time};

const SERVICES: usize = 100;
const MODULES: usize = 10;
const FILES_PER_MODULE: usize = 99;
const DOC_AREAS: usize = 1_000;
const ENTRIES: usize = 1_000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("__measure") {
        return measure_child(&args[1..]);
    }
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(5usize);
    let keep = args.iter().any(|a| a == "--keep");
    match run(runs, keep) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one command, waits for it, and prints its wall time and the peak RSS of this process's children
/// (only that command, since this helper process has no other child).
fn measure_child(cmd: &[String]) -> ExitCode {
    let start = Instant::now();
    let status = Command::new(&cmd[0])
        .args(&cmd[1..])
        .stdout(Stdio::null())
        .status();
    let wall = start.elapsed().as_secs_f64();
    let Ok(status) = status else {
        eprintln!("cannot run {}", cmd[0]);
        return ExitCode::FAILURE;
    };
    if !status.success() {
        eprintln!("{} failed: {status}", cmd[0]);
        return ExitCode::FAILURE;
    }
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN);
    let (max_rss_kib, cpu) = usage.map_or((-1, -1.0), |u| {
        let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
        (u.max_rss(), secs(u.user_time()) + secs(u.system_time()))
    });
    println!("{wall} {max_rss_kib} {cpu}");
    ExitCode::SUCCESS
}

fn run(runs: usize, keep: bool) -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::Builder::new()
        .prefix("ecosync-bench-")
        .tempdir()?;
    let t = Instant::now();
    let (base, head, changed) = build_repo(dir.path())?;
    eprintln!(
        "built {} files, push {base:.12}..{head:.12} changing {changed} files, in {:.1} s",
        SERVICES * MODULES * FILES_PER_MODULE + DOC_AREAS,
        t.elapsed().as_secs_f64()
    );
    let config = dir.path().join("ecosystem.json");
    std::fs::write(&config, ecosystem())?;

    let dispatcher = env!("CARGO_BIN_EXE_dispatcher");
    let (base, head) = (base.to_string(), head.to_string());
    let git_dir = dir.path().join("repo.git");
    let plan_cmd: Vec<String> = [
        dispatcher,
        "plan",
        "--format",
        "json",
        "--repo",
        path_str(&git_dir)?,
        "--config",
        path_str(&config)?,
        "--base",
        &base,
        "--head",
        &head,
        "--ref",
        "main",
    ]
    .iter()
    .map(std::string::ToString::to_string)
    .collect();
    let git_cmd: Vec<String> = [
        "git",
        "--git-dir",
        path_str(&git_dir)?,
        "diff",
        "--name-only",
        &base,
        &head,
    ]
    .iter()
    .map(std::string::ToString::to_string)
    .collect();

    // Sanity: the plan's changed paths are git's, with renames counted on both sides.
    let plan_out = Command::new(&plan_cmd[0]).args(&plan_cmd[1..]).output()?;
    if !plan_out.status.success() {
        return Err(format!("plan failed: {}", String::from_utf8_lossy(&plan_out.stderr)).into());
    }
    let plan: serde_json::Value = serde_json::from_slice(&plan_out.stdout)?;
    let paths = plan["changed_paths"].as_array().map_or(0, Vec::len);
    let deliveries = plan["deliveries"].as_array().map_or(0, Vec::len);
    eprintln!("plan: {paths} changed paths, {deliveries} deliveries");

    let mut plan_best = (f64::MAX, 0i64, f64::MAX);
    let mut git_best = (f64::MAX, 0i64, f64::MAX);
    for _ in 0..runs {
        let p = measure(&plan_cmd)?;
        let g = measure(&git_cmd)?;
        plan_best = (
            plan_best.0.min(p.0),
            plan_best.1.max(p.1),
            plan_best.2.min(p.2),
        );
        git_best = (
            git_best.0.min(g.0),
            git_best.1.max(g.1),
            git_best.2.min(g.2),
        );
    }
    let mib = |kib: i64| kib as f64 / 1024.0;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "benchmark: {runs} runs; best wall and CPU (user+sys) time, peak RSS over all runs"
    )?;
    writeln!(
        out,
        "dispatcher plan --format json : wall {:7.3} s  cpu {:7.3} s  {:7.1} MiB",
        plan_best.0,
        plan_best.2,
        mib(plan_best.1)
    )?;
    writeln!(
        out,
        "git diff --name-only          : wall {:7.3} s  cpu {:7.3} s  {:7.1} MiB",
        git_best.0,
        git_best.2,
        mib(git_best.1)
    )?;
    writeln!(
        out,
        "ratio plan / git              : wall {:7.2}x   cpu {:7.2}x (target <= 1.5x); plan under 100 MiB: {}",
        plan_best.0 / git_best.0,
        plan_best.2 / git_best.2.max(1e-6),
        if mib(plan_best.1) < 100.0 {
            "yes"
        } else {
            "NO"
        }
    )?;
    if keep {
        let kept = dir.keep();
        writeln!(out, "kept the repository in {}", kept.display())?;
    }
    Ok(())
}

/// One run of `cmd`: wall seconds, peak RSS in KiB, CPU seconds (user + system).
fn measure(cmd: &[String]) -> Result<(f64, i64, f64), Box<dyn std::error::Error>> {
    let out = Command::new(std::env::current_exe()?)
        .arg("__measure")
        .args(cmd)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}",
            cmd[0],
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let text = String::from_utf8(out.stdout)?;
    let mut parts = text.split_whitespace();
    let wall: f64 = parts.next().ok_or("no wall time")?.parse()?;
    let rss: i64 = parts.next().ok_or("no rss")?.parse()?;
    let cpu: f64 = parts.next().ok_or("no cpu time")?.parse()?;
    Ok((wall, rss, cpu))
}

fn path_str(p: &Path) -> Result<&str, Box<dyn std::error::Error>> {
    p.to_str().ok_or_else(|| "temp path is not UTF-8".into())
}

/// Builds the bare repository `dir/repo.git` with two commits on `main`; returns (base, head, files
/// changed by the push).
fn build_repo(dir: &Path) -> Result<(Oid, Oid, usize), git2::Error> {
    let repo = Repository::init_opts(
        dir.join("repo.git"),
        git2::RepositoryInitOptions::new()
            .bare(true)
            .initial_head("main"),
    )?;
    let odb = repo.odb()?;
    // Every object goes to memory first, then into one packfile: no 100,000 loose-object writes.
    let mempack = odb.add_new_mempack_backend(1_000)?;

    let mut files: BTreeMap<String, Oid> = BTreeMap::new();
    for s in 0..SERVICES {
        for m in 0..MODULES {
            for f in 0..FILES_PER_MODULE {
                let path = format!("services/svc{s:02}/module{m}/file{f:02}.rs");
                let blob = repo.blob(format!("// {path}\nfn f() {{}}\n").as_bytes())?;
                files.insert(path, blob);
            }
        }
    }
    for a in 0..DOC_AREAS {
        let path = format!("docs/area{a:03}/README.md");
        let blob = repo.blob(format!("# {path}\n").as_bytes())?;
        files.insert(path, blob);
    }
    let sig = Signature::new("Bench", "bench@example.com", &Time::new(1_767_225_600, 0))?;
    let base_tree = repo.find_tree(build_tree(&repo, &files)?)?;
    let base = repo.commit(Some("HEAD"), &sig, &sig, "base", &base_tree, &[])?;

    // The push: 8,000 edits, 1,000 renames (into another module), 1,000 deletions, spread over the tree.
    let paths: Vec<String> = files.keys().cloned().collect();
    let (mut edits, mut renames, mut deletes) = (0, 0, 0);
    for (i, path) in paths.iter().enumerate() {
        match i % 10 {
            0..=7 if edits < 8_000 => {
                let blob = repo.blob(format!("// {path}\nfn f() {{ changed() }}\n").as_bytes())?;
                files.insert(path.clone(), blob);
                edits += 1;
            }
            8 if renames < 1_000 => {
                if let Some(blob) = files.remove(path) {
                    files.insert(format!("moved/{path}"), blob);
                    renames += 1;
                }
            }
            9 if deletes < 1_000 => {
                files.remove(path);
                deletes += 1;
            }
            _ => {}
        }
    }
    let head_tree = repo.find_tree(build_tree(&repo, &files)?)?;
    let base_commit = repo.find_commit(base)?;
    let head = repo.commit(
        Some("HEAD"),
        &sig,
        &sig,
        "push",
        &head_tree,
        &[&base_commit],
    )?;

    let mut buf = git2::Buf::new();
    mempack.dump(&repo, &mut buf)?;
    let mut writer = odb.packwriter()?;
    std::io::Write::write_all(&mut writer, &buf)
        .map_err(|e| git2::Error::from_str(&e.to_string()))?;
    writer.commit()?;
    mempack.reset()?;
    Ok((base, head, edits + renames + deletes))
}

/// Writes the nested trees for `files` (path to blob) and returns the root tree's id.
fn build_tree(repo: &Repository, files: &BTreeMap<String, Oid>) -> Result<Oid, git2::Error> {
    fn level(repo: &Repository, entries: &[(&str, Oid)]) -> Result<Oid, git2::Error> {
        let mut tb = repo.treebuilder(None)?;
        let mut i = 0;
        while i < entries.len() {
            let (path, oid) = entries[i];
            match path.split_once('/') {
                None => {
                    tb.insert(path, oid, 0o100644)?;
                    i += 1;
                }
                Some((dir, _)) => {
                    let mut children = Vec::new();
                    while i < entries.len() {
                        match entries[i].0.split_once('/') {
                            Some((d, rest)) if d == dir => {
                                children.push((rest, entries[i].1));
                                i += 1;
                            }
                            _ => break,
                        }
                    }
                    let sub = level(repo, &children)?;
                    tb.insert(dir, sub, 0o040000)?;
                }
            }
        }
        tb.write()
    }
    let entries: Vec<(&str, Oid)> = files.iter().map(|(p, o)| (p.as_str(), *o)).collect();
    level(repo, &entries)
}

/// 1,000 entries with 3 patterns each, in the styles people write: bare directories, `**` globs,
/// extension globs, and a negation in every entry but a third.
fn ecosystem() -> String {
    let entries: Vec<serde_json::Value> = (0..ENTRIES)
        .map(|k| {
            let (s, m) = (k % SERVICES, k / SERVICES % MODULES);
            let first = match k % 3 {
                0 => format!("services/svc{s:02}/module{m}"),
                1 => format!("services/svc{s:02}/module{m}/**"),
                _ => format!("services/svc{s:02}/**/file{m}*.rs"),
            };
            let second = if k % 3 == 2 {
                format!("moved/services/svc{s:02}/module{m}/")
            } else {
                format!("!services/svc{s:02}/module{m}/file9*.rs")
            };
            serde_json::json!({
                "repo": format!("bench/downstream-{k:04}"),
                "subscriptions": [first, second, format!("docs/area{k:03}/**")],
            })
        })
        .collect();
    serde_json::to_string_pretty(&entries).unwrap_or_default()
}
