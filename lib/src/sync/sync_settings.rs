//! `SyncSettings`: the validated inputs of one sync's verification and computation, made by
//! [`apply`](crate::sync::apply) from the request and what the forge says.

use std::time::SystemTime;

use git2::Oid;

use crate::config::cousin_config::CousinConfig;
use crate::git::GitAuth;
use crate::sync::verify::event::SyncEvent;

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
