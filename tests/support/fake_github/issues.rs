//! Issues: list (by state and labels, with pull requests among them as GitHub lists them, paged), get one
//! (a pull request too, with `closed_by`, which only the issue says), create (the body checked, as Prism
//! does not), update (title, body, state, labels replaced; an issue or a pull request), add labels and
//! assignees (to an issue or a pull request); and their JSON shape.

use serde_json::{Value, json};

use super::answer::{Answer, error, respond, unprocessable, user};
use super::params::strings;
use super::pulls::{pull_json, set_state};
use super::routes::RepoCall;
use super::state::{IssueState, RepoState, TOKEN_USER};

/// Answers `/repos/{r}/issues...` but for comments.
pub(super) fn route(call: &RepoCall, r: &mut RepoState) -> Answer {
    let (base, repo, parsed) = (call.base, call.repo, &call.body);
    match (call.method, call.rest) {
        ("GET", ["issues"]) => {
            let q = &call.query;
            let state = q.get("state").map_or("open", String::as_str);
            let wanted: Vec<String> = q
                .get("labels")
                .map(|l| l.split(',').map(String::from).collect())
                .unwrap_or_default();
            let per_page: usize = q.get("per_page").and_then(|p| p.parse().ok()).unwrap_or(30);
            let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            // GitHub lists pull requests among issues, marked with `pull_request`.
            let mut all: Vec<(u64, Value)> = r
                .issues
                .iter()
                .filter(|i| state == "all" || i.state == state)
                .filter(|i| wanted.iter().all(|w| i.labels.contains(w)))
                .map(|i| (i.number, issue_json(base, repo, i)))
                .collect();
            for p in r
                .pulls
                .iter()
                .filter(|p| state == "all" || p.state == state)
            {
                if wanted.iter().all(|w| p.labels.contains(w)) {
                    let mut v = pull_json(base, repo, p);
                    v["pull_request"] = json!({ "url": v["url"].clone() });
                    all.push((p.number, v));
                }
            }
            all.sort_by_key(|a| std::cmp::Reverse(a.0));
            let list: Vec<Value> = all
                .into_iter()
                .skip(per_page * page.saturating_sub(1))
                .take(per_page)
                .map(|(_, v)| v)
                .collect();
            respond(200, Some(Value::Array(list)))
        }
        ("POST", ["issues"]) => {
            // Prism does not check this body: the fake must.
            let Some(title) = parsed
                .get("title")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
            else {
                return unprocessable("title is a required non-empty string");
            };
            if parsed
                .get("body")
                .is_some_and(|b| !b.is_string() && !b.is_null())
            {
                return unprocessable("body must be a string");
            }
            let labels = match strings(parsed, "labels") {
                Ok(l) => l,
                Err(e) => return unprocessable(&e),
            };
            let assignees = match strings(parsed, "assignees") {
                Ok(a) => a,
                Err(e) => return unprocessable(&e),
            };
            let number = r.next_number;
            r.next_number += 1;
            let i = IssueState {
                number,
                state: "open".into(),
                title: title.into(),
                body: parsed
                    .get("body")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .into(),
                labels,
                assignees,
                comments: vec![],
            };
            let v = issue_json(base, repo, &i);
            r.issues.push(i);
            respond(201, Some(v))
        }
        ("GET", ["issues", n]) => {
            let Ok(n) = n.parse::<u64>() else {
                return error(404, "Not Found");
            };
            if let Some(i) = r.issues.iter().find(|i| i.number == n) {
                return respond(200, Some(issue_json(base, repo, i)));
            }
            match r.pulls.iter().find(|p| p.number == n) {
                Some(p) => respond(200, Some(pull_as_issue(base, repo, p))),
                None => error(404, "Not Found"),
            }
        }
        ("PATCH", ["issues", n]) => {
            let Ok(n) = n.parse::<u64>() else {
                return error(404, "Not Found");
            };
            // Prism does not check this body either.
            if parsed.get("title").is_some_and(|t| !t.is_string())
                || parsed
                    .get("body")
                    .is_some_and(|b| !b.is_string() && !b.is_null())
            {
                return unprocessable("title and body must be strings");
            }
            let labels = match parsed.get("labels") {
                None => None,
                Some(_) => match strings(parsed, "labels") {
                    Ok(l) => Some(l),
                    Err(e) => return unprocessable(&e),
                },
            };
            let state = match parsed.get("state").and_then(Value::as_str) {
                None => None,
                Some(s @ ("open" | "closed")) => Some(s),
                Some(_) => return unprocessable("state must be open or closed"),
            };
            let title = parsed.get("title").and_then(Value::as_str);
            let body = parsed.get("body").and_then(Value::as_str);
            if let Some(i) = r.issues.iter_mut().find(|i| i.number == n) {
                if let Some(t) = title {
                    i.title = t.into();
                }
                if let Some(b) = body {
                    i.body = b.into();
                }
                if let Some(l) = labels {
                    i.labels = l;
                }
                if let Some(s) = state {
                    i.state = s.into();
                }
                return respond(200, Some(issue_json(base, repo, i)));
            }
            let Some(p) = r.pulls.iter_mut().find(|p| p.number == n) else {
                return error(404, "Not Found");
            };
            if let Some(t) = title {
                p.title = t.into();
            }
            if let Some(b) = body {
                p.body = b.into();
            }
            if let Some(l) = labels {
                p.labels = l;
            }
            if let Some(s) = state {
                set_state(p, s, TOKEN_USER);
            }
            respond(200, Some(pull_as_issue(base, repo, p)))
        }
        ("POST", ["issues", n, key @ ("labels" | "assignees")]) => {
            let Ok(n) = n.parse::<u64>() else {
                return error(404, "Not Found");
            };
            let key = *key;
            let list = match parsed.get(key) {
                Some(Value::Array(_)) => match strings(parsed, key) {
                    Ok(l) => l,
                    Err(e) => return unprocessable(&e),
                },
                _ => return unprocessable(&format!("`{key}` must be an array of strings")),
            };
            // The issues API adds them to pull requests too.
            let v = if let Some(i) = r.issues.iter_mut().find(|i| i.number == n) {
                let target = if key == "labels" {
                    &mut i.labels
                } else {
                    &mut i.assignees
                };
                for item in &list {
                    if !target.contains(item) {
                        target.push(item.clone());
                    }
                }
                issue_json(base, repo, i)
            } else if let Some(p) = r.pulls.iter_mut().find(|p| p.number == n) {
                if key == "labels" {
                    p.labels.extend(
                        list.iter()
                            .filter(|l| !p.labels.contains(l))
                            .cloned()
                            .collect::<Vec<_>>(),
                    );
                } else {
                    p.assignees.extend(
                        list.iter()
                            .filter(|l| !p.assignees.contains(l))
                            .cloned()
                            .collect::<Vec<_>>(),
                    );
                }
                let mut v = pull_json(base, repo, p);
                v["pull_request"] = json!({ "url": v["url"].clone() });
                v
            } else {
                return error(404, "Not Found");
            };
            if key == "labels" {
                respond(200, Some(v["labels"].clone()))
            } else {
                respond(201, Some(v))
            }
        }
        _ => error(404, "Not Found"),
    }
}

