//! `NotifyTarget`: where a failed sync is reported (`notify`), as written and as checked.

use serde::{Deserialize, Serialize};

use crate::repo_name::RepoName;

/// Where failures are reported, as written: a place, or an object with the place and labels.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum NotifyFile {
    /// `upstream`, `self`, an `owner/name`, or `none`.
    Place(String),
    /// The place and the labels of the issue.
    Full {
        /// `upstream` (default), `self`, an `owner/name`, or `none`.
        #[serde(default = "default_notify_place")]
        to: String,
        /// Labels of the failure issue (default `upstream-sync`, `ecosync-failure`); the first one is also
        /// how the open issue is found again.
        #[serde(default = "default_notify_labels")]
        labels: Vec<String>,
    },
}

impl Default for NotifyFile {
    fn default() -> Self {
        NotifyFile::Place(default_notify_place())
    }
}

pub(crate) fn default_notify_place() -> String {
    "upstream".to_owned()
}

pub(crate) fn default_notify_labels() -> Vec<String> {
    vec!["ecosync-failure".to_owned(), "upstream-sync".to_owned()]
}

/// Where a failure is reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyTarget {
    /// The upstream repository.
    Upstream,
    /// This repository.
    Own,
    /// Another repository.
    Repo(RepoName),
    /// Nowhere (the exit status and the log still say it).
    Nowhere,
}
