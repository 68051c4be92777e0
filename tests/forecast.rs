//! `dispatcher forecast` on the local forge: four targets, one that conflicts, two that apply cleanly (a
//! squash root mapping and a merging fork), one that does not exist (no access); then one already synced.

use ecosync::demo::DemoSample;
use serde_json::{Value, json};

use crate::support::{Cmd, Output, demo};

fn forecast(sample: &DemoSample, base: Option<git2::Oid>, head: git2::Oid, format: &str) -> Output {
    let base: Vec<String> = base
        .map(|b| vec!["--base".to_owned(), b.to_string()])
        .unwrap_or_default();
    Cmd::dispatcher()
        .args(["forecast", "--ref", "main", "--format", format])
        // Several targets at once: the results must not depend on which fetch ends first.
        .args(["--concurrency", "4"])
        .args(["--forge", &demo::local_forge(sample)])
        .args(base)
        .args(["--head", &head.to_string()])
        .arg("--repo")
        .arg(sample.work_dir(DemoSample::source().as_str()))
        .run()
}

/// `dispatcher forecast --comment` of `first..head` on the source's pull request `number`; the caller says
/// where the forge is.
fn forecast_comment(sample: &DemoSample, number: &str, head: git2::Oid) -> Cmd {
    Cmd::dispatcher()
        .args([
            "forecast",
            "--ref",
            "main",
            "--comment",
            "--pull-request",
            number,
        ])
        .args([
            "--base",
            &sample.first.to_string(),
            "--head",
            &head.to_string(),
        ])
        .arg("--repo")
        .arg(sample.work_dir(DemoSample::source().as_str()))
}

/// A source commit that sets the react feature's retries to nine (after `push_update`).
fn push_nine_retries(sample: &DemoSample) -> git2::Oid {
    sample
        .push(
            DemoSample::source().as_str(),
            &[(
                "features/webpush/react/src/subscribe.js",
                "export const RETRIES = 9;\n",
            )],
            "nine",
        )
        .unwrap()
}

fn target<'a>(json: &'a Value, repo: &str) -> &'a Value {
    json["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["repo"] == repo)
        .unwrap_or_else(|| panic!("no {repo} in {json:#}"))
}

#[test]
fn forecast_over_targets_that_conflict_apply_cleanly_and_cannot_be_reached() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = demo::sample(tmp.path());
    // The flask cousin edits the very line the change touches.
    demo::flask_edits_its_subscribe_answer(&sample);
    let head = sample
        .push(
            DemoSample::source().as_str(),
            &[
                ("features/webpush/flask/app.py", "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.post(\"/subscribe\")\ndef subscribe():\n    return {\"ok\": True, \"v\": 2}\n"),
                ("features/webpush/react/src/subscribe.js", "export const RETRIES = 5;\n"),
                ("features/auth/django/views.py", "def login(request):\n    return None\n"),
            ],
            "change three features",
        )
        .unwrap();
    let forge_before = std::fs::read_dir(sample.forge_dir().join("acme"))
        .unwrap()
        .count();
    let out = forecast(&sample, Some(sample.first), head, "json").success();
    let json = out.json();
    assert_eq!(json["head"], head.to_string());
    assert_eq!(
        target(&json, "acme/flask-webpush"),
        &json!({"repo": "acme/flask-webpush", "strategy": "diff-apply", "branch": "main",
                "result": "conflicts", "files": ["app/app.py"]})
    );
    assert_eq!(
        target(&json, "acme/react-webpush"),
        &json!({"repo": "acme/react-webpush", "strategy": "squash", "branch": "main",
                "result": "clean", "files": 1})
    );
    let fork = target(&json, "acme/webdev-fork");
    assert_eq!(
        (&fork["strategy"], &fork["result"]),
        (&json!("merge"), &json!("clean")),
        "{fork}"
    );
    let django = target(&json, "acme/django-auth");
    assert_eq!(django["result"], "unknown", "{django}");
    assert!(
        django["reason"].as_str().unwrap().starts_with("no access"),
        "{django}"
    );
    // Read-only: nothing was pushed, no record written.
    assert_eq!(
        std::fs::read_dir(sample.forge_dir().join("acme"))
            .unwrap()
            .count(),
        forge_before
    );
    let text = forecast(&sample, Some(sample.first), head, "text").success();
    assert!(
        text.stdout
            .contains("acme/flask-webpush [diff-apply]: conflicts in `app/app.py`"),
        "{text}"
    );
    assert!(
        text.stdout
            .contains("acme/react-webpush [squash]: clean (1 file(s))"),
        "{text}"
    );
    let md = forecast(&sample, Some(sample.first), head, "markdown").success();
    assert!(md.stdout.starts_with("### ecosync forecast"), "{md}");
    assert!(
        md.stdout
            .contains("| `acme/django-auth` | - | unknown: no access"),
        "{md}"
    );
}

