//! `Ecosystem`: the downstream repositories listed in `ecosystem.json` and what each subscribes to.
//!
//! The file is a JSON array of entries, `[{"repo": "owner/name", "subscriptions": ["features/webpush/flask"]}]`,
//! with optional `event_type`, `branches` and `enabled`. Loading checks everything and reports every problem
//! at once, each with its line and column and its entry; unknown fields are errors because they are almost
//! always typos.

mod checker;
pub mod delivery_mode;
pub mod path_pattern;
pub mod subscription_matcher;
pub mod target_delivery;
mod tree_suggestions;

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::diagnostic::Diagnostic;
use crate::config::json_document::{JsonDocument, Span};
use crate::config::line_index::LineIndex;
use crate::config::on_conflict::OnConflict;
use crate::config::on_rejection::OnRejection;
use crate::config::pull_request_config::PullRequestFile;
use crate::config::strategy::Strategy;
use crate::config::subscription::SubscriptionFile;
use crate::dispatch::ecosystem::delivery_mode::DeliveryMode;
use crate::dispatch::ecosystem::path_pattern::PathPattern;
use crate::dispatch::ecosystem::subscription_matcher::{MatcherError, SubscriptionMatcher};
use crate::dispatch::ecosystem::target_delivery::TargetDelivery;
use crate::error_kind::{ErrorKind, UserError};
use crate::repo_name::RepoName;
use checker::{Checker, EntrySubject};
use tree_suggestions::TreeSuggestions;

/// The `event_type` sent when an entry does not set one.
pub const DEFAULT_EVENT_TYPE: &str = "feature-update";
/// The source branches dispatched when an entry does not set `branches`.
pub const DEFAULT_BRANCH: &str = "main";
pub use crate::payload::MAX_EVENT_TYPE_CHARS;

/// One downstream repository and what it subscribes to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The downstream repository, `owner/name`, which receives a `repository_dispatch`.
    pub repo: RepoName,
    /// Path patterns in GitHub's `on.push.paths` dialect, checked in order, the last match wins; a leading
    /// `!` excludes. A pattern without glob characters names a file or a whole directory.
    pub subscriptions: Vec<String>,
    /// The `repository_dispatch` event type (1 to 100 characters).
    #[serde(default = "default_event_type")]
    pub event_type: String,
    /// Source branches whose pushes are dispatched, as glob patterns (`*` does not cross `/`).
    #[serde(default = "default_branches")]
    pub branches: Vec<String>,
    /// Set to `false` to keep the entry without dispatching to it.
    #[serde(default = "default_enabled")]
    pub enabled: bool,
    /// How a push reaches the repository: `dispatch` (a `repository_dispatch` for its workflow),
    /// `push` (its branch mirrors the source branch, fast-forward only), `pull-request` (the dispatcher
    /// applies the change and opens or refreshes a pull request) or `buffered-pr` (the same, opened once
    /// the oldest change is `buffer_hours` old). Only `dispatch` needs a workflow in the target.
    #[serde(default)]
    pub mode: DeliveryMode,
    /// The repository's branch delivered into (default: its default branch); for `push`, the branch that
    /// mirrors the source branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_branch: Option<String>,
    /// How the change is applied in the pull request modes: `diff-apply` (default), `cherry-pick`,
    /// `squash` or `merge`, as in the subscriber's configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// Where each source directory goes in the repository, for the pull request modes:
    /// `[{"path": "features/x", "to": "app"}]` (default: each subscription's directory at the same place).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<Vec<SubscriptionFile>>,
    /// The pull request (labels, reviewers, team reviewers, assignees, draft, title, branch), as in the
    /// subscriber's configuration; with `push`, a pull request is opened when the branch cannot be
    /// fast-forwarded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<PullRequestFile>,
    /// For `pull-request`: one pull request per source commit that touches the subscriptions, instead of
    /// one rolling pull request.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub per_commit: bool,
    /// With `per_commit`: how many pull requests one run opens or refreshes at most (default 20); the
    /// commits past it are queued and proposed by later runs as earlier pull requests merge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub per_commit_limit: Option<u32>,
    /// For `buffered-pr` (required there): how many hours changes gather on the branch before the pull
    /// request opens, a positive number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub buffer_hours: Option<f64>,
    /// For the pull request modes: what a conflict with the target's own edits gives, `issue` (push
    /// nothing, one failure issue in the source repository; default) or `draft-pull-request` (the conflict
    /// markers in a draft pull request that lists the files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_conflict: Option<OnConflict>,
    /// For the pull request modes: what a pull request that a person closes without merging does to later
    /// deliveries, `hold` (that source commit is never proposed again, a newer one is; default) or `pause`
    /// (nothing is proposed until a person reopens it or a run is given `--repropose OWNER/NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_rejection: Option<OnRejection>,
}

