//! The text of a [`SyncOutcome`] for people: what `subscriber apply` prints (and whatever else runs the
//! engine, so every front end words an outcome the same way), and the one-line job summary.

use crate::sync::compute::conflict::Conflict;
use std::fmt::Write as _;

use crate::escape;
use crate::forge::PullRequest;
use crate::sync::publish::acknowledge::Acknowledged;
use crate::sync::publish::{BranchAction, PullRequestAction};
use crate::sync::rejection::declines::{Declines, Recorded};
use crate::sync::request::SyncRequest;
use crate::sync::sync_outcome::{Applied, ChangeReport, Held, Report, Resolved, SyncOutcome};
use crate::sync::sync_run::SyncRun;

/// What to print about an outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutcomeText {
    /// For stdout: the change, its diff, and what was done with it.
    pub stdout: String,
    /// For stderr: a failure to report the failure (the failure itself is the caller's to print).
    pub stderr: String,
}

impl SyncOutcome {
    /// The outcome in words, for people.
    pub fn text(&self, request: &SyncRequest) -> OutcomeText {
        let mut t = OutcomeText::default();
        let s = &mut t.stdout;
        let upstream = &request.config.upstream_repo;
        let closed = |s: &mut String, pr: &Option<PullRequest>| {
            if let Some(pr) = pr {
                let verb = if request.dry_run {
                    "would close"
                } else {
                    "closed"
                };
                let _ = writeln!(
                    s,
                    "{verb} pull request #{} {}: it has nothing left to bring",
                    pr.number, pr.html_url
                );
            }
        };
        match self {
            SyncOutcome::NotSubscribed { reason } => {
                let _ = writeln!(s, "not subscribed: {reason}; nothing to do");
            }
            SyncOutcome::AlreadySynced {
                upstream: sha,
                base,
                by,
                closed: pr,
                resolved,
                declines,
            } => {
                let _ = writeln!(
                    s,
                    "already synced: {upstream}@{sha} is included in `{base}` (commit {by}); nothing to do"
                );
                closed(s, pr);
                describe_resolved(s, resolved.as_ref());
                describe_declines(&mut t, declines);
            }
            SyncOutcome::NoChange {
                upstream: sha,
                closed: pr,
                resolved,
                declines,
            } => {
                let subs = request.config.describe_subscriptions().join(", ");
                let _ = writeln!(
                    s,
                    "no change: {upstream}@{sha} changes nothing in {subs}; nothing to do"
                );
                closed(s, pr);
                describe_resolved(s, resolved.as_ref());
                describe_declines(&mut t, declines);
            }
            SyncOutcome::Applied(applied) => {
                describe_applied(s, applied);
                describe_resolved(s, applied.resolved.as_ref());
                describe_declines(&mut t, &applied.declines);
            }
            SyncOutcome::Held(held) => {
                describe_held(s, held, request);
                describe_declines(&mut t, &held.declines);
                if held.dry_run {
                    t.stdout.push_str("dry run: nothing was written\n");
                }
            }
            SyncOutcome::Conflict(c) => {
                describe_change(s, &c.change);
                match &c.report {
                    Report::WouldReport(place) => {
                        let _ = writeln!(
                            s,
                            "would report the conflict in {} and push nothing",
                            match place {
                                Some(r) => format!("an issue in `{r}`"),
                                None => "the log only (`notify` is `none`)".to_owned(),
                            }
                        );
                        s.push_str("dry run: nothing was written\n");
                    }
                    report => describe_report(&mut t, report, "conflict"),
                }
            }
            SyncOutcome::Failed(f) => {
                if let Some(change) = &f.change {
                    describe_change(s, change);
                }
                describe_report(&mut t, &f.report, "failure");
            }
            SyncOutcome::Rejected(_) => {}
        }
        t
    }

    /// One line for the job summary: what was synced into where, the result, and the pull request.
    pub fn summary_line(&self, request: &SyncRequest) -> String {
        let commit = self
            .upstream_sha()
            .or(request.event.commit)
            .map_or_else(|| "the latest commit".to_owned(), |c| c.to_string());
        let cousin = request
            .cousin
            .as_ref()
            .map_or_else(|| "this repository".to_owned(), ToString::to_string);
        let link = self
            .pull_request_url()
            .map(|pr| format!(" ({pr})"))
            .unwrap_or_default();
        format!(
            "ecosync: sync of `{}` at `{commit}` into `{cousin}`: **{}**{link}\n",
            request.config.upstream_repo,
            self.result()
        )
    }
}

