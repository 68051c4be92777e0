//! A network upstream is fetched shallow for the strategies that do not merge its history (diff-apply,
//! squash, cherry-pick): the real `subscriber` against `git http-backend` on loopback ends with exactly what
//! the same upstream read as a local path gives (branch, tree, commit messages, pull request), while the
//! server is asked for a depth, deepened when the last sync lies further back, and the cousin's clone stays
//! whole (not shallow, `git fsck` clean). The git CLI is only the oracle here.

use std::collections::BTreeMap;
use std::time::Duration;

use git2::Oid;

use crate::support::git_cli::git;
use crate::support::loopback_http::{LoopbackHttp, git_http_backend};
use crate::support::subscriber_fixture::{Pair, config, mapped, recent, tree_files};

const BRANCH: &str = "ecosync/acme-mono";

/// A pair whose upstream is served over HTTP by `git http-backend` (when `http`) or read as a local path.
/// Both kinds made with the same `start` have the same upstream commits.
struct Served {
    p: Pair,
    server: Option<(tempfile::TempDir, LoopbackHttp)>,
}

impl Served {
    fn new(strategy: &str, extra: &serde_json::Value, http: bool, start: i64) -> Served {
        let mut cfg = config(mapped(), strategy);
        for (k, v) in extra.as_object().unwrap() {
            cfg[k] = v.clone();
        }
        let server = http.then(|| {
            // The server's root exists before the forge does: the forge is linked into it afterwards.
            let root = tempfile::tempdir().unwrap();
            let server = LoopbackHttp::start(git_http_backend(root.path(), None));
            (root, server)
        });
        if let Some((_, server)) = &server {
            cfg["upstream"]["url"] = format!("{}/acme/mono.git", server.url()).into();
        }
        let p = Pair::at(cfg, start);
        if let Some((root, _)) = &server {
            std::os::unix::fs::symlink(p.forge.path().join("acme"), root.path().join("acme"))
                .unwrap();
        }
        Served { p, server }
    }

    /// Adds `n` upstream commits (every seventh changes the subscribed directory) and pushes them.
    fn grow(&self, n: usize, tag: &str) {
        let up = &self.p.upstream;
        for i in 0..n {
            up.write(&format!("other/{}.txt", i % 40), format!("{tag} {i}\n"));
            if i % 7 == 6 {
                up.write(&format!("features/x/{tag}-{i}.txt"), format!("{tag} {i}\n"));
            }
            up.commit(&format!("upstream: {tag} {i}"));
        }
        self.p.push_upstream();
    }

    /// `subscriber apply ARGS` (with `ECOSYNC_LOG=debug`), within a time limit.
    fn apply(&self, args: &[&str]) -> crate::support::Output {
        self.p
            .apply_cmd(args)
            .env("ECOSYNC_LOG", "ecosync=debug")
            .timeout(Duration::from_secs(120))
            .run()
    }

    /// The depths the server was asked for, in order, once each time they change (the stateless protocol
    /// repeats a fetch's `deepen` line in each of its requests).
    fn deepens(&self) -> Vec<String> {
        let Some((_, server)) = &self.server else {
            return Vec::new();
        };
        server
            .seen()
            .iter()
            .filter(|s| s.target.ends_with("/git-upload-pack"))
            .flat_map(|s| {
                let body = String::from_utf8_lossy(&s.body).into_owned();
                body.split("deepen ")
                    .skip(1)
                    .map(|rest| {
                        let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
                        format!("deepen {n}")
                    })
                    .collect::<Vec<_>>()
            })
            .fold(Vec::new(), |mut all: Vec<String>, d| {
                if all.last() != Some(&d) {
                    all.push(d);
                }
                all
            })
    }

