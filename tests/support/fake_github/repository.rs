//! The repository itself: `GET /repos/{r}` (default branch, fork parent, a personal token's role) and
//! `POST /repos/{r}/merge-upstream`, which syncs a fork's branch with its parent.

use serde_json::{Value, json};

use super::answer::{Answer, error, respond, unprocessable, user};
use super::routes::RepoCall;
use super::state::RepoState;

/// Answers `/repos/{r}` and `/repos/{r}/merge-upstream`.
pub(super) fn route(call: &RepoCall, r: &mut RepoState) -> Answer {
    let (base, repo, parsed) = (call.base, call.repo, &call.body);
    match (call.method, call.rest) {
        ("GET", []) => {
            let mut found = json!({
                "id": 1, "node_id": "R_1", "name": call.name, "full_name": repo, "private": false,
                "owner": user(call.owner), "html_url": format!("{base}/{repo}"),
                "default_branch": r.default_branch,
            });
            found["fork"] = json!(r.parent.is_some());
            if let Some(parent) = &r.parent {
                found["parent"] = json!({"full_name": parent, "name": parent.split('/').nth(1)});
            }
            // GitHub shows a personal token its role; an installation token gets no `permissions`.
            if !call.installation {
                found["permissions"] = r.role.clone().unwrap_or_else(|| {
                    json!({"admin": true, "maintain": true, "push": true, "triage": true, "pull": true})
                });
            }
            respond(200, Some(found))
        }
        ("POST", ["merge-upstream"]) => {
            let Some(branch) = parsed.get("branch").and_then(Value::as_str) else {
                return unprocessable("branch is required");
            };
            if r.parent.is_none() {
                return unprocessable("this repository is not a fork");
            }
            r.merged_upstream.push(branch.to_owned());
            respond(
                200,
                Some(json!({
                    "message": "Successfully fetched and fast-forwarded from upstream",
                    "merge_type": "fast-forward",
                    "base_branch": format!("{}:{branch}", r.parent.as_deref().unwrap_or_default()),
                })),
            )
        }
        _ => error(404, "Not Found"),
    }
}
