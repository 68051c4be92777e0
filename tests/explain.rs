//! `dispatcher explain` and `subscriber explain` through the real binaries: every row of the `ecosystem.json` reference's
//! path-pattern cheat sheet, bare directories, negations, the branch filter, a disabled entry, the closest
//! pattern for a typo, and where an upstream path lands in a cousin.

use serde_json::{Value, json};

use crate::support::plan::Config;
use crate::support::{Cmd, Output, Repo};

fn explain(dir: &std::path::Path, config: &Config, args: &[&str]) -> Output {
    Cmd::dispatcher()
        .dir(dir)
        .arg("explain")
        .arg("--config")
        .arg(config.path())
        .args(args)
        .run()
}

fn explain_json(dir: &std::path::Path, config: &Config, args: &[&str]) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    explain(dir, config, &all).success().json()
}

/// The backticked items of a markdown table cell.
fn ticked(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// `cell` without its parenthesised remarks.
fn without_remarks(cell: &str) -> String {
    let mut kept = String::new();
    let mut depth = 0;
    for c in cell.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 => kept.push(c),
            _ => {}
        }
    }
    kept
}

/// The example paths of a cell, remarks in parentheses left out: "everything below `docs`" stands for a
/// file below `docs`, "`x` and everything below it" for `x` and a file below it.
fn examples(cell: &str) -> Vec<String> {
    let kept = without_remarks(cell);
    let cell = kept.as_str();
    if cell == "every path" {
        return vec!["a".to_owned(), "x/y/z.md".to_owned()];
    }
    if let Some(rest) = cell.strip_prefix("everything below ") {
        return ticked(rest)
            .into_iter()
            .map(|d| format!("{d}/some/file"))
            .collect();
    }
    let mut out = ticked(cell);
    if cell.contains("and everything below it") {
        let below: Vec<String> = out.iter().map(|p| format!("{p}/some/file")).collect();
        out.extend(below);
    }
    out
}

/// The rows of the "Path patterns" cheat sheet of the `ecosystem.json` reference: (patterns, matching
/// paths, other paths).
fn cheat_sheet() -> Vec<(Vec<String>, Vec<String>, Vec<String>)> {
    let readme = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/ecosystem-json.md"
    ))
    .unwrap();
    let start = readme
        .find("## Path patterns")
        .expect("the reference has the cheat sheet");
    let mut rows = Vec::new();
    for line in readme[start..]
        .lines()
        .skip_while(|l| !l.starts_with("| Pattern"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
    {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        assert_eq!(cells.len(), 3, "{line}");
        if cells[1].starts_with("rejected") {
            continue;
        }
        rows.push((
            ticked(&without_remarks(cells[0])),
            examples(cells[1]),
            examples(cells[2]),
        ));
    }
    assert!(rows.len() >= 15, "only {} rows found", rows.len());
    rows
}

#[test]
fn every_cheat_sheet_row_of_the_readme() {
    // No git repository: every path is taken as a file, as the cheat sheet's examples are.
    let dir = tempfile::tempdir().unwrap();
    for (patterns, matching, other) in cheat_sheet() {
        let config = Config::new(&json!([{"repo": "acme/row", "subscriptions": patterns}]));
        let mut args: Vec<&str> = vec!["--repo", "."];
        args.extend(matching.iter().map(String::as_str));
        args.extend(other.iter().map(String::as_str));
        let out = explain_json(dir.path(), &config, &args);
        let out = out.as_array().unwrap();
        assert_eq!(out.len(), matching.len() + other.len());
        for (x, want) in out.iter().zip(
            std::iter::repeat_n(true, matching.len())
                .chain(std::iter::repeat_n(false, other.len())),
        ) {
            let entry = &x["entries"][0];
            assert_eq!(
                entry["delivered"], want,
                "patterns {patterns:?}, path {}: {x:#}",
                x["path"]
            );
            if want {
                // The deciding pattern is positive and is one of the row's patterns.
                let last = entry["deciding"][0].clone();
                assert_eq!(last["includes"], true, "{x:#}");
                assert!(patterns.contains(&last["pattern"].as_str().unwrap().to_owned()));
            } else {
                assert!(entry["would_need"].is_string(), "{x:#}");
            }
        }
    }
}

#[test]
fn last_match_wins_and_names_the_deciding_pattern() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::new(&json!([
        {"repo": "acme/md", "subscriptions": ["*.md", "!README.md", "README*"]},
        {"repo": "acme/nomd", "subscriptions": ["*.md", "!README.md"]}
    ]));
    let out = explain(dir.path(), &config, &["--repo", ".", "README.md"]).success();
    assert!(
        out.stdout
            .starts_with("`README.md`: delivered to `acme/md`\n"),
        "{out}"
    );
    assert!(out.stdout.contains(
        "entry 0 (`acme/md`): delivered (event `feature-update`): `README*` (pattern 2) is the last pattern that matches and takes it"
    ), "{out}");
    assert!(out.stdout.contains(
        "entry 1 (`acme/nomd`): not delivered: `!README.md` (pattern 1) is the last pattern that matches and excludes it; it would need `README.md` after its last pattern"
    ), "{out}");
}

