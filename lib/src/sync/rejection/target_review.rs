//! `TargetReview`: what a sync run learns about its target's rejections and reversals before it decides,
//! and how it records them: the target's sync pull requests ([`sync_pulls`](super::sync_pulls)), its
//! last sync and what was undone since ([`reversal`](super::reversal)), then the [`Declines`] of the run,
//! written to the target's issue in the source ([`rejection_issue`](super::rejection_issue)).
//!
//! Reading the pull requests is never fatal: when it fails, the run goes on as before rejections were
//! checked and says so.

use git2::Oid;

use crate::config::cousin_config::CousinConfig;
use crate::config::on_rejection::OnRejection;
use crate::error_kind::error_chain;
use crate::forge::Forge;
use crate::git::SyncRepo;
use crate::repo_name::RepoName;
use crate::sync::compute::trailer::{self, LastSync};
use crate::sync::rejection::declines::Declines;
use crate::sync::rejection::rejection_issue::{self, Seen};
use crate::sync::rejection::reversal;
use crate::sync::rejection::standing::{RejectedPull, Reversal};
use crate::sync::rejection::sync_pulls::{self, Rejection, SyncPulls};

/// The most upstream commits listed for one rejected pull request.
const MAX_COMMITS: usize = 50;

/// Where a run records: the issue's repository, and the target and upstream it is about.
#[derive(Debug, Clone, Copy)]
pub struct RecordPlace<'a> {
    /// The repository the issue is in (where the target's failures go).
    pub place: &'a RepoName,
    /// The target.
    pub target: &'a RepoName,
    /// Its upstream.
    pub upstream: &'a RepoName,
    /// Its base branch.
    pub base: &'a str,
}

/// What a run knows of its target's rejections and reversals.
#[derive(Debug, Default)]
pub struct TargetReview {
    /// The target's sync pull requests.
    pub pulls: SyncPulls,
    /// Why they could not be read, when they could not.
    pub unchecked: Option<String>,
    /// The target's last sync on its base branch.
    pub last_sync: Option<LastSync>,
    /// What was undone since.
    pub reversal: Option<Reversal>,
    /// The rejections examined, as they are recorded, newest first, with the upstream commits each carried.
    pub rejections: Vec<RejectedPull>,
}

impl TargetReview {
    /// Reads `target`'s sync pull requests from `upstream` into `base` (`per_commit`: one pull request per
    /// upstream commit).
    pub async fn read(
        forge: &Forge,
        target: &RepoName,
        base: &str,
        upstream: &RepoName,
        per_commit: bool,
    ) -> TargetReview {
        match sync_pulls::read(forge, target, base, upstream, per_commit).await {
            Ok(pulls) => TargetReview {
                pulls,
                ..TargetReview::default()
            },
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the sync pull requests; rejections are not checked");
                TargetReview {
                    unchecked: Some(error_chain(&e)),
                    ..TargetReview::default()
                }
            }
        }
    }

    /// Looks at the clone: the last sync on `base` (the base branch's head), what was undone since, and
    /// the upstream commits each rejection carried. Git failures leave the part they concern unknown.
    pub fn look(
        &mut self,
        repo: &SyncRepo,
        base: Oid,
        config: &CousinConfig,
        merged_syncs: &[(Oid, Oid)],
    ) {
        let git = &repo.repo;
        self.last_sync = trailer::find_last_sync(git, base, &config.upstream_repo, merged_syncs)
            .ok()
            .flatten();
        let dirs: Vec<_> = config.subscriptions.iter().map(|s| s.to.clone()).collect();
        self.reversal = self
            .last_sync
            .as_ref()
            .and_then(|l| reversal::find(git, base, l, &dirs).ok().flatten());
        let since = self.last_sync.as_ref().map(|l| l.upstream_sha);
        self.rejections = self
            .pulls
            .rejections
            .iter()
            .map(|r| r.record(carried(repo, r.head(), since, config)))
            .collect();
    }

    /// The record of `rejection`.
    pub fn record_of(&self, rejection: &Rejection) -> RejectedPull {
        self.rejections
            .iter()
            .find(|r| r.number == rejection.number())
            .cloned()
            .unwrap_or_else(|| rejection.record(Vec::new()))
    }

    /// What the run found, before anything is recorded: `repropose` when it proposed again despite a
    /// rejection, `opened` when it opened a pull request (which answers every rejection before it),
    /// `touched_again` the reverted paths its pull request changes again.
    pub fn declines(
        &self,
        on_rejection: OnRejection,
        repropose: bool,
        opened: bool,
        touched_again: Vec<String>,
    ) -> Declines {
        let standing = self.pulls.standing().is_some() && (!opened || repropose);
        Declines {
            rejection: self.pulls.latest().map(|r| self.record_of(r)),
            standing,
            paused: standing && on_rejection == OnRejection::Pause,
            reproposed: repropose && standing,
            reversal: self.reversal.clone(),
            touched_again,
            new_rejections: Vec::new(),
            recorded: None,
            unchecked: self.unchecked.clone(),
        }
    }

    /// Records `declines` in the target's issue in `at.place` (nothing when the pull requests could not be
    /// read: what is recorded must stay true), filling in what became of it and which rejections are new.
    pub async fn record(
        &self,
        forge: &Forge,
        at: &RecordPlace<'_>,
        declines: &mut Declines,
        dry_run: bool,
    ) {
        if self.unchecked.is_some() {
            return;
        }
        let last = self.pulls.last_merged().unwrap_or(0);
        let mut rejections: Vec<RejectedPull> = self
            .rejections
            .iter()
            .filter(|r| r.number > last)
            .cloned()
            .collect();
        rejections.reverse();
        let seen = Seen {
            target: at.target,
            upstream: at.upstream,
            base: at.base,
            rejections,
            states: declines.states(),
            reversal: self.reversal.clone(),
            last_merged: self.pulls.last_merged(),
            last_sync: self.last_sync.as_ref().map(|l| l.cousin_commit.to_string()),
        };
        let done = rejection_issue::record(forge, at.place, &seen, dry_run).await;
        declines.recorded = done.recorded;
        declines.new_rejections = done.new_rejections;
    }
}

/// The upstream commits from `since` (exclusive) to `head` on its first-parent line that change a subscribed
/// directory, newest first (at most [`MAX_COMMITS`]); none when `head` is not in the fetched history.
fn carried(repo: &SyncRepo, head: Oid, since: Option<Oid>, config: &CousinConfig) -> Vec<String> {
    let git = repo.history();
    let walk = || -> Result<Vec<String>, git2::Error> {
        let mut walk = git.revwalk()?;
        walk.simplify_first_parent()?;
        walk.push(head)?;
        if let Some(since) = since.filter(|s| git.find_commit(*s).is_ok()) {
            walk.hide(since)?;
        }
        let mut options = git2::DiffOptions::new();
        for s in config.subscriptions.iter().filter(|s| !s.path.is_root()) {
            options.pathspec(s.path.as_str());
        }
        let mut out = Vec::new();
        for id in walk.take(1_000) {
            let commit = git.find_commit(id?)?;
            let parent = commit.parent(0).ok().map(|p| p.tree()).transpose()?;
            let diff =
                git.diff_tree_to_tree(parent.as_ref(), Some(&commit.tree()?), Some(&mut options))?;
            if diff.deltas().len() > 0 {
                out.push(commit.id().to_string());
                if out.len() == MAX_COMMITS {
                    break;
                }
            }
        }
        Ok(out)
    };
    if git.find_commit(head).is_err() {
        return Vec::new();
    }
    walk().unwrap_or_default()
}
