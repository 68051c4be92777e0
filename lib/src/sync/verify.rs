//! Verification, the first steps of a sync: the event is from the configured upstream and concerns a
//! subscription ([`not_concerned`], which needs no repository), and the commit is real and recent on the
//! upstream branch ([`verify`], which fetches from the configured URL only). Each step that stops the run
//! says why, and whether the input was rejected or the run failed.

pub mod event;

use std::time::Duration;

use git2::Oid;

use crate::git::{SyncRepo, cousin_ref};
use crate::repo_name::redact_userinfo;
use crate::sync::sync_run_error::SyncRunError;
use crate::sync::sync_settings::SyncSettings;

/// What verification found: the commits the rest of the sync works from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// Upstream's branch tip, as fetched.
    pub tip: Oid,
    /// The upstream commit to sync (the event's, or the tip).
    pub target: Oid,
    /// The cousin's base branch head.
    pub base: Oid,
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

/// Step 2: fetches upstream from the configured URL only and checks the commit: it exists, it is on the
/// upstream branch, and (unless it is the tip asked for with `--latest`) it is recent enough; then finds the
/// cousin's base.
pub fn verify(repo: &SyncRepo, s: &SyncSettings) -> Result<Verified, SyncRunError> {
    let config = &s.config;
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
    Ok(Verified {
        tip,
        target,
        base: base_id,
    })
}