#[test]
fn the_text_lists_the_entries_that_come_near_a_path_and_counts_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::new(&json!([
        {"repo": "acme/flask", "subscriptions": ["features/webpush/flask"]},
        {"repo": "acme/react", "subscriptions": ["features/webpush/react/**"]},
        {"repo": "acme/auth", "subscriptions": ["features/auth/**"]},
        {"repo": "acme/docs", "subscriptions": ["docs/**"]}
    ]));
    let path = "features/webpush/flask/app.py";
    let out = explain(dir.path(), &config, &["--repo", ".", path]).success();
    // The entry that takes it, and the one whose pattern starts beside it.
    assert!(
        out.stdout.contains("entry 0 (`acme/flask`): delivered"),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("entry 1 (`acme/react`): not delivered: no pattern matches it"),
        "{out}"
    );
    assert!(!out.stdout.contains("acme/auth"), "{out}");
    assert!(!out.stdout.contains("acme/docs"), "{out}");
    assert!(
        out.stdout
            .contains("  2 other entries: no pattern comes near it (`--all` lists every entry)\n"),
        "{out}"
    );
    let all = explain(dir.path(), &config, &["--repo", ".", "--all", path]).success();
    for repo in ["acme/flask", "acme/react", "acme/auth", "acme/docs"] {
        assert!(all.stdout.contains(&format!("(`{repo}`)")), "{all}");
    }
    assert!(!all.stdout.contains("other entries"), "{all}");
    // The JSON, a contract, has every entry.
    let json = explain_json(dir.path(), &config, &["--repo", ".", path]);
    assert_eq!(json[0]["entries"].as_array().unwrap().len(), 4, "{json:#}");
}

/// A source repository with directories, explained against its HEAD tree.
fn tree_repo() -> Repo {
    let repo = Repo::new();
    for f in [
        "docs/guide.md",
        "docs/drafts/wip.md",
        "features/webpush/flask/app.py",
        "features/webpush/flask-admin/app.py",
        "src/[weird]*.rs",
    ] {
        repo.write(f, f);
    }
    repo.commit("tree");
    repo
}

#[test]
fn bare_directories_stand_for_their_files() {
    let repo = tree_repo();
    let config = Config::new(&json!([
        {"repo": "acme/docs", "subscriptions": ["docs/**", "!docs/drafts/**"]},
        {"repo": "acme/flask", "subscriptions": ["features/webpush/flask"]}
    ]));
    let out = explain_json(
        repo.path(),
        &config,
        &[
            "docs",
            "docs/drafts",
            "features/webpush/flask",
            "features/webpush",
            "src",
        ],
    );
    let docs = &out[0];
    assert_eq!(
        (docs["kind"].as_str(), docs["files"].as_u64()),
        (Some("directory"), Some(2))
    );
    assert_eq!(docs["delivered_to"], json!(["acme/docs"]));
    assert_eq!(
        docs["entries"][0]["deciding"],
        json!([
            {"index": 0, "pattern": "docs/**", "includes": true, "files": 1},
            {"index": 1, "pattern": "!docs/drafts/**", "includes": false, "files": 1}
        ])
    );
    assert_eq!(out[1]["delivered_to"], json!([]));
    assert_eq!(out[1]["entries"][0]["would_need"], "docs/drafts");
    assert_eq!(out[2]["delivered_to"], json!(["acme/flask"]));
    // `features/webpush` holds `flask` (taken) and `flask-admin` (not): the entry takes 1 of 2 files.
    assert_eq!(out[3]["files"], 2);
    assert_eq!(out[3]["entries"][1]["unmatched_files"], 1);
    assert_eq!(out[3]["delivered_to"], json!(["acme/flask"]));
    // A pattern suggested for a path with glob characters escapes them.
    assert_eq!(out[4]["entries"][0]["would_need"], "src");
    let out = explain_json(repo.path(), &config, &["src/[weird]*.rs"]);
    assert_eq!(out[0]["entries"][0]["would_need"], r"src/\[weird\]\*.rs");
    // A trailing `/` marks a directory even where the tree has none.
    let out = explain(repo.path(), &config, &["nothing/"]).success();
    assert!(
        out.stdout
            .contains("`nothing/` (a directory with no file in the tree)"),
        "{out}"
    );
}

