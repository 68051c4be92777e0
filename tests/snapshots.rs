//! Snapshots of what the binaries print and write, whole, so any change to the user-visible output shows up
//! as a diff: `dispatcher plan` (three formats), `validate`, `dispatch` (local forge, dry run, under
//! Actions), `subscriber check` and `subscriber apply` (a real apply, a dry run, the Actions files, no-ops,
//! a rejection), `dispatcher demo` (the sample, and `--from` a repository), both `init` commands, and the
//! help of `demo` and `init`.
//!
//! Each snapshot is one transcript (exit code, stdout, stderr, then any file the run wrote) with everything
//! that differs between runs replaced by a bracketed name (see `support::snapshot`). The files live in
//! `tests/snapshots/`. To accept changed output after checking the diff the failing test prints:
//! `INSTA_UPDATE=always cargo test --test tests snapshots::`. Under `CI=true` a mismatch fails and nothing
//! is written.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde_json::json;

use crate::support::dispatch::{dispatch_local, local_forge, source};
use crate::support::plan::{Config, plan_cmd};
use crate::support::repo::EPOCH;
use crate::support::snapshot::{Redact, transcript};
use crate::support::subscriber_fixture::{
    Pair, check_cmd, config, conflicting, event_file, mapped, payload,
};
use crate::support::validate::{self, tree_with_warnings};
use crate::support::{Cmd, Output, Repo};

/// The file's text, or a line saying it was not written.
fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|_| "[not written]\n".to_owned())
}

// ---------------------------------------------------------------------------------------------------------
// dispatcher plan

/// A repository whose last commit adds docs, sources and a vendored file, and an ecosystem with a delivery
/// of each kind: several features, a negation, a custom event type, no match, disabled, another branch.
fn plan_fixture() -> (Repo, Config, Redact) {
    let repo = Repo::new();
    repo.write("README.md", "seed\n");
    repo.commit("seed");
    for f in [
        "README.md",
        "CHANGES.md",
        "docs/guide.md",
        "docs/deep/tree.md",
        "src/app.js",
        "src/vendor/lib.js",
    ] {
        repo.write(f, format!("{f}\n"));
    }
    repo.commit("add docs and sources");
    let config = Config::new(&json!([
        {"repo": "acme/docs", "subscriptions": ["docs/**", "README.md"]},
        {"repo": "acme/src", "subscriptions": ["src/**", "!src/vendor/**"], "event_type": "upstream-update"},
        {"repo": "acme/none", "subscriptions": ["nothing/**"]},
        {"repo": "acme/off", "subscriptions": ["**"], "enabled": false},
        {"repo": "acme/releases", "subscriptions": ["**"], "branches": ["release/*"]},
    ]));
    let redact = Redact::new()
        .path(repo.path(), "REPO")
        .path(config.path(), "CONFIG")
        .sha(&repo.head(), "HEAD")
        .sha(&repo.rev("HEAD~1"), "BASE");
    (repo, config, redact)
}

fn plan_snapshot(format: &str) -> String {
    let (repo, config, redact) = plan_fixture();
    let out = plan_cmd(&repo, &config, &["--format", format])
        .timeout(Duration::from_secs(30))
        .run()
        .success();
    transcript(&out, &redact, &[])
}

#[test]
fn plan_text() {
    let text = plan_snapshot("text");
    insta::assert_snapshot!(text);
}

#[test]
fn plan_json() {
    let text = plan_snapshot("json");
    insta::assert_snapshot!(text);
}

#[test]
fn plan_markdown() {
    let text = plan_snapshot("markdown");
    insta::assert_snapshot!(text);
}

// ---------------------------------------------------------------------------------------------------------
// dispatcher validate

fn validate(config: &Config) -> Cmd {
    validate::validate(config).timeout(Duration::from_secs(30))
}

