//! `downstream_starter`: the starting files of a downstream repository, for `subscriber init`: a
//! `.github/ecosync.json` whose upstream (unless given) and upstream directories are placeholders, one
//! subscription per top-level folder (`{"path": "CHANGE-ME/<folder>", "to": "<folder>"}`: the user names
//! the upstream directory each folder copies), and the sync workflow as shipped.

use std::path::Path;

use crate::config::cousin_config::DEFAULT_CONFIG_PATH;
use crate::config::placeholder::PLACEHOLDER;
use crate::init::repo_survey::RepoSurvey;
use crate::init::starter_files::{StarterFile, StarterFiles};
use crate::repo_name::RepoName;

/// The sync workflow ecosync ships, as `init` writes it.
pub const SYNC_WORKFLOW: &str = include_str!("../../../workflows/sync-upstream.yml");

/// Where `init` writes it.
pub const SYNC_WORKFLOW_PATH: &str = ".github/workflows/sync-upstream.yml";

/// The starting files for the downstream repository at `dir` (`.`: the one containing the current
/// directory), syncing from `upstream` when given.
pub fn downstream_starter(dir: &Path, upstream: Option<&RepoName>) -> StarterFiles {
    let survey = RepoSurvey::of(dir);
    let upstream_repo = upstream.map_or_else(
        || format!("{PLACEHOLDER}/upstream"),
        |r| r.as_str().to_owned(),
    );
    let mut subscriptions: Vec<String> = survey
        .folders
        .iter()
        .map(|folder| {
            format!(
                "    {{\"path\": {}, \"to\": {}}}",
                json(&format!("{PLACEHOLDER}/{folder}")),
                json(folder)
            )
        })
        .collect();
    let about_subscriptions = if subscriptions.is_empty() {
        subscriptions.push(format!(
            "    {{\"path\": \"{PLACEHOLDER}/path/in/upstream\", \"to\": \"\"}}"
        ));
        "1 subscription into this repository's root (no folder was found)".to_owned()
    } else {
        format!(
            "{} {}, one per top-level folder",
            subscriptions.len(),
            if subscriptions.len() == 1 {
                "subscription"
            } else {
                "subscriptions"
            }
        )
    };
    let config = format!(
        "{{\n  \"upstream\": {{\"repo\": {}, \"branch\": \"main\"}},\n  \"subscriptions\": [\n{}\n  ],\n  \
         \"strategy\": \"diff-apply\"\n}}\n",
        json(&upstream_repo),
        subscriptions.join(",\n")
    );
    let upstream_step = if upstream.is_none() {
        format!(
            "write the upstream repository's `owner/name` in place of `{PLACEHOLDER}/upstream`, and its\n\
             branch; then "
        )
    } else {
        String::new()
    };
    let first_step = format!(
        "{upstream_step}for each folder this repository copies from upstream, write the upstream directory\n\
         in place of `{PLACEHOLDER}/<folder>`, and remove the other subscriptions (`subscriber check`\n\
         lists what is left)"
    );
    StarterFiles {
        root: survey.root,
        files: vec![
            StarterFile {
                path: DEFAULT_CONFIG_PATH.to_owned(),
                contents: config,
                about: format!(
                    "syncs from {}; {about_subscriptions}",
                    if upstream.is_some() {
                        format!("`{upstream_repo}`")
                    } else {
                        "a placeholder upstream".to_owned()
                    }
                ),
            },
            StarterFile {
                path: SYNC_WORKFLOW_PATH.to_owned(),
                contents: SYNC_WORKFLOW.to_owned(),
                about: "applies each dispatched change and opens one pull request; daily catch-up"
                    .to_owned(),
            },
        ],
        next_steps: vec![
            first_step,
            "commit both files on the default branch (GitHub starts `repository_dispatch` workflows only \
             from there)"
                .to_owned(),
            "add this repository to the source's `ecosystem.json`".to_owned(),
        ],
    }
}

/// A JSON string.
fn json(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::cousin_config::{ConfigOverrides, CousinConfig};

    #[test]
    fn what_it_writes_is_valid_with_one_warning_per_placeholder() {
        let dir = tempfile::tempdir().unwrap();
        for d in ["app", "deploy", ".hidden"] {
            std::fs::create_dir(dir.path().join(d)).unwrap();
        }
        let files = downstream_starter(dir.path(), None);
        let (config, warnings) = CousinConfig::load_with_placeholders(
            "c.json",
            &files.files[0].contents,
            &ConfigOverrides::default(),
        )
        .unwrap();
        assert_eq!(config.subscriptions.len(), 2);
        assert_eq!(warnings.len(), 3, "{warnings:#?}");
        let acme = RepoName::parse("acme/mono").unwrap();
        let files = downstream_starter(dir.path(), Some(&acme));
        let (_, warnings) = CousinConfig::load_with_placeholders(
            "c.json",
            &files.files[0].contents,
            &ConfigOverrides::default(),
        )
        .unwrap();
        assert_eq!(warnings.len(), 2, "{warnings:#?}");
    }
}
