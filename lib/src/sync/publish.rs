//! Publishing a computed sync: push the pull request branch to the cousin and find or create its one pull
//! request, idempotently.
//!
//! - The branch is fetched first. When its head already carries this sync (same trailer, same tree) nothing
//!   is pushed: re-running an event, or completing a run that crashed after its push, reuses it.
//! - When every commit on the branch was made by ecosync (each carries a sync trailer for this upstream, or
//!   is an upstream commit), the branch is replaced (force push): a newer update refreshes the rolling PR.
//! - When someone added their own commits, the branch is never force-pushed: the sync is added as a new
//!   commit on top (a three-way merge of the change onto their work), or, if that conflicts, nothing is
//!   pushed and the pull request gets a comment saying so.
//! - The pull request is looked for before one is created; an open one is updated in place.
//! - A pull request ecosync closes (nothing left to bring) gets a closing comment with
//!   [`CLOSED_MARKER`](crate::sync::rejection::CLOSED_MARKER), so the close is never taken for a person's
//!   rejection.

pub mod acknowledge;
pub mod failure_report;

use std::time::{Duration, SystemTime};

use git2::Oid;

use crate::config::pull_request_config::PullRequestConfig;
use crate::config::subscription::Subscription;
use crate::error_kind::UserError;
use crate::forge::{Forge, ForgeError, NewPullRequest, PullRequest};
use crate::git::{GitAuth, SyncRepo, SyncRepoError};
use crate::git::{cousin_ref, upstream_ref};
use crate::repo_name::RepoName;
use crate::sync::compute::SyncPlan;
use crate::sync::compute::conflict::Conflict;
use crate::sync::compute::trailer::SyncTrailer;
use crate::sync::compute::tree_merge;

/// Why publishing failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Fetching or pushing.
    #[error(transparent)]
    Repo(#[from] SyncRepoError),
    /// The forge refused or failed.
    #[error(transparent)]
    Forge(#[from] ForgeError),
    /// The branch has someone's commits and the sync cannot be added on top of them.
    #[error(
        "branch `{branch}` has commits not made by ecosync and the sync conflicts with them in {}; the \
         branch was left as it is",
        files.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    )]
    HumanCommitsConflict {
        /// The branch.
        branch: String,
        /// The conflicting files.
        files: Vec<Conflict>,
    },
    /// libgit2 failed.
    #[error("git: {}", crate::git::git_reason(.0))]
    Git(#[from] git2::Error),
    /// The branch holds the sync (pushed now or by an earlier run), then the pull request step failed.
    #[error(
        "branch `{branch}` holds the sync at `{head}`, but its pull request could not be opened or updated"
    )]
    AfterPush {
        /// The branch.
        branch: String,
        /// Its head.
        head: Oid,
        /// What failed.
        #[source]
        source: Box<PublishError>,
    },
}

impl UserError for PublishError {
    fn hint(&self) -> Option<String> {
        match self {
            PublishError::Forge(e) => e.hint(),
            PublishError::HumanCommitsConflict { .. } => Some(
                "merge the base branch into the pull request branch by hand, or close the pull request and \
                 delete the branch to let ecosync start afresh"
                    .to_owned(),
            ),
            PublishError::AfterPush { source, .. } => source.hint(),
            PublishError::Repo(_) | PublishError::Git(_) => None,
        }
    }
}

/// What was done (or, in a dry run, would be done) to the branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchAction {
    /// Created with the sync commit.
    Created(Oid),
    /// Replaced (it only held ecosync commits).
    Replaced {
        /// The old head.
        old: Oid,
        /// The new head.
        new: Oid,
    },
    /// Someone's commits were kept and the sync was added on top.
    AddedOnTop {
        /// The old head.
        old: Oid,
        /// The new head.
        new: Oid,
    },
    /// The branch already carries this sync.
    Reused(Oid),
}

impl BranchAction {
    /// The branch head after the action.
    pub fn head(&self) -> Oid {
        match self {
            BranchAction::Created(h) | BranchAction::Reused(h) => *h,
            BranchAction::Replaced { new, .. } | BranchAction::AddedOnTop { new, .. } => *new,
        }
    }
}