#[test]
fn validate_valid_with_warnings() {
    let (repo, config) = tree_with_warnings();
    let out = validate(&config)
        .arg("--repo")
        .arg(repo.path())
        .run()
        .success();
    let redact = Redact::new()
        .path(repo.path(), "REPO")
        .path(config.path(), "CONFIG");
    let text = transcript(&out, &redact, &[]);
    insta::assert_snapshot!(text);
}

#[test]
fn validate_invalid() {
    let config = Config::raw(
        r#"[
  {"repo": "acme", "subscriptions": ["docs/**"]},
  {"repo": "acme/globs", "subscriptions": ["docs/[a", "*.jsx?", "!docs/**", 7]},
  {"repo": "acme/dup", "subscriptions": ["a"]},
  {"repo": "Acme/Dup", "subscriptions": ["b"]},
  {"repo": "acme/typo", "subscription": ["a"], "enabeld": false},
  {"repo": "acme/types", "subscriptions": ["a"], "event_type": 5, "enabled": "no"},
  "acme/string"
]
"#,
    );
    let out = validate(&config).run().expect_code(2);
    let redact = Redact::new().path(config.path(), "CONFIG");
    let text = transcript(&out, &redact, &[]);
    insta::assert_snapshot!(text);
}

// ---------------------------------------------------------------------------------------------------------
// dispatcher dispatch on the local forge

fn dispatch_redact(repo: &Repo, config: &Config, forge: &Path) -> Redact {
    Redact::new()
        .path(repo.path(), "REPO")
        .path(config.path(), "CONFIG")
        .path(forge, "FORGE")
        .sha(&repo.head(), "HEAD")
        .sha(&repo.rev("HEAD~1"), "BASE")
}

#[test]
fn dispatch_to_the_local_forge() {
    let (repo, config) = source(&["acme/a", "acme/b", "acme/missing"]);
    let forge = local_forge(&["acme/a", "acme/b"]);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let out = dispatch_local(&repo, &config, forge.path())
        .arg("--report")
        .arg(&report)
        .run()
        .expect_code(1);
    let redact = dispatch_redact(&repo, &config, forge.path()).path(dir.path(), "OUT");
    let text = transcript(&out, &redact, &[("--report", &read(&report))]);
    insta::assert_snapshot!(text);
}

#[test]
fn dispatch_dry_run() {
    let (repo, config) = source(&["acme/a", "acme/b"]);
    let forge = local_forge(&["acme/a", "acme/b"]);
    let out = dispatch_local(&repo, &config, forge.path())
        .arg("--dry-run")
        .run()
        .success();
    let sent = std::fs::read_dir(forge.path().join("acme"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension() == Some("forge".as_ref()))
        .count();
    assert_eq!(sent, 0, "a dry run wrote dispatch files\n{out}");
    let redact = dispatch_redact(&repo, &config, forge.path());
    let text = transcript(&out, &redact, &[]);
    insta::assert_snapshot!(text);
}

#[test]
fn dispatch_under_actions() {
    let (repo, config) = source(&["acme/a", "acme/missing"]);
    let forge = local_forge(&["acme/a", "acme/source"]);
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let output = dir.path().join("output.txt");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let out = dispatch_local(&repo, &config, forge.path())
        .arg("--notify-issue")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &output)
        .run()
        .expect_code(1);
    let issue = forge.path().join("acme/source.forge/issues/1.json");
    let issue: serde_json::Value = serde_json::from_str(&read(&issue))
        .unwrap_or_else(|e| panic!("no failure issue: {e}\n{out}"));
    let redact = dispatch_redact(&repo, &config, forge.path()).path(dir.path(), "OUT");
    let text = transcript(
        &out,
        &redact,
        &[
            ("$GITHUB_STEP_SUMMARY", &read(&summary)),
            ("$GITHUB_OUTPUT", &read(&output)),
            ("issue #1 in acme/source", &record_text(&issue)),
        ],
    );
    insta::assert_snapshot!(text);
}

