//! The GitHub requests behind [`crate::forge::permissions`]: who the token is, its access to a
//! repository, the Actions pull request setting, whether a branch exists. All reads: nothing is written.

use std::collections::BTreeMap;

use http::Method;
use serde::Deserialize;

use super::{Client, GitHubForge};
use crate::forge::ForgeError;
use crate::forge::permissions::{ActionsPullRequests, Identity, RepoAccess, RolePermissions};
use crate::repo_name::RepoName;

/// An answer that is a refusal GitHub explains rather than a failure: 401, 403, 404.
enum Answer {
    Ok(String),
    Refused(u16, String),
}

impl GitHubForge {
    /// One GET through the pacer; 401, 403 and 404 are answers, not errors.
    async fn probe(
        &self,
        context: &RepoName,
        operation: &'static str,
        route: String,
    ) -> Result<Answer, ForgeError> {
        let crab = self.crab(context, operation).await?;
        match self
            .send(&crab, context, operation, Method::GET, route, None)
            .await
        {
            Ok((text, _)) => Ok(Answer::Ok(text)),
            Err(ForgeError::Request {
                status: Some(status @ (401 | 403 | 404)),
                message,
                ..
            }) => Ok(Answer::Refused(status, message)),
            Err(e) => Err(e),
        }
    }

    /// Who the credentials are; `context` names the repository in errors (and picks an app's
    /// installation).
    pub(in crate::forge) async fn identity(
        &self,
        context: &RepoName,
    ) -> Result<Identity, ForgeError> {
        #[derive(Deserialize)]
        struct User {
            login: String,
        }
        #[derive(Deserialize)]
        struct Installation {
            total_count: u64,
        }
        if matches!(self.client, Client::App { .. }) {
            return Ok(Identity::App);
        }
        match self
            .probe(context, "get the token's user", "/user".into())
            .await?
        {
            Answer::Ok(text) => {
                let user: User = parse(&text, context, "get the token's user")?;
                Ok(Identity::User { login: user.login })
            }
            Answer::Refused(401, message) => Ok(Identity::Refused {
                status: 401,
                message,
            }),
            Answer::Refused(status, message) => {
                match self
                    .probe(
                        context,
                        "list the installation's repositories",
                        "/installation/repositories?per_page=1".into(),
                    )
                    .await?
                {
                    Answer::Ok(text) => {
                        let i: Installation =
                            parse(&text, context, "list the installation's repositories")?;
                        Ok(Identity::Installation {
                            repositories: i.total_count,
                        })
                    }
                    Answer::Refused(..) => Ok(Identity::Refused { status, message }),
                }
            }
        }
    }

    /// What the credentials may do in `repo`.
    pub(in crate::forge) async fn repo_access(
        &self,
        repo: &RepoName,
    ) -> Result<RepoAccess, ForgeError> {
        #[derive(Deserialize)]
        struct Repo {
            default_branch: Option<String>,
            permissions: Option<RolePermissions>,
        }
        #[derive(Deserialize)]
        struct Installation {
            #[serde(default)]
            permissions: BTreeMap<String, String>,
        }
        let found = match self
            .probe(repo, "get repository", format!("/repos/{repo}"))
            .await?
        {
            Answer::Ok(text) => parse::<Repo>(&text, repo, "get repository")?,
            Answer::Refused(..) => {
                return Ok(RepoAccess {
                    visible: false,
                    default_branch: None,
                    role: None,
                    grants: None,
                });
            }
        };
        let grants = if matches!(self.client, Client::App { .. }) {
            match self
                .probe(
                    repo,
                    "look up the GitHub App installation",
                    format!("/repos/{repo}/installation"),
                )
                .await?
            {
                Answer::Ok(text) => Some(
                    parse::<Installation>(&text, repo, "look up the GitHub App installation")?
                        .permissions,
                ),
                Answer::Refused(..) => None,
            }
        } else {
            None
        };
        Ok(RepoAccess {
            visible: true,
            default_branch: found.default_branch,
            role: found.permissions,
            grants,
        })
    }

    /// "Allow GitHub Actions to create and approve pull requests" in `repo`.
    pub(in crate::forge) async fn actions_pull_requests(
        &self,
        repo: &RepoName,
    ) -> Result<ActionsPullRequests, ForgeError> {
        #[derive(Deserialize)]
        struct Workflow {
            can_approve_pull_request_reviews: bool,
        }
        let operation = "get the default workflow permissions";
        Ok(
            match self
                .probe(
                    repo,
                    operation,
                    format!("/repos/{repo}/actions/permissions/workflow"),
                )
                .await?
            {
                Answer::Ok(text) => {
                    if parse::<Workflow>(&text, repo, operation)?.can_approve_pull_request_reviews {
                        ActionsPullRequests::Allowed
                    } else {
                        ActionsPullRequests::Denied
                    }
                }
                Answer::Refused(status, message) => ActionsPullRequests::Unknown {
                    reason: format!("HTTP {status}: {message}"),
                },
            },
        )
    }

    /// Whether `branch` exists in `repo`.
    pub(in crate::forge) async fn branch_exists(
        &self,
        repo: &RepoName,
        branch: &str,
    ) -> Result<bool, ForgeError> {
        let route = format!("/repos/{repo}/branches/{}", super::encode_query(branch));
        Ok(matches!(
            self.probe(repo, "get a branch", route).await?,
            Answer::Ok(_)
        ))
    }
}

fn parse<T: serde::de::DeserializeOwned>(
    text: &str,
    repo: &RepoName,
    operation: &'static str,
) -> Result<T, ForgeError> {
    serde_json::from_str(text).map_err(|e| ForgeError::Request {
        operation,
        repo: repo.to_string(),
        status: None,
        attempts: 1,
        message: format!("unexpected answer from GitHub: {e}"),
        hint: Some("check `--api-url`: it must be the REST API root".into()),
    })
}
