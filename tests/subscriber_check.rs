//! `subscriber check`: every problem of a configuration, with its line and column and a hint.

use crate::support::{Cmd, Repo};

fn check(repo: &Repo) -> crate::support::Output {
    Cmd::subscriber()
        .args(["check", "--repo"])
        .arg(repo.path())
        .run()
}

#[test]
fn valid_configuration_passes() {
    let r = Repo::new();
    r.write(
        ".github/ecosync.json",
        r#"{"$schema": "https://example.com/s.json", "upstream": {"repo": "acme/mono"},
            "subscriptions": ["features/x", {"path": "features/y", "to": "lib/y"}]}"#,
    );
    check(&r)
        .success()
        .expect_stdout("ok: syncs `features/x`, `features/y` -> `lib/y` from acme/mono");
}

#[test]
fn reports_every_problem_with_line_and_column() {
    let r = Repo::new();
    r.write(
        ".github/ecosync.json",
        "{\n  \"upstream\": {\"repo\": \"not a repo\"},\n  \"subscriptions\": [\n    \"ok\",\n    \"../escape\"\n  ],\n  \"strategy\": \"rebase\",\n  \"max_age\": \"forever\"\n}\n",
    );
    let out = check(&r).expect_code(2);
    for needle in [
        "ecosync.json:2:24: `/upstream/repo`",
        "ecosync.json:5:5: `/subscriptions/1`: path `../escape`",
        "ecosync.json:7:15: `/strategy`",
        "ecosync.json:8:14: `/max_age`",
        "hint: ",
        "4 problems found",
    ] {
        assert!(out.stderr.contains(needle), "missing {needle:?}\n{out}");
    }
}

#[test]
fn syntax_error_and_missing_file() {
    let r = Repo::new();
    r.write(".github/ecosync.json", "{\"upstream\": ,}");
    check(&r).expect_code(2).expect_stderr("invalid JSON");
    let empty = Repo::new();
    check(&empty)
        .expect_code(2)
        .expect_stderr("cannot read the configuration");
}

#[test]
fn plain_array_needs_upstream() {
    let r = Repo::new();
    r.write(".github/ecosync.json", r#"["features/x"]"#);
    check(&r)
        .expect_code(2)
        .expect_stderr("--upstream owner/name");
    Cmd::subscriber()
        .args(["check", "--upstream", "acme/mono", "--repo"])
        .arg(r.path())
        .run()
        .success();
}

#[test]
fn duplicate_keys_are_reported() {
    let r = Repo::new();
    r.write(
        ".github/ecosync.json",
        "{\"upstream\": {\"repo\": \"acme/mono\"},\n \"subscriptions\": [\"a\"],\n \"strategy\": \"squash\",\n \"strategy\": \"merge\"}",
    );
    let out = check(&r).expect_code(2);
    assert!(out.stderr.contains("ecosync.json:4:"), "{out}");
    assert!(out.stderr.to_lowercase().contains("strategy"), "{out}");
}
