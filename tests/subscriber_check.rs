//! `subscriber check`: every problem of a configuration, with its line and column and a hint.

use crate::support::subscriber_fixture::check_cmd;
use crate::support::{Cmd, Repo};

fn check(repo: &Repo) -> crate::support::Output {
    check_cmd(repo.path()).run()
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

/// Several problems in one file, at several levels: each at its line and column, in file order, unknown
/// keys with the closest known one.
#[test]
fn problems_in_file_order_with_did_you_mean_at_every_level() {
    let r = Repo::new();
    r.write(
        ".github/ecosync.json",
        r#"{
  "upstream": {"repo": "acme/mono", "brnach": "main"},
  "subscriptions": [
    "features/x",
    {"path": "features/y", "too": "lib/y"}
  ],
  "strategy": "squahs",
  "pull_request": {"reviewer": ["octocat"], "draft": "yes"},
  "notify": {"to": "self", "lables": ["sync"]},
  "max_ag": "30d"
}
"#,
    );
    let out = check(&r).expect_code(2);
    let file = r.path().join(".github/ecosync.json").display().to_string();
    let pr_keys =
        "`base`, `branch`, `title`, `labels`, `reviewers`, `team_reviewers`, `assignees`, `draft`";
    let top_keys = "`$schema`, `upstream`, `subscriptions`, `strategy`, `max_age`, `pull_request`, `on_conflict`, \
                    `on_rejection`, `notify`, `acknowledge`";
    let expected = format!(
        "error: {file}:2:37: `/upstream/brnach`: unknown key `brnach` in `upstream`\n  \
         hint: did you mean `branch`? the keys are `repo`, `branch` and `url`\n\
         error: {file}:5:5: `/subscriptions/1`: subscription 1 needs string `path` and `to`\n  \
         hint: write {{\"path\": \"features/x\", \"to\": \"app\"}}; `\"to\": \"\"` is the root\n\
         error: {file}:5:28: `/subscriptions/1/too`: unknown key `too` in subscription 1\n  \
         hint: did you mean `to`? a subscription object has `path` and `to`\n\
         error: {file}:7:15: `/strategy`: `squahs` is not a known `strategy`\n  \
         hint: did you mean `squash`? use `diff-apply`, `cherry-pick`, `squash` or `merge`\n\
         error: {file}:8:20: `/pull_request/reviewer`: unknown key `reviewer` in `pull_request`\n  \
         hint: did you mean `reviewers`? the keys are {pr_keys}\n\
         error: {file}:8:54: `/pull_request/draft`: `pull_request.draft` is a string, not a boolean\n  \
         hint: write true or false, without quotes\n\
         error: {file}:9:28: `/notify/lables`: unknown key `lables` in `notify`\n  \
         hint: did you mean `labels`? the keys are `to` and `labels`\n\
         error: {file}:10:3: `/max_ag`: unknown key `max_ag`\n  \
         hint: did you mean `max_age`? the keys are {top_keys}\n\
         error: {file}: 8 problems found\n"
    );
    assert_eq!(out.stderr, expected, "{out}");
}

#[test]
fn a_byte_order_mark_is_named() {
    let r = Repo::new();
    r.write(
        ".github/ecosync.json",
        "\u{feff}{\"upstream\": {\"repo\": \"acme/mono\"}, \"subscriptions\": [\"features/x\"]}",
    );
    let out = check(&r).expect_code(2);
    let file = r.path().join(".github/ecosync.json").display().to_string();
    assert!(
        out.stderr.starts_with(&format!(
            "error: {file}:1:1: the file starts with a UTF-8 byte-order mark (U+FEFF), which JSON does not allow\n  \
             hint: save it as UTF-8 without BOM"
        )),
        "{out}"
    );
    assert!(out.stderr.ends_with(": 1 problem found\n"), "{out}");
}
