//! `SyncEvent`: what the subscriber is asked to sync, read from a `repository_dispatch` event (the shared
//! [`Payload`], or the original design's minimal `{updated_feature, commit_sha}`) or from the command line.

use std::fmt::Write as _;

use git2::Oid;
use serde::Deserialize;
use serde_json::Value;

use crate::config::subscription::Subscription;
use crate::error_kind::{ErrorKind, UserError};
use crate::payload::{PAYLOAD_VERSION, Payload};
use crate::repo_name::RepoName;

/// Why an event was rejected.
#[derive(Debug, thiserror::Error)]
pub enum SyncEventError {
    /// The event file is not JSON.
    #[error("event file `{file}` is not valid JSON: {source}")]
    Json {
        /// The file.
        file: String,
        /// The parser's error (with line and column).
        source: serde_json::Error,
    },
    /// The payload does not have the expected fields.
    #[error(
        "the payload in `{file}` is neither an ecosync payload nor `{{updated_feature, commit_sha}}`: {source}"
    )]
    Shape {
        /// The file.
        file: String,
        /// What serde found wrong.
        source: serde_json::Error,
    },
    /// `commit_sha` is not a full commit id.
    #[error("`commit_sha` {0} is not 40 hexadecimal characters")]
    Sha(Shown),
    /// `dispatch_id` holds characters an identifier or URL never has.
    #[error(
        "`dispatch_id` {0} is not an identifier (1 to {MAX_DISPATCH_ID} characters without spaces, quotes, \
         brackets or control characters)"
    )]
    DispatchId(Shown),
    /// A feature holds a control character (a newline could forge lines in the run's log).
    #[error("`{field}` holds a control character: {value}")]
    Control {
        /// The payload field.
        field: &'static str,
        /// The offending value, escaped.
        value: Shown,
    },
    /// The payload is larger than GitHub ever delivers.
    #[error(
        "the payload in `{file}` is {bytes} bytes, more than the {MAX_EVENT_PAYLOAD_BYTES} GitHub accepts; \
         the event is rejected"
    )]
    TooLarge {
        /// The file.
        file: String,
        /// The payload's serialized size.
        bytes: usize,
    },
    /// The payload lists more features or paths than any dispatcher sends.
    #[error(
        "the payload lists {count} `{field}`, more than the {max} accepted; the event is rejected"
    )]
    TooMany {
        /// The payload field.
        field: &'static str,
        /// How many it lists.
        count: usize,
        /// The bound.
        max: usize,
    },
    /// The payload was written by a newer (or unknown) dispatcher.
    #[error(
        "the payload is version {got} (`\"ecosync\": {got}`), but this subscriber understands version \
         {PAYLOAD_VERSION}; the event is rejected"
    )]
    Version {
        /// The payload's `ecosync` version.
        got: u64,
    },
}

impl UserError for SyncEventError {
    /// The event is refused.
    fn kind(&self) -> ErrorKind {
        ErrorKind::Rejected
    }

    fn hint(&self) -> Option<String> {
        match self {
            SyncEventError::Version { got } if *got > u64::from(PAYLOAD_VERSION) => Some(
                "upgrade the subscriber (the `ecosync` version pinned in this repository's workflow) to one \
                 that understands this payload version"
                    .to_owned(),
            ),
            _ => None,
        }
    }
}

/// The longest `dispatch_id` accepted (a run URL is far shorter).
pub const MAX_DISPATCH_ID: usize = 300;

/// The largest `client_payload` accepted, serialized, in bytes: GitHub's documented limit for a
/// `repository_dispatch` payload (the dispatcher sends at most [`crate::payload::MAX_PAYLOAD_BYTES`]).
pub const MAX_EVENT_PAYLOAD_BYTES: usize = 65_536;

/// The most `updated_features` accepted: one per subscription pattern of an ecosystem entry, far more than
/// any entry lists.
pub const MAX_FEATURES: usize = 500;

/// The most `changed_paths` accepted (a 60 KB payload of the shortest paths holds about 15,000).
pub const MAX_CHANGED_PATHS: usize = 20_000;

/// A value from the payload, made safe to print: control characters escaped (so a newline in a payload can
/// never start a line of its own, which GitHub Actions would read as a workflow command), cut to 100
/// characters, in backticks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown(String);