/// An issue as GitHub returns it.
pub(super) fn issue_json(base: &str, repo: &str, i: &IssueState) -> Value {
    json!({
        "id": 20_000 + i.number,
        "node_id": format!("I_{}", i.number),
        "number": i.number,
        "url": format!("{base}/repos/{repo}/issues/{}", i.number),
        "html_url": format!("{base}/{repo}/issues/{}", i.number),
        "state": i.state,
        "locked": false,
        "title": i.title,
        "body": i.body,
        "user": user("ecosync-bot"),
        "labels": i.labels.iter().map(|l| json!({"name": l, "color": "ededed", "default": false})).collect::<Vec<_>>(),
        "assignees": i.assignees.iter().map(|a| user(a)).collect::<Vec<_>>(),
        "comments": i.comments.len(),
        "closed_by": if i.state == "closed" { user(TOKEN_USER) } else { Value::Null },
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    })
}

/// A pull request as the issues API returns it: with `pull_request`, and with `closed_by`.
fn pull_as_issue(base: &str, repo: &str, p: &super::state::PullState) -> Value {
    let mut v = pull_json(base, repo, p);
    v["pull_request"] = json!({ "url": v["url"].clone(), "merged_at": v["merged_at"].clone() });
    v["closed_by"] = p.closed_by.as_deref().map_or(Value::Null, user);
    v
}
