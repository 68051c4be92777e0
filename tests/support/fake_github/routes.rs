//! Which resource answers a request: the few account-wide endpoints, then `/repos/{owner}/{name}/...` by
//! the resource its path names, with the body parsed and checked once for all of them.

use std::collections::HashMap;

use serde_json::Value;

use super::answer::{Answer, error};
use super::params::query_map;
use super::state::State;
use super::{comments, dispatches, issues, permissions, pulls, refs, repository, statuses};

/// One request to a repository's endpoints, as its resource reads it.
pub(super) struct RepoCall<'a> {
    /// The API root as the client reached it (`http://127.0.0.1:PORT`), for the URLs in answers.
    pub(super) base: &'a str,
    pub(super) method: &'a str,
    pub(super) owner: &'a str,
    pub(super) name: &'a str,
    /// `owner/name`.
    pub(super) repo: &'a str,
    /// The path's segments after `/repos/{owner}/{name}`.
    pub(super) rest: &'a [&'a str],
    /// The query string, decoded.
    pub(super) query: HashMap<String, String>,
    /// The JSON body (`Null` when empty).
    pub(super) body: Value,
    /// An id for whatever this request creates (a comment, a status).
    pub(super) next_id: u64,
    /// Whether the caller holds an app installation's token (a workflow's `GITHUB_TOKEN`).
    pub(super) installation: bool,
}

/// Answers an authenticated request to `path` (without the `/api/v3` of GitHub Enterprise Server).
pub(super) fn route(
    st: &mut State,
    base: &str,
    method: &str,
    path: &str,
    query: &str,
    body: &str,
) -> Answer {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let installation = st.current_auth == Some("installation");
    if let Some(answer) = permissions::account(st, method, &segs, installation) {
        return answer;
    }
    if segs.len() < 3 || segs[0] != "repos" {
        return error(404, "Not Found");
    }
    let repo = format!("{}/{}", segs[1], segs[2]);
    let parsed: Value = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_str(body) {
            Ok(v) => v,
            Err(_) => return error(400, "Problems parsing JSON"),
        }
    };
    if method != "GET" && method != "DELETE" && !parsed.is_object() {
        return error(400, "Problems parsing JSON");
    }
    let next_id = st.next_id;
    st.next_id += 1;
    let Some(r) = st.repos.get_mut(&repo) else {
        return error(404, "Not Found");
    };
    let call = RepoCall {
        base,
        method,
        owner: segs[1],
        name: segs[2],
        repo: &repo,
        rest: &segs[3..],
        query: query_map(query),
        body: parsed,
        next_id,
        installation,
    };
    match call.rest {
        [] | ["merge-upstream"] => repository::route(&call, r),
        ["installation"] | ["actions", ..] => permissions::repository(&call, r),
        ["dispatches"] => dispatches::route(&call, r),
        ["branches" | "git", ..] => refs::route(&call, r),
        ["pulls", ..] => pulls::route(&call, r),
        ["issues", "comments", ..] | ["issues", _, "comments"] => comments::route(&call, r),
        ["issues", ..] => issues::route(&call, r),
        ["statuses" | "commits", ..] => statuses::route(&call, r),
        _ => error(404, "Not Found"),
    }
}
