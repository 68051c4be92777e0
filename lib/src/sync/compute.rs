//! Computing a sync, after verification: the last synced commit, the change the strategy makes (mapped
//! trees, three-way tree merges and their conflicts, the cherry-pick chain), its summary, message and trailer,
//! and the commit, all in git's object database; nothing is written to a branch here.

pub mod change;
pub mod change_summary;
pub mod conflict;
pub mod mapped_tree;
pub mod message;
pub mod pick_chain;
pub mod trailer;
pub mod tree_merge;

use git2::{Oid, Signature};

use crate::config::cousin_config::{ConfigOverrides, CousinConfig};
use crate::config::strategy::Strategy;
use crate::config::subscription::Subscription;
use crate::git::{SyncRepo, cousin_ref};
use crate::sync::compute::change::{ChangeInput, ChangeShape, SyncChange};
use crate::sync::compute::change_summary::ChangeSummary;
use crate::sync::compute::message::SyncMessage;
use crate::sync::compute::pick_chain::PickChain;
use crate::sync::compute::trailer::LastSync;
use crate::sync::sync_run_error::SyncRunError;
use crate::sync::sync_settings::SyncSettings;
use crate::sync::verify::Verified;

/// The outcome of the pipeline before publishing.
#[derive(Debug)]
pub enum Prepared {
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

/// Steps 3 and 4, after [`verify`](crate::sync::verify::verify): finds the last synced commit, computes the
/// change with the strategy and builds the commit, all in git's object database.
pub fn compute(
    repo: &SyncRepo,
    s: &SyncSettings,
    verified: Verified,
) -> Result<Prepared, SyncRunError> {
    let config = &s.config;
    let git = &repo.repo;
    let Verified {
        tip,
        target,
        base: base_id,
    } = verified;
    let upstream = git.find_commit(target)?;
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
    let commits =
        crate::sync::compute::pick_chain::commits_since(repo.history(), target.id(), from)?;
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
    let (chain, head) =
        crate::sync::compute::pick_chain::pick(&crate::sync::compute::pick_chain::PickInput {
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
