//! `Capability`: one write permission a run needs on a repository, judged from what the forge says.

use crate::doctor::doctor_report::Check;
use crate::forge::permissions::{Identity, RepoAccess};
use crate::repo_name::RepoName;

/// A write permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Contents: write (push a branch, send a `repository_dispatch`, move the watermark).
    Contents,
    /// Pull requests: write (open and update the sync pull request).
    PullRequests,
    /// Issues: write (report a failure).
    Issues,
    /// Workflows: write (push changes under `.github/workflows`).
    Workflows,
}

impl Capability {
    /// As in the check's name.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Contents => "contents write",
            Capability::PullRequests => "pull requests write",
            Capability::Issues => "issues write",
            Capability::Workflows => "workflows write",
        }
    }

    /// The key of a GitHub App installation's permissions.
    fn grant_key(self) -> &'static str {
        match self {
            Capability::Contents => "contents",
            Capability::PullRequests => "pull_requests",
            Capability::Issues => "issues",
            Capability::Workflows => "workflows",
        }
    }

    /// As GitHub's settings pages name it.
    fn setting(self) -> &'static str {
        match self {
            Capability::Contents => "Contents",
            Capability::PullRequests => "Pull requests",
            Capability::Issues => "Issues",
            Capability::Workflows => "Workflows",
        }
    }

    /// The key of a workflow's `permissions:` block (`None`: a `GITHUB_TOKEN` can never have it).
    fn workflow_key(self) -> Option<&'static str> {
        match self {
            Capability::Contents => Some("contents"),
            Capability::PullRequests => Some("pull-requests"),
            Capability::Issues => Some("issues"),
            Capability::Workflows => None,
        }
    }

    /// Judges this permission on `repo`, which `access` says the credentials can see.
    pub fn judge(self, repo: &RepoName, identity: &Identity, access: &RepoAccess) -> Check {
        let check = format!("{} {repo}", self.name());
        if !access.visible {
            return Check::fail(
                check,
                "the repository cannot be seen",
                format!("give the token access to `{repo}` first"),
            );
        }
        if let Some(grants) = &access.grants {
            let key = self.grant_key();
            return match grants.get(key).map(String::as_str) {
                Some("write" | "admin") => Check::ok(check, format!("app grants `{key}: write`")),
                got => Check::fail(
                    check,
                    match got {
                        Some(level) => format!("app grants `{key}: {level}`"),
                        None => format!("app does not grant `{key}`"),
                    },
                    format!(
                        "give the GitHub App `{}: Read and write` (app settings, Permissions), then \
                         accept the new permissions in the installation of `{}`",
                        self.setting(),
                        repo.owner()
                    ),
                ),
            };
        }
        if let Some(role) = access.role {
            let write = role.push || role.maintain || role.admin;
            let allowed = write || (self == Capability::Issues && role.triage);
            return if allowed {
                let which = if role.admin {
                    "admin"
                } else if role.maintain {
                    "maintain"
                } else if role.push {
                    "push"
                } else {
                    "triage"
                };
                Check::ok(check, format!("the token's role is `{which}`"))
            } else {
                let which = if role.triage { "triage" } else { "read" };
                Check::fail(
                    check,
                    format!("the token's role is `{which}`"),
                    format!(
                        "give the token's user write access to `{repo}`; a fine-grained token also \
                         needs `{}: Read and write` for it",
                        self.setting()
                    ),
                )
            };
        }
        // An installation token given as a token (a workflow's GITHUB_TOKEN): GitHub shows no role.
        match (identity, self.workflow_key()) {
            (Identity::Installation { .. }, None) => Check::fail(
                check,
                "a workflow's `GITHUB_TOKEN` can never push `.github/workflows`",
                "use a GitHub App or a fine-grained token with `Workflows: Read and write` in \
                 `ECOSYNC_TOKEN`",
            ),
            (Identity::Installation { .. }, Some(key)) => Check::warn(
                check,
                "an installation token has what its workflow grants, which GitHub does not show",
                format!("make sure the workflow's job has `permissions: {key}: write`"),
            ),
            _ => Check::warn(
                check,
                "GitHub does not say",
                format!(
                    "make sure the token has `{}: Read and write` on `{repo}`",
                    self.setting()
                ),
            ),
        }
    }
}
