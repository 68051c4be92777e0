//! `CousinConfig`: the subscriber's configuration, `.github/ecosync.json` in the downstream repository.
//!
//! The file is an object (see [`CousinConfigFile`] for every field, its default and its meaning; a JSON
//! Schema is generated from it), or, as in the original design, a plain array of subscription strings, in
//! which case the upstream repository must be given on the command line.
//!
//! Loading collects every problem in the file, each with the JSON pointer of the offending value, so
//! `subscriber check` can report them all at once with their line and column.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::diagnostic::{Diagnostic, Location};
use crate::config::json_document::JsonDocument;
use crate::repo_name::RepoName;
use crate::repo_path::RepoPath;
use crate::sync::strategy::Strategy;

/// The default place of the configuration in the cousin.
pub const DEFAULT_CONFIG_PATH: &str = ".github/ecosync.json";

/// The default rolling pull request branch: one per upstream repository.
pub const DEFAULT_BRANCH_TEMPLATE: &str = "ecosync/{upstream}";

/// The default pull request title.
pub const DEFAULT_TITLE_TEMPLATE: &str = "Sync {upstream_repo} to {short_sha}";

/// The default `max_age`.
pub const DEFAULT_MAX_AGE: &str = "30d";

/// The placeholders a branch or title template may use.
pub const TEMPLATE_PLACEHOLDERS: &[&str] = &[
    "{upstream}",
    "{upstream_repo}",
    "{branch}",
    "{short_sha}",
    "{sha}",
];

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
    /// Where failures are reported.
    #[serde(default)]
    pub notify: NotifyFile,
}

