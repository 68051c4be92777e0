//! `FakeGitHub`: a stateful stand-in for GitHub's REST API on loopback, started per test (or per benchmark).
//!
//! It implements the endpoints the forge layer uses, with GitHub's status codes and response shapes:
//! repository dispatch (204, no body), get repository, list/create/update pull requests, request
//! reviewers, labels, assignees, list/create issues, comments, git refs, commit statuses (create, list),
//! and the app installation lookup.
//! It checks request bodies the way GitHub does (Prism does not check issue bodies), records every request
//! (without the `Authorization` header) with its arrival time, and can be told to fail: a status, a
//! dropped connection, a slow answer, the three kinds of rate limit, on a route, on a repository, from the
//! Nth matching call, as many times as asked. `set_latency` adds a delay to every answer (benchmarks).
//!
//! Self-contained so that `benches/` can include it with `#[path]`.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Lower-case names; `authorization` is never recorded.
    pub headers: BTreeMap<String, String>,
    /// Whether an `Authorization` header was sent (its value is not kept).
    pub authorized: bool,
    /// What the `Authorization` header carried: `jwt` (a GitHub App's own JWT), `installation` (a token
    /// this fake issued to an app installation), `token` (anything else), none when absent.
    pub auth_kind: Option<&'static str>,
    pub body: String,
    /// When it arrived, since the fake started.
    pub at: Duration,
}

impl Recorded {
    /// The body parsed as JSON (`Null` when empty or not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// How a matching request fails.
#[derive(Debug, Clone)]
pub enum FaultKind {
    /// Answer with this status and a GitHub-style error body.
    Status(u16),
    /// Close the connection without answering.
    Drop,
    /// Do what was asked, then close the connection without answering (the answer is lost).
    LoseAnswer,
    /// Wait this long, then answer normally.
    Slow(Duration),
    /// 403 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` this many seconds from now.
    PrimaryLimit { reset_in_secs: u64 },
    /// 429 with `retry-after`.
    RetryAfter { secs: u64 },
    /// 403 "secondary rate limit" with no rate-limit headers at all.
    SecondaryLimit,
}

/// When a request fails: which requests, from which matching call, how many times.
#[derive(Debug, Clone)]
pub struct Fault {
    method: Option<String>,
    path_contains: Option<String>,
    /// Matching calls let through before failing (fail the Nth: `skip = N - 1`).
    skip: usize,
    /// How many matching calls fail (after `skip`); `usize::MAX` for always.
    times: usize,
    kind: FaultKind,
    seen: usize,
}

impl Fault {
    /// Every request fails this way, once (see [`Fault::times`]).
    pub fn new(kind: FaultKind) -> Self {
        Fault {
            method: None,
            path_contains: None,
            skip: 0,
            times: 1,
            kind,
            seen: 0,
        }
    }
    /// Only requests with this method (`POST`, ...).
    pub fn method(mut self, m: &str) -> Self {
        self.method = Some(m.to_ascii_uppercase());
        self
    }
    /// Only requests whose path contains this (`/repos/acme/a/`, `/dispatches`, ...).
    pub fn path(mut self, p: &str) -> Self {
        self.path_contains = Some(p.to_string());
        self
    }
    /// Only requests to this repository (`owner/name`).
    pub fn repo(self, repo: &str) -> Self {
        self.path(&format!("/repos/{repo}/"))
    }
    /// Fail this many matching calls.
    pub fn times(mut self, n: usize) -> Self {
        self.times = n;
        self
    }
    /// Fail every matching call.
    pub fn always(self) -> Self {
        self.times(usize::MAX)
    }
    /// Let the first `n - 1` matching calls through and fail from the Nth.
    pub fn nth(mut self, n: usize) -> Self {
        self.skip = n.saturating_sub(1);
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m == method)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| format!("{path}/").contains(p))
    }
}

#[derive(Debug, Clone)]
struct PullState {
    number: u64,
    state: String,
    title: String,
    body: String,
    head: String,
    base: String,
    draft: bool,
    labels: Vec<String>,
    reviewers: Vec<String>,
    team_reviewers: Vec<String>,
    assignees: Vec<String>,
}