/// Conflicts joined with `, `, each path on one line (a file name may hold a newline) and saying how the
/// sides disagree.
fn shown_list(conflicts: &[Conflict]) -> String {
    conflicts
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_change(s: &mut String, c: &ChangeReport) {
    let _ = writeln!(
        s,
        "upstream: {}@{} (`{}`)",
        c.upstream, c.upstream_sha, c.upstream_branch
    );
    match c.last_synced {
        Some(l) => {
            let _ = writeln!(s, "last synced: {l}");
        }
        None if c.first_sync => s.push_str(
            "last synced: none (first sync: the mapped directories take the upstream state)\n",
        ),
        None => {}
    }
    let _ = writeln!(s, "strategy: {}", c.strategy);
    if !c.backfill.is_empty() {
        let _ = writeln!(
            s,
            "backfill: {} (new since the last sync: brought to upstream's state)",
            c.backfill.join(", ")
        );
    }
    if !c.dropped.is_empty() {
        let _ = writeln!(
            s,
            "no longer subscribed: {} (the files there are left as they are)",
            c.dropped.join(", ")
        );
    }
    if let Some(p) = &c.picks {
        let n = p.picked.len();
        let _ = write!(
            s,
            "picked: {n} upstream commit{}",
            if n == 1 { "" } else { "s" }
        );
        let mut skipped = Vec::new();
        if p.unsubscribed > 0 {
            skipped.push(format!("{} touching no subscribed path", p.unsubscribed));
        }
        if p.already_present > 0 {
            skipped.push(format!("{} already here", p.already_present));
        }
        if !skipped.is_empty() {
            let _ = write!(s, " (skipped {})", skipped.join(", "));
        }
        s.push('\n');
        for pick in &p.picked {
            let _ = writeln!(s, "  {} -> {}", pick.upstream, pick.commit);
        }
    }
    if !c.conflicts.is_empty() {
        let _ = writeln!(s, "conflicts: {}", shown_list(&c.conflicts));
    }
    let _ = writeln!(
        s,
        "commit: {} on `{}` ({})",
        c.commit, c.base_branch, c.base
    );
    s.push_str(&c.summary.unified());
}

fn describe_applied(s: &mut String, a: &Applied) {
    describe_change(s, &a.change);
    let verb = if a.dry_run { "would push" } else { "pushed" };
    let branch = &a.branch;
    let _ = match &a.branch_action {
        BranchAction::Created(h) => writeln!(s, "{verb}: {h} to new branch `{branch}`"),
        BranchAction::Replaced { old, new } => writeln!(
            s,
            "{verb}: {new} to `{branch}`, replacing ecosync's earlier {old}"
        ),
        BranchAction::AddedOnTop { old, new } if a.stacked => writeln!(
            s,
            "{verb}: {new} to `{branch}`, stacked on the earlier unmerged syncs at {old}"
        ),
        BranchAction::AddedOnTop { old, new } => writeln!(
            s,
            "{verb}: {new} to `{branch}` on top of {old}: the branch has commits not made by ecosync, so \
             it was not force-pushed"
        ),
        BranchAction::Reused(h) => {
            writeln!(s, "branch `{branch}` already carries this sync at {h}")
        }
    };
    let base = &a.change.base_branch;
    let _ = match &a.pull_request {
        PullRequestAction::Created(pr) => {
            writeln!(s, "pull request: opened #{} {}", pr.number, pr.html_url)
        }
        PullRequestAction::Updated(pr) => {
            writeln!(s, "pull request: updated #{} {}", pr.number, pr.html_url)
        }
        PullRequestAction::WouldCreate(title) => writeln!(
            s,
            "would open pull request: {title:?} from `{branch}` into `{base}`"
        ),
        PullRequestAction::WouldUpdate(pr) => {
            writeln!(
                s,
                "would update pull request #{} {}",
                pr.number, pr.html_url
            )
        }
        PullRequestAction::Held { until } => writeln!(
            s,
            "pull request: held until {} (the buffer of its oldest change); the branch carries the change",
            humantime::format_rfc3339_seconds(*until)
        ),
    };
    if !a.change.conflicts.is_empty() {
        let _ = writeln!(
            s,
            "warning: conflicts committed with markers to a draft pull request: {}",
            shown_list(&a.change.conflicts)
        );
    }
    if a.dry_run {
        s.push_str("dry run: nothing was written\n");
    }
}

fn describe_report(t: &mut OutcomeText, report: &Report, what: &str) {
    match report {
        Report::Opened { place, issue } => {
            let _ = writeln!(
                t.stdout,
                "reported: opened issue #{} in `{place}` {}",
                issue.number, issue.html_url
            );
        }
        Report::Commented { place, issue } => {
            let _ = writeln!(
                t.stdout,
                "reported: commented on open issue #{} in `{place}` {}",
                issue.number, issue.html_url
            );
        }
        Report::Failed { place, error } => {
            let _ = writeln!(
                t.stderr,
                "error: cannot report the {what} in `{place}`: {error}"
            );
        }
        Report::WouldReport(_) | Report::Nowhere => {}
    }
}

/// `held: #3 was closed without merging ...`, where to see it, and how to propose again.
fn describe_held(s: &mut String, held: &Held, request: &SyncRequest) {
    let r = &held.rejection;
    let cousin = request
        .cousin
        .as_ref()
        .map_or_else(|| "OWNER/NAME".to_owned(), ToString::to_string);
    let by = r
        .closed_by
        .as_deref()
        .map(|b| format!(" by {}", escape::line(b)))
        .unwrap_or_default();
    let upstream = &request.config.upstream_repo;
    if held.paused {
        let _ = writeln!(
            s,
            "paused: #{} was closed without merging{by}; nothing is proposed to `{cousin}` \
             (`on_rejection` is `pause`), so {upstream}@{} waits",
            r.number, held.upstream
        );
    } else {
        let _ = writeln!(
            s,
            "held: #{} was closed without merging{by}; {upstream}@{} is not proposed again",
            r.number, held.upstream
        );
    }
    let at = r
        .closed_at
        .as_deref()
        .map(|a| format!(", closed at {}", escape::line(a)))
        .unwrap_or_default();
    let _ = writeln!(s, "  #{}: {}{at}", r.number, r.url);
    if held.paused {
        let _ = writeln!(
            s,
            "  to resume: reopen #{}, or run with `--repropose {cousin}`",
            r.number
        );
    } else {
        let _ = writeln!(
            s,
            "  to propose it again: reopen #{}, or run with `--repropose {cousin}`; a newer upstream \
             commit that changes the subscribed paths is proposed in a new pull request",
            r.number
        );
    }
}

/// What the run found about rejections and reversals and what it recorded; a failure to record, or to
/// check at all, on stderr.
fn describe_declines(t: &mut OutcomeText, d: &Declines) {
    let s = &mut t.stdout;
    if d.reproposed
        && let Some(r) = &d.rejection
    {
        let _ = writeln!(
            s,
            "reproposed: #{} was closed without merging; proposed again (`--repropose`)",
            r.number
        );
    }
    if let Some(v) = &d.reversal {
        let paths: Vec<String> = v
            .paths
            .iter()
            .take(20)
            .map(|p| escape::line(p).into_owned())
            .collect();
        let more = if v.paths.len() > 20 {
            format!(" and {} more", v.paths.len() - 20)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "reverted: the last sync ({}, upstream {}) was undone since in {}{more}",
            crate::git::short_sha(&v.sync_commit),
            crate::git::short_sha(&v.upstream),
            paths.join(", ")
        );
        if !d.touched_again.is_empty() {
            let _ = writeln!(
                s,
                "warning: this sync changes reverted paths again, and its pull request says so: {}",
                d.touched_again
                    .iter()
                    .map(|p| escape::line(p).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    match &d.recorded {
        Some(Recorded::Opened { place, issue }) => {
            let _ = writeln!(
                s,
                "recorded: opened issue #{} in `{place}` {}",
                issue.number, issue.html_url
            );
        }
        Some(Recorded::Updated { place, issue }) => {
            let _ = writeln!(
                s,
                "recorded: updated issue #{} in `{place}` {}",
                issue.number, issue.html_url
            );
        }
        Some(Recorded::Closed { place, issue }) => {
            let _ = writeln!(
                s,
                "recorded: closed issue #{} in `{place}` {} (the target merged a sync again)",
                issue.number, issue.html_url
            );
        }
        Some(Recorded::WouldRecord(place)) => {
            let _ = writeln!(
                s,
                "would record the rejections and reversals in an issue in `{place}`"
            );
        }
        Some(Recorded::Failed { place, error }) => {
            let _ = writeln!(
                t.stderr,
                "error: cannot record the rejections and reversals in `{place}`: {error}"
            );
        }
        None => {}
    }
    if let Some(e) = &d.unchecked {
        let _ = writeln!(
            t.stderr,
            "warning: cannot read the sync pull requests, so rejections were not checked: {e}"
        );
    }
}

fn describe_resolved(s: &mut String, resolved: Option<&Resolved>) {
    if let Some(r) = resolved {
        let _ = writeln!(
            s,
            "resolved: closed issue #{} in `{}` {} (this run succeeded)",
            r.issue.number, r.place, r.issue.html_url
        );
    }
}

impl SyncRun {
    /// What the run says on stderr after the outcome's own text: an audit log that could not be appended
    /// to, and what became of the acknowledgement.
    pub fn notes(&self, request: &SyncRequest) -> Vec<String> {
        let upstream = &request.config.upstream_repo;
        let mut notes: Vec<String> = self
            .audit_error
            .iter()
            .map(|e| format!("warning: {e}"))
            .collect();
        for acknowledged in self
            .acknowledged
            .iter()
            .chain(&self.rejections_acknowledged)
        {
            match acknowledged {
                Acknowledged::Set { sha, status } => notes.push(format!(
                    "acknowledged: `{}` is {} on {upstream} {sha}",
                    status.context, status.state
                )),
                Acknowledged::Failed { status, error, .. } => notes.push(format!(
                    "warning: cannot set `{}` to {} on {upstream}: {error} (the sync itself stands)",
                    status.context, status.state
                )),
            }
        }
        notes
    }
}
