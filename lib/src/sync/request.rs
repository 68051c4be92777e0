//! `SyncRequest`: everything one sync needs, checked by the caller before anything happens.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::config::cousin_config::CousinConfig;
use crate::repo_name::{self, InferError, RepoName};
use crate::sync::verify::event::SyncEvent;

/// One sync to run with [`crate::sync::apply`].
// Independent switches of one run (dry run, one commit, propose again, keep the failure issue), each set by
// its own caller: not a state machine.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone)]
pub struct SyncRequest {
    /// The cousin's checked configuration.
    pub config: CousinConfig,
    /// The file it was read from, if any (inside the clone, its version at the last sync tells which
    /// subscriptions are new since).
    pub config_file: Option<PathBuf>,
    /// What to sync.
    pub event: SyncEvent,
    /// The cousin's clone (its history must be complete, not shallow).
    pub repo_dir: PathBuf,
    /// The cousin on the forge; `None` infers it from the clone's `origin` remote.
    pub cousin: Option<RepoName>,
    /// Where the cousin's branches are fetched from and pushed to; `None` is the forge's URL for it.
    pub cousin_url: Option<String>,
    /// Compute everything, write nothing (no push, no pull request, no issue, no outputs).
    pub dry_run: bool,
    /// The committer of sync commits: name and email.
    pub committer: (String, String),
    /// The forge's web address, for links in pull requests and issues.
    pub server_url: String,
    /// The GitHub Actions run ID, for the run's URL in failure reports.
    pub run_id: Option<String>,
    /// The current time (commit dates and the `max_age` check).
    pub now: SystemTime,
    /// Bring exactly the event's commit (its change against its first parent), not everything since the
    /// last sync: one pull request per upstream commit (the branch template names the commit). A cousin
    /// never synced gets one first sync at the upstream tip instead, on the default rolling branch.
    pub single_commit: bool,
    /// The ref read on upstream for the branch's tip, when not `refs/heads/{branch}` (the dispatcher names
    /// the commit it delivers in a private ref of its own clone).
    pub upstream_ref: Option<String>,
    /// Propose the change even when a rejection holds it (`--repropose`): the target's earlier pull request
    /// was closed without merging, or the target is paused.
    pub repropose: bool,
    /// Push the branch, but open its pull request only once the oldest upstream commit it brings is this
    /// old (an open one is updated as usual); `None` opens it at once.
    pub open_after: Option<Duration>,
    /// A success leaves an open failure issue open: the caller runs several syncs (one per commit) and
    /// closes it once none of them fails ([`crate::sync::publish::failure_report::close_open`]).
    pub keep_failure_issue: bool,
}

impl SyncRequest {
    /// The cousin on the forge: as given, else read from the clone's `origin` remote.
    pub fn cousin_name(&self) -> Result<RepoName, InferError> {
        match &self.cousin {
            Some(c) => Ok(c.clone()),
            None => repo_name::infer_from_origin(&self.repo_dir, "--repo-name"),
        }
    }
}
