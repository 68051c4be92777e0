//! `Forge`: everything the two binaries ask of a code host, on GitHub or on a local stand-in for it.
//!
//! An enum rather than a trait object: both implementations have async methods and there are exactly two.
//! [`GitHubForge`] talks to GitHub (or GitHub Enterprise Server) through octocrab, with every request paced
//! and retried by one [`crate::forge::github::pacer::Pacer`]; [`LocalForge`] keeps everything in a directory, for trying
//! ecosync and for tests. [`Forge::new`] builds one from its [`ForgeSettings`].

pub mod commit_status;
mod forge_error;
pub mod forge_settings;
pub mod github;
mod issue;
pub mod local;
pub mod permissions;
mod pull_request;
mod repository_info;
pub mod sticky_comment;

pub use forge_error::ForgeError;
pub use forge_settings::ForgeSettings;
pub use github::GitHubForge;
pub use issue::Issue;
pub use local::LocalForge;
pub use pull_request::{NewPullRequest, PullRequest};
pub use repository_info::RepositoryInfo;

use std::time::Duration;

use crate::forge::commit_status::{CommitStatus, NewCommitStatus};
use crate::forge::github::content_budget::ContentBudget;
use crate::forge::github::pacer::Pacer;
use crate::forge::github::{GitHubAuth, Timeouts};
use crate::forge::permissions::{ActionsPullRequests, Identity, RepoAccess};
use crate::git::GitCredentials;
use crate::repo_name::RepoName;

/// A comment on an issue or pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Its id (on the local forge: its index among the comments).
    pub id: u64,
    /// Its text.
    pub body: String,
    /// Who wrote it (a login), when the forge says.
    pub author: Option<String>,
}

/// How a request that succeeded went: for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// How many tries it took.
    pub attempts: u32,
    /// The HTTP status of the answer (none for the local forge).
    pub status: Option<u16>,
}

/// A code host.
// One per process, built once: the size of the GitHub variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Forge {
    /// GitHub or GitHub Enterprise Server.
    GitHub(GitHubForge),
    /// A directory of bare repositories and JSON records.
    Local(LocalForge),
}

impl Forge {
    /// The forge `settings` describe, validated, and git over https set to wait as the settings say.
    /// Reads the token or key from the environment; sends nothing.
    /// Must be called inside a Tokio runtime (the GitHub client is built in one).
    pub fn new(settings: &ForgeSettings) -> Result<Forge, ForgeError> {
        // git over https (fetches, pushes, ref listings) waits as long as the API does, whichever forge.
        crate::git::git_https::set_timeouts(settings.git_timeouts());
        if let Some(dir) = settings.forge.strip_prefix("local:") {
            if dir.is_empty() {
                return Err(ForgeError::BadSpec(settings.forge.clone()));
            }
            return Ok(Forge::Local(LocalForge::new(dir)));
        }
        if settings.forge != "github" {
            return Err(ForgeError::BadSpec(settings.forge.clone()));
        }
        let auth = match settings.app_id {
            Some(app_id) => GitHubAuth::App {
                app_id,
                key: settings.app_key()?,
            },
            None => GitHubAuth::Token(settings.token()?),
        };
        let pacer = Pacer::with_content_limits(
            settings.retry_policy(),
            settings.concurrency as usize,
            ContentBudget::new(
                settings.min_interval,
                settings.max_writes_per_minute,
                settings.max_writes_per_hour,
            ),
        );
        let timeouts = Timeouts {
            connect: settings.request_timeout.min(Duration::from_secs(10)),
            read: settings.request_timeout,
        };
        Ok(Forge::GitHub(GitHubForge::new(
            &settings.api_url,
            auth,
            pacer,
            timeouts,
        )?))
    }

    /// Sends a `repository_dispatch` event to `repo`.
    pub async fn dispatch(
        &self,
        repo: &RepoName,
        event_type: &str,
        client_payload: &serde_json::Value,
    ) -> Result<(), ForgeError> {
        self.dispatch_tracked(repo, event_type, client_payload)
            .await
            .map(|_| ())
    }