#[derive(Debug, Clone)]
struct IssueState {
    number: u64,
    state: String,
    title: String,
    body: String,
    labels: Vec<String>,
    assignees: Vec<String>,
    comments: Vec<String>,
}

#[derive(Debug, Default)]
struct RepoState {
    default_branch: String,
    next_number: u64,
    pulls: Vec<PullState>,
    issues: Vec<IssueState>,
    /// Comments on pull requests (issues keep their own).
    pull_comments: BTreeMap<u64, Vec<String>>,
    /// Each comment's id: the issue or pull request number and the comment's index there.
    comment_ids: BTreeMap<u64, (u64, usize)>,
    dispatches: Vec<Value>,
    refs: BTreeMap<String, String>,
    /// Commit statuses by SHA, newest first (GitHub keeps every one ever set).
    statuses: BTreeMap<String, Vec<Value>>,
    /// `permissions` of `GET /repos/{r}` for a personal token (default: every role).
    role: Option<Value>,
    /// `permissions` of `GET /repos/{r}/installation` (default: contents, pull requests, issues write).
    grants: Option<Value>,
    /// "Allow GitHub Actions to create and approve pull requests" (default on).
    actions_may_not_create_prs: bool,
    /// The repository this one is a fork of.
    parent: Option<String>,
    /// The branches `POST /repos/{r}/merge-upstream` was asked to sync, in order.
    merged_upstream: Vec<String>,
}

#[derive(Default)]
struct State {
    repos: HashMap<String, RepoState>,
    requests: Vec<Recorded>,
    faults: Vec<Fault>,
    latency: Duration,
    next_id: u64,
    /// The kind of credentials of the request being routed (see [`Recorded::auth_kind`]).
    current_auth: Option<&'static str>,
}

