//! `dispatcher doctor` and `subscriber doctor` against the fake GitHub: a GitHub App without Pull requests
//! write, a read-only token, a repository where Actions may not open pull requests, a missing base branch
//! and repository, and the local forge.

use serde_json::{Value, json};

use crate::support::fake_github::{FakeGitHub, INSTALLATION_TOKEN_PREFIX};
use crate::support::plan::Config;
use crate::support::{Cmd, Output, Repo, test_app_key};

const TOKEN: &str = "ghp_doctorTestSecretToken0123456789ab";
const COUSIN: &str = "acme/cousin";
const UPSTREAM: &str = "acme/mono";

fn cousin_repo(config: &Value) -> Repo {
    let r = Repo::new();
    r.write(
        ".github/ecosync.json",
        serde_json::to_string(config).unwrap(),
    );
    r
}

fn default_config() -> Value {
    json!({"upstream": {"repo": UPSTREAM}, "subscriptions": ["features/x"], "notify": "self"})
}

fn fake() -> FakeGitHub {
    let fake = FakeGitHub::start();
    fake.add_repo(COUSIN);
    fake.add_repo(UPSTREAM);
    fake
}

fn subscriber_doctor(fake: &FakeGitHub, repo: &Repo) -> Cmd {
    Cmd::subscriber()
        .args([
            "doctor",
            "--forge",
            "github",
            "--repo-name",
            COUSIN,
            "--format",
            "json",
        ])
        .arg("--repo")
        .arg(repo.path())
        .env("GITHUB_API_URL", fake.url())
}

/// check name -> (result, fix) of a JSON report.
fn find(out: &Output, check: &str) -> (String, String) {
    let json = out.json();
    let c = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == check)
        .unwrap_or_else(|| panic!("no check `{check}`\n{out}"));
    (
        c["result"].as_str().unwrap().to_owned(),
        c["fix"].as_str().unwrap_or_default().to_owned(),
    )
}

#[test]
fn subscriber_doctor_passes_with_a_personal_token() {
    let fake = fake();
    let repo = cousin_repo(&default_config());
    let out = subscriber_doctor(&fake, &repo)
        .env("ECOSYNC_TOKEN", TOKEN)
        .run()
        .success();
    assert_eq!(out.json()["failed"], 0, "{out}");
    assert_eq!(find(&out, "token").0, "ok");
    for c in [
        "access acme/cousin",
        "contents write acme/cousin",
        "pull requests write acme/cousin",
        "issues write acme/cousin",
        "base branch acme/cousin:main",
        "access acme/mono (upstream)",
    ] {
        assert_eq!(find(&out, c).0, "ok", "{c}\n{out}");
    }
    assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN));
    // Every request was a read.
    assert!(fake.requests().iter().all(|r| r.method == "GET"));
}

