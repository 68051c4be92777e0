//! `PerCommitSelection`: which source commits a `per_commit` delivery proposes in one run.
//!
//! Not the push's range: the commits the target is missing. They run from the target's own last synced
//! commit (the newest `Ecosync-Upstream` trailer for the source on the target's branch, or a merged sync
//! pull request the forge knows, as every other mode finds it) up to the head, so a missed or failed run is
//! caught up by the next, and an explicit `--base` does not narrow it. When the target was never synced, or
//! its last synced commit is not in the source clone's history of the head (a force push), the push's
//! range stands.
//!
//! At most [`DEFAULT_PER_COMMIT_LIMIT`] (or the entry's `per_commit_limit`) commits are proposed per run,
//! oldest first; the rest are queued, listed in the report, and proposed by later runs as earlier pull
//! requests merge and the target's last synced commit moves on. Commits with an open pull request count:
//! proposing them again only refreshes it.

use git2::{Oid, Repository};

use crate::dispatch::deliver::direct_settings::DirectSettings;
use crate::dispatch::deliver::engine_delivery::Commits;
use crate::forge::Forge;
use crate::git::GitAuth;
use crate::repo_name::RepoName;

/// How many pull requests a `per_commit` target gets at most in one run, unless its entry says.
pub const DEFAULT_PER_COMMIT_LIMIT: usize = 20;

/// The commits of one run, and those left for later runs.
#[derive(Debug, Clone)]
pub struct PerCommitSelection {
    /// The commits to propose now (oldest first), each with its changed paths.
    pub now: Commits,
    /// The commits past the limit, oldest first: proposed by later runs.
    pub queued: Vec<Oid>,
    /// The target's last synced source commit the selection starts after, when it was found and usable.
    pub since: Option<Oid>,
}

impl PerCommitSelection {
    /// The first `limit` commits of `all` now, the rest queued.
    pub fn capped(mut all: Commits, limit: usize, since: Option<Oid>) -> Self {
        let limit = limit.max(1);
        let queued = if all.each.len() > limit {
            all.each
                .split_off(limit)
                .into_iter()
                .map(|(id, _)| id)
                .collect()
        } else {
            Vec::new()
        };
        PerCommitSelection {
            now: all,
            queued,
            since,
        }
    }

    /// [`PerCommitSelection::capped`], but the commits in `held` (a person closed their pull request without
    /// merging) stay in `now` without counting against the limit: the engine says each is held, and none
    /// of them takes the place of a commit that can be proposed.
    pub fn capped_past_held(all: Commits, limit: usize, since: Option<Oid>, held: &[Oid]) -> Self {
        let limit = limit.max(1);
        let mut proposed = 0;
        let mut now = Vec::new();
        let mut queued = Vec::new();
        for (id, paths) in all.each {
            if held.contains(&id) {
                now.push((id, paths));
            } else if proposed < limit {
                proposed += 1;
                now.push((id, paths));
            } else {
                queued.push(id);
            }
        }
        PerCommitSelection {
            now: Commits {
                each: now,
                untouched: all.untouched,
            },
            queued,
            since,
        }
    }

    /// The report's words for the queued commits, when there are any.
    pub fn queued_line(&self, limit: usize) -> Option<String> {
        if self.queued.is_empty() {
            return None;
        }
        let shown: Vec<String> = self
            .queued
            .iter()
            .take(10)
            .map(|id| crate::git::short_oid(*id))
            .collect();
        let more = self.queued.len().saturating_sub(shown.len());
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        Some(format!(
            "queued {} commit(s) past the limit of {limit} pull requests per run: {}{more}; later runs \
             propose them as earlier ones merge",
            self.queued.len(),
            shown.join(", ")
        ))
    }
}

