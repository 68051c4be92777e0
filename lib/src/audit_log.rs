//! `AuditLog`: `--audit-log FILE`, one JSON line per action ecosync took (a dispatch sent, a branch pushed,
//! a pull request opened, updated or closed, an issue opened, commented on or closed), with its time,
//! target, source commit, dispatch id and result. Appended, never rewritten: each line is written with one
//! `write` to a file opened for appending, so lines of runs at once do not interleave.
//!
//! A line: `{"time":"2026-12-01T10:00:00Z","action":"dispatch_sent","target":"acme/cousin",
//! "source_commit":"<sha>","dispatch_id":"…","result":"ok","detail":null}`; `result` is `ok` or `failed`,
//! `detail` a URL, a branch head or an error.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use crate::dispatch::deliver::delivery_report::{DeliveryReport, DeliveryStatus};
use crate::dispatch::ecosystem::delivery_mode::DeliveryMode;
use crate::sync::publish::{BranchAction, PullRequestAction};
use crate::sync::sync_outcome::{Report, SyncOutcome};

/// One action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// When (RFC 3339, UTC).
    pub time: String,
    /// What: `dispatch_sent`, `branch_pushed`, `pull_request_opened`, `pull_request_updated`,
    /// `pull_request_closed`, `issue_opened`, `issue_commented`, `issue_closed`.
    pub action: &'static str,
    /// The repository acted on.
    pub target: String,
    /// The source (upstream) commit it is about.
    pub source_commit: Option<String>,
    /// The dispatch identifier, when one is known.
    pub dispatch_id: Option<String>,
    /// `ok` or `failed`.
    pub result: &'static str,
    /// A URL, a branch head or an error.
    pub detail: Option<String>,
}

impl AuditEntry {
    /// An entry stamped now.
    pub fn now(action: &'static str, target: impl Into<String>, result: &'static str) -> Self {
        AuditEntry {
            time: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            action,
            target: target.into(),
            source_commit: None,
            dispatch_id: None,
            result,
            detail: None,
        }
    }
}

/// An open audit log.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: Mutex<File>,
}

impl AuditLog {
    /// Opens `path` for appending, creating it if needed.
    pub fn open(path: &Path) -> std::io::Result<AuditLog> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(AuditLog {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line per entry.
    pub fn record(&self, entries: &[AuditEntry]) -> std::io::Result<()> {
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for e in entries {
            let mut line = serde_json::to_string(e).map_err(std::io::Error::other)?;
            line.push('\n');
            file.write_all(line.as_bytes())?;
        }
        Ok(())
    }
}

/// The dispatches a report says were sent (or failed).
pub fn delivery_entries(report: &DeliveryReport) -> Vec<AuditEntry> {
    report
        .repos
        .iter()
        .filter_map(|r| {
            let result = match r.status {
                DeliveryStatus::Delivered => "ok",
                DeliveryStatus::Failed => "failed",
                DeliveryStatus::Skipped | DeliveryStatus::Unsent => return None,
            };
            let mut e = AuditEntry::now(delivery_action(r.mode), r.repo.to_string(), result);
            e.source_commit = Some(report.commit_sha.clone()).filter(|c| !c.is_empty());
            e.dispatch_id.clone_from(&report.dispatch_id);
            e.detail = r.error.clone().or_else(|| r.outcome.clone());
            Some(e)
        })
        .collect()
}

/// The audit action of a delivery in `mode`: `dispatch_sent`, `branch_mirrored` (`push`) or
/// `change_delivered` (the pull request modes).
pub fn delivery_action(mode: DeliveryMode) -> &'static str {
    match mode {
        DeliveryMode::Dispatch => "dispatch_sent",
        DeliveryMode::Push => "branch_mirrored",
        DeliveryMode::PullRequest | DeliveryMode::BufferedPr => "change_delivered",
    }
}

/// What a sync did to `cousin` (nothing for a dry run).
pub fn sync_entries(
    outcome: &SyncOutcome,
    cousin: &str,
    dispatch_id: Option<&str>,
    dry_run: bool,
) -> Vec<AuditEntry> {
    if dry_run {
        return Vec::new();
    }
    let mut entries = Entries {
        out: Vec::new(),
        commit: outcome.upstream_sha().map(|c| c.to_string()),
        dispatch_id: dispatch_id.map(str::to_owned),
    };
    let push = &mut entries;
    match outcome {
        SyncOutcome::Applied(a) if !a.dry_run => {
            if !matches!(a.branch_action, BranchAction::Reused(_)) {
                push.add(
                    "branch_pushed",
                    cousin,
                    "ok",
                    Some(format!("{} at {}", a.branch, a.branch_action.head())),
                );
            }
            match &a.pull_request {
                PullRequestAction::Created(pr) => {
                    push.add(
                        "pull_request_opened",
                        cousin,
                        "ok",
                        Some(pr.html_url.clone()),
                    );
                }
                PullRequestAction::Updated(pr) => {
                    push.add(
                        "pull_request_updated",
                        cousin,
                        "ok",
                        Some(pr.html_url.clone()),
                    );
                }
                PullRequestAction::WouldCreate(_)
                | PullRequestAction::WouldUpdate(_)
                | PullRequestAction::Held { .. } => {}
            }
            if let Some(r) = &a.resolved {
                push.add(
                    "issue_closed",
                    r.place.as_str(),
                    "ok",
                    Some(r.issue.html_url.clone()),
                );
            }
        }
        SyncOutcome::AlreadySynced {
            closed, resolved, ..
        }
        | SyncOutcome::NoChange {
            closed, resolved, ..
        } => {
            if let Some(pr) = closed {
                push.add(
                    "pull_request_closed",
                    cousin,
                    "ok",
                    Some(pr.html_url.clone()),
                );
            }
            if let Some(r) = resolved {
                push.add(
                    "issue_closed",
                    r.place.as_str(),
                    "ok",
                    Some(r.issue.html_url.clone()),
                );
            }
        }
        SyncOutcome::Conflict(c) => push.report(&c.report),
        SyncOutcome::Failed(f) => push.report(&f.report),
        SyncOutcome::Applied(_) | SyncOutcome::NotSubscribed { .. } | SyncOutcome::Rejected(_) => {}
    }
    entries.out
}

/// The lines of one sync, with what they share.
struct Entries {
    out: Vec<AuditEntry>,
    commit: Option<String>,
    dispatch_id: Option<String>,
}

impl Entries {
    fn add(
        &mut self,
        action: &'static str,
        target: &str,
        result: &'static str,
        detail: Option<String>,
    ) {
        let mut e = AuditEntry::now(action, target, result);
        e.source_commit.clone_from(&self.commit);
        e.dispatch_id.clone_from(&self.dispatch_id);
        e.detail = detail;
        self.out.push(e);
    }

    fn report(&mut self, r: &Report) {
        match r {
            Report::Opened { place, issue } => {
                self.add(
                    "issue_opened",
                    place.as_str(),
                    "ok",
                    Some(issue.html_url.clone()),
                );
            }
            Report::Commented { place, issue } => {
                self.add(
                    "issue_commented",
                    place.as_str(),
                    "ok",
                    Some(issue.html_url.clone()),
                );
            }
            Report::Failed { place, error } => {
                self.add(
                    "issue_opened",
                    place.as_str(),
                    "failed",
                    Some(error.clone()),
                );
            }
            Report::Nowhere | Report::WouldReport(_) => {}
        }
    }
}
