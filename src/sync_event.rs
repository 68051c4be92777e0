//! `SyncEvent`: what the subscriber is asked to sync, read from a `repository_dispatch` event (the shared
//! [`Payload`], or the original design's minimal `{updated_feature, commit_sha}`) or from the command line.

use git2::Oid;
use serde::Deserialize;
use serde_json::Value;

use crate::cousin_config::Subscription;
use crate::payload::Payload;
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
    #[error("`commit_sha` `{0}` is not 40 hexadecimal characters")]
    Sha(String),
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
        return Err(SyncEventError::Sha(s.to_owned()));
    }
    Oid::from_str(s).map_err(|_| SyncEventError::Sha(s.to_owned()))
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
        if value.get("ecosync").is_some() {
            let p: Payload = serde_json::from_value(value).map_err(shape)?;
            let mut features = p.updated_features;
            if features.is_empty() {
                features.push(p.updated_feature);
            }
            Ok(SyncEvent {
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
            })
        } else {
            let p: MinimalPayload = serde_json::from_value(value).map_err(shape)?;
            Ok(SyncEvent {
                source_repo: p.source_repo,
                commit: Some(parse_full_sha(&p.commit_sha)?),
                features: vec![p.updated_feature],
                changed_paths: Vec::new(),
                dispatch_id: p.dispatch_id,
                manual: false,
            })
        }
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
        lit.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
    } else {
        lit
    };
    lit.trim_end_matches('/').to_owned()
}

fn contains_dir(dir: &str, path: &str) -> bool {
    path == dir || (path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/'))
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        return "nothing".to_owned();
    }
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
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
}
