//! `dispatcher demo --from PATH`: the user's own repository copied into a local forge, a downstream
//! repository seeded at the range's base for each `ecosystem.json` entry, its last push (or a range)
//! delivered through `dispatcher dispatch` and `subscriber apply`, the pull requests shown, and the user's
//! repository left exactly as it was.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use ecosync::RepoName;
use ecosync::forge::local::LocalForge;

use crate::support::{Cmd, Output, Repo};

/// Every file under `dir` (the `.git` directory included) with its content: what must not change.
pub fn fingerprint(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let path = e.path();
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// A repository with a few folders and an `ecosystem.json` whose entries are of every shape (a placeholder
/// name, a negation, a `push` fork, a pattern without a directory, a `pull-request` entry, a disabled one),
/// and a last commit that touches every folder.
pub fn own_repository() -> Repo {
    let repo = Repo::new();
    repo.write("docs/guide.md", "guide\n")
        .write("src/app.js", "one\n")
        .write("web/index.html", "<p>one</p>\n")
        .write("README.md", "readme\n")
        .write(
            "ecosystem.json",
            r#"[
  {"repo": "CHANGE-ME/docs", "subscriptions": ["docs"]},
  {"repo": "acme/src-copy", "subscriptions": ["src/**", "!src/**/*.test.js"]},
  {"repo": "acme/fork", "subscriptions": ["**"], "mode": "push"},
  {"repo": "acme/markdown", "subscriptions": ["**/*.md"]},
  {"repo": "acme/web", "subscriptions": ["web"], "mode": "pull-request"},
  {"repo": "acme/off", "subscriptions": ["web"], "enabled": false}
]
"#,
        );
    repo.commit("first");
    repo.write("docs/guide.md", "guide, second edition\n")
        .write("src/app.js", "two\n")
        .write("src/app.test.js", "test\n")
        .write("web/index.html", "<p>two</p>\n")
        .write("README.md", "readme, again\n");
    repo.commit("touch every folder");
    repo.git
        .remote("origin", "https://github.com/acme/mono.git")
        .unwrap();
    repo
}

/// `dispatcher demo --from <repo> --dir <dir>`.
pub fn demo_from(repo: &Path, dir: &Path) -> Cmd {
    Cmd::dispatcher()
        .arg("demo")
        .arg("--from")
        .arg(repo)
        .arg("--dir")
        .arg(dir)
        .timeout(Duration::from_secs(90))
}

fn name(s: &str) -> RepoName {
    RepoName::parse(s).unwrap()
}

/// The paths the tip of `branch` in `repo` on the forge changes against its first parent.
fn changed_by_tip(forge: &Path, repo: &str, branch: &str) -> Vec<String> {
    let git = git2::Repository::open_bare(forge.join(format!("{repo}.git"))).unwrap();
    let tip = git
        .find_reference(&format!("refs/heads/{branch}"))
        .unwrap()
        .peel_to_commit()
        .unwrap();
    let parent = tip.parent(0).unwrap();
    let diff = git
        .diff_tree_to_tree(
            Some(&parent.tree().unwrap()),
            Some(&tip.tree().unwrap()),
            None,
        )
        .unwrap();
    let mut out: Vec<String> = diff
        .deltas()
        .filter_map(|d| d.new_file().path().map(|p| p.display().to_string()))
        .collect();
    out.sort();
    out
}

#[test]
fn the_last_push_of_your_own_repository_is_delivered_without_touching_it() {
    let repo = own_repository();
    let before = fingerprint(repo.path());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let out = demo_from(repo.path(), &dir).run().success();
    let forge_dir = dir.join("forge");
    let forge = LocalForge::new(&forge_dir);

    // What each entry gets, and why, before the delivery.
    for said in [
        "What each entry of ecosystem.json gets, and why:",
        "`src/app.test.js` is left out by `!src/**/*.test.js`",
        "  acme/off        nothing: disabled\n",
        "  acme/fork       a push of the head to its default branch: 5 changed paths via `**`\n",
    ] {
        assert!(out.stdout.contains(said), "missing {said:?}\n{out}");
    }
    // The commands are the plain ones, run in the clones.
    assert!(out.stdout.contains("\n$ dispatcher plan\n"), "{out}");
    let dispatch_line = format!(
        "\n$ dispatcher dispatch --forge local:{}\n",
        forge_dir.display()
    );
    assert!(out.stdout.contains(&dispatch_line), "{out}");
    assert!(!out.stdout.contains("--repo"), "{out}");

    // One pull request in each repository that subscribes to a directory the push changed, each
    // carrying the push only: the repositories were seeded at its base.
    for (repo_name, changed) in [
        ("CHANGE-ME/docs", vec!["docs/guide.md"]),
        ("acme/src-copy", vec!["src/app.js", "src/app.test.js"]),
        ("acme/web", vec!["web/index.html"]),
    ] {
        let pulls = forge.pulls(&name(repo_name)).unwrap();
        assert_eq!(pulls.len(), 1, "{repo_name}: {pulls:?}\n{out}");
        assert_eq!(
            changed_by_tip(&forge_dir, repo_name, &pulls[0].head),
            changed,
            "{repo_name}"
        );
        // Links point at the local forge, not at github.com.
        let body = &pulls[0].body;
        assert!(
            body.contains(&format!("file://{}/acme/mono/commit/", forge_dir.display())),
            "{repo_name}: {body}"
        );
        assert!(!body.contains("https://github.com"), "{repo_name}: {body}");
    }
    // The file the entry leaves out still arrives, and the demo says why.
    assert!(
        out.stdout.contains(
            "note: `src/app.test.js` arrived in acme/src-copy, although its entry in ecosystem.json does not match it."
        ),
        "{out}"
    );
    // `**/*.md` names no directory: a fork that merges the whole push, and says so.
    assert_eq!(forge.pulls(&name("acme/markdown")).unwrap().len(), 1);
    assert!(
        out.stdout
            .contains("`src/app.js`, `src/app.test.js`, `web/index.html` arrived in acme/markdown"),
        "{out}"
    );
    // The `push` fork moved from the base to the head.
    let fork = git2::Repository::open_bare(forge_dir.join("acme/fork.git")).unwrap();
    assert_eq!(fork.refname_to_id("refs/heads/main").unwrap(), repo.head());
    // The disabled entry got nothing built.
    assert!(!forge_dir.join("acme/off.git").exists());
    assert!(
        out.stdout
            .contains("Pull requests and issues on the local forge:"),
        "{out}"
    );

    assert!(
        fingerprint(repo.path()) == before,
        "the user's repository changed"
    );
}

