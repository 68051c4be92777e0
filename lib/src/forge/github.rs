//! `GitHubForge`: GitHub and GitHub Enterprise Server through octocrab, every request paced and retried by
//! one [`Pacer`].
//!
//! octocrab is built without its `retry` feature, so its own retry layer (which retries immediately, POSTs
//! included, and could open two pull requests after one timeout) is switched off: retries are ours, in
//! [`Pacer`] and [`crate::forge::github::retry_policy`]. Requests go through octocrab's raw methods so that we see the
//! status and headers of every answer (for the rate-limit rules) and read only the fields we use (so
//! GitHub Enterprise Server answers missing newer fields still work). `Forge` looks before every create; a
//! pull request create here also looks again before a retry, so a create that timed out after it happened
//! is not made twice.

use std::fmt::Write as _;
pub mod content_budget;
pub mod pacer;
mod permissions;
pub mod retry_policy;

use std::collections::HashMap;
use std::sync::Arc;

use http::Method;
use octocrab::Octocrab;
use octocrab::models::InstallationId;
use octocrab::secrecy::ExposeSecret;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::RepositoryInfo;
use tokio::sync::Mutex;

use super::{Delivered, ForgeError, Issue, NewPullRequest, PullRequest};
use crate::error_kind::error_chain;
use crate::forge::commit_status::{CommitStatus, NewCommitStatus};
use crate::forge::github::pacer::{GaveUp, PacedResult, Pacer, RequestKind};
use crate::forge::github::retry_policy::Failure;
use crate::git::GitCredentials;
use crate::repo_name::RepoName;

/// The user name GitHub expects with a token for git over https.
const GIT_USER: &str = "x-access-token";

/// How the forge authenticates.
pub enum GitHubAuth {
    /// A personal access token or a workflow's token.
    Token(String),
    /// A GitHub App: an installation token per repository owner, looked up once and cached.
    App {
        /// The app's id.
        app_id: u64,
        /// Its private key (PEM).
        key: octocrab::EncodingKey,
    },
}

enum Client {
    Token {
        crab: Octocrab,
        token: String,
    },
    App {
        crab: Octocrab,
        installations: Mutex<HashMap<String, Octocrab>>,
    },
}

/// GitHub, reached at an API base URL.
pub struct GitHubForge {
    api_url: String,
    web_url: String,
    client: Client,
    pacer: Arc<Pacer>,
    /// The repositories whose last request ran out of time without an answer, and when: their requests
    /// fail at once until the request's whole time (`--max-retry-time`) has passed, so a command gives
    /// up on a repository whose API does not answer after one bounded request instead of one per request
    /// it would make, and goes on with the others.
    silent: std::sync::Mutex<HashMap<String, std::time::Instant>>,
}

impl std::fmt::Debug for GitHubForge {
    // Never shows the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubForge")
            .field("api_url", &self.api_url)
            .field("pacer", &self.pacer)
            .finish_non_exhaustive()
    }
}

/// Timeouts of the HTTP client.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Connecting.
    pub connect: std::time::Duration,
    /// Waiting for (each part of) an answer.
    pub read: std::time::Duration,
}