/// What happened to the pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullRequestAction {
    /// Opened.
    Created(PullRequest),
    /// The open one was updated.
    Updated(PullRequest),
    /// A dry run would open one with this title.
    WouldCreate(String),
    /// A dry run would update this one.
    WouldUpdate(PullRequest),
    /// Not opened yet: the oldest upstream commit on the branch is younger than the buffer (the branch
    /// was pushed; a later run opens it).
    Held {
        /// When the buffer of the oldest commit runs out.
        until: SystemTime,
    },
}

/// The result of publishing.
#[derive(Debug, Clone)]
pub struct Published {
    /// The branch.
    pub branch: String,
    /// What was done to it.
    pub branch_action: BranchAction,
    /// What was done to the pull request.
    pub pull_request: PullRequestAction,
}

/// Where and how to publish.
pub struct PublishTarget<'a> {
    /// The cousin repository on the forge.
    pub cousin: &'a RepoName,
    /// Its git URL.
    pub cousin_url: &'a str,
    /// Credentials for it.
    pub cousin_auth: &'a GitAuth,
    /// The pull request branch.
    pub branch: &'a str,
    /// The base branch.
    pub base: &'a str,
    /// The upstream repository (to recognise ecosync commits).
    pub upstream: &'a RepoName,
    /// The upstream branch (fetched into its private ref).
    pub upstream_branch: &'a str,
    /// Pull request settings.
    pub settings: &'a PullRequestConfig,
    /// Open the pull request as a draft whatever the settings say (conflict markers inside).
    pub force_draft: bool,
    /// The committer, for a commit added on top of someone's work.
    pub committer: git2::Signature<'static>,
    /// Open a new pull request only once the oldest upstream commit the branch brings is this old.
    pub open_after: Option<Duration>,
    /// The subscriptions: only the upstream commits that touch them count for `open_after`.
    pub subscriptions: &'a [Subscription],
    /// The current time, for `open_after`.
    pub now: SystemTime,
}

/// Pushes the plan's commit to the branch and finds or creates the pull request.
pub async fn publish(
    forge: &Forge,
    repo: &SyncRepo,
    plan: &SyncPlan,
    t: &PublishTarget<'_>,
) -> Result<Published, PublishError> {
    // A push that loses a race with another run of the same event (it pushed the branch first) is tried
    // once more from a fresh fetch, which then usually finds the branch already carrying this sync.
    repo.clear_remote_leftovers(t.cousin_url, t.branch)?;
    let mut attempt = 0;
    let action = loop {
        attempt += 1;
        let action = decide_branch(forge, repo, plan, t).await?;
        if repo.is_dry_run() {
            break action;
        }
        let pushed = match &action {
            BranchAction::Created(new) | BranchAction::AddedOnTop { new, .. } => {
                repo.push(t.cousin_url, *new, t.branch, false, t.cousin_auth)
            }
            BranchAction::Replaced { new, .. } => {
                repo.push(t.cousin_url, *new, t.branch, true, t.cousin_auth)
            }
            BranchAction::Reused(_) => Ok(()),
        };
        match pushed {
            Ok(()) => break action,
            Err(SyncRepoError::Push { .. }) if attempt == 1 => {}
            Err(e) => return Err(e.into()),
        }
    };
    let pull_request = pull_request(forge, repo, plan, t).await.map_err(|source| {
        if repo.is_dry_run() {
            return source;
        }
        PublishError::AfterPush {
            branch: t.branch.to_owned(),
            head: action.head(),
            source: Box::new(source),
        }
    })?;
    Ok(Published {
        branch: t.branch.to_owned(),
        branch_action: action,
        pull_request,
    })
}

