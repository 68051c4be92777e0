//! `--shard K/N` and `plan --format matrix`, through the real `dispatcher`: the shards of N cover every
//! target exactly once, each shard of one push delivers its own targets and moves its own watermark (so
//! every shard's first run delivers and its re-run delivers nothing), the matrix lists only the shards with
//! something to deliver, and a malformed shard is a usage error before anything is sent.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use ecosync::RepoName;
use ecosync::dispatch::plan::shard::Shard;
use git2::Oid;
use serde_json::{Value, json};

use crate::support::dispatch::{local_forge, source};
use crate::support::plan::{Config, plan_cmd, plan_json};
use crate::support::{Cmd, Repo};

const TIMEOUT: Duration = Duration::from_secs(60);

/// The repositories a JSON plan delivers to.
fn delivered(plan: &Value) -> Vec<String> {
    plan["deliveries"]
        .as_array()
        .unwrap_or_else(|| panic!("no deliveries: {plan:#}"))
        .iter()
        .map(|d| d["repo"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_shards_of_n_cover_every_target_exactly_once() {
    let names: Vec<String> = (0..40).map(|i| format!("acme/target-{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (repo, config) = source(&refs);
    let range = ["--base", "HEAD~1", "--head", "HEAD", "--ref", "main"];
    let whole = plan_json(&repo, &config, &range);
    assert_eq!(whole["shard"], Value::Null, "{whole:#}");
    let all: BTreeSet<String> = delivered(&whole).into_iter().collect();
    assert_eq!(all.len(), 40);
    for n in 1..=5u32 {
        let mut seen: Vec<String> = Vec::new();
        for k in 1..=n {
            let shard = format!("{k}/{n}");
            // One shard through the variable, the rest through the flag.
            let plan = if k == 1 {
                plan_cmd(&repo, &config, &range)
                    .args(["--format", "json"])
                    .env("ECOSYNC_SHARD", &shard)
                    .timeout(TIMEOUT)
                    .run()
                    .success()
                    .json()
            } else {
                let mut args = range.to_vec();
                args.extend(["--shard", &shard]);
                plan_json(&repo, &config, &args)
            };
            let here = delivered(&plan);
            assert_eq!(plan["shard"]["shard"], shard, "{plan:#}");
            assert_eq!(
                usize::try_from(plan["shard"]["in_other_shards"].as_u64().unwrap()).unwrap(),
                40 - here.len(),
                "{plan:#}"
            );
            // The library's split says the same as the binary's.
            for r in &here {
                let name = RepoName::parse(r).unwrap();
                assert_eq!(Shard::of(&name, n).to_string(), shard, "{r}");
            }
            seen.extend(here);
        }
        let unique: BTreeSet<String> = seen.iter().cloned().collect();
        assert_eq!(
            seen.len(),
            unique.len(),
            "a target in two shards of {n}: {seen:?}"
        );
        assert_eq!(unique, all, "the shards of {n} do not cover every target");
    }
}

#[test]
fn every_rendering_says_which_shard_and_how_many_are_elsewhere() {
    let names: Vec<String> = (0..10).map(|i| format!("acme/t{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (repo, config) = source(&refs);
    let here = names
        .iter()
        .filter(|r| Shard::of(&RepoName::parse(r).unwrap(), 3).index() == 2)
        .count();
    let line = format!(
        "hard 2 of 3: {here} of 10 repositories to notify; {} in other shards",
        10 - here
    );
    for format in ["text", "markdown"] {
        let out = plan_cmd(
            &repo,
            &config,
            &[
                "--base", "HEAD~1", "--head", "HEAD", "--ref", "main", "--shard", "2/3",
            ],
        )
        .args(["--format", format])
        .timeout(TIMEOUT)
        .run()
        .success();
        assert!(out.stdout.contains(&line), "{format}: {out}");
        // The counts of the plan are the shard's.
        let count = match format {
            "text" => format!("; {here} repositor"),
            _ => format!("**{here}** repositor"),
        };
        assert!(out.stdout.contains(&count), "{format}: {out}");
    }
}

#[test]
fn a_malformed_shard_is_a_usage_error_and_nothing_is_sent() {
    let forge = local_forge(&["acme/a", "acme/b"]);
    let (repo, config) = source(&["acme/a", "acme/b"]);
    for (given, says) in [
        ("0/3", "shard `0/3`: K must be from 1 to 3"),
        ("4/3", "shard `4/3`: K must be from 1 to 3"),
        ("a/b", "shard `a/b`: `a` is not a whole number"),
        (
            "3",
            "shard `3` is not of the form `K/N`; write for example `2/4`",
        ),
    ] {
        for command in ["plan", "dispatch"] {
            let mut cmd = Cmd::dispatcher()
                .dir(repo.path())
                .args([
                    command, "--base", "HEAD~1", "--head", "HEAD", "--ref", "main",
                ])
                .arg("--config")
                .arg(config.path())
                .args(["--shard", given]);
            if command == "dispatch" {
                cmd = cmd
                    .args(["--source-repo", "acme/source", "--forge"])
                    .arg(format!("local:{}", forge.path().display()));
            }
            let out = cmd
                .timeout(TIMEOUT)
                .run()
                .expect_code(2)
                .expect_stderr(says);
            assert!(
                out.stderr.contains("--shard <K/N>"),
                "names the flag: {out}"
            );
        }
    }
    let local = ecosync::forge::LocalForge::new(forge.path());
    for r in ["acme/a", "acme/b"] {
        assert!(
            local
                .dispatches(&RepoName::parse(r).unwrap())
                .unwrap()
                .is_empty()
        );
    }
    // The matrix needs its N, and N only goes with the matrix.
    plan_cmd(&repo, &config, &["--format", "matrix"])
        .timeout(TIMEOUT)
        .run()
        .expect_code(2)
        .expect_stderr("`--format matrix` needs `--shards N`");
    plan_cmd(&repo, &config, &["--shards", "4"])
        .timeout(TIMEOUT)
        .run()
        .expect_code(2)
        .expect_stderr("`--shards 4` only goes with `--format matrix`");
    plan_cmd(&repo, &config, &["--format", "matrix", "--shards", "0"])
        .timeout(TIMEOUT)
        .run()
        .expect_code(2)
        .expect_stderr("--shards <N>");
}

/// A source clone whose `origin` is on a local forge, with ten targets following `src/`.
struct Source {
    repo: Repo,
    forge: tempfile::TempDir,
    config: Config,
    events: tempfile::TempDir,
    targets: Vec<String>,
}

impl Source {
    fn new() -> Source {
        let targets: Vec<String> = (0..10).map(|i| format!("acme/t{i}")).collect();
        let mut names = vec!["acme/source".to_owned()];
        names.extend(targets.iter().cloned());
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let forge = local_forge(&refs);
        let repo = Repo::new();
        repo.write("README.md", "source\n");
        repo.commit("initial");
        repo.git
            .remote(
                "origin",
                forge.path().join("acme/source.git").to_str().unwrap(),
            )
            .unwrap();
        repo.push(&forge.path().join("acme/source.git"), "main");
        let entries: Vec<Value> = targets
            .iter()
            .map(|r| json!({"repo": r, "subscriptions": ["src/**"]}))
            .collect();
        Source {
            repo,
            forge,
            config: Config::new(&Value::Array(entries)),
            events: tempfile::tempdir().unwrap(),
            targets,
        }
    }

    /// Commits `path`, pushes `main` and returns the push event's file.
    fn push(&self, path: &str) -> (PathBuf, Oid) {
        let before = self.repo.head();
        self.repo.write(path, "x\n");
        let after = self.repo.commit(path);
        self.repo
            .push(&self.forge.path().join("acme/source.git"), "main");
        let event = self.events.path().join(format!("{after}.json"));
        let body = json!({
            "ref": "refs/heads/main", "before": before.to_string(), "after": after.to_string(),
            "repository": {"default_branch": "main"},
        });
        std::fs::write(&event, serde_json::to_vec(&body).unwrap()).unwrap();
        (event, after)
    }

    /// `dispatcher <args>` as a push's workflow runs it (`dispatch` to the local forge).
    fn run(&self, event: &PathBuf, args: &[&str]) -> Cmd {
        let mut cmd = Cmd::dispatcher()
            .dir(self.repo.path())
            .args(args)
            .arg("--config")
            .arg(self.config.path());
        if args[0] == "dispatch" {
            cmd = cmd
                .arg("--forge")
                .arg(format!("local:{}", self.forge.path().display()));
        }
        cmd.env("ECOSYNC_MIN_INTERVAL", "0")
            .env("GITHUB_EVENT_NAME", "push")
            .env("GITHUB_EVENT_PATH", event)
            .timeout(TIMEOUT)
    }

    /// How many dispatches each target received, in target order.
    fn received(&self) -> Vec<usize> {
        let local = ecosync::forge::LocalForge::new(self.forge.path());
        self.targets
            .iter()
            .map(|r| {
                local
                    .dispatches(&RepoName::parse(r).unwrap())
                    .unwrap()
                    .len()
            })
            .collect()
    }

    /// Where `git_ref` points on `origin`.
    fn origin_ref(&self, git_ref: &str) -> Option<Oid> {
        git2::Repository::open_bare(self.forge.path().join("acme/source.git"))
            .unwrap()
            .refname_to_id(git_ref)
            .ok()
    }

    /// 1 for each target of shard `k` of `n`, else 0.
    fn of_shard(&self, k: u32, n: u32) -> Vec<usize> {
        self.targets
            .iter()
            .map(|r| usize::from(Shard::of(&RepoName::parse(r).unwrap(), n).index() == k))
            .collect()
    }
}

fn add(a: &[usize], b: &[usize]) -> Vec<usize> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

#[test]
fn two_shards_of_one_push_each_deliver_their_targets_and_a_rerun_delivers_nothing() {
    let s = Source::new();
    let (one, two) = (s.of_shard(1, 2), s.of_shard(2, 2));
    assert!(
        one.contains(&1) && two.contains(&1),
        "both shards have targets: {one:?} {two:?}"
    );
    let (event, head) = s.push("src/a.rs");

    let out = s
        .run(&event, &["dispatch", "--shard", "1/2"])
        .run()
        .success();
    assert_eq!(s.received(), one, "{out}");
    assert!(
        out.stderr.contains("shard 1 of 2: "),
        "the run says which shard: {out}"
    );
    assert_eq!(
        s.origin_ref("refs/ecosync/dispatched-shard-1-of-2/main"),
        Some(head)
    );
    // The branch's own watermark is not the shards': a run without `--shard` would still deliver.
    assert_eq!(s.origin_ref("refs/ecosync/dispatched/main"), None);

    // Shard 1 moved its watermark first; shard 2 still delivers its own targets.
    let out = s
        .run(&event, &["dispatch"])
        .env("ECOSYNC_SHARD", "2/2")
        .run()
        .success();
    assert!(!out.stderr.contains("already dispatched"), "{out}");
    assert_eq!(s.received(), add(&one, &two), "{out}");
    assert_eq!(
        s.origin_ref("refs/ecosync/dispatched-shard-2-of-2/main"),
        Some(head)
    );

    // A re-run of each shard (a retried job) delivers nothing.
    for shard in ["1/2", "2/2"] {
        let out = s
            .run(&event, &["dispatch", "--shard", shard])
            .run()
            .success();
        assert!(out.stderr.contains("already dispatched"), "{shard}: {out}");
        assert!(out.stderr.contains(&format!("(shard {shard})")), "{out}");
    }
    assert_eq!(s.received(), vec![1; 10]);

    // The next push: each shard's range starts at its own watermark.
    let (event, _) = s.push("src/b.rs");
    let out = s
        .run(&event, &["dispatch", "--shard", "2/2"])
        .run()
        .success();
    assert!(
        out.stderr.contains("at ") && out.stderr.contains("the range's base"),
        "{out}"
    );
    assert_eq!(s.received(), add(&[1; 10], &two), "{out}");
}

#[test]
fn the_matrix_lists_only_the_shards_with_something_to_deliver() {
    let s = Source::new();
    let (event, _) = s.push("src/a.rs");
    let matrix = |s: &Source| -> Value {
        let out = s
            .run(&event, &["plan", "--format", "matrix", "--shards", "4"])
            .run()
            .success();
        assert_eq!(out.stdout.lines().count(), 1, "one line: {out}");
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"))
    };
    let expected: Vec<Value> = (1..=4)
        .map(|k| (k, s.of_shard(k, 4).iter().sum::<usize>()))
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| json!({"shard": format!("{k}/4"), "deliveries": n}))
        .collect();
    assert!(expected.len() > 1, "{expected:?}");
    assert_eq!(matrix(&s), json!({"include": expected}));
    assert_eq!(s.received(), vec![0; 10], "a plan sends nothing");

    // Once a shard has delivered this push, the matrix has no job for it; once all have, none at all.
    let first = expected[0]["shard"].as_str().unwrap().to_owned();
    s.run(&event, &["dispatch", "--shard", &first])
        .run()
        .success();
    assert_eq!(matrix(&s), json!({"include": expected[1..]}));
    for job in &expected[1..] {
        let shard = job["shard"].as_str().unwrap();
        s.run(&event, &["dispatch", "--shard", shard])
            .run()
            .success();
    }
    assert_eq!(matrix(&s), json!({"include": []}));
    assert_eq!(s.received(), vec![1; 10]);
}