impl Shown {
    fn new(raw: &str) -> Self {
        let mut s: String = raw
            .chars()
            .take(100)
            .collect::<String>()
            .escape_debug()
            .to_string();
        if raw.chars().count() > 100 {
            s.push('…');
        }
        Shown(s)
    }
}

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`", self.0)
    }
}

/// The original design's payload.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MinimalPayload {
    updated_feature: String,
    commit_sha: String,
    #[serde(default)]
    source_repo: Option<RepoName>,
    #[serde(default)]
    dispatch_id: Option<String>,
}

/// One request to sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncEvent {
    /// The repository the dispatcher says the change comes from, when it says.
    pub source_repo: Option<RepoName>,
    /// The upstream commit, or `None` for "the tip of the upstream branch".
    pub commit: Option<Oid>,
    /// The features the dispatcher credited (empty for a manual run, which syncs every subscription).
    pub features: Vec<String>,
    /// The changed paths the dispatcher reported.
    pub changed_paths: Vec<String>,
    /// The dispatch identifier, to follow a dispatch to its result.
    pub dispatch_id: Option<String>,
    /// True for `--sha`/`--latest` runs.
    pub manual: bool,
}

/// Parses a full 40-character hexadecimal commit id.
pub fn parse_full_sha(s: &str) -> Result<Oid, SyncEventError> {
    if s.len() != 40 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SyncEventError::Sha(Shown::new(s)));
    }
    Oid::from_str(s).map_err(|_| SyncEventError::Sha(Shown::new(s)))
}

impl SyncEvent {
    /// Reads the event file's text: a whole GitHub event (its `client_payload` is used) or the payload.
    pub fn from_json_str(text: &str, file: &str) -> Result<SyncEvent, SyncEventError> {
        let mut value: Value =
            serde_json::from_str(text).map_err(|source| SyncEventError::Json {
                file: file.to_owned(),
                source,
            })?;
        if let Some(inner) = value.get_mut("client_payload") {
            value = inner.take();
        }
        let shape = |source| SyncEventError::Shape {
            file: file.to_owned(),
            source,
        };
        // Re-serialized, so the size is the payload's own, not that of the event around it.
        let bytes = serde_json::to_vec(&value).map_or(usize::MAX, |v| v.len());
        if bytes > MAX_EVENT_PAYLOAD_BYTES {
            return Err(SyncEventError::TooLarge {
                file: file.to_owned(),
                bytes,
            });
        }
        // The version first: a newer payload may have fields this build does not know.
        if let Some(got) = value.get("ecosync").and_then(Value::as_u64)
            && got != u64::from(PAYLOAD_VERSION)
        {
            return Err(SyncEventError::Version { got });
        }
        let event = if value.get("ecosync").is_some() {
            let p: Payload = serde_json::from_value(value).map_err(shape)?;
            let mut features = p.updated_features;
            if features.is_empty() {
                features.push(p.updated_feature);
            }
            SyncEvent {
                source_repo: Some(p.source_repo),
                commit: Some(parse_full_sha(&p.commit_sha)?),
                features,
                changed_paths: if p.changed_paths_truncated {
                    Vec::new()
                } else {
                    p.changed_paths
                },
                dispatch_id: p.dispatch_id,
                manual: false,
            }
        } else {
            let p: MinimalPayload = serde_json::from_value(value).map_err(shape)?;
            SyncEvent {
                source_repo: p.source_repo,
                commit: Some(parse_full_sha(&p.commit_sha)?),
                features: vec![p.updated_feature],
                changed_paths: Vec::new(),
                dispatch_id: p.dispatch_id,
                manual: false,
            }
        };
        event.check_printable()?;
        Ok(event)
    }

    /// Refuses payloads that no dispatcher sends: more features or paths than [`MAX_FEATURES`] and
    /// [`MAX_CHANGED_PATHS`], a control character in a feature (a feature is a subscription pattern, which
    /// never holds one), or a `dispatch_id` that is not a plain identifier or URL. A changed path with a
    /// control character is data (git allows a newline in a file name): it is escaped wherever shown.
    fn check_printable(&self) -> Result<(), SyncEventError> {
        for (field, values, max) in [
            ("updated_features", &self.features, MAX_FEATURES),
            ("changed_paths", &self.changed_paths, MAX_CHANGED_PATHS),
        ] {
            if values.len() > max {
                return Err(SyncEventError::TooMany {
                    field,
                    count: values.len(),
                    max,
                });
            }
        }
        if let Some(v) = self
            .features
            .iter()
            .find(|v| v.chars().any(char::is_control))
        {
            return Err(SyncEventError::Control {
                field: "updated_features",
                value: Shown::new(v),
            });
        }
        if let Some(id) = &self.dispatch_id {
            let ok = !id.is_empty()
                && id.chars().count() <= MAX_DISPATCH_ID
                && id
                    .chars()
                    .all(|c| c.is_ascii_graphic() && !"\"'`<>[]{}\\|^".contains(c));
            if !ok {
                return Err(SyncEventError::DispatchId(Shown::new(id)));
            }
        }
        Ok(())
    }

    /// A manual request for one commit (`None`: the upstream branch's tip).
    pub fn manual(commit: Option<Oid>) -> SyncEvent {
        SyncEvent {
            source_repo: None,
            commit,
            features: Vec::new(),
            changed_paths: Vec::new(),
            dispatch_id: None,
            manual: true,
        }
    }

    /// The subscriptions this event concerns, or `Err` with why none does. Manual runs concern all.
    pub fn concerned<'s>(&self, subs: &'s [Subscription]) -> Result<Vec<&'s Subscription>, String> {
        if self.manual {
            return Ok(subs.iter().collect());
        }
        let hit: Vec<&Subscription> = subs
            .iter()
            .filter(|s| {
                self.changed_paths.iter().any(|p| s.path.contains(p))
                    || self.features.iter().any(|f| {
                        let prefix = literal_prefix(f);
                        s.path.contains(&prefix)
                            || (prefix.is_empty() || contains_dir(&prefix, s.path.as_str()))
                    })
            })
            .collect();
        if hit.is_empty() {
            Err(format!(
                "the event updates {} and this repository subscribes to {}",
                list(&self.features),
                list(&subs.iter().map(|s| s.path.to_string()).collect::<Vec<_>>())
            ))
        } else {
            Ok(hit)
        }
    }
}