    /// Like [`Forge::dispatch`], and says how many tries it took and what the last answer was.
    pub async fn dispatch_tracked(
        &self,
        repo: &RepoName,
        event_type: &str,
        client_payload: &serde_json::Value,
    ) -> Result<Delivered, ForgeError> {
        match self {
            Forge::GitHub(f) => f.dispatch(repo, event_type, client_payload).await,
            Forge::Local(f) => f.dispatch(repo, event_type, client_payload).await,
        }
    }

    /// The default branch of `repo`.
    pub async fn default_branch(&self, repo: &RepoName) -> Result<String, ForgeError> {
        match self {
            Forge::GitHub(f) => f.default_branch(repo).await,
            Forge::Local(f) => f.default_branch(repo),
        }
    }

    /// The default branch of `repo` and the repository it is a fork of, in one read.
    pub async fn repository(&self, repo: &RepoName) -> Result<RepositoryInfo, ForgeError> {
        match self {
            Forge::GitHub(f) => f.repository(repo).await,
            Forge::Local(f) => Ok(RepositoryInfo {
                default_branch: f.default_branch(repo)?,
                fork_of: None,
            }),
        }
    }

    /// Brings the fork `repo`'s `branch` up to date with its parent's branch of the same name in one
    /// request (GitHub's "Sync fork"); returns how (`fast-forward`, `merge` or `none`). The local forge has
    /// no forks.
    pub async fn merge_upstream(
        &self,
        repo: &RepoName,
        branch: &str,
    ) -> Result<String, ForgeError> {
        match self {
            Forge::GitHub(f) => f.merge_upstream(repo, branch).await,
            Forge::Local(_) => Err(ForgeError::Config(
                "the local forge has no forks to sync with merge-upstream".to_owned(),
            )),
        }
    }

    /// The open pull request of `repo` whose head is `repo.owner():head_branch` and whose base is `base`.
    pub async fn find_open_pull_request(
        &self,
        repo: &RepoName,
        head_branch: &str,
        base: &str,
    ) -> Result<Option<PullRequest>, ForgeError> {
        match self {
            Forge::GitHub(f) => f.find_open_pull_request(repo, head_branch, base).await,
            Forge::Local(f) => f.find_open_pull_request(repo, head_branch, base).await,
        }
    }

    /// The merged pull requests of `repo` into `base`, most recently updated first (at most 100: the
    /// sync trail needs only the recent ones).
    pub async fn merged_pull_requests(
        &self,
        repo: &RepoName,
        base: &str,
    ) -> Result<Vec<PullRequest>, ForgeError> {
        let mut closed = self.closed_pull_requests(repo, base).await?;
        closed.retain(PullRequest::is_merged);
        Ok(closed)
    }

    /// The closed pull requests of `repo` into `base`, merged or not, most recently updated first (at most
    /// 100, in one request: the sync trail and the rejections need only the recent ones).
    pub async fn closed_pull_requests(
        &self,
        repo: &RepoName,
        base: &str,
    ) -> Result<Vec<PullRequest>, ForgeError> {
        match self {
            Forge::GitHub(f) => f.closed_pull_requests(repo, base).await,
            Forge::Local(f) => f.closed_pull_requests(repo, base),
        }
    }

    /// The open pull requests of `repo` into `base`, newest first (at most 100, in one request).
    pub async fn open_pull_requests(
        &self,
        repo: &RepoName,
        base: &str,
    ) -> Result<Vec<PullRequest>, ForgeError> {
        match self {
            Forge::GitHub(f) => f.open_pull_requests(repo, base).await,
            Forge::Local(f) => f.open_pull_requests(repo, base),
        }
    }

    /// Who closed issue or pull request `number` of `repo` (a login), when the forge says.
    pub async fn closed_by(
        &self,
        repo: &RepoName,
        number: u64,
    ) -> Result<Option<String>, ForgeError> {
        match self {
            Forge::GitHub(f) => f.closed_by(repo, number).await,
            Forge::Local(f) => f.closed_by(repo, number),
        }
    }

    /// Opens a pull request, or returns the open one with the same head and base (looks before it creates).
    pub async fn create_pull_request(
        &self,
        repo: &RepoName,
        new: &NewPullRequest,
    ) -> Result<PullRequest, ForgeError> {
        // Every forge looks first: re-running a sync must never open a second pull request.
        if let Some(open) = self
            .find_open_pull_request(repo, &new.head, &new.base)
            .await?
        {
            return Ok(open);
        }
        match self {
            Forge::GitHub(f) => f.create_pull_request(repo, new).await,
            Forge::Local(f) => f.create_pull_request(repo, new).await,
        }
    }

