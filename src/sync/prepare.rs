//! The subscriber's step pipeline up to (not including) publishing: check the event against the
//! configuration, fetch upstream from the configured URL only, verify the commit (exists, reachable from the
//! upstream branch, recent enough), find the last synced commit, compute the change with the strategy and
//! build the commit, all in git's object database.
//!
//! Each step that stops the run says why, and whether the input was rejected (a bad or unwanted event) or
//! the run failed ([`SyncRunError::is_rejection`]).

use std::time::{Duration, SystemTime};

use git2::{Oid, Signature};

use crate::config::cousin_config::{ConfigOverrides, CousinConfig};
use crate::config::strategy::Strategy;
use crate::config::subscription::Subscription;
use crate::git::{GitAuth, SyncRepo, SyncRepoError, cousin_ref};
use crate::repo_name::{RepoName, redact_userinfo};
use crate::sync::change::{self, ChangeInput, ChangeShape, SyncChange, SyncChangeError};
use crate::sync::change_summary::ChangeSummary;
use crate::sync::event::SyncEvent;
use crate::sync::message::SyncMessage;
use crate::sync::pick_chain::PickChain;
use crate::sync::trailer::{self, LastSync};

/// Why the pipeline stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncRunError {
    /// The event names another source repository.
    #[error(
        "the event comes from `{got}`, but this repository syncs from `{configured}`; the event is rejected"
    )]
    WrongSource {
        /// The payload's `source_repo`.
        got: RepoName,
        /// The configured upstream.
        configured: RepoName,
    },
    /// The commit is not in the fetched upstream.
    #[error("commit `{sha}` does not exist in `{url}` (fetched `{branch}`)")]
    UnknownCommit {
        /// The commit.
        sha: Oid,
        /// Where upstream was fetched from.
        url: String,
        /// The upstream branch.
        branch: String,
    },
    /// The commit exists but is not on the upstream branch.
    #[error(
        "commit `{sha}` is not reachable from upstream branch `{branch}` (tip `{tip}`); only commits on the \
         configured branch are synced"
    )]
    Unreachable {
        /// The commit.
        sha: Oid,
        /// The upstream branch.
        branch: String,
        /// Its tip.
        tip: Oid,
    },
    /// The commit is older than `max_age`.
    #[error(
        "commit `{sha}` was committed {age} ago, more than `max_age` ({max_age}); the event is rejected"
    )]
    TooOld {
        /// The commit.
        sha: Oid,
        /// Its age, rounded.
        age: String,
        /// The configured maximum.
        max_age: String,
    },
    /// The upstream branch does not exist.
    #[error("upstream `{url}` has no branch `{branch}`")]
    NoUpstreamBranch {
        /// Where upstream was fetched from.
        url: String,
        /// The branch.
        branch: String,
    },
    /// The cousin's base branch could not be found.
    #[error("this repository has no branch `{0}` to sync into")]
    NoBase(String),
    /// The last synced commit named by a trailer is gone from upstream.
    #[error(
        "the last synced upstream commit `{sha}` (named in commit `{by}` here) is not in upstream any more; \
         was upstream's history rewritten?"
    )]
    LostSync {
        /// The upstream commit.
        sha: Oid,
        /// The cousin commit carrying the trailer.
        by: Oid,
    },
    /// Fetching or pushing.
    #[error(transparent)]
    Repo(#[from] SyncRepoError),
    /// Computing the change.
    #[error(transparent)]
    Change(#[from] SyncChangeError),
    /// libgit2 failed.
    #[error("git: {0}")]
    Git(#[from] git2::Error),
}

impl SyncRunError {
    /// True when the input was rejected (exit status 3) rather than the run failing (1).
    pub fn is_rejection(&self) -> bool {
        matches!(
            self,
            SyncRunError::WrongSource { .. }
                | SyncRunError::UnknownCommit { .. }
                | SyncRunError::Unreachable { .. }
                | SyncRunError::TooOld { .. }
        )
    }

    /// A hint for the user, where one helps.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            SyncRunError::WrongSource { .. } => {
                "only the configured `upstream.repo` may send changes; fix the dispatcher's ecosystem or this \
                 repository's `upstream.repo`"
            }
            SyncRunError::UnknownCommit { .. } | SyncRunError::Unreachable { .. } => {
                "dispatch only commits pushed to the upstream branch, or run `subscriber apply --latest`"
            }
            SyncRunError::TooOld { .. } => {
                "raise `max_age` in the configuration, or run `subscriber apply --latest` to sync the tip"
            }
            SyncRunError::LostSync { .. } => {
                "sync once with `\"strategy\": \"squash\"` to start again from the upstream state"
            }
            SyncRunError::Repo(SyncRepoError::Shallow(_)) => SHALLOW_HINT,
            SyncRunError::NoUpstreamBranch { .. } => "check `upstream.branch` and `upstream.url`",
            _ => return None,
        })
    }
}

