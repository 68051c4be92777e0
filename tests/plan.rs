//! `dispatcher plan` on real repositories: GitHub's filter-pattern cheat sheet, bare directories, negation
//! order, the branch filter, and the three output formats.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::plan::{Config, changed, delivery, git_names, plan_cmd, plan_json, strings};
use crate::support::{Cmd, Output, Repo};

const FILES: &[&str] = &[
    "README.md",
    "CHANGES.md",
    "a-post.md",
    "app.js",
    "app.jsx",
    "index.ts",
    "migrate-1.sql",
    "docs/guide.md",
    "docs/img.png",
    "docs/deep/tree.md",
    "src/app.js",
    "src/lib/util.js",
    "mysrc/x.c",
    "a/src/b.c",
    "x/docs/a.txt",
    "sub/README.md",
    "blog/my-post.md",
    "db/migrate-10.sql",
    "features/webpush/flask/app.py",
    "features/webpush/flask-admin/app.py",
    "workflows/ci.yml",
];

/// A repository whose second commit adds every file of [`FILES`].
fn cheat_sheet_repo() -> Repo {
    let repo = Repo::new();
    repo.write("seed", "seed");
    repo.commit("seed");
    for f in FILES {
        repo.write(f, *f);
    }
    repo.commit("add everything");
    repo
}

/// Each row: the patterns of one entry and the paths it must deliver (empty: no delivery).
fn rows() -> Vec<(Vec<&'static str>, Vec<&'static str>)> {
    vec![
        (
            vec!["*"],
            vec![
                "CHANGES.md",
                "README.md",
                "a-post.md",
                "app.js",
                "app.jsx",
                "index.ts",
                "migrate-1.sql",
            ],
        ),
        (vec!["**"], FILES.to_vec()),
        (vec!["*.js"], vec!["app.js"]),
        (
            vec!["**.js"],
            vec!["app.js", "src/app.js", "src/lib/util.js"],
        ),
        (vec!["docs/*"], vec!["docs/guide.md", "docs/img.png"]),
        (
            vec!["docs/**"],
            vec!["docs/deep/tree.md", "docs/guide.md", "docs/img.png"],
        ),
        (
            vec!["docs/**/*.md"],
            vec!["docs/deep/tree.md", "docs/guide.md"],
        ),
        (
            vec!["**/docs/**"],
            vec![
                "docs/deep/tree.md",
                "docs/guide.md",
                "docs/img.png",
                "x/docs/a.txt",
            ],
        ),
        (vec!["**/README.md"], vec!["README.md", "sub/README.md"]),
        (
            vec!["**/*src/**"],
            vec!["a/src/b.c", "mysrc/x.c", "src/app.js", "src/lib/util.js"],
        ),
        (vec!["**/*-post.md"], vec!["a-post.md", "blog/my-post.md"]),
        (
            vec!["**/migrate-*.sql"],
            vec!["db/migrate-10.sql", "migrate-1.sql"],
        ),
        (vec!["*.md", "!README.md"], vec!["CHANGES.md", "a-post.md"]),
        (
            vec!["*.md", "!README.md", "README*"],
            vec!["CHANGES.md", "README.md", "a-post.md"],
        ),
        (
            vec!["features/webpush/flask"],
            vec!["features/webpush/flask/app.py"],
        ),
        (vec!["workflows/"], vec!["workflows/ci.yml"]),
        (
            vec!["{src,docs}/*.{js,md}"],
            vec!["docs/guide.md", "src/app.js"],
        ),
        (vec!["app.js[x]"], vec!["app.jsx"]),
        (
            vec!["**/*.md", "!docs/**", "docs/deep/**"],
            vec![
                "CHANGES.md",
                "README.md",
                "a-post.md",
                "blog/my-post.md",
                "docs/deep/tree.md",
                "sub/README.md",
            ],
        ),
        (vec!["nothing/**"], vec![]),
    ]
}

#[test]
fn every_cheat_sheet_row_matches_like_github() {
    let repo = cheat_sheet_repo();
    let rows = rows();
    let entries: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(i, (patterns, _))| json!({"repo": format!("acme/row-{i}"), "subscriptions": patterns}))
        .collect();
    let config = Config::new(&Value::Array(entries));
    let plan = plan_json(
        &repo,
        &config,
        &["--base", "HEAD~1", "--head", "HEAD", "--ref", "main"],
    );
    assert_eq!(changed(&plan), git_names(repo.path(), &["HEAD~1", "HEAD"]));
    for (i, (patterns, expected)) in rows.iter().enumerate() {
        let name = format!("acme/row-{i}");
        let got = delivery(&plan, &name).map(|d| strings(&d["paths"]));
        let mut expected: Vec<String> = expected
            .iter()
            .map(std::string::ToString::to_string)
            .collect();
        expected.sort();
        if expected.is_empty() {
            assert_eq!(got, None, "row {i} {patterns:?} should deliver nothing");
        } else {
            assert_eq!(got, Some(expected), "row {i} {patterns:?}");
        }
    }
    // Deliveries come in config order.
    let order: Vec<String> = plan["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["repo"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = order.clone();
    sorted.sort_by_key(|r| r["acme/row-".len()..].parse::<usize>().unwrap());
    assert_eq!(order, sorted);
}

