//! `CousinConfig`: the subscriber's configuration, `.github/ecosync.json` in the downstream repository.
//!
//! The file is an object (see [`CousinConfigFile`] for every field, its default and its meaning; a JSON
//! Schema is generated from it), or, as in the original design, a plain array of subscription strings, in
//! which case the upstream repository must be given on the command line.
//!
//! Loading checks the file the way `ecosystem.json` is checked (see [`checker`]): every problem at once,
//! in file order, each with its line and column, the JSON pointer of the offending value and a hint, so
//! `subscriber check` can report them all.

mod checker;

pub use checker::{SharedKeys, check_shared};

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::diagnostic::Diagnostic;
use crate::config::json_document::JsonDocument;
use crate::config::notify::{NotifyFile, NotifyTarget};
use crate::config::on_conflict::OnConflict;
use crate::config::on_rejection::OnRejection;
use crate::config::placeholder;
use crate::config::pull_request_config::{
    DEFAULT_BRANCH_TEMPLATE, PullRequestConfig, PullRequestFile, fill_template,
};
use crate::config::strategy::Strategy;
use crate::config::subscription::{Subscription, SubscriptionFile};
use crate::repo_name::RepoName;

/// The default place of the configuration in the cousin.
pub const DEFAULT_CONFIG_PATH: &str = ".github/ecosync.json";

/// The default `max_age`.
pub const DEFAULT_MAX_AGE: &str = "30d";

/// The subscriber's configuration file, as written. Every field but `upstream` and `subscriptions` has a
/// default.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ecosync subscriber configuration")]
pub struct CousinConfigFile {
    /// The JSON Schema this file follows (for editors; ignored by ecosync).
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Where the changes come from.
    pub upstream: UpstreamFile,
    /// The upstream directories this repository holds a copy of: a string maps an upstream directory to
    /// the same path here; `{"path": ..., "to": ...}` maps it elsewhere (`"to": ""` is this repository's
    /// root, where `.github/` stays this repository's own).
    pub subscriptions: Vec<SubscriptionFile>,
    /// How an upstream commit is applied (default `diff-apply`).
    #[serde(default)]
    pub strategy: Strategy,
    /// How old the upstream commit may be (committer date), e.g. `30d`, `12h`, `90m` (default `30d`).
    #[serde(default = "default_max_age")]
    pub max_age: String,
    /// The pull request that carries each sync.
    #[serde(default)]
    pub pull_request: PullRequestFile,
    /// What to do when the change conflicts with this repository's own edits (default `issue`).
    #[serde(default)]
    pub on_conflict: OnConflict,
    /// What a sync pull request that a person closes without merging does to later syncs: `hold` (that
    /// upstream commit is never proposed again; a newer one that touches the subscriptions is; default) or
    /// `pause` (nothing is proposed until a person reopens the pull request or runs with `--repropose`).
    #[serde(default)]
    pub on_rejection: OnRejection,
    /// Where failures are reported.
    #[serde(default)]
    pub notify: NotifyFile,
    /// Settle the dispatcher's `pending` commit status (`dispatcher dispatch --ack`) on the upstream
    /// commit when a run ends: `success` linking to the pull request (or "nothing to do"), `failure`
    /// linking to the issue. Needs Commit statuses: write on the upstream repository (default `false`).
    #[serde(default)]
    pub acknowledge: bool,
}

pub(crate) fn default_max_age() -> String {
    DEFAULT_MAX_AGE.to_owned()
}

/// The upstream repository.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpstreamFile {
    /// The upstream repository, `owner/name`. A dispatch whose `source_repo` differs is rejected.
    pub repo: RepoName,
    /// The upstream branch; a commit is accepted only if it is reachable from it (default `main`).
    #[serde(default = "default_branch")]
    pub branch: String,
    /// Where to fetch upstream from: any git URL or a local path (default: the forge's URL for `repo`).
    /// Never taken from a dispatch payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

pub(crate) fn default_branch() -> String {
    "main".to_owned()
}