#[test]
fn subscriber_doctor_app_without_pull_requests_write() {
    let fake = fake();
    fake.set_grants(
        COUSIN,
        json!({"contents": "write", "pull_requests": "read", "issues": "write"}),
    );
    let tmp = tempfile::tempdir().unwrap();
    let mut config = default_config();
    // A mapping into `.github/workflows` needs the Workflows permission too, which the app lacks.
    config["subscriptions"] = json!(["features/x", {"path": "ci", "to": ".github/workflows"}]);
    let repo = cousin_repo(&config);
    let out = subscriber_doctor(&fake, &repo)
        .args(["--app-id", "12345", "--app-key-file"])
        .arg(test_app_key(tmp.path()))
        .run()
        .expect_code(1);
    assert_eq!(find(&out, "contents write acme/cousin").0, "ok", "{out}");
    let (result, fix) = find(&out, "pull requests write acme/cousin");
    assert_eq!(result, "fail", "{out}");
    assert!(
        fix.contains("give the GitHub App `Pull requests: Read and write`"),
        "{fix}"
    );
    let (result, fix) = find(&out, "workflows write acme/cousin");
    assert_eq!(result, "fail", "{out}");
    assert!(fix.contains("`Workflows: Read and write`"), "{fix}");
    // The table for people: check, result, fix on one line.
    let text = Cmd::subscriber()
        .args(["doctor", "--forge", "github", "--repo-name", COUSIN])
        .arg("--repo")
        .arg(repo.path())
        .env("GITHUB_API_URL", fake.url())
        .args(["--app-id", "12345", "--app-key-file"])
        .arg(test_app_key(tmp.path()))
        .run()
        .expect_code(1);
    let line = text
        .stdout
        .lines()
        .find(|l| l.starts_with("pull requests write acme/cousin"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("FAIL: app grants `pull_requests: read`"),
        "{line}"
    );
    assert!(line.contains("give the GitHub App"), "{line}");
    assert!(text.stdout.contains("checks: "), "{text}");
}

#[test]
fn subscriber_doctor_read_only_token_and_missing_base_branch() {
    let fake = fake();
    fake.set_role(COUSIN, json!({"pull": true, "triage": true, "push": false}));
    let mut config = default_config();
    config["pull_request"] = json!({"base": "develop"});
    let repo = cousin_repo(&config);
    let out = subscriber_doctor(&fake, &repo)
        .env("ECOSYNC_TOKEN", TOKEN)
        .run()
        .expect_code(1);
    for c in [
        "contents write acme/cousin",
        "pull requests write acme/cousin",
    ] {
        let (result, fix) = find(&out, c);
        assert_eq!(result, "fail", "{c}\n{out}");
        assert!(fix.contains("write access to `acme/cousin`"), "{fix}");
    }
    // Triage may open issues.
    assert_eq!(find(&out, "issues write acme/cousin").0, "ok", "{out}");
    let (result, fix) = find(&out, "base branch acme/cousin:develop");
    assert_eq!(result, "fail");
    assert!(fix.contains("create `develop` in `acme/cousin`"), "{fix}");
}

#[test]
fn subscriber_doctor_github_token_where_actions_may_not_open_pull_requests() {
    let fake = fake();
    fake.forbid_actions_pull_requests(COUSIN);
    let repo = cousin_repo(&default_config());
    let out = subscriber_doctor(&fake, &repo)
        .env(
            "ECOSYNC_TOKEN",
            format!("{INSTALLATION_TOKEN_PREFIX}workflow"),
        )
        .run()
        .expect_code(1);
    assert_eq!(find(&out, "token").0, "ok");
    let (result, fix) = find(&out, "actions may open pull requests in acme/cousin");
    assert_eq!(result, "fail", "{out}");
    assert!(
        fix.contains("\"Allow GitHub Actions to create and approve pull requests\""),
        "{fix}"
    );
    // GitHub shows an installation token no role: the workflow's `permissions:` decide.
    let (result, fix) = find(&out, "pull requests write acme/cousin");
    assert_eq!(result, "warn");
    assert!(fix.contains("permissions: pull-requests: write"), "{fix}");
    assert_eq!(
        fake.requests_to("GET", "/repos/acme/cousin/actions/permissions/workflow")
            .len(),
        1
    );
    // With the setting on, that check passes.
    let fake = self::fake();
    let out = subscriber_doctor(&fake, &repo)
        .env(
            "ECOSYNC_TOKEN",
            format!("{INSTALLATION_TOKEN_PREFIX}workflow"),
        )
        .run()
        .success();
    assert_eq!(
        find(&out, "actions may open pull requests in acme/cousin").0,
        "ok"
    );
}

#[test]
fn dispatcher_doctor_names_the_repositories_it_cannot_reach() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/source");
    fake.add_repo("acme/web");
    fake.add_repo("acme/docs");
    fake.set_role("acme/docs", json!({"pull": true}));
    let config = Config::new(&json!([
        {"repo": "acme/web", "subscriptions": ["web/**"]},
        {"repo": "acme/docs", "subscriptions": ["docs/**"]},
        {"repo": "acme/gone", "subscriptions": ["gone/**"]},
        {"repo": "acme/off", "subscriptions": ["off/**"], "enabled": false},
    ]));
    let dir = tempfile::tempdir().unwrap();
    let run = |token: &str| {
        Cmd::dispatcher()
            .args(["doctor", "--forge", "github", "--format", "json"])
            .args(["--source-repo", "acme/source", "--notify-issue"])
            .arg("--config")
            .arg(config.path())
            .arg("--repo")
            .arg(dir.path())
            .env("GITHUB_API_URL", fake.url())
            .env("ECOSYNC_TOKEN", token)
            .run()
    };
    let out = run(TOKEN).expect_code(1);
    assert_eq!(
        find(&out, "contents write acme/source (the dispatch watermark)").0,
        "ok"
    );
    assert_eq!(find(&out, "issues write acme/source").0, "ok");
    assert_eq!(
        find(&out, "contents write acme/web (repository_dispatch)").0,
        "ok"
    );
    let (result, _) = find(&out, "contents write acme/docs (repository_dispatch)");
    assert_eq!(result, "fail", "{out}");
    let (result, fix) = find(&out, "access acme/gone");
    assert_eq!(result, "fail");
    assert!(
        fix.contains("give the token access to `acme/gone`"),
        "{fix}"
    );
    // A disabled entry is not checked.
    assert!(!out.stdout.contains("acme/off"), "{out}");
    assert_eq!(out.json()["failed"], 2);
    // A workflow's GITHUB_TOKEN cannot dispatch elsewhere: said as a warning per target.
    let out = run(&format!("{INSTALLATION_TOKEN_PREFIX}wf")).expect_code(1);
    let (result, fix) = find(&out, "dispatch acme/web");
    assert_eq!(result, "warn", "{out}");
    assert!(fix.contains("GitHub App or a fine-grained token"), "{fix}");
}

#[test]
fn a_refused_token_is_one_failed_check() {
    let fake = fake();
    fake.fail(
        crate::support::fake_github::Fault::new(crate::support::fake_github::FaultKind::Status(
            401,
        ))
        .path("/user")
        .always(),
    );
    let repo = cousin_repo(&default_config());
    let out = subscriber_doctor(&fake, &repo)
        .env("ECOSYNC_TOKEN", TOKEN)
        .run()
        .expect_code(1);
    let (result, fix) = find(&out, "token");
    assert_eq!(result, "fail", "{out}");
    assert!(fix.contains("invalid or expired"), "{fix}");
    assert_eq!(out.json()["checks"].as_array().unwrap().len(), 1);
}

