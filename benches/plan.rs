//! Benchmark of `dispatcher plan --format json` against `git diff --no-renames --name-only` on a synthetic
//! monorepo.
//!
//! Run with `cargo bench --bench plan` (options after `--`: `--runs N`, `--entries N`, `--changed N`,
//! `--one-line`, `--keep`, or `--table` for the grid of 10 to 10,000 entries by 100 to 100,000 changed
//! paths). It builds, with git2 and in memory (one packfile, no work tree), a repository of 100,000 files,
//! a push that changes `--changed` paths (default 10,500: 8,000 edits, 1,000 renames, which count twice,
//! and 500 deletions, in those proportions), and an `ecosystem.json` of `--entries` entries (default
//! 1,000) with 3 patterns each (a third of them negated), pretty-printed unless `--one-line`; then it runs
//! both commands on the same range, alternately, several times, and prints the median wall and CPU times,
//! the peak resident memory (from `getrusage` of a helper process that runs just that command) and the
//! ratios. Targets: plan within 1.5x of git, under 100 MiB.

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

/// What to build and run.
#[derive(Debug, Clone, Copy)]
struct Case {
    entries: usize,
    changed: usize,
    one_line: bool,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("__measure") {
        return measure_child(&args[1..]);
    }
    let number = |flag: &str, default: usize| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|n| n.replace(['_', ','], "").parse().ok())
            .unwrap_or(default)
    };
    let runs = number("--runs", 5).max(1);
    let keep = args.iter().any(|a| a == "--keep");
    let result = if args.iter().any(|a| a == "--table") {
        table(runs)
    } else {
        let case = Case {
            entries: number("--entries", 1_000),
            changed: number("--changed", 10_500),
            one_line: args.iter().any(|a| a == "--one-line"),
        };
        single(case, runs, keep)
    };
    match result {
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

/// The figures of one command over several runs.
#[derive(Debug, Clone, Copy)]
struct Figures {
    /// Median wall time, seconds.
    wall: f64,
    /// Median CPU time (user + system), seconds.
    cpu: f64,
    /// Peak RSS over all runs, KiB.
    rss: i64,
}

/// The figures of plan and git for one case, and the plan's changed paths and deliveries.
struct Outcome {
    plan: Figures,
    git: Figures,
    paths: usize,
    deliveries: usize,
}

/// A built repository: the directory that holds it, and the push's two commits.
struct Built {
    dir: tempfile::TempDir,
    base: Oid,
    head: Oid,
}

fn build(changed: usize) -> Result<Built, Box<dyn std::error::Error>> {
    let dir = tempfile::Builder::new()
        .prefix("ecosync-bench-")
        .tempdir()?;
    let t = Instant::now();
    let (base, head) = build_repo(dir.path(), changed)?;
    eprintln!(
        "built {} files, push {base:.12}..{head:.12} changing {changed} paths, in {:.1} s",
        SERVICES * MODULES * FILES_PER_MODULE + DOC_AREAS,
        t.elapsed().as_secs_f64()
    );
    Ok(Built { dir, base, head })
}

fn single(case: Case, runs: usize, keep: bool) -> Result<(), Box<dyn std::error::Error>> {
    let built = build(case.changed)?;
    let o = run_case(&built, case, runs)?;
    let mib = |kib: i64| kib as f64 / 1024.0;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "benchmark: {runs} runs, {} entries ({}), {} changed paths, {} deliveries; median wall and CPU \
         (user+sys) time, peak RSS over all runs",
        case.entries,
        if case.one_line {
            "one line"
        } else {
            "pretty-printed"
        },
        o.paths,
        o.deliveries
    )?;
    writeln!(
        out,
        "dispatcher plan --format json          : wall {:7.3} s  cpu {:7.3} s  {:7.1} MiB",
        o.plan.wall,
        o.plan.cpu,
        mib(o.plan.rss)
    )?;
    writeln!(
        out,
        "git diff --no-renames --name-only      : wall {:7.3} s  cpu {:7.3} s  {:7.1} MiB",
        o.git.wall,
        o.git.cpu,
        mib(o.git.rss)
    )?;
    writeln!(
        out,
        "ratio plan / git                       : wall {:7.2}x   cpu {:7.2}x (target <= 1.5x); plan under 100 MiB: {}",
        o.plan.wall / o.git.wall,
        o.plan.cpu / o.git.cpu.max(1e-6),
        if mib(o.plan.rss) < 100.0 { "yes" } else { "NO" }
    )?;
    if keep {
        let kept = built.dir.keep();
        writeln!(out, "kept the repository in {}", kept.display())?;
    }
    Ok(())
}