/// What to do about a shallow clone.
pub const SHALLOW_HINT: &str =
    "check out the full history (actions/checkout with `fetch-depth: 0`)";

/// The validated inputs of one run.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    /// The configuration.
    pub config: CousinConfig,
    /// Where upstream is fetched from (the configured URL, else the forge's URL for it).
    pub upstream_url: String,
    /// Credentials for upstream.
    pub upstream_auth: GitAuth,
    /// The cousin's base branch.
    pub base_branch: String,
    /// Where the cousin's branches are fetched from and pushed to; `None` uses the local repository's
    /// branches (and then nothing can be pushed).
    pub cousin_url: Option<String>,
    /// Credentials for the cousin.
    pub cousin_auth: GitAuth,
    /// What to sync.
    pub event: SyncEvent,
    /// The current time.
    pub now: SystemTime,
    /// The committer of sync commits (name, email).
    pub committer: (String, String),
    /// The web address of the forge, for links.
    pub server_url: String,
    /// What the forge knows of merged sync pull requests: the commit each merge made in the cousin and the
    /// upstream commit it carried (see [`trailer::find_last_sync`]).
    pub merged_syncs: Vec<(Oid, Oid)>,
    /// Where the configuration file is in the cousin's repository (relative to its root), when it is in
    /// it: its version in the last sync's commit tells which subscriptions are new since.
    pub config_in_repo: Option<String>,
    /// Bring exactly the event's commit, its change against its first parent, whatever was synced before
    /// (one pull request per upstream commit, merged in any order).
    pub single_commit: bool,
    /// The ref read on upstream for its tip, when not `refs/heads/{upstream_branch}`.
    pub upstream_ref: Option<String>,
}

/// The outcome of the pipeline before publishing.
#[derive(Debug)]
pub enum Prepared {
    /// No subscription concerns the event.
    NotSubscribed(String),
    /// The commit (or a newer one) is already synced.
    AlreadySynced {
        /// The upstream commit asked for.
        upstream: Oid,
        /// The cousin commit that shows it.
        by: Oid,
    },
    /// The commit changes nothing in the subscribed directories.
    NoChange {
        /// The upstream commit.
        upstream: Oid,
    },
    /// There is a change to publish.
    Change(Box<SyncPlan>),
}

/// A computed sync, ready to be pushed.
#[derive(Debug)]
pub struct SyncPlan {
    /// The upstream commit.
    pub upstream: Oid,
    /// The cousin's base commit.
    pub base: Oid,
    /// The change.
    pub change: SyncChange,
    /// The commit to put on the pull request branch (a new commit, or the upstream commit for a
    /// fast-forward).
    pub commit: Oid,
    /// The tree of `commit`.
    pub tree: Oid,
    /// What it changes relative to the base.
    pub summary: ChangeSummary,
    /// The messages.
    pub message: SyncMessage,
    /// For a cherry-pick after an earlier sync: the commits picked, and the branch they stack on.
    pub picks: Option<Picks>,
}

/// What a cherry-pick sync picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picks {
    /// The picked chain.
    pub chain: PickChain,
    /// The open pull request's branch head the picks go on top of, when they stack on earlier ones.
    pub stacked_on: Option<Oid>,
}