/// The whole file, in either of its two forms (used to generate the JSON Schema; loading walks the
/// document itself to report every problem with its place).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
#[schemars(title = "ecosync ecosystem.json")]
pub enum EcosystemFile {
    /// The original form: an array of entries.
    List(Vec<Entry>),
    /// An object that names its schema, for editors.
    Document {
        /// The JSON Schema this file follows (for editors; ignored by ecosync).
        #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
        schema: Option<String>,
        /// The downstream repositories.
        repositories: Vec<Entry>,
    },
}

pub(super) fn default_event_type() -> String {
    DEFAULT_EVENT_TYPE.to_owned()
}

pub(super) fn default_branches() -> Vec<String> {
    vec![DEFAULT_BRANCH.to_owned()]
}

fn default_enabled() -> bool {
    true
}

/// An `ecosystem.json` that cannot be used: every problem found, errors and warnings.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", render_invalid(.file, .diagnostics))]
pub struct EcosystemInvalid {
    /// The file, as named in the diagnostics.
    pub file: String,
    /// Every problem found.
    pub diagnostics: Vec<Diagnostic>,
}

impl UserError for EcosystemInvalid {
    /// The file must be fixed; each diagnostic carries its own hint.
    fn kind(&self) -> ErrorKind {
        ErrorKind::Usage
    }
}

fn render_invalid(file: &str, diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&d.to_string());
        out.push('\n');
    }
    _ = write!(
        out,
        "`{file}` is invalid: {errors} {}",
        if errors == 1 { "error" } else { "errors" }
    );
    out
}

/// Where an entry's parts were written, for warnings found after loading: byte spans, turned into a line
/// and column only for the patterns that are warned about.
#[derive(Debug, Clone, Default)]
struct EntrySource {
    /// The entry's place in the file (entries with errors are left out of a partial ecosystem).
    index: usize,
    subscriptions: Vec<Span>,
}

/// A loaded, valid `ecosystem.json`: its entries in file order with their compiled patterns.
#[derive(Debug, Clone)]
pub struct Ecosystem {
    file: String,
    lines: Arc<LineIndex>,
    entries: Vec<Entry>,
    deliveries: Vec<Arc<TargetDelivery>>,
    subscriptions: Vec<Vec<PathPattern>>,
    branches: Vec<Vec<PathPattern>>,
    sources: Vec<EntrySource>,
}