fn default_max_age() -> String {
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

fn default_branch() -> String {
    "main".to_owned()
}

/// One subscription as written.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
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

/// The pull request settings.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
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

fn default_branch_template() -> String {
    DEFAULT_BRANCH_TEMPLATE.to_owned()
}

fn default_title_template() -> String {
    DEFAULT_TITLE_TEMPLATE.to_owned()
}

fn default_pr_labels() -> Vec<String> {
    vec!["automated".to_owned(), "upstream-sync".to_owned()]
}

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

fn default_notify_place() -> String {
    "upstream".to_owned()
}

fn default_notify_labels() -> Vec<String> {
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

/// One checked subscription: upstream directory `path` is kept at `to` in the cousin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The upstream directory (`""`: the whole upstream).
    pub path: RepoPath,
    /// The cousin's directory (`""`: the cousin's root).
    pub to: RepoPath,
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
    /// Where failures go.
    pub notify: NotifyTarget,
    /// Labels of failure issues.
    pub notify_labels: Vec<String>,
}

/// One problem in the configuration file: where (a JSON pointer), what, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The JSON pointer of the offending value (`/subscriptions/2/to`; `""` for the whole file).
    pub pointer: String,
    /// What is wrong, lowercase, naming the value in backticks.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl ConfigProblem {
    fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigProblem {
            pointer: pointer.into(),
            message: message.into(),
            hint: None,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Things the command line may supply that the file does not.
#[derive(Debug, Clone, Default)]
pub struct ConfigOverrides {
    /// The upstream repository, required when the file is a plain array of subscriptions.
    pub upstream_repo: Option<RepoName>,
}

impl CousinConfig {
    /// Checks a parsed configuration document and returns the configuration, or every problem found.
    pub fn from_value(
        value: &Value,
        overrides: &ConfigOverrides,
    ) -> Result<CousinConfig, Vec<ConfigProblem>> {
        let mut problems = Vec::new();
        let config = match value {
            Value::Array(_) => from_array(value, overrides, &mut problems),
            Value::Object(map) => from_object(map, &mut problems),
            other => {
                problems.push(
                    ConfigProblem::new(
                        "",
                        format!(
                            "the configuration is {}, not an object or an array",
                            kind(other)
                        ),
                    )
                    .hint(
                        "write an object such as {\"upstream\": {\"repo\": \"owner/name\"}, \
                         \"subscriptions\": [\"features/x\"]}",
                    ),
                );
                None
            }
        };
        match config {
            Some(c) if problems.is_empty() => Ok(c),
            _ => Err(problems),
        }
    }

    /// Parses and checks a configuration text (syntax errors are returned as problems with pointer `""`;
    /// their line and column are in the message).
    pub fn from_json_str(
        text: &str,
        overrides: &ConfigOverrides,
    ) -> Result<CousinConfig, Vec<ConfigProblem>> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            vec![
                ConfigProblem::new("", format!("invalid JSON: {e}"))
                    .hint("fix the syntax; JSON allows no comments or trailing commas"),
            ]
        })?;
        Self::from_value(&value, overrides)
    }

    /// Parses and checks the text of the file `file`, returning every problem as a [`Diagnostic`] with
    /// its line and column (syntax errors, duplicate keys, then each problem of the content).
    pub fn load(
        file: &str,
        text: &str,
        overrides: &ConfigOverrides,
    ) -> Result<CousinConfig, Vec<Diagnostic>> {
        let doc = JsonDocument::parse(file, text).map_err(|d| vec![*d])?;
        let mut diagnostics: Vec<Diagnostic> = doc.duplicate_keys();
        let result = Self::from_value(&doc.root().to_value(), overrides);
        if let Err(problems) = &result {
            for p in problems {
                let location = crate::config::json_pointer_span::value_offset(text, &p.pointer)
                    .map(|offset| {
                        let before = &text[..offset];
                        Location {
                            line: before.matches('\n').count() + 1,
                            column: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
                        }
                    });
                let mut d = Diagnostic::error(file, p.message.clone()).at_opt(location);
                if !p.pointer.is_empty() {
                    d = d.subject(format!("`{}`", p.pointer));
                }
                if let Some(h) = &p.hint {
                    d = d.hint(h.clone());
                }
                diagnostics.push(d);
            }
        }
        match result {
            Ok(c) if !crate::config::diagnostic::has_errors(&diagnostics) => Ok(c),
            _ => Err(diagnostics),
        }
    }

    /// The upstream directory each subscription reads and where it goes, for messages.
    pub fn describe_subscriptions(&self) -> Vec<String> {
        self.subscriptions
            .iter()
            .map(|s| {
                if s.path == s.to {
                    format!("`{}`", s.path)
                } else {
                    format!("`{}` -> `{}`", s.path, s.to)
                }
            })
            .collect()
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn from_array(
    value: &Value,
    overrides: &ConfigOverrides,
    problems: &mut Vec<ConfigProblem>,
) -> Option<CousinConfig> {
    let subscriptions = check_subscriptions(value, "", Strategy::DiffApply, problems);
    let Some(upstream_repo) = overrides.upstream_repo.clone() else {
        problems.push(
            ConfigProblem::new(
                "",
                "the configuration is a plain list of subscriptions, which does not say which repository \
                 is upstream",
            )
            .hint(
                "pass `--upstream owner/name`, or write an object: {\"upstream\": {\"repo\": \
                 \"owner/name\"}, \"subscriptions\": [...]}",
            ),
        );
        return None;
    };
    let file = CousinConfigFile {
        schema: None,
        upstream: UpstreamFile {
            repo: upstream_repo,
            branch: default_branch(),
            url: None,
        },
        subscriptions: Vec::new(),
        strategy: Strategy::default(),
        max_age: default_max_age(),
        pull_request: PullRequestFile::default(),
        on_conflict: OnConflict::default(),
        notify: NotifyFile::default(),
    };
    finish(file, subscriptions, problems)
}

fn field<T: serde::de::DeserializeOwned>(
    map: &serde_json::Map<String, Value>,
    key: &str,
    pointer: &str,
    problems: &mut Vec<ConfigProblem>,
    hint: &str,
) -> Option<Option<T>> {
    match map.get(key) {
        None => Some(None),
        Some(v) => match serde_json::from_value::<T>(v.clone()) {
            Ok(t) => Some(Some(t)),
            Err(e) => {
                problems.push(ConfigProblem::new(pointer, format!("`{key}`: {e}")).hint(hint));
                None
            }
        },
    }
}

fn from_object(
    map: &serde_json::Map<String, Value>,
    problems: &mut Vec<ConfigProblem>,
) -> Option<CousinConfig> {
    const KEYS: &[&str] = &[
        "$schema",
        "upstream",
        "subscriptions",
        "strategy",
        "max_age",
        "pull_request",
        "on_conflict",
        "notify",
    ];
    for key in map.keys() {
        if !KEYS.contains(&key.as_str()) {
            problems.push(
                ConfigProblem::new(
                    format!("/{}", escape_pointer(key)),
                    format!("unknown key `{key}`"),
                )
                .hint(format!("the keys are {}", quoted_list(KEYS))),
            );
        }
    }
    let upstream = check_upstream(map.get("upstream"), problems);
    let strategy = field::<Strategy>(
        map,
        "strategy",
        "/strategy",
        problems,
        "use `diff-apply`, `cherry-pick`, `squash` or `merge`",
    )
    .map(|s| s.unwrap_or_default());
    let subscriptions = match map.get("subscriptions") {
        Some(v) => check_subscriptions(v, "/subscriptions", strategy.unwrap_or_default(), problems),
        None => {
            problems.push(ConfigProblem::new("", "`subscriptions` is missing").hint(
                "list the upstream directories this repository copies, e.g. [\"features/x\"]",
            ));
            None
        }
    };
    let max_age = field::<String>(
        map,
        "max_age",
        "/max_age",
        problems,
        "write a duration such as `30d` or `12h`",
    )
    .map(|m| m.unwrap_or_else(default_max_age));
    let pull_request = check_pull_request(map.get("pull_request"), problems);
    let on_conflict = field::<OnConflict>(
        map,
        "on_conflict",
        "/on_conflict",
        problems,
        "use `issue` or `draft-pull-request`",
    )
    .map(|o| o.unwrap_or_default());
    let notify = field::<NotifyFile>(
        map,
        "notify",
        "/notify",
        problems,
        "write `upstream`, `self`, `none`, an `owner/name`, or {\"to\": ..., \"labels\": [...]}",
    )
    .map(|n| n.unwrap_or_default());
    let schema = map
        .get("$schema")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if map.get("$schema").is_some_and(|v| !v.is_string()) {
        problems.push(ConfigProblem::new("/$schema", "`$schema` must be a string"));
    }
    // Checked here as well as in `finish` so their problems are reported alongside the others.
    let max_age_ok = max_age
        .as_deref()
        .map(|m| check_max_age(m, &mut Vec::new()).is_some());
    let notify_ok = notify
        .as_ref()
        .map(|n| check_notify(n, &mut Vec::new()).is_some());
    if upstream.is_none() || strategy.is_none() || pull_request.is_none() || on_conflict.is_none() {
        if max_age_ok == Some(false) {
            check_max_age(max_age.as_deref().unwrap_or_default(), problems);
        }
        if notify_ok == Some(false) {
            notify.as_ref().map(|n| check_notify(n, problems));
        }
    }
    let file = CousinConfigFile {
        schema,
        upstream: upstream?,
        subscriptions: Vec::new(),
        strategy: strategy?,
        max_age: max_age?,
        pull_request: pull_request?,
        on_conflict: on_conflict?,
        notify: notify?,
    };
    finish(file, subscriptions, problems)
}

fn check_upstream(v: Option<&Value>, problems: &mut Vec<ConfigProblem>) -> Option<UpstreamFile> {
    let Some(v) = v else {
        problems.push(
            ConfigProblem::new("", "`upstream` is missing")
                .hint("add \"upstream\": {\"repo\": \"owner/name\"}"),
        );
        return None;
    };
    let Some(map) = v.as_object() else {
        problems.push(
            ConfigProblem::new(
                "/upstream",
                format!("`upstream` is {}, not an object", kind(v)),
            )
            .hint("write \"upstream\": {\"repo\": \"owner/name\", \"branch\": \"main\"}"),
        );
        return None;
    };
    let mut ok = true;
    for key in map.keys() {
        if !["repo", "branch", "url"].contains(&key.as_str()) {
            problems.push(
                ConfigProblem::new(
                    format!("/upstream/{}", escape_pointer(key)),
                    format!("unknown key `{key}` in `upstream`"),
                )
                .hint("the keys are `repo`, `branch` and `url`"),
            );
            ok = false;
        }
    }
    let repo = match map.get("repo") {
        None => {
            problems.push(
                ConfigProblem::new("/upstream", "`upstream.repo` is missing")
                    .hint("add \"repo\": \"owner/name\""),
            );
            None
        }
        Some(Value::String(s)) => match RepoName::parse(s) {
            Ok(r) => Some(r),
            Err(e) => {
                problems.push(ConfigProblem::new("/upstream/repo", e.to_string()));
                None
            }
        },
        Some(other) => {
            problems.push(ConfigProblem::new(
                "/upstream/repo",
                format!("`upstream.repo` is {}, not a string", kind(other)),
            ));
            None
        }
    };
    let branch = match map.get("branch") {
        None => Some(default_branch()),
        Some(Value::String(b)) if is_valid_branch(b) => Some(b.clone()),
        Some(other) => {
            problems.push(
                ConfigProblem::new(
                    "/upstream/branch",
                    format!("`upstream.branch` {other} is not a valid branch name"),
                )
                .hint("write a branch name such as `main`"),
            );
            None
        }
    };
    let url = match map.get("url") {
        None => Some(None),
        Some(Value::String(u)) if !u.trim().is_empty() => Some(Some(u.clone())),
        Some(other) => {
            problems.push(
                ConfigProblem::new(
                    "/upstream/url",
                    format!("`upstream.url` {other} is not a git URL or path"),
                )
                .hint("remove it to fetch from the forge's URL for `upstream.repo`"),
            );
            None
        }
    };
    if !ok {
        return None;
    }
    Some(UpstreamFile {
        repo: repo?,
        branch: branch?,
        url: url?,
    })
}

/// True when `b` is a valid branch name for git.
pub fn is_valid_branch(b: &str) -> bool {
    !b.is_empty() && git2::Reference::is_valid_name(&format!("refs/heads/{b}"))
}

fn check_subscriptions(
    v: &Value,
    pointer: &str,
    strategy: Strategy,
    problems: &mut Vec<ConfigProblem>,
) -> Option<Vec<Subscription>> {
    let Some(items) = v.as_array() else {
        problems.push(ConfigProblem::new(
            pointer,
            format!("`subscriptions` is {}, not an array", kind(v)),
        ));
        return None;
    };
    if items.is_empty() {
        problems.push(
            ConfigProblem::new(
                pointer,
                "`subscriptions` is empty, so nothing would ever sync",
            )
            .hint("list at least one upstream directory, e.g. [\"features/x\"]"),
        );
        return None;
    }
    let before = problems.len();
    let mut subs: Vec<(usize, Subscription)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{pointer}/{i}");
        let (path, to) = match item {
            Value::String(s) => (s.as_str(), s.as_str()),
            Value::Object(m) => {
                for key in m.keys() {
                    if key != "path" && key != "to" {
                        problems.push(
                            ConfigProblem::new(
                                format!("{at}/{}", escape_pointer(key)),
                                format!("unknown key `{key}` in subscription {i}"),
                            )
                            .hint("a subscription object has `path` and `to`"),
                        );
                    }
                }
                let path = m.get("path").and_then(Value::as_str);
                let to = m.get("to").and_then(Value::as_str);
                match (path, to) {
                    (Some(p), Some(t)) => (p, t),
                    _ => {
                        problems.push(
                            ConfigProblem::new(
                                at.clone(),
                                format!("subscription {i} needs string `path` and `to`"),
                            )
                            .hint("write {\"path\": \"features/x\", \"to\": \"app\"}; `\"to\": \"\"` is the root"),
                        );
                        continue;
                    }
                }
            }
            other => {
                problems.push(
                    ConfigProblem::new(
                        at.clone(),
                        format!(
                            "subscription {i} is {}, not a string or an object",
                            kind(other)
                        ),
                    )
                    .hint("write \"features/x\" or {\"path\": \"features/x\", \"to\": \"app\"}"),
                );
                continue;
            }
        };
        let path_ok = match RepoPath::parse(path) {
            Ok(p) => Some(p),
            Err(e) => {
                let ptr = if item.is_object() {
                    format!("{at}/path")
                } else {
                    at.clone()
                };
                problems.push(ConfigProblem::new(ptr, e.to_string()));
                None
            }
        };
        let to_ok = match RepoPath::parse(to) {
            Err(_) if !item.is_object() && path_ok.is_none() => None,
            Ok(p) => Some(p),
            Err(e) => {
                let ptr = if item.is_object() {
                    format!("{at}/to")
                } else {
                    at.clone()
                };
                problems.push(ConfigProblem::new(ptr, e.to_string()));
                None
            }
        };
        let (Some(path), Some(to)) = (path_ok, to_ok) else {
            continue;
        };
        if strategy == Strategy::Merge && path != to {
            problems.push(
                ConfigProblem::new(
                    at.clone(),
                    format!(
                        "subscription {i} maps `{path}` to `{to}`, but strategy `merge` merges whole \
                         commits and cannot move directories"
                    ),
                )
                .hint("use `diff-apply` (or `squash`/`cherry-pick`) for mapped directories"),
            );
        }
        if let Some((j, other)) = subs.iter().find(|(_, s)| s.to.overlaps(&to)) {
            if strategy != Strategy::Merge {
                problems.push(
                    ConfigProblem::new(
                        at.clone(),
                        format!(
                            "subscription {i} writes to `{to}`, which overlaps `{}` of subscription {j}",
                            other.to
                        ),
                    )
                    .hint("each subscription needs its own directory in this repository"),
                );
            }
        }
        subs.push((i, Subscription { path, to }));
    }
    if problems.len() > before {
        return None;
    }
    Some(subs.into_iter().map(|(_, s)| s).collect())
}

