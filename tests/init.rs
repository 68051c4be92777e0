//! `dispatcher init` and `subscriber init`, and the placeholder rules: what they write passes `validate` /
//! `check` with one warning per placeholder, at its line and column; `dispatch`, `flush` and `watch` refuse
//! placeholders before anything reaches GitHub (the local forge and a dry run take them); `subscriber
//! apply` refuses them; and neither `init` overwrites a file.

use std::path::Path;
use std::time::Duration;

use crate::support::fake_github::FakeGitHub;
use crate::support::{Cmd, Output, Repo};

const TOKEN: &str = "ghp_initTestToken0123456789abcdefABCDEF";

/// A source repository with two folders, whose last commit changes both.
fn source() -> Repo {
    let repo = Repo::new();
    repo.write("docs/guide.md", "guide\n")
        .write("src/lib.rs", "fn a() {}\n")
        .write("README.md", "readme\n");
    repo.commit("first");
    repo.write("docs/guide.md", "guide 2\n")
        .write("src/lib.rs", "fn b() {}\n");
    repo.commit("second");
    repo
}

fn shipped(workflow: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("workflows")
            .join(workflow),
    )
    .unwrap()
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// `dispatcher dispatch` of the last commit on `main` as `acme/mono` to `fake`.
fn dispatch_github(repo: &Repo, fake: &FakeGitHub, command: &str) -> Cmd {
    Cmd::dispatcher()
        .dir(repo.path())
        .args([command, "--ref", "main", "--source-repo", "acme/mono"])
        .args(["--api-url", &fake.url()])
        .env("ECOSYNC_TOKEN", TOKEN)
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .timeout(Duration::from_secs(60))
}

fn refuses_both_placeholders(out: &Output) {
    for said in [
        "error: `ecosystem.json` still has 2 `CHANGE-ME` placeholders, so nothing was done: entry 0 (`CHANGE-ME/docs`), entry 1 (`CHANGE-ME/src`)",
        "hint: write each downstream repository's `owner/name` in place of `CHANGE-ME/...`",
    ] {
        assert!(out.stderr.contains(said), "missing {said:?}\n{out}");
    }
}

#[test]
fn dispatcher_init_writes_a_valid_start_that_dispatch_refuses_until_each_placeholder_is_replaced() {
    let repo = source();
    let out = Cmd::dispatcher()
        .arg("init")
        .dir(repo.path())
        .run()
        .success();
    assert!(out.stdout.contains("ecosystem.json"), "{out}");
    assert_eq!(
        read(repo.path(), "ecosystem.json"),
        "[\n  {\"repo\": \"CHANGE-ME/docs\", \"subscriptions\": [\"docs\"]},\n  {\"repo\": \"CHANGE-ME/src\", \"subscriptions\": [\"src\"]}\n]\n"
    );
    assert_eq!(
        read(repo.path(), ".github/workflows/dispatch_updates.yml"),
        shipped("dispatch_updates.yml")
    );

    // Valid, with one warning per placeholder at the value.
    let out = Cmd::dispatcher()
        .arg("validate")
        .dir(repo.path())
        .run()
        .success();
    assert!(
        out.stdout.contains("is valid: 2 entries, 2 warnings"),
        "{out}"
    );
    for at in [
        "warning: ecosystem.json:2:12: entry 0 (`CHANGE-ME/docs`): `CHANGE-ME/docs` is a placeholder",
        "warning: ecosystem.json:3:12: entry 1 (`CHANGE-ME/src`): `CHANGE-ME/src` is a placeholder",
    ] {
        assert!(out.stderr.contains(at), "missing {at:?}\n{out}");
    }

    // `dispatch`, `flush` and `watch` refuse before sending anything to GitHub.
    let fake = FakeGitHub::start();
    let out = dispatch_github(&repo, &fake, "dispatch")
        .run()
        .expect_code(2);
    refuses_both_placeholders(&out);
    let out = dispatch_github(&repo, &fake, "flush").run().expect_code(2);
    refuses_both_placeholders(&out);
    let state = tempfile::tempdir().unwrap();
    let out = Cmd::dispatcher()
        .dir(repo.path())
        .args(["watch", "--source-repo", "acme/mono", "--max-polls", "1"])
        .args(["--api-url", &fake.url()])
        .arg("--state-dir")
        .arg(state.path())
        .env("ECOSYNC_TOKEN", TOKEN)
        .timeout(Duration::from_secs(60))
        .run()
        .expect_code(2);
    refuses_both_placeholders(&out);
    assert!(fake.requests().is_empty(), "{:#?}", fake.requests());
    assert!(!out.stderr.contains(TOKEN));

    // A dry run sends nothing and shows what the file does as it is.
    dispatch_github(&repo, &fake, "dispatch")
        .arg("--dry-run")
        .run()
        .success()
        .expect_stderr("`CHANGE-ME/docs` is a placeholder");
    assert!(fake.dispatches("CHANGE-ME/docs").is_empty());

    // On the local forge a placeholder is only a directory: the delivery goes ahead.
    let forge = tempfile::tempdir().unwrap();
    for r in ["CHANGE-ME/docs", "CHANGE-ME/src"] {
        git2::Repository::init_bare(forge.path().join(format!("{r}.git"))).unwrap();
    }
    Cmd::dispatcher()
        .dir(repo.path())
        .args(["dispatch", "--source-repo", "acme/mono"])
        .arg("--forge")
        .arg(format!("local:{}", forge.path().display()))
        .run()
        .success()
        .expect_stderr("dispatch: 2 delivered");

    // Once every name is real, the warnings are gone.
    let real = read(repo.path(), "ecosystem.json").replace("CHANGE-ME/", "acme/");
    std::fs::write(repo.path().join("ecosystem.json"), real).unwrap();
    Cmd::dispatcher()
        .arg("validate")
        .dir(repo.path())
        .run()
        .success()
        .expect_stdout("is valid: 2 entries, 0 warnings");
}

