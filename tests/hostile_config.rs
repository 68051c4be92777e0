//! Hostile configuration files and payloads get a clear error, never a crash: JSON nested 20,000 deep (in
//! `ecosystem.json`, in `.github/ecosync.json`, and in one target's configuration read by `forecast`),
//! 50 MB names (bounded in memory and in what is printed), a payload's `source_repo` that tries to start
//! a workflow command, branch names git would misread, and subscriptions no git tree can hold.

use std::time::Duration;

use ecosync::demo::DemoSample;
use serde_json::json;

use crate::support::plan::Config;
use crate::support::subscriber_fixture::{Pair, check_cmd, config, event_file, mapped, payload};
use crate::support::{Cmd, Output, Repo, demo};

/// A source repository with one commit touching `src/`.
fn source() -> Repo {
    let repo = Repo::new();
    repo.write("src/lib.rs", "fn main() {}");
    repo.commit("first");
    repo
}

fn validate(repo: &Repo, config: &std::path::Path) -> Output {
    Cmd::dispatcher()
        .args(["validate", "--config"])
        .arg(config)
        .arg("--repo")
        .arg(repo.path())
        .timeout(Duration::from_secs(60))
        .run()
}

/// No line of the run's output starts a workflow command.
fn assert_no_workflow_command(out: &Output) {
    for line in out.stdout.lines().chain(out.stderr.lines()) {
        assert!(
            !line.starts_with("::") || line.starts_with("::error title=ecosync::"),
            "a forged workflow command: {line:?}\n{out}"
        );
    }
}

fn deep(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn json_nested_twenty_thousand_deep_is_a_clear_error_in_both_files() {
    let repo = source();
    let eco = Config::raw(&deep(20_000));
    let out = validate(&repo, &eco.path()).expect_code(2);
    assert!(
        out.stderr.contains(
            ":1:65: invalid configuration: arrays and objects are nested more than 64 levels deep"
        ),
        "{out}"
    );
    assert!(out.stderr.contains("hint:"), "{out}");
    // The same in the subscriber's file, and in an object.
    let cousin = Repo::new();
    cousin.write(
        ".github/ecosync.json",
        format!("{{\"upstream\": {}}}", deep(20_000)),
    );
    cousin.commit("deep");
    let out = check_cmd(cousin.path()).run().expect_code(2);
    assert!(
        out.stderr.contains("nested more than 64 levels deep"),
        "{out}"
    );
}

/// One target's configuration nested 20,000 deep: that target's forecast says why it cannot be told, and
/// every other target is forecast.
#[test]
fn one_deep_target_configuration_does_not_stop_forecast() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = demo::sample(tmp.path());
    let hostile = "acme/flask-webpush";
    sample
        .push(
            hostile,
            &[(
                ".github/ecosync.json",
                format!("{{\"upstream\": {}}}", deep(20_000)).as_str(),
            )],
            "a hostile configuration",
        )
        .unwrap();
    let head = sample.push_update().unwrap();
    let out = Cmd::dispatcher()
        .args(["forecast", "--ref", "main", "--format", "json"])
        .args(["--forge", &demo::local_forge(&sample)])
        .args([
            "--base",
            &sample.first.to_string(),
            "--head",
            &head.to_string(),
        ])
        .arg("--repo")
        .arg(sample.work_dir(DemoSample::source().as_str()))
        .timeout(Duration::from_secs(60))
        .run()
        .success();
    let json = out.json();
    let targets = json["targets"].as_array().unwrap();
    let bad = targets.iter().find(|t| t["repo"] == hostile).unwrap();
    assert_eq!(bad["result"], "unknown", "{out}");
    assert!(
        bad["reason"]
            .as_str()
            .unwrap()
            .contains("nested more than 64 levels deep"),
        "{out}"
    );
    assert!(
        targets
            .iter()
            .filter(|t| t["repo"] != hostile)
            .all(|t| t["result"] != "unknown"),
        "{out}"
    );
}