#[test]
fn forecast_says_not_subscribed_and_already_has_it() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = demo::sample(tmp.path());
    // The react cousin's own configuration now subscribes elsewhere than the ecosystem entry says.
    sample
        .push(
            "acme/react-webpush",
            &[(
                ".github/ecosync.json",
                r#"{"upstream": {"repo": "acme/webdev-monorepo"}, "strategy": "squash",
                    "subscriptions": [{"path": "features/webpush/vue", "to": ""}]}"#,
            )],
            "Follow the vue example instead",
        )
        .unwrap();
    // The other cousins were imported at `first`: forecasting `first` itself finds each one has it.
    let repo = git2::Repository::open(sample.work_dir(DemoSample::source().as_str())).unwrap();
    let root = repo.find_commit(sample.first).unwrap();
    assert_eq!(root.parent_count(), 0);
    let out = forecast(&sample, None, sample.first, "json").success();
    let json = out.json();
    for repo in ["acme/flask-webpush", "acme/webdev-fork"] {
        assert_eq!(
            target(&json, repo)["result"],
            "already_has_it",
            "{repo}: {json:#}"
        );
    }
    assert_eq!(
        target(&json, "acme/react-webpush")["result"],
        "not_subscribed",
        "{json:#}"
    );
}

#[test]
fn forecast_comment_is_one_sticky_comment_updated_in_place() {
    use ecosync::forge::{LocalForge, NewPullRequest};
    let tmp = tempfile::tempdir().unwrap();
    let sample = demo::sample(tmp.path());
    let source = DemoSample::source();
    let forge = ecosync::Forge::Local(LocalForge::new(sample.forge_dir()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pr = rt
        .block_on(forge.create_pull_request(
            &source,
            &NewPullRequest {
                title: "webpush v2".into(),
                body: "a change".into(),
                head: "feature".into(),
                base: "main".into(),
                draft: false,
            },
        ))
        .unwrap();
    let number = pr.number.to_string();
    let run = |head: git2::Oid| {
        forecast_comment(&sample, &number, head)
            .args(["--forge", &demo::local_forge(&sample)])
            .run()
            .success()
    };
    let v2 = sample.push_update().unwrap();
    run(v2).expect_stderr(&format!("forecast comment posted on {source}#{number}"));
    let v3 = push_nine_retries(&sample);
    run(v3).expect_stderr(&format!("forecast comment updated on {source}#{number}"));
    let local = LocalForge::new(sample.forge_dir());
    let comments: Vec<String> = local.pulls(&source).unwrap()[0]
        .comments
        .iter()
        .map(|c| c.body.clone())
        .collect();
    assert_eq!(comments.len(), 1, "updated, not duplicated: {comments:?}");
    assert!(comments[0].starts_with("<!-- ecosync-forecast -->\n### ecosync forecast"));
    assert!(
        comments[0].contains(&v3.to_string()[..12]),
        "{}",
        comments[0]
    );
    assert!(
        !comments[0].contains(&v2.to_string()[..12]),
        "{}",
        comments[0]
    );
    // Without a pull request to comment on: a usage error before anything is read.
    Cmd::dispatcher()
        .args(["forecast", "--comment", "--forge", "local:/nonexistent"])
        .arg("--repo")
        .arg(sample.work_dir(source.as_str()))
        .run()
        .expect_code(2)
        .expect_stderr("`--comment` needs the source pull request");
}

/// A cherry-pick target is forecast as the sync will run: every commit since its last sync, in turn (not
/// only the head's own change), so a conflict in an earlier commit of the pull request is found.
#[test]
fn cherry_pick_forecast_picks_every_commit_since_the_last_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = demo::sample(tmp.path());
    sample
        .push(
            "acme/react-webpush",
            &[
                (
                    ".github/ecosync.json",
                    r#"{"upstream": {"repo": "acme/webdev-monorepo"}, "strategy": "cherry-pick",
                        "subscriptions": [{"path": "features/webpush/react", "to": ""}]}"#,
                ),
                (
                    "package.json",
                    "{ \"name\": \"react-webpush\", \"version\": \"1.0.0-ours\" }\n",
                ),
            ],
            "Pick upstream's commits one by one; our own version",
        )
        .unwrap();
    let source = DemoSample::source();
    sample
        .push(
            source.as_str(),
            &[(
                "features/webpush/react/package.json",
                "{ \"name\": \"react-webpush\", \"version\": \"1.1.0\" }\n",
            )],
            "react: version 1.1.0",
        )
        .unwrap();
    let head = sample
        .push(
            source.as_str(),
            &[(
                "features/webpush/react/src/subscribe.js",
                "export const RETRIES = 9;\n",
            )],
            "react: more retries",
        )
        .unwrap();
    let out = forecast(&sample, Some(sample.first), head, "json").success();
    let json = out.json();
    let react = target(&json, "acme/react-webpush");
    assert_eq!(react["strategy"], "cherry-pick", "{json:#}");
    assert_eq!(
        react["result"], "conflicts",
        "the first commit conflicts\n{json:#}"
    );
    assert_eq!(
        react["files"],
        serde_json::json!(["package.json"]),
        "{json:#}"
    );
}

