//! `TargetDelivery`: how the dispatcher delivers to one `ecosystem.json` entry whose `mode` is not
//! `dispatch`, checked: the mode, the target branch, and for the modes that open pull requests the sync
//! engine's settings (`strategy`, `mapping`, `pull_request`, `per_commit`, `buffer_hours`, `on_conflict`,
//! `on_rejection`).

use std::time::Duration;

use crate::config::cousin_config::CousinConfig;
use crate::config::notify::NotifyTarget;
use crate::config::on_conflict::OnConflict;
use crate::config::on_rejection::OnRejection;
use crate::config::pull_request_config::{
    DEFAULT_BRANCH_TEMPLATE, PullRequestConfig, PullRequestFile,
};
use crate::config::strategy::Strategy;
use crate::config::subscription::Subscription;
use crate::dispatch::ecosystem::delivery_mode::DeliveryMode;
use crate::repo_name::RepoName;
use crate::repo_path::RepoPath;

/// The branch template of `per_commit`: one branch, so one pull request, per source commit.
pub const PER_COMMIT_BRANCH_TEMPLATE: &str = "ecosync/{upstream}-{short_sha}";

/// A commit age no delivery refuses: the dispatcher delivers the commits it was just given (or, for
/// `flush`, the branch's own tip), so the subscriber's `max_age` guard against replayed events does not
/// apply.
const ANY_AGE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The checked delivery settings of one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetDelivery {
    /// The mode.
    pub mode: DeliveryMode,
    /// The target's branch to deliver into; `None` is its default branch.
    pub target_branch: Option<String>,
    /// How the change is applied (the pull request modes).
    pub strategy: Strategy,
    /// `mapping` as written; `None` maps each subscription's directory to the same place.
    pub mapping: Option<Vec<Subscription>>,
    /// `pull_request` as written; `None` is the defaults.
    pub pull_request: Option<PullRequestFile>,
    /// What a conflict gives: one failure issue (default), or a draft pull request with the markers.
    pub on_conflict: OnConflict,
    /// What a pull request a person closes without merging does to later deliveries.
    pub on_rejection: OnRejection,
    /// One pull request per source commit (`pull-request` only).
    pub per_commit: bool,
    /// With `per_commit`: the most pull requests one run proposes (`None`: the default).
    pub per_commit_limit: Option<usize>,
    /// How long a change waits on the branch before its pull request opens (`buffered-pr` only).
    pub buffer: Option<Duration>,
    /// The entry's subscription patterns, as written (the default mapping follows them).
    pub subscriptions: Vec<String>,
}

impl Default for TargetDelivery {
    fn default() -> Self {
        TargetDelivery {
            mode: DeliveryMode::Dispatch,
            target_branch: None,
            strategy: Strategy::DiffApply,
            mapping: None,
            pull_request: None,
            on_conflict: OnConflict::Issue,
            on_rejection: OnRejection::Hold,
            per_commit: false,
            per_commit_limit: None,
            buffer: None,
            subscriptions: Vec::new(),
        }
    }
}

impl TargetDelivery {
    /// The pull request settings: as written, or the defaults (with one branch per commit for
    /// `per_commit`); the base is the target branch.
    pub fn pull_request_config(&self) -> PullRequestConfig {
        let mut file = self.pull_request.clone().unwrap_or_default();
        if self.per_commit && file.branch == DEFAULT_BRANCH_TEMPLATE {
            PER_COMMIT_BRANCH_TEMPLATE.clone_into(&mut file.branch);
        }
        let mut config = PullRequestConfig::from(file);
        config.base.clone_from(&self.target_branch);
        config
    }

