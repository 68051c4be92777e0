//! git over HTTP through ecosync's own transport (`src/forge/git_https.rs`, rustls for https; registered for
//! plain http too, which these tests use on loopback): the real binaries fetch, push and authenticate
//! against `git http-backend` behind a loopback server.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::json;

use crate::support::Cmd;
use crate::support::Repo;
use crate::support::dispatch::local_forge;
use crate::support::loopback_http::{LoopbackHttp, git_http_backend};
use crate::support::plan::Config;
use crate::support::subscriber_fixture::{Pair, config, mapped};

const TOKEN: &str = "ghs_transport_test_token_0123456789";

/// `Basic base64(x-access-token:TOKEN)`, computed by git's own rules with the `base64` CLI.
fn basic(token: &str) -> String {
    let out = std::process::Command::new("base64")
        .arg("-w0")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write as _;
            c.stdin
                .take()
                .unwrap()
                .write_all(format!("x-access-token:{token}").as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    format!("Basic {}", String::from_utf8(out.stdout).unwrap())
}

/// A source clone whose `origin` is `acme/source` behind the loopback git server (which wants `TOKEN`),
/// subscribed to by `acme/first`; returns the forge, the clone, the server and the push event's file.
fn source_over_http(
    server_token: &str,
) -> (
    tempfile::TempDir,
    Repo,
    LoopbackHttp,
    Config,
    tempfile::TempDir,
) {
    let forge = local_forge(&["acme/source", "acme/first"]);
    let repo = Repo::new();
    repo.write("README.md", "source\n");
    let before = repo.commit("initial");
    repo.push(&forge.path().join("acme/source.git"), "main");
    repo.write("one/a.txt", "a\n");
    let after = repo.commit("one");
    repo.push(&forge.path().join("acme/source.git"), "main");
    let server = LoopbackHttp::start(git_http_backend(forge.path(), Some(basic(server_token))));
    repo.git
        .remote("origin", &format!("{}/acme/source.git", server.url()))
        .unwrap();
    let config = Config::new(&json!([{"repo": "acme/first", "subscriptions": ["one/**"]}]));
    let events = tempfile::tempdir().unwrap();
    std::fs::write(
        events.path().join("push.json"),
        serde_json::to_vec(&json!({
            "ref": "refs/heads/main", "before": before.to_string(), "after": after.to_string(),
            "repository": {"default_branch": "main"},
        }))
        .unwrap(),
    )
    .unwrap();
    (forge, repo, server, config, events)
}

fn dispatch(
    forge: &tempfile::TempDir,
    repo: &Repo,
    config: &Config,
    events: &tempfile::TempDir,
) -> Cmd {
    Cmd::dispatcher()
        .dir(repo.path())
        .args(["dispatch", "--config"])
        .arg(config.path())
        .arg("--forge")
        .arg(format!("local:{}", forge.path().display()))
        .env("ECOSYNC_MIN_INTERVAL", "0")
        .env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_EVENT_PATH", events.path().join("push.json"))
        .env("WATERMARK_TOKEN", TOKEN)
        .env("ECOSYNC_WATERMARK_TOKEN_ENV", "WATERMARK_TOKEN")
        .timeout(Duration::from_secs(60))
}

/// The dispatch watermark is read and pushed over HTTP with the token as Basic authentication on every
/// request (never in the URL), and the token is never printed.
#[test]
fn watermark_is_read_and_pushed_with_credentials() {
    let (forge, repo, server, config, events) = source_over_http(TOKEN);
    let out = dispatch(&forge, &repo, &config, &events).run().success();
    assert!(
        !out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN),
        "{out}"
    );
    let bare = git2::Repository::open_bare(forge.path().join("acme/source.git")).unwrap();
    assert_eq!(
        bare.refname_to_id("refs/ecosync/dispatched/main").unwrap(),
        repo.head(),
        "{out}"
    );
    let seen = server.seen();
    let targets: BTreeSet<String> = seen
        .iter()
        .map(|s| format!("{} {}", s.method, s.target))
        .collect();
    for expected in [
        "GET /acme/source.git/info/refs?service=git-upload-pack",
        "GET /acme/source.git/info/refs?service=git-receive-pack",
        "POST /acme/source.git/git-receive-pack",
    ] {
        assert!(
            targets.contains(expected),
            "{expected} not in {targets:?}\n{out}"
        );
    }
    for s in &seen {
        assert_eq!(
            s.authorization.as_deref(),
            Some(basic(TOKEN).as_str()),
            "{s:?}"
        );
        assert!(!s.target.contains(TOKEN));
    }
}

/// A token the server refuses: the dispatch fails saying so (401), without the token.
#[test]
fn refused_credentials_are_reported_without_the_token() {
    let (forge, repo, server, config, events) = source_over_http("another_token");
    let out = dispatch(&forge, &repo, &config, &events).run();
    assert_ne!(out.code, Some(0), "{out}");
    assert!(
        out.stderr.contains("refused the credentials (401)"),
        "{out}"
    );
    assert!(
        !out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN),
        "{out}"
    );
    assert!(!server.seen().is_empty());
}

/// The subscriber fetches upstream (ref advertisement, then a pack) and pushes its sync branch over HTTP.
#[test]
fn subscriber_fetches_and_pushes_over_http() {
    // The server's root exists before the forge does: the forge is linked into it afterwards.
    let root = tempfile::tempdir().unwrap();
    let server = LoopbackHttp::start(git_http_backend(root.path(), None));
    let mut cfg = config(mapped(), "diff-apply");
    cfg["upstream"]["url"] = format!("{}/acme/mono.git", server.url()).into();
    let p = Pair::new(cfg);
    std::os::unix::fs::symlink(p.forge.path().join("acme"), root.path().join("acme")).unwrap();
    let out = p
        .apply_cmd(&["--latest"])
        .env(
            "ECOSYNC_COUSIN_URL",
            format!("{}/acme/cousin.git", server.url()),
        )
        .run()
        .success();
    let bare = git2::Repository::open_bare(p.forge_repo("cousin")).unwrap();
    assert!(
        bare.find_reference("refs/heads/ecosync/acme-mono").is_ok(),
        "the sync branch was not pushed\n{out}"
    );
    assert_eq!(p.pulls().len(), 1, "{out}");
    let targets: BTreeSet<String> = server
        .seen()
        .iter()
        .map(|s| format!("{} {}", s.method, s.target))
        .collect();
    for expected in [
        "GET /acme/mono.git/info/refs?service=git-upload-pack",
        "POST /acme/mono.git/git-upload-pack",
        "POST /acme/cousin.git/git-receive-pack",
    ] {
        assert!(
            targets.contains(expected),
            "{expected} not in {targets:?}\n{out}"
        );
    }
}