/// Against the fake GitHub: the sticky comment is posted once, then edited in place, never posted twice.
#[test]
fn forecast_comment_is_sticky_on_the_fake_github() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = demo::sample(tmp.path());
    let source = DemoSample::source();
    let fake = demo::fake_github();
    let number = fake.seed_pull(source.as_str(), "feature", "main", "webpush v2");
    let run = |head: git2::Oid| {
        forecast_comment(&sample, &number.to_string(), head)
            .args(["--api-url", &fake.url()])
            .env("ECOSYNC_TOKEN", "test-token-not-secret")
            .env("ECOSYNC_MIN_INTERVAL", "0")
            .run()
            .success()
    };
    let v2 = sample.push_update().unwrap();
    run(v2);
    let first = fake.pull_comments(source.as_str(), number);
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(
        first[0].contains("<!-- ecosync-forecast -->"),
        "{}",
        first[0]
    );
    assert!(first[0].contains(&v2.to_string()[..7]), "{}", first[0]);
    let v3 = push_nine_retries(&sample);
    run(v3);
    let second = fake.pull_comments(source.as_str(), number);
    assert_eq!(second.len(), 1, "updated, not posted again: {second:?}");
    assert!(second[0].contains(&v3.to_string()[..7]), "{}", second[0]);
    let writes: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let posts = writes
        .iter()
        .filter(|w| w.starts_with("POST") && w.ends_with("/comments"))
        .count();
    let edits = writes
        .iter()
        .filter(|w| w.starts_with("PATCH") && w.contains("/issues/comments/"))
        .count();
    assert_eq!((posts, edits), (1, 1), "{writes:?}");
}
