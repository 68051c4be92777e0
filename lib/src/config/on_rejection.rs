//! `OnRejection`: what ecosync does after a person closes one of its pull requests without merging it.

use serde::{Deserialize, Serialize};

/// What a rejected sync pull request does to later syncs of the same repository.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum OnRejection {
    /// Hold the rejected upstream commit: it is never proposed again, but a newer upstream commit that
    /// touches the subscriptions opens a new pull request that names the rejected one.
    #[default]
    Hold,
    /// Pause the repository: nothing is proposed until a person reopens the pull request or a run is told
    /// `--repropose OWNER/NAME`.
    Pause,
}

impl OnRejection {
    /// The name as written in the configuration files.
    pub fn as_str(self) -> &'static str {
        match self {
            OnRejection::Hold => "hold",
            OnRejection::Pause => "pause",
        }
    }
}

impl std::fmt::Display for OnRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