#[test]
fn branch_filter_disabled_entry_and_closest_pattern() {
    let repo = tree_repo();
    let config = Config::new(&json!([
        {"repo": "acme/docs", "subscriptions": ["docs/**"], "branches": ["main", "release/*"]},
        {"repo": "acme/off", "subscriptions": ["docs/**"], "enabled": false}
    ]));
    let out = explain(
        repo.path(),
        &config,
        &["--ref", "refs/heads/dev", "docs/guide.md"],
    )
    .success();
    assert!(out.stdout.contains(
        "entry 0 (`acme/docs`): not delivered: branch `dev` does not match its branches `main`, `release/*`, although `docs/**`"
    ), "{out}");
    assert!(out.stdout.contains(
        "entry 1 (`acme/off`): not delivered: it is disabled (`\"enabled\": false`), although `docs/**`"
    ), "{out}");
    let out = explain_json(
        repo.path(),
        &config,
        &["--ref", "release/2", "docs/guide.md"],
    );
    assert_eq!(out[0]["delivered_to"], json!(["acme/docs"]));
    assert_eq!(
        out[0]["entries"][1]["skipped"],
        json!({"reason": "disabled"})
    );
    // A typo: no pattern matches, the closest one is named.
    let out = explain(repo.path(), &config, &["doc/guide.md"]).success();
    assert!(
        out.stdout.contains(
            "no entry subscribes to it; the closest pattern is `docs/**` (entry 0, `acme/docs`)"
        ),
        "{out}"
    );
}

#[test]
fn bad_paths_and_configs_are_usage_errors() {
    let repo = tree_repo();
    let config = Config::new(&json!([{"repo": "acme/docs", "subscriptions": ["docs/**"]}]));
    explain(repo.path(), &config, &["/docs/a.md"])
        .expect_code(2)
        .expect_stderr("error: path `/docs/a.md` is absolute; paths are relative to the repository root (write `docs/a.md`)");
    explain(repo.path(), &config, &["docs/../x"]).expect_code(2);
    let bad = Config::raw(r#"[{"repo": "acme/docs", "subscription": ["docs/**"]}]"#);
    explain(repo.path(), &bad, &["docs/a.md"])
        .expect_code(2)
        .expect_stderr("did you mean `subscriptions`?");
}

fn cousin(config: &str) -> Repo {
    let r = Repo::new();
    r.write(".github/ecosync.json", config);
    r
}

fn subscriber_explain(repo: &Repo, args: &[&str]) -> Output {
    Cmd::subscriber()
        .dir(repo.path())
        .arg("explain")
        .args(args)
        .run()
}

#[test]
fn subscriber_explain_says_where_a_path_lands() {
    let r = cousin(
        r#"{"upstream": {"repo": "acme/mono"}, "strategy": "squash",
            "subscriptions": [{"path": "features/webpush/flask", "to": "app"}, "docs"]}"#,
    );
    let out = subscriber_explain(
        &r,
        &[
            "features/webpush/flask/app.py",
            "features",
            "features/webpush/flak/a.py",
            "docs/",
        ],
    )
    .success();
    assert!(out.stdout.contains(
        "`features/webpush/flask/app.py`: subscribed; lands at `app/app.py`, brought by `squash` (the upstream directory's exact state, overwriting local edits)"
    ), "{out}");
    assert!(
        out.stdout.contains(
            "`features`: not subscribed as a whole; below it `features/webpush/flask` is"
        ),
        "{out}"
    );
    assert!(out.stdout.contains(
        "`features/webpush/flak/a.py`: not subscribed; the closest subscription is `features/webpush/flask`"
    ), "{out}");
    let json = subscriber_explain(&r, &["--format", "json", "docs/a.md"])
        .success()
        .json();
    assert_eq!(json[0]["subscribed"], true);
    assert_eq!(json[0]["landings"][0]["lands_at"], "docs/a.md");
    assert_eq!(json[0]["strategy"], "squash");
}

#[test]
fn subscriber_explain_root_mapping_leaves_github_out() {
    let r = cousin(
        r#"{"upstream": {"repo": "acme/mono"}, "subscriptions": [{"path": "flask", "to": ""}]}"#,
    );
    let json = subscriber_explain(
        &r,
        &["--format", "json", "flask/.github/ci.yml", "flask/a.py"],
    )
    .success()
    .json();
    assert_eq!(json[0]["subscribed"], false);
    assert!(
        json[0]["landings"][0]["left_out"]
            .as_str()
            .unwrap()
            .contains("`.github`")
    );
    assert_eq!(json[1]["landings"][0]["lands_at"], "a.py");
    assert_eq!(json[1]["strategy"], "diff-apply");
    subscriber_explain(&r, &["../x"])
        .expect_code(2)
        .expect_stderr("has an empty, `.` or `..` component");
}

#[test]
fn subscriber_explain_merge_keeps_paths_where_they_are() {
    let r = cousin(
        r#"{"upstream": {"repo": "acme/mono"}, "strategy": "merge", "subscriptions": ["lib"]}"#,
    );
    let json = subscriber_explain(&r, &["--format", "json", "lib/x.rs"])
        .success()
        .json();
    assert_eq!(json[0]["landings"][0]["lands_at"], "lib/x.rs");
    assert!(
        json[0]["brings"]
            .as_str()
            .unwrap()
            .contains("whole upstream commits")
    );
}
