//! The demo sample (`ecosync::demo::DemoSample`: a source monorepo and its downstream repositories on a
//! local forge) driven as GitHub would drive it: `dispatcher dispatch` from the source, then in a cousin
//! `subscriber apply` of the event the dispatch delivered, on the sample's local forge or against the fake
//! GitHub (with git still going to the sample's bare repositories).

use std::path::{Path, PathBuf};

use ecosync::RepoName;
use ecosync::demo::DemoSample;
use ecosync::forge::local::LocalForge;
use git2::Oid;
use serde_json::{Value, json};

use crate::support::Cmd;
use crate::support::fake_github::FakeGitHub;

/// Seconds since the epoch.
pub fn now() -> i64 {
    ecosync::git::clock::unix_seconds(std::time::SystemTime::now())
}

/// A demo sample in `dir/sample` whose commits are an hour old.
pub fn sample(dir: &Path) -> DemoSample {
    DemoSample::create(&dir.join("sample"), now() - 3600).unwrap()
}

/// The `--forge` of the sample's local forge.
pub fn local_forge(sample: &DemoSample) -> String {
    format!("local:{}", sample.forge_dir().display())
}

/// A fake GitHub that has the sample's source and every cousin.
pub fn fake_github() -> FakeGitHub {
    let fake = FakeGitHub::start();
    fake.add_repo(DemoSample::source().as_str());
    for c in DemoSample::cousins() {
        fake.add_repo(c.as_str());
    }
    fake
}

/// The flask cousin's own commit on the line of its `app/app.py` that says what `/subscribe` answers, the
/// line a change of the source's flask feature touches next (so its sync conflicts).
pub fn flask_edits_its_subscribe_answer(sample: &DemoSample) {
    sample
        .push(
            "acme/flask-webpush",
            &[("app/app.py", "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.post(\"/subscribe\")\ndef subscribe():\n    return {\"ok\": \"cousin\"}\n")],
            "Our own subscribe answer",
        )
        .unwrap();
}

/// `dispatcher dispatch` of `base..head` on `git_ref` from the source's work tree, without pacing; the caller
/// says where to.
pub fn dispatch(sample: &DemoSample, git_ref: &str, base: Oid, head: Oid) -> Cmd {
    Cmd::dispatcher()
        .args(["dispatch", "--min-interval", "0", "--ref", git_ref])
        .args(["--base", &base.to_string(), "--head", &head.to_string()])
        .arg("--repo")
        .arg(sample.work_dir(DemoSample::source().as_str()))
}

/// [`dispatch`] to the sample's local forge. No `--source-repo`: the dispatcher reads it from `origin`.
pub fn dispatch_local(sample: &DemoSample, git_ref: &str, base: Oid, head: Oid) -> Cmd {
    dispatch(sample, git_ref, base, head).args(["--forge", &local_forge(sample)])
}

/// [`dispatch`] to `fake` with `token`.
pub fn dispatch_github(
    sample: &DemoSample,
    git_ref: &str,
    base: Oid,
    head: Oid,
    fake: &FakeGitHub,
    token: &str,
) -> Cmd {
    dispatch(sample, git_ref, base, head)
        .args(["--forge", "github"])
        .args(["--source-repo", DemoSample::source().as_str()])
        .env("GITHUB_API_URL", fake.url())
        .env("ECOSYNC_TOKEN", token)
}

/// The event file of the newest dispatch `cousin` received on the local forge.
pub fn newest_event(sample: &DemoSample, cousin: &RepoName) -> PathBuf {
    LocalForge::new(sample.forge_dir())
        .dispatch_files(cousin)
        .unwrap()
        .pop()
        .unwrap_or_else(|| panic!("{cousin} received no dispatch"))
}

/// `subscriber apply` of `event` in `cousin`'s work tree on the sample's local forge, as the listener
/// workflow runs it.
pub fn apply_local(sample: &DemoSample, cousin: &RepoName, event: &Path) -> Cmd {
    Cmd::subscriber()
        .args(["apply", "--forge", &local_forge(sample)])
        .arg("--event")
        .arg(event)
        .arg("--repo")
        .arg(sample.work_dir(cousin.as_str()))
        .env("GITHUB_REPOSITORY", cousin.as_str())
}

/// The `repository_dispatch` event Actions would hand `cousin` for the newest dispatch `fake` recorded to
/// it, written into `dir`.
pub fn github_event(fake: &FakeGitHub, cousin: &RepoName, dir: &Path) -> PathBuf {
    let sent = fake
        .dispatches(cousin.as_str())
        .pop()
        .unwrap_or_else(|| panic!("{cousin}: no dispatch"));
    let event = json!({
        "action": sent["event_type"], "branch": "main", "client_payload": sent["client_payload"],
        "repository": {"full_name": cousin.as_str(), "default_branch": "main"},
        "sender": {"login": "ecosync-bot"}
    });
    let path = dir.join(format!("{}-event.json", cousin.name()));
    std::fs::write(&path, serde_json::to_vec(&event).unwrap()).unwrap();
    path
}

/// `cousin`'s own configuration (its work tree's `.github/ecosync.json`).
pub fn cousin_config(sample: &DemoSample, cousin: &str) -> Value {
    let work = sample.work_dir(cousin);
    serde_json::from_str(&std::fs::read_to_string(work.join(".github/ecosync.json")).unwrap())
        .unwrap()
}

/// Points `cfg`'s `upstream.url` at the source's bare repository: GitHub itself cannot be reached, so git
/// goes to the bare repositories while every API call goes to the fake GitHub.
pub fn set_local_upstream(sample: &DemoSample, cfg: &mut Value) {
    let source_url = sample
        .forge_dir()
        .join(format!("{}.git", DemoSample::source()));
    cfg["upstream"]["url"] = json!(source_url.display().to_string());
}

/// Writes `cfg` to `path`, for `--config`; returns `path`.
pub fn write_config(path: &Path, cfg: &Value) -> PathBuf {
    std::fs::write(path, serde_json::to_vec_pretty(cfg).unwrap()).unwrap();
    path.to_path_buf()
}

/// `cousin`'s configuration with [`set_local_upstream`], written to `path` for `--config`.
pub fn config_with_local_upstream(sample: &DemoSample, cousin: &str, path: &Path) -> PathBuf {
    let mut cfg = cousin_config(sample, cousin);
    set_local_upstream(sample, &mut cfg);
    write_config(path, &cfg)
}

/// `subscriber apply --forge github` in `cousin`'s work tree with `config`, pushing to the cousin's bare
/// repository, against `fake` with `token`; the caller says what to apply (`--event` or `--latest`).
pub fn apply_github(
    sample: &DemoSample,
    cousin: &str,
    config: &Path,
    fake: &FakeGitHub,
    token: &str,
) -> Cmd {
    Cmd::subscriber()
        .args(["apply", "--forge", "github"])
        .arg("--config")
        .arg(config)
        .arg("--repo")
        .arg(sample.work_dir(cousin))
        .arg("--cousin-url")
        .arg(sample.forge_dir().join(format!("{cousin}.git")))
        .env("GITHUB_API_URL", fake.url())
        .env("GITHUB_REPOSITORY", cousin)
        .env("ECOSYNC_TOKEN", token)
}