/// An issue or pull request record of the local forge as text: its other fields a line each, then its
/// body and comments as they would render.
fn record_text(record: &serde_json::Value) -> String {
    let mut s = String::new();
    for (key, value) in record.as_object().expect("a record is an object") {
        if !matches!(key.as_str(), "body" | "comments") {
            _ = writeln!(s, "{key}: {value}");
        }
    }
    s.push_str("body:\n");
    s.push_str(record["body"].as_str().unwrap_or_default());
    s.push('\n');
    for (i, c) in record["comments"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        _ = write!(
            s,
            "comment {}:\n{}\n",
            i + 1,
            c.as_str().unwrap_or_default()
        );
    }
    s
}

// ---------------------------------------------------------------------------------------------------------
// subscriber check

fn check(repo: &Repo) -> Output {
    check_cmd(repo.path())
        .timeout(Duration::from_secs(30))
        .run()
}

#[test]
fn subscriber_check_ok() {
    let r = Repo::new();
    r.write(
        ".github/ecosync.json",
        r#"{"$schema": "https://example.com/s.json", "upstream": {"repo": "acme/mono"},
            "subscriptions": ["features/x", {"path": "features/y", "to": "lib/y"}]}"#,
    );
    let out = check(&r).success();
    let text = transcript(&out, &Redact::new().path(r.path(), "REPO"), &[]);
    insta::assert_snapshot!(text);
}

#[test]
fn subscriber_check_invalid() {
    let r = Repo::new();
    r.write(
        ".github/ecosync.json",
        "{\n  \"upstream\": {\"repo\": \"not a repo\"},\n  \"subscriptions\": [\n    \"ok\",\n    \"../escape\"\n  ],\n  \
         \"strategy\": \"rebase\",\n  \"max_age\": \"forever\",\n  \"colour\": 1\n}\n",
    );
    let out = check(&r).expect_code(2);
    let text = transcript(&out, &Redact::new().path(r.path(), "REPO"), &[]);
    insta::assert_snapshot!(text);
}

// ---------------------------------------------------------------------------------------------------------
// subscriber apply on the local forge

/// An upstream and a cousin mapping `features/x` to `app/`, with commits at fixed times.
fn pair() -> Pair {
    Pair::at(config(mapped(), "diff-apply"), EPOCH)
}

fn pair_redact(p: &Pair) -> Redact {
    Redact::new()
        .path(p.upstream.path(), "UPSTREAM")
        .path(p.cousin.path(), "COUSIN")
        .path(p.forge.path(), "FORGE")
        .sha(&p.upstream.head(), "UPSTREAM_HEAD")
        .sha(&p.cousin.head(), "COUSIN_HEAD")
        .sha(&"0".repeat(40), "ZERO")
}

/// `apply` with `args` under Actions' output files: the transcript with both files, redacted by `redact`.
fn apply_under_actions(p: &Pair, args: &[&str], code: i32, redact: Redact) -> String {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let output = dir.path().join("output.txt");
    let out = p
        .apply_cmd(args)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &output)
        .run()
        .expect_code(code);
    transcript(
        &out,
        &redact.path(dir.path(), "OUT"),
        &[
            ("$GITHUB_STEP_SUMMARY", &read(&summary)),
            ("$GITHUB_OUTPUT", &read(&output)),
        ],
    )
}

/// The local forge's record (pull request or issue) at `rel` under the pair's forge, as text.
fn forge_record(p: &Pair, rel: &str) -> String {
    let text = read(&p.forge.path().join(rel));
    let record: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("no record `{rel}`: {e}"));
    record_text(&record)
}

#[test]
fn apply_to_the_local_forge() {
    let p = pair();
    let mut text = apply_under_actions(&p, &["--latest"], 0, pair_redact(&p));
    assert!(
        p.remote_branch("ecosync/acme-mono").is_some(),
        "no branch pushed\n{text}"
    );
    // What the run left on the forge: the commit on the branch and the pull request.
    let forge_side = format!(
        "----- commit message on `ecosync/acme-mono`\n{}\n----- pull request #1\n{}",
        p.remote_commit_message("ecosync/acme-mono"),
        forge_record(&p, "acme/cousin.forge/pulls/1.json")
    );
    text.push_str(&pair_redact(&p).apply(&forge_side));
    insta::assert_snapshot!(text);
}