impl GitHubForge {
    /// A forge for the API at `api_url` (`https://api.github.com`, or `https://HOST/api/v3` for GitHub
    /// Enterprise Server). Must be called inside a Tokio runtime.
    pub fn new(
        api_url: &str,
        auth: GitHubAuth,
        pacer: Pacer,
        timeouts: Timeouts,
    ) -> Result<Self, ForgeError> {
        let api_url = api_url.trim_end_matches('/').to_string();
        let client_error = |message: String| ForgeError::Client {
            api_url: api_url.clone(),
            message,
        };
        if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
            return Err(client_error(
                "the API URL must start with `https://` (or `http://` for a test server)".into(),
            ));
        }
        let builder = Octocrab::builder()
            .base_uri(api_url.as_str())
            .map_err(|e| client_error(e.to_string()))?
            .set_connect_timeout(Some(timeouts.connect))
            .set_read_timeout(Some(timeouts.read))
            .set_write_timeout(Some(timeouts.read));
        let client = match auth {
            GitHubAuth::Token(token) => Client::Token {
                crab: builder
                    .personal_token(token.clone())
                    .build()
                    .map_err(|e| client_error(e.to_string()))?,
                token,
            },
            GitHubAuth::App { app_id, key } => Client::App {
                crab: builder
                    .app(app_id.into(), key)
                    .build()
                    .map_err(|e| client_error(e.to_string()))?,
                installations: Mutex::new(HashMap::new()),
            },
        };
        Ok(GitHubForge {
            web_url: web_url(&api_url),
            api_url,
            client,
            pacer: Arc::new(pacer),
            silent: std::sync::Mutex::new(HashMap::new()),
        })
    }

    /// The API base URL.
    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    /// The client for `repo`: the token's, or the app installation's for its owner.
    async fn crab(&self, repo: &RepoName, operation: &'static str) -> Result<Octocrab, ForgeError> {
        #[derive(Deserialize)]
        struct Installation {
            id: u64,
        }
        let (crab, installations) = match &self.client {
            Client::Token { crab, .. } => return Ok(crab.clone()),
            Client::App {
                crab,
                installations,
            } => (crab, installations),
        };
        let mut cache = installations.lock().await;
        if let Some(found) = cache.get(repo.owner()) {
            return Ok(found.clone());
        }
        let route = format!("/repos/{repo}/installation");
        let (found, _): (Installation, _) = self
            .json(
                crab,
                repo,
                "look up the GitHub App installation",
                Method::GET,
                route,
                None,
            )
            .await?;
        let installed =
            crab.installation(InstallationId(found.id))
                .map_err(|e| ForgeError::Request {
                    operation,
                    repo: repo.to_string(),
                    status: None,
                    attempts: 1,
                    message: e.to_string(),
                    hint: None,
                })?;
        cache.insert(repo.owner().to_string(), installed.clone());
        Ok(installed)
    }

    /// Sends one request through the pacer and returns the answer's body.
    async fn send(
        &self,
        crab: &Octocrab,
        repo: &RepoName,
        operation: &'static str,
        method: Method,
        route: String,
        body: Option<Value>,
    ) -> Result<(String, Delivered), ForgeError> {
        let kind = if method == Method::GET {
            RequestKind::Read
        } else {
            RequestKind::Mutating
        };
        self.not_silent(repo, operation)?;
        // Relative: octocrab joins it to the API root (keeping GHES's `/api/v3`), and only attaches
        // credentials to requests without a host of their own or for api.github.com.
        let result = self
            .pacer
            .run(kind, |_| raw(crab, method.clone(), &route, body.as_ref()))
            .await;
        self.note_silence(repo, &result);
        finish(result, repo, operation)
    }

    /// Fails at once when `repo`'s last request got no answer in time, less than the request time ago.
    fn not_silent(&self, repo: &RepoName, operation: &'static str) -> Result<(), ForgeError> {
        match self.silence(repo) {
            None => Ok(()),
            Some(message) => Err(ForgeError::Request {
                operation,
                repo: repo.to_string(),
                status: None,
                attempts: 0,
                message,
                hint: Some(timeout_hint()),
            }),
        }
    }

    /// Why a request for `repo` is not sent, when its last one got no answer in time, less than the
    /// request time ago.
    fn silence(&self, repo: &RepoName) -> Option<String> {
        let bound = self.pacer.policy().max_total;
        let mut silent = self
            .silent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let since = silent.get(repo.as_str()).map(std::time::Instant::elapsed)?;
        if since >= bound {
            silent.remove(repo.as_str());
            return None;
        }
        Some(format!(
            "not sent: GitHub gave no answer in time to the last request for `{repo}` {} ago; requests \
             for it are tried again {} after that one",
            format_secs(since),
            format_secs(bound)
        ))
    }

    /// Remembers `repo` as silent when its request ran out of time without an answer, and forgets it when
    /// one is answered.
    fn note_silence<T>(&self, repo: &RepoName, result: &PacedResult<T>) {
        let mut silent = self
            .silent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match result {
            Err((failed, _)) if matches!(failed.outcome, Failure::TimedOut { .. }) => {
                silent.insert(repo.to_string(), std::time::Instant::now());
            }
            Err(_) => {}
            Ok(_) => {
                silent.remove(repo.as_str());
            }
        }
    }

    /// One paced request whose answer is not needed.
    async fn mutate(
        &self,
        repo: &RepoName,
        operation: &'static str,
        method: Method,
        route: String,
        body: Value,
    ) -> Result<(), ForgeError> {
        let crab = self.crab(repo, operation).await?;
        self.send(&crab, repo, operation, method, route, Some(body))
            .await
            .map(|_| ())
    }

    /// [`GitHubForge::send`], reading the answer as JSON.
    async fn json<T: DeserializeOwned>(
        &self,
        crab: &Octocrab,
        repo: &RepoName,
        operation: &'static str,
        method: Method,
        route: String,
        body: Option<Value>,
    ) -> Result<(T, Delivered), ForgeError> {
        let (text, delivered) = self
            .send(crab, repo, operation, method, route, body)
            .await?;
        let value = serde_json::from_str(&text).map_err(|e| ForgeError::Request {
            operation,
            repo: repo.to_string(),
            status: delivered.status,
            attempts: delivered.attempts,
            message: format!("unexpected answer from GitHub: {e}"),
            hint: Some("check `--api-url`: it must be the REST API root".into()),
        })?;
        Ok((value, delivered))
    }

    pub(super) async fn dispatch(
        &self,
        repo: &RepoName,
        event_type: &str,
        client_payload: &Value,
    ) -> Result<Delivered, ForgeError> {
        let crab = self.crab(repo, "dispatch").await?;
        let body = json!({ "event_type": event_type, "client_payload": client_payload });
        let (_, delivered) = self
            .send(
                &crab,
                repo,
                "dispatch",
                Method::POST,
                format!("/repos/{repo}/dispatches"),
                Some(body),
            )
            .await?;
        Ok(delivered)
    }

    pub(super) async fn set_commit_status(
        &self,
        repo: &RepoName,
        sha: &str,
        status: &NewCommitStatus,
    ) -> Result<(), ForgeError> {
        let mut body = json!({
            "state": status.state.as_str(),
            "context": status.context,
            "description": status.description,
        });
        if let Some(url) = &status.target_url {
            body["target_url"] = json!(url);
        }
        self.mutate(
            repo,
            "set commit status",
            Method::POST,
            format!("/repos/{repo}/statuses/{sha}"),
            body,
        )
        .await
    }

    pub(super) async fn commit_statuses(
        &self,
        repo: &RepoName,
        sha: &str,
    ) -> Result<Vec<CommitStatus>, ForgeError> {
        let crab = self.crab(repo, "list commit statuses").await?;
        let (found, _): (Vec<CommitStatus>, _) = self
            .json(
                &crab,
                repo,
                "list commit statuses",
                Method::GET,
                format!("/repos/{repo}/commits/{sha}/statuses?per_page=100"),
                None,
            )
            .await?;
        Ok(found)
    }

    pub(super) async fn default_branch(&self, repo: &RepoName) -> Result<String, ForgeError> {
        Ok(self.repository(repo).await?.default_branch)
    }

    /// `GET /repos/{owner}/{repo}`: the default branch and, for a fork, its parent.
    pub(super) async fn repository(&self, repo: &RepoName) -> Result<RepositoryInfo, ForgeError> {
        #[derive(Deserialize)]
        struct Parent {
            full_name: String,
        }
        #[derive(Deserialize)]
        struct Repo {
            default_branch: String,
            #[serde(default)]
            fork: bool,
            parent: Option<Parent>,
        }
        let crab = self.crab(repo, "get repository").await?;
        let (found, _): (Repo, _) = self
            .json(
                &crab,
                repo,
                "get repository",
                Method::GET,
                format!("/repos/{repo}"),
                None,
            )
            .await?;
        Ok(RepositoryInfo {
            default_branch: found.default_branch,
            fork_of: found
                .parent
                .filter(|_| found.fork)
                .and_then(|p| RepoName::parse(&p.full_name).ok()),
        })
    }

    pub(super) async fn merge_upstream(
        &self,
        repo: &RepoName,
        branch: &str,
    ) -> Result<String, ForgeError> {
        #[derive(Deserialize)]
        struct Merged {
            #[serde(default)]
            merge_type: Option<String>,
        }
        let crab = self.crab(repo, "merge upstream").await?;
        let (merged, _): (Merged, _) = self
            .json(
                &crab,
                repo,
                "merge upstream",
                Method::POST,
                format!("/repos/{repo}/merge-upstream"),
                Some(json!({ "branch": branch })),
            )
            .await?;
        Ok(merged.merge_type.unwrap_or_else(|| "none".to_owned()))
    }

    pub(super) async fn find_open_pull_request(
        &self,
        repo: &RepoName,
        head_branch: &str,
        base: &str,
    ) -> Result<Option<PullRequest>, ForgeError> {
        let crab = self.crab(repo, "list pull requests").await?;
        let (pulls, _): (Vec<GhPull>, _) = self
            .json(
                &crab,
                repo,
                "list pull requests",
                Method::GET,
                pulls_query(repo, head_branch, base),
                None,
            )
            .await?;
        Ok(pick_pull(pulls, head_branch, base))
    }

    pub(super) async fn closed_pull_requests(
        &self,
        repo: &RepoName,
        base: &str,
    ) -> Result<Vec<PullRequest>, ForgeError> {
        let crab = self.crab(repo, "list closed pull requests").await?;
        let uri = format!(
            "/repos/{repo}/pulls?state=closed&base={}&sort=updated&direction=desc&per_page=100",
            encode_query(base)
        );
        let (pulls, _): (Vec<GhPull>, _) = self
            .json(
                &crab,
                repo,
                "list closed pull requests",
                Method::GET,
                uri,
                None,
            )
            .await?;
        Ok(pulls.into_iter().map(GhPull::into_pull).collect())
    }

    pub(super) async fn open_pull_requests(
        &self,
        repo: &RepoName,
        base: &str,
    ) -> Result<Vec<PullRequest>, ForgeError> {
        let crab = self.crab(repo, "list open pull requests").await?;
        let uri = format!(
            "/repos/{repo}/pulls?state=open&base={}&sort=created&direction=desc&per_page=100",
            encode_query(base)
        );
        let (pulls, _): (Vec<GhPull>, _) = self
            .json(
                &crab,
                repo,
                "list open pull requests",
                Method::GET,
                uri,
                None,
            )
            .await?;
        Ok(pulls.into_iter().map(GhPull::into_pull).collect())
    }

    /// `GET /repos/{owner}/{repo}/issues/{number}`: a pull request is an issue too, and only the issue
    /// says who closed it.
    pub(super) async fn closed_by(
        &self,
        repo: &RepoName,
        number: u64,
    ) -> Result<Option<String>, ForgeError> {
        #[derive(Deserialize)]
        struct Closed {
            #[serde(default)]
            closed_by: Option<GhLogin>,
        }
        let crab = self.crab(repo, "get issue").await?;
        let (found, _): (Closed, _) = self
            .json(
                &crab,
                repo,
                "get issue",
                Method::GET,
                format!("/repos/{repo}/issues/{number}"),
                None,
            )
            .await?;
        Ok(found.closed_by.map(|u| u.login))
    }

    /// POSTs `body` to `create_uri`, paced and retried; before a retry it GETs `look_uri` and, when
    /// `created` finds in that list what the last try made before its answer was lost (a timeout, a 5xx
    /// after the write), answers with the list instead of creating a second one.
    async fn create_looking_first(
        &self,
        crab: &Octocrab,
        repo: &RepoName,
        create_uri: &str,
        look_uri: &str,
        body: &Value,
        created: impl Fn(&str) -> bool,
    ) -> PacedResult<(u16, String)> {
        let created = &created;
        if let Some(message) = self.silence(repo) {
            return Err((
                pacer::Attempted {
                    outcome: Failure::Other { message },
                    attempts: 0,
                },
                GaveUp::Final,
            ));
        }
        let result = self
            .pacer
            .run(RequestKind::Mutating, |attempt| async move {
                if attempt > 1 {
                    let (status, text) = raw(crab, Method::GET, look_uri, None).await?;
                    if created(&text) {
                        return Ok((status, text));
                    }
                }
                raw(crab, Method::POST, create_uri, Some(body)).await
            })
            .await;
        self.note_silence(repo, &result);
        result
    }

    pub(super) async fn create_pull_request(
        &self,
        repo: &RepoName,
        new: &NewPullRequest,
    ) -> Result<PullRequest, ForgeError> {
        let crab = self.crab(repo, "create pull request").await?;
        let body = json!({
            "title": new.title, "body": new.body, "head": new.head, "base": new.base, "draft": new.draft,
        });
        let create_uri = format!("{}/repos/{repo}/pulls", self.api_url);
        let look_uri = format!(
            "{}{}",
            self.api_url,
            pulls_query(repo, &new.head, &new.base)
        );
        let created = |text: &str| {
            parse::<Vec<GhPull>>(text).is_ok_and(|p| pick_pull(p, &new.head, &new.base).is_some())
        };
        let result = self
            .create_looking_first(&crab, repo, &create_uri, &look_uri, &body, created)
            .await;
        let (text, delivered) = match finish(result, repo, "create pull request") {
            // Another run opened it between our look and our create: GitHub says so with a 422.
            Err(ForgeError::Request {
                status: Some(422),
                message,
                ..
            }) if message.contains("already exists") => {
                if let Some(open) = self
                    .find_open_pull_request(repo, &new.head, &new.base)
                    .await?
                {
                    return Ok(open);
                }
                return Err(unexpected(
                    repo,
                    "create pull request",
                    Delivered {
                        attempts: 1,
                        status: Some(422),
                    },
                ));
            }
            other => other?,
        };
        // The answer is either the created pull request or the list that already holds it.
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let pull = if value.is_array() {
            serde_json::from_value::<Vec<GhPull>>(value)
                .ok()
                .and_then(|p| pick_pull(p, &new.head, &new.base))
        } else {
            serde_json::from_value::<GhPull>(value)
                .ok()
                .map(GhPull::into_pull)
        };
        pull.ok_or_else(|| unexpected(repo, "create pull request", delivered))
    }

    pub(super) async fn update_pull_request(
        &self,
        repo: &RepoName,
        number: u64,
        title: &str,
        body: &str,
    ) -> Result<PullRequest, ForgeError> {
        let crab = self.crab(repo, "update pull request").await?;
        let (pull, _): (GhPull, _) = self
            .json(
                &crab,
                repo,
                "update pull request",
                Method::PATCH,
                format!("/repos/{repo}/pulls/{number}"),
                Some(json!({ "title": title, "body": body })),
            )
            .await?;
        Ok(pull.into_pull())
    }

    pub(super) async fn close_pull_request(
        &self,
        repo: &RepoName,
        number: u64,
    ) -> Result<(), ForgeError> {
        self.mutate(
            repo,
            "close pull request",
            Method::PATCH,
            format!("/repos/{repo}/pulls/{number}"),
            json!({ "state": "closed" }),
        )
        .await
    }

    pub(super) async fn update_issue(
        &self,
        repo: &RepoName,
        number: u64,
        body: &str,
        labels: &[String],
    ) -> Result<(), ForgeError> {
        self.mutate(
            repo,
            "update issue",
            Method::PATCH,
            format!("/repos/{repo}/issues/{number}"),
            json!({ "body": body, "labels": labels }),
        )
        .await
    }

    pub(super) async fn close_issue(&self, repo: &RepoName, number: u64) -> Result<(), ForgeError> {
        self.mutate(
            repo,
            "close issue",
            Method::PATCH,
            format!("/repos/{repo}/issues/{number}"),
            json!({ "state": "closed", "state_reason": "completed" }),
        )
        .await
    }

    pub(super) async fn request_reviewers(
        &self,
        repo: &RepoName,
        number: u64,
        users: &[String],
        teams: &[String],
    ) -> Result<(), ForgeError> {
        if users.is_empty() && teams.is_empty() {
            return Ok(());
        }
        self.mutate(
            repo,
            "request reviewers",
            Method::POST,
            format!("/repos/{repo}/pulls/{number}/requested_reviewers"),
            json!({ "reviewers": users, "team_reviewers": teams }),
        )
        .await
    }

    pub(super) async fn add_labels(
        &self,
        repo: &RepoName,
        number: u64,
        labels: &[String],
    ) -> Result<(), ForgeError> {
        if labels.is_empty() {
            return Ok(());
        }
        self.mutate(
            repo,
            "add labels",
            Method::POST,
            format!("/repos/{repo}/issues/{number}/labels"),
            json!({ "labels": labels }),
        )
        .await
    }

    pub(super) async fn add_assignees(
        &self,
        repo: &RepoName,
        number: u64,
        assignees: &[String],
    ) -> Result<(), ForgeError> {
        if assignees.is_empty() {
            return Ok(());
        }
        self.mutate(
            repo,
            "add assignees",
            Method::POST,
            format!("/repos/{repo}/issues/{number}/assignees"),
            json!({ "assignees": assignees }),
        )
        .await
    }

    pub(super) async fn find_open_issue(
        &self,
        repo: &RepoName,
        title: &str,
        label: Option<&str>,
    ) -> Result<Option<Issue>, ForgeError> {
        let crab = self.crab(repo, "list issues").await?;
        // Up to 10 pages of 100: a repository with more open issues carrying our label has other problems.
        for page in 1..=10u32 {
            let mut route = format!("/repos/{repo}/issues?state=open&per_page=100&page={page}");
            if let Some(label) = label {
                route.push_str("&labels=");
                route.push_str(&encode_query(label));
            }
            let (issues, _): (Vec<GhIssue>, _) = self
                .json(&crab, repo, "list issues", Method::GET, route, None)
                .await?;
            let full = issues.len() == 100;
            if let Some(found) = issues
                .into_iter()
                .find(|i| i.pull_request.is_none() && i.title == title)
            {
                return Ok(Some(found.into_issue()));
            }
            if !full {
                break;
            }
        }
        Ok(None)
    }

    pub(super) async fn open_issues(
        &self,
        repo: &RepoName,
        label: &str,
    ) -> Result<Vec<Issue>, ForgeError> {
        let crab = self.crab(repo, "list issues").await?;
        let mut out = Vec::new();
        for page in 1..=10u32 {
            let route = format!(
                "/repos/{repo}/issues?state=open&labels={}&per_page=100&page={page}",
                encode_query(label)
            );
            let (issues, _): (Vec<GhIssue>, _) = self
                .json(&crab, repo, "list issues", Method::GET, route, None)
                .await?;
            let full = issues.len() == 100;
            out.extend(
                issues
                    .into_iter()
                    .filter(|i| i.pull_request.is_none())
                    .map(GhIssue::into_issue),
            );
            if !full {
                break;
            }
        }
        Ok(out)
    }

    pub(super) async fn create_issue(
        &self,
        repo: &RepoName,
        title: &str,
        body: &str,
        labels: &[String],
    ) -> Result<Issue, ForgeError> {
        let crab = self.crab(repo, "create issue").await?;
        let body = json!({ "title": title, "body": body, "labels": labels });
        let create_uri = format!("{}/repos/{repo}/issues", self.api_url);
        let mut look_uri = format!(
            "{}/repos/{repo}/issues?state=open&per_page=100",
            self.api_url
        );
        if let Some(label) = labels.first() {
            look_uri.push_str("&labels=");
            look_uri.push_str(&encode_query(label));
        }
        let pick = |issues: Vec<GhIssue>| {
            issues
                .into_iter()
                .find(|i| i.pull_request.is_none() && i.title == title)
        };
        let created = |text: &str| parse::<Vec<GhIssue>>(text).is_ok_and(|i| pick(i).is_some());
        let result = self
            .create_looking_first(&crab, repo, &create_uri, &look_uri, &body, created)
            .await;
        let (text, delivered) = finish(result, repo, "create issue")?;
        // The answer is either the created issue or the list that already holds it.
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let issue = if value.is_array() {
            serde_json::from_value::<Vec<GhIssue>>(value)
                .ok()
                .and_then(pick)
        } else {
            serde_json::from_value::<GhIssue>(value).ok()
        };
        issue
            .map(GhIssue::into_issue)
            .ok_or_else(|| unexpected(repo, "create issue", delivered))
    }

    pub(super) async fn comment(
        &self,
        repo: &RepoName,
        number: u64,
        body: &str,
    ) -> Result<(), ForgeError> {
        self.mutate(
            repo,
            "comment",
            Method::POST,
            format!("/repos/{repo}/issues/{number}/comments"),
            json!({ "body": body }),
        )
        .await
    }

    pub(super) async fn comments(
        &self,
        repo: &RepoName,
        number: u64,
    ) -> Result<Vec<super::Comment>, ForgeError> {
        #[derive(Deserialize)]
        struct GhComment {
            id: u64,
            #[serde(default)]
            body: Option<String>,
            #[serde(default)]
            user: Option<GhLogin>,
        }
        let crab = self.crab(repo, "list comments").await?;
        let (found, _): (Vec<GhComment>, _) = self
            .json(
                &crab,
                repo,
                "list comments",
                Method::GET,
                format!("/repos/{repo}/issues/{number}/comments?per_page=100"),
                None,
            )
            .await?;
        Ok(found
            .into_iter()
            .map(|c| super::Comment {
                id: c.id,
                body: c.body.unwrap_or_default(),
                author: c.user.map(|u| u.login),
            })
            .collect())
    }

    pub(super) async fn update_comment(
        &self,
        repo: &RepoName,
        comment: u64,
        body: &str,
    ) -> Result<(), ForgeError> {
        self.mutate(
            repo,
            "update comment",
            Method::PATCH,
            format!("/repos/{repo}/issues/comments/{comment}"),
            json!({ "body": body }),
        )
        .await
    }

    pub(super) fn git_url(&self, repo: &RepoName) -> String {
        format!("{}/{repo}.git", self.web_url)
    }

    pub(super) async fn git_credentials(
        &self,
        repo: &RepoName,
    ) -> Result<GitCredentials, ForgeError> {
        let password = match &self.client {
            Client::Token { token, .. } => token.clone(),
            Client::App { .. } => {
                let crab = self.crab(repo, "get an installation token").await?;
                // Not through the pacer (octocrab fetches and caches it): bounded here.
                let timeout = self.pacer.policy().attempt_timeout;
                tokio::time::timeout(timeout, crab.installation_token())
                    .await
                    .map_err(|_| ForgeError::Request {
                        operation: "get an installation token",
                        repo: repo.to_string(),
                        status: None,
                        attempts: 1,
                        message: Failure::TimedOut { after: timeout }.message(),
                        hint: Some(timeout_hint()),
                    })?
                    .map_err(|e| ForgeError::Request {
                        operation: "get an installation token",
                        repo: repo.to_string(),
                        status: github_status(&e),
                        attempts: 1,
                        message: github_message(&e),
                        hint: Some(
                            "check that the GitHub App is installed on the repository's owner"
                                .into(),
                        ),
                    })?
                    .expose_secret()
                    .to_string()
            }
        };
        Ok(GitCredentials {
            username: GIT_USER.into(),
            password,
        })
    }
}

