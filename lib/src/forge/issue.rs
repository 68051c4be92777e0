//! `Issue`: an issue as the forge layer sees it.

use serde::{Deserialize, Serialize};

/// An issue on a forge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// Its number in the repository.
    pub number: u64,
    /// Where a person can look at it.
    pub html_url: String,
    /// Its title.
    pub title: String,
    /// Its description (empty when it has none).
    #[serde(default)]
    pub body: String,
    /// Its labels.
    #[serde(default)]
    pub labels: Vec<String>,
}