#[test]
fn features_list_the_credited_patterns_in_entry_order() {
    let repo = cheat_sheet_repo();
    let config = Config::new(&json!([
        {"repo": "acme/readme", "subscriptions": ["*.md", "!README.md", "README*"], "event_type": "docs"},
        {"repo": "acme/negated", "subscriptions": ["docs/**", "src/**", "!src/**"]},
    ]));
    let plan = plan_json(&repo, &config, &["--base", "HEAD~1", "--ref", "main"]);
    let d = delivery(&plan, "acme/readme").unwrap();
    assert_eq!(d["event_type"], "docs");
    assert_eq!(strings(&d["features"]), ["*.md", "README*"]);
    let d = delivery(&plan, "acme/negated").unwrap();
    // `src/**` matched but a later negation took every path back: it is not credited.
    assert_eq!(strings(&d["features"]), ["docs/**"]);
    assert_eq!(
        strings(&d["paths"]),
        ["docs/deep/tree.md", "docs/guide.md", "docs/img.png"]
    );
}

#[test]
fn bare_directory_matches_below_it_but_not_a_sibling_prefix() {
    let repo = Repo::new();
    repo.write("features/webpush/flask/app.py", "1");
    repo.write("features/webpush/flask-admin/app.py", "1");
    repo.commit("one");
    repo.write("features/webpush/flask-admin/app.py", "2");
    repo.commit("only the admin");
    let config = Config::new(&json!([
        {"repo": "acme/flask", "subscriptions": ["features/webpush/flask"]}
    ]));
    let plan = plan_json(&repo, &config, &[]);
    assert_eq!(plan["deliveries"], json!([]));
    assert_eq!(changed(&plan), git_names(repo.path(), &["HEAD~1", "HEAD"]));

    repo.write("features/webpush/flask/app.py", "2");
    repo.write("features/webpush/flask/templates/x.html", "2");
    repo.commit("flask itself");
    let plan = plan_json(&repo, &config, &[]);
    assert_eq!(
        plan["deliveries"],
        json!([{
            "repo": "acme/flask",
            "event_type": "feature-update",
            "features": ["features/webpush/flask"],
            "paths": ["features/webpush/flask/app.py", "features/webpush/flask/templates/x.html"],
            "mode": "dispatch",
        }])
    );
}

#[test]
fn branches_disabled_entries_and_unknown_ref_are_skipped_with_reasons() {
    let repo = cheat_sheet_repo();
    let config = Config::new(&json!([
        {"repo": "acme/main-only", "subscriptions": ["**"]},
        {"repo": "acme/releases", "subscriptions": ["**"], "branches": ["release/*", "!release/old-*"]},
        {"repo": "acme/off", "subscriptions": ["**"], "enabled": false},
    ]));
    let plan = plan_json(
        &repo,
        &config,
        &["--base", "HEAD~1", "--ref", "release/2.0"],
    );
    assert_eq!(plan["ref"], "release/2.0");
    assert!(delivery(&plan, "acme/releases").is_some());
    assert_eq!(
        plan["skipped"],
        json!([
            {"entry": 0, "repo": "acme/main-only", "reason": "branch_not_matched", "ref": "release/2.0", "branches": ["main"]},
            {"entry": 2, "repo": "acme/off", "reason": "disabled"},
        ])
    );
    // `*` does not cross `/` in branch patterns either, and a later negation excludes.
    let plan = plan_json(
        &repo,
        &config,
        &["--base", "HEAD~1", "--ref", "refs/heads/release/old-1"],
    );
    assert_eq!(plan["ref"], "release/old-1");
    assert_eq!(plan["deliveries"], json!([]));
    let plan = plan_json(
        &repo,
        &config,
        &["--base", "HEAD~1", "--ref", "release/2.0/hotfix"],
    );
    assert_eq!(plan["deliveries"], json!([]));

    // The current branch is the default ref.
    let plan = plan_json(&repo, &config, &["--base", "HEAD~1"]);
    assert_eq!(plan["ref"], "main");
    assert!(delivery(&plan, "acme/main-only").is_some());

    let text = plan_cmd(&repo, &config, &["--base", "HEAD~1", "--ref", "dev"])
        .run()
        .success()
        .stdout;
    assert!(
        text.contains(
            "skipped entry 0 (`acme/main-only`): branch `dev` does not match its branches `main`"
        ),
        "{text}"
    );
    assert!(
        text.contains("skipped entry 2 (`acme/off`): disabled"),
        "{text}"
    );
}