    /// Sets the title and body of a pull request.
    pub async fn update_pull_request(
        &self,
        repo: &RepoName,
        number: u64,
        title: &str,
        body: &str,
    ) -> Result<PullRequest, ForgeError> {
        match self {
            Forge::GitHub(f) => f.update_pull_request(repo, number, title, body).await,
            Forge::Local(f) => f.update_pull_request(repo, number, title, body).await,
        }
    }

    /// Closes a pull request without merging it.
    pub async fn close_pull_request(&self, repo: &RepoName, number: u64) -> Result<(), ForgeError> {
        match self {
            Forge::GitHub(f) => f.close_pull_request(repo, number).await,
            Forge::Local(f) => f.close_pull_request(repo, number).await,
        }
    }

    /// Closes an issue as completed.
    pub async fn close_issue(&self, repo: &RepoName, number: u64) -> Result<(), ForgeError> {
        match self {
            Forge::GitHub(f) => f.close_issue(repo, number).await,
            Forge::Local(f) => f.close_issue(repo, number).await,
        }
    }

    /// Asks users and teams (slugs) to review a pull request.
    pub async fn request_reviewers(
        &self,
        repo: &RepoName,
        number: u64,
        users: &[String],
        teams: &[String],
    ) -> Result<(), ForgeError> {
        match self {
            Forge::GitHub(f) => f.request_reviewers(repo, number, users, teams).await,
            Forge::Local(f) => f.request_reviewers(repo, number, users, teams).await,
        }
    }

    /// Adds labels to an issue or pull request.
    pub async fn add_labels(
        &self,
        repo: &RepoName,
        number: u64,
        labels: &[String],
    ) -> Result<(), ForgeError> {
        match self {
            Forge::GitHub(f) => f.add_labels(repo, number, labels).await,
            Forge::Local(f) => f.add_labels(repo, number, labels).await,
        }
    }

    /// Adds assignees to an issue or pull request.
    pub async fn add_assignees(
        &self,
        repo: &RepoName,
        number: u64,
        assignees: &[String],
    ) -> Result<(), ForgeError> {
        match self {
            Forge::GitHub(f) => f.add_assignees(repo, number, assignees).await,
            Forge::Local(f) => f.add_assignees(repo, number, assignees).await,
        }
    }

    /// The open issue (not pull request) whose title is exactly `title`, carrying `label` when one is given.
    pub async fn find_open_issue(
        &self,
        repo: &RepoName,
        title: &str,
        label: Option<&str>,
    ) -> Result<Option<Issue>, ForgeError> {
        match self {
            Forge::GitHub(f) => f.find_open_issue(repo, title, label).await,
            Forge::Local(f) => f.find_open_issue(repo, title, label).await,
        }
    }

    /// Every open issue (not pull request) of `repo` carrying `label`, newest first (at most 1,000).
    pub async fn open_issues(
        &self,
        repo: &RepoName,
        label: &str,
    ) -> Result<Vec<Issue>, ForgeError> {
        match self {
            Forge::GitHub(f) => f.open_issues(repo, label).await,
            Forge::Local(f) => f.open_issues(repo, label),
        }
    }

    /// Replaces the body and the labels of issue `number`.
    pub async fn update_issue(
        &self,
        repo: &RepoName,
        number: u64,
        body: &str,
        labels: &[String],
    ) -> Result<(), ForgeError> {
        match self {
            Forge::GitHub(f) => f.update_issue(repo, number, body, labels).await,
            Forge::Local(f) => f.update_issue(repo, number, body, labels).await,
        }
    }

    /// Opens an issue, or returns the open one with the same title and first label (looks before it
    /// creates).
    pub async fn create_issue(
        &self,
        repo: &RepoName,
        title: &str,
        body: &str,
        labels: &[String],
    ) -> Result<Issue, ForgeError> {
        // Every forge looks first: one failure issue per place, commented on rather than opened again.
        let first_label = labels.first().map(String::as_str);
        if let Some(open) = self.find_open_issue(repo, title, first_label).await? {
            return Ok(open);
        }
        match self {
            Forge::GitHub(f) => f.create_issue(repo, title, body, labels).await,
            Forge::Local(f) => f.create_issue(repo, title, body, labels).await,
        }
    }

