//! `DeliveryReport`: what became of each planned dispatch, for the JSON report, the job summary and the
//! exit status.

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

use crate::dispatch::deliver::acknowledge::Acknowledgement;
use crate::dispatch::ecosystem::delivery_mode::DeliveryMode;
use crate::dispatch::plan::watermark::WatermarkNote;
use crate::error_kind::{ErrorKind, UserError};
use crate::repo_name::RepoName;
use crate::sync::rejection::target_standing::TargetStanding;

/// The fate of one repository's dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// GitHub (or the local forge) accepted the dispatch.
    Delivered,
    /// It could not be delivered (after retries where allowed).
    Failed,
    /// Nothing was sent: the plan skipped the entry, or this was a dry run.
    Skipped,
    /// Not sent because the run was stopped (SIGINT, SIGTERM) first: `--retry-failed` sends it.
    Unsent,
}

/// One repository's line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoResult {
    /// The downstream repository.
    pub repo: RepoName,
    /// What happened.
    pub status: DeliveryStatus,
    /// The event type sent (empty for skipped entries).
    pub event_type: String,
    /// The features credited in the payload.
    pub features: Vec<String>,
    /// How many requests were tried (0 when nothing was sent).
    pub attempts: u32,
    /// The HTTP status of the last answer, when there was one.
    pub last_http_status: Option<u16>,
    /// Why it failed or was skipped.
    pub error: Option<String>,
    /// What to check, for failures a user can fix.
    pub hint: Option<String>,
    /// Time spent on it, retries and waits included.
    pub duration_ms: u64,
    /// How it was delivered (absent for a dispatch, as before modes existed).
    #[serde(default, skip_serializing_if = "is_dispatch")]
    pub mode: DeliveryMode,
    /// What the delivery did, for the modes in which the dispatcher delivers the change itself: the pull
    /// request opened, the branch moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// What holds the target back: a pull request closed without merging (`rejected`, `paused`), a synced
    /// change undone (`reverted`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standing: Option<Box<TargetStanding>>,
}

// serde's `skip_serializing_if` passes a reference.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_dispatch(mode: &DeliveryMode) -> bool {
    *mode == DeliveryMode::Dispatch
}

impl RepoResult {
    /// A line with nothing sent yet: no attempt, no error.
    pub fn new(repo: &RepoName, status: DeliveryStatus, event_type: &str) -> Self {
        RepoResult {
            repo: repo.clone(),
            status,
            event_type: event_type.to_owned(),
            features: Vec::new(),
            attempts: 0,
            last_http_status: None,
            error: None,
            hint: None,
            duration_ms: 0,
            mode: DeliveryMode::Dispatch,
            outcome: None,
            standing: None,
        }
    }

    /// This line, failed with `error` and what to check.
    #[must_use]
    pub fn failed(mut self, error: impl Into<String>, hint: Option<String>) -> Self {
        self.status = DeliveryStatus::Failed;
        self.error = Some(error.into());
        self.hint = hint;
        self
    }
}

/// What became of the issue listing the failures (`--notify-issue`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum FailureIssue {
    /// A new issue was opened.
    Opened {
        /// Its number.
        number: u64,
        /// Its address.
        url: String,
    },
    /// The open issue got a comment.
    Commented {
        /// Its number.
        number: u64,
        /// Its address.
        url: String,
    },
    /// The issue could not be opened or commented on.
    Failed {
        /// Why.
        error: String,
    },
}

/// The outcome of one `dispatcher dispatch` run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryReport {
    /// The repository the change came from.
    pub source_repo: Option<RepoName>,
    /// The identifier carried in every payload of this run.
    pub dispatch_id: Option<String>,
    /// The commit that was pushed.
    pub commit_sha: String,
    /// Whether this was a dry run (nothing sent).
    pub dry_run: bool,
    /// One line per repository, in plan order (deliveries first, then skipped entries).
    pub repos: Vec<RepoResult>,
    /// What became of the failure issue, with `--notify-issue` when something failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_issue: Option<FailureIssue>,
    /// The commit the range started from.
    #[serde(default)]
    pub base_sha: String,
    /// How the range was chosen, for people (says when the watermark extended it).
    #[serde(default)]
    pub range: String,
    /// What the dispatch watermark did to the range, when it was consulted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark: Option<WatermarkNote>,
    /// What became of the watermark after the deliveries, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark_after: Option<String>,
    /// The signal that stopped the run before every dispatch was sent (`SIGINT`, `SIGTERM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<String>,
    /// With `--ack`: the delivery status set on the source commit for each target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acknowledgements: Vec<Acknowledgement>,
}

