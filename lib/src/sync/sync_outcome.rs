//! `SyncOutcome`: how one sync ended and what it did to the branch, the pull request and the issue, for the
//! binary to print and for GitHub Actions' outputs.

use git2::Oid;

use crate::config::strategy::Strategy;
use crate::forge::{Issue, PullRequest};
use crate::repo_name::RepoName;
use crate::sync::compute::change_summary::ChangeSummary;
use crate::sync::compute::conflict::Conflict;
use crate::sync::compute::pick_chain::PickChain;
use crate::sync::publish::{BranchAction, PullRequestAction};
use crate::sync::rejection::declines::Declines;
use crate::sync::rejection::standing::RejectedPull;
use crate::sync::sync_error::SyncError;

/// How one sync ended.
#[derive(Debug)]
pub enum SyncOutcome {
    /// No subscription concerns the event: nothing was done.
    NotSubscribed {
        /// Why, for people.
        reason: String,
    },
    /// The commit (or a newer one) is already in the base branch.
    AlreadySynced {
        /// The upstream commit asked for.
        upstream: Oid,
        /// The cousin's base branch.
        base: String,
        /// The cousin commit that shows it.
        by: Oid,
        /// The open sync pull request closed because it had nothing left to bring.
        closed: Option<PullRequest>,
        /// The failure issue this success closed.
        resolved: Option<Resolved>,
        /// What the run found about rejections and reversals, and recorded.
        declines: Box<Declines>,
    },
    /// The commit changes nothing in the subscribed directories.
    NoChange {
        /// The upstream commit.
        upstream: Oid,
        /// The open sync pull request closed because it had nothing left to bring.
        closed: Option<PullRequest>,
        /// The failure issue this success closed.
        resolved: Option<Resolved>,
        /// What the run found about rejections and reversals, and recorded.
        declines: Box<Declines>,
    },
    /// The change was pushed and its pull request opened or updated (or, in a dry run, would be).
    Applied(Box<Applied>),
    /// The change was not proposed: a person closed its pull request without merging (or, with
    /// `on_rejection: pause`, any sync pull request), and nothing reopened it or proposed again since.
    Held(Box<Held>),
    /// The change conflicts and `on_conflict` is `issue`: nothing was pushed, the conflict was reported.
    Conflict(Box<Conflicted>),
    /// The input was refused: a bad or unwanted event, a wrong source, an unknown or too old commit. Nothing
    /// was done and nothing is reported (whoever can dispatch must not be able to open issues).
    Rejected(SyncError),
    /// The run failed after the input was accepted; the failure was reported where `notify` says.
    Failed(Box<Failed>),
}

/// A computed change: what the binary prints before saying what was done with it.
#[derive(Debug, Clone)]
pub struct ChangeReport {
    /// The upstream repository.
    pub upstream: RepoName,
    /// The upstream branch.
    pub upstream_branch: String,
    /// The upstream commit.
    pub upstream_sha: Oid,
    /// The upstream commit synced last, when known.
    pub last_synced: Option<Oid>,
    /// True when there was no earlier sync and the mapped directories take the upstream state.
    pub first_sync: bool,
    /// The strategy.
    pub strategy: Strategy,
    /// Files committed with conflict markers (or, for a conflict reported as an issue, the files).
    pub conflicts: Vec<Conflict>,
    /// The commit made for the pull request branch.
    pub commit: Oid,
    /// The cousin's base branch.
    pub base_branch: String,
    /// Its commit.
    pub base: Oid,
    /// What the change does to the base: the files and their diffs.
    pub summary: ChangeSummary,
    /// For a cherry-pick after an earlier sync: the commits picked and skipped.
    pub picks: Option<PickChain>,
    /// Subscriptions added since the last sync, brought to the upstream state.
    pub backfill: Vec<String>,
    /// Subscriptions removed since the last sync, whose files were left as they are.
    pub dropped: Vec<String>,
}

/// What an applied sync did.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The change.
    pub change: ChangeReport,
    /// The pull request branch.
    pub branch: String,
    /// What was done to it.
    pub branch_action: BranchAction,
    /// Whether the sync's picks went on top of the earlier, unmerged ones on the branch (`cherry-pick`).
    pub stacked: bool,
    /// What was done to the pull request.
    pub pull_request: PullRequestAction,
    /// True for a dry run: nothing was written.
    pub dry_run: bool,
    /// The failure issue this success closed.
    pub resolved: Option<Resolved>,
    /// What the run found about rejections and reversals, and recorded.
    pub declines: Declines,
}

/// A change not proposed because a rejection holds.
#[derive(Debug, Clone)]
pub struct Held {
    /// The upstream commit not proposed.
    pub upstream: Oid,
    /// The cousin's base branch.
    pub base: String,
    /// The rejection that holds it.
    pub rejection: RejectedPull,
    /// Whether the whole target is paused (`on_rejection: pause`), not only this change.
    pub paused: bool,
    /// True for a dry run.
    pub dry_run: bool,
    /// What the run found about rejections and reversals, and recorded.
    pub declines: Declines,
}