/// The largest resident set of the children this process waited for, in bytes. (A child started by
/// `vfork`, as `posix_spawn` does, counts this process's own resident set too: the tests below never hold
/// the large files they write.)
fn children_peak_memory() -> u64 {
    let usage =
        nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN).unwrap();
    // Kilobytes on Linux.
    u64::try_from(usage.max_rss()).unwrap() * 1024
}

/// Writes `before`, `len` bytes of `a`, then `after` to `path`, a megabyte at a time.
fn write_padded(path: &std::path::Path, before: &str, len: usize, after: &str) {
    use std::io::Write as _;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    f.write_all(before.as_bytes()).unwrap();
    let chunk = vec![b'a'; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len());
        f.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    f.write_all(after.as_bytes()).unwrap();
}

/// A 50 MB repository name and a 50 MB subscription: a clear error at the string, printed in a few lines,
/// with a peak memory of at most ten times the file's size plus a fixed base.
#[test]
fn fifty_megabyte_names_are_refused_in_bounded_memory_and_output() {
    let repo = source();
    let dir = tempfile::tempdir().unwrap();
    for (what, before, after) in [
        (
            "repository",
            "[{\"repo\": \"acme/",
            "\", \"subscriptions\": [\"src/**\"]}]",
        ),
        (
            "subscription",
            "[{\"repo\": \"acme/web\", \"subscriptions\": [\"",
            "\"]}]",
        ),
    ] {
        let file = dir.path().join(format!("{what}.json"));
        write_padded(&file, before, 50_000_000, after);
        let size = std::fs::metadata(&file).unwrap().len();
        let out = validate(&repo, &file).expect_code(2);
        assert!(
            out.stderr
                .contains("invalid configuration: a string of 50,000,00"),
            "{what}: {}",
            &out.stderr[..out.stderr.len().min(2000)]
        );
        let printed = out.stdout.len() + out.stderr.len();
        assert!(printed < 4_000, "{what}: {printed} bytes printed");
        let peak = children_peak_memory();
        println!(
            "hostile input | 50 MB {what} name | {printed} bytes printed, peak memory {} MB for a {} MB file",
            peak / 1_000_000,
            size / 1_000_000
        );
        assert!(
            peak <= 10 * size + 64_000_000,
            "{what}: peak memory {peak} for a file of {size} bytes"
        );
    }
    // Under the limit, a long name is still cut in messages, with a count.
    let long = "b".repeat(60_000);
    let eco = Config::new(&json!([{"repo": format!("acme/{long}"), "subscriptions": ["src/**"]}]));
    let out = validate(&repo, &eco.path()).expect_code(2);
    assert!(out.stderr.contains("more bytes)"), "{out}");
    assert!(out.stderr.len() < 4_000, "{}", out.stderr.len());
}

/// A payload whose `source_repo` holds a newline and a workflow command: rejected, and no line of the
/// output (errors included, and the annotation under GitHub Actions) starts a workflow command.
#[test]
fn a_payload_that_forges_a_workflow_command_never_reaches_the_output_raw() {
    let p = Pair::new(config(mapped(), "diff-apply"));
    let evil = "acme/mono\n::error::pwned\n::add-mask::x";
    let (_dir, event) = event_file(payload(evil, p.upstream.head(), &["features/x"]));
    for actions in [false, true] {
        let mut cmd = p.apply_cmd(&["--event", event.to_str().unwrap()]);
        if actions {
            cmd = cmd.env("GITHUB_ACTIONS", "true");
        }
        let out = cmd.run();
        assert_eq!(out.code, Some(3), "{out}");
        assert_no_workflow_command(&out);
        assert!(out.stderr.contains(r"mono\n::error::pwned"), "{out}");
    }
    assert!(p.pulls().is_empty());
}