/// The web root for an API root: `https://api.github.com` → `https://github.com`, GitHub Enterprise
/// Server's `https://HOST/api/v3` → `https://HOST`, anything else (a test server) unchanged.
fn web_url(api_url: &str) -> String {
    if api_url == "https://api.github.com" {
        "https://github.com".into()
    } else if let Some(root) = api_url.strip_suffix("/api/v3") {
        root.into()
    } else {
        api_url.into()
    }
}

fn pulls_query(repo: &RepoName, head_branch: &str, base: &str) -> String {
    // GitHub ignores a bare branch name in `head`: it must be `owner:branch`.
    format!(
        "/repos/{repo}/pulls?state=open&head={}&base={}&per_page=100",
        encode_query(&format!("{}:{head_branch}", repo.owner())),
        encode_query(base)
    )
}

/// Percent-encodes a query value (everything but RFC 3986 unreserved characters).
fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[derive(Deserialize)]
struct GhRef {
    #[serde(rename = "ref")]
    git_ref: String,
}

#[derive(Deserialize)]
struct GhPull {
    number: u64,
    html_url: String,
    title: String,
    body: Option<String>,
    head: GhRef,
    base: GhRef,
    #[serde(default)]
    draft: Option<bool>,
    state: String,
    #[serde(default)]
    labels: Vec<GhName>,
    #[serde(default)]
    requested_reviewers: Vec<GhLogin>,
    #[serde(default)]
    requested_teams: Vec<GhSlug>,
    #[serde(default)]
    assignees: Vec<GhLogin>,
    #[serde(default)]
    merged_at: Option<String>,
    #[serde(default)]
    merge_commit_sha: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    closed_at: Option<String>,
}