/// The open failure issue that a successful run closed, with a comment saying so.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Where it was.
    pub place: RepoName,
    /// The issue.
    pub issue: Issue,
}

/// What a reported conflict did.
#[derive(Debug)]
pub struct Conflicted {
    /// The change, with its conflicting files.
    pub change: ChangeReport,
    /// The error, as the failure report words it.
    pub error: SyncError,
    /// The report.
    pub report: Report,
}

/// What a failed run did.
#[derive(Debug)]
pub struct Failed {
    /// The change, when it was computed before the failure.
    pub change: Option<ChangeReport>,
    /// What failed.
    pub error: SyncError,
    /// The report.
    pub report: Report,
}

/// Where and how a failure was reported.
#[derive(Debug)]
pub enum Report {
    /// A new issue was opened.
    Opened {
        /// Where.
        place: RepoName,
        /// The issue.
        issue: Issue,
    },
    /// The open issue got a comment.
    Commented {
        /// Where.
        place: RepoName,
        /// The issue.
        issue: Issue,
    },
    /// `notify` is `none`: only the log and the exit status say it.
    Nowhere,
    /// A dry run would report it there (`None`: nowhere).
    WouldReport(Option<RepoName>),
    /// Reporting failed too; the first failure still stands.
    Failed {
        /// Where it was to go.
        place: RepoName,
        /// Why it could not.
        error: String,
    },
}

impl SyncOutcome {
    /// The outcome in one word, for `$GITHUB_OUTPUT`'s `result`.
    pub fn result(&self) -> &'static str {
        match self {
            SyncOutcome::NotSubscribed { .. } => "not-subscribed",
            SyncOutcome::AlreadySynced { .. } => "already-synced",
            SyncOutcome::NoChange { .. } => "no-change",
            SyncOutcome::Applied(a) if a.change.conflicts.is_empty() => "applied",
            SyncOutcome::Applied(_) => "applied-with-conflicts",
            SyncOutcome::Held(h) if h.paused => "paused",
            SyncOutcome::Held(_) => "held",
            SyncOutcome::Rejected(_) => "rejected",
            SyncOutcome::Conflict(_) | SyncOutcome::Failed(_) => "failed",
        }
    }

    /// The pull request's address, when there is one.
    pub fn pull_request_url(&self) -> Option<&str> {
        match self {
            SyncOutcome::Applied(a) => match &a.pull_request {
                PullRequestAction::Created(pr)
                | PullRequestAction::Updated(pr)
                | PullRequestAction::WouldUpdate(pr) => Some(&pr.html_url),
                PullRequestAction::WouldCreate(_) | PullRequestAction::Held { .. } => None,
            },
            _ => None,
        }
    }

    /// The upstream commit the run was about, when it got that far.
    pub fn upstream_sha(&self) -> Option<Oid> {
        match self {
            SyncOutcome::AlreadySynced { upstream, .. }
            | SyncOutcome::NoChange { upstream, .. } => Some(*upstream),
            SyncOutcome::Applied(a) => Some(a.change.upstream_sha),
            SyncOutcome::Held(h) => Some(h.upstream),
            SyncOutcome::Conflict(c) => Some(c.change.upstream_sha),
            SyncOutcome::Failed(f) => f.change.as_ref().map(|c| c.upstream_sha),
            SyncOutcome::NotSubscribed { .. } | SyncOutcome::Rejected(_) => None,
        }
    }

    /// What the run found about rejections and reversals, for the outcomes that got that far.
    pub fn declines(&self) -> Option<&Declines> {
        match self {
            SyncOutcome::AlreadySynced { declines, .. }
            | SyncOutcome::NoChange { declines, .. } => Some(declines),
            SyncOutcome::Applied(a) => Some(&a.declines),
            SyncOutcome::Held(h) => Some(&h.declines),
            _ => None,
        }
    }

    /// [`SyncOutcome::declines`], to change.
    pub fn declines_mut(&mut self) -> Option<&mut Declines> {
        match self {
            SyncOutcome::AlreadySynced { declines, .. }
            | SyncOutcome::NoChange { declines, .. } => Some(declines),
            SyncOutcome::Applied(a) => Some(&mut a.declines),
            SyncOutcome::Held(h) => Some(&mut h.declines),
            _ => None,
        }
    }

    /// The error that ended the run, for the failing outcomes.
    pub fn error(&self) -> Option<&SyncError> {
        match self {
            SyncOutcome::Rejected(e) => Some(e),
            SyncOutcome::Conflict(c) => Some(&c.error),
            SyncOutcome::Failed(f) => Some(&f.error),
            _ => None,
        }
    }
}