fn check_pull_request(
    v: Option<&Value>,
    problems: &mut Vec<ConfigProblem>,
) -> Option<PullRequestFile> {
    let Some(v) = v else {
        return Some(PullRequestFile::default());
    };
    let Some(map) = v.as_object() else {
        problems.push(ConfigProblem::new(
            "/pull_request",
            format!("`pull_request` is {}, not an object", kind(v)),
        ));
        return None;
    };
    const KEYS: &[&str] = &[
        "base",
        "branch",
        "title",
        "labels",
        "reviewers",
        "team_reviewers",
        "assignees",
        "draft",
    ];
    for key in map.keys() {
        if !KEYS.contains(&key.as_str()) {
            problems.push(
                ConfigProblem::new(
                    format!("/pull_request/{}", escape_pointer(key)),
                    format!("unknown key `{key}` in `pull_request`"),
                )
                .hint(format!("the keys are {}", quoted_list(KEYS))),
            );
        }
    }
    let before = problems.len();
    let base = match field::<String>(map, "base", "/pull_request/base", problems, "") {
        Some(Some(b)) if !is_valid_branch(&b) => {
            problems.push(ConfigProblem::new(
                "/pull_request/base",
                format!("`{b}` is not a valid branch name"),
            ));
            None
        }
        other => other.flatten(),
    };
    let branch = field::<String>(map, "branch", "/pull_request/branch", problems, "")
        .flatten()
        .unwrap_or_else(default_branch_template);
    check_template(&branch, "/pull_request/branch", true, problems);
    let title = field::<String>(map, "title", "/pull_request/title", problems, "")
        .flatten()
        .unwrap_or_else(default_title_template);
    check_template(&title, "/pull_request/title", false, problems);
    let mut lists = Vec::new();
    for key in ["labels", "reviewers", "team_reviewers", "assignees"] {
        let ptr = format!("/pull_request/{key}");
        let list =
            field::<Vec<String>>(map, key, &ptr, problems, "write a list of strings").flatten();
        if let Some(list) = &list {
            for (i, item) in list.iter().enumerate() {
                let bad = item.trim().is_empty()
                    || (key != "labels"
                        && !item
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
                if bad {
                    problems.push(ConfigProblem::new(
                        format!("{ptr}/{i}"),
                        format!("`{item}` is not a valid entry for `{key}`"),
                    ));
                }
            }
        }
        lists.push(list);
    }
    let draft = field::<bool>(
        map,
        "draft",
        "/pull_request/draft",
        problems,
        "write true or false",
    )
    .flatten()
    .unwrap_or(false);
    if problems.len() > before {
        return None;
    }
    let mut lists = lists.into_iter();
    let mut next = |default: Vec<String>| lists.next().flatten().unwrap_or(default);
    Some(PullRequestFile {
        base,
        branch,
        title,
        labels: next(default_pr_labels()),
        reviewers: next(Vec::new()),
        team_reviewers: next(Vec::new()),
        assignees: next(Vec::new()),
        draft,
    })
}

fn check_template(t: &str, pointer: &str, is_branch: bool, problems: &mut Vec<ConfigProblem>) {
    let mut rest = t;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            problems.push(
                ConfigProblem::new(pointer, format!("`{t}` has a `{{` without `}}`")).hint(
                    format!("the placeholders are {}", TEMPLATE_PLACEHOLDERS.join(", ")),
                ),
            );
            return;
        };
        let placeholder = &rest[start..start + len + 1];
        if !TEMPLATE_PLACEHOLDERS.contains(&placeholder) {
            problems.push(
                ConfigProblem::new(
                    pointer,
                    format!("unknown placeholder `{placeholder}` in `{t}`"),
                )
                .hint(format!(
                    "the placeholders are {}",
                    TEMPLATE_PLACEHOLDERS.join(", ")
                )),
            );
            return;
        }
        rest = &rest[start + len + 1..];
    }
    if is_branch {
        let sample = fill_template(t, "acme-mono", "acme/mono", "main", &"0".repeat(40));
        if !is_valid_branch(&sample) {
            problems.push(
                ConfigProblem::new(
                    pointer,
                    format!("`{t}` does not make a valid branch name (e.g. `{sample}`)"),
                )
                .hint("use letters, digits, `-`, `_`, `.` and `/`, e.g. `ecosync/{upstream}`"),
            );
        }
    } else if t.trim().is_empty() {
        problems.push(ConfigProblem::new(pointer, "the title is empty"));
    }
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
        .replace("{short_sha}", sha.get(..12).unwrap_or(sha))
        .replace("{sha}", sha)
}