    /// The sync engine's configuration for delivering `source`'s branch `branch`, fetched from
    /// `source_url` (the dispatcher's own clone), into this target; `is_dir` tells which paths are
    /// directories in the source, for the default mapping. Failures are reported in the source
    /// repository, where whoever runs the dispatcher looks.
    pub fn cousin_config(
        &self,
        source: &RepoName,
        branch: &str,
        source_url: &str,
        is_dir: &dyn Fn(&str) -> bool,
    ) -> CousinConfig {
        let subscriptions = match &self.mapping {
            Some(m) => m.clone(),
            None => default_mapping(&self.subscriptions, is_dir),
        };
        CousinConfig {
            upstream_repo: source.clone(),
            upstream_branch: branch.to_owned(),
            upstream_url: Some(source_url.to_owned()),
            subscriptions,
            strategy: self.strategy,
            max_age: ANY_AGE,
            max_age_text: "any".to_owned(),
            pull_request: self.pull_request_config(),
            on_conflict: self.on_conflict,
            on_rejection: self.on_rejection,
            notify: NotifyTarget::Upstream,
            notify_labels: crate::config::notify::default_notify_labels(),
            acknowledge: false,
        }
    }
}

/// The mapping used when an entry has none: each subscription's directory, at the same place in the
/// target. A pattern's directory is its part before the first segment with a glob character (`docs/*.md`:
/// `docs`); a plain path names itself when it is a directory of the source (`is_dir`), else its parent.
/// The whole repository is mapped only for a pattern that matches everywhere (`**`, `**/*.proto`), never
/// for a file or a glob at the root (`README.md`, `*.md`: the engine copies directories, and copying the
/// whole repository for them would be a surprise); those add nothing. Negated patterns add nothing, and a
/// directory inside another listed one is left to it.
pub fn default_mapping(patterns: &[String], is_dir: &dyn Fn(&str) -> bool) -> Vec<Subscription> {
    let mut dirs: Vec<String> = Vec::new();
    for p in patterns.iter().filter(|p| !p.starts_with('!')) {
        let text = p.trim_matches('/');
        let segments: Vec<&str> = text.split('/').collect();
        let literal = segments
            .iter()
            .take_while(|s| !s.contains(['*', '?', '[', '{', '!']))
            .count();
        let mut dir = segments[..literal].join("/");
        if literal == segments.len() && !dir.is_empty() && !is_dir(&dir) {
            dir = dir
                .rsplit_once('/')
                .map_or(String::new(), |(d, _)| d.to_owned());
        }
        if dir.is_empty() && segments.first() != Some(&"**") {
            continue;
        }
        dirs.push(dir);
    }
    dirs.sort();
    dirs.dedup();
    let mut out: Vec<Subscription> = Vec::new();
    for d in dirs {
        let Ok(path) = RepoPath::parse(&d) else {
            continue;
        };
        if out.iter().any(|s| s.path.overlaps(&path)) {
            continue;
        }
        out.push(Subscription {
            to: path.clone(),
            path,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(patterns: &[&str], dirs: &[&str]) -> Vec<String> {
        let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
        default_mapping(&patterns, &|p| dirs.contains(&p))
            .into_iter()
            .map(|s| s.path.as_str().to_owned())
            .collect()
    }

    #[test]
    fn the_default_mapping_is_each_subscriptions_directory() {
        assert_eq!(
            mapping(&["features/x", "docs/*.md"], &["features/x"]),
            ["docs", "features/x"]
        );
        assert_eq!(
            mapping(&["features/x/**", "!features/x/tmp/**"], &[]),
            ["features/x"]
        );
        assert_eq!(
            mapping(&["features/x/README.md"], &["features/x"]),
            ["features/x"]
        );
        assert_eq!(mapping(&["lib", "lib/a/**"], &["lib"]), ["lib"]);
        assert_eq!(mapping(&["**/*.proto", "lib"], &["lib"]), [""]);
        assert_eq!(mapping(&["**"], &[]), [""]);
        // A file or a glob at the root never maps the whole repository.
        assert_eq!(mapping(&["README.md", "*.md", "docs"], &["docs"]), ["docs"]);
        assert!(mapping(&["README.md"], &[]).is_empty());
    }

    #[test]
    fn per_commit_gets_a_branch_per_commit_and_the_target_branch_is_the_base() {
        let t = TargetDelivery {
            mode: DeliveryMode::PullRequest,
            per_commit: true,
            target_branch: Some("develop".into()),
            ..TargetDelivery::default()
        };
        let pr = t.pull_request_config();
        assert_eq!(pr.branch, PER_COMMIT_BRANCH_TEMPLATE);
        assert_eq!(pr.base.as_deref(), Some("develop"));
    }
}