#[test]
fn apply_dry_run() {
    let p = pair();
    let text = apply_under_actions(&p, &["--latest", "--dry-run"], 0, pair_redact(&p));
    assert!(p.remote_branch("ecosync/acme-mono").is_none(), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn apply_after_the_pull_request_was_merged() {
    let p = pair();
    p.apply(&["--latest"]).success();
    p.merge_pr("ecosync/acme-mono", "merge");
    let text = apply_under_actions(&p, &["--latest"], 0, pair_redact(&p));
    insta::assert_snapshot!(text);
}

#[test]
fn apply_event_not_subscribed() {
    let p = pair();
    let (_d, ev) = event_file(payload("acme/mono", p.upstream.head(), &["other"]));
    let text = apply_under_actions(&p, &["--event", ev.to_str().unwrap()], 0, pair_redact(&p));
    insta::assert_snapshot!(text);
}

#[test]
fn apply_event_rejected() {
    let p = pair();
    let (_d, ev) = event_file(payload("evil/mono", p.upstream.head(), &["features/x"]));
    let text = apply_under_actions(&p, &["--event", ev.to_str().unwrap()], 3, pair_redact(&p));
    insta::assert_snapshot!(text);
}

/// `pair_redact` for a [`conflicting`] pair, whose upstream has two commits.
fn conflict_redact(p: &Pair) -> Redact {
    pair_redact(p).sha(&p.upstream.rev("HEAD~1"), "UPSTREAM_FIRST")
}

#[test]
fn apply_conflict_reported_in_an_issue() {
    let p = conflicting(json!({}));
    let mut text = apply_under_actions(&p, &["--latest"], 1, conflict_redact(&p));
    assert!(p.remote_branch("ecosync/acme-mono").is_none(), "{text}");
    let issue = forge_record(&p, "acme/mono.forge/issues/1.json");
    text.push_str(&conflict_redact(&p).apply(&format!("----- issue #1 in acme/mono\n{issue}")));
    insta::assert_snapshot!(text);
}

#[test]
fn apply_conflict_as_a_draft_pull_request() {
    let p = conflicting(json!({"on_conflict": "draft-pull-request"}));
    let out = p.apply(&["--latest"]).success();
    let pull = forge_record(&p, "acme/cousin.forge/pulls/1.json");
    assert!(pull.contains("\ndraft: true\n"), "{pull}\n{out}");
    let text = transcript(
        &out,
        &conflict_redact(&p),
        &[
            (
                "app/a.txt on `ecosync/acme-mono`",
                &String::from_utf8_lossy(&p.remote_files("ecosync/acme-mono")["app/a.txt"].1),
            ),
            ("pull request #1", &pull),
        ],
    );
    insta::assert_snapshot!(text);
}

/// The redaction itself: named ids and their abbreviations, unnamed ids numbered by first appearance
/// (an abbreviation before its full id included), paths, dispatch ids, timestamps and durations.
#[test]
fn redaction_names_what_varies() {
    let named = "1".repeat(40);
    let (a, b) = ("a".repeat(40), "b".repeat(40));
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{short_b} then {a} and {b}, {named} ({short_named}), {short_a}; not {eleven} nor {forty_one}\n\
         {dir}/x and {tmp}/ecosync-other-1/y; ecosync-1764620000000-4242-0a1b2c3d; \
         2026-12-01T20:11:12.5Z; (1 attempt, 37 ms); \"duration_ms\": 12\n",
        short_b = &b[..12],
        short_a = &a[..12],
        short_named = &named[..12],
        eleven = &a[..11],
        forty_one = "c".repeat(41),
        dir = dir.path().display(),
        tmp = std::env::temp_dir().display(),
    );
    let redact = Redact::new().sha(&named, "NAMED").path(dir.path(), "DIR");
    assert_eq!(
        redact.apply(&text),
        format!(
            "[SHA2:12] then [SHA1] and [SHA2], [NAMED] ([NAMED:12]), [SHA1:12]; not {} nor {}\n\
             [DIR]/x and [TMP]/y; [DISPATCH_ID]; [TIMESTAMP]; (1 attempt, [N] ms); \"duration_ms\": [MS]\n",
            &a[..11],
            "c".repeat(41),
        )
    );
}

// ---------------------------------------------------------------------------------------------------------
// dispatcher demo, the init commands, and their help

/// `dispatcher demo` on the sample: what it builds, the plan, what each entry gets and why, the delivery,
/// each `subscriber apply`, the note on the file the react entry leaves out, the pull requests.
#[test]
fn demo_sample() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let out = Cmd::dispatcher()
        .arg("demo")
        .arg("--dir")
        .arg(&dir)
        .timeout(Duration::from_secs(90))
        .run()
        .success();
    let text = transcript(&out, &Redact::new().path(&dir, "DEMO"), &[]);
    insta::assert_snapshot!(text);
}