#[derive(Deserialize)]
struct GhName {
    name: String,
}

#[derive(Deserialize)]
struct GhLogin {
    login: String,
}

#[derive(Deserialize)]
struct GhSlug {
    slug: String,
}

impl GhPull {
    fn into_pull(self) -> PullRequest {
        PullRequest {
            number: self.number,
            html_url: self.html_url,
            title: self.title,
            body: self.body.unwrap_or_default(),
            head: self.head.git_ref,
            base: self.base.git_ref,
            draft: self.draft.unwrap_or(false),
            state: self.state,
            labels: self.labels.into_iter().map(|l| l.name).collect(),
            reviewers: self
                .requested_reviewers
                .into_iter()
                .map(|u| u.login)
                .collect(),
            team_reviewers: self.requested_teams.into_iter().map(|t| t.slug).collect(),
            assignees: self.assignees.into_iter().map(|u| u.login).collect(),
            // An open pull request has a `merge_commit_sha` too (GitHub's test merge): only a merged one's
            // counts.
            merge_commit: self.merged_at.and(self.merge_commit_sha),
            created_at: self.created_at,
            closed_at: self.closed_at,
        }
    }
}

/// The open pull request with this head and base, checked here too in case a server ignored the filters.
fn pick_pull(pulls: Vec<GhPull>, head: &str, base: &str) -> Option<PullRequest> {
    pulls
        .into_iter()
        .find(|p| p.state == "open" && p.head.git_ref == head && p.base.git_ref == base)
        .map(GhPull::into_pull)
}