impl Ecosystem {
    /// Reads and checks `path`, naming it `file` in diagnostics. On success, returns the ecosystem and its
    /// warnings; on failure, every diagnostic found (errors and warnings).
    pub fn load(path: &Path, file: &str) -> Result<(Self, Vec<Diagnostic>), Vec<Diagnostic>> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![
                Diagnostic::error(file, format!("cannot read `{}`: {e}", path.display()))
                    .hint("run in the repository root, or pass `--config FILE` (or `--repo DIR`)"),
            ]
        })?;
        Self::parse(file, &text)
    }

    /// Checks the text of an `ecosystem.json` named `file`.
    pub fn parse(file: &str, text: &str) -> Result<(Self, Vec<Diagnostic>), Vec<Diagnostic>> {
        let doc = JsonDocument::parse(file, text).map_err(|d| vec![*d])?;
        Self::from_document(&doc)
    }

    /// Checks a parsed document.
    pub fn from_document(doc: &JsonDocument) -> Result<(Self, Vec<Diagnostic>), Vec<Diagnostic>> {
        match Self::check_document(doc) {
            (Some((e, true)), diagnostics)
                if !crate::config::diagnostic::has_errors(&diagnostics) =>
            {
                Ok((e, diagnostics))
            }
            (_, diagnostics) => Err(diagnostics),
        }
    }

    /// Checks a parsed document and returns every problem with the entries that are valid (and whether
    /// every entry is), also when others have errors: `validate` checks their patterns against the tree.
    pub(crate) fn check_document(doc: &JsonDocument) -> (Option<(Self, bool)>, Vec<Diagnostic>) {
        let mut checker = Checker {
            doc,
            diagnostics: doc.duplicate_keys(),
        };
        let ecosystem = checker.ecosystem();
        let mut diagnostics = checker.diagnostics;
        // In file order, whatever order the checks ran in (the sort is stable).
        diagnostics.sort_by_key(|d| d.location);
        (ecosystem, diagnostics)
    }

    /// The JSON Schema of the file: an array of [`Entry`], or the same array under `repositories` next to a
    /// `$schema` key.
    pub fn json_schema() -> schemars::Schema {
        schemars::schema_for!(EcosystemFile)
    }

    /// The file name used in diagnostics.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The entries, in file order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// How each entry is delivered, in file order (index as [`Ecosystem::entries`]).
    pub fn deliveries(&self) -> &[Arc<TargetDelivery>] {
        &self.deliveries
    }

    /// The compiled subscriptions of every entry, `[entry][pattern]`.
    pub fn subscription_patterns(&self) -> &[Vec<PathPattern>] {
        &self.subscriptions
    }

    /// One matcher over every entry's subscriptions.
    pub fn subscription_matcher(&self) -> Result<SubscriptionMatcher, MatcherError> {
        SubscriptionMatcher::new(&self.subscriptions)
    }

    /// One matcher over every entry's branch patterns.
    pub fn branch_matcher(&self) -> Result<SubscriptionMatcher, MatcherError> {
        SubscriptionMatcher::new(&self.branches)
    }

    /// How the entry at `index` of [`Ecosystem::entries`] is named in messages: ``entry 2 (`acme/web`)``,
    /// numbered by its place in the file.
    pub fn subject(&self, index: usize) -> String {
        EntrySubject {
            index: self.sources[index].index,
            repo: Some(self.entries[index].repo.as_str()),
        }
        .to_string()
    }

    /// How each entry whose `repo` is still a placeholder (`CHANGE-ME/...`, see
    /// [`crate::config::placeholder`]) is named in messages, in file order.
    pub fn placeholder_entries(&self) -> Vec<String> {
        (0..self.entries.len())
            .filter(|&i| crate::config::placeholder::is_placeholder(self.entries[i].repo.as_str()))
            .map(|i| self.subject(i))
            .collect()
    }

    /// One warning per subscription pattern that matches none of `tree_paths` (the files of the current
    /// tree): probably a typo or a path that moved.
    pub fn unmatched_pattern_warnings<S: AsRef<str>>(
        &self,
        tree_paths: &[S],
        tree_name: &str,
    ) -> Result<Vec<Diagnostic>, MatcherError> {
        let hit = self.subscription_matcher()?.patterns_hit(tree_paths);
        let mut out = Vec::new();
        let mut suggestions = TreeSuggestions::new(tree_paths);
        for (e, patterns) in hit.iter().enumerate() {
            for (p, &hit) in patterns.iter().enumerate() {
                if !hit {
                    let text = self.subscriptions[e][p].text();
                    let advice = match suggestions.closest(text) {
                        Some(near) => format!(
                            "did you mean `{near}`? check the spelling and the case; paths are relative to the \
                             repository root"
                        ),
                        None => "check the spelling and the case; paths are relative to the repository root"
                            .to_owned(),
                    };
                    out.push(
                        Diagnostic::warning(
                            &self.file,
                            format!("subscription `{text}` matches no file in {tree_name}"),
                        )
                        .at_opt(
                            self.sources[e]
                                .subscriptions
                                .get(p)
                                .map(|span| self.lines.location(span.start)),
                        )
                        .subject(self.subject(e))
                        .hint(advice),
                    );
                }
            }
        }
        Ok(out)
    }
}
