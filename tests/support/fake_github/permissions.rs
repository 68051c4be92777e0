//! Who the caller is and what it may do: the user behind a personal token, the installation tokens this
//! fake hands to GitHub Apps and the repositories they reach, an installation's grants on a repository,
//! and whether Actions may open pull requests there.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::answer::{Answer, error, respond};
use super::routes::RepoCall;
use super::state::{RepoState, State};

/// The start of the installation tokens this fake hands to GitHub Apps.
pub const INSTALLATION_TOKEN_PREFIX: &str = "ghs_fakeinstallation";

/// The endpoints outside any repository: an app's installation token, `/user`, and the repositories of an
/// installation. `None` for any other path.
pub(super) fn account(
    st: &State,
    method: &str,
    segs: &[&str],
    installation: bool,
) -> Option<Answer> {
    if method == "POST" && matches!(segs, ["app", "installations", _, "access_tokens"]) {
        let expires = SystemTime::now() + Duration::from_secs(3600);
        return Some(respond(
            201,
            Some(json!({
                "token": format!("{INSTALLATION_TOKEN_PREFIX}{}", segs[2]),
                "expires_at": humantime::format_rfc3339_seconds(expires).to_string(),
                "permissions": { "contents": "write", "pull_requests": "write", "issues": "write" },
                "repository_selection": "all",
            })),
        ));
    }
    match (method, segs) {
        // A personal token has a user; an installation token (a workflow's GITHUB_TOKEN) gets 403.
        ("GET", ["user"]) if installation => {
            Some(error(403, "Resource not accessible by integration"))
        }
        ("GET", ["user"]) => Some(respond(
            200,
            Some(json!({"login": "ecosync-bot", "id": 1, "type": "User"})),
        )),
        ("GET", ["installation", "repositories"]) if installation => {
            let repos: Vec<Value> = st
                .repos
                .keys()
                .map(|r| json!({"full_name": r, "name": r.split('/').nth(1)}))
                .collect();
            Some(respond(
                200,
                Some(json!({"total_count": repos.len(), "repositories": repos})),
            ))
        }
        ("GET", ["installation", "repositories"]) => Some(error(
            403,
            "You must authenticate with an installation access token",
        )),
        _ => None,
    }
}

/// `GET /repos/{r}/installation` (the installation's grants) and `GET /repos/{r}/actions/permissions/workflow`.
pub(super) fn repository(call: &RepoCall, r: &mut RepoState) -> Answer {
    match (call.method, call.rest) {
        ("GET", ["installation"]) => {
            let permissions = r.grants.clone().unwrap_or_else(|| {
                json!({"contents": "write", "pull_requests": "write", "issues": "write", "metadata": "read"})
            });
            respond(
                200,
                Some(json!({ "id": 1, "app_id": 1, "permissions": permissions })),
            )
        }
        ("GET", ["actions", "permissions", "workflow"]) => respond(
            200,
            Some(json!({
                "default_workflow_permissions": "read",
                "can_approve_pull_request_reviews": !r.actions_may_not_create_prs,
            })),
        ),
        _ => error(404, "Not Found"),
    }
}
