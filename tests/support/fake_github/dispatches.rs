//! `POST /repos/{r}/dispatches`: a repository dispatch, checked as GitHub checks it (an `event_type` of 1 to
//! 100 characters, a `client_payload` object of at most 10 top-level properties and 65,535 bytes), kept, and
//! answered 204 with no body.

use serde_json::Value;

use super::answer::{Answer, error, respond, unprocessable};
use super::routes::RepoCall;
use super::state::RepoState;

/// Answers `/repos/{r}/dispatches`.
pub(super) fn route(call: &RepoCall, r: &mut RepoState) -> Answer {
    let parsed = &call.body;
    match (call.method, call.rest) {
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
            r.dispatches.push(parsed.clone());
            respond(204, None)
        }
        _ => error(404, "Not Found"),
    }
}
