//! `Hold`: whether a computed sync may be proposed, given the target's rejections.
//!
//! - With one rolling pull request, the rejection that holds is the newest one nothing was proposed after.
//!   Its upstream commit, and anything older, is held; so is a newer commit that changes nothing in the
//!   subscribed directories since it. A newer commit that does is proposed, in a pull request that names
//!   the rejected one and the commits it carries again.
//! - With one pull request per upstream commit, a rejection holds only its own commit.
//! - With `on_rejection: pause`, any rejection nothing was proposed after holds everything.
//! - `--repropose OWNER/NAME` proposes again at once, whatever holds; reopening the pull request by hand
//!   makes it open again, so nothing holds.

use git2::Oid;

use crate::config::on_rejection::OnRejection;
use crate::config::subscription::Subscription;
use crate::git::SyncRepo;
use crate::git::SyncRepoError;
use crate::sync::rejection::sync_pulls::{Rejection, SyncPulls};

/// What a run may do.
#[derive(Debug, Clone, Copy)]
pub enum Hold<'a> {
    /// Propose it.
    Proceed,
    /// Propose nothing: `rejection` holds (`paused`: the whole target is paused).
    Held {
        /// The rejection that holds.
        rejection: &'a Rejection,
        /// Whether the target is paused (else only this change is held).
        paused: bool,
    },
}

/// What the sync about to be proposed is.
pub struct Proposal<'a> {
    /// The upstream commit it brings.
    pub upstream: Oid,
    /// One pull request per upstream commit.
    pub single_commit: bool,
    /// The target's setting.
    pub on_rejection: OnRejection,
    /// The subscriptions (their upstream paths tell whether a newer commit brings something new).
    pub subscriptions: &'a [Subscription],
}

/// Decides whether `proposal` is held by the rejections in `pulls`.
pub fn decide<'a>(
    repo: &SyncRepo,
    pulls: &'a SyncPulls,
    proposal: &Proposal<'_>,
) -> Result<Hold<'a>, SyncRepoError> {
    if proposal.on_rejection == OnRejection::Pause
        && let Some(rejection) = pulls.standing()
    {
        return Ok(Hold::Held {
            rejection,
            paused: true,
        });
    }
    if proposal.single_commit {
        return Ok(match pulls.standing_for(proposal.upstream) {
            Some(rejection) => Hold::Held {
                rejection,
                paused: false,
            },
            None => Hold::Proceed,
        });
    }
    let Some(rejection) = pulls.standing() else {
        return Ok(Hold::Proceed);
    };
    if brings_more(repo, rejection.head(), proposal)? {
        Ok(Hold::Proceed)
    } else {
        Ok(Hold::Held {
            rejection,
            paused: false,
        })
    }
}

/// Whether `proposal`'s upstream commit brings something the rejected `head` did not: it is newer and
/// changes a subscribed directory since (an unrelated history, after a force push, counts as new).
fn brings_more(repo: &SyncRepo, head: Oid, proposal: &Proposal<'_>) -> Result<bool, SyncRepoError> {
    let target = proposal.upstream;
    if target == head {
        return Ok(false);
    }
    if !repo.upstream_has(head)? {
        return Ok(true);
    }
    if repo.upstream_descends(head, target)? {
        return Ok(false);
    }
    if !repo.upstream_descends(target, head)? {
        return Ok(true);
    }
    let git = repo.history();
    let (old, new) = (
        git.find_commit(head)?.tree()?,
        git.find_commit(target)?.tree()?,
    );
    let at = |tree: &git2::Tree<'_>, path: &str| {
        if path.is_empty() {
            Some(tree.id())
        } else {
            tree.get_path(std::path::Path::new(path))
                .ok()
                .map(|e| e.id())
        }
    };
    Ok(proposal
        .subscriptions
        .iter()
        .any(|s| at(&old, s.path.as_str()) != at(&new, s.path.as_str())))
}

/// The upstream commits of `commits` (a sync's, newest first) that `head` (a rejected pull request's)
/// carried too: itself and its ancestors.
pub fn carried_again(
    repo: &SyncRepo,
    head: Oid,
    commits: &[(Oid, String)],
) -> Result<Vec<(Oid, String)>, SyncRepoError> {
    let mut again = Vec::new();
    for (id, subject) in commits {
        if *id == head || repo.upstream_descends(head, *id)? {
            again.push((*id, subject.clone()));
        }
    }
    Ok(again)
}
