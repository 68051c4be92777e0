//! `Acknowledgement`: the `pending` commit status `dispatcher dispatch --ack` sets on the source commit for
//! each target, so the commit shows, target by target, whether each sync happened.
//!
//! The pending status is set *before* the dispatch is sent: a subscriber that answers quickly then always
//! overwrites it, never the other way round. A dispatch that fails turns its status to `error`. Statuses
//! are mutating requests, paced like every other, and never fatal: a status that cannot be set is
//! reported and the deliveries go on.

use serde::{Deserialize, Serialize};

use crate::error_kind::error_chain;
use crate::forge::Forge;
use crate::forge::commit_status::{NewCommitStatus, StatusState};
use crate::repo_name::RepoName;

/// The description of a pending delivery status.
pub const PENDING_DESCRIPTION: &str = "dispatched; waiting for the subscriber to acknowledge";

/// What became of one target's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    /// The target repository.
    pub repo: RepoName,
    /// The state set (or tried).
    pub state: StatusState,
    /// Why it could not be set, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Sets one status per target on `sha` of `source`, one after the other (the forge paces them).
pub async fn set_statuses(
    forge: &Forge,
    source: &RepoName,
    sha: &str,
    targets: impl IntoIterator<Item = (RepoName, StatusState, String)>,
    target_url: Option<&str>,
) -> Vec<Acknowledgement> {
    let mut done = Vec::new();
    for (repo, state, description) in targets {
        let status =
            NewCommitStatus::new(&repo, state, &description, target_url.map(str::to_owned));
        let error = forge
            .set_commit_status(source, sha, &status)
            .await
            .err()
            .map(|e| error_chain(&e));
        if let Some(e) = &error {
            tracing::warn!(%repo, error = %e, "cannot set the delivery status");
        }
        done.push(Acknowledgement { repo, state, error });
    }
    done
}