/// The directory part of a feature pattern before any glob character: `features/x/**` -> `features/x`.
fn literal_prefix(feature: &str) -> String {
    let cut = feature
        .find(['*', '?', '[', '{', '!'])
        .unwrap_or(feature.len());
    let lit = &feature[..cut];
    let lit = if cut < feature.len() {
        lit.rsplit_once('/').map_or("", |(d, _)| d)
    } else {
        lit
    };
    lit.trim_end_matches('/').to_owned()
}

fn contains_dir(dir: &str, path: &str) -> bool {
    path == dir || (path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/'))
}

/// At most 10 items, each escaped and cut like a [`Shown`], then how many were left out.
fn list(items: &[String]) -> String {
    const MAX_LISTED: usize = 10;
    if items.is_empty() {
        return "nothing".to_owned();
    }
    let mut out = items
        .iter()
        .take(MAX_LISTED)
        .map(|i| Shown::new(i).to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > MAX_LISTED {
        let _ = write!(out, " and {} more", items.len() - MAX_LISTED);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo_path::RepoPath;

    fn sub(p: &str) -> Subscription {
        Subscription {
            path: RepoPath::parse(p).unwrap(),
            to: RepoPath::parse(p).unwrap(),
        }
    }

    #[test]
    fn minimal_payload_and_whole_event() {
        let sha = "a".repeat(40);
        let text = format!(
            r#"{{"action": "x", "client_payload": {{"updated_feature": "features/x", "commit_sha": "{sha}"}}}}"#
        );
        let e = SyncEvent::from_json_str(&text, "e.json").unwrap();
        assert_eq!(e.features, ["features/x"]);
        assert!(e.source_repo.is_none());
    }

    #[test]
    fn rejects_short_sha_and_unknown_keys() {
        let e = SyncEvent::from_json_str(r#"{"updated_feature": "x", "commit_sha": "abc"}"#, "e");
        assert!(matches!(e, Err(SyncEventError::Sha(_))));
        let sha = "a".repeat(40);
        let e = SyncEvent::from_json_str(
            &format!(r#"{{"updated_feature": "x", "commit_sha": "{sha}", "url": "evil"}}"#),
            "e",
        );
        assert!(matches!(e, Err(SyncEventError::Shape { .. })));
    }

    #[test]
    fn subscription_matching() {
        let mut e = SyncEvent::manual(None);
        e.manual = false;
        e.features = vec!["features/x/**".into()];
        let subs = [sub("features/x"), sub("features/y")];
        assert_eq!(e.concerned(&subs).unwrap().len(), 1);
        e.features = vec!["features/z".into()];
        assert!(e.concerned(&subs).unwrap_err().contains("features/z"));
        e.changed_paths = vec!["features/y/a.txt".into()];
        assert_eq!(e.concerned(&subs).unwrap()[0].path.as_str(), "features/y");
    }

    #[test]
    fn payload_strings_that_could_forge_output_are_rejected() {
        let sha = "a".repeat(40);
        let ev = |extra: &str| {
            SyncEvent::from_json_str(
                &format!(r#"{{"updated_feature": "f", "commit_sha": "{sha}"{extra}}}"#),
                "e.json",
            )
        };
        assert!(ev(r#", "dispatch_id": "https://github.com/acme/mono/actions/runs/42""#).is_ok());
        let e = ev(r#", "dispatch_id": "x\n::add-mask::y""#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(r"`x\n::add-mask::y`") && !e.contains('\n'),
            "{e}"
        );
        let e = ev(r#", "dispatch_id": "[click](https://evil.example)""#)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("`dispatch_id`"), "{e}");
        let e = SyncEvent::from_json_str(
            &format!(r#"{{"updated_feature": "f\n::stop-commands::t", "commit_sha": "{sha}"}}"#),
            "e.json",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("`updated_features` holds a control character") && !e.contains('\n'),
            "{e}"
        );
        let e = parse_full_sha("zz\n::error::x").unwrap_err().to_string();
        assert!(!e.contains('\n'), "{e}");
    }
}