/// Branch names git would misread are configuration errors in both files: option-like names, `HEAD`, full
/// ref names; nothing is created from them. On the command line `--ref refs/heads/main` stays accepted.
#[test]
fn branch_names_git_would_misread_are_configuration_errors() {
    let repo = source();
    let eco = Config::new(&json!([
        {"repo": "acme/a", "subscriptions": ["src/**"], "mode": "push", "target_branch": "--force"},
        {"repo": "acme/b", "subscriptions": ["src/**"], "mode": "push", "target_branch": "HEAD"},
        {"repo": "acme/c", "subscriptions": ["src/**"], "mode": "push", "target_branch": "refs/heads/main"},
    ]));
    let out = validate(&repo, &eco.path()).expect_code(2);
    for expected in [
        "`target_branch` `--force` is not a valid branch name: it starts with `-`",
        "`target_branch` `HEAD` is not a valid branch name: `HEAD` names the checked-out commit",
        "`target_branch` `refs/heads/main` is not a valid branch name: it is a full ref name",
        "hint: write `main`",
    ] {
        assert!(out.stderr.contains(expected), "{expected}\n{out}");
    }
    let mut cfg = config(mapped(), "diff-apply");
    cfg["upstream"]["branch"] = json!("-x");
    cfg["pull_request"] = json!({"base": "refs/heads/main", "branch": "--force"});
    let p = Pair::new(cfg);
    let out = check_cmd(p.cousin.path()).run().expect_code(2);
    for expected in [
        "`upstream.branch` `-x` is not a valid branch name: it starts with `-`",
        "`pull_request.base` `refs/heads/main` is not a valid branch name: it is a full ref name",
        "`--force` does not make a valid branch name",
    ] {
        assert!(out.stderr.contains(expected), "{expected}\n{out}");
    }
    let out = p.apply(&["--latest"]);
    assert_eq!(out.code, Some(2), "{out}");
    let cousin = git2::Repository::open_bare(p.forge_repo("cousin")).unwrap();
    let refs: Vec<String> = cousin
        .references()
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|r| r.name().ok().map(str::to_owned))
        .collect();
    assert_eq!(refs, ["refs/heads/main"], "nothing created\n{out}");
    // The command line's full ref name is the pushed ref, as in an event.
    let ok = Config::new(&json!([{"repo": "acme/a", "subscriptions": ["src/**"]}]));
    Cmd::dispatcher()
        .dir(repo.path())
        .args([
            "plan",
            "--base",
            "HEAD",
            "--head",
            "HEAD",
            "--ref",
            "refs/heads/main",
        ])
        .arg("--config")
        .arg(ok.path())
        .run()
        .success();
}

/// Subscriptions and mapping paths no git tree can hold (a `.git` component in any case, a NUL) are
/// configuration errors.
#[test]
fn paths_no_git_tree_can_hold_are_configuration_errors() {
    let repo = source();
    let eco = Config::new(&json!([
        {"repo": "acme/a", "subscriptions": [".git/**", "x/.GIT/y", "a\u{0}b"]},
        {"repo": "acme/b", "subscriptions": ["src/**"], "mapping": [{"path": "src", "to": ".Git/hooks"}]},
    ]));
    let out = validate(&repo, &eco.path()).expect_code(2);
    for expected in [
        "pattern `.git/**` names a `.git` directory",
        "pattern `x/.GIT/y` names a `.git` directory",
        r"pattern `a\0b` contains a control character",
        "touches a `.git` directory",
    ] {
        assert!(out.stderr.contains(expected), "{expected}\n{out}");
    }
    assert_no_workflow_command(&out);
    let p = Pair::new(config(
        json!([{"path": "features/x", "to": "app/.git/x"}, {"path": "a\u{0}b", "to": "c"}]),
        "diff-apply",
    ));
    let out = check_cmd(p.cousin.path()).run().expect_code(2);
    assert!(out.stderr.contains("touches a `.git` directory"), "{out}");
    assert!(out.stderr.contains("control character"), "{out}");
}
