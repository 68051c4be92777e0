//! `SyncPulls`: what a target's sync pull requests say about rejections. A sync pull request is one whose
//! body carries a sync trailer for the upstream; it is open, merged, closed by ecosync (its closing
//! comment carries [`CLOSED_MARKER`]), or rejected: closed without merging by someone else.
//!
//! Two listings (the closed pull requests into the base, which the sync trail reads anyway, and the open
//! ones), then for each pull request closed without merging since the last merged sync (with one pull
//! request per upstream commit: any of the listed ones, since a rejection holds its commit whatever was
//! merged since), at most [`MAX_EXAMINED`], its comments and who closed it.

use std::time::SystemTime;

use git2::Oid;

use crate::forge::{Comment, Forge, ForgeError, PullRequest};
use crate::repo_name::RepoName;
use crate::sync::compute::trailer::SyncTrailer;
use crate::sync::rejection::CLOSED_MARKER;
use crate::sync::rejection::standing::RejectedPull;

/// The most pull requests closed without merging examined (newest first) in one run.
pub const MAX_EXAMINED: usize = 10;

/// How long the last comment of a rejection is kept, in characters.
pub const MAX_COMMENT_CHARS: usize = 1_000;

/// What became of a sync pull request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullFate {
    /// Still open.
    Open,
    /// Merged.
    Merged,
    /// Closed by ecosync (its diff vanished, or it was superseded).
    ClosedByEcosync,
    /// Closed without merging by someone else.
    Rejected,
    /// Closed without merging, older than what a run examines.
    Closed,
}

/// One sync pull request.
#[derive(Debug, Clone)]
pub struct SyncPull {
    /// The pull request.
    pub pr: PullRequest,
    /// The upstream commit it carries (its body's last trailer).
    pub carried: Oid,
    /// What became of it.
    pub fate: PullFate,
}

/// A rejected sync pull request, with who closed it and their last comment.
#[derive(Debug, Clone)]
pub struct Rejection {
    /// The pull request.
    pub pull: SyncPull,
    /// Who closed it, when the forge says.
    pub closed_by: Option<String>,
    /// Their last comment on it (author, text cut to [`MAX_COMMENT_CHARS`]), if any.
    pub last_comment: Option<(String, String)>,
}

impl Rejection {
    /// Its number.
    pub fn number(&self) -> u64 {
        self.pull.pr.number
    }

    /// The upstream commit it carried.
    pub fn head(&self) -> Oid {
        self.pull.carried
    }

    /// As it is recorded, with the upstream `commits` it brought.
    pub fn record(&self, commits: Vec<String>) -> RejectedPull {
        RejectedPull {
            number: self.pull.pr.number,
            url: self.pull.pr.html_url.clone(),
            head: self.pull.carried.to_string(),
            commits,
            closed_by: self.closed_by.clone(),
            closed_at: self.pull.pr.closed_at.clone(),
            last_comment: self.last_comment.as_ref().map(|(_, text)| text.clone()),
        }
    }
}

/// A target's sync pull requests into one base.
#[derive(Debug, Clone, Default)]
pub struct SyncPulls {
    /// Every sync pull request listed, newest first.
    pub pulls: Vec<SyncPull>,
    /// The rejections examined, newest first: since the last merged sync pull request, and with one pull
    /// request per upstream commit older ones too.
    pub rejections: Vec<Rejection>,
}

impl SyncPulls {
    /// The number of the last merged sync pull request.
    pub fn last_merged(&self) -> Option<u64> {
        self.pulls
            .iter()
            .filter(|p| p.fate == PullFate::Merged)
            .map(|p| p.pr.number)
            .max()
    }

    /// The cousin commits the merged sync pull requests made, each with the upstream commit it carried.
    pub fn merged_syncs(&self) -> Vec<(Oid, Oid)> {
        self.pulls
            .iter()
            .filter_map(|p| {
                let commit = Oid::from_str(p.pr.merge_commit.as_deref()?).ok()?;
                Some((commit, p.carried))
            })
            .collect()
    }

    /// Whether a sync pull request (carrying `commit` when one is given) was opened after `r` was closed:
    /// a newer proposal (by a newer upstream commit, a `--repropose`, another rejection) answers it.
    fn answered(&self, r: &Rejection, commit: Option<Oid>) -> bool {
        let closed = time(r.pull.pr.closed_at.as_deref());
        self.pulls.iter().any(|p| {
            p.pr.number > r.number()
                && commit.is_none_or(|c| p.carried == c)
                && match (time(p.pr.created_at.as_deref()), closed) {
                    (Some(created), Some(closed)) => created >= closed,
                    _ => true,
                }
        })
    }

