//! `AuditLog`: `--audit-log FILE`, one JSON line per action ecosync took (a dispatch sent, a branch pushed,
//! a pull request opened, updated or closed, an issue opened, commented on or closed), with its time,
//! target, source commit, dispatch id and result. What each pipeline records is worked out beside it
//! ([`DeliveryReport::audit_entries`](crate::dispatch::deliver::delivery_report::DeliveryReport::audit_entries),
//! [`SyncOutcome::audit_entries`](crate::sync::sync_outcome::SyncOutcome::audit_entries)). Appended, never rewritten: each line is written with one
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

/// One action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// When (RFC 3339, UTC).
    pub time: String,
    /// What: `dispatch_sent`, `branch_pushed`, `pull_request_opened`, `pull_request_updated`,
    /// `pull_request_closed`, `issue_opened`, `issue_commented`, `issue_updated`, `issue_closed`.
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