fn finish(
    file: CousinConfigFile,
    subscriptions: Option<Vec<Subscription>>,
    problems: &mut Vec<ConfigProblem>,
) -> Option<CousinConfig> {
    let max_age = check_max_age(&file.max_age, problems);
    let notify = check_notify(&file.notify, problems);
    let labels = match &file.notify {
        NotifyFile::Place(_) => default_notify_labels(),
        NotifyFile::Full { labels, .. } => labels.clone(),
    };
    if !problems.is_empty() {
        return None;
    }
    Some(CousinConfig {
        upstream_repo: file.upstream.repo,
        upstream_branch: file.upstream.branch,
        upstream_url: file.upstream.url,
        subscriptions: subscriptions?,
        strategy: file.strategy,
        max_age: max_age?,
        max_age_text: file.max_age,
        pull_request: PullRequestConfig {
            base: file.pull_request.base,
            branch: file.pull_request.branch,
            title: file.pull_request.title,
            labels: file.pull_request.labels,
            reviewers: file.pull_request.reviewers,
            team_reviewers: file.pull_request.team_reviewers,
            assignees: file.pull_request.assignees,
            draft: file.pull_request.draft,
        },
        on_conflict: file.on_conflict,
        notify: notify?,
        notify_labels: labels,
    })
}