/// `dispatcher demo --from` on a repository with an entry of every shape.
#[test]
fn demo_from_your_repository() {
    let repo = crate::demo::own_repository();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let out = crate::demo::demo_from(repo.path(), &dir).run().success();
    let redact = Redact::new()
        .path(repo.path(), "REPO")
        .path(&dir, "DEMO")
        .sha(&repo.head(), "HEAD")
        .sha(&repo.rev("HEAD~1"), "BASE");
    let text = transcript(&out, &redact, &[]);
    insta::assert_snapshot!(text);
}

/// `init` in a repository with two folders: what it prints and what it writes (the workflow is compared
/// with the shipped one rather than shown).
fn init_snapshot(binary: Cmd, args: &[&str], written: &str, workflow: &str) -> String {
    let repo = Repo::new();
    repo.write("docs/guide.md", "guide\n")
        .write("src/lib.rs", "fn a() {}\n")
        .write(".config/x", "hidden\n");
    repo.commit("first");
    let out = binary
        .arg("init")
        .args(args)
        .dir(repo.path())
        .run()
        .success();
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("workflows")
            .join(workflow),
    )
    .unwrap();
    let path = format!(".github/workflows/{workflow}");
    let same = read(&repo.path().join(&path)) == shipped;
    transcript(
        &out,
        &Redact::new().path(repo.path(), "REPO"),
        &[
            (written, &read(&repo.path().join(written))),
            (
                &path,
                &format!("the same as workflows/{workflow}: {same}\n"),
            ),
        ],
    )
}

#[test]
fn init_source() {
    let text = init_snapshot(
        Cmd::dispatcher(),
        &[],
        "ecosystem.json",
        "dispatch_updates.yml",
    );
    insta::assert_snapshot!(text);
}

#[test]
fn init_downstream() {
    let text = init_snapshot(
        Cmd::subscriber(),
        &[],
        ".github/ecosync.json",
        "sync-upstream.yml",
    );
    insta::assert_snapshot!(text);
}

/// The help of the commands a newcomer runs first.
#[test]
fn help_of_demo_and_init() {
    let mut text = String::new();
    for (name, binary, args) in [
        ("dispatcher", Cmd::dispatcher(), ["demo", "--help"]),
        ("dispatcher", Cmd::dispatcher(), ["init", "--help"]),
        ("subscriber", Cmd::subscriber(), ["init", "--help"]),
    ] {
        let out = binary.args(args).env("COLUMNS", "100").run().success();
        let _ = writeln!(text, "===== {name} {}", args.join(" "));
        text.push_str(&out.stdout);
    }
    insta::assert_snapshot!(text);
}
