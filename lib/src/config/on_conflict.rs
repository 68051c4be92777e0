//! `OnConflict`: what a sync does when the upstream change conflicts with the downstream repository's edits.

use serde::{Deserialize, Serialize};

/// What to do when the change conflicts with this repository's own edits.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum OnConflict {
    /// Push nothing and report the conflict as an issue in the `notify` place.
    #[default]
    Issue,
    /// Commit the conflict markers to a draft pull request that lists the conflicting files.
    DraftPullRequest,
}
