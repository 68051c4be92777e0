//! `SyncTrailer`: the `Ecosync-Upstream: owner/name@<sha>` line that marks a commit (or pull request body)
//! as carrying an upstream commit, and the search for the last one on a branch.
//!
//! Every sync commit carries the trailer, so rebase merges keep it; the pull request body carries it too,
//! so a squash merge that uses the body as message keeps it. The search therefore accepts the trailer on
//! any line of a commit message, not only in the final paragraph.

use std::fmt;

use git2::{Oid, Repository};

use crate::repo_name::RepoName;

/// The trailer key.
pub const TRAILER_KEY: &str = "Ecosync-Upstream";

/// An upstream commit named in a sync trailer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncTrailer {
    /// The upstream repository.
    pub upstream: RepoName,
    /// The upstream commit, 40 lowercase hex characters.
    pub sha: String,
}

impl SyncTrailer {
    /// A trailer for `sha` of `upstream`.
    pub fn new(upstream: RepoName, sha: Oid) -> Self {
        SyncTrailer {
            upstream,
            sha: sha.to_string(),
        }
    }

    /// Parses one line, `Ecosync-Upstream: owner/name@sha` (surrounding space and letter case of the key
    /// ignored).
    pub fn parse_line(line: &str) -> Option<SyncTrailer> {
        let (key, value) = line.trim().split_once(':')?;
        if !key.trim().eq_ignore_ascii_case(TRAILER_KEY) {
            return None;
        }
        let (repo, sha) = value.trim().rsplit_once('@')?;
        let upstream = RepoName::parse(repo).ok()?;
        if sha.len() != 40 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(SyncTrailer {
            upstream,
            sha: sha.to_ascii_lowercase(),
        })
    }

    /// Every trailer for `upstream` in a message, in order.
    pub fn find_all<'a>(
        message: &'a str,
        upstream: &'a RepoName,
    ) -> impl Iterator<Item = SyncTrailer> + 'a {
        message
            .lines()
            .filter_map(SyncTrailer::parse_line)
            .filter(move |t| &t.upstream == upstream)
    }

    /// The commit id.
    pub fn oid(&self) -> Option<Oid> {
        Oid::from_str(&self.sha).ok()
    }
}

impl fmt::Display for SyncTrailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{TRAILER_KEY}: {}@{}", self.upstream, self.sha)
    }
}

/// The last upstream commit already synced into a branch, and the cousin commit that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastSync {
    /// The upstream commit.
    pub upstream_sha: Oid,
    /// The cousin commit whose message carries the trailer.
    pub cousin_commit: Oid,
}

/// Walks the history of `head` (newest first) and returns the first commit that shows a sync of
/// `upstream`: its message carries a trailer for it (when one message carries several, a squash of several
/// syncs, the last line wins), or the forge says it is the commit a merged sync pull request made
/// (`merged`: cousin commit and the upstream commit its pull request carried), which is how a squash
/// merge with the title alone as message is still recognised.
pub fn find_last_sync(
    repo: &Repository,
    head: Oid,
    upstream: &RepoName,
    merged: &[(Oid, Oid)],
) -> Result<Option<LastSync>, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)?;
    walk.push(head)?;
    for id in walk {
        let id = id?;
        let commit = repo.find_commit(id)?;
        let message = String::from_utf8_lossy(commit.message_bytes());
        let found = SyncTrailer::find_all(&message, upstream)
            .last()
            .and_then(|t| t.oid())
            .or_else(|| merged.iter().find(|(c, _)| *c == id).map(|(_, u)| *u));
        if let Some(sha) = found {
            return Ok(Some(LastSync {
                upstream_sha: sha,
                cousin_commit: id,
            }));
        }
    }
    Ok(None)
}

/// The cousin commits that merged sync pull requests made, each with the upstream commit its pull
/// request's body names last (pull requests without a trailer for `upstream` are left out).
pub fn merged_syncs(pulls: &[crate::forge::PullRequest], upstream: &RepoName) -> Vec<(Oid, Oid)> {
    pulls
        .iter()
        .filter_map(|p| {
            let commit = Oid::from_str(p.merge_commit.as_deref()?).ok()?;
            let sha = SyncTrailer::find_all(&p.body, upstream).last()?.oid()?;
            Some((commit, sha))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let t = SyncTrailer::new(
            RepoName::parse("acme/mono").unwrap(),
            Oid::from_str(&"ab".repeat(20)).unwrap(),
        );
        let line = t.to_string();
        assert_eq!(
            line,
            format!("Ecosync-Upstream: acme/mono@{}", "ab".repeat(20))
        );
        assert_eq!(SyncTrailer::parse_line(&line), Some(t));
    }

    #[test]
    fn finds_trailer_anywhere_and_filters_upstream() {
        let up = RepoName::parse("acme/mono").unwrap();
        let msg = format!(
            "Sync (#4)\n\n* a\n  ecosync-upstream: acme/mono@{}\nEcosync-Upstream: other/x@{}\n",
            "1".repeat(40),
            "2".repeat(40)
        );
        let found: Vec<_> = SyncTrailer::find_all(&msg, &up).collect();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].sha, "1".repeat(40));
        assert!(SyncTrailer::parse_line("Ecosync-Upstream: acme/mono@xyz").is_none());
    }
}
