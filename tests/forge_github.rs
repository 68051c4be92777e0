//! The GitHub forge against the fake GitHub: every operation of the forge API, its idempotent creates,
//! and the retry rules seen from the server side.

use clap::Parser;
use ecosync::forge::NewPullRequest;
use ecosync::{Forge, RepoName};
use ecosync_cli::forge_args::ForgeArgs;

use crate::support::fake_github::{FakeGitHub, Fault, FaultKind, INSTALLATION_TOKEN_PREFIX};

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    forge: ForgeArgs,
}

/// A GitHub forge pointed at `fake`, with no interval and short test waits.
fn forge(fake: &FakeGitHub, extra: &[&str]) -> Forge {
    // SAFETY of the test: the token variable is named explicitly, so no process-wide variable is needed.
    let mut argv = vec![
        "t".to_string(),
        "--api-url".into(),
        fake.url(),
        "--token-env".into(),
        "PATH".into(),
        "--min-interval".into(),
        "0".into(),
        "--retry-base-delay".into(),
        "50ms".into(),
        "--min-rate-limit-wait".into(),
        "200ms".into(),
    ];
    argv.extend(extra.iter().map(std::string::ToString::to_string));
    Args::parse_from(argv).forge.build().expect("forge builds")
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn repo(s: &str) -> RepoName {
    RepoName::parse(s).unwrap()
}

#[test]
fn pull_request_flow_is_idempotent_and_sends_owner_qualified_head() {
    let fake = FakeGitHub::start();
    fake.add_repo_with_branch("acme/widget", "trunk");
    let rt = rt();
    rt.block_on(async {
        let f = forge(&fake, &[]);
        let r = repo("acme/widget");
        assert_eq!(f.default_branch(&r).await.unwrap(), "trunk");
        assert!(
            f.find_open_pull_request(&r, "sync", "trunk")
                .await
                .unwrap()
                .is_none()
        );
        let new = NewPullRequest {
            title: "Sync".into(),
            body: "from upstream".into(),
            head: "sync".into(),
            base: "trunk".into(),
            draft: true,
        };
        let pr = f.create_pull_request(&r, &new).await.unwrap();
        assert_eq!((pr.number, pr.head.as_str(), pr.draft), (1, "sync", true));
        let again = f.create_pull_request(&r, &new).await.unwrap();
        assert_eq!(again.number, 1);
        let updated = f.update_pull_request(&r, 1, "Sync 2", "b2").await.unwrap();
        assert_eq!(
            (updated.title.as_str(), updated.body.as_str()),
            ("Sync 2", "b2")
        );
        f.request_reviewers(&r, 1, &["ann".into()], &["core".into()])
            .await
            .unwrap();
        f.add_labels(&r, 1, &["sync".into()]).await.unwrap();
        f.add_assignees(&r, 1, &["bob".into()]).await.unwrap();
        f.comment(&r, 1, "hello").await.unwrap();
        f.close_pull_request(&r, 1).await.unwrap();
        assert!(
            f.find_open_pull_request(&r, "sync", "trunk")
                .await
                .unwrap()
                .is_none()
        );
    });
    let pulls = fake.pulls("acme/widget");
    assert_eq!(pulls.len(), 1, "created once");
    assert_eq!(pulls[0]["state"], "closed");
    assert_eq!(pulls[0]["labels"][0]["name"], "sync");
    assert_eq!(pulls[0]["requested_reviewers"][0]["login"], "ann");
    assert_eq!(pulls[0]["requested_teams"][0]["slug"], "core");
    assert_eq!(pulls[0]["assignees"][0]["login"], "bob");
    assert_eq!(
        fake.pull_comments("acme/widget", 1),
        vec!["hello".to_string()]
    );
    let lists = fake.requests_to("GET", "/repos/acme/widget/pulls");
    assert!(
        lists.iter().all(|r| r.query.contains("head=acme%3Async")),
        "{lists:?}"
    );
    assert_eq!(
        fake.requests_to("POST", "/repos/acme/widget/pulls").len(),
        1
    );
    assert!(fake.requests().iter().all(|r| r.authorized));
    assert!(
        fake.requests()
            .iter()
            .all(|r| !r.headers.contains_key("authorization"))
    );
}

#[test]
fn issues_are_found_by_title_and_label_and_not_opened_twice() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/widget");
    fake.seed_pull(
        "acme/widget",
        "x",
        "main",
        "a pull request with the same title",
    );
    rt().block_on(async {
        let f = forge(&fake, &[]);
        let r = repo("acme/widget");
        let labels = vec!["ecosync".to_string()];
        let title = "a pull request with the same title";
        assert!(
            f.find_open_issue(&r, title, Some("ecosync"))
                .await
                .unwrap()
                .is_none()
        );
        let issue = f.create_issue(&r, title, "body", &labels).await.unwrap();
        let again = f.create_issue(&r, title, "body", &labels).await.unwrap();
        assert_eq!(issue.number, again.number);
        f.comment(&r, issue.number, "more").await.unwrap();
    });
    let issues = fake.issues("acme/widget");
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0]["comment_bodies"][0], "more");
    assert_eq!(
        fake.requests_to("POST", "/repos/acme/widget/issues").len(),
        1
    );
}