    /// The rejections since the last merged sync pull request, newest first.
    pub fn since_merge(&self) -> impl Iterator<Item = &Rejection> {
        let last = self.last_merged().unwrap_or(0);
        self.rejections.iter().filter(move |r| r.number() > last)
    }

    /// The newest rejection since the last merged sync that nothing answered: the one that holds the
    /// target.
    pub fn standing(&self) -> Option<&Rejection> {
        self.since_merge().find(|r| !self.answered(r, None))
    }

    /// The newest rejection of a pull request carrying `commit` that no later pull request carrying it
    /// answered, merged or not (one pull request per upstream commit: a rejection holds only its commit,
    /// and other commits merged since change nothing to it).
    pub fn standing_for(&self, commit: Oid) -> Option<&Rejection> {
        self.rejections
            .iter()
            .filter(|r| r.head() == commit)
            .find(|r| !self.answered(r, Some(commit)))
    }

    /// The newest rejection since the last merged sync, answered or not: what a new pull request names.
    pub fn latest(&self) -> Option<&Rejection> {
        self.since_merge().next()
    }
}

/// Reads `target`'s sync pull requests from `upstream` into `base`; `per_commit`: one pull request per
/// upstream commit, whose rejections hold whatever was merged since.
pub async fn read(
    forge: &Forge,
    target: &RepoName,
    base: &str,
    upstream: &RepoName,
    per_commit: bool,
) -> Result<SyncPulls, ForgeError> {
    let closed = forge.closed_pull_requests(target, base).await?;
    let open = forge.open_pull_requests(target, base).await?;
    let carried = |p: &PullRequest| {
        SyncTrailer::find_all(&p.body, upstream)
            .last()
            .and_then(|t| t.oid())
    };
    let mut pulls: Vec<SyncPull> = open
        .into_iter()
        .chain(closed)
        .filter_map(|pr| {
            let carried = carried(&pr)?;
            let fate = if pr.state == "open" {
                PullFate::Open
            } else if pr.is_merged() {
                PullFate::Merged
            } else {
                PullFate::Closed
            };
            Some(SyncPull { pr, carried, fate })
        })
        .collect();
    pulls.sort_by_key(|p| std::cmp::Reverse(p.pr.number));
    pulls.dedup_by_key(|p| p.pr.number);
    let last_merged = pulls
        .iter()
        .filter(|p| p.fate == PullFate::Merged)
        .map(|p| p.pr.number)
        .max()
        .unwrap_or(0);
    let mut rejections = Vec::new();
    let candidates: Vec<usize> = pulls
        .iter()
        .enumerate()
        .filter(|(_, p)| p.fate == PullFate::Closed && (per_commit || p.pr.number > last_merged))
        .map(|(i, _)| i)
        .take(MAX_EXAMINED)
        .collect();
    for i in candidates {
        let number = pulls[i].pr.number;
        let comments = forge.comments(target, number).await?;
        if comments.iter().any(closed_by_ecosync) {
            pulls[i].fate = PullFate::ClosedByEcosync;
            continue;
        }
        let closed_by = forge.closed_by(target, number).await?;
        pulls[i].fate = PullFate::Rejected;
        let last_comment = closed_by.as_ref().and_then(|who| {
            comments
                .iter()
                .rev()
                .find(|c| c.author.as_deref() == Some(who.as_str()))
                .map(|c| {
                    (
                        who.clone(),
                        c.body.chars().take(MAX_COMMENT_CHARS).collect::<String>(),
                    )
                })
        });
        rejections.push(Rejection {
            pull: pulls[i].clone(),
            closed_by,
            last_comment,
        });
    }
    Ok(SyncPulls { pulls, rejections })
}

/// Whether a comment is ecosync's closing one: it carries the marker, or (written before there was a
/// marker) it is ecosync's old closing sentence.
fn closed_by_ecosync(c: &Comment) -> bool {
    c.body.contains(CLOSED_MARKER) || c.body.starts_with("ecosync closes this pull request:")
}

/// A time the forge wrote (RFC 3339).
fn time(text: Option<&str>) -> Option<SystemTime> {
    humantime::parse_rfc3339_weak(text?.trim_end_matches('Z'))
        .ok()
        .or_else(|| humantime::parse_rfc3339(text?).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forge_times_parse_with_and_without_fractions() {
        let a = time(Some("2026-01-01T00:00:00Z")).unwrap();
        let b = time(Some("2026-01-01T00:00:00.5Z")).unwrap();
        assert!(b > a);
        assert!(time(Some("yesterday")).is_none());
    }
}