#[test]
fn doctor_on_the_local_forge() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = ecosync::demo::DemoSample::create(
        &tmp.path().join("s"),
        ecosync::git::clock::unix_seconds(std::time::SystemTime::now()) - 60,
    )
    .unwrap();
    let forge = format!("local:{}", sample.forge_dir().display());
    let out = Cmd::subscriber()
        .args([
            "doctor",
            "--forge",
            &forge,
            "--repo-name",
            "acme/flask-webpush",
        ])
        .arg("--repo")
        .arg(sample.work_dir("acme/flask-webpush"))
        .run()
        .success();
    assert!(out.stdout.contains("ok: the local forge at"), "{out}");
    assert!(out.stdout.contains("0 failed"), "{out}");
    // The sample's ecosystem names a repository the forge does not have: the one failed check.
    let out = Cmd::dispatcher()
        .args(["doctor", "--forge", &forge])
        .arg("--repo")
        .arg(sample.work_dir("acme/webdev-monorepo"))
        .run()
        .expect_code(1);
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("contents write acme/react-webpush (repository_dispatch)"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains(" ok: "), "{line}");
    assert!(
        out.stdout.contains("access acme/django-auth")
            && out.stdout.contains("FAIL: not found")
            && out.stdout.contains("1 failed"),
        "{out}"
    );
}

/// `subscriber apply` checks, before its first write, what GitHub states for certain: with a workflow's
/// token in a repository where Actions may not open pull requests it stops before pushing anything.
#[test]
fn apply_preflight_stops_before_the_push() {
    use crate::support::demo;
    use ecosync::demo::DemoSample;
    let tmp = tempfile::tempdir().unwrap();
    let sample = demo::sample(tmp.path());
    sample.push_update().unwrap();
    let cousin = "acme/react-webpush";
    let fake = FakeGitHub::start();
    fake.add_repo(cousin)
        .add_repo(DemoSample::source().as_str());
    fake.forbid_actions_pull_requests(cousin);
    let config = demo::config_with_local_upstream(&sample, cousin, &tmp.path().join("react.json"));
    let bare = sample.forge_dir().join(format!("{cousin}.git"));
    let apply = |token: String| {
        demo::apply_github(&sample, cousin, &config, &fake, &token)
            .args(["--latest", "--min-interval", "0"])
            .run()
    };
    let out = apply(format!("{INSTALLATION_TOKEN_PREFIX}wf")).expect_code(1);
    assert!(
        out.stderr.contains(
            "error: preflight: actions may open pull requests in acme/react-webpush: \"Allow GitHub Actions to create and approve pull requests\" is off"
        ),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("hint: in `acme/react-webpush`: Settings"),
        "{out}"
    );
    let branches: Vec<String> = git2::Repository::open_bare(&bare)
        .unwrap()
        .branches(None)
        .unwrap()
        .map(|b| b.unwrap().0.name().unwrap().unwrap().to_owned())
        .collect();
    assert_eq!(branches, ["main"], "nothing was pushed");
    assert!(
        fake.requests().iter().all(|r| r.method == "GET"),
        "no write"
    );
    // A personal token is not stopped by the preflight: the sync goes through.
    apply(TOKEN.to_owned()).success();
    assert_eq!(fake.pulls(cousin).len(), 1);
}

#[test]
fn dispatcher_doctor_checks_what_each_mode_needs() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/source");
    fake.add_repo("acme/fork");
    fake.add_repo("acme/web");
    // `triage` may manage pull requests but not push.
    fake.set_role("acme/web", json!({"pull": true, "triage": true}));
    let config = Config::new(&json!([
        {"repo": "acme/fork", "subscriptions": ["**"], "mode": "push"},
        {"repo": "acme/web", "subscriptions": ["web/**"], "mode": "pull-request"},
    ]));
    let dir = tempfile::tempdir().unwrap();
    let out = Cmd::dispatcher()
        .args(["doctor", "--forge", "github", "--format", "json"])
        .args(["--source-repo", "acme/source"])
        .arg("--config")
        .arg(config.path())
        .arg("--repo")
        .arg(dir.path())
        .env("GITHUB_API_URL", fake.url())
        .env("ECOSYNC_TOKEN", TOKEN)
        .run()
        .expect_code(1);
    assert_eq!(
        find(
            &out,
            "contents write acme/fork (mode `push`: the branch is pushed or merge-upstream)"
        )
        .0,
        "ok"
    );
    assert_eq!(
        find(&out, "contents write acme/web (the sync branch is pushed)").0,
        "fail",
        "{out}"
    );
    assert!(
        out.stdout
            .contains("pull requests write acme/web (mode `pull-request`)"),
        "{out}"
    );
    // The pull request modes report failures in an issue in the source.
    assert_eq!(find(&out, "issues write acme/source").0, "ok");
}
