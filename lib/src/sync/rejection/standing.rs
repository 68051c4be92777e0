//! `Standing`: what ecosync recorded about one target's rejections and reversals, kept as a hidden,
//! machine-readable block in the target's issue in the source repository (see
//! [`rejection_issue`](super::rejection_issue)), and read back by [`recorded`] (one target) or
//! [`recorded_all`] (every target that reports to one repository: one request), for a fleet view, `plan`,
//! `forecast` and the dispatcher's report.
//!
//! The three states are named as everywhere else: `rejected` (the target's last sync pull request was
//! closed without merging and nothing was proposed since), `paused` (the same, with `on_rejection: pause`:
//! nothing is proposed until a person resumes it) and `reverted` (a synced change was undone on the base
//! branch since the last sync). The record only holds while its issue is open: the issue closes once the
//! target merges a sync again.

use serde::{Deserialize, Serialize};

use crate::forge::{Forge, ForgeError, Issue};
use crate::repo_name::RepoName;
use crate::sync::rejection::REJECTED_LABEL;

/// Where the record starts in the issue body.
const MARKER_START: &str = "<!-- ecosync-standing ";

/// Where it ends.
const MARKER_END: &str = " -->";

/// The version of the record's shape.
const RECORD_VERSION: u32 = 1;

/// A state a target can be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StandingState {
    /// Its last sync pull request was closed without merging, and nothing was proposed since.
    Rejected,
    /// Rejected with `on_rejection: pause`: nothing is proposed until a person resumes it.
    Paused,
    /// A synced change was undone on its base branch since the last sync.
    Reverted,
}

impl StandingState {
    /// `rejected`, `paused` or `reverted`.
    pub fn as_str(self) -> &'static str {
        match self {
            StandingState::Rejected => "rejected",
            StandingState::Paused => "paused",
            StandingState::Reverted => "reverted",
        }
    }
}

impl std::fmt::Display for StandingState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A sync pull request a person closed without merging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedPull {
    /// Its number in the target.
    pub number: u64,
    /// Where to see it.
    pub url: String,
    /// The upstream commit it carried (its last sync trailer): the head that is held.
    pub head: String,
    /// The upstream commits it brought that touch the subscriptions, newest first (at most 50).
    #[serde(default)]
    pub commits: Vec<String>,
    /// Who closed it (a login), when the forge says.
    #[serde(default)]
    pub closed_by: Option<String>,
    /// When it was closed (RFC 3339).
    #[serde(default)]
    pub closed_at: Option<String>,
    /// The last comment of whoever closed it, cut short (shown escaped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_comment: Option<String>,
}

/// A synced change undone on the target's base branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reversal {
    /// The target's commit that records the sync (its trailer, or its merged pull request).
    pub sync_commit: String,
    /// The upstream commit that sync brought.
    pub upstream: String,
    /// The base branch's head where the change was found undone.
    pub found_at: String,
    /// The target's paths put back to their content before the sync, sorted.
    pub paths: Vec<String>,
    /// When ecosync first saw it (RFC 3339).
    #[serde(default)]
    pub since: Option<String>,
}

/// The issue a record lives in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandingIssue {
    /// The repository the issue is in.
    pub place: RepoName,
    /// Its number.
    pub number: u64,
    /// Where to see it.
    pub url: String,
}

/// What ecosync recorded about one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    /// The version of this shape.
    pub version: u32,
    /// The target repository.
    pub target: RepoName,
    /// The repository its syncs come from.
    pub upstream: RepoName,
    /// The target's branch the syncs go into.
    #[serde(default)]
    pub base: String,
    /// The states that hold, sorted (`rejected`, `paused`, `reverted`); empty once the target was
    /// resumed (its pull request reopened, or proposed again) and before it merged a sync.
    pub states: Vec<StandingState>,
    /// Every rejection recorded since the target last merged a sync, oldest first: the last one is the one
    /// that holds while `states` has `rejected`.
    #[serde(default)]
    pub rejections: Vec<RejectedPull>,
    /// Every reversal recorded since the target's last sync, oldest first.
    #[serde(default)]
    pub reversals: Vec<Reversal>,
    /// When ecosync last changed the record (RFC 3339).
    pub updated_at: String,
    /// The issue it was read from (not part of the record itself).
    #[serde(skip)]
    pub issue: Option<StandingIssue>,
}

impl Standing {
    /// An empty record for `target`'s syncs from `upstream` into `base`.
    pub fn new(target: &RepoName, upstream: &RepoName, base: &str) -> Standing {
        Standing {
            version: RECORD_VERSION,
            target: target.clone(),
            upstream: upstream.clone(),
            base: base.to_owned(),
            states: Vec::new(),
            rejections: Vec::new(),
            reversals: Vec::new(),
            updated_at: String::new(),
            issue: None,
        }
    }

    /// Whether `state` holds.
    pub fn is(&self, state: StandingState) -> bool {
        self.states.contains(&state)
    }

    /// The rejection that holds: the last one recorded, while the target is `rejected`.
    pub fn rejection(&self) -> Option<&RejectedPull> {
        self.rejections
            .last()
            .filter(|_| self.is(StandingState::Rejected))
    }

