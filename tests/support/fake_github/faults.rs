//! Fault injection: which requests fail (method, path, from the Nth matching call, how many times) and how
//! (a status, a dropped connection, a lost answer, a slow answer, the three kinds of rate limit, a hang).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::answer::{Answer, error};

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
    /// Hold the client for ever (see [`Misbehavior`]).
    Hang(super::misbehave::Misbehavior),
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

/// How the request `method path` fails, if a rule applies: each matching rule counts the call, and the
/// first whose turn it is wins.
pub(super) fn triggered(faults: &mut [Fault], method: &str, path: &str) -> Option<FaultKind> {
    for f in faults {
        if f.matches(method, path) {
            f.seen += 1;
            if f.seen > f.skip && f.seen - f.skip <= f.times {
                return Some(f.kind.clone());
            }
        }
    }
    None
}

pub(super) fn fault_answer(kind: &FaultKind) -> Option<Answer> {
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
        FaultKind::Drop | FaultKind::LoseAnswer | FaultKind::Slow(_) | FaultKind::Hang(_) => {
            return None;
        }
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