#[test]
fn init_never_overwrites_and_writes_nothing_when_one_file_exists() {
    let repo = source();
    repo.write("ecosystem.json", "mine\n");
    let out = Cmd::dispatcher()
        .arg("init")
        .dir(repo.path())
        .run()
        .expect_code(2);
    assert!(
        out.stderr
            .contains("error: `ecosystem.json` already exists in"),
        "{out}"
    );
    assert!(out.stderr.contains("nothing was written"), "{out}");
    assert!(
        out.stderr.contains("hint: init never overwrites a file"),
        "{out}"
    );
    assert_eq!(read(repo.path(), "ecosystem.json"), "mine\n");
    assert!(!repo.path().join(".github").exists());

    let cousin = Repo::new();
    cousin.write(".github/workflows/sync-upstream.yml", "mine\n");
    cousin.write(".github/ecosync.json", "{}\n");
    let out = Cmd::subscriber()
        .args(["init", "--repo"])
        .arg(cousin.path())
        .run()
        .expect_code(2);
    assert!(
        out.stderr.contains(
            "error: `.github/ecosync.json`, `.github/workflows/sync-upstream.yml` already exist in"
        ),
        "{out}"
    );
    assert_eq!(read(cousin.path(), ".github/ecosync.json"), "{}\n");
}

#[test]
fn the_branch_pushes_go_to_is_written_when_it_is_not_main() {
    let repo = source();
    repo.git
        .reference("refs/remotes/origin/master", repo.head(), true, "test")
        .unwrap();
    repo.git
        .reference_symbolic(
            "refs/remotes/origin/HEAD",
            "refs/remotes/origin/master",
            true,
            "test",
        )
        .unwrap();
    Cmd::dispatcher()
        .arg("init")
        .dir(repo.path())
        .run()
        .success();
    let ecosystem = read(repo.path(), "ecosystem.json");
    assert!(
        ecosystem.contains(
            r#"{"repo": "CHANGE-ME/docs", "subscriptions": ["docs"], "branches": ["master"]}"#
        ),
        "{ecosystem}"
    );
    let workflow = read(repo.path(), ".github/workflows/dispatch_updates.yml");
    assert!(
        workflow.contains("    branches: [\"master\"]\n"),
        "{workflow}"
    );
    assert_eq!(
        workflow.replace("    branches: [\"master\"]\n", "    branches: [main]\n"),
        shipped("dispatch_updates.yml")
    );
}

#[test]
fn subscriber_init_writes_a_valid_start_that_apply_refuses_until_each_placeholder_is_replaced() {
    let cousin = Repo::new();
    cousin
        .write("app/main.py", "print()\n")
        .write("deploy/Procfile", "web\n");
    cousin.commit("own");
    let out = Cmd::subscriber()
        .arg("init")
        .dir(cousin.path())
        .run()
        .success();
    assert!(out.stdout.contains(".github/ecosync.json"), "{out}");
    assert_eq!(
        read(cousin.path(), ".github/workflows/sync-upstream.yml"),
        shipped("sync-upstream.yml")
    );
    let out = Cmd::subscriber()
        .arg("check")
        .dir(cousin.path())
        .run()
        .success();
    assert!(out.stdout.contains("ok (3 warnings)"), "{out}");
    for at in [
        ".github/ecosync.json:2:24: `/upstream/repo`: `CHANGE-ME/upstream` is a placeholder",
        ".github/ecosync.json:4:14: `/subscriptions/0/path`: `CHANGE-ME/app` is a placeholder",
        "hint: write the upstream directory this subscription copies (`app` here)",
        ".github/ecosync.json:5:14: `/subscriptions/1/path`: `CHANGE-ME/deploy`",
    ] {
        assert!(out.stderr.contains(at), "missing {at:?}\n{out}");
    }
    let forge = tempfile::tempdir().unwrap();
    let out = Cmd::subscriber()
        .dir(cousin.path())
        .args(["apply", "--latest"])
        .arg("--forge")
        .arg(format!("local:{}", forge.path().display()))
        .run()
        .expect_code(2);
    assert!(
        out.stderr.contains(
            ".github/ecosync.json` still has 3 `CHANGE-ME` placeholders, so nothing was done: \
             `/upstream/repo`, `/subscriptions/0/path`, `/subscriptions/1/path`"
        ),
        "{out}"
    );

    // With `--upstream`, only the directories are left to say.
    let named = Repo::new();
    named.write("app/main.py", "print()\n");
    named.commit("own");
    Cmd::subscriber()
        .args(["init", "--upstream", "acme/mono"])
        .dir(named.path())
        .run()
        .success();
    assert!(read(named.path(), ".github/ecosync.json").contains(r#""repo": "acme/mono""#));
    Cmd::subscriber()
        .arg("check")
        .dir(named.path())
        .run()
        .success()
        .expect_stdout("ok (1 warning): syncs `CHANGE-ME/app` -> `app` from acme/mono");
}
