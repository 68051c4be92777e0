//! `Subscription`: one upstream directory a downstream repository keeps a copy of, and where (`subscriptions`
//! of `.github/ecosync.json`, `mapping` of an `ecosystem.json` entry), as written and as checked.

use serde::{Deserialize, Serialize};

use crate::repo_path::RepoPath;

/// One subscription as written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum SubscriptionFile {
    /// An upstream directory kept at the same path here.
    Same(String),
    /// An upstream directory kept at another path here.
    Mapped {
        /// The upstream directory.
        path: String,
        /// The directory of this repository that holds it (`""` is the root).
        to: String,
    },
}

/// One checked subscription: upstream directory `path` is kept at `to` in the cousin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The upstream directory (`""`: the whole upstream).
    pub path: RepoPath,
    /// The cousin's directory (`""`: the cousin's root).
    pub to: RepoPath,
}

impl Subscription {
    /// `` `path` `` or `` `path` -> `to` ``, for messages.
    pub fn describe(&self) -> String {
        if self.path == self.to {
            format!("`{}`", self.path)
        } else {
            format!("`{}` -> `{}`", self.path, self.to)
        }
    }
}
