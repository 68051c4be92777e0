//! `PullRequestConfig`: the settings of the pull request a sync opens (`pull_request` in both configuration
//! files), as written ([`PullRequestFile`]) and as checked, and the branch and title templates.

use serde::{Deserialize, Serialize};

/// The default rolling pull request branch: one per upstream repository.
pub const DEFAULT_BRANCH_TEMPLATE: &str = "ecosync/{upstream}";

/// The default pull request title.
pub const DEFAULT_TITLE_TEMPLATE: &str = "Sync {upstream_repo} to {short_sha}";

/// The placeholders a branch or title template may use.
pub const TEMPLATE_PLACEHOLDERS: &[&str] = &[
    "{upstream}",
    "{upstream_repo}",
    "{branch}",
    "{short_sha}",
    "{sha}",
];

/// The pull request settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PullRequestFile {
    /// The branch the pull request targets (default: this repository's default branch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// The pull request branch, a template with `{upstream}` (`owner-name`), `{upstream_repo}`
    /// (`owner/name`), `{branch}` (the upstream branch), `{short_sha}` and `{sha}`. The default,
    /// `ecosync/{upstream}`, is one rolling branch per upstream, so a newer update refreshes the open pull
    /// request instead of opening another.
    #[serde(default = "default_branch_template")]
    pub branch: String,
    /// The pull request title, a template with the same placeholders (default
    /// `Sync {upstream_repo} to {short_sha}`).
    #[serde(default = "default_title_template")]
    pub title: String,
    /// Labels added to the pull request (default `automated`, `upstream-sync`).
    #[serde(default = "default_pr_labels")]
    pub labels: Vec<String>,
    /// Users asked for a review.
    #[serde(default)]
    pub reviewers: Vec<String>,
    /// Teams (slugs, without the organisation) asked for a review.
    #[serde(default)]
    pub team_reviewers: Vec<String>,
    /// Users assigned to the pull request.
    #[serde(default)]
    pub assignees: Vec<String>,
    /// Open the pull request as a draft (default `false`).
    #[serde(default)]
    pub draft: bool,
}

impl Default for PullRequestFile {
    fn default() -> Self {
        PullRequestFile {
            base: None,
            branch: default_branch_template(),
            title: default_title_template(),
            labels: default_pr_labels(),
            reviewers: Vec::new(),
            team_reviewers: Vec::new(),
            assignees: Vec::new(),
            draft: false,
        }
    }
}

pub(crate) fn default_branch_template() -> String {
    DEFAULT_BRANCH_TEMPLATE.to_owned()
}

pub(crate) fn default_title_template() -> String {
    DEFAULT_TITLE_TEMPLATE.to_owned()
}

pub(crate) fn default_pr_labels() -> Vec<String> {
    vec!["automated".to_owned(), "upstream-sync".to_owned()]
}

/// The checked pull request settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequestConfig {
    /// The base branch, or `None` for the cousin's default branch.
    pub base: Option<String>,
    /// The branch template.
    pub branch: String,
    /// The title template.
    pub title: String,
    /// Labels.
    pub labels: Vec<String>,
    /// Reviewers.
    pub reviewers: Vec<String>,
    /// Team reviewers.
    pub team_reviewers: Vec<String>,
    /// Assignees.
    pub assignees: Vec<String>,
    /// Draft or not.
    pub draft: bool,
}

/// Fills a branch or title template.
pub fn fill_template(
    t: &str,
    upstream_dashed: &str,
    upstream_repo: &str,
    branch: &str,
    sha: &str,
) -> String {
    t.replace("{upstream}", upstream_dashed)
        .replace("{upstream_repo}", upstream_repo)
        .replace("{branch}", branch)
        .replace("{short_sha}", crate::git::short_sha(sha))
        .replace("{sha}", sha)
}