/// The checked configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CousinConfig {
    /// The upstream repository.
    pub upstream_repo: RepoName,
    /// The upstream branch.
    pub upstream_branch: String,
    /// The configured fetch URL, if any.
    pub upstream_url: Option<String>,
    /// The subscriptions, in file order.
    pub subscriptions: Vec<Subscription>,
    /// The strategy.
    pub strategy: Strategy,
    /// The largest accepted commit age.
    pub max_age: Duration,
    /// `max_age` as written.
    pub max_age_text: String,
    /// Pull request settings.
    pub pull_request: PullRequestConfig,
    /// What to do on conflict.
    pub on_conflict: OnConflict,
    /// What a rejected sync pull request does to later syncs.
    pub on_rejection: OnRejection,
    /// Where failures go.
    pub notify: NotifyTarget,
    /// Labels of failure issues.
    pub notify_labels: Vec<String>,
    /// Whether to settle the dispatcher's delivery status on the upstream commit.
    pub acknowledge: bool,
}

/// Things the command line may supply that the file does not.
#[derive(Debug, Clone, Default)]
pub struct ConfigOverrides {
    /// The upstream repository, required when the file is a plain array of subscriptions.
    pub upstream_repo: Option<RepoName>,
}

impl CousinConfig {
    /// Parses and checks the text of the file `file`, returning every problem as a [`Diagnostic`] with
    /// its line and column, in file order (a syntax error or a byte-order mark is the only one).
    pub fn load(
        file: &str,
        text: &str,
        overrides: &ConfigOverrides,
    ) -> Result<CousinConfig, Vec<Diagnostic>> {
        Self::load_with_placeholders(file, text, overrides).map(|(config, _)| config)
    }

    /// [`CousinConfig::load`], with one warning per placeholder of a valid file (values `subscriber init`
    /// could not know, see [`crate::config::placeholder`]), in file order.
    pub fn load_with_placeholders(
        file: &str,
        text: &str,
        overrides: &ConfigOverrides,
    ) -> Result<(CousinConfig, Vec<Diagnostic>), Vec<Diagnostic>> {
        let doc = JsonDocument::parse(file, text).map_err(|d| vec![*d])?;
        let config = checker::check(&doc, overrides)?;
        Ok((config, placeholder::cousin_config_warnings(&doc)))
    }

    /// The pull request branch for upstream's commit `upstream`.
    pub fn pr_branch(&self, upstream: git2::Oid) -> String {
        self.branch_from(&self.pull_request.branch, upstream)
    }

    /// The default rolling branch, [`DEFAULT_BRANCH_TEMPLATE`], whatever `pull_request.branch` says.
    pub fn rolling_branch(&self, upstream: git2::Oid) -> String {
        self.branch_from(DEFAULT_BRANCH_TEMPLATE, upstream)
    }

    fn branch_from(&self, template: &str, upstream: git2::Oid) -> String {
        fill_template(
            template,
            &format!(
                "{}-{}",
                self.upstream_repo.owner(),
                self.upstream_repo.name()
            ),
            self.upstream_repo.as_str(),
            &self.upstream_branch,
            &upstream.to_string(),
        )
    }