/// Finds or opens the pull request of the pushed branch, brings its title, body and decorations up to
/// date.
async fn pull_request(
    forge: &Forge,
    repo: &SyncRepo,
    plan: &SyncPlan,
    t: &PublishTarget<'_>,
) -> Result<PullRequestAction, PublishError> {
    let title = plan.message.title(&t.settings.title);
    let body = plan.message.body();
    let existing = forge
        .find_open_pull_request(t.cousin, t.branch, t.base)
        .await?;
    if existing.is_none()
        && let Some(buffer) = t.open_after
    {
        let until = buffer_end(repo, plan, t.subscriptions, buffer, t.now)?;
        if until > t.now {
            return Ok(PullRequestAction::Held { until });
        }
    }
    let pull_request = match (existing, repo.is_dry_run()) {
        (Some(pr), true) => PullRequestAction::WouldUpdate(pr),
        (None, true) => PullRequestAction::WouldCreate(title),
        (Some(pr), false) => {
            // Ensured on every run: a run that stopped between opening the pull request and decorating
            // it leaves it bare, and the next one completes it.
            decorate(forge, t, &pr).await?;
            let pr = if pr.title != title || pr.body != body {
                forge
                    .update_pull_request(t.cousin, pr.number, &title, &body)
                    .await?
            } else {
                pr
            };
            PullRequestAction::Updated(pr)
        }
        (None, false) => {
            let pr = forge
                .create_pull_request(
                    t.cousin,
                    &NewPullRequest {
                        title,
                        body,
                        head: t.branch.to_owned(),
                        base: t.base.to_owned(),
                        draft: t.settings.draft || t.force_draft,
                    },
                )
                .await?;
            decorate(forge, t, &pr).await?;
            PullRequestAction::Created(pr)
        }
    };
    Ok(pull_request)
}

/// When the buffer of the oldest upstream change `plan` brings runs out: the first-parent commits after its
/// last synced commit (all of them for a first sync) that touch a subscribed directory, oldest first. The
/// walk stops at the first commit whose buffer has run out by `now`; with no such commit, the upstream
/// commit's own time counts. Walked in upstream's history ([`SyncRepo::history`]); a walk that ends on the
/// boundary of a shallow fetch deepens it and walks again.
fn buffer_end(
    repo: &SyncRepo,
    plan: &SyncPlan,
    subscriptions: &[Subscription],
    buffer: Duration,
    now: SystemTime,
) -> Result<SystemTime, SyncRepoError> {
    loop {
        let (end, at_boundary) = buffer_end_in(repo, plan, subscriptions, buffer, now)?;
        if !at_boundary || !repo.deepen_upstream()? {
            return Ok(end);
        }
    }
}

/// [`buffer_end`] in the history fetched so far, and whether the walk ran out on the boundary of a
/// shallow fetch (so more history could change the answer).
fn buffer_end_in(
    repo: &SyncRepo,
    plan: &SyncPlan,
    subscriptions: &[Subscription],
    buffer: Duration,
    now: SystemTime,
) -> Result<(SystemTime, bool), git2::Error> {
    let git = repo.history();
    let time = |c: &git2::Commit<'_>| {
        crate::git::clock::from_unix_seconds(c.committer().when().seconds()) + buffer
    };
    let upstream = git.find_commit(plan.upstream)?;
    let mut end = time(&upstream);
    let mut walk = git.revwalk()?;
    walk.simplify_first_parent()?;
    walk.push(plan.upstream)?;
    if let Some(last) = plan
        .message
        .last_synced
        .filter(|l| git.find_commit(*l).is_ok())
    {
        walk.hide(last)?;
    }
    let mut options = git2::DiffOptions::new();
    for s in subscriptions.iter().filter(|s| !s.path.is_root()) {
        options.pathspec(s.path.as_str());
    }
    // Read once for the walk: the boundary only moves when the fetch is deepened.
    let boundary = repo.upstream_boundary();
    for id in walk {
        let id = id?;
        if boundary.contains(&id) {
            // Its parent was not fetched: this commit's change, and what is below it, are not known here.
            return Ok((end, true));
        }
        let commit = git.find_commit(id)?;
        let parent = commit.parent(0).ok().map(|p| p.tree()).transpose()?;
        let diff =
            git.diff_tree_to_tree(parent.as_ref(), Some(&commit.tree()?), Some(&mut options))?;
        if diff.deltas().len() == 0 {
            continue;
        }
        end = end.min(time(&commit));
        if end <= now {
            break;
        }
    }
    Ok((end, false))
}

