//! `dispatcher forge`: the local forge's pull requests merged (a merge commit, a squash, a rebase), closed
//! without merging and reopened from the command line, recorded as GitHub records them, and read back by the
//! next sync as GitHub's would be.

use ecosync::RepoName;
use ecosync::demo::DemoSample;
use ecosync::forge::local::LocalForge;

use crate::support::Cmd;
use crate::support::demo::{apply_local, dispatch_local, local_forge, newest_event, sample};

fn forge(sample: &DemoSample, args: &[&str]) -> Cmd {
    Cmd::dispatcher()
        .arg("forge")
        .args(args)
        .env("ECOSYNC_FORGE", local_forge(sample))
}

/// The sample with its update pushed, dispatched and applied in `cousin`: its sync pull request #1 is open.
fn with_open_sync(dir: &std::path::Path, cousin: &str) -> DemoSample {
    let s = sample(dir);
    let head = s.push_update().unwrap();
    dispatch_local(&s, "refs/heads/main", s.first, head)
        .run()
        .success();
    let cousin = RepoName::parse(cousin).unwrap();
    apply_local(&s, &cousin, &newest_event(&s, &cousin))
        .run()
        .success();
    s
}

fn base_head(s: &DemoSample, cousin: &str) -> git2::Oid {
    let repo = git2::Repository::open_bare(s.forge_dir().join(format!("{cousin}.git"))).unwrap();
    repo.refname_to_id("refs/heads/main").unwrap()
}

#[test]
fn each_merge_button_moves_the_base_and_records_who_merged() {
    for (method, parents) in [("merge", 2), ("squash", 1), ("rebase", 1)] {
        let dir = tempfile::tempdir().unwrap();
        let s = with_open_sync(dir.path(), "acme/flask-webpush");
        let before = base_head(&s, "acme/flask-webpush");
        let out = forge(
            &s,
            &[
                "merge",
                "acme/flask-webpush",
                "1",
                "--method",
                method,
                "--as",
                "alice",
            ],
        )
        .run()
        .success();
        assert!(
            out.stdout
                .starts_with(&format!("merged #1 of acme/flask-webpush ({method}) as ")),
            "{out}"
        );
        let after = base_head(&s, "acme/flask-webpush");
        let repo =
            git2::Repository::open_bare(s.forge_dir().join("acme/flask-webpush.git")).unwrap();
        let commit = repo.find_commit(after).unwrap();
        assert_eq!(commit.parent_count(), parents, "{method}");
        assert!(repo.graph_descendant_of(after, before).unwrap(), "{method}");
        let pull = &LocalForge::new(s.forge_dir())
            .pulls(&RepoName::parse("acme/flask-webpush").unwrap())
            .unwrap()[0];
        assert_eq!(pull.state, "closed");
        assert_eq!(
            pull.merged_commit.as_deref(),
            Some(after.to_string().as_str())
        );
        assert_eq!(pull.closed_by.as_deref(), Some("alice"));
        // The next sync finds the change merged: nothing left to propose.
        let cousin = RepoName::parse("acme/flask-webpush").unwrap();
        let again = apply_local(&s, &cousin, &newest_event(&s, &cousin))
            .run()
            .success();
        assert!(again.stdout.contains("already synced"), "{method}: {again}");
    }
}

#[test]
fn closing_without_merging_is_a_rejection_the_next_run_holds_and_reopening_proposes_again() {
    let dir = tempfile::tempdir().unwrap();
    let s = with_open_sync(dir.path(), "acme/react-webpush");
    let before = base_head(&s, "acme/react-webpush");
    forge(
        &s,
        &[
            "close",
            "acme/react-webpush",
            "1",
            "--as",
            "bob",
            "--message",
            "not this one",
        ],
    )
    .run()
    .success()
    .expect_stdout("closed #1 of acme/react-webpush without merging, by bob\n");
    assert_eq!(
        base_head(&s, "acme/react-webpush"),
        before,
        "a close merges nothing"
    );
    let listed = forge(&s, &["pulls", "acme/react-webpush"]).run().success();
    assert!(listed.stdout.starts_with("#1 closed by bob: "), "{listed}");
    let cousin = RepoName::parse("acme/react-webpush").unwrap();
    let held = apply_local(&s, &cousin, &newest_event(&s, &cousin))
        .run()
        .success();
    assert!(
        held.stdout.contains("held: #1 was closed without merging")
            || held.stderr.contains("held: #1 was closed without merging"),
        "{held}"
    );
    // A closed pull request cannot be merged; it can be reopened, and then it is proposed again.
    forge(&s, &["merge", "acme/react-webpush", "1"])
        .run()
        .expect_code(1)
        .expect_stderr(
            "error: cannot merge pull request #1 of `acme/react-webpush`: it is closed already\n",
        );
    forge(&s, &["reopen", "acme/react-webpush", "1"])
        .run()
        .success();
    let proposed = apply_local(&s, &cousin, &newest_event(&s, &cousin))
        .run()
        .success();
    assert!(!proposed.stdout.contains("held:"), "{proposed}");
    let pulls = LocalForge::new(s.forge_dir()).pulls(&cousin).unwrap();
    assert!(pulls.iter().any(|p| p.state == "open"), "{pulls:?}");
}

#[test]
fn a_conflicting_merge_names_the_files_and_moves_nothing_and_github_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = with_open_sync(dir.path(), "acme/flask-webpush");
    // Someone changes the same lines on the base after the pull request was opened.
    s.push(
        "acme/flask-webpush",
        &[(
            "app/app.py",
            "from flask import Flask\n\napp = Flask(__name__)\nMAX_RETRIES = 9\n",
        )],
        "Our own retries",
    )
    .unwrap();
    let before = base_head(&s, "acme/flask-webpush");
    let out = forge(&s, &["merge", "acme/flask-webpush", "1"])
        .run()
        .expect_code(1);
    assert!(
        out.stderr
            .contains("it conflicts with `main` in app/app.py"),
        "{out}"
    );
    assert_eq!(base_head(&s, "acme/flask-webpush"), before);
    let github = Cmd::dispatcher()
        .args(["forge", "pulls", "acme/web", "--forge", "github"])
        .env("ECOSYNC_TOKEN", "x")
        .env("GITHUB_API_URL", "http://127.0.0.1:9")
        .run()
        .expect_code(2);
    assert!(
        github.stderr.contains("acts on the local forge only"),
        "{github}"
    );
}