/// Step 1, which needs no repository: an event from another source is refused; one that concerns no
/// subscription gives the reason, and nothing is done (the cousin's repository is not even locked).
pub fn not_concerned(s: &SyncSettings) -> Result<Option<String>, SyncRunError> {
    let config = &s.config;
    if let Some(src) = &s.event.source_repo
        && src != &config.upstream_repo
    {
        return Err(SyncRunError::WrongSource {
            got: src.clone(),
            configured: config.upstream_repo.clone(),
        });
    }
    Ok(s.event.concerned(&config.subscriptions).err())
}

/// Runs the pipeline up to the commit.
pub fn prepare(repo: &SyncRepo, s: &SyncSettings) -> Result<Prepared, SyncRunError> {
    let config = &s.config;
    // Step 1: the event.
    if let Some(why) = not_concerned(s)? {
        return Ok(Prepared::NotSubscribed(why));
    }
    // Step 2: fetch and verify.
    let git = &repo.repo;
    let tip = repo
        .fetch_upstream(
            &s.upstream_url,
            &config.upstream_branch,
            s.upstream_ref
                .as_deref()
                .unwrap_or(&format!("refs/heads/{}", config.upstream_branch)),
            &s.upstream_auth,
            config.strategy.merges_history(),
        )?
        .ok_or_else(|| SyncRunError::NoUpstreamBranch {
            url: redact_userinfo(&s.upstream_url).into_owned(),
            branch: config.upstream_branch.clone(),
        })?;
    let target = s.event.commit.unwrap_or(tip);
    // A shallow fetch goes as deep as the commit (and its parents); once it reaches back past `max_age`
    // without it, to the end, so an unknown or too old commit is reported as a full fetch reports it.
    let older_than = s.event.commit.map(|_| {
        crate::git::clock::unix_seconds(s.now)
            .saturating_sub(i64::try_from(config.max_age.as_secs()).unwrap_or(i64::MAX))
    });
    repo.reach_upstream(target, older_than)?;
    let upstream = git
        .find_commit(target)
        .map_err(|_| SyncRunError::UnknownCommit {
            sha: target,
            url: redact_userinfo(&s.upstream_url).into_owned(),
            branch: config.upstream_branch.clone(),
        })?;
    if target != tip && !repo.upstream_descends(tip, target)? {
        return Err(SyncRunError::Unreachable {
            sha: target,
            branch: config.upstream_branch.clone(),
            tip,
        });
    }
    // `--latest` syncs the tip however old it is; events and `--sha` must be recent.
    if s.event.commit.is_some() {
        let committed = crate::git::clock::from_unix_seconds(upstream.committer().when().seconds());
        if let Ok(age) = s.now.duration_since(committed)
            && age > config.max_age
        {
            return Err(SyncRunError::TooOld {
                sha: target,
                age: humantime::format_duration(Duration::from_secs(age.as_secs() / 3600 * 3600))
                    .to_string(),
                max_age: config.max_age_text.clone(),
            });
        }
    }
    // The cousin's base.
    let base_id = match &s.cousin_url {
        Some(url) => repo.fetch_branch(
            url,
            &s.base_branch,
            &cousin_ref(&s.base_branch),
            &s.cousin_auth,
        )?,
        None => git
            .refname_to_id(&format!("refs/heads/{}", s.base_branch))
            .or_else(|_| git.refname_to_id(&format!("refs/remotes/origin/{}", s.base_branch)))
            .ok(),
    }
    .ok_or_else(|| SyncRunError::NoBase(s.base_branch.clone()))?;
    let base = git.find_commit(base_id)?;
    // Step 3: the last sync.
    let found: Option<LastSync> = if config.strategy.tracks_last_sync() {
        trailer::find_last_sync(git, base_id, &config.upstream_repo, &s.merged_syncs)?
    } else {
        None
    };
    // A single commit is merged in any order with the others: an earlier sync only says that there was one
    // (so the commit's own change applies), never that this commit is in.
    let synced_before = found.is_some();
    let last = found.filter(|_| !s.single_commit);
    // A shallow fetch goes as deep as every commit since the last sync.
    if let Some(l) = &last {
        repo.reach_upstream_since(tip, l.upstream_sha)?;
    }
    // Subscriptions added or removed since the last sync.
    let (backfill, dropped) = match (&last, &s.config_in_repo) {
        (Some(l), Some(path)) if config.strategy.maps_directories() => {
            match previous_subscriptions(git, l.cousin_commit, path, config) {
                Some(before) => (
                    config
                        .subscriptions
                        .iter()
                        .filter(|sub| !before.contains(sub))
                        .cloned()
                        .collect(),
                    before
                        .into_iter()
                        .filter(|sub| !config.subscriptions.contains(sub))
                        .collect(),
                ),
                None => (Vec::new(), Vec::new()),
            }
        }
        _ => (Vec::new(), Vec::new()),
    };
    let mut upstream = upstream;
    let mut target = target;
    if s.single_commit && !synced_before && target != tip {
        // Never synced: one first sync, at the tip (an older commit's state would only be overwritten).
        target = tip;
        upstream = git.find_commit(tip)?;
    }
    if config.strategy.merges_history() {
        if base_id == target || git.graph_descendant_of(base_id, target)? {
            return Ok(Prepared::AlreadySynced {
                upstream: target,
                by: base_id,
            });
        }
    } else if let Some(l) = &last {
        let known = git.find_commit(l.upstream_sha).is_ok();
        if l.upstream_sha == target || (known && repo.upstream_descends(l.upstream_sha, target)?) {
            if backfill.is_empty() {
                return Ok(Prepared::AlreadySynced {
                    upstream: target,
                    by: l.cousin_commit,
                });
            }
            // Synced already, but new subscriptions still need their backfill: at the synced commit.
            target = l.upstream_sha;
            upstream = git.find_commit(target)?;
        }
        if !known && config.strategy.needs_last_sync() {
            return Err(SyncRunError::LostSync {
                sha: l.upstream_sha,
                by: l.cousin_commit,
            });
        }
    }
    // Step 4: apply. A cherry-pick after an earlier sync picks every commit since; without one, the first
    // sync brings the mapped directories to upstream's state, as diff-apply's does. A single commit is its
    // change against its first parent: a base that has it already gives no change.
    let last_synced = if s.single_commit && synced_before {
        upstream.parent_id(0).ok()
    } else if s.single_commit {
        // Never synced: the first sync brings the mapped directories to the tip's state.
        None
    } else {
        last.as_ref().map(|l| l.upstream_sha)
    };
    if s.single_commit
        && let Some(parent) = last_synced
    {
        repo.reach_upstream_since(target, parent)?;
    }
    if config.strategy.stacks()
        && let Some(last) = last_synced
    {
        return pick_plan(repo, s, &base, &upstream, last, &backfill, &dropped);
    }
    let strategy = if config.strategy.stacks() {
        Strategy::DiffApply
    } else {
        config.strategy
    };
    let change = change::compute(&ChangeInput {
        repo: git,
        strategy,
        subscriptions: &config.subscriptions,
        cousin: &base,
        upstream: &upstream,
        last_synced,
        backfill: &backfill,
    })?;
    let tree = change.tree(git)?;
    if tree == base.tree_id()
        && !matches!(
            change.shape,
            ChangeShape::Commit {
                merge_parent: Some(_),
                ..
            }
        )
    {
        return Ok(Prepared::NoChange { upstream: target });
    }
    let summary = if config.strategy.maps_directories() {
        let dirs: Vec<_> = config.subscriptions.iter().map(|s| s.to.clone()).collect();
        ChangeSummary::between_dirs(git, base.tree_id(), tree, &dirs)?
    } else {
        ChangeSummary::between(git, base.tree_id(), tree)?
    };
    let message = SyncMessage {
        first_sync: change.first_sync,
        conflicts: change.conflicts.clone(),
        summary: summary.clone(),
        ..sync_message(
            repo.history(),
            s,
            &upstream,
            last_synced,
            &backfill,
            &dropped,
        )?
    };
    let commit = match &change.shape {
        ChangeShape::FastForward(id) => *id,
        ChangeShape::Commit { tree, merge_parent } => {
            let seconds = crate::git::clock::unix_seconds(s.now);
            let committer =
                Signature::new(&s.committer.0, &s.committer.1, &git2::Time::new(seconds, 0))?;
            let author = if config.strategy.keeps_authors() && !change.first_sync {
                upstream.author().to_owned()
            } else {
                committer.clone()
            };
            let tree = git.find_tree(*tree)?;
            let mut parents = vec![base.clone()];
            if let Some(p) = merge_parent {
                parents.push(git.find_commit(*p)?);
            }
            let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
            git.commit(
                None,
                &author,
                &committer,
                &message.commit_message(),
                &tree,
                &parent_refs,
            )?
        }
    };
    // What the commit takes from an upstream read in place goes into the cousin's own store now, before
    // anything (a ref, a push) names it.
    repo.own_objects(commit, &[base_id])?;
    Ok(Prepared::Change(Box::new(SyncPlan {
        upstream: target,
        base: base_id,
        change,
        commit,
        tree,
        summary,
        message,
        picks: None,
    })))
}