#[test]
fn a_range_is_delivered_with_the_flags_that_say_it() {
    let repo = own_repository();
    let first = repo.rev("HEAD~1");
    repo.write("docs/guide.md", "third\n");
    let third = repo.commit("third");
    let before = fingerprint(repo.path());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let out = demo_from(repo.path(), &dir)
        .args(["--base", "HEAD~2", "--head", "HEAD"])
        .run()
        .success();
    let range = format!("--base {first} --head {third}");
    assert!(
        out.stdout
            .contains(&format!("\n$ dispatcher plan {range}\n")),
        "{out}"
    );
    let forge = LocalForge::new(dir.join("forge"));
    let pulls = forge.pulls(&name("CHANGE-ME/docs")).unwrap();
    assert_eq!(pulls.len(), 1, "{out}");
    assert!(
        pulls[0].body.contains("touch every folder"),
        "{}",
        pulls[0].body
    );
    assert!(pulls[0].body.contains("third"), "{}", pulls[0].body);
    assert!(fingerprint(repo.path()) == before);
}

#[test]
fn a_push_on_a_branch_no_entry_takes_goes_to_one_that_an_entry_names() {
    let repo = own_repository();
    repo.branch("feature/x", repo.head()).checkout("feature/x");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let out = demo_from(repo.path(), &dir).run().success();
    assert!(
        out.stdout
            .contains("(on `main` rather than `feature/x`, which no entry of ecosystem.json takes"),
        "{out}"
    );
    let forge = LocalForge::new(dir.join("forge"));
    assert_eq!(
        forge.pulls(&name("acme/src-copy")).unwrap().len(),
        1,
        "{out}"
    );
}

fn refused(out: &Output, needles: &[&str]) {
    for n in needles {
        assert!(out.stderr.contains(n), "missing {n:?}\n{out}");
    }
}

#[test]
fn a_repository_without_ecosystem_json_or_a_push_is_refused_with_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new();
    repo.write("docs/a.md", "a\n");
    repo.commit("first");
    let out = demo_from(repo.path(), &tmp.path().join("one"))
        .run()
        .expect_code(2);
    refused(
        &out,
        &[
            "error: `HEAD` is the first commit of its history",
            "hint: pass `--base REV`",
        ],
    );
    repo.write("docs/a.md", "b\n");
    repo.commit("second");
    let out = demo_from(repo.path(), &tmp.path().join("two"))
        .run()
        .expect_code(2);
    refused(
        &out,
        &[
            "error: no `ecosystem.json` in",
            "hint: write a starting one with `dispatcher init`",
        ],
    );
    let out = demo_from(&tmp.path().join("nowhere"), &tmp.path().join("three"))
        .run()
        .expect_code(2);
    refused(&out, &["is not a git repository"]);
    // An invalid ecosystem.json is reported as `validate` reports it.
    repo.write(
        "ecosystem.json",
        r#"[{"repo": "acme", "subscriptions": ["docs"]}]"#,
    );
    let out = demo_from(repo.path(), &tmp.path().join("four"))
        .run()
        .expect_code(2);
    refused(
        &out,
        &["ecosystem.json:1:11: entry 0", "is invalid: 1 error"],
    );
    // `--base` needs `--from`.
    Cmd::dispatcher()
        .args(["demo", "--base", "HEAD~1"])
        .run()
        .expect_code(2)
        .expect_stderr("--from");
}
