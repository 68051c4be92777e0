//! `dispatcher validate`: every problem of an `ecosystem.json`, each with <file:line:column>, entry, message and
//! hint, exact; warnings for patterns that match nothing in the tree; exit codes.

use crate::support::plan::Config;
use crate::support::validate::{tree_with_warnings, validate};
use crate::support::{Cmd, Repo};

/// One file with every kind of error; all are reported, in file order, with their exact messages.
const BAD: &str = r#"[
  {"repo": "acme", "subscriptions": ["docs/**"]},
  {"repo": "-acme/web", "subscriptions": ["docs/**"]},
  {"repo": "acme/web!", "subscriptions": ["docs/**"]},
  {"repo": 42, "subscriptions": "docs/**"},
  {"repo": "acme/empty", "subscriptions": []},
  {"repo": "acme/globs", "subscriptions": ["docs/[a", "*.jsx?", "src/c++/**", "/abs", "!docs/**", 7]},
  {"repo": "acme/lone", "subscriptions": ["!docs/drafts/**", "docs/**"]},
  {"repo": "acme/dup", "subscriptions": ["a"]},
  {"repo": "Acme/Dup", "subscriptions": ["b"]},
  {"repo": "acme/events", "subscriptions": ["a"], "event_type": ""},
  {"repo": "acme/long", "subscriptions": ["a"], "event_type": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
  {"repo": "acme/typo", "subscription": ["a"], "enabeld": false, "colour": 1},
  {"repo": "acme/types", "subscriptions": ["a"], "event_type": 5, "branches": "main", "enabled": "no"},
  {"repo": "acme/branches", "subscriptions": ["a"], "branches": []},
  {"repo": "acme/branches2", "subscriptions": ["a"], "branches": ["main", 3, "rel?"]},
  "acme/string",
  {"subscriptions": ["a"], "repo": "acme/twice", "repo": "acme/twice2"}
]
"#;

const BAD_REPORT: &str = r#"error: bad.json:2:12: entry 0 (`acme`): repository `acme` is not of the form `owner/name`
  hint: write the repository as in its URL, e.g. `acme/web` for https://github.com/acme/web
error: bad.json:3:12: entry 1 (`-acme/web`): owner `-acme` in `-acme/web` is not a valid GitHub account name (letters, digits and single hyphens, not at the start or end, at most 39 characters)
  hint: write the repository as in its URL, e.g. `acme/web` for https://github.com/acme/web
error: bad.json:4:12: entry 2 (`acme/web!`): name `web!` in `acme/web!` is not a valid GitHub repository name (letters, digits, `-`, `_` and `.`, at most 100 characters, not `.` or `..`)
  hint: write the repository as in its URL, e.g. `acme/web` for https://github.com/acme/web
error: bad.json:5:12: entry 3: `repo` must be a string, found a number
  hint: write `"repo": "owner/name"`
error: bad.json:5:33: entry 3: `subscriptions` must be an array of strings, found a string
  hint: write `"subscriptions": ["path/to/feature"]`
error: bad.json:6:43: entry 4 (`acme/empty`): `subscriptions` is empty, so nothing is ever dispatched to this repository
  hint: add at least one path pattern, e.g. `"docs/**"`, or set `"enabled": false`
