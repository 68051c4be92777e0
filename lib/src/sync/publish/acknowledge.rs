//! `Acknowledged`: how a subscriber with `"acknowledge": true` settles the dispatcher's `pending` commit
//! status (context `ecosync/<owner>/<name>`) on the upstream commit when its run ends.
//!
//! An applied sync is `success` linking to its pull request; "already synced", "no change" and "not
//! subscribed" are `success` with "nothing to do"; a conflict or a failure is `failure` linking to the
//! issue that reports it (else to the run). A change held because the target closed its pull request
//! without merging is `failure` with `rejected: #N`, and so is the upstream commit of each rejected pull
//! request the run sees for the first time. A rejected input sets nothing (whoever can dispatch must not
//! be able to make ecosync write to the upstream repository), nor does a dry run. The status is one paced
//! request and never fatal: a run that synced stays a success when its status cannot be set.

use crate::actions;
use crate::error_kind::error_chain;
use crate::forge::Forge;
use crate::forge::commit_status::{NewCommitStatus, StatusState};
use crate::repo_name::RepoName;
use crate::sync::request::SyncRequest;
use crate::sync::sync_outcome::{Report, SyncOutcome};

/// What became of the acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acknowledged {
    /// The status was set.
    Set {
        /// The upstream commit.
        sha: String,
        /// The status.
        status: NewCommitStatus,
    },
    /// The status could not be set (the sync's own outcome stands).
    Failed {
        /// The upstream commit.
        sha: String,
        /// The status that was tried.
        status: NewCommitStatus,
        /// Why, with its chain.
        error: String,
    },
}

/// The status a run's `outcome` settles to, or `None` when nothing is to be set.
pub fn status_for(
    request: &SyncRequest,
    cousin: &RepoName,
    outcome: &SyncOutcome,
) -> Option<(String, NewCommitStatus)> {
    if !request.config.acknowledge || request.dry_run {
        return None;
    }
    let sha = request.event.commit.or_else(|| outcome.upstream_sha())?;
    let run_url = request
        .run_id
        .as_deref()
        .map(|id| actions::run_url(&request.server_url, cousin, id));
    let issue_url = |report: &Report| match report {
        Report::Opened { issue, .. } | Report::Commented { issue, .. } => {
            Some(issue.html_url.clone())
        }
        _ => None,
    };
    let (state, description, url) = match outcome {
        SyncOutcome::Rejected(_) => return None,
        SyncOutcome::Held(h) => (
            StatusState::Failure,
            rejected_description(h.rejection.number),
            Some(h.rejection.url.clone()),
        ),
        SyncOutcome::Applied(a) => {
            let conflicts = a.change.conflicts.len();
            let description = if conflicts == 0 {
                "synced: pull request opened or updated".to_owned()
            } else {
                format!("synced with {conflicts} conflicting file(s) in a draft pull request")
            };
            (
                StatusState::Success,
                description,
                outcome.pull_request_url().map(str::to_owned),
            )
        }
        SyncOutcome::AlreadySynced { .. } => (
            StatusState::Success,
            "nothing to do: already synced".to_owned(),
            run_url,
        ),
        SyncOutcome::NoChange { .. } => (
            StatusState::Success,
            "nothing to do: no change in the subscribed paths".to_owned(),
            run_url,
        ),
        SyncOutcome::NotSubscribed { .. } => (
            StatusState::Success,
            "nothing to do: not subscribed to these paths".to_owned(),
            run_url,
        ),
        SyncOutcome::Conflict(c) => (
            StatusState::Failure,
            "the change conflicts; the issue says what to do".to_owned(),
            issue_url(&c.report).or(run_url),
        ),
        SyncOutcome::Failed(f) => (
            StatusState::Failure,
            format!("the sync failed: {}", error_chain(&f.error)),
            issue_url(&f.report).or(run_url),
        ),
    };
    Some((
        sha.to_string(),
        NewCommitStatus::new(cousin, state, &description, url),
    ))
}

/// The description of the status of a rejected upstream commit.
pub fn rejected_description(number: u64) -> String {
    format!("rejected: #{number}")
}

/// The statuses of the rejected pull requests `outcome` saw for the first time: `failure` with
/// `rejected: #N` on the upstream commit each carried (but the one the run's own status is about).
pub fn rejection_statuses(
    request: &SyncRequest,
    cousin: &RepoName,
    outcome: &SyncOutcome,
) -> Vec<(String, NewCommitStatus)> {
    if !request.config.acknowledge || request.dry_run {
        return Vec::new();
    }
    let own = status_for(request, cousin, outcome).map(|(sha, _)| sha);
    outcome
        .declines()
        .map(|d| d.new_rejections.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|r| own.as_deref() != Some(r.head.as_str()))
        .map(|r| {
            (
                r.head.clone(),
                NewCommitStatus::new(
                    cousin,
                    StatusState::Failure,
                    &rejected_description(r.number),
                    Some(r.url.clone()),
                ),
            )
        })
        .collect()
}

/// Sets the statuses of [`rejection_statuses`], one after the other.
pub async fn acknowledge_rejections(
    request: &SyncRequest,
    forge: &Forge,
    cousin: &RepoName,
    outcome: &SyncOutcome,
) -> Vec<Acknowledged> {
    let upstream = &request.config.upstream_repo;
    let mut done = Vec::new();
    for (sha, status) in rejection_statuses(request, cousin, outcome) {
        done.push(
            match forge.set_commit_status(upstream, &sha, &status).await {
                Ok(()) => Acknowledged::Set { sha, status },
                Err(e) => Acknowledged::Failed {
                    sha,
                    status,
                    error: error_chain(&e),
                },
            },
        );
    }
    done
}

/// Sets the status `outcome` settles to on the upstream commit, when the configuration asks for it.
pub async fn acknowledge(
    request: &SyncRequest,
    forge: &Forge,
    cousin: &RepoName,
    outcome: &SyncOutcome,
) -> Option<Acknowledged> {
    let (sha, status) = status_for(request, cousin, outcome)?;
    let upstream = &request.config.upstream_repo;
    Some(
        match forge.set_commit_status(upstream, &sha, &status).await {
            Ok(()) => Acknowledged::Set { sha, status },
            Err(e) => Acknowledged::Failed {
                sha,
                status,
                error: error_chain(&e),
            },
        },
    )
}