/// The source commits of `target`'s per-commit pull requests into `branch` (its default branch when `None`)
/// that a person closed without merging and nothing proposed again since: each is held, whatever else was
/// merged. None with `repropose`, or when the pull requests cannot be read (the engine then says so).
pub async fn held_commits(
    forge: &Forge,
    source: &RepoName,
    target: &RepoName,
    branch: Option<&str>,
    repropose: bool,
) -> Vec<Oid> {
    if repropose {
        return Vec::new();
    }
    let branch = match branch {
        Some(b) => b.to_owned(),
        None => match forge.default_branch(target).await {
            Ok(b) => b,
            Err(_) => return Vec::new(),
        },
    };
    let Ok(pulls) =
        crate::sync::rejection::sync_pulls::read(forge, target, &branch, source, true).await
    else {
        return Vec::new();
    };
    let mut held: Vec<Oid> = pulls
        .rejections
        .iter()
        .map(crate::sync::rejection::sync_pulls::Rejection::head)
        .filter(|head| pulls.standing_for(*head).is_some())
        .collect();
    held.dedup();
    held
}

/// The source commit `target` was last synced to on `branch` (its default branch when `None`), when one
/// is found and is an ancestor of `head` in the source clone; `None` otherwise (never synced, the target
/// cannot be read, or the commit is not in this history), and the push's range stands.
pub async fn target_last_synced(
    forge: &Forge,
    settings: &DirectSettings,
    source: &RepoName,
    target: &RepoName,
    branch: Option<&str>,
    head: Oid,
) -> Option<Oid> {
    let branch = match branch {
        Some(b) => b.to_owned(),
        None => forge.default_branch(target).await.ok()?,
    };
    let url = settings.git_url(forge, target);
    let auth = GitAuth {
        userpass: forge
            .git_credentials(target)
            .await
            .ok()
            .flatten()
            .map(|c| (c.username, c.password)),
    };
    let merged = match forge.merged_pull_requests(target, &branch).await {
        Ok(pulls) => crate::sync::compute::trailer::merged_syncs(&pulls, source),
        Err(_) => Vec::new(),
    };
    // The target's cache repository when there is one (what the engine fetches next is then there
    // already), else a scratch one.
    let scratch;
    let dir = if let Some(dir) = settings.target_dir.as_ref().filter(|_| !settings.dry_run) {
        dir.join(target.owner()).join(target.name())
    } else {
        scratch = tempfile::Builder::new()
            .prefix("ecosync-last-sync-")
            .tempdir()
            .ok()?;
        scratch.path().to_path_buf()
    };
    let found = (|| -> Result<Option<Oid>, git2::Error> {
        let git = if let Ok(git) = Repository::open_bare(&dir) {
            git
        } else {
            std::fs::create_dir_all(&dir).map_err(|e| git2::Error::from_str(&e.to_string()))?;
            Repository::init_bare(&dir)?
        };
        let mut remote = git.remote_anonymous(&url)?;
        let mut fo = git2::FetchOptions::new();
        fo.remote_callbacks(auth.callbacks(&url));
        fo.update_fetchhead(false);
        fo.download_tags(git2::AutotagOption::None);
        let local = "refs/ecosync/last-sync-target";
        remote.fetch(
            &[format!("+refs/heads/{branch}:{local}")],
            Some(&mut fo),
            None,
        )?;
        let tip = git.refname_to_id(local)?;
        let last = crate::sync::compute::trailer::find_last_sync(&git, tip, source, &merged);
        if let Ok(mut r) = git.find_reference(local) {
            let _ = r.delete();
        }
        Ok(last?.map(|l| l.upstream_sha))
    })();
    let last = match found {
        Ok(last) => last?,
        Err(e) => {
            tracing::debug!(error = %e, %target, "cannot read the target's last sync; the push's range stands");
            return None;
        }
    };
    let source_repo = Repository::open(&settings.source_dir).ok()?;
    let usable = last == head || source_repo.graph_descendant_of(head, last).unwrap_or(false);
    usable.then_some(last)
}
