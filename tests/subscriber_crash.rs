//! Crash anywhere, re-run converges: `subscriber apply` is killed with SIGKILL at points spread over a
//! whole run (fetching, computing, pushing to the local forge, opening and decorating the pull request),
//! then the same event is run again. Each time the result must be what one clean run makes: one branch,
//! one commit per upstream commit, one pull request with all its labels, reviewers and assignees, the right
//! tree, and no issue.

use std::time::{Duration, Instant};

use git2::Oid;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::json;

use crate::support::subscriber_fixture::{Pair, event_file, payload, synced_to_first, tree_files};

const BRANCH: &str = "ecosync/acme-mono";

/// A cousin synced to upstream's first commit and three upstream commits to bring, with a pull request
/// that has labels, reviewers and assignees to set.
fn scene(strategy: &str) -> (Pair, Oid) {
    let p = synced_to_first(json!({
        "upstream": {"repo": "acme/mono"},
        "subscriptions": [{"path": "features/x", "to": "app"}],
        "strategy": strategy,
        "pull_request": {
            "labels": ["sync", "upstream"],
            "reviewers": ["octocat"],
            "team_reviewers": ["platform"],
            "assignees": ["hubot"],
        },
    }));
    p.push_cousin();
    p.upstream
        .write("features/x/a.txt", "A1\na2\na3\na4\na5\na6\na7\na8\n");
    p.upstream.commit("upstream: one");
    p.upstream.write("features/x/b.txt", "b2\n");
    p.upstream.commit("upstream: two");
    p.upstream.write("features/x/c.txt", "c\n");
    let head = p.upstream.commit("upstream: three");
    p.push_upstream();
    (p, head)
}

/// What one run left: the branch's commits since `main` (their trailers, oldest first) and files, the
/// pull requests (labels, reviewers, teams, assignees) and the issues.
fn state(p: &Pair) -> String {
    let bare = git2::Repository::open_bare(p.forge_repo("cousin")).unwrap();
    let Some(head) = p.remote_branch(BRANCH) else {
        return "no branch".into();
    };
    let mut walk = bare.revwalk().unwrap();
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)
        .unwrap();
    walk.push(head).unwrap();
    walk.hide(p.remote_branch("main").unwrap()).unwrap();
    let trailers: Vec<String> = walk
        .map(|id| {
            let c = bare.find_commit(id.unwrap()).unwrap();
            // Each trailer as the subject of the upstream commit it names (ids differ between scenes).
            c.message()
                .unwrap()
                .lines()
                .filter_map(|l| l.strip_prefix("Ecosync-Upstream: acme/mono@"))
                .map(|sha| {
                    let up = p
                        .upstream
                        .git
                        .find_commit(Oid::from_str(sha).unwrap())
                        .unwrap();
                    String::from_utf8_lossy(up.summary_bytes().unwrap()).into_owned()
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    // The configuration names each scene's own upstream directory: left out.
    let files: Vec<String> = tree_files(&bare, head)
        .into_iter()
        .filter(|(path, _)| !path.starts_with(".github/"))
        .map(|(path, (mode, content))| {
            format!(
                "{path} {mode:o} {}",
                String::from_utf8_lossy(&content).escape_debug()
            )
        })
        .collect();
    let pulls: Vec<String> = p
        .pulls()
        .iter()
        .map(|r| {
            format!(
                "#{} {} {} labels={:?} reviewers={:?} teams={:?} assignees={:?}",
                r.number, r.state, r.head, r.labels, r.reviewers, r.team_reviewers, r.assignees
            )
        })
        .collect();
    let issues = p.issues("mono").len() + p.issues("cousin").len();
    format!(
        "commits={trailers:?}\nfiles:\n{}\npulls:\n{}\nissues={issues}",
        files.join("\n"),
        pulls.join("\n")
    )
}

/// Lock files in the cousin's clone and the forge's repository (the ecosync lock itself, which is only
/// ever held by a live process, is not one of them).
fn lock_files(p: &Pair) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![p.cousin.path().join(".git"), p.forge_repo("cousin")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "lock")
                && path.file_name().is_some_and(|n| n != "ecosync.lock")
            {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn a_run_killed_anywhere_converges_when_run_again() {
    const POINTS_PER_STRATEGY: u32 = 30;
    let mut tried = 0;
    let mut killed = 0;
    let mut converged = 0;
    let mut left_locks = 0;
    for strategy in ["cherry-pick", "diff-apply"] {
        // The reference: one clean run, and how long it takes.
        let (reference, head) = scene(strategy);
        let (_dir, event) = event_file(payload("acme/mono", head, &["features/x"]));
        let started = Instant::now();
        reference
            .apply(&["--event", event.to_str().unwrap()])
            .success();
        let whole = started.elapsed();
        let expected = state(&reference);
        let commits = if strategy == "cherry-pick" { 3 } else { 1 };
        assert_eq!(
            expected
                .lines()
                .next()
                .unwrap()
                .matches("upstream: ")
                .count(),
            commits,
            "{expected}"
        );
        assert!(expected.contains(r#"labels=["sync", "upstream"] reviewers=["octocat"] teams=["platform"] assignees=["hubot"]"#), "{expected}");
        for point in 0..POINTS_PER_STRATEGY {
            // From the start of the process to past its usual end, evenly. A run can be quicker than the
            // reference (a loaded machine makes the reference slow): a point meant to land inside a run
            // that found it already over is tried again earlier, at most five times, so the points stay
            // spread over the run however long this machine makes it.
            let fraction = f64::from(point) / f64::from(POINTS_PER_STRATEGY - 2);
            let mut at = whole.mul_f64(fraction);
            for retry in 0..=5 {
                let (p, head) = scene(strategy);
                let (_dir, event) = event_file(payload("acme/mono", head, &["features/x"]));
                let first = p
                    .apply_cmd(&["--event", event.to_str().unwrap()])
                    .run_with(|pid| {
                        std::thread::sleep(at);
                        let _ = kill(Pid::from_raw(i32::try_from(pid).unwrap()), Signal::SIGKILL);
                    });
                tried += 1;
                let was_killed = first.code.is_none();
                if was_killed {
                    killed += 1;
                }
                if !lock_files(&p).is_empty() {
                    left_locks += 1;
                }
                let again = p
                    .apply_cmd(&["--event", event.to_str().unwrap()])
                    .timeout(Duration::from_secs(60))
                    .run();
                assert_eq!(
                    again.code,
                    Some(0),
                    "{strategy}: killed at {at:?} of {whole:?}, the re-run failed\n{first}\n{again}"
                );
                let got = state(&p);
                assert_eq!(
                    got, expected,
                    "{strategy}: killed at {at:?} of {whole:?}\n{first}\n{again}"
                );
                assert_eq!(
                    lock_files(&p),
                    Vec::<std::path::PathBuf>::new(),
                    "{strategy}: cleared"
                );
                converged += 1;
                if was_killed || fraction >= 1.0 || retry == 5 {
                    break;
                }
                at = at.mul_f64(0.6);
            }
        }
    }
    eprintln!(
        "kill points tried: {tried}, killed mid-run: {killed}, left a lock file: {left_locks}, converged: {converged}"
    );
    assert_eq!(converged, tried);
    assert!(
        killed >= 30,
        "at least 30 of the {tried} kill points must land inside a run (got {killed})"
    );
}