#[derive(Deserialize)]
struct GhIssue {
    number: u64,
    html_url: String,
    title: String,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    labels: Vec<GhLabel>,
    #[serde(default)]
    pull_request: Option<Value>,
}

/// A label as GitHub gives it on an issue: an object, or (in some answers) its name alone.
#[derive(Deserialize)]
#[serde(untagged)]
enum GhLabel {
    Named(GhName),
    Name(String),
}

impl GhIssue {
    fn into_issue(self) -> Issue {
        Issue {
            number: self.number,
            html_url: self.html_url,
            title: self.title,
            body: self.body.unwrap_or_default(),
            labels: self
                .labels
                .into_iter()
                .map(|l| match l {
                    GhLabel::Named(n) => n.name,
                    GhLabel::Name(n) => n,
                })
                .collect(),
        }
    }
}

fn parse<T: DeserializeOwned>(text: &str) -> Result<T, Failure> {
    serde_json::from_str(text).map_err(|e| Failure::Other {
        message: format!("unexpected answer from GitHub: {e}"),
    })
}

/// One try of one request: the status and body of a success, or why it failed.
async fn raw(
    crab: &Octocrab,
    method: Method,
    uri: &str,
    body: Option<&Value>,
) -> Result<(u16, String), Failure> {
    let response = match method {
        Method::GET => crab._get(uri).await,
        Method::PATCH => crab._patch(uri, body).await,
        Method::PUT => crab._put(uri, body).await,
        Method::DELETE => crab._delete(uri, body).await,
        _ => crab._post(uri, body).await,
    }
    .map_err(to_failure)?;
    tracing::debug!(%method, uri, status = response.status().as_u16(), "answer");
    let response = octocrab::map_github_error(response)
        .await
        .map_err(to_failure)?;
    let status = response.status().as_u16();
    let text = crab.body_to_string(response).await.map_err(to_failure)?;
    Ok((status, text))
}

