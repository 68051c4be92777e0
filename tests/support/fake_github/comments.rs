//! Comments on issues and pull requests (both through the issues API): list an issue's or a pull request's
//! (each with its author: the token's user, or whoever a test wrote it as), add one, edit one by its id;
//! and their JSON shape.

use serde_json::{Value, json};

use super::answer::{Answer, error, respond, unprocessable, user};
use super::routes::RepoCall;
use super::state::{RepoState, TOKEN_USER};

/// Answers `/repos/{r}/issues/{n}/comments` and `/repos/{r}/issues/comments/{id}`.
pub(super) fn route(call: &RepoCall, r: &mut RepoState) -> Answer {
    let (base, repo, parsed, next_id) = (call.base, call.repo, &call.body, call.next_id);
    match (call.method, call.rest) {
        ("GET", ["issues", n, "comments"]) => {
            let Ok(n) = n.parse::<u64>() else {
                return error(404, "Not Found");
            };
            let bodies = r
                .issues
                .iter()
                .find(|i| i.number == n)
                .map(|i| i.comments.clone())
                .or_else(|| r.pull_comments.get(&n).cloned())
                .unwrap_or_default();
            let list: Vec<Value> = bodies
                .iter()
                .enumerate()
                .map(|(idx, body)| {
                    let id = r
                        .comment_ids
                        .iter()
                        .find(|(_, at)| **at == (n, idx))
                        .map_or(900_000 + idx as u64, |(id, _)| *id);
                    let author = r
                        .comment_authors
                        .get(&(n, idx))
                        .map_or(TOKEN_USER, String::as_str);
                    comment_json(base, repo, n, id, body, author)
                })
                .collect();
            respond(200, Some(Value::Array(list)))
        }
        ("PATCH", ["issues", "comments", id]) => {
            let Some((n, idx)) = id
                .parse::<u64>()
                .ok()
                .and_then(|id| r.comment_ids.get(&id).copied())
            else {
                return error(404, "Not Found");
            };
            let Some(body) = parsed.get("body").and_then(Value::as_str) else {
                return unprocessable("body is a required string");
            };
            let slot = match r.issues.iter_mut().find(|i| i.number == n) {
                Some(i) => i.comments.get_mut(idx),
                None => r.pull_comments.get_mut(&n).and_then(|c| c.get_mut(idx)),
            };
            let Some(slot) = slot else {
                return error(404, "Not Found");
            };
            body.clone_into(slot);
            respond(
                200,
                Some(comment_json(
                    base,
                    repo,
                    n,
                    id.parse().unwrap_or(0),
                    body,
                    TOKEN_USER,
                )),
            )
        }
        ("POST", ["issues", n, "comments"]) => {
            let Ok(n) = n.parse::<u64>() else {
                return error(404, "Not Found");
            };
            let Some(body) = parsed.get("body").and_then(Value::as_str) else {
                return unprocessable("body is a required string");
            };
            // An issue keeps its comments; a pull request's are kept beside it.
            if let Some(i) = r.issues.iter_mut().find(|i| i.number == n) {
                i.comments.push(body.to_string());
            } else if r.pulls.iter().any(|p| p.number == n) {
                r.pull_comments.entry(n).or_default().push(body.to_string());
            } else {
                return error(404, "Not Found");
            }
            let len = r
                .issues
                .iter()
                .find(|i| i.number == n)
                .map(|i| i.comments.len())
                .or_else(|| r.pull_comments.get(&n).map(Vec::len))
                .unwrap_or(0);
            r.comment_ids.insert(next_id, (n, len.saturating_sub(1)));
            respond(
                201,
                Some(comment_json(base, repo, n, next_id, body, TOKEN_USER)),
            )
        }
        _ => error(404, "Not Found"),
    }
}

/// A comment as GitHub returns it.
fn comment_json(base: &str, repo: &str, n: u64, id: u64, body: &str, author: &str) -> Value {
    json!({
        "id": id, "node_id": format!("IC_{id}"),
        "url": format!("{base}/repos/{repo}/issues/comments/{id}"),
        "html_url": format!("{base}/{repo}/issues/{n}#issuecomment-{id}"),
        "body": body, "user": user(author),
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
    })
}
