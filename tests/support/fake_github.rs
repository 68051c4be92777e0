//! `FakeGitHub`: a stateful stand-in for GitHub's REST API on loopback, started per test (or per benchmark).
//!
//! It implements the endpoints the forge layer uses, with GitHub's status codes and response shapes:
//! repository dispatch (204, no body), get repository, list/create/update pull requests, request
//! reviewers, labels, assignees, list/create issues, comments, git refs, commit statuses (create, list),
//! and the app installation lookup.
//! It checks request bodies the way GitHub does (Prism does not check issue bodies), records every request
//! (without the `Authorization` header) with its arrival time, and can be told to fail: a status, a
//! dropped connection, a slow answer, the three kinds of rate limit, a hang (never answering, stalling after
//! the headers, dripping a byte a second), on a route, on a repository, from the Nth matching call, as many
//! times as asked. `set_latency` adds a delay to every answer (benchmarks). With `serve_git` it also
//! answers git's smart HTTP for the bare repositories of a directory, at `/OWNER/NAME.git` (the faults
//! apply there too), as a GitHub host serves both.
//!
//! Its parts, in `fake_github/`: the server and what it does with every request (`server`), what a test
//! sets up and reads back (`control`), the state (`state`), fault injection (`faults`), how answers and
//! request parameters look (`answer`, `params`), how a server hangs (`misbehave`), git's smart HTTP
//! (`git_http`), `routes`, which hands each request to its resource, and
//! one file per resource: the repository itself, dispatches, pull requests, issues, comments, git refs and
//! branches, commit statuses, and permissions (users, app installations, what a token may do).
//!
//! Self-contained so that `benches/` can include it with `#[path]`. A file included that way looks for its
//! modules beside itself, not in `fake_github/`, so each part is named with `#[path]` too.

// A benchmark uses only `FakeGitHub`: the rest of the API, and of what it re-exports, is unused there.
#![allow(dead_code, unused_imports)]

#[path = "fake_github/answer.rs"]
mod answer;
#[path = "fake_github/comments.rs"]
mod comments;
#[path = "fake_github/control.rs"]
mod control;
#[path = "fake_github/dispatches.rs"]
mod dispatches;
#[path = "fake_github/faults.rs"]
mod faults;
#[path = "fake_github/git_http.rs"]
mod git_http;
#[path = "fake_github/issues.rs"]
mod issues;
#[path = "fake_github/misbehave.rs"]
mod misbehave;
#[path = "fake_github/params.rs"]
mod params;
#[path = "fake_github/permissions.rs"]
mod permissions;
#[path = "fake_github/pulls.rs"]
mod pulls;
#[path = "fake_github/refs.rs"]
mod refs;
#[path = "fake_github/repository.rs"]
mod repository;
#[path = "fake_github/routes.rs"]
mod routes;
#[path = "fake_github/server.rs"]
mod server;
#[path = "fake_github/state.rs"]
mod state;
#[path = "fake_github/statuses.rs"]
mod statuses;

pub use faults::{Fault, FaultKind};
pub use git_http::{GitRequest, backend as git_backend};
pub use misbehave::Misbehavior;
pub use permissions::INSTALLATION_TOKEN_PREFIX;
pub use server::FakeGitHub;
pub use state::Recorded;
