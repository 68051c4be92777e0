//! What the fake holds: the requests it received, and each repository's pull requests, issues, comments,
//! dispatches, refs, commit statuses and settings, which the routes read and change.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde_json::Value;

use super::faults::Fault;

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Lower-case names; `authorization` is never recorded.
    pub headers: BTreeMap<String, String>,
    /// Whether an `Authorization` header was sent (its value is not kept).
    pub authorized: bool,
    /// What the `Authorization` header carried: `jwt` (a GitHub App's own JWT), `installation` (a token
    /// this fake issued to an app installation), `token` (anything else), none when absent.
    pub auth_kind: Option<&'static str>,
    pub body: String,
    /// When it arrived, since the fake started.
    pub at: Duration,
}

impl Recorded {
    /// The body parsed as JSON (`Null` when empty or not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// A pull request as the fake keeps it.
#[derive(Debug, Clone)]
pub(super) struct PullState {
    pub(super) number: u64,
    pub(super) state: String,
    pub(super) title: String,
    pub(super) body: String,
    pub(super) head: String,
    pub(super) base: String,
    pub(super) draft: bool,
    pub(super) labels: Vec<String>,
    pub(super) reviewers: Vec<String>,
    pub(super) team_reviewers: Vec<String>,
    pub(super) assignees: Vec<String>,
    /// When it was opened and closed (RFC 3339, to the second as GitHub writes them), and by whom.
    pub(super) created_at: String,
    pub(super) closed_at: Option<String>,
    pub(super) closed_by: Option<String>,
    /// When merged: when, and the commit the merge made.
    pub(super) merged_at: Option<String>,
    pub(super) merge_commit_sha: Option<String>,
}

/// An issue as the fake keeps it, with its comments.
#[derive(Debug, Clone)]
pub(super) struct IssueState {
    pub(super) number: u64,
    pub(super) state: String,
    pub(super) title: String,
    pub(super) body: String,
    pub(super) labels: Vec<String>,
    pub(super) assignees: Vec<String>,
    pub(super) comments: Vec<String>,
}

/// One repository the fake knows (made by `FakeGitHub::add_repo`).
#[derive(Debug, Default)]
pub(super) struct RepoState {
    pub(super) default_branch: String,
    pub(super) next_number: u64,
    pub(super) pulls: Vec<PullState>,
    pub(super) issues: Vec<IssueState>,
    /// Comments on pull requests (issues keep their own).
    pub(super) pull_comments: BTreeMap<u64, Vec<String>>,
    /// Who wrote each comment (issue or pull request number, index there), when not the token's user.
    pub(super) comment_authors: BTreeMap<(u64, usize), String>,
    /// Each comment's id: the issue or pull request number and the comment's index there.
    pub(super) comment_ids: BTreeMap<u64, (u64, usize)>,
    pub(super) dispatches: Vec<Value>,
    pub(super) refs: BTreeMap<String, String>,
    /// Commit statuses by SHA, newest first (GitHub keeps every one ever set).
    pub(super) statuses: BTreeMap<String, Vec<Value>>,
    /// `permissions` of `GET /repos/{r}` for a personal token (default: every role).
    pub(super) role: Option<Value>,
    /// `permissions` of `GET /repos/{r}/installation` (default: contents, pull requests, issues write).
    pub(super) grants: Option<Value>,
    /// "Allow GitHub Actions to create and approve pull requests" (default on).
    pub(super) actions_may_not_create_prs: bool,
    /// The repository this one is a fork of.
    pub(super) parent: Option<String>,
    /// The branches `POST /repos/{r}/merge-upstream` was asked to sync, in order.
    pub(super) merged_upstream: Vec<String>,
}

/// The login of whoever holds the token the binaries use.
pub(super) const TOKEN_USER: &str = "ecosync-bot";

/// Now, as GitHub writes times.
pub(super) fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// Everything the fake holds, behind one lock shared by the server and the test.
#[derive(Default)]
pub(super) struct State {
    pub(super) repos: HashMap<String, RepoState>,
    pub(super) requests: Vec<Recorded>,
    pub(super) faults: Vec<Fault>,
    pub(super) latency: Duration,
    pub(super) next_id: u64,
    /// The kind of credentials of the request being routed (see [`Recorded::auth_kind`]).
    pub(super) current_auth: Option<&'static str>,
    /// Where the bare repositories served over git's smart HTTP are (`FakeGitHub::serve_git`).
    pub(super) git_root: Option<std::path::PathBuf>,
}