    /// The reversal that holds: the last one recorded, while the target is `reverted`.
    pub fn reversal(&self) -> Option<&Reversal> {
        self.reversals
            .last()
            .filter(|_| self.is(StandingState::Reverted))
    }

    /// Since when the oldest state that holds does: the rejection's close, else the reversal's discovery.
    pub fn since(&self) -> Option<&str> {
        self.rejection()
            .and_then(|r| r.closed_at.as_deref())
            .or_else(|| self.reversal().and_then(|r| r.since.as_deref()))
    }

    /// The target's paths a reversal that holds put back.
    pub fn reverted_paths(&self) -> &[String] {
        self.reversal().map_or(&[], |r| r.paths.as_slice())
    }

    /// One line for people: `rejected: #3 was closed without merging (by alice); reverted: 2 paths`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(r) = self.rejection() {
            let state = if self.is(StandingState::Paused) {
                "paused"
            } else {
                "held"
            };
            parts.push(format!(
                "{state}: #{} was closed without merging{}",
                r.number,
                r.closed_by
                    .as_deref()
                    .map(|b| format!(" by `{}`", crate::escape::line(b)))
                    .unwrap_or_default()
            ));
        }
        if let Some(r) = self.reversal() {
            parts.push(format!(
                "reverted: {} path{} undone since the last sync",
                r.paths.len(),
                if r.paths.len() == 1 { "" } else { "s" }
            ));
        }
        parts.join("; ")
    }

    /// The record as the hidden block of the issue body. Everything that could end an HTML comment (`-`,
    /// `<`, `>`) is written as a JSON escape, so a file name cannot break out of it.
    pub fn marker(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        let safe = json
            .replace('-', "\\u002d")
            .replace('<', "\\u003c")
            .replace('>', "\\u003e");
        format!("{MARKER_START}{safe}{MARKER_END}")
    }

    /// The record in an issue body, when it carries one.
    pub fn from_body(body: &str) -> Option<Standing> {
        let start = body.find(MARKER_START)? + MARKER_START.len();
        let end = start + body[start..].find(MARKER_END)?;
        let standing: Standing = serde_json::from_str(&body[start..end]).ok()?;
        (standing.version == RECORD_VERSION).then_some(standing)
    }

    /// The record of an issue of `place`, with the issue.
    pub fn from_issue(issue: &Issue, place: &RepoName) -> Option<Standing> {
        let mut standing = Standing::from_body(&issue.body)?;
        standing.issue = Some(StandingIssue {
            place: place.clone(),
            number: issue.number,
            url: issue.html_url.clone(),
        });
        Some(standing)
    }
}

/// What ecosync recorded about `target`'s syncs from `upstream`, in the open issue it keeps in `place`
/// (where the target's failures go: by default `upstream` itself). `None` when there is no open issue,
/// which means nothing holds. One request.
pub async fn recorded(
    forge: &Forge,
    place: &RepoName,
    upstream: &RepoName,
    target: &RepoName,
) -> Result<Option<Standing>, ForgeError> {
    let title = super::rejection_issue::title(upstream, target);
    let found = forge
        .find_open_issue(place, &title, Some(REJECTED_LABEL))
        .await?;
    Ok(found.and_then(|issue| Standing::from_issue(&issue, place)))
}

/// Every record kept in `place`'s open issues labelled `ecosync-rejected`: one per target that reports
/// there, in one listing (at most 1,000 issues).
pub async fn recorded_all(forge: &Forge, place: &RepoName) -> Result<Vec<Standing>, ForgeError> {
    let issues = forge.open_issues(place, REJECTED_LABEL).await?;
    Ok(issues
        .iter()
        .filter_map(|i| Standing::from_issue(i, place))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_survives_a_body_and_cannot_end_its_comment() {
        let target = RepoName::parse("acme/cousin").unwrap();
        let upstream = RepoName::parse("acme/mono").unwrap();
        let mut s = Standing::new(&target, &upstream, "main");
        s.states = vec![StandingState::Rejected, StandingState::Reverted];
        s.rejections.push(RejectedPull {
            number: 3,
            url: "https://x/acme/cousin/pull/3".into(),
            head: "a".repeat(40),
            commits: vec!["a".repeat(40)],
            closed_by: Some("alice".into()),
            closed_at: Some("2026-01-01T00:00:00Z".into()),
            last_comment: Some("not now --> <script>".into()),
        });
        s.reversals.push(Reversal {
            sync_commit: "b".repeat(40),
            upstream: "c".repeat(40),
            found_at: "d".repeat(40),
            paths: vec!["app/--> <b>x</b>.txt".into()],
            since: None,
        });
        let marker = s.marker();
        assert_eq!(marker.matches("-->").count(), 1, "{marker}");
        assert!(
            !marker[4..marker.len() - 3].contains(['<', '>']),
            "{marker}"
        );
        let body = format!("# hello\n\n{marker}\n\nmore text");
        assert_eq!(Standing::from_body(&body), Some(s.clone()));
        assert_eq!(s.rejection().unwrap().number, 3);
        assert_eq!(s.since(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(s.reverted_paths().len(), 1);
        assert!(s.describe().starts_with("held: #3"), "{}", s.describe());
        assert!(Standing::from_body("no record").is_none());
    }
}
