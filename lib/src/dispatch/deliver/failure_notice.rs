//! `FailureNotice`: one issue in the source repository listing the dispatches that failed, commented on
//! (rather than opened again) on later failures while it is open.

use crate::dispatch::deliver::delivery_report::DeliveryReport;
use crate::forge::{Forge, ForgeError, Issue};
use crate::repo_name::RepoName;
use std::fmt::Write as _;

/// The title of the issue; with the label, it is how a later run finds it.
pub const NOTICE_TITLE: &str = "ecosync: dispatches to downstream repositories failed";

/// The label on the issue.
pub const NOTICE_LABEL: &str = "ecosync";

/// What the notice did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeOutcome {
    /// A new issue was opened.
    Opened(Issue),
    /// The open issue got a comment.
    Commented(Issue),
}

/// Reports the failures of `report` in `source_repo`. Does nothing when nothing failed.
pub async fn notify_failures(
    forge: &Forge,
    source_repo: &RepoName,
    report: &DeliveryReport,
) -> Result<Option<NoticeOutcome>, ForgeError> {
    if report.failed().next().is_none() {
        return Ok(None);
    }
    let body = notice_body(report);
    if let Some(issue) = forge
        .find_open_issue(source_repo, NOTICE_TITLE, Some(NOTICE_LABEL))
        .await?
    {
        forge.comment(source_repo, issue.number, &body).await?;
        return Ok(Some(NoticeOutcome::Commented(issue)));
    }
    let issue = forge
        .create_issue(
            source_repo,
            NOTICE_TITLE,
            &body,
            &[NOTICE_LABEL.to_string()],
        )
        .await?;
    Ok(Some(NoticeOutcome::Opened(issue)))
}

/// The markdown listing the failed deliveries.
pub fn notice_body(report: &DeliveryReport) -> String {
    let mut s = format!(
        "ecosync could not deliver the dispatch for commit `{}` to every subscribed repository.\n\n",
        report.commit_sha
    );
    if let Some(id) = &report.dispatch_id {
        _ = write!(s, "Run: {id}\n\n");
    }
    s.push_str("| Repository | HTTP | Attempts | Error |\n|---|---:|---:|---|\n");
    for r in report.failed() {
        let mut error = r.error.clone().unwrap_or_default();
        if let Some(hint) = &r.hint {
            error.push_str(" (hint: ");
            error.push_str(hint);
            error.push(')');
        }
        _ = writeln!(
            s,
            "| `{}` | {} | {} | {} |",
            r.repo,
            r.last_http_status
                .map_or_else(|| "-".into(), |h| h.to_string()),
            r.attempts,
            error.replace('|', "\\|").replace(['\n', '\r'], " ")
        );
    }
    s.push_str("\nThis issue is commented on at each further failure while it stays open; close it once fixed.\n");
    s
}
