//! The text of a delivery for people and for GitHub Actions: each repository's progress line, the summary
//! line, the failure issue's fate, the annotations and the step outputs, so every front end words a run
//! the same way.

use std::fmt::Write as _;

use crate::actions::{self, Level};
use crate::dispatch::deliver::Preview;
use crate::dispatch::deliver::delivery_report::{
    DeliveryReport, DeliveryStatus, FailureIssue, RepoResult,
};

impl RepoResult {
    /// What became of this repository's dispatch, for its progress line.
    pub fn progress_line(&self) -> String {
        match self.status {
            DeliveryStatus::Delivered if self.outcome.is_some() => format!(
                "delivered: {} ({} ms)",
                self.outcome.as_deref().unwrap_or_default(),
                self.duration_ms
            ),
            DeliveryStatus::Delivered => format!(
                "delivered ({} attempt{}, {} ms)",
                self.attempts,
                if self.attempts == 1 { "" } else { "s" },
                self.duration_ms
            ),
            DeliveryStatus::Unsent | DeliveryStatus::Skipped => self.error_text().to_owned(),
            DeliveryStatus::Failed => {
                let mut s = format!("failed: {}", self.error_text());
                if let Some(hint) = &self.hint {
                    let _ = write!(s, "; hint: {hint}");
                }
                s
            }
        }
    }

    /// Why it failed or was not sent.
    pub fn error_text(&self) -> &str {
        self.error.as_deref().unwrap_or("unknown error")
    }
}

impl DeliveryReport {
    /// `dispatch: 3 delivered, 1 failed, 0 skipped` (and how many were not sent, after a stop); `verb` is the
    /// command that ran (`dispatch`, `flush`).
    pub fn summary_line(&self, verb: &str) -> String {
        let mut s = format!(
            "{verb}: {} delivered, {} failed, {} skipped",
            self.count(DeliveryStatus::Delivered),
            self.count(DeliveryStatus::Failed),
            self.count(DeliveryStatus::Skipped),
        );
        let unsent = self.count(DeliveryStatus::Unsent);
        if unsent > 0 {
            let _ = write!(s, ", {unsent} not sent");
        }
        let held = self.held_back().count();
        if held > 0 {
            let _ = write!(s, "; {held} held back (rejected, paused or reverted)");
        }
        s
    }

    /// One annotation per failed dispatch, for GitHub Actions.
    pub fn annotations(&self, level: Level) -> String {
        let mut out = String::new();
        for r in self.failed() {
            let mut msg = format!("dispatch to {} failed: {}", r.repo, r.error_text());
            if let Some(hint) = &r.hint {
                let _ = write!(msg, " (hint: {hint})");
            }
            out.push_str(&actions::annotation(level, "ecosync dispatch", &msg));
        }
        out
    }

    /// The step outputs: how many were delivered, failed, skipped and not sent.
    pub fn outputs(&self) -> [(&'static str, String); 4] {
        [
            ("delivered", DeliveryStatus::Delivered),
            ("failed", DeliveryStatus::Failed),
            ("skipped", DeliveryStatus::Skipped),
            ("unsent", DeliveryStatus::Unsent),
        ]
        .map(|(name, status)| (name, self.count(status).to_string()))
    }
}

impl FailureIssue {
    /// What became of the issue listing the failures, for people.
    pub fn describe(&self) -> String {
        match self {
            FailureIssue::Opened { number, url } => {
                format!("opened issue #{number} listing the failures: {url}")
            }
            FailureIssue::Commented { number, url } => {
                format!("commented on issue #{number} with the failures: {url}")
            }
            FailureIssue::Failed { error } => {
                format!("warning: could not report the failures in an issue: {error}")
            }
        }
    }
}

impl Preview {
    /// `dry run: 3 would be delivered, 0 would fail, 1 skipped; nothing was sent` (and how many the
    /// dispatcher's own deliveries could not be computed, without a forge to read the targets with).
    pub fn summary_line(&self, verb: &str) -> String {
        let mut s = format!(
            "{verb}, dry run: {} would be delivered, {} would fail, {} skipped",
            self.would_deliver, self.would_fail, self.skipped,
        );
        if self.not_computed > 0 {
            let _ = write!(s, ", {} not computed", self.not_computed);
        }
        s.push_str("; nothing was sent");
        s
    }

    /// Each dispatch that would be sent, one JSON object a line: `repo`, `event_type`, `client_payload`.
    pub fn json_lines(&self) -> String {
        let mut out = String::new();
        for o in &self.outgoing {
            let line = serde_json::json!({
                "repo": o.repo,
                "event_type": o.event_type,
                "client_payload": o.payload.to_json(),
            });
            let _ = writeln!(out, "{line}");
        }
        out
    }
}

impl DeliveryReport {
    /// What a run says on stderr once every repository is done, before its summary line: how many delivery
    /// statuses were set, each that could not be, and what became of the failure issue.
    pub fn closing_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if !self.acknowledgements.is_empty() {
            let set = self
                .acknowledgements
                .iter()
                .filter(|a| a.error.is_none())
                .count();
            lines.push(format!(
                "ack: {set} of {} delivery statuses set on {}",
                self.acknowledgements.len(),
                self.commit_sha
            ));
        }
        for a in self.acknowledgements.iter().filter(|a| a.error.is_some()) {
            lines.push(format!(
                "warning: cannot set the `{}` status for {}: {}",
                a.state,
                a.repo,
                a.error.as_deref().unwrap_or_default()
            ));
        }
        for r in self.held_back() {
            let Some(standing) = &r.standing else {
                continue;
            };
            if !r.progress_line().contains(&standing.text) {
                lines.push(format!("{}: {}", r.repo, standing.text));
            }
        }
        if let Some(issue) = &self.failure_issue {
            lines.push(issue.describe());
        }
        lines
    }
}