/// A cherry-pick sync after an earlier one: every upstream commit since, picked in order. When the open
/// pull request's branch builds on the current base with earlier picks, the new ones go on top of it and
/// the earlier ones stay as they are; otherwise (it was merged, or the base moved) the chain starts from
/// the base, so nothing the base already has is proposed again.
fn pick_plan(
    repo: &SyncRepo,
    s: &SyncSettings,
    base: &git2::Commit<'_>,
    upstream: &git2::Commit<'_>,
    last: Oid,
    backfill: &[Subscription],
    dropped: &[Subscription],
) -> Result<Prepared, SyncRunError> {
    let git = &repo.repo;
    let config = &s.config;
    let mut start = base.clone();
    let mut from = last;
    let mut stacked_on = None;
    if let Some(url) = &s.cousin_url {
        let branch = config.pr_branch(upstream.id());
        if let Some(head) = repo.fetch_branch(url, &branch, &cousin_ref(&branch), &s.cousin_auth)?
            && head != base.id()
            && git.graph_descendant_of(head, base.id())?
            && let Some(l) =
                trailer::find_last_sync(git, head, &config.upstream_repo, &s.merged_syncs)?
            && l.upstream_sha != from
            && repo.upstream_has(l.upstream_sha)?
            && repo.upstream_descends(l.upstream_sha, from)?
        {
            start = git.find_commit(head)?;
            from = l.upstream_sha;
            stacked_on = Some(head);
        }
    }
    // The branch may already carry more than this event asks for.
    let target = if from == upstream.id() || repo.upstream_descends(from, upstream.id())? {
        git.find_commit(from)?
    } else {
        upstream.clone()
    };
    let commits = crate::sync::pick_chain::commits_since(repo.history(), target.id(), from)?;
    let seconds = crate::git::clock::unix_seconds(s.now);
    let committer = Signature::new(&s.committer.0, &s.committer.1, &git2::Time::new(seconds, 0))?;
    let mut message = sync_message(repo.history(), s, &target, Some(last), backfill, dropped)?;
    // New subscriptions first take upstream's state as of the last sync, in a commit of their own; the
    // picks then bring them forward with the rest.
    if !backfill.is_empty() && stacked_on.is_none() {
        let at = git.find_commit(from)?;
        let change = change::compute(&ChangeInput {
            repo: git,
            strategy: Strategy::DiffApply,
            subscriptions: backfill,
            cousin: &start,
            upstream: &at,
            last_synced: None,
            backfill,
        })?;
        let tree = change.tree(git)?;
        if tree != start.tree_id() {
            let mut words = message.clone();
            words.upstream_sha = from;
            words.upstream_message = String::from_utf8_lossy(at.message_bytes()).into_owned();
            let id = git.commit(
                None,
                &committer,
                &committer,
                &words.commit_message(),
                &git.find_tree(tree)?,
                &[&start],
            )?;
            start = git.find_commit(id)?;
        }
    }
    let (chain, head) = crate::sync::pick_chain::pick(&crate::sync::pick_chain::PickInput {
        repo: git,
        subscriptions: &config.subscriptions,
        start,
        commits: &commits,
        message: &message,
        committer: &committer,
    })?;
    let tree = git.find_commit(head)?.tree_id();
    if head == base.id() {
        return Ok(Prepared::NoChange {
            upstream: upstream.id(),
        });
    }
    let dirs: Vec<_> = config.subscriptions.iter().map(|s| s.to.clone()).collect();
    let summary = ChangeSummary::between_dirs(git, base.tree_id(), tree, &dirs)?;
    let conflicts = chain.conflicts();
    message.summary = summary.clone();
    message.conflicts.clone_from(&conflicts);
    let complete: Vec<Oid> = std::iter::once(base.id()).chain(stacked_on).collect();
    repo.own_objects(head, &complete)?;
    Ok(Prepared::Change(Box::new(SyncPlan {
        upstream: target.id(),
        base: base.id(),
        change: SyncChange {
            shape: ChangeShape::Commit {
                tree,
                merge_parent: None,
            },
            conflicts,
            first_sync: false,
        },
        commit: head,
        tree,
        summary,
        message,
        picks: Some(Picks { chain, stacked_on }),
    })))
}