/// Fetches the branch and decides what to do to it; a conflict with someone's commits is said on the pull
/// request, where the people who added those commits will see it.
async fn decide_branch(
    forge: &Forge,
    repo: &SyncRepo,
    plan: &SyncPlan,
    t: &PublishTarget<'_>,
) -> Result<BranchAction, PublishError> {
    let remote_head =
        repo.fetch_branch(t.cousin_url, t.branch, &cousin_ref(t.branch), t.cousin_auth)?;
    match decide(repo, plan, t, remote_head) {
        Ok(a) => Ok(a),
        Err(e @ PublishError::HumanCommitsConflict { .. }) => {
            // Say so where the people who added those commits will see it.
            if !repo.is_dry_run()
                && let Some(pr) = forge
                    .find_open_pull_request(t.cousin, t.branch, t.base)
                    .await?
            {
                let note = format!(
                    "ecosync could not add {} to this branch: {e}. Resolve by merging `{}` into this branch \
                     by hand, or close this pull request and delete the branch to let ecosync start afresh.",
                    plan.message.trailer(),
                    plan.base
                );
                forge.comment(t.cousin, pr.number, &note).await?;
            }
            Err(e)
        }
        Err(e) => Err(e),
    }
}

/// Adds the configured labels, reviewers and assignees the pull request lacks. Reviewers are asked only
/// when nobody is asked yet: someone who already reviewed is no longer "requested", and asking them again on
/// every run would ping them for nothing.
async fn decorate(
    forge: &Forge,
    t: &PublishTarget<'_>,
    pr: &PullRequest,
) -> Result<(), ForgeError> {
    let s = t.settings;
    let missing = |want: &[String], have: &[String]| -> Vec<String> {
        want.iter()
            .filter(|w| !have.iter().any(|h| h.eq_ignore_ascii_case(w)))
            .cloned()
            .collect()
    };
    let labels = missing(&s.labels, &pr.labels);
    if !labels.is_empty() {
        forge.add_labels(t.cousin, pr.number, &labels).await?;
    }
    let nobody_asked = pr.reviewers.is_empty() && pr.team_reviewers.is_empty();
    if nobody_asked && (!s.reviewers.is_empty() || !s.team_reviewers.is_empty()) {
        forge
            .request_reviewers(t.cousin, pr.number, &s.reviewers, &s.team_reviewers)
            .await?;
    }
    let assignees = missing(&s.assignees, &pr.assignees);
    if !assignees.is_empty() {
        forge.add_assignees(t.cousin, pr.number, &assignees).await?;
    }
    Ok(())
}

fn decide(
    repo: &SyncRepo,
    plan: &SyncPlan,
    t: &PublishTarget<'_>,
    remote_head: Option<Oid>,
) -> Result<BranchAction, PublishError> {
    let git = &repo.repo;
    let Some(old) = remote_head else {
        return Ok(BranchAction::Created(plan.commit));
    };
    let head = git.find_commit(old)?;
    let carries = |c: &git2::Commit<'_>| {
        let msg = String::from_utf8_lossy(c.message_bytes()).into_owned();
        SyncTrailer::find_all(&msg, t.upstream).any(|tr| tr.oid() == Some(plan.upstream))
    };
    if old == plan.commit || (head.tree_id() == plan.tree && carries(&head)) {
        return Ok(BranchAction::Reused(old));
    }
    // Built on the branch (cherry-picks stacked on the earlier, unmerged ones): a fast-forward.
    if git.graph_descendant_of(plan.commit, old)? {
        return Ok(BranchAction::AddedOnTop {
            old,
            new: plan.commit,
        });
    }
    // Which commits on the branch are not on the base: are they all ecosync's?
    let upstream_tip = repo.fetched(&upstream_ref(t.upstream_branch));
    let mut walk = git.revwalk()?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL)?;
    walk.push(old)?;
    walk.hide(plan.base)?;
    let mut human = false;
    // The newest ecosync commit on the branch: what their work was made on top of.
    let mut last_ours: Option<Oid> = None;
    for id in walk {
        let id = id?;
        let c = git.find_commit(id)?;
        let msg = String::from_utf8_lossy(c.message_bytes()).into_owned();
        let is_sync = SyncTrailer::find_all(&msg, t.upstream).next().is_some();
        // Asked only when it matters: after a shallow fetch of upstream, a commit of the cousin's deepens
        // it to the end before it is known not to be upstream's.
        let is_upstream = || match upstream_tip {
            Some(tip) => Ok::<_, SyncRepoError>(tip == id || repo.upstream_descends(tip, id)?),
            None => Ok(false),
        };
        if !is_sync && !is_upstream()? {
            human = true;
        } else if last_ours.is_none() {
            last_ours = Some(c.tree_id());
        }
    }
    if !human {
        return Ok(BranchAction::Replaced {
            old,
            new: plan.commit,
        });
    }
    // Add the sync on top of their work: the change from ecosync's last commit there (else the base) to the
    // plan, merged into the branch head.
    let ancestor = match last_ours {
        Some(t) => t,
        None => git.find_commit(plan.base)?.tree_id(),
    };
    let merged = tree_merge::merge_trees(git, ancestor, head.tree_id(), plan.tree)?;
    if !merged.conflicts.is_empty() {
        return Err(PublishError::HumanCommitsConflict {
            branch: t.branch.to_owned(),
            files: merged.conflicts,
        });
    }
    if merged.tree == head.tree_id() {
        return Ok(BranchAction::Reused(old));
    }
    let tree = git.find_tree(merged.tree)?;
    let new = git.commit(
        None,
        &t.committer,
        &t.committer,
        &plan.message.commit_message(),
        &tree,
        &[&head],
    )?;
    Ok(BranchAction::AddedOnTop { old, new })
}