fn header<T: std::str::FromStr>(headers: Option<&http::HeaderMap>, name: &str) -> Option<T> {
    headers?.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn to_failure(error: octocrab::Error) -> Failure {
    match error {
        octocrab::Error::GitHub { source, .. } => {
            let headers = source.headers.as_ref();
            let mut message = source.message.clone();
            if let Some(errors) = source.errors.as_ref().filter(|e| !e.is_empty()) {
                let details: Vec<String> = errors.iter().map(Value::to_string).collect();
                _ = write!(message, " ({})", details.join(", "));
            }
            Failure::Http {
                status: source.status_code.as_u16(),
                message,
                retry_after: header(headers, "retry-after"),
                ratelimit_remaining: header(headers, "x-ratelimit-remaining"),
                ratelimit_reset: header(headers, "x-ratelimit-reset").or(source.rate_limit_reset),
            }
        }
        octocrab::Error::Hyper { .. } | octocrab::Error::Service { .. } => Failure::Transport {
            message: error_chain(&error),
        },
        other => Failure::Other {
            message: error_chain(&other),
        },
    }
}

fn github_status(error: &octocrab::Error) -> Option<u16> {
    match error {
        octocrab::Error::GitHub { source, .. } => Some(source.status_code.as_u16()),
        _ => None,
    }
}

fn github_message(error: &octocrab::Error) -> String {
    match error {
        octocrab::Error::GitHub { source, .. } => source.message.clone(),
        other => error_chain(other),
    }
}

fn unexpected(repo: &RepoName, operation: &'static str, delivered: Delivered) -> ForgeError {
    ForgeError::Request {
        operation,
        repo: repo.to_string(),
        status: delivered.status,
        attempts: delivered.attempts,
        message: "unexpected answer from GitHub".into(),
        hint: Some("check `--api-url`: it must be the REST API root".into()),
    }
}

/// Turns what the pacer returned into our result, with a hint for the failures a user can fix.
fn finish(
    result: PacedResult<(u16, String)>,
    repo: &RepoName,
    operation: &'static str,
) -> Result<(String, Delivered), ForgeError> {
    match result {
        Ok(done) => Ok((
            done.outcome.1,
            Delivered {
                attempts: done.attempts,
                status: Some(done.outcome.0),
            },
        )),
        Err((failed, why)) => {
            let status = failed.outcome.status();
            // The status is shown by the error's display already.
            let mut message = match &failed.outcome {
                Failure::Http { message, .. } => message.clone(),
                other => other.message(),
            };
            match why {
                GaveUp::Final => {}
                GaveUp::TooManyAttempts => message.push_str(" (giving up: out of tries)"),
                GaveUp::OutOfTime { wait } => {
                    _ = write!(
                        message,
                        " (giving up: the next try, after a wait of {}, would pass `--max-retry-time`)",
                        format_secs(wait)
                    );
                }
            }
            Err(ForgeError::Request {
                operation,
                repo: repo.to_string(),
                status,
                attempts: failed.attempts,
                // Nothing sent: the repository's last request got no answer in time.
                hint: if failed.attempts == 0 {
                    Some(timeout_hint())
                } else {
                    hint(operation, repo, &failed.outcome)
                },
                message,
            })
        }
    }
}

/// `2 s`, `1.5 s`, `90 s`: a duration for messages.
fn format_secs(d: std::time::Duration) -> String {
    if d.subsec_millis() == 0 || d.as_secs() >= 10 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// What to do when GitHub does not answer in time.
fn timeout_hint() -> String {
    "GitHub did not answer in time: check the network and `--api-url`, or raise `--request-timeout` (one \
     try) and `--max-retry-time` (all tries of one request)"
        .into()
}

fn hint(operation: &str, repo: &RepoName, failure: &Failure) -> Option<String> {
    if matches!(failure, Failure::TimedOut { .. }) {
        return Some(timeout_hint());
    }
    let status = failure.status()?;
    Some(match (status, operation) {
        (401, _) => "the token is invalid or expired; check the variable named by `--token-env` \
                     (default `ECOSYNC_TOKEN`, then `GITHUB_TOKEN`)"
            .into(),
        (404, "dispatch") => format!(
            "the token needs Contents: write on `{repo}` (a workflow's own GITHUB_TOKEN cannot dispatch to \
             another repository), or the repository name is wrong"
        ),
        (404, _) => format!(
            "check that `{repo}` exists and that the token can see it (Contents, Pull requests and Issues \
             permissions)"
        ),
        (403, "create pull request") => format!(
            "enable \"Allow GitHub Actions to create and approve pull requests\" in `{repo}` (Settings > \
             Actions > General) or use a token with Pull requests: write"
        ),
        (403, _) if !failure.is_rate_limit() => format!(
            "the token lacks a permission on `{repo}` (Contents, Pull requests or Issues: write)"
        ),
        (422, "dispatch") => {
            "GitHub rejected the event: `event_type` must be 1 to 100 characters and \
                              `client_payload` at most 10 top-level properties and under 64 KB"
                .into()
        }
        (422, "create pull request") => {
            "GitHub rejected the pull request: does the head branch exist and differ from the base?"
                .into()
        }
        (422, _) => "GitHub rejected the request as invalid; see its message".into(),
        (s, _) if s >= 500 || failure.is_rate_limit() => {
            "GitHub kept failing; try again later, or raise `--max-attempts` / `--max-retry-time`"
                .into()
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_urls_follow_the_api_url() {
        assert_eq!(web_url("https://api.github.com"), "https://github.com");
        assert_eq!(
            web_url("https://ghe.example.com/api/v3"),
            "https://ghe.example.com"
        );
    }

    #[test]
    fn head_filter_carries_the_owner() {
        let repo = RepoName::parse("acme/widget").unwrap();
        assert_eq!(
            pulls_query(&repo, "ecosync/sync", "main"),
            "/repos/acme/widget/pulls?state=open&head=acme%3Aecosync%2Fsync&base=main&per_page=100"
        );
    }
}