fn check_max_age(text: &str, problems: &mut Vec<ConfigProblem>) -> Option<Duration> {
    match humantime::parse_duration(text) {
        Ok(d) if !d.is_zero() => Some(d),
        Ok(_) => {
            problems.push(
                ConfigProblem::new(
                    "/max_age",
                    "`max_age` is zero, so every commit would be too old",
                )
                .hint("write a duration such as `30d`"),
            );
            None
        }
        Err(e) => {
            problems.push(
                ConfigProblem::new("/max_age", format!("`{text}` is not a duration: {e}"))
                    .hint("write a duration such as `30d`, `12h` or `90m`"),
            );
            None
        }
    }
}

fn check_notify(notify: &NotifyFile, problems: &mut Vec<ConfigProblem>) -> Option<NotifyTarget> {
    let (place, labels, labels_ptr) = match notify {
        NotifyFile::Place(p) => (p.clone(), default_notify_labels(), "/notify"),
        NotifyFile::Full { to, labels } => (to.clone(), labels.clone(), "/notify/labels"),
    };
    let notify = match place.as_str() {
        "upstream" => Some(NotifyTarget::Upstream),
        "self" => Some(NotifyTarget::Own),
        "none" => Some(NotifyTarget::Nowhere),
        other => match RepoName::parse(other) {
            Ok(r) => Some(NotifyTarget::Repo(r)),
            Err(_) => {
                problems.push(
                    ConfigProblem::new(
                        if matches!(notify, NotifyFile::Place(_)) {
                            "/notify"
                        } else {
                            "/notify/to"
                        },
                        format!("`{other}` is not a place to report failures"),
                    )
                    .hint("write `upstream`, `self`, `none` or an `owner/name`"),
                );
                None
            }
        },
    };
    if labels.iter().any(|l| l.trim().is_empty()) {
        problems.push(ConfigProblem::new(labels_ptr, "a notify label is empty"));
        return None;
    }
    notify
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn quoted_list(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<CousinConfig, Vec<ConfigProblem>> {
        CousinConfig::from_json_str(text, &ConfigOverrides::default())
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
        let c = CousinConfig::from_json_str(
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
        let pointers: Vec<&str> = err.iter().map(|p| p.pointer.as_str()).collect();
        for expected in [
            "/extra",
            "/upstream/repo",
            "/subscriptions/0",
            "/subscriptions/1/to",
            "/strategy",
            "/pull_request/branch",
        ] {
            assert!(
                pointers.contains(&expected),
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
}
