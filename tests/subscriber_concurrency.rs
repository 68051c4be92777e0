//! Two runs of the same event at once, on two clones of the cousin, as two overlapping workflow runs
//! would: one branch, one pull request with its labels, no failure and no issue.

use std::time::Duration;

use serde_json::json;

use crate::support::Cmd;
use crate::support::subscriber_fixture::{Pair, config, event_file, payload};

#[test]
fn two_runs_of_one_event_at_once_make_one_pull_request() {
    const PAIRS: usize = 9;
    let mut clean = 0;
    for strategy in ["diff-apply", "squash", "cherry-pick"] {
        for _ in 0..PAIRS / 3 {
            let p = Pair::new(config(json!(["features/x"]), strategy));
            p.upstream.write("features/x/a.txt", "changed\n");
            let sha = p.upstream.commit("upstream: change a");
            p.push_upstream();
            let (_dir, event) = event_file(payload("acme/mono", sha, &["features/x"]));
            let second = tempfile::tempdir().unwrap();
            git2::Repository::clone(p.forge_repo("cousin").to_str().unwrap(), second.path())
                .unwrap();
            let run = |clone: &std::path::Path| {
                Cmd::subscriber()
                    .arg("apply")
                    .arg("--repo")
                    .arg(clone)
                    .arg("--event")
                    .arg(&event)
                    .arg("--forge")
                    .arg(format!("local:{}", p.forge.path().display()))
                    .args(["--repo-name", "acme/cousin"])
                    .timeout(Duration::from_secs(60))
            };
            let (a, b) = (run(p.cousin.path()), run(second.path()));
            let (a, b) = std::thread::scope(|s| {
                let a = s.spawn(move || a.run());
                let b = s.spawn(move || b.run());
                (a.join().unwrap(), b.join().unwrap())
            });
            let (a, b) = (a.success(), b.success());
            let pulls = p.pulls();
            assert_eq!(pulls.len(), 1, "{strategy}: one pull request\n{a}\n{b}");
            assert_eq!(
                pulls[0].labels,
                ["automated", "upstream-sync"],
                "{strategy}\n{a}\n{b}"
            );
            assert!(
                p.issues("mono").is_empty(),
                "{strategy}: no issue\n{a}\n{b}"
            );
            assert!(p.remote_branch(&pulls[0].head).is_some());
            clean += 1;
        }
    }
    eprintln!("concurrent pairs tried: {PAIRS}, clean: {clean}");
    assert_eq!(clean, PAIRS);
}
