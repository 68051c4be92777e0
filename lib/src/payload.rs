//! `Payload`: the `client_payload` of a `repository_dispatch` event, the contract between dispatcher and
//! subscriber.
//!
//! It is versioned (`ecosync`), has at most 10 top-level properties (GitHub's limit) and is kept under
//! GitHub's size limit by truncating `changed_paths` rather than failing.

use serde::{Deserialize, Serialize};

use crate::repo_name::RepoName;

/// The payload schema version this build writes and understands.
pub const PAYLOAD_VERSION: u32 = 1;

/// The largest serialized `client_payload` we send, in bytes.
///
/// GitHub documents 64 KB for the whole payload and Actions 65,535 characters; we stay under the stricter
/// one with room for the `event_type` and the JSON envelope around the payload.
pub const MAX_PAYLOAD_BYTES: usize = 60_000;

/// The longest `event_type` GitHub accepts, in characters.
pub const MAX_EVENT_TYPE_CHARS: usize = 100;

/// Checks an `event_type` against GitHub's limit: 1 to [`MAX_EVENT_TYPE_CHARS`] characters.
pub fn check_event_type(event_type: &str) -> Result<(), String> {
    let chars = event_type.chars().count();
    if chars == 0 || chars > MAX_EVENT_TYPE_CHARS {
        return Err(format!(
            "event type `{event_type}` has {chars} characters; GitHub accepts 1 to {MAX_EVENT_TYPE_CHARS}"
        ));
    }
    Ok(())
}

/// The `client_payload` of one dispatch.
///
/// Field order is the wire order. `updated_feature` is kept for listeners written for the original design,
/// which read only that key and `commit_sha`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    /// Payload schema version ([`PAYLOAD_VERSION`]).
    pub ecosync: u32,
    /// The repository the change comes from.
    pub source_repo: RepoName,
    /// The ref that was pushed, `refs/heads/main`.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// The commit the diff starts from.
    pub base_sha: String,
    /// The commit that was pushed (the head of the diff).
    pub commit_sha: String,
    /// The first credited feature (subscription pattern as written).
    pub updated_feature: String,
    /// Every credited feature, in the entry's order.
    pub updated_features: Vec<String>,
    /// The changed paths this repository subscribed to, possibly truncated.
    pub changed_paths: Vec<String>,
    /// True when `changed_paths` was cut to fit GitHub's size limit.
    pub changed_paths_truncated: bool,
    /// An identifier of this delivery that the subscriber prints and puts in its pull request, so a dispatch
    /// can be followed to its result (the dispatcher's run URL under Actions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatch_id: Option<String>,
}

impl Payload {
    /// The payload serialized as GitHub will receive it.
    pub fn to_json(&self) -> serde_json::Value {
        // Serializing a struct of strings, bools and numbers cannot fail.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The serialized size in bytes.
    pub fn serialized_len(&self) -> usize {
        serde_json::to_vec(self).map_or(usize::MAX, |v| v.len())
    }

    /// Drops trailing `changed_paths` until the payload fits in `max_bytes`, and sets
    /// `changed_paths_truncated` if any were dropped. Returns whether it fits afterwards (it may not if the
    /// feature names alone are too long).
    pub fn fit_to(&mut self, max_bytes: usize) -> bool {
        let len = self.serialized_len();
        if len <= max_bytes {
            return true;
        }
        self.changed_paths_truncated = true;
        // Each path costs its JSON-escaped length plus quotes and a comma; drop from the end until it fits.
        let mut over = len.saturating_sub(max_bytes) + "true".len();
        while over > 0 {
            let Some(p) = self.changed_paths.pop() else {
                break;
            };
            let cost = serde_json::to_string(&p).map_or(p.len(), |s| s.len()) + 1;
            over = over.saturating_sub(cost);
        }
        self.serialized_len() <= max_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(paths: usize) -> Payload {
        Payload {
            ecosync: PAYLOAD_VERSION,
            source_repo: RepoName::parse("acme/mono").unwrap(),
            git_ref: "refs/heads/main".into(),
            base_sha: "a".repeat(40),
            commit_sha: "b".repeat(40),
            updated_feature: "features/x".into(),
            updated_features: vec!["features/x".into()],
            changed_paths: (0..paths)
                .map(|i| format!("features/x/file-{i:06}.txt"))
                .collect(),
            changed_paths_truncated: false,
            dispatch_id: None,
        }
    }

    #[test]
    fn at_most_ten_properties() {
        let mut p = sample(1);
        p.dispatch_id = Some("x".into());
        assert!(p.to_json().as_object().unwrap().len() <= 10);
    }

    #[test]
    fn truncates_paths_to_fit() {
        let mut p = sample(10_000);
        assert!(p.serialized_len() > MAX_PAYLOAD_BYTES);
        assert!(p.fit_to(MAX_PAYLOAD_BYTES));
        assert!(p.changed_paths_truncated);
        assert!(p.serialized_len() <= MAX_PAYLOAD_BYTES);
        assert!(p.changed_paths.len() > 100);
    }

    #[test]
    fn small_payload_untouched() {
        let mut p = sample(3);
        assert!(p.fit_to(MAX_PAYLOAD_BYTES));
        assert!(!p.changed_paths_truncated);
        assert_eq!(p.changed_paths.len(), 3);
    }
}