error: bad.json:7:44: entry 5 (`acme/globs`): invalid subscription: pattern `docs/[a` is not a valid glob: unclosed character class; missing ']'
  hint: check brackets and braces are closed and not nested; escape a literal `[`, `{` or `*` with `\`
error: bad.json:7:55: entry 5 (`acme/globs`): invalid subscription: pattern `*.jsx?` uses `?`, which in GitHub's dialect means "zero or one of the preceding character"; globs cannot express that exactly
  hint: list the alternatives with `{a,b}` (GitHub's `*.jsx?` is `*.{js,jsx}`), or escape it as `\?` to match a literal `?`
error: bad.json:7:65: entry 5 (`acme/globs`): invalid subscription: pattern `src/c++/**` uses `+`, which in GitHub's dialect means "one or more of the preceding character"; globs cannot express that exactly
  hint: list the alternatives with `{a,b}` (GitHub's `v+1.md` is `{v1,vv1}.md`), or escape it as `\+` to match a literal `+`
error: bad.json:7:79: entry 5 (`acme/globs`): invalid subscription: pattern `/abs` starts with `/` or `./`; paths are relative to the repository root
  hint: write `abs`
error: bad.json:7:87: entry 5 (`acme/globs`): negated pattern `!docs/**` has no positive pattern before it, so it excludes nothing
  hint: patterns are checked in order and the last match wins: put the pattern it carves out of first, e.g. `docs/**` then `!docs/drafts/**`
error: bad.json:7:99: entry 5 (`acme/globs`): subscription 5 must be a string, found a number
  hint: write the pattern in double quotes, e.g. `"docs/**"`
error: bad.json:8:43: entry 6 (`acme/lone`): negated pattern `!docs/drafts/**` has no positive pattern before it, so it excludes nothing
  hint: patterns are checked in order and the last match wins: put the pattern it carves out of first, e.g. `docs/**` then `!docs/drafts/**`
warning: bad.json:9:42: entry 7 (`acme/dup`): subscription `a` matches no file in HEAD
  hint: check the spelling and the case; paths are relative to the repository root
error: bad.json:10:12: entry 8 (`Acme/Dup`): repo `Acme/Dup` is already listed by entry 7
  hint: list each repository once: merge the two entries' subscriptions
error: bad.json:11:65: entry 9 (`acme/events`): `event_type` is empty
  hint: GitHub needs 1 to 100 characters; remove the field to use `feature-update`
error: bad.json:12:63: entry 10 (`acme/long`): `event_type` is 101 characters long, more than GitHub's 100
  hint: shorten it; the receiving workflow filters on it with `on.repository_dispatch.types`
error: bad.json:13:3: entry 11 (`acme/typo`): missing field `subscriptions`
  hint: add `"subscriptions": ["path/to/feature"]`, the paths this repository follows
error: bad.json:13:25: entry 11 (`acme/typo`): unknown field `subscription`
  hint: did you mean `subscriptions`? known fields: `repo`, `subscriptions`, `event_type`, `branches`, `enabled`, `mode`, `target_branch`, `strategy`, `mapping`, `pull_request`, `per_commit`, `per_commit_limit`, `buffer_hours`, `on_conflict`, `on_rejection`
error: bad.json:13:48: entry 11 (`acme/typo`): unknown field `enabeld`
  hint: did you mean `enabled`? known fields: `repo`, `subscriptions`, `event_type`, `branches`, `enabled`, `mode`, `target_branch`, `strategy`, `mapping`, `pull_request`, `per_commit`, `per_commit_limit`, `buffer_hours`, `on_conflict`, `on_rejection`
error: bad.json:13:66: entry 11 (`acme/typo`): unknown field `colour`
  hint: known fields: `repo`, `subscriptions`, `event_type`, `branches`, `enabled`, `mode`, `target_branch`, `strategy`, `mapping`, `pull_request`, `per_commit`, `per_commit_limit`, `buffer_hours`, `on_conflict`, `on_rejection`
error: bad.json:14:64: entry 12 (`acme/types`): `event_type` must be a string, found a number
  hint: write a name such as `"feature-update"`, or remove the field
error: bad.json:14:79: entry 12 (`acme/types`): `branches` must be an array of strings, found a string
  hint: write `"branches": ["main"]`
error: bad.json:14:98: entry 12 (`acme/types`): `enabled` must be `true` or `false`, found a string
  hint: write `"enabled": false` without quotes
error: bad.json:15:65: entry 13 (`acme/branches`): `branches` is empty, so no push is ever dispatched to this repository
  hint: remove the field to use `["main"]`, or set `"enabled": false`
error: bad.json:16:75: entry 14 (`acme/branches2`): branch pattern 1 must be a string, found a number
  hint: write the branch in double quotes, e.g. `"main"` or `"release/*"`
error: bad.json:16:78: entry 14 (`acme/branches2`): invalid branch pattern: pattern `rel?` uses `?`, which in GitHub's dialect means "zero or one of the preceding character"; globs cannot express that exactly
  hint: list the alternatives with `{a,b}` (GitHub's `*.jsx?` is `*.{js,jsx}`), or escape it as `\?` to match a literal `?`
error: bad.json:17:3: entry 15: an entry must be an object, found a string
  hint: write `{"repo": "owner/name", "subscriptions": ["docs/**"]}`
warning: bad.json:18:22: entry 16 (`acme/twice2`): subscription `a` matches no file in HEAD
  hint: check the spelling and the case; paths are relative to the repository root
error: bad.json:18:50: key `repo` appears twice
  hint: it was first given at line 18, column 28; keep one
error: `bad.json` is invalid: 28 errors
"#;

#[test]
fn every_error_is_reported_with_its_place_entry_message_and_hint() {
    let config = Config::raw(BAD);
    let out = validate(&config).run().expect_code(2);
    let file = config.path().display().to_string();
    assert_eq!(out.stderr, BAD_REPORT.replace("bad.json", &file), "{out}");
    assert_eq!(out.stdout, "");
}

#[test]
fn invalid_json_has_line_and_column() {
    let config = Config::raw("[\n  {\"repo\": \"a/b\", \"subscriptions\": [\"x\",]}\n]\n");
    let file = config.path().display().to_string();
    let out = validate(&config).run().expect_code(2);
    assert_eq!(
        out.stderr,
        format!(
            "error: {file}:2:40: invalid JSON: trailing commas are not allowed\n  hint: the file must be strict \
             JSON: no comments, no trailing commas, keys and strings in double quotes\nerror: `{file}` is invalid: 1 error\n"
        )
    );
    let config = Config::raw("[{\"repo\": \"a/b\" \"subscriptions\": []}]");
    let out = validate(&config).run().expect_code(2);
    assert!(
        out.stderr.contains(":1:16: invalid JSON: expected comma"),
        "{out}"
    );
    let config = Config::raw("[] // a comment");
    let out = validate(&config).run().expect_code(2);
    assert!(
        out.stderr
            .contains(":1:4: invalid JSON: comments are not allowed"),
        "{out}"
    );
}

#[test]
fn the_top_level_must_be_an_array() {
    let config = Config::raw("{\"repo\": \"a/b\"}");
    let file = config.path().display().to_string();
    let out = validate(&config).run().expect_code(2);
    assert_eq!(
        out.stderr,
        format!(
            "error: {file}:1:1: the top level must be an array of entries (or an object with `repositories`), \
             found an object\n  hint: write `[{{\"repo\": \"owner/name\", \"subscriptions\": [\"docs/**\"]}}]`\nerror: \
             `{file}` is invalid: 1 error\n"
        )
    );
}

#[test]
fn a_missing_file_is_an_error() {
    let out = Cmd::dispatcher()
        .args(["validate", "--config", "/nonexistent/ecosystem.json"])
        .run()
        .expect_code(2);
    assert!(
        out.stderr.starts_with(
            "error: /nonexistent/ecosystem.json: cannot read `/nonexistent/ecosystem.json`: "
        ),
        "{out}"
    );
}

#[test]
fn patterns_that_match_nothing_in_the_tree_are_warnings() {
    let (repo, config) = tree_with_warnings();
    let file = config.path().display().to_string();
    let out = validate(&config)
        .arg("--repo")
        .arg(repo.path())
        .run()
        .success();
    let hint = "  hint: check the spelling and the case; paths are relative to the repository root";
    assert_eq!(
        out.stderr,
        format!(
            "warning: {file}:2:54: entry 0 (`acme/docs`): subscription `Docs/**` matches no file in HEAD\n  \
             hint: did you mean `docs/**`? check the spelling and the case; paths are relative to the repository root\n\
             warning: {file}:2:65: entry 0 (`acme/docs`): subscription `!docs/drafts/**` matches no file in HEAD\n{hint}\n\
             warning: {file}:3:49: entry 1 (`acme/src`): subscription `src` is listed twice (also at position 0)\n  \
             hint: remove one; only the later one can decide a path\n"
        )
    );
    assert_eq!(
        out.stdout,
        format!("`{file}` is valid: 2 entries, 3 warnings\n")
    );
}

#[test]
fn a_valid_file_passes_and_outside_a_repository_says_what_it_could_not_check() {
    let config =
        Config::raw(r#"[{"repo": "acme/flask-app", "subscriptions": ["features/webpush/flask"]}]"#);
    let dir = tempfile::tempdir().unwrap();
    let out = validate(&config)
        .arg("--repo")
        .arg(dir.path())
        .run()
        .success();
    assert!(
        out.stdout.ends_with("is valid: 1 entry, 1 warning\n"),
        "{out}"
    );
    assert!(
        out.stderr.contains("cannot check the patterns against"),
        "{out}"
    );
}

#[test]
fn the_shipped_ecosystem_is_valid_without_warnings() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Cmd::dispatcher().dir(root).arg("validate").run().success();
    assert_eq!(
        out.stdout,
        "`ecosystem.json` is valid: 6 entries, 0 warnings\n"
    );
    assert_eq!(out.stderr, "");
}

#[test]
fn usage_errors_exit_2() {
    Cmd::dispatcher()
        .args(["validate", "--no-such-flag"])
        .run()
        .expect_code(2);
    Cmd::dispatcher()
        .args(["plan", "--format", "yaml"])
        .run()
        .expect_code(2);
}

#[test]
fn plan_refuses_an_invalid_configuration_with_the_same_report() {
    let repo = Repo::new();
    repo.write("a", "a");
    repo.commit("a");
    let config = Config::raw(r#"[{"repo": "acme/x", "subscriptions": ["!a"]}]"#);
    let file = config.path().display().to_string();
    let out = crate::support::plan::plan_cmd(&repo, &config, &[])
        .run()
        .expect_code(2);
    assert_eq!(
        out.stderr,
        format!(
            "error: {file}:1:39: entry 0 (`acme/x`): negated pattern `!a` has no positive pattern before it, so it \
             excludes nothing\n  hint: patterns are checked in order and the last match wins: put the pattern it \
             carves out of first, e.g. `docs/**` then `!docs/drafts/**`\nerror: `{file}` is invalid: 1 error\n"
        )
    );
    assert_eq!(out.stdout, "");
}

#[test]
fn validate_from_a_subdirectory_checks_the_root_ecosystem_json_against_the_tree() {
    let repo = Repo::new();
    repo.write(
        "ecosystem.json",
        r#"[{"repo": "acme/web", "subscriptions": ["web/**", "nothing/**"]}]"#,
    );
    repo.write("web/index.html", "x");
    repo.commit("first");
    let out = Cmd::dispatcher()
        .dir(repo.path().join("web"))
        .arg("validate")
        .timeout(std::time::Duration::from_secs(60))
        .run()
        .success();
    assert_eq!(
        out.stdout, "`../ecosystem.json` is valid: 1 entry, 1 warning\n",
        "{out}"
    );
    assert!(
        out.stderr.contains("warning: ../ecosystem.json:1:"),
        "{out}"
    );
    assert!(out.stderr.contains("nothing/**"), "{out}");
    let out = Cmd::dispatcher()
        .dir(repo.path())
        .arg("validate")
        .timeout(std::time::Duration::from_secs(60))
        .run()
        .success();
    assert_eq!(
        out.stdout, "`ecosystem.json` is valid: 1 entry, 1 warning\n",
        "{out}"
    );
}

#[test]
fn unknown_fields_get_the_closest_known_name_at_every_level() {
    let config = Config::raw(
        "{\n  \"$shema\": \"x\",\n  \"repositories\": [\n    {\"repo\": \"acme/web\", \"subscriptons\": [\"docs/**\"], \
         \"event-type\": \"x\", \"Enabled\": true}\n  ]\n}\n",
    );
    let file = config.path().display().to_string();
    let out = validate(&config).run().expect_code(2);
    let known = "known fields: `repo`, `subscriptions`, `event_type`, `branches`, `enabled`, `mode`, `target_branch`, `strategy`, `mapping`, `pull_request`, `per_commit`, `per_commit_limit`, `buffer_hours`, `on_conflict`, `on_rejection`";
    assert_eq!(
        out.stderr,
        format!(
            "error: {file}:2:3: unknown top-level field `$shema`\n  hint: did you mean `$schema`? the top-level object \
             has only `$schema` and `repositories`\n\
             error: {file}:4:5: entry 0 (`acme/web`): missing field `subscriptions`\n  hint: add `\"subscriptions\": \
             [\"path/to/feature\"]`, the paths this repository follows\n\
             error: {file}:4:26: entry 0 (`acme/web`): unknown field `subscriptons`\n  hint: did you mean \
             `subscriptions`? {known}\n\
             error: {file}:4:55: entry 0 (`acme/web`): unknown field `event-type`\n  hint: did you mean `event_type`? \
             {known}\n\
             error: {file}:4:74: entry 0 (`acme/web`): unknown field `Enabled`\n  hint: did you mean `enabled`? {known}\n\
             error: `{file}` is invalid: 5 errors\n"
        ),
        "{out}"
    );
}

/// `{"repos": [...]}` does not look like an entry (no `repo`, no `subscriptions`), so it is read as the
/// document form with a misspelt `repositories`, not as an entry that lost its brackets.
#[test]
fn repos_is_reported_as_a_misspelt_repositories() {
    let config = Config::raw(r#"{"repos": [{"repo": "acme/web", "subscriptions": ["docs/**"]}]}"#);
    let file = config.path().display().to_string();
    let out = validate(&config).run().expect_code(2);
    assert_eq!(
        out.stderr,
        format!(
            "error: {file}:1:1: missing field `repositories`\n  hint: write `{{\"repositories\": [{{\"repo\": \
             \"owner/name\", \"subscriptions\": [\"docs/**\"]}}]}}`\n\
             error: {file}:1:2: unknown top-level field `repos`\n  hint: did you mean `repositories`? the top-level \
             object has only `$schema` and `repositories`\n\
             error: `{file}` is invalid: 2 errors\n"
        ),
        "{out}"
    );
}

#[test]
fn validate_in_an_empty_repository_says_there_is_nothing_to_check_yet() {
    let repo = Repo::new();
    repo.write(
        "ecosystem.json",
        r#"[{"repo": "acme/web", "subscriptions": ["web/**"]}]"#,
    );
    let out = Cmd::dispatcher()
        .dir(repo.path())
        .arg("validate")
        .timeout(std::time::Duration::from_secs(60))
        .run()
        .success();
    assert!(
        out.stderr
            .contains("has no commits yet; commit something first"),
        "{out}"
    );
    assert!(!out.stderr.contains("fetch"), "{out}");
    assert!(!out.stderr.contains("--repo"), "{out}");
}

#[test]
fn a_byte_order_mark_is_named() {
    let config =
        Config::raw("\u{feff}[{\"repo\": \"acme/web\", \"subscriptions\": [\"docs/**\"]}]");
    let file = config.path().display().to_string();
    let out = validate(&config).run().expect_code(2);
    assert_eq!(
        out.stderr,
        format!(
            "error: {file}:1:1: the file starts with a UTF-8 byte-order mark (U+FEFF), which JSON does not allow\n  \
             hint: save it as UTF-8 without BOM (in most editors: encoding \"UTF-8\", not \"UTF-8 with BOM\")\n\
             error: `{file}` is invalid: 1 error\n"
        ),
        "{out}"
    );
}

/// Many problems on one long line: each with its own column, counted in characters.
#[test]
fn columns_on_one_long_line_count_characters() {
    let entries: Vec<String> = (0..200)
        .map(|i| format!(r#"{{"repo": "acme/r{i}", "subscriptions": ["déjà/{i}", "/abs{i}"]}}"#))
        .collect();
    let text = format!("[{}]", entries.join(", "));
    let config = Config::raw(&text);
    let out = validate(&config).run().expect_code(2);
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: ") && !l.contains("is invalid"))
        .collect();
    assert_eq!(lines.len(), 200, "{out}");
    for (i, line) in lines.iter().enumerate() {
        let needle = format!("\"/abs{i}\"");
        let column = text[..text.find(&needle).unwrap()].chars().count() + 1;
        assert!(
            line.contains(&format!(
                ":1:{column}: entry {i} (`acme/r{i}`): invalid subscription: pattern `/abs{i}`"
            )),
            "entry {i}: {line}"
        );
    }
}