/// A report that `--retry-failed` cannot use.
#[derive(Debug, thiserror::Error)]
#[error("cannot use the report `{path}` to retry: {message}")]
pub struct RetryError {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl UserError for RetryError {
    /// `--retry-failed` names a file that cannot be used.
    fn kind(&self) -> ErrorKind {
        ErrorKind::Usage
    }
}

impl DeliveryReport {
    /// Reads a report written by `--report`, to retry what it lists as failed or not sent.
    pub fn read(path: &std::path::Path) -> Result<DeliveryReport, RetryError> {
        let error = |message: String| RetryError {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
        let report: DeliveryReport = serde_json::from_str(&text)
            .map_err(|e| error(format!("not a dispatch report: {e}")))?;
        if report.dry_run {
            return Err(error(
                "it is the report of a dry run, which sent nothing".into(),
            ));
        }
        Ok(report)
    }

    /// The repositories to send again: those that failed or were not sent.
    pub fn to_retry(&self) -> Vec<RepoName> {
        self.repos
            .iter()
            .filter(|r| matches!(r.status, DeliveryStatus::Failed | DeliveryStatus::Unsent))
            .map(|r| r.repo.clone())
            .collect()
    }

    /// The lines of the targets something holds back (`rejected`, `paused`, `reverted`).
    pub fn held_back(&self) -> impl Iterator<Item = &RepoResult> {
        self.repos
            .iter()
            .filter(|r| r.standing.as_ref().is_some_and(|s| !s.states.is_empty()))
    }

    /// How many repositories had this status.
    pub fn count(&self, status: DeliveryStatus) -> usize {
        self.repos.iter().filter(|r| r.status == status).count()
    }

    /// The failed lines.
    pub fn failed(&self) -> impl Iterator<Item = &RepoResult> {
        self.repos
            .iter()
            .filter(|r| r.status == DeliveryStatus::Failed)
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        // A struct of strings, numbers and enums always serializes.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// A markdown table for a job summary.
    pub fn to_markdown(&self) -> String {
        let mut s = String::from("### ecosync dispatch\n\n");
        _ = write!(
            s,
            "{} delivered, {} failed, {} skipped{}\n\n",
            self.count(DeliveryStatus::Delivered),
            self.count(DeliveryStatus::Failed),
            self.count(DeliveryStatus::Skipped),
            if self.dry_run { " (dry run)" } else { "" }
        );
        s.push_str("| Repository | Status | Attempts | HTTP | Time | Details |\n");
        s.push_str("|---|---|---:|---:|---:|---|\n");
        for r in &self.repos {
            let standing = r.standing.as_ref().filter(|s| !s.states.is_empty());
            let status = match r.status {
                DeliveryStatus::Delivered => "delivered",
                DeliveryStatus::Failed => "**failed**",
                DeliveryStatus::Skipped => "skipped",
                DeliveryStatus::Unsent => "**not sent**",
            };
            let status = match standing {
                Some(s) => format!(
                    "{status} ({})",
                    s.states
                        .iter()
                        .map(|s| format!("**{s}**"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => status.to_owned(),
            };
            let mut details = r.error.clone().unwrap_or_default();
            if let Some(s) = standing.filter(|s| !details.contains(&s.text)) {
                if !details.is_empty() {
                    details.push_str("; ");
                }
                details.push_str(&s.text);
            }
            if let Some(hint) = &r.hint {
                details.push_str(" (hint: ");
                details.push_str(hint);
                details.push(')');
            }
            _ = writeln!(
                s,
                "| `{}` | {} | {} | {} | {} ms | {} |",
                r.repo,
                status,
                r.attempts,
                r.last_http_status
                    .map_or_else(|| "-".into(), |h| h.to_string()),
                r.duration_ms,
                markdown_cell(&details)
            );
        }
        s
    }
}

/// Makes text safe inside a markdown table cell.
fn markdown_cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(repo: &str, status: DeliveryStatus, error: Option<&str>) -> RepoResult {
        RepoResult {
            repo: RepoName::parse(repo).unwrap(),
            status,
            event_type: "ecosync".into(),
            features: vec!["src/**".into()],
            attempts: 1,
            last_http_status: Some(204),
            error: error.map(String::from),
            hint: None,
            duration_ms: 3,
            mode: DeliveryMode::Dispatch,
            outcome: None,
            standing: None,
        }
    }

    #[test]
    fn counts_and_table() {
        let report = DeliveryReport {
            source_repo: None,
            dispatch_id: None,
            commit_sha: "abc".into(),
            dry_run: false,
            failure_issue: None,
            base_sha: String::new(),
            range: String::new(),
            watermark: None,
            watermark_after: None,
            interrupted: None,
            acknowledgements: Vec::new(),
            repos: vec![
                line("acme/a", DeliveryStatus::Delivered, None),
                line(
                    "acme/b",
                    DeliveryStatus::Failed,
                    Some("HTTP 404 | Not Found"),
                ),
            ],
        };
        assert_eq!(report.count(DeliveryStatus::Delivered), 1);
        assert_eq!(report.failed().count(), 1);
        let md = report.to_markdown();
        assert!(
            md.contains("| `acme/b` | **failed** | 1 | 204 | 3 ms | HTTP 404 \\| Not Found |"),
            "{md}"
        );
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(json["repos"][1]["status"], "failed");
    }
}