    /// What the sync left in the forge: the files of the sync branch (but the configuration, which names
    /// the upstream URL), the messages of its commits down to the base, and the pull requests (the forge's
    /// address in their links named `[FORGE]`).
    fn outcome(&self) -> Outcome {
        let bare = git2::Repository::open_bare(self.p.forge_repo("cousin")).unwrap();
        let head = self.p.remote_branch(BRANCH).expect("the sync branch");
        let main = bare.refname_to_id("refs/heads/main").unwrap();
        let mut files = tree_files(&bare, head);
        files.remove(".github/ecosync.json");
        let mut walk = bare.revwalk().unwrap();
        walk.push(head).unwrap();
        walk.hide(main).unwrap();
        let messages = walk
            .map(|id| {
                let c = bare.find_commit(id.unwrap()).unwrap();
                (
                    c.author().name().unwrap().to_owned(),
                    c.message().unwrap().to_owned(),
                )
            })
            .collect();
        // Links point at the local forge, whose directory differs from one run to the other.
        let forge_url = format!("file://{}", self.p.forge.path().display());
        let pulls = self
            .p
            .pulls()
            .into_iter()
            .map(|pr| {
                (
                    pr.state,
                    pr.title,
                    pr.body.replace(&forge_url, "[FORGE]"),
                    pr.head,
                )
            })
            .collect();
        Outcome {
            files,
            messages,
            pulls,
        }
    }

    /// The cousin's clone is not shallow, and `git fsck` finds nothing wrong in it nor in the forge's
    /// repository that was pushed to.
    fn assert_whole(&self) {
        let clone = self.p.cousin.path();
        let shallow = git(clone, &["rev-parse", "--is-shallow-repository"]);
        assert_eq!(shallow.trim(), "false", "the cousin's clone became shallow");
        git(clone, &["fsck", "--full", "--strict"]);
        git(
            &self.p.forge_repo("cousin"),
            &["fsck", "--full", "--strict"],
        );
    }
}

/// What a sync left in the forge, to compare.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    files: BTreeMap<String, (u32, Vec<u8>)>,
    messages: Vec<(String, String)>,
    pulls: Vec<(String, String, String, String)>,
}

/// Syncs once after `before` upstream commits, merges the pull request, then syncs again after `after`
/// more; over HTTP and from a local path. Returns both outcomes and the HTTP run's pair.
fn twice(strategy: &str, before: usize, after: usize) -> (Outcome, Outcome, Served) {
    let start = recent() - 6 * 3600;
    let mut outcomes = Vec::new();
    let mut served = Vec::new();
    for http in [false, true] {
        let s = Served::new(strategy, &serde_json::json!({}), http, start);
        s.grow(before, "old");
        s.apply(&["--latest"]).success();
        s.p.merge_pr(BRANCH, "merge");
        s.grow(after, "new");
        let out = s.apply(&["--latest"]).success();
        assert!(
            out.stderr.contains("fetched upstream's history shallow") == http,
            "{out}"
        );
        outcomes.push(s.outcome());
        served.push(s);
    }
    let http = served.pop().unwrap();
    let over_http = outcomes.pop().unwrap();
    (outcomes.pop().unwrap(), over_http, http)
}

fn same_as_local_and_shallow(strategy: &str) {
    let (local, over_http, s) = twice(strategy, 300, 20);
    assert_eq!(local, over_http);
    // Both syncs asked for the first depth, and none needed more: the last sync is 20 commits back.
    assert_eq!(s.deepens(), ["deepen 64"]);
    s.assert_whole();
}

/// diff-apply over HTTP: a shallow fetch, the same branch, tree, messages and pull request as a local
/// upstream gives.
#[test]
fn diff_apply_over_http_fetches_shallow_and_matches_a_local_upstream() {
    same_as_local_and_shallow("diff-apply");
}

/// squash over HTTP: the same, shallow.
#[test]
fn squash_over_http_fetches_shallow_and_matches_a_local_upstream() {
    same_as_local_and_shallow("squash");
}

