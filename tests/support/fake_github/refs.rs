//! Git refs and branches: get, create, move and delete a ref (`refs/heads/...`), and get a branch (the
//! default branch or one a ref names).

use serde_json::{Value, json};

use super::answer::{Answer, error, respond, unprocessable};
use super::params::decode;
use super::routes::RepoCall;
use super::state::RepoState;

/// Answers `/repos/{r}/git/ref(s)/...` and `/repos/{r}/branches/...`.
pub(super) fn route(call: &RepoCall, r: &mut RepoState) -> Answer {
    let (base, repo, parsed) = (call.base, call.repo, &call.body);
    match (call.method, call.rest) {
        ("GET", ["branches", name @ ..]) => {
            let name = decode(&name.join("/"));
            if name == r.default_branch || r.refs.contains_key(&format!("refs/heads/{name}")) {
                respond(
                    200,
                    Some(
                        json!({"name": name, "commit": {"sha": "0".repeat(40)}, "protected": false}),
                    ),
                )
            } else {
                error(404, "Branch not found")
            }
        }
        ("GET", ["git", "ref", name @ ..]) => {
            let full = format!("refs/{}", name.join("/"));
            match r.refs.get(&full) {
                Some(sha) => respond(200, Some(ref_json(base, repo, &full, sha))),
                None => error(404, "Not Found"),
            }
        }
        ("POST", ["git", "refs"]) => {
            let (Some(name), Some(sha)) = (
                parsed.get("ref").and_then(Value::as_str),
                parsed.get("sha").and_then(Value::as_str),
            ) else {
                return unprocessable("ref and sha are required");
            };
            if !name.starts_with("refs/") || name.matches('/').count() < 2 {
                return unprocessable("ref must be fully qualified");
            }
            if r.refs.contains_key(name) {
                return unprocessable("Reference already exists");
            }
            r.refs.insert(name.into(), sha.into());
            respond(201, Some(ref_json(base, repo, name, sha)))
        }
        ("PATCH", ["git", "refs", name @ ..]) => {
            let full = format!("refs/{}", name.join("/"));
            let Some(sha) = parsed.get("sha").and_then(Value::as_str) else {
                return unprocessable("sha is required");
            };
            if !r.refs.contains_key(&full) {
                return unprocessable("Reference does not exist");
            }
            r.refs.insert(full.clone(), sha.into());
            respond(200, Some(ref_json(base, repo, &full, sha)))
        }
        ("DELETE", ["git", "refs", name @ ..]) => {
            let full = format!("refs/{}", name.join("/"));
            match r.refs.remove(&full) {
                Some(_) => respond(204, None),
                None => unprocessable("Reference does not exist"),
            }
        }
        _ => error(404, "Not Found"),
    }
}

/// A ref as GitHub returns it.
fn ref_json(base: &str, repo: &str, name: &str, sha: &str) -> Value {
    json!({
        "ref": name, "node_id": "REF_1", "url": format!("{base}/repos/{repo}/git/{name}"),
        "object": { "type": "commit", "sha": sha, "url": format!("{base}/repos/{repo}/git/commits/{sha}") },
    })
}
