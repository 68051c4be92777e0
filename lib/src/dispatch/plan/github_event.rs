//! `GitHubEvent`: the parts of the Actions event payload (`$GITHUB_EVENT_PATH`) that decide what to compare.
//!
//! Only three events matter: `push` (`before` and `after`), `pull_request` / `pull_request_target` (the
//! base and head commits, compared from their merge base) and `workflow_dispatch` (no range: the checked
//! out commit against its first parent). The event name comes from `$GITHUB_EVENT_NAME` when known, else it
//! is inferred from the payload's shape.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error_kind::UserError;

/// Why the event file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum GitHubEventError {
    /// The file cannot be read.
    #[error("cannot read the event file `{path}`")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not the payload of the named event.
    #[error("the event file `{path}` is not a valid `{event}` payload: {source}")]
    Shape {
        /// The file.
        path: PathBuf,
        /// The event name.
        event: String,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// An event that does not name a range of commits.
    #[error(
        "event `{0}` is not supported; run on `push`, `pull_request`, `pull_request_target` or \
         `workflow_dispatch`, or pass `--base` and `--head`"
    )]
    Unsupported(String),
}

impl UserError for GitHubEventError {}

/// The event that started the workflow, reduced to what the dispatcher needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitHubEvent {
    /// A push to a branch or tag.
    Push {
        /// The full ref pushed, e.g. `refs/heads/main`.
        git_ref: String,
        /// The commit the ref pointed at before (40 zeros for a new ref).
        before: String,
        /// The commit it points at now (40 zeros for a deleted ref).
        after: String,
        /// The repository's default branch, when the payload says.
        default_branch: Option<String>,
    },
    /// A pull request opened or updated.
    PullRequest {
        /// The branch the pull request targets, e.g. `main`.
        base_ref: String,
        /// The target branch's commit.
        base_sha: String,
        /// The pull request's head commit.
        head_sha: String,
    },
    /// A manual run.
    WorkflowDispatch {
        /// The full ref it runs on, when the payload says.
        git_ref: Option<String>,
    },
}

#[derive(Deserialize)]
struct PushPayload {
    #[serde(rename = "ref")]
    git_ref: String,
    before: String,
    after: String,
    repository: Option<RepositoryPayload>,
}

#[derive(Deserialize)]
struct RepositoryPayload {
    default_branch: Option<String>,
}

#[derive(Deserialize)]
struct PullRequestPayload {
    pull_request: PullRequestInner,
}

#[derive(Deserialize)]
struct PullRequestInner {
    base: GitSide,
    head: GitSide,
}

#[derive(Deserialize)]
struct GitSide {
    #[serde(rename = "ref")]
    git_ref: String,
    sha: String,
}

#[derive(Deserialize)]
struct DispatchPayload {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
}

impl GitHubEvent {
    /// Reads the payload at `path`; `name` is `$GITHUB_EVENT_NAME` when set.
    pub fn load(path: &Path, name: Option<&str>) -> Result<Self, GitHubEventError> {
        let text = std::fs::read_to_string(path).map_err(|source| GitHubEventError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(path, &text, name)
    }

    /// Parses a payload read from `path` (named in errors).
    pub fn parse(path: &Path, text: &str, name: Option<&str>) -> Result<Self, GitHubEventError> {
        let name = match name.filter(|n| !n.is_empty()) {
            Some(n) => n.to_owned(),
            None => infer_name(text).to_owned(),
        };
        let shape = |source| GitHubEventError::Shape {
            path: path.to_owned(),
            event: name.clone(),
            source,
        };
        match name.as_str() {
            "push" => {
                let p: PushPayload = serde_json::from_str(text).map_err(shape)?;
                Ok(GitHubEvent::Push {
                    git_ref: p.git_ref,
                    before: p.before,
                    after: p.after,
                    default_branch: p.repository.and_then(|r| r.default_branch),
                })
            }
            "pull_request" | "pull_request_target" => {
                let p: PullRequestPayload = serde_json::from_str(text).map_err(shape)?;
                Ok(GitHubEvent::PullRequest {
                    base_ref: p.pull_request.base.git_ref,
                    base_sha: p.pull_request.base.sha,
                    head_sha: p.pull_request.head.sha,
                })
            }
            "workflow_dispatch" => {
                let p: DispatchPayload = serde_json::from_str(text).map_err(shape)?;
                Ok(GitHubEvent::WorkflowDispatch { git_ref: p.git_ref })
            }
            other => Err(GitHubEventError::Unsupported(other.to_owned())),
        }
    }
}

fn infer_name(text: &str) -> &'static str {
    let value: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    if value.get("pull_request").is_some() {
        "pull_request"
    } else if value.get("before").is_some() && value.get("after").is_some() {
        "push"
    } else {
        "workflow_dispatch"
    }
}

/// The short branch name of a full ref (`refs/heads/main` is `main`); other refs are kept whole.
pub fn short_branch(git_ref: &str) -> &str {
    git_ref.strip_prefix("refs/heads/").unwrap_or(git_ref)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infers_the_event_from_its_shape() {
        let p = Path::new("e.json");
        let push = r#"{"ref":"refs/heads/main","before":"a","after":"b","repository":{"default_branch":"main"}}"#;
        assert!(matches!(
            GitHubEvent::parse(p, push, None).unwrap(),
            GitHubEvent::Push {
                default_branch: Some(_),
                ..
            }
        ));
        let pr =
            r#"{"pull_request":{"base":{"ref":"main","sha":"a"},"head":{"ref":"x","sha":"b"}}}"#;
        assert!(matches!(
            GitHubEvent::parse(p, pr, None).unwrap(),
            GitHubEvent::PullRequest { .. }
        ));
        assert!(GitHubEvent::parse(p, "{}", Some("issues")).is_err());
        assert!(GitHubEvent::parse(p, "{}", Some("push")).is_err());
    }
}