/// The grid: 10 to 10,000 entries by 100 to 100,000 changed paths, and 10,000 entries on one line.
fn table(runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "median of {runs} runs; plan wall and CPU time, git's wall and CPU time, their ratios, plan's peak RSS"
    )?;
    writeln!(
        out,
        "| Entries | Layout | Changed paths | Deliveries | plan wall | plan CPU | git wall | git CPU | wall ratio | CPU ratio | plan RSS |"
    )?;
    writeln!(
        out,
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )?;
    for changed in [100, 10_000, 100_000] {
        let built = build(changed)?;
        let mut cases: Vec<Case> = [10, 100, 1_000, 10_000]
            .into_iter()
            .map(|entries| Case {
                entries,
                changed,
                one_line: false,
            })
            .collect();
        cases.push(Case {
            entries: 10_000,
            changed,
            one_line: true,
        });
        for case in cases {
            let o = run_case(&built, case, runs)?;
            writeln!(
                out,
                "| {} | {} | {} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {:.2}x | {:.2}x | {:.1} MiB |",
                case.entries,
                if case.one_line { "one line" } else { "pretty" },
                o.paths,
                o.deliveries,
                o.plan.wall * 1e3,
                o.plan.cpu * 1e3,
                o.git.wall * 1e3,
                o.git.cpu * 1e3,
                o.plan.wall / o.git.wall,
                o.plan.cpu / o.git.cpu.max(1e-6),
                o.plan.rss as f64 / 1024.0
            )?;
            out.flush()?;
        }
    }
    Ok(())
}

fn run_case(built: &Built, case: Case, runs: usize) -> Result<Outcome, Box<dyn std::error::Error>> {
    let config = built.dir.path().join(format!(
        "ecosystem-{}-{}.json",
        case.entries,
        if case.one_line { "line" } else { "pretty" }
    ));
    std::fs::write(&config, ecosystem(case.entries, case.one_line))?;
    let dispatcher = env!("CARGO_BIN_EXE_dispatcher");
    let (base, head) = (built.base.to_string(), built.head.to_string());
    let git_dir = built.dir.path().join("repo.git");
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
        "--no-renames",
        "--name-only",
        &base,
        &head,
    ]
    .iter()
    .map(std::string::ToString::to_string)
    .collect();

    // Sanity: the plan's changed paths are git's.
    let plan_out = Command::new(&plan_cmd[0]).args(&plan_cmd[1..]).output()?;
    if !plan_out.status.success() {
        return Err(format!("plan failed: {}", String::from_utf8_lossy(&plan_out.stderr)).into());
    }
    let plan: serde_json::Value = serde_json::from_slice(&plan_out.stdout)?;
    let paths = plan["changed_paths"].as_array().map_or(0, Vec::len);
    let deliveries = plan["deliveries"].as_array().map_or(0, Vec::len);
    let git_out = Command::new(&git_cmd[0]).args(&git_cmd[1..]).output()?;
    let git_paths = git_out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    if git_paths != paths {
        return Err(format!("plan found {paths} changed paths, git {git_paths}").into());
    }

    let (mut plan_runs, mut git_runs) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        plan_runs.push(measure(&plan_cmd)?);
        git_runs.push(measure(&git_cmd)?);
    }
    Ok(Outcome {
        plan: figures(&plan_runs),
        git: figures(&git_runs),
        paths,
        deliveries,
    })
}

fn figures(runs: &[(f64, i64, f64)]) -> Figures {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    Figures {
        wall: median(runs.iter().map(|r| r.0).collect()),
        cpu: median(runs.iter().map(|r| r.2).collect()),
        rss: runs.iter().map(|r| r.1).max().unwrap_or(0),
    }
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

/// Builds the bare repository `dir/repo.git` with two commits on `main` whose trees differ in `changed`
/// paths; returns (base, head).
fn build_repo(dir: &Path, changed: usize) -> Result<(Oid, Oid), git2::Error> {
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

    // The push: edits, renames (into another directory, two paths each) and deletions in the proportions
    // 16 : 2 : 1 (8,000, 1,000 and 500 for 10,500 paths), spread over the tree.
    let renames_wanted = changed * 2 / 21;
    let edits_wanted = changed * 16 / 21;
    let deletes_wanted = changed - edits_wanted - 2 * renames_wanted;
    let paths: Vec<String> = files.keys().cloned().collect();
    let (mut edits, mut renames, mut deletes) = (0, 0, 0);
    for (i, path) in paths.iter().enumerate() {
        match i % 10 {
            0..=7 if edits < edits_wanted => {
                let blob = repo.blob(format!("// {path}\nfn f() {{ changed() }}\n").as_bytes())?;
                files.insert(path.clone(), blob);
                edits += 1;
            }
            8 if renames < renames_wanted => {
                if let Some(blob) = files.remove(path) {
                    files.insert(format!("moved/{path}"), blob);
                    renames += 1;
                }
            }
            9 if deletes < deletes_wanted => {
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
    Ok((base, head))
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

/// `count` entries with 3 patterns each, in the styles people write: bare directories, `**` globs,
/// extension globs, and a negation in every entry but a third; pretty-printed or on one line.
fn ecosystem(count: usize, one_line: bool) -> String {
    let entries: Vec<serde_json::Value> = (0..count)
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
    if one_line {
        serde_json::to_string(&entries).unwrap_or_default()
    } else {
        serde_json::to_string_pretty(&entries).unwrap_or_default()
    }
}