#[test]
fn text_and_markdown_formats() {
    let repo = cheat_sheet_repo();
    let config = Config::new(&json!([
        {"repo": "acme/docs", "subscriptions": ["docs/**", "README.md"]},
        {"repo": "acme/none", "subscriptions": ["nothing/**"]},
        {"repo": "acme/off", "subscriptions": ["**"], "enabled": false},
    ]));
    let head = repo.head().to_string();
    let base = repo.rev("HEAD~1").to_string();
    let text = plan_cmd(&repo, &config, &[]).run().success().stdout;
    let expected = format!(
        "compared {}..{} on branch `main`: `HEAD` against its first parent\n\
         {} changed paths; 1 repository would receive a dispatch\n  \
         acme/docs  feature-update  4 paths via `docs/**`, `README.md`\n\
         1 other repository: no changed path matched\n\
         skipped entry 2 (`acme/off`): disabled\n\
         nothing was sent: this is a plan\n",
        &base[..12],
        &head[..12],
        FILES.len()
    );
    assert_eq!(text, expected);

    let md = plan_cmd(&repo, &config, &["--format", "markdown"])
        .run()
        .success()
        .stdout;
    assert!(md.starts_with("### ecosync plan\n"), "{md}");
    assert!(
        md.contains("| `acme/docs` | dispatch `feature-update` | `docs/**`, `README.md` | `README.md`<br>`docs/deep/tree.md`<br>`docs/guide.md`<br>`docs/img.png` |"),
        "{md}"
    );
    assert!(md.contains("- `acme/off` (entry 2): disabled"), "{md}");
    assert!(
        md.contains("<details><summary>Changed paths (21)</summary>"),
        "{md}"
    );
}

#[test]
fn the_shipped_ecosystem_plans_on_this_repository() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out: Output = Cmd::dispatcher()
        .dir(root)
        .args([
            "plan", "--format", "json", "--base", "HEAD", "--head", "HEAD", "--ref", "main",
        ])
        .run()
        .success();
    let plan = out.json();
    assert_eq!(plan["changed_paths"], json!([]));
    assert_eq!(plan["deliveries"], json!([]));
    assert_eq!(
        plan["skipped"],
        json!([
            {"entry": 4, "repo": "ecosync-demo/subscriber-cli", "reason": "branch_not_matched", "ref": "main", "branches": ["release/*"]},
            {"entry": 5, "repo": "ecosync-demo/archive", "reason": "disabled"},
        ])
    );

    // Pretend every file of the tree changed: each shipped entry that is enabled on `main` delivers.
    let repo = Repo::new();
    let tracked = std::process::Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root)
        .output()
        .expect("git ls-files");
    for f in String::from_utf8(tracked.stdout)
        .unwrap()
        .split('\0')
        .filter(|s| !s.is_empty())
    {
        repo.write(f, "x");
    }
    repo.commit("the tree");
    let config =
        Config::raw(&std::fs::read_to_string(Path::new(root).join("ecosystem.json")).unwrap());
    let plan = plan_json(&repo, &config, &[]);
    let repos: Vec<&str> = plan["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["repo"].as_str().unwrap())
        .collect();
    assert_eq!(
        repos,
        [
            "ecosync-demo/docs-site",
            "ecosync-demo/workflows",
            "ecosync-demo/ecosync-lib",
            "ecosync-demo/dispatcher-cli"
        ]
    );
    let lib = delivery(&plan, "ecosync-demo/ecosync-lib").unwrap();
    assert!(
        strings(&lib["paths"])
            .iter()
            .all(|p| !p.starts_with("src/forge/"))
    );
}

/// A repository with `ecosystem.json` at its root subscribing `acme/docs` to `docs/**`, and a last commit
/// that changes `docs/deep/b.md`.
fn docs_repo() -> Repo {
    let repo = Repo::new();
    repo.write(
        "ecosystem.json",
        r#"[{"repo": "acme/docs", "subscriptions": ["docs/**"]}]"#,
    );
    repo.write("docs/a.md", "a");
    repo.commit("first");
    repo.write("docs/deep/b.md", "b");
    repo.commit("second");
    repo
}