#[test]
fn git_url_and_credentials_never_put_the_token_in_the_url() {
    let fake = FakeGitHub::start();
    rt().block_on(async {
        let f = forge(&fake, &[]);
        let r = repo("acme/widget");
        assert_eq!(f.git_url(&r), format!("{}/acme/widget.git", fake.url()));
        let creds = f.git_credentials(&r).await.unwrap().unwrap();
        assert_eq!(creds.username, "x-access-token");
        assert_eq!(creds.password, std::env::var("PATH").unwrap());
        assert!(!format!("{creds:?}").contains(&creds.password));
    });
}

#[test]
fn a_create_whose_answer_was_lost_is_looked_up_before_it_is_retried() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/widget");
    // The first create happens on the server but its answer is lost.
    fake.fail(
        Fault::new(FaultKind::LoseAnswer)
            .method("POST")
            .path("/pulls"),
    );
    let pr = rt().block_on(async {
        let f = forge(&fake, &[]);
        let new = NewPullRequest {
            title: "Sync".into(),
            body: String::new(),
            head: "sync".into(),
            base: "main".into(),
            draft: false,
        };
        f.create_pull_request(&repo("acme/widget"), &new)
            .await
            .unwrap()
    });
    assert_eq!(pr.number, 1);
    assert_eq!(
        fake.pulls("acme/widget").len(),
        1,
        "one pull request, not two"
    );
    assert_eq!(
        fake.requests_to("POST", "/repos/acme/widget/pulls").len(),
        1
    );
}

#[test]
fn an_app_gets_git_credentials_from_its_installation_token() {
    let fake = FakeGitHub::start();
    fake.add_repo("acme/widget");
    let dir = tempfile::tempdir().unwrap();
    let key = crate::support::test_app_key(dir.path());
    let key = key.display().to_string();
    let creds = rt().block_on(async {
        let f = Args::parse_from([
            "t",
            "--api-url",
            &fake.url(),
            "--app-id",
            "7",
            "--app-key-file",
            &key,
        ])
        .forge
        .build()
        .expect("forge builds");
        f.git_credentials(&repo("acme/widget"))
            .await
            .unwrap()
            .unwrap()
    });
    assert_eq!(creds.username, "x-access-token");
    assert!(
        creds.password.starts_with(INSTALLATION_TOKEN_PREFIX),
        "{creds:?}"
    );
    let paths: Vec<String> = fake.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/repos/acme/widget/installation",
            "/app/installations/1/access_tokens"
        ]
    );
}
