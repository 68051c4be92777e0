//! How the fake answers: GitHub's headers (API version, a rate limit far from spent), its error bodies
//! (`message`, `documentation_url`; a 422's `errors`), and the user object its resources embed.

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Response, StatusCode};
use serde_json::{Value, json};

/// One answer, as hyper sends it.
pub(super) type Answer = Response<Full<Bytes>>;

/// An answer with this status and JSON body (none for `None`), and GitHub's headers.
pub(super) fn respond(status: u16, body: Option<Value>) -> Answer {
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

/// A GitHub error: `message`, `documentation_url` and `status`.
pub(super) fn error(status: u16, message: &str) -> Answer {
    respond(
        status,
        Some(json!({
            "message": message,
            "documentation_url": "https://docs.github.com/rest",
            "status": status.to_string(),
        })),
    )
}

/// GitHub's 422 "Validation Failed", with `message` as its one error.
pub(super) fn unprocessable(message: &str) -> Answer {
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

/// The user object GitHub embeds (an author, an assignee, a reviewer).
pub(super) fn user(login: &str) -> Value {
    json!({ "login": login, "id": 1, "node_id": "U_1", "type": "User", "site_admin": false,
            "html_url": format!("https://github.com/{login}") })
}