#[test]
fn plan_from_a_subdirectory_uses_the_repository_root_and_its_ecosystem_json() {
    let repo = docs_repo();
    let sub = repo.path().join("docs/deep");
    let plan = Cmd::dispatcher()
        .dir(&sub)
        .args(["plan", "--format", "json"])
        .timeout(std::time::Duration::from_secs(60))
        .run()
        .success()
        .json();
    assert_eq!(strings(&plan["changed_paths"]), ["docs/deep/b.md"]);
    assert!(delivery(&plan, "acme/docs").is_some(), "{plan:#}");

    // A problem in the file names it by a path that opens it from where the command ran.
    repo.write("ecosystem.json", r#"[{"repo": "acme"}]"#);
    let out = Cmd::dispatcher()
        .dir(&sub)
        .arg("plan")
        .timeout(std::time::Duration::from_secs(60))
        .run()
        .expect_code(2);
    assert!(
        out.stderr.contains("error: ../../ecosystem.json:1:"),
        "{out}"
    );
    // At the root the name stays short.
    let out = Cmd::dispatcher()
        .dir(repo.path())
        .arg("plan")
        .timeout(std::time::Duration::from_secs(60))
        .run()
        .expect_code(2);
    assert!(out.stderr.contains("error: ecosystem.json:1:"), "{out}");
}

#[test]
fn plan_in_an_empty_repository_says_to_commit_first_without_a_fetch_hint() {
    let repo = Repo::new();
    repo.write(
        "ecosystem.json",
        r#"[{"repo": "acme/docs", "subscriptions": ["docs/**"]}]"#,
    );
    let out = Cmd::dispatcher()
        .dir(repo.path())
        .arg("plan")
        .timeout(std::time::Duration::from_secs(60))
        .run()
        .expect_code(1);
    assert!(
        out.stderr
            .contains("has no commits yet; commit something first"),
        "{out}"
    );
    assert!(!out.stderr.contains("fetch"), "{out}");
}

/// A push event file from `before` to `after`.
fn push_event(before: &str, after: &str) -> tempfile::NamedTempFile {
    let f = tempfile::Builder::new()
        .prefix("ecosync-event-")
        .suffix(".json")
        .tempfile()
        .unwrap();
    let event = json!({"ref": "refs/heads/main", "before": before, "after": after});
    std::fs::write(f.path(), serde_json::to_vec(&event).unwrap()).unwrap();
    f
}

#[test]
fn the_event_comes_from_the_flag_then_ecosync_event_then_github_event_path() {
    let repo = Repo::new();
    repo.write("a", "1");
    let first = repo.commit("first").to_string();
    let [b, c, d] = ["b", "c", "d"].map(|f| {
        repo.write(f, "x");
        repo.commit(f).to_string()
    });
    let config = Config::new(&json!([{"repo": "acme/all", "subscriptions": ["**"]}]));
    let (flag, ecosync, github) = (
        push_event(&first, &b),
        push_event(&first, &c),
        push_event(&first, &d),
    );
    let head = |cmd: Cmd| -> String {
        let plan = cmd
            .args(["--format", "json"])
            .timeout(std::time::Duration::from_secs(60))
            .run()
            .success()
            .json();
        plan["head"].as_str().unwrap().to_owned()
    };
    let all = || {
        plan_cmd(&repo, &config, &[])
            .env("GITHUB_EVENT_PATH", github.path())
            .env("GITHUB_EVENT_NAME", "push")
    };
    assert_eq!(
        head(
            all()
                .arg("--event")
                .arg(flag.path())
                .env("ECOSYNC_EVENT", ecosync.path())
        ),
        b
    );
    assert_eq!(head(all().env("ECOSYNC_EVENT", ecosync.path())), c);
    assert_eq!(head(all()), d);
    // The event's name: ECOSYNC_EVENT_NAME before GITHUB_EVENT_NAME (`issues` is refused); an empty
    // ECOSYNC_EVENT_NAME (an unset workflow input) counts as unset.
    let out = all()
        .env("GITHUB_EVENT_NAME", "issues")
        .timeout(std::time::Duration::from_secs(60))
        .run()
        .expect_code(1);
    assert!(out.stderr.contains("issues"), "{out}");
    assert_eq!(
        head(
            all()
                .env("GITHUB_EVENT_NAME", "issues")
                .env("ECOSYNC_EVENT_NAME", "push")
        ),
        d
    );
    all()
        .env("GITHUB_EVENT_NAME", "issues")
        .env("ECOSYNC_EVENT_NAME", "")
        .timeout(std::time::Duration::from_secs(60))
        .run()
        .expect_code(1);
}
