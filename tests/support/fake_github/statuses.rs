//! Commit statuses: create one on a commit (state, context, description, target URL, checked as GitHub
//! checks them; every one is kept, newest first) and list a commit's.

use std::time::SystemTime;

use serde_json::{Value, json};

use super::answer::{Answer, error, respond, unprocessable, user};
use super::routes::RepoCall;
use super::state::RepoState;

/// Answers `/repos/{r}/statuses/{sha}` and `/repos/{r}/commits/{sha}/statuses`.
pub(super) fn route(call: &RepoCall, r: &mut RepoState) -> Answer {
    let (base, repo, parsed, next_id) = (call.base, call.repo, &call.body, call.next_id);
    match (call.method, call.rest) {
        ("POST", ["statuses", sha]) => {
            let state = parsed.get("state").and_then(Value::as_str);
            if !matches!(state, Some("pending" | "success" | "failure" | "error")) {
                return unprocessable("state must be one of pending, success, failure, error");
            }
            for key in ["context", "description", "target_url"] {
                if !matches!(parsed.get(key), None | Some(Value::Null | Value::String(_))) {
                    return unprocessable(&format!("`{key}` must be a string"));
                }
            }
            if sha.len() != 40 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                return unprocessable("No commit found for SHA");
            }
            let now = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
            let status = json!({
                "id": next_id, "node_id": format!("SC_{next_id}"),
                "url": format!("{base}/repos/{repo}/statuses/{sha}"),
                "state": state, "description": parsed.get("description").cloned().unwrap_or(Value::Null),
                "target_url": parsed.get("target_url").cloned().unwrap_or(Value::Null),
                "context": parsed.get("context").and_then(Value::as_str).unwrap_or("default"),
                "avatar_url": null, "creator": user("ecosync-bot"),
                "created_at": now, "updated_at": now,
            });
            r.statuses
                .entry((*sha).to_owned())
                .or_default()
                .insert(0, status.clone());
            respond(201, Some(status))
        }
        ("GET", ["commits", sha, "statuses"]) => respond(
            200,
            Some(json!(r.statuses.get(*sha).cloned().unwrap_or_default())),
        ),
        _ => error(404, "Not Found"),
    }
}