/// The words of a sync of `upstream` since `last_synced`: its commits, the event's features and dispatch
/// id, the subscriptions added and removed since. `git` is where upstream's history is walked
/// ([`SyncRepo::history`]).
fn sync_message(
    git: &git2::Repository,
    s: &SyncSettings,
    upstream: &git2::Commit<'_>,
    last_synced: Option<Oid>,
    backfill: &[Subscription],
    dropped: &[Subscription],
) -> Result<SyncMessage, git2::Error> {
    Ok(SyncMessage {
        upstream_commits: upstream_commits(git, upstream.id(), last_synced)?,
        features: s.event.features.clone(),
        backfill: backfill.iter().map(Subscription::describe).collect(),
        dropped: dropped.iter().map(Subscription::describe).collect(),
        dispatch_id: s.event.dispatch_id.clone(),
        server_url: s.server_url.clone(),
        ..SyncMessage::new(&s.config, upstream, last_synced)
    })
}

/// The subscriptions the last sync ran with: the configuration file as it was in `at`, the cousin commit
/// that records the sync. `None` when that cannot be known (no such file there, one that does not load, or
/// one for another upstream): then nothing counts as added or removed.
fn previous_subscriptions(
    git: &git2::Repository,
    at: Oid,
    path: &str,
    config: &CousinConfig,
) -> Option<Vec<Subscription>> {
    let tree = git.find_commit(at).ok()?.tree().ok()?;
    let entry = tree.get_path(std::path::Path::new(path)).ok()?;
    let blob = git.find_blob(entry.id()).ok()?;
    let text = std::str::from_utf8(blob.content()).ok()?;
    let overrides = ConfigOverrides {
        upstream_repo: Some(config.upstream_repo.clone()),
    };
    let before = CousinConfig::load(path, text, &overrides).ok()?;
    (before.upstream_repo == config.upstream_repo).then_some(before.subscriptions)
}

/// The upstream commits a sync brings, newest first: since the last sync (bounded), just the one without
/// an earlier sync.
fn upstream_commits(
    git: &git2::Repository,
    target: Oid,
    last: Option<Oid>,
) -> Result<Vec<(Oid, String)>, git2::Error> {
    let subject = |id: Oid| -> Result<String, git2::Error> {
        Ok(
            String::from_utf8_lossy(git.find_commit(id)?.summary_bytes().unwrap_or_default())
                .into_owned(),
        )
    };
    let single =
        || -> Result<Vec<(Oid, String)>, git2::Error> { Ok(vec![(target, subject(target)?)]) };
    let Some(last) = last.filter(|l| git.find_commit(*l).is_ok()) else {
        return single();
    };
    let mut walk = git.revwalk()?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)?;
    walk.push(target)?;
    walk.hide(last)?;
    let mut out = Vec::new();
    for id in walk.take(200) {
        let id = id?;
        out.push((id, subject(id)?));
    }
    Ok(out)
}