/// A running fake GitHub. Stops when dropped.
pub struct FakeGitHub {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    started: Instant,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeGitHub {
    /// Starts a fake on 127.0.0.1 with a free port, in its own thread and runtime.
    pub fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(State {
            next_id: 1000,
            ..State::default()
        }));
        let started = Instant::now();
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let shared = state.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("fake runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    let (stream, _) = tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => match accepted {
                            Ok(a) => a,
                            Err(_) => continue,
                        },
                    };
                    let _ = stream.set_nodelay(true);
                    let state = shared.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            handle(state.clone(), started, req)
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
            rt.shutdown_timeout(Duration::from_millis(100));
        });
        FakeGitHub {
            addr,
            state,
            started,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The API root to give `--api-url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Makes `owner/name` exist, with default branch `main`.
    pub fn add_repo(&self, repo: &str) -> &Self {
        self.add_repo_with_branch(repo, "main")
    }

    /// Makes `owner/name` exist with this default branch.
    pub fn add_repo_with_branch(&self, repo: &str, branch: &str) -> &Self {
        self.lock().repos.insert(
            repo.to_string(),
            RepoState {
                default_branch: branch.into(),
                next_number: 1,
                ..RepoState::default()
            },
        );
        self
    }

    /// Makes `repo` a fork of `parent` (`fork` and `parent` in `GET /repos/{repo}`).
    pub fn set_fork(&self, repo: &str, parent: &str) -> &Self {
        self.lock()
            .repos
            .get_mut(repo)
            .expect("add the repository first")
            .parent = Some(parent.into());
        self
    }

    /// The branches `merge-upstream` synced in `repo`, in order.
    pub fn merged_upstream(&self, repo: &str) -> Vec<String> {
        self.lock().repos[repo].merged_upstream.clone()
    }

    /// Adds a failure rule (rules are checked in the order added; the first that applies wins).
    pub fn fail(&self, fault: Fault) -> &Self {
        self.lock().faults.push(fault);
        self
    }

    /// Adds this delay to every answer.
    pub fn set_latency(&self, latency: Duration) -> &Self {
        self.lock().latency = latency;
        self
    }

    /// Every request received, in order of arrival.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// The requests with this method whose path ends with `suffix`.
    pub fn requests_to(&self, method: &str, suffix: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method && r.path.ends_with(suffix))
            .collect()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// The role a personal token has on `repo` (`GET /repos/{r}`'s `permissions`), e.g.
    /// `{"pull": true, "triage": true, "push": false}`.
    pub fn set_role(&self, repo: &str, role: Value) -> &Self {
        if let Some(r) = self.lock().repos.get_mut(repo) {
            r.role = Some(role);
        }
        self
    }

    /// A GitHub App installation's grants on `repo`, e.g. `{"contents": "write", "pull_requests": "read"}`.
    pub fn set_grants(&self, repo: &str, grants: Value) -> &Self {
        if let Some(r) = self.lock().repos.get_mut(repo) {
            r.grants = Some(grants);
        }
        self
    }

    /// Turns off "Allow GitHub Actions to create and approve pull requests" in `repo`.
    pub fn forbid_actions_pull_requests(&self, repo: &str) -> &Self {
        if let Some(r) = self.lock().repos.get_mut(repo) {
            r.actions_may_not_create_prs = true;
        }
        self
    }

    /// The commit statuses of `sha` in `repo`, newest first.
    pub fn statuses(&self, repo: &str, sha: &str) -> Vec<Value> {
        self.lock()
            .repos
            .get(repo)
            .and_then(|r| r.statuses.get(sha).cloned())
            .unwrap_or_default()
    }

    /// The dispatch bodies (`event_type`, `client_payload`) `repo` accepted.
    pub fn dispatches(&self, repo: &str) -> Vec<Value> {
        self.lock()
            .repos
            .get(repo)
            .map(|r| r.dispatches.clone())
            .unwrap_or_default()
    }

    /// The pull requests of `repo`, as GitHub would return them.
    pub fn pulls(&self, repo: &str) -> Vec<Value> {
        let base = self.url();
        let st = self.lock();
        st.repos
            .get(repo)
            .map(|r| r.pulls.iter().map(|p| pull_json(&base, repo, p)).collect())
            .unwrap_or_default()
    }

    /// The issues of `repo` (not pull requests), with a `comment_bodies` list added.
    pub fn issues(&self, repo: &str) -> Vec<Value> {
        let base = self.url();
        let st = self.lock();
        st.repos
            .get(repo)
            .map(|r| {
                r.issues
                    .iter()
                    .map(|i| {
                        let mut v = issue_json(&base, repo, i);
                        v["comment_bodies"] = json!(i.comments);
                        v
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Comments on pull request `number`.
    pub fn pull_comments(&self, repo: &str, number: u64) -> Vec<String> {
        self.lock()
            .repos
            .get(repo)
            .and_then(|r| r.pull_comments.get(&number).cloned())
            .unwrap_or_default()
    }

    /// Opens a pull request directly (test set-up); returns its number.
    pub fn seed_pull(&self, repo: &str, head: &str, base: &str, title: &str) -> u64 {
        let mut st = self.lock();
        let r = st.repos.get_mut(repo).expect("seed_pull: add_repo first");
        let number = r.next_number;
        r.next_number += 1;
        r.pulls.push(PullState {
            number,
            state: "open".into(),
            title: title.into(),
            body: String::new(),
            head: head.into(),
            base: base.into(),
            draft: false,
            labels: vec![],
            reviewers: vec![],
            team_reviewers: vec![],
            assignees: vec![],
        });
        number
    }

    /// Sets a branch ref directly (test set-up).
    pub fn seed_ref(&self, repo: &str, git_ref: &str, sha: &str) {
        let mut st = self.lock();
        let r = st.repos.get_mut(repo).expect("seed_ref: add_repo first");
        r.refs.insert(git_ref.into(), sha.into());
    }

    /// The refs of `repo` (`refs/heads/x` → sha).
    pub fn refs(&self, repo: &str) -> BTreeMap<String, String> {
        self.lock()
            .repos
            .get(repo)
            .map(|r| r.refs.clone())
            .unwrap_or_default()
    }

    /// Time since the fake started (the clock of `Recorded::at`).
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

type Answer = Response<Full<Bytes>>;

/// The start of the installation tokens this fake hands to GitHub Apps.
pub const INSTALLATION_TOKEN_PREFIX: &str = "ghs_fakeinstallation";

fn respond(status: u16, body: Option<Value>) -> Answer {
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("x-github-api-version-selected", "2022-11-28")
        .header("x-ratelimit-limit", "5000")
        .header("x-ratelimit-remaining", "4999")
        .header("x-ratelimit-used", "1");
    let bytes = match body {
        Some(v) => {
            builder = builder.header("content-type", "application/json; charset=utf-8");
            Bytes::from(v.to_string())
        }
        None => Bytes::new(),
    };
    builder.body(Full::new(bytes)).expect("response")
}

fn error(status: u16, message: &str) -> Answer {
    respond(
        status,
        Some(json!({
            "message": message,
            "documentation_url": "https://docs.github.com/rest",
            "status": status.to_string(),
        })),
    )
}

fn unprocessable(message: &str) -> Answer {
    respond(
        422,
        Some(json!({
            "message": "Validation Failed",
            "errors": [{ "message": message, "code": "custom" }],
            "documentation_url": "https://docs.github.com/rest",
            "status": "422",
        })),
    )
}

fn fault_answer(kind: &FaultKind) -> Option<Answer> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    Some(match kind {
        FaultKind::Status(s) => error(*s, status_message(*s)),
        FaultKind::PrimaryLimit { reset_in_secs } => {
            let mut r = error(403, "API rate limit exceeded for installation ID 1.");
            let h = r.headers_mut();
            h.insert("x-ratelimit-remaining", "0".parse().expect("header"));
            h.insert(
                "x-ratelimit-reset",
                (now + reset_in_secs).to_string().parse().expect("header"),
            );
            r
        }
        FaultKind::RetryAfter { secs } => {
            let mut r = error(429, "Too many requests");
            r.headers_mut()
                .insert("retry-after", secs.to_string().parse().expect("header"));
            r
        }
        FaultKind::SecondaryLimit => {
            let mut r = error(
                403,
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            );
            let h = r.headers_mut();
            for name in [
                "x-ratelimit-limit",
                "x-ratelimit-remaining",
                "x-ratelimit-used",
            ] {
                h.remove(name);
            }
            r
        }
        FaultKind::Drop | FaultKind::LoseAnswer | FaultKind::Slow(_) => return None,
    })
}

fn status_message(status: u16) -> &'static str {
    match status {
        401 => "Bad credentials",
        403 => "Resource not accessible by integration",
        404 => "Not Found",
        422 => "Validation Failed",
        500 => "Internal Server Error",
        502 => "Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

async fn handle(
    state: Arc<Mutex<State>>,
    started: Instant,
    req: Request<Incoming>,
) -> Result<Answer, std::io::Error> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let mut headers = BTreeMap::new();
    let mut authorized = false;
    let mut auth_kind = None;
    for (name, value) in req.headers() {
        if name == hyper::header::AUTHORIZATION {
            authorized = true;
            let secret = value.to_str().unwrap_or("");
            let secret = secret.split_whitespace().last().unwrap_or("");
            auth_kind = Some(if secret.starts_with(INSTALLATION_TOKEN_PREFIX) {
                "installation"
            } else if secret.starts_with("eyJ") && secret.matches('.').count() == 2 {
                "jwt"
            } else {
                "token"
            });
            continue;
        }
        headers.insert(
            name.as_str().to_string(),
            value.to_str().unwrap_or("").to_string(),
        );
    }
    let host = headers.get("host").cloned().unwrap_or_default();
    let body = req
        .into_body()
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    let body = String::from_utf8_lossy(&body).into_owned();
    let (latency, fault) = {
        let mut st = state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        st.requests.push(Recorded {
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            headers,
            authorized,
            auth_kind,
            body: body.clone(),
            at: started.elapsed(),
        });
        let mut fault = None;
        for f in &mut st.faults {
            if f.matches(&method, &path) {
                f.seen += 1;
                if f.seen > f.skip && f.seen - f.skip <= f.times {
                    fault = Some(f.kind.clone());
                    break;
                }
            }
        }
        (st.latency, fault)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match &fault {
        Some(FaultKind::Drop) => {
            // An error from the service makes hyper close the connection without an answer.
            return Err(std::io::Error::other("fault: dropped connection"));
        }
        Some(FaultKind::Slow(d)) => tokio::time::sleep(*d).await,
        Some(kind) => {
            if let Some(answer) = fault_answer(kind) {
                return Ok(answer);
            }
        }
        None => {}
    }
    if !authorized {
        return Ok(error(401, "Requires authentication"));
    }
    let base = format!("http://{host}");
    let answer = {
        let mut st = state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // GitHub Enterprise Server serves the API under `/api/v3`.
        let api_path = path.strip_prefix("/api/v3").unwrap_or(&path);
        st.current_auth = auth_kind;
        route(&mut st, &base, &method, api_path, &query, &body)
    };
    if matches!(fault, Some(FaultKind::LoseAnswer)) {
        return Err(std::io::Error::other("fault: answer lost"));
    }
    Ok(answer)
}

fn query_map(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn user(login: &str) -> Value {
    json!({ "login": login, "id": 1, "node_id": "U_1", "type": "User", "site_admin": false,
            "html_url": format!("https://github.com/{login}") })
}

fn comment_json(base: &str, repo: &str, n: u64, id: u64, body: &str) -> Value {
    json!({
        "id": id, "node_id": format!("IC_{id}"),
        "url": format!("{base}/repos/{repo}/issues/comments/{id}"),
        "html_url": format!("{base}/{repo}/issues/{n}#issuecomment-{id}"),
        "body": body, "user": user("ecosync-bot"),
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
    })
}

fn pull_json(base: &str, repo: &str, p: &PullState) -> Value {
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
        "merged": false,
        "user": user("ecosync-bot"),
        "labels": p.labels.iter().map(|l| json!({"name": l, "color": "ededed", "default": false})).collect::<Vec<_>>(),
        "assignees": p.assignees.iter().map(|a| user(a)).collect::<Vec<_>>(),
        "requested_reviewers": p.reviewers.iter().map(|a| user(a)).collect::<Vec<_>>(),
        "requested_teams": p.team_reviewers.iter().map(|t| json!({"slug": t, "name": t})).collect::<Vec<_>>(),
        "head": { "label": format!("{owner}:{}", p.head), "ref": p.head, "sha": "0".repeat(40),
                  "repo": { "full_name": repo } },
        "base": { "label": format!("{owner}:{}", p.base), "ref": p.base, "sha": "0".repeat(40),
                  "repo": { "full_name": repo } },
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    })
}

fn issue_json(base: &str, repo: &str, i: &IssueState) -> Value {
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
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    })
}

fn strings(v: &Value, key: &str) -> Result<Vec<String>, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(String::from)
                    .ok_or_else(|| format!("`{key}` must be an array of strings"))
            })
            .collect(),
        Some(_) => Err(format!("`{key}` must be an array of strings")),
    }
}

// One request router: `st` (state), `r` (repository), `q` (query), `n` (number) read best short.
#[allow(clippy::many_single_char_names)]
fn route(st: &mut State, base: &str, method: &str, path: &str, query: &str, body: &str) -> Answer {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if method == "POST"
        && matches!(
            segs.as_slice(),
            ["app", "installations", _, "access_tokens"]
        )
    {
        let expires = SystemTime::now() + Duration::from_secs(3600);
        return respond(
            201,
            Some(json!({
                "token": format!("{INSTALLATION_TOKEN_PREFIX}{}", segs[2]),
                "expires_at": humantime::format_rfc3339_seconds(expires).to_string(),
                "permissions": { "contents": "write", "pull_requests": "write", "issues": "write" },
                "repository_selection": "all",
            })),
        );
    }
    let installation = st.current_auth == Some("installation");
    match (method, segs.as_slice()) {
        // A personal token has a user; an installation token (a workflow's GITHUB_TOKEN) gets 403.
        ("GET", ["user"]) if installation => {
            return error(403, "Resource not accessible by integration");
        }
        ("GET", ["user"]) => {
            return respond(
                200,
                Some(json!({"login": "ecosync-bot", "id": 1, "type": "User"})),
            );
        }
        ("GET", ["installation", "repositories"]) if installation => {
            let repos: Vec<Value> = st
                .repos
                .keys()
                .map(|r| json!({"full_name": r, "name": r.split('/').nth(1)}))
                .collect();
            return respond(
                200,
                Some(json!({"total_count": repos.len(), "repositories": repos})),
            );
        }
        ("GET", ["installation", "repositories"]) => {
            return error(
                403,
                "You must authenticate with an installation access token",
            );
        }
        _ => {}
    }
    if segs.len() < 3 || segs[0] != "repos" {
        return error(404, "Not Found");
    }
    let repo = format!("{}/{}", segs[1], segs[2]);
    let rest = &segs[3..];
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
    let q = query_map(query);
    match (method, rest) {
        ("GET", []) => {
            let mut found = json!({
                "id": 1, "node_id": "R_1", "name": segs[2], "full_name": repo, "private": false,
                "owner": user(segs[1]), "html_url": format!("{base}/{repo}"),
                "default_branch": r.default_branch,
            });
            found["fork"] = json!(r.parent.is_some());
            if let Some(parent) = &r.parent {
                found["parent"] = json!({"full_name": parent, "name": parent.split('/').nth(1)});
            }
            // GitHub shows a personal token its role; an installation token gets no `permissions`.
            if !installation {
                found["permissions"] = r.role.clone().unwrap_or_else(|| {
                    json!({"admin": true, "maintain": true, "push": true, "triage": true, "pull": true})
                });
            }
            respond(200, Some(found))
        }
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
        ("POST", ["dispatches"]) => {
            let event_type = parsed.get("event_type").and_then(Value::as_str);
            match event_type {
                Some(e) if !e.is_empty() && e.chars().count() <= 100 => {}
                _ => return unprocessable("event_type must be a string of 1 to 100 characters"),
            }
            match parsed.get("client_payload") {
                None => {}
                Some(Value::Object(map)) => {
                    if map.len() > 10 {
                        return unprocessable(
                            "client_payload has more than 10 top-level properties",
                        );
                    }
                    if Value::Object(map.clone()).to_string().len() > 65_535 {
                        return unprocessable("client_payload is too large");
                    }
                }
                Some(_) => return unprocessable("client_payload must be an object"),
            }
            r.dispatches.push(parsed);
            respond(204, None)
        }
        ("GET", ["pulls"]) => {
            let state = q.get("state").map_or("open", String::as_str);
            // GitHub ignores a head filter without `owner:` (and returns every pull request).
            let head = q
                .get("head")
                .and_then(|h| h.split_once(':'))
                .map(|(o, b)| (o.to_string(), b.to_string()));
            let owner = segs[1];
            let list: Vec<Value> = r
                .pulls
                .iter()
                .filter(|p| state == "all" || p.state == state)
                .filter(|p| {
                    head.as_ref()
                        .is_none_or(|(o, b)| o == owner && *b == p.head)
                })
                .filter(|p| q.get("base").is_none_or(|b| *b == p.base))
                .map(|p| pull_json(base, &repo, p))
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
                    segs[1]
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
            };
            let v = pull_json(base, &repo, &p);
            r.pulls.push(p);
            respond(201, Some(v))
        }
        ("PATCH", ["pulls", n]) => {
            let Some(p) = n
                .parse::<u64>()
                .ok()
                .and_then(|n| r.pulls.iter_mut().find(|p| p.number == n))
            else {
                return error(404, "Not Found");
            };
            if let Some(t) = parsed.get("title").and_then(Value::as_str) {
                p.title = t.into();
            }
            if let Some(b) = parsed.get("body").and_then(Value::as_str) {
                p.body = b.into();
            }
            match parsed.get("state").and_then(Value::as_str) {
                Some(s @ ("open" | "closed")) => p.state = s.into(),
                Some(_) => return unprocessable("state must be open or closed"),
                None => {}
            }
            let v = pull_json(base, &repo, p);
            respond(200, Some(v))
        }
        ("POST", ["pulls", n, "requested_reviewers"]) => {
            let (users, teams) = match (
                strings(&parsed, "reviewers"),
                strings(&parsed, "team_reviewers"),
            ) {
                (Ok(u), Ok(t)) => (u, t),
                (Err(e), _) | (_, Err(e)) => return unprocessable(&e),
            };
            let Some(p) = n
                .parse::<u64>()
                .ok()
                .and_then(|n| r.pulls.iter_mut().find(|p| p.number == n))
            else {
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
            let v = pull_json(base, &repo, p);
            respond(201, Some(v))
        }
        ("GET", ["issues"]) => {
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
                .map(|i| (i.number, issue_json(base, &repo, i)))
                .collect();
            for p in r
                .pulls
                .iter()
                .filter(|p| state == "all" || p.state == state)
            {
                if wanted.iter().all(|w| p.labels.contains(w)) {
                    let mut v = pull_json(base, &repo, p);
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
            let labels = match strings(&parsed, "labels") {
                Ok(l) => l,
                Err(e) => return unprocessable(&e),
            };
            let assignees = match strings(&parsed, "assignees") {
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
            let v = issue_json(base, &repo, &i);
            r.issues.push(i);
            respond(201, Some(v))
        }
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
                    comment_json(base, &repo, n, id, body)
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
                Some(comment_json(base, &repo, n, id.parse().unwrap_or(0), body)),
            )
        }
        ("POST", ["issues", n, what @ ("labels" | "assignees" | "comments")]) => {
            let Ok(n) = n.parse::<u64>() else {
                return error(404, "Not Found");
            };
            let key = *what;
            let list = if key == "comments" {
                match parsed.get("body").and_then(Value::as_str) {
                    Some(b) => vec![b.to_string()],
                    None => return unprocessable("body is a required string"),
                }
            } else {
                match parsed.get(key) {
                    Some(Value::Array(_)) => match strings(&parsed, key) {
                        Ok(l) => l,
                        Err(e) => return unprocessable(&e),
                    },
                    _ => return unprocessable(&format!("`{key}` must be an array of strings")),
                }
            };
            let mut issue_value = None;
            if let Some(i) = r.issues.iter_mut().find(|i| i.number == n) {
                let target = match key {
                    "labels" => &mut i.labels,
                    "assignees" => &mut i.assignees,
                    _ => &mut i.comments,
                };
                for item in &list {
                    if key == "comments" || !target.contains(item) {
                        target.push(item.clone());
                    }
                }
                issue_value = Some(issue_json(base, &repo, i));
            } else if let Some(p) = r.pulls.iter_mut().find(|p| p.number == n) {
                match key {
                    "labels" => p.labels.extend(
                        list.iter()
                            .filter(|l| !p.labels.contains(l))
                            .cloned()
                            .collect::<Vec<_>>(),
                    ),
                    "assignees" => p.assignees.extend(
                        list.iter()
                            .filter(|l| !p.assignees.contains(l))
                            .cloned()
                            .collect::<Vec<_>>(),
                    ),
                    _ => r.pull_comments.entry(n).or_default().extend(list.clone()),
                }
                let mut v = pull_json(base, &repo, p);
                v["pull_request"] = json!({ "url": v["url"].clone() });
                issue_value = Some(v);
            }
            let Some(v) = issue_value else {
                return error(404, "Not Found");
            };
            if key == "comments" {
                let len = r
                    .issues
                    .iter()
                    .find(|i| i.number == n)
                    .map(|i| i.comments.len())
                    .or_else(|| r.pull_comments.get(&n).map(Vec::len))
                    .unwrap_or(0);
                r.comment_ids.insert(next_id, (n, len.saturating_sub(1)));
            }
            match key {
                "labels" => respond(200, Some(v["labels"].clone())),
                "assignees" => respond(201, Some(v)),
                _ => respond(
                    201,
                    Some(json!({
                        "id": next_id, "node_id": format!("IC_{next_id}"),
                        "url": format!("{base}/repos/{repo}/issues/comments/{next_id}"),
                        "html_url": format!("{base}/{repo}/issues/{n}#issuecomment-{next_id}"),
                        "body": list[0], "user": user("ecosync-bot"),
                        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
                    })),
                ),
            }
        }
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
        ("GET", ["git", "ref", name @ ..]) => {
            let full = format!("refs/{}", name.join("/"));
            match r.refs.get(&full) {
                Some(sha) => respond(200, Some(ref_json(base, &repo, &full, sha))),
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
            respond(201, Some(ref_json(base, &repo, name, sha)))
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
            respond(200, Some(ref_json(base, &repo, &full, sha)))
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

fn ref_json(base: &str, repo: &str, name: &str, sha: &str) -> Value {
    json!({
        "ref": name, "node_id": "REF_1", "url": format!("{base}/repos/{repo}/git/{name}"),
        "object": { "type": "commit", "sha": sha, "url": format!("{base}/repos/{repo}/git/commits/{sha}") },
    })
}
