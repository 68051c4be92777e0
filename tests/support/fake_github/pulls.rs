//! Pull requests: list (filtered by state, `owner:branch` head and base), create (one open pull request per
//! head and base), update (title, body, state: closing records when and by whom, as GitHub does), request
//! reviewers and teams; and their JSON shape (with `created_at`, `closed_at`, `merged_at` and
//! `merge_commit_sha`; who closed one is only in its issue, as on GitHub).

use serde_json::{Value, json};

use super::answer::{Answer, error, respond, unprocessable, user};
use super::params::strings;
use super::routes::RepoCall;
use super::state::{PullState, RepoState, TOKEN_USER, now};

/// Answers `/repos/{r}/pulls...`.
pub(super) fn route(call: &RepoCall, r: &mut RepoState) -> Answer {
    let (base, repo, parsed) = (call.base, call.repo, &call.body);
    match (call.method, call.rest) {
        ("GET", ["pulls"]) => {
            let q = &call.query;
            let state = q.get("state").map_or("open", String::as_str);
            // GitHub ignores a head filter without `owner:` (and returns every pull request).
            let head = q
                .get("head")
                .and_then(|h| h.split_once(':'))
                .map(|(o, b)| (o.to_string(), b.to_string()));
            let owner = call.owner;
            let list: Vec<Value> = r
                .pulls
                .iter()
                .filter(|p| state == "all" || p.state == state)
                .filter(|p| {
                    head.as_ref()
                        .is_none_or(|(o, b)| o == owner && *b == p.head)
                })
                .filter(|p| q.get("base").is_none_or(|b| *b == p.base))
                .map(|p| pull_json(base, repo, p))
                .collect();
            respond(200, Some(Value::Array(list)))
        }
        ("POST", ["pulls"]) => {
            let field = |k: &str| parsed.get(k).and_then(Value::as_str).map(String::from);
            let (Some(title), Some(head), Some(base_branch)) =
                (field("title"), field("head"), field("base"))
            else {
                return unprocessable("title, head and base are required strings");
            };
            let head = head
                .split_once(':')
                .map(|(_, b)| b.to_string())
                .unwrap_or(head);
            if r.pulls
                .iter()
                .any(|p| p.state == "open" && p.head == head && p.base == base_branch)
            {
                return unprocessable(&format!(
                    "A pull request already exists for {}:{head}.",
                    call.owner
                ));
            }
            let number = r.next_number;
            r.next_number += 1;
            let p = PullState {
                number,
                state: "open".into(),
                title,
                body: field("body").unwrap_or_default(),
                head,
                base: base_branch,
                draft: parsed
                    .get("draft")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                labels: vec![],
                reviewers: vec![],
                team_reviewers: vec![],
                assignees: vec![],
                created_at: now(),
                closed_at: None,
                closed_by: None,
                merged_at: None,
                merge_commit_sha: None,
            };
            let v = pull_json(base, repo, &p);
            r.pulls.push(p);
            respond(201, Some(v))
        }
        ("PATCH", ["pulls", n]) => {
            let Some(p) = numbered(r, n) else {
                return error(404, "Not Found");
            };
            if let Some(t) = parsed.get("title").and_then(Value::as_str) {
                p.title = t.into();
            }
            if let Some(b) = parsed.get("body").and_then(Value::as_str) {
                p.body = b.into();
            }
            match parsed.get("state").and_then(Value::as_str) {
                Some(s @ ("open" | "closed")) => set_state(p, s, TOKEN_USER),
                Some(_) => return unprocessable("state must be open or closed"),
                None => {}
            }
            let v = pull_json(base, repo, p);
            respond(200, Some(v))
        }
        ("POST", ["pulls", n, "requested_reviewers"]) => {
            let (users, teams) = match (
                strings(parsed, "reviewers"),
                strings(parsed, "team_reviewers"),
            ) {
                (Ok(u), Ok(t)) => (u, t),
                (Err(e), _) | (_, Err(e)) => return unprocessable(&e),
            };
            let Some(p) = numbered(r, n) else {
                return error(404, "Not Found");
            };
            for u in users {
                if !p.reviewers.contains(&u) {
                    p.reviewers.push(u);
                }
            }
            for t in teams {
                if !p.team_reviewers.contains(&t) {
                    p.team_reviewers.push(t);
                }
            }
            let v = pull_json(base, repo, p);
            respond(201, Some(v))
        }
        _ => error(404, "Not Found"),
    }
}

/// A pull request as GitHub returns it.
pub(super) fn pull_json(base: &str, repo: &str, p: &PullState) -> Value {
    let owner = repo.split('/').next().unwrap_or("");
    json!({
        "id": 10_000 + p.number,
        "node_id": format!("PR_{}", p.number),
        "number": p.number,
        "url": format!("{base}/repos/{repo}/pulls/{}", p.number),
        "html_url": format!("{base}/{repo}/pull/{}", p.number),
        "state": p.state,
        "locked": false,
        "title": p.title,
        "body": if p.body.is_empty() { Value::Null } else { json!(p.body) },
        "draft": p.draft,
        "merged": p.merged_at.is_some(),
        "merged_at": p.merged_at,
        "merge_commit_sha": p.merge_commit_sha,
        "closed_at": p.closed_at,
        "user": user("ecosync-bot"),
        "labels": p.labels.iter().map(|l| json!({"name": l, "color": "ededed", "default": false})).collect::<Vec<_>>(),
        "assignees": p.assignees.iter().map(|a| user(a)).collect::<Vec<_>>(),
        "requested_reviewers": p.reviewers.iter().map(|a| user(a)).collect::<Vec<_>>(),
        "requested_teams": p.team_reviewers.iter().map(|t| json!({"slug": t, "name": t})).collect::<Vec<_>>(),
        "head": { "label": format!("{owner}:{}", p.head), "ref": p.head, "sha": "0".repeat(40),
                  "repo": { "full_name": repo } },
        "base": { "label": format!("{owner}:{}", p.base), "ref": p.base, "sha": "0".repeat(40),
                  "repo": { "full_name": repo } },
        "created_at": p.created_at,
        "updated_at": p.closed_at.as_deref().unwrap_or(&p.created_at),
    })
}

/// Opens or closes a pull request as `by` would: a close records when and by whom, a reopen forgets both.
pub(super) fn set_state(p: &mut PullState, state: &str, by: &str) {
    if p.state == state {
        return;
    }
    p.state = state.into();
    if state == "closed" {
        p.closed_at = Some(now());
        p.closed_by = Some(by.into());
    } else {
        p.closed_at = None;
        p.closed_by = None;
    }
}

/// The pull request whose number is `n`, if `n` is one.
fn numbered<'a>(r: &'a mut RepoState, n: &str) -> Option<&'a mut PullState> {
    n.parse::<u64>()
        .ok()
        .and_then(|n| r.pulls.iter_mut().find(|p| p.number == n))
}