    /// Comments on an issue or pull request.
    pub async fn comment(
        &self,
        repo: &RepoName,
        number: u64,
        body: &str,
    ) -> Result<(), ForgeError> {
        match self {
            Forge::GitHub(f) => f.comment(repo, number, body).await,
            Forge::Local(f) => f.comment(repo, number, body).await,
        }
    }

    /// Sets a commit status on `sha` of `repo` (a mutating request, paced like the others).
    pub async fn set_commit_status(
        &self,
        repo: &RepoName,
        sha: &str,
        status: &NewCommitStatus,
    ) -> Result<(), ForgeError> {
        match self {
            Forge::GitHub(f) => f.set_commit_status(repo, sha, status).await,
            Forge::Local(f) => f.set_commit_status(repo, sha, status).await,
        }
    }

    /// Every status of `sha` of `repo`, newest first (at most 100 from GitHub).
    pub async fn commit_statuses(
        &self,
        repo: &RepoName,
        sha: &str,
    ) -> Result<Vec<CommitStatus>, ForgeError> {
        match self {
            Forge::GitHub(f) => f.commit_statuses(repo, sha).await,
            Forge::Local(f) => f.commit_statuses(repo, sha),
        }
    }

    /// Who the credentials are (`context`: the repository named in errors, whose owner picks an app's
    /// installation).
    pub async fn identity(&self, context: &RepoName) -> Result<Identity, ForgeError> {
        match self {
            Forge::GitHub(f) => f.identity(context).await,
            Forge::Local(f) => Ok(Identity::Local {
                root: f.root().display().to_string(),
            }),
        }
    }

    /// Whether the credentials can see `repo` and what they may do there.
    pub async fn repo_access(&self, repo: &RepoName) -> Result<RepoAccess, ForgeError> {
        match self {
            Forge::GitHub(f) => f.repo_access(repo).await,
            Forge::Local(f) => Ok(f.repo_access(repo)),
        }
    }

    /// The setting "Allow GitHub Actions to create and approve pull requests" of `repo`.
    pub async fn actions_pull_requests(
        &self,
        repo: &RepoName,
    ) -> Result<ActionsPullRequests, ForgeError> {
        match self {
            Forge::GitHub(f) => f.actions_pull_requests(repo).await,
            Forge::Local(_) => Ok(ActionsPullRequests::Allowed),
        }
    }

    /// Whether `branch` exists in `repo`.
    pub async fn branch_exists(&self, repo: &RepoName, branch: &str) -> Result<bool, ForgeError> {
        match self {
            Forge::GitHub(f) => f.branch_exists(repo, branch).await,
            Forge::Local(f) => Ok(f.branch_exists(repo, branch)),
        }
    }

    /// Whether this is the local forge.
    pub fn is_local(&self) -> bool {
        matches!(self, Forge::Local(_))
    }

    /// The comments on an issue or pull request, oldest first (at most 100 from GitHub).
    pub async fn comments(&self, repo: &RepoName, number: u64) -> Result<Vec<Comment>, ForgeError> {
        match self {
            Forge::GitHub(f) => f.comments(repo, number).await,
            Forge::Local(f) => f.comments(repo, number),
        }
    }

    /// Replaces the body of a comment of issue or pull request `number`.
    pub async fn update_comment(
        &self,
        repo: &RepoName,
        number: u64,
        comment: u64,
        body: &str,
    ) -> Result<(), ForgeError> {
        match self {
            Forge::GitHub(f) => f.update_comment(repo, comment, body).await,
            Forge::Local(f) => f.update_comment(repo, number, comment, body).await,
        }
    }

    /// Where to fetch from and push to for `repo`. Never contains a token.
    pub fn git_url(&self, repo: &RepoName) -> String {
        match self {
            Forge::GitHub(f) => f.git_url(repo),
            Forge::Local(f) => f.git_url(repo),
        }
    }

    /// Credentials for git over https (for a git2 credentials callback only); `None` for the local forge.
    pub async fn git_credentials(
        &self,
        repo: &RepoName,
    ) -> Result<Option<GitCredentials>, ForgeError> {
        match self {
            Forge::GitHub(f) => f.git_credentials(repo).await.map(Some),
            Forge::Local(_) => Ok(None),
        }
    }
}