/// cherry-pick over HTTP: every commit since the last sync picked, as from a local upstream, shallow.
#[test]
fn cherry_pick_over_http_fetches_shallow_and_matches_a_local_upstream() {
    same_as_local_and_shallow("cherry-pick");
}

/// A last sync 300 commits back, beyond the first depth: the fetch is deepened until it reaches it, and
/// the result is still the local upstream's.
#[test]
fn a_last_sync_beyond_the_first_depth_deepens_the_fetch() {
    for strategy in ["diff-apply", "cherry-pick"] {
        let (local, over_http, s) = twice(strategy, 5, 300);
        assert_eq!(local, over_http, "{strategy}");
        // 64 commits for each sync, then ×4 until the last sync is in (1024 is all of it).
        assert_eq!(
            s.deepens(),
            ["deepen 64", "deepen 256", "deepen 1024"],
            "{strategy}"
        );
        s.assert_whole();
    }
}

/// An event for a commit older than `max_age`, and one for a commit upstream does not have: the same
/// rejections as with a local upstream (exit status 3, the same reason).
#[test]
fn a_too_old_or_unknown_commit_fails_as_with_a_full_fetch() {
    // Every commit is more than a day old; `max_age` is twelve hours.
    let start = recent() - 6 * 3600;
    let extra = serde_json::json!({"max_age": "12h"});
    let mut seen = Vec::new();
    for http in [false, true] {
        let s = Served::new("diff-apply", &extra, http, start);
        s.grow(300, "old");
        let old = s.p.upstream.rev("main~250").to_string();
        let unknown = Oid::hash_object(git2::ObjectType::Commit, b"nowhere upstream")
            .unwrap()
            .to_string();
        let too_old = s.apply(&["--sha", &old]).expect_code(3);
        assert!(too_old.stderr.contains("more than `max_age`"), "{too_old}");
        let missing = s.apply(&["--sha", &unknown]).expect_code(3);
        assert!(missing.stderr.contains("does not exist in"), "{missing}");
        if http {
            // Past `max_age` without the commit at the first depth: the rest at once (libgit2's unshallow).
            assert_eq!(
                s.deepens(),
                [
                    "deepen 64",
                    "deepen 2147483647",
                    "deepen 64",
                    "deepen 2147483647"
                ]
            );
            s.assert_whole();
        }
        assert!(s.p.remote_branch(BRANCH).is_none());
        // The reasons without the upstream URL, which differs.
        let url = match &s.server {
            Some((_, server)) => format!("{}/acme/mono.git", server.url()),
            None => s.p.upstream.path().display().to_string(),
        };
        let reason = |o: &crate::support::Output| {
            o.stderr
                .lines()
                .filter(|l| l.contains("commit `"))
                .map(|l| l.replace(&url, "URL"))
                .collect::<Vec<_>>()
        };
        seen.push((reason(&too_old), reason(&missing)));
    }
    assert_eq!(seen[0], seen[1]);
}

/// A dry run over HTTP fetches shallow too and leaves nothing behind: not in the cousin's clone, not in
/// the temporary directory.
#[test]
fn a_dry_run_over_http_leaves_nothing_behind() {
    let s = Served::new(
        "diff-apply",
        &serde_json::json!({}),
        true,
        recent() - 6 * 3600,
    );
    s.grow(100, "old");
    s.p.push_cousin();
    let tmp = tempfile::tempdir().unwrap();
    let before = crate::support::subscriber_fixture::snapshot(s.p.cousin.path());
    let out =
        s.p.apply_cmd(&["--latest", "--dry-run"])
            .env("ECOSYNC_LOG", "ecosync=debug")
            .env("TMPDIR", tmp.path())
            .timeout(Duration::from_secs(60))
            .run()
            .success();
    assert!(
        out.stderr.contains("fetched upstream's history shallow"),
        "{out}"
    );
    assert_eq!(
        crate::support::subscriber_fixture::snapshot(s.p.cousin.path()),
        before
    );
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    assert!(s.p.remote_branch(BRANCH).is_none());
}