    /// The upstream directory each subscription reads and where it goes, for messages.
    pub fn describe_subscriptions(&self) -> Vec<String> {
        self.subscriptions
            .iter()
            .map(Subscription::describe)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<CousinConfig, Vec<Diagnostic>> {
        CousinConfig::load("c.json", text, &ConfigOverrides::default())
    }

    fn rendered(err: &[Diagnostic]) -> Vec<String> {
        err.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn minimal_object_gets_defaults() {
        let c = load(r#"{"upstream": {"repo": "acme/mono"}, "subscriptions": ["features/x"]}"#)
            .unwrap();
        assert_eq!(c.upstream_branch, "main");
        assert_eq!(c.strategy, Strategy::DiffApply);
        assert_eq!(c.max_age, Duration::from_secs(30 * 86400));
        assert_eq!(c.pull_request.branch, DEFAULT_BRANCH_TEMPLATE);
        assert_eq!(c.pull_request.labels, ["automated", "upstream-sync"]);
        assert_eq!(c.notify, NotifyTarget::Upstream);
        assert_eq!(c.subscriptions[0].to.as_str(), "features/x");
    }

    #[test]
    fn mapped_and_root_subscriptions() {
        let c = load(
            r#"{"$schema": "x", "upstream": {"repo": "acme/mono", "url": "/tmp/x"},
                "subscriptions": [{"path": "features/a", "to": ""}], "notify": {"to": "self"}}"#,
        )
        .unwrap();
        assert!(c.subscriptions[0].to.is_root());
        assert_eq!(c.notify, NotifyTarget::Own);
        assert_eq!(c.upstream_url.as_deref(), Some("/tmp/x"));
    }

    #[test]
    fn plain_array_needs_upstream_override() {
        let err = load(r#"["features/x"]"#).unwrap_err();
        assert!(err[0].message.contains("plain list"));
        let c = CousinConfig::load(
            "c.json",
            r#"["features/x"]"#,
            &ConfigOverrides {
                upstream_repo: Some(RepoName::parse("acme/mono").unwrap()),
            },
        )
        .unwrap();
        assert_eq!(c.upstream_repo.as_str(), "acme/mono");
    }

    #[test]
    fn reports_every_problem_with_pointers() {
        let err = load(
            r#"{"upstream": {"repo": "nope"}, "subscriptions": ["a/../b", {"path": "x", "to": ".git"}],
                "strategy": "rebase", "max_age": "soon", "pull_request": {"branch": "{oops}"},
                "notify": "somewhere", "extra": 1}"#,
        )
        .unwrap_err();
        // The subject of each diagnostic is the pointer of the offending value.
        let pointers: Vec<&str> = err.iter().filter_map(|d| d.subject.as_deref()).collect();
        for expected in [
            "/extra",
            "/upstream/repo",
            "/subscriptions/0",
            "/subscriptions/1/to",
            "/strategy",
            "/pull_request/branch",
        ] {
            assert!(
                pointers.contains(&format!("`{expected}`").as_str()),
                "{expected} missing from {pointers:?}"
            );
        }
    }

    #[test]
    fn overlapping_targets_rejected() {
        let err = load(
            r#"{"upstream": {"repo": "acme/mono"}, "subscriptions": [{"path": "a", "to": "app"}, {"path": "b", "to": "app/sub"}]}"#,
        )
        .unwrap_err();
        assert!(err[0].message.contains("overlaps"), "{err:?}");
    }

    #[test]
    fn template_fill() {
        assert_eq!(
            fill_template(
                "ecosync/{upstream}-{short_sha}",
                "a-b",
                "a/b",
                "main",
                &"f".repeat(40)
            ),
            format!("ecosync/a-b-{}", "f".repeat(12))
        );
    }

    #[test]
    fn problems_come_in_file_order_with_line_and_column() {
        let text = "{\n  \"notify\": {\"to\": \"somewhere\", \"lables\": []},\n  \"upstream\": {\"repo\": \"acme/mono\", \"brnach\": \"x\"},\n  \"subscriptions\": [\"a\", {\"path\": \"b\", \"too\": \"c\"}],\n  \"strategy\": \"squahs\",\n  \"pull_reqest\": {}\n}\n";
        let got = rendered(&load(text).unwrap_err());
        let expected = [
            "error: c.json:2:20: `/notify/to`: `somewhere` is not a place to report failures\n",
            "error: c.json:2:33: `/notify/lables`: unknown key `lables` in `notify`\n  hint: did you mean `labels`?",
            "error: c.json:3:37: `/upstream/brnach`: unknown key `brnach` in `upstream`\n  hint: did you mean `branch`?",
            "error: c.json:4:26: `/subscriptions/1`: subscription 1 needs string `path` and `to`\n",
            "error: c.json:4:40: `/subscriptions/1/too`: unknown key `too` in subscription 1\n  hint: did you mean `to`?",
            "error: c.json:5:15: `/strategy`: `squahs` is not a known `strategy`",
            "error: c.json:6:3: `/pull_reqest`: unknown key `pull_reqest`\n  hint: did you mean `pull_request`?",
        ];
        assert_eq!(got.len(), expected.len(), "{got:#?}");
        for (g, e) in got.iter().zip(expected) {
            assert!(g.starts_with(e), "expected {e:?}, got {g:?}");
        }
        assert!(got[5].contains("did you mean `squash`?"), "{}", got[5]);
    }

    #[test]
    fn a_byte_order_mark_is_named() {
        let err = load("\u{feff}{}").unwrap_err();
        assert_eq!(err.len(), 1);
        assert!(
            err[0].message.contains("byte-order mark"),
            "{}",
            err[0].message
        );
    }
}
