//! `PickChain`: the upstream commits since the last sync, each cherry-picked onto the one before it, in
//! upstream's order, so every commit arrives with its author, message and trailer. Commits that touch no
//! subscribed path are skipped and counted, as are commits whose change the cousin already has.

use git2::{Commit, Oid, Repository, Signature};

use crate::config::strategy::Strategy;
use crate::config::subscription::Subscription;
use crate::sync::compute::change::{self, ChangeInput, SyncChangeError};
use crate::sync::compute::conflict::Conflict;
use crate::sync::compute::mapped_tree;
use crate::sync::compute::message::SyncMessage;

/// One upstream commit as it was picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickedCommit {
    /// The upstream commit.
    pub upstream: Oid,
    /// The cousin commit made for it.
    pub commit: Oid,
    /// Files committed with conflict markers.
    pub conflicts: Vec<Conflict>,
}

/// The picked chain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PickChain {
    /// The commits picked, oldest first.
    pub picked: Vec<PickedCommit>,
    /// Upstream commits skipped because they touch no subscribed path.
    pub unsubscribed: usize,
    /// Upstream commits skipped because the cousin already has their change.
    pub already_present: usize,
}

impl PickChain {
    /// Every conflicting file of every picked commit, sorted, once each.
    pub fn conflicts(&self) -> Vec<Conflict> {
        let mut all: Vec<Conflict> = self
            .picked
            .iter()
            .flat_map(|p| p.conflicts.iter().cloned())
            .collect();
        all.sort();
        all.dedup_by(|a, b| a.path == b.path);
        all
    }
}

/// The first-parent commits after `last` up to `target`, oldest first: what a cherry-pick sync brings. A
/// merge commit upstream counts as one change against its first parent (as `git cherry-pick -m 1`).
pub fn commits_since(repo: &Repository, target: Oid, last: Oid) -> Result<Vec<Oid>, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.simplify_first_parent()?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)?;
    walk.push(target)?;
    walk.hide(last)?;
    walk.collect()
}

/// What a chain is picked onto, and with which words.
pub struct PickInput<'r, 'a> {
    /// The repository.
    pub repo: &'r Repository,
    /// The subscriptions.
    pub subscriptions: &'a [Subscription],
    /// The commit the first pick goes onto (the base, or the pull request branch with earlier picks).
    pub start: Commit<'r>,
    /// The upstream commits to pick, oldest first.
    pub commits: &'a [Oid],
    /// The words of the whole sync; each commit's message is made from it.
    pub message: &'a SyncMessage,
    /// The committer of every pick.
    pub committer: &'a Signature<'a>,
}

/// Picks every commit in turn. Returns the chain and its head (`start` when nothing was picked).
pub fn pick(input: &PickInput<'_, '_>) -> Result<(PickChain, Oid), SyncChangeError> {
    let repo = input.repo;
    let mut head = input.start.clone();
    let mut chain = PickChain::default();
    for &id in input.commits {
        let upstream = repo.find_commit(id)?;
        if !touches(repo, &upstream, input.subscriptions)? {
            chain.unsubscribed += 1;
            continue;
        }
        let change = change::compute(&ChangeInput {
            repo,
            strategy: Strategy::CherryPick,
            subscriptions: input.subscriptions,
            cousin: &head,
            upstream: &upstream,
            last_synced: None,
            backfill: &[],
        })?;
        let tree = change.tree(repo)?;
        if tree == head.tree_id() {
            chain.already_present += 1;
            continue;
        }
        let mut words = input.message.clone();
        words.upstream_sha = id;
        words.upstream_message = String::from_utf8_lossy(upstream.message_bytes()).into_owned();
        words.conflicts.clone_from(&change.conflicts);
        words.first_sync = false;
        words.backfill.clear();
        let commit = repo.commit(
            None,
            &upstream.author(),
            input.committer,
            &words.commit_message(),
            &repo.find_tree(tree)?,
            &[&head],
        )?;
        chain.picked.push(PickedCommit {
            upstream: id,
            commit,
            conflicts: change.conflicts,
        });
        head = repo.find_commit(commit)?;
    }
    Ok((chain, head.id()))
}

/// Whether `commit` changes anything under a subscribed upstream directory (against its first parent, or
/// against nothing for a root commit).
fn touches(
    repo: &Repository,
    commit: &Commit<'_>,
    subscriptions: &[Subscription],
) -> Result<bool, SyncChangeError> {
    let tree = commit.tree()?;
    let parent = match commit.parent(0) {
        Ok(p) => p.tree()?,
        Err(_) => repo.find_tree(mapped_tree::empty_tree(repo)?)?,
    };
    for sub in subscriptions {
        // Mapped to the cousin's root, upstream's reserved directory is never brought: not a change.
        let strip = sub.to.is_root();
        let new = mapped_tree::subtree(repo, &tree, &sub.path, strip, "upstream")?;
        let old = mapped_tree::subtree(repo, &parent, &sub.path, strip, "upstream")?;
        if new != old {
            return Ok(true);
        }
    }
    Ok(false)
}