/// What to look at when a run has nothing to apply.
pub struct CloseTarget<'a> {
    /// The cousin repository on the forge.
    pub cousin: &'a RepoName,
    /// Its git URL.
    pub cousin_url: &'a str,
    /// Credentials for it.
    pub cousin_auth: &'a GitAuth,
    /// The pull request branch.
    pub branch: &'a str,
    /// The base branch.
    pub base: &'a str,
    /// The base branch's commit.
    pub base_commit: Oid,
    /// The upstream repository.
    pub upstream: &'a RepoName,
    /// The upstream commit the run was about.
    pub upstream_sha: Oid,
    /// Whether a newer no-op upstream commit supersedes the branch's sync (not for `cherry-pick`, where
    /// each commit is its own change).
    pub supersedes: bool,
}

/// Closes the open sync pull request when it has nothing left to bring: its branch is already in the base
/// (or makes the same tree), or it carries an upstream commit that the run's (no-op) commit supersedes.
/// Returns the pull request closed (or, in a dry run, that would be closed).
pub async fn close_if_superseded(
    forge: &Forge,
    repo: &SyncRepo,
    t: &CloseTarget<'_>,
) -> Result<Option<PullRequest>, PublishError> {
    let Some(head) =
        repo.fetch_branch(t.cousin_url, t.branch, &cousin_ref(t.branch), t.cousin_auth)?
    else {
        return Ok(None);
    };
    let Some(pr) = forge
        .find_open_pull_request(t.cousin, t.branch, t.base)
        .await?
    else {
        return Ok(None);
    };
    let git = &repo.repo;
    let head_commit = git.find_commit(head)?;
    let base_commit = git.find_commit(t.base_commit)?;
    let empty = head == t.base_commit
        || git.graph_descendant_of(t.base_commit, head)?
        || head_commit.tree_id() == base_commit.tree_id();
    let message = String::from_utf8_lossy(head_commit.message_bytes()).into_owned();
    let mut superseded = false;
    if t.supersedes
        && let Some(carried) = SyncTrailer::find_all(&message, t.upstream)
            .last()
            .and_then(|tr| tr.oid())
    {
        superseded = carried == t.upstream_sha
            || (repo.upstream_has(carried)? && repo.upstream_descends(t.upstream_sha, carried)?);
    }
    if !empty && !superseded {
        return Ok(None);
    }
    if !repo.is_dry_run() {
        let why = if empty {
            format!(
                "`{}` already contains everything this pull request brings",
                t.base
            )
        } else {
            format!(
                "upstream commit `{}` supersedes it and changes nothing here",
                t.upstream_sha
            )
        };
        forge
            .comment(
                t.cousin,
                pr.number,
                &format!(
                    "{}\necosync closes this pull request: {why}.",
                    crate::sync::rejection::CLOSED_MARKER
                ),
            )
            .await?;
        forge.close_pull_request(t.cousin, pr.number).await?;
    }
    Ok(Some(pr))
}
