//! The audit log's lines of a sync: the branch pushed, the pull request opened, updated or closed, the
//! failure issue opened, commented on or closed, the issue about rejections and reversals opened, updated
//! or closed.

use crate::audit_log::AuditEntry;
use crate::sync::publish::{BranchAction, PullRequestAction};
use crate::sync::rejection::declines::Recorded;
use crate::sync::sync_outcome::{Report, SyncOutcome};

impl SyncOutcome {
    /// What the sync did to `cousin` (nothing for a dry run).
    pub fn audit_entries(
        &self,
        cousin: &str,
        dispatch_id: Option<&str>,
        dry_run: bool,
    ) -> Vec<AuditEntry> {
        let outcome = self;
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
            SyncOutcome::Applied(_)
            | SyncOutcome::Held(_)
            | SyncOutcome::NotSubscribed { .. }
            | SyncOutcome::Rejected(_) => {}
        }
        let recorded = outcome.declines().and_then(|d| d.recorded.as_ref());
        match recorded {
            Some(Recorded::Opened { place, issue }) => {
                push.add(
                    "issue_opened",
                    place.as_str(),
                    "ok",
                    Some(issue.html_url.clone()),
                );
            }
            Some(Recorded::Updated { place, issue }) => {
                push.add(
                    "issue_updated",
                    place.as_str(),
                    "ok",
                    Some(issue.html_url.clone()),
                );
            }
            Some(Recorded::Closed { place, issue }) => {
                push.add(
                    "issue_closed",
                    place.as_str(),
                    "ok",
                    Some(issue.html_url.clone()),
                );
            }
            Some(Recorded::Failed { place, error }) => {
                push.add(
                    "issue_updated",
                    place.as_str(),
                    "failed",
                    Some(error.clone()),
                );
            }
            Some(Recorded::WouldRecord(_)) | None => {}
        }
        entries.out
    }
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
