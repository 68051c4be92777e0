//! The checker of the subscriber's configuration: walks the span-keeping [`JsonDocument`] the way the
//! `ecosystem.json` checker does, and reports every problem at once, each at the place it is written, its
//! subject the JSON pointer of the offending value (``error: FILE:LINE:COL: `/upstream/repo`: ...``).
//!
//! Each part of the file is checked on its own, so a problem in one does not hide the problems of
//! another; the configuration is built only when there is no error at all.

use std::time::Duration;

use serde::de::DeserializeOwned;

use super::{ConfigOverrides, CousinConfig, default_branch, default_max_age};
use crate::config::branch_name::{BranchProblem, branch_problem, is_valid_branch};
use crate::config::diagnostic::{Diagnostic, has_errors};
use crate::config::did_you_mean::did_you_mean;
use crate::config::json_document::{JsonDocument, JsonMember, JsonNode, Span};
use crate::config::notify::{NotifyTarget, default_notify_labels, default_notify_place};
use crate::config::on_conflict::OnConflict;
use crate::config::on_rejection::OnRejection;
use crate::config::pull_request_config::{
    PullRequestConfig, PullRequestFile, TEMPLATE_PLACEHOLDERS, default_branch_template,
    default_pr_labels, default_title_template, fill_template,
};
use crate::config::strategy::Strategy;
use crate::config::subscription::Subscription;
use crate::repo_name::RepoName;
use crate::repo_path::RepoPath;

/// `DEFAULT_MAX_AGE` as a duration (a unit test keeps the two in step).
pub(super) const DEFAULT_MAX_AGE_DURATION: Duration = Duration::from_secs(30 * 24 * 60 * 60);

const TOP_LEVEL_KEYS: &[&str] = &[
    "$schema",
    "upstream",
    "subscriptions",
    "strategy",
    "max_age",
    "pull_request",
    "on_conflict",
    "on_rejection",
    "notify",
    "acknowledge",
];
const UPSTREAM_KEYS: &[&str] = &["repo", "branch", "url"];
const SUBSCRIPTION_KEYS: &[&str] = &["path", "to"];
const PULL_REQUEST_KEYS: &[&str] = &[
    "base",
    "branch",
    "title",
    "labels",
    "reviewers",
    "team_reviewers",
    "assignees",
    "draft",
];
const NOTIFY_KEYS: &[&str] = &["to", "labels"];
const STRATEGIES: &[&str] = &["diff-apply", "cherry-pick", "squash", "merge"];
const ON_CONFLICT: &[&str] = &["issue", "draft-pull-request"];
const ON_REJECTION: &[&str] = &["hold", "pause"];

/// Checks a parsed configuration: the configuration, or every diagnostic (duplicate keys included), in
/// file order.
pub(super) fn check(
    doc: &JsonDocument,
    overrides: &ConfigOverrides,
) -> Result<CousinConfig, Vec<Diagnostic>> {
    let mut checker = Checker {
        doc,
        diagnostics: doc.duplicate_keys(),
        names: ("subscriptions", "subscription"),
    };
    let config = checker.config(overrides);
    let mut diagnostics = checker.diagnostics;
    // In file order, whatever order the checks ran in (the sort is stable).
    diagnostics.sort_by_key(|d| d.location);
    match config {
        Some(c) if !has_errors(&diagnostics) => Ok(c),
        _ => Err(diagnostics),
    }
}

/// The keys an `ecosystem.json` entry shares with this file, for the modes in which the dispatcher
/// delivers the change itself: each as checked here, `None` when absent.
#[derive(Debug, Clone)]
pub struct SharedKeys {
    /// `strategy` (default `diff-apply`).
    pub strategy: Strategy,
    /// `mapping`: the upstream directories and where they go, like `subscriptions` here.
    pub mapping: Option<Vec<Subscription>>,
    /// `pull_request`.
    pub pull_request: Option<PullRequestFile>,
    /// `on_conflict` (default `issue`).
    pub on_conflict: OnConflict,
    /// `on_rejection` (default `hold`).
    pub on_rejection: OnRejection,
}

/// Checks `strategy`, `mapping`, `pull_request`, `on_conflict` and `on_rejection` of the object `entry` of `doc` with this file's rules
/// (messages name the value, not a JSON pointer). `None` when any is wrong; every problem is in the
/// returned diagnostics, errors and warnings.
pub fn check_shared(doc: &JsonDocument, entry: &JsonNode) -> (Option<SharedKeys>, Vec<Diagnostic>) {
    let mut checker = Checker {
        doc,
        diagnostics: Vec::new(),
        names: ("mapping", "mapping"),
    };
    let strategy = checker.choice::<Strategy>(
        entry,
        "strategy",
        STRATEGIES,
        "use `diff-apply`, `cherry-pick`, `squash` or `merge`",
    );
    let mapping = entry
        .get("mapping")
        .map(|v| checker.subscriptions(v, "/mapping", strategy.unwrap_or_default()));
    let pull_request = entry
        .get("pull_request")
        .map(|v| checker.pull_request(Some(v)));
    let on_conflict = checker.choice::<OnConflict>(
        entry,
        "on_conflict",
        ON_CONFLICT,
        "use `issue` or `draft-pull-request`",
    );
    let on_rejection =
        checker.choice::<OnRejection>(entry, "on_rejection", ON_REJECTION, "use `hold` or `pause`");
    let mut diagnostics = checker.diagnostics;
    for d in &mut diagnostics {
        // The entry names the subject; the pointer would be relative to it.
        d.subject = None;
    }
    let keys = (|| {
        Some(SharedKeys {
            strategy: strategy?,
            mapping: match mapping {
                Some(m) => Some(m?),
                None => None,
            },
            pull_request: match pull_request {
                Some(p) => Some(p?),
                None => None,
            },
            on_conflict: on_conflict?,
            on_rejection: on_rejection?,
        })
    })();
    (keys, diagnostics)
}

/// Walks the document, collecting diagnostics.
struct Checker<'a> {
    doc: &'a JsonDocument,
    diagnostics: Vec<Diagnostic>,
    /// How messages name the list of subscriptions and one of them: `subscriptions` and `subscription`
    /// here, `mapping` in `ecosystem.json`.
    names: (&'static str, &'static str),
}

impl Checker<'_> {
    /// An error at `span` about the value at `pointer` (`""`, the whole file, names no subject).
    fn error(&self, span: Span, pointer: &str, message: impl Into<String>) -> Diagnostic {
        let d = self.doc.error_at(span, message);
        if pointer.is_empty() {
            d
        } else {
            d.subject(format!("`{pointer}`"))
        }
    }

    fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    fn config(&mut self, overrides: &ConfigOverrides) -> Option<CousinConfig> {
        let root = self.doc.root();
        match &root.value {
            crate::config::json_document::JsonValue::Array(_) => self.array_form(root, overrides),
            crate::config::json_document::JsonValue::Object(members) => {
                self.object_form(root, members)
            }
            _ => {
                let d = self
                    .error(
                        root.span,
                        "",
                        format!(
                            "the configuration is {}, not an object or an array",
                            root.type_name()
                        ),
                    )
                    .hint(
                        "write an object such as {\"upstream\": {\"repo\": \"owner/name\"}, \
                         \"subscriptions\": [\"features/x\"]}",
                    );
                self.push(d);
                None
            }
        }
    }

    /// The original form: a plain array of subscriptions, the upstream repository given on the command
    /// line, everything else at its default.
    fn array_form(&mut self, root: &JsonNode, overrides: &ConfigOverrides) -> Option<CousinConfig> {
        let subscriptions = self.subscriptions(root, "", Strategy::DiffApply);
        let Some(upstream_repo) = overrides.upstream_repo.clone() else {
            let d = self
                .error(
                    root.span,
                    "",
                    "the configuration is a plain list of subscriptions, which does not say which \
                     repository is upstream",
                )
                .hint(
                    "pass `--upstream owner/name`, or write an object: {\"upstream\": {\"repo\": \
                     \"owner/name\"}, \"subscriptions\": [...]}",
                );
            self.push(d);
            return None;
        };
        Some(CousinConfig {
            upstream_repo,
            upstream_branch: default_branch(),
            upstream_url: None,
            subscriptions: subscriptions?,
            strategy: Strategy::default(),
            max_age: DEFAULT_MAX_AGE_DURATION,
            max_age_text: default_max_age(),
            pull_request: PullRequestFile::default().into(),
            on_conflict: OnConflict::default(),
            on_rejection: OnRejection::default(),
            notify: NotifyTarget::Upstream,
            notify_labels: default_notify_labels(),
            acknowledge: false,
        })
    }

    fn object_form(&mut self, root: &JsonNode, members: &[JsonMember]) -> Option<CousinConfig> {
        self.unknown_keys(
            members,
            "",
            TOP_LEVEL_KEYS,
            "",
            &format!("the keys are {}", quoted_list(TOP_LEVEL_KEYS)),
        );
        if let Some(v) = root.get("$schema").filter(|v| v.as_str().is_none()) {
            let d = self
                .error(v.span, "/$schema", "`$schema` must be a string")
                .hint("write the schema's URL, or a path relative to the file");
            self.push(d);
        }
        let upstream = self.upstream(root);
        let strategy = self.choice::<Strategy>(
            root,
            "strategy",
            STRATEGIES,
            "use `diff-apply`, `cherry-pick`, `squash` or `merge`",
        );
        let subscriptions = if let Some(v) = root.get("subscriptions") {
            self.subscriptions(v, "/subscriptions", strategy.unwrap_or_default())
        } else {
            let d = self
                .error(root.span, "", "`subscriptions` is missing")
                .hint(
                    "list the upstream directories this repository copies, e.g. [\"features/x\"]",
                );
            self.push(d);
            None
        };
        let max_age = self.max_age(root);
        let pull_request = self.pull_request(root.get("pull_request"));
        let on_conflict = self.choice::<OnConflict>(
            root,
            "on_conflict",
            ON_CONFLICT,
            "use `issue` or `draft-pull-request`",
        );
        let on_rejection =
            self.choice::<OnRejection>(root, "on_rejection", ON_REJECTION, "use `hold` or `pause`");
        let notify = self.notify(root.get("notify"));
        let acknowledge = self.acknowledge(root.get("acknowledge"));
        if let (Some((repo, branch, _)), Some(pr)) = (&upstream, &pull_request) {
            self.sync_branch_is_not_base(root, repo, branch, pr);
        }

        let (upstream_repo, upstream_branch, upstream_url) = upstream?;
        let (max_age_text, max_age) = max_age?;
        let (notify, notify_labels) = notify?;
        Some(CousinConfig {
            upstream_repo,
            upstream_branch,
            upstream_url,
            subscriptions: subscriptions?,
            strategy: strategy?,
            max_age,
            max_age_text,
            pull_request: pull_request?.into(),
            on_conflict: on_conflict?,
            on_rejection: on_rejection?,
            notify,
            notify_labels,
            acknowledge: acknowledge?,
        })
    }

    /// `acknowledge`: a boolean (default `false`).
    fn acknowledge(&mut self, v: Option<&JsonNode>) -> Option<bool> {
        let Some(v) = v else {
            return Some(false);
        };
        if let Some(b) = v.as_bool() {
            return Some(b);
        }
        let d = self
            .error(
                v.span,
                "/acknowledge",
                format!("`acknowledge` is {}, not a boolean", v.type_name()),
            )
            .hint("write true or false, without quotes");
        self.push(d);
        None
    }

    /// One error per key of `members` that is not in `known`, at the key, with the closest known key when
    /// one is close. `in_what` ends the message (`` in `upstream` ``), `known_hint` ends the hint. Returns
    /// whether there was any.
    fn unknown_keys(
        &mut self,
        members: &[JsonMember],
        pointer: &str,
        known: &[&str],
        in_what: &str,
        known_hint: &str,
    ) -> bool {
        let mut any = false;
        for m in members {
            if known.contains(&m.key.as_str()) {
                continue;
            }
            any = true;
            let hint = match did_you_mean(&m.key, known) {
                Some(k) => format!("did you mean `{k}`? {known_hint}"),
                None => known_hint.to_owned(),
            };
            let d = self
                .error(
                    m.key_span,
                    &child(pointer, &m.key),
                    format!("unknown key `{}`{in_what}", m.key),
                )
                .hint(hint);
            self.push(d);
        }
        any
    }

    /// The members of the top-level key `key` whose value is `v`, or `None` (reported) when it is not an
    /// object.
    fn object<'n>(&mut self, v: &'n JsonNode, key: &str, hint: &str) -> Option<&'n [JsonMember]> {
        let members = v.as_object();
        if members.is_none() {
            let d = self
                .error(
                    v.span,
                    &format!("/{key}"),
                    format!("`{key}` is {}, not an object", v.type_name()),
                )
                .hint(hint);
            self.push(d);
        }
        members
    }

    /// The string `key` of `object`: `Some(None)` when absent, `None` (reported) when not a string.
    /// `name` is how messages call it (`pull_request.base`).
    // `None` is "reported, stop", `Some(None)` is "absent, use the default": `?` reads well with both.
    #[allow(clippy::option_option)]
    fn string<'n>(
        &mut self,
        object: &'n JsonNode,
        key: &str,
        name: &str,
        pointer: &str,
        hint: &str,
    ) -> Option<Option<(&'n str, Span)>> {
        let Some(v) = object.get(key) else {
            return Some(None);
        };
        if let Some(s) = v.as_str() {
            Some(Some((s, v.span)))
        } else {
            let d = self
                .error(
                    v.span,
                    pointer,
                    format!("`{name}` is {}, not a string", v.type_name()),
                )
                .hint(hint);
            self.push(d);
            None
        }
    }

    /// The array of strings `key` of `object`, each with its node: `Some(None)` when absent, `None`
    /// (reported) when not an array of strings.
    #[allow(clippy::option_option)]
    fn string_list<'n>(
        &mut self,
        object: &'n JsonNode,
        key: &str,
        name: &str,
        pointer: &str,
    ) -> Option<Option<Vec<(&'n str, &'n JsonNode)>>> {
        let Some(v) = object.get(key) else {
            return Some(None);
        };
        let Some(items) = v.as_array() else {
            let d = self
                .error(
                    v.span,
                    pointer,
                    format!("`{name}` is {}, not an array of strings", v.type_name()),
                )
                .hint(format!("write `\"{key}\": [\"...\"]`"));
            self.push(d);
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            if let Some(s) = item.as_str() {
                out.push((s, item));
            } else {
                let d = self
                    .error(
                        item.span,
                        &format!("{pointer}/{i}"),
                        format!("item {i} of `{name}` is {}, not a string", item.type_name()),
                    )
                    .hint("write it in double quotes");
                self.push(d);
                ok = false;
            }
        }
        ok.then_some(Some(out))
    }

    /// A value named by a string, such as `strategy`: its default when absent, `None` (reported, with
    /// the closest name) when it is not one of `names`.
    fn choice<T: DeserializeOwned + Default>(
        &mut self,
        object: &JsonNode,
        key: &str,
        names: &[&str],
        hint: &str,
    ) -> Option<T> {
        let Some(v) = object.get(key) else {
            return Some(T::default());
        };
        if let Ok(t) = serde_json::from_value::<T>(v.to_value()) {
            Some(t)
        } else {
            let hint = match v.as_str().and_then(|s| did_you_mean(s, names)) {
                Some(n) => format!("did you mean `{n}`? {hint}"),
                None => hint.to_owned(),
            };
            let message = match v.as_str() {
                Some(s) => format!("`{s}` is not a known `{key}`"),
                None => format!("`{key}` is {}, not a string", v.type_name()),
            };
            let d = self.error(v.span, &format!("/{key}"), message).hint(hint);
            self.push(d);
            None
        }
    }

    /// `upstream`: the repository, the branch and the fetch URL.
    fn upstream(&mut self, root: &JsonNode) -> Option<(RepoName, String, Option<String>)> {
        let Some(v) = root.get("upstream") else {
            let d = self
                .error(root.span, "", "`upstream` is missing")
                .hint("add \"upstream\": {\"repo\": \"owner/name\"}");
            self.push(d);
            return None;
        };
        let members = self.object(
            v,
            "upstream",
            "write \"upstream\": {\"repo\": \"owner/name\", \"branch\": \"main\"}",
        )?;
        let unknown = self.unknown_keys(
            members,
            "/upstream",
            UPSTREAM_KEYS,
            " in `upstream`",
            "the keys are `repo`, `branch` and `url`",
        );
        let repo = match self.string(
            v,
            "repo",
            "upstream.repo",
            "/upstream/repo",
            "write \"repo\": \"owner/name\"",
        ) {
            None => None,
            Some(None) => {
                let d = self
                    .error(v.span, "/upstream", "`upstream.repo` is missing")
                    .hint("add \"repo\": \"owner/name\"");
                self.push(d);
                None
            }
            Some(Some((s, span))) => match RepoName::parse(s) {
                Ok(r) => Some(r),
                Err(e) => {
                    let d = self.error(span, "/upstream/repo", e.to_string());
                    self.push(d);
                    None
                }
            },
        };
        let branch_hint = "write a branch name such as `main`";
        let branch = match self.string(
            v,
            "branch",
            "upstream.branch",
            "/upstream/branch",
            branch_hint,
        ) {
            None => None,
            Some(None) => Some(default_branch()),
            Some(Some((b, span))) => match branch_problem(b) {
                None => Some(b.to_owned()),
                Some(problem) => {
                    let d = self
                        .error(
                            span,
                            "/upstream/branch",
                            format!(
                                "`upstream.branch` `{b}` is not a valid branch name: {}",
                                problem.reason()
                            ),
                        )
                        .hint(problem.hint(b));
                    self.push(d);
                    None
                }
            },
        };
        let url_hint = "remove it to fetch from the forge's URL for `upstream.repo`";
        let url = match self.string(v, "url", "upstream.url", "/upstream/url", url_hint) {
            None => None,
            Some(None) => Some(None),
            Some(Some((u, _))) if !u.trim().is_empty() => Some(Some(u.to_owned())),
            Some(Some((_, span))) => {
                let d = self
                    .error(span, "/upstream/url", "`upstream.url` is empty")
                    .hint(url_hint);
                self.push(d);
                None
            }
        };
        if unknown {
            return None;
        }
        Some((repo?, branch?, url?))
    }

    /// The subscriptions at `pointer` (`/subscriptions`, or `""` for the array form).
    fn subscriptions(
        &mut self,
        v: &JsonNode,
        pointer: &str,
        strategy: Strategy,
    ) -> Option<Vec<Subscription>> {
        let Some(items) = v.as_array() else {
            let d = self
                .error(
                    v.span,
                    pointer,
                    format!("`{}` is {}, not an array", self.names.0, v.type_name()),
                )
                .hint("write the upstream directories in a list, e.g. [\"features/x\"]");
            self.push(d);
            return None;
        };
        if items.is_empty() {
            let d = self
                .error(
                    v.span,
                    pointer,
                    format!("`{}` is empty, so nothing would ever sync", self.names.0),
                )
                .hint("list at least one upstream directory, e.g. [\"features/x\"]");
            self.push(d);
            return None;
        }
        let before = self.error_count();
        let mut subs: Vec<(usize, Subscription)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = format!("{pointer}/{i}");
            // The path and the target, each with where it is written and its pointer.
            let (path, to) = match (item.as_str(), item.as_object()) {
                (Some(s), _) => ((s, item.span, at.clone()), (s, item.span, at.clone())),
                (None, Some(members)) => {
                    self.unknown_keys(
                        members,
                        &at,
                        SUBSCRIPTION_KEYS,
                        &format!(" in {} {i}", self.names.1),
                        "a subscription object has `path` and `to`",
                    );
                    let field = |key: &str| {
                        item.get(key)
                            .and_then(|n| n.as_str().map(|s| (s, n.span, format!("{at}/{key}"))))
                    };
                    if let (Some(p), Some(t)) = (field("path"), field("to")) {
                        (p, t)
                    } else {
                        let d = self
                            .error(
                                item.span,
                                &at,
                                format!("{} {i} needs string `path` and `to`", self.names.1),
                            )
                            .hint(
                                "write {\"path\": \"features/x\", \"to\": \"app\"}; `\"to\": \"\"` \
                                 is the root",
                            );
                        self.push(d);
                        continue;
                    }
                }
                (None, None) => {
                    let d = self
                        .error(
                            item.span,
                            &at,
                            format!(
                                "{} {i} is {}, not a string or an object",
                                self.names.1,
                                item.type_name()
                            ),
                        )
                        .hint(
                            "write \"features/x\" or {\"path\": \"features/x\", \"to\": \"app\"}",
                        );
                    self.push(d);
                    continue;
                }
            };
            let path_ok = match RepoPath::parse(path.0) {
                Ok(p) => Some(p),
                Err(e) => {
                    let d = self.error(path.1, &path.2, e.to_string());
                    self.push(d);
                    None
                }
            };
            let to_ok = match RepoPath::parse(to.0) {
                // A plain string is both: its problem has been reported once.
                Err(_) if item.as_str().is_some() && path_ok.is_none() => None,
                Ok(p) => Some(p),
                Err(e) => {
                    let d = self.error(to.1, &to.2, e.to_string());
                    self.push(d);
                    None
                }
            };
            let (Some(path), Some(to)) = (path_ok, to_ok) else {
                continue;
            };
            if !strategy.maps_directories() && path != to {
                let d = self
                    .error(
                        item.span,
                        &at,
                        format!(
                            "{} {i} maps `{path}` to `{to}`, but strategy `merge` merges whole \
                             commits and cannot move directories",
                            self.names.1
                        ),
                    )
                    .hint("use `diff-apply` (or `squash`/`cherry-pick`) for mapped directories");
                self.push(d);
            }
            if let Some((j, other)) = subs.iter().find(|(_, s)| s.to.overlaps(&to))
                && strategy.maps_directories()
            {
                let d = self
                    .error(
                        item.span,
                        &at,
                        format!(
                            "{item} {i} writes to `{to}`, which overlaps `{}` of {item} {j}",
                            other.to,
                            item = self.names.1
                        ),
                    )
                    .hint("each subscription needs its own directory in this repository");
                self.push(d);
            }
            subs.push((i, Subscription { path, to }));
        }
        if self.error_count() > before {
            return None;
        }
        Some(subs.into_iter().map(|(_, s)| s).collect())
    }

    /// `max_age`, as written and as a duration.
    fn max_age(&mut self, root: &JsonNode) -> Option<(String, Duration)> {
        let Some((text, span)) = self.string(
            root,
            "max_age",
            "max_age",
            "/max_age",
            "write a duration such as `30d` or `12h`, in double quotes",
        )?
        else {
            return Some((default_max_age(), DEFAULT_MAX_AGE_DURATION));
        };
        match humantime::parse_duration(text) {
            Ok(d) if !d.is_zero() => Some((text.to_owned(), d)),
            Ok(_) => {
                let d = self
                    .error(
                        span,
                        "/max_age",
                        "`max_age` is zero, so every commit would be too old",
                    )
                    .hint("write a duration such as `30d`");
                self.push(d);
                None
            }
            Err(_) => {
                let d = self
                    .error(span, "/max_age", format!("`{text}` is not a duration"))
                    .hint("write a number and a unit, such as `30d`, `12h` or `90m`");
                self.push(d);
                None
            }
        }
    }

    /// `pull_request`, every field checked.
    fn pull_request(&mut self, v: Option<&JsonNode>) -> Option<PullRequestFile> {
        let Some(v) = v else {
            return Some(PullRequestFile::default());
        };
        let members = self.object(
            v,
            "pull_request",
            "write \"pull_request\": {\"draft\": true}, or remove it for the defaults",
        )?;
        let before = self.error_count();
        self.unknown_keys(
            members,
            "/pull_request",
            PULL_REQUEST_KEYS,
            " in `pull_request`",
            &format!("the keys are {}", quoted_list(PULL_REQUEST_KEYS)),
        );
        let base = match self.string(
            v,
            "base",
            "pull_request.base",
            "/pull_request/base",
            "write a branch name, or remove it to target the default branch",
        ) {
            Some(Some((b, span))) if !is_valid_branch(b) => {
                let problem = branch_problem(b).unwrap_or(BranchProblem::Invalid);
                let d = self
                    .error(
                        span,
                        "/pull_request/base",
                        format!(
                            "`pull_request.base` `{b}` is not a valid branch name: {}",
                            problem.reason()
                        ),
                    )
                    .hint(problem.hint(b));
                self.push(d);
                None
            }
            other => other.flatten().map(|(b, _)| b.to_owned()),
        };
        let branch = self.template_field(v, "branch", default_branch_template, true);
        let title = self.template_field(v, "title", default_title_template, false);
        let mut lists = Vec::new();
        for key in ["labels", "reviewers", "team_reviewers", "assignees"] {
            let pointer = format!("/pull_request/{key}");
            let list = self
                .string_list(v, key, &format!("pull_request.{key}"), &pointer)
                .flatten();
            if let Some(list) = &list {
                for (i, (item, node)) in list.iter().enumerate() {
                    let bad = item.trim().is_empty()
                        || (key != "labels"
                            && !item
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
                    if bad {
                        let d = self.error(
                            node.span,
                            &format!("{pointer}/{i}"),
                            format!("`{item}` is not a valid entry for `{key}`"),
                        );
                        self.push(d);
                    }
                }
            }
            lists.push(list.map(|l| l.iter().map(|(s, _)| (*s).to_owned()).collect::<Vec<_>>()));
        }
        let draft = match v.get("draft") {
            None => false,
            Some(d) => {
                if let Some(b) = d.as_bool() {
                    b
                } else {
                    let d = self
                        .error(
                            d.span,
                            "/pull_request/draft",
                            format!("`pull_request.draft` is {}, not a boolean", d.type_name()),
                        )
                        .hint("write true or false, without quotes");
                    self.push(d);
                    false
                }
            }
        };
        if self.error_count() > before {
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

    /// Refuses a `pull_request.branch` that resolves to the branch the pull request targets: pushing the
    /// sync there would bypass review. Known here when the template makes a fixed name (no `{sha}` or
    /// `{short_sha}`): it may not be `pull_request.base`, nor `main` or `master` (the usual default
    /// branches; `apply` also checks the actual base once it knows it).
    fn sync_branch_is_not_base(
        &mut self,
        root: &JsonNode,
        upstream: &RepoName,
        upstream_branch: &str,
        pr: &PullRequestFile,
    ) {
        let Some(span) = root
            .get("pull_request")
            .and_then(|p| p.get("branch"))
            .map(|n| n.span)
        else {
            return;
        };
        let dashed = format!("{}-{}", upstream.owner(), upstream.name());
        let resolved = fill_template(
            &pr.branch,
            &dashed,
            upstream.as_str(),
            upstream_branch,
            &"0".repeat(40),
        );
        let base = pr.base.as_deref();
        let clash = if base == Some(resolved.as_str()) {
            "`pull_request.base`"
        } else if ["main", "master"].contains(&resolved.as_str()) {
            "a default branch"
        } else {
            return;
        };
        let d = self
            .error(
                span,
                "/pull_request/branch",
                format!(
                    "`pull_request.branch` `{}` makes `{resolved}`, which is {clash}: the sync would be \
                     pushed straight into the branch it should be reviewed for",
                    pr.branch
                ),
            )
            .hint("use a branch of its own, such as the default `ecosync/{upstream}`");
        self.push(d);
    }

    /// The template `key` of `pull_request`, checked, or its default.
    fn template_field(
        &mut self,
        pull_request: &JsonNode,
        key: &str,
        default: fn() -> String,
        is_branch: bool,
    ) -> String {
        let pointer = format!("/pull_request/{key}");
        match self.string(
            pull_request,
            key,
            &format!("pull_request.{key}"),
            &pointer,
            "write a template in double quotes",
        ) {
            None | Some(None) => default(),
            Some(Some((t, span))) => {
                self.template(t, span, &pointer, is_branch);
                t.to_owned()
            }
        }
    }

    /// A branch or title template: known placeholders only; a branch template must make a valid branch
    /// name, a title must not be empty.
    fn template(&mut self, t: &str, span: Span, pointer: &str, is_branch: bool) {
        let placeholders = format!("the placeholders are {}", TEMPLATE_PLACEHOLDERS.join(", "));
        let mut rest = t;
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                let d = self
                    .error(span, pointer, format!("`{t}` has a `{{` without `}}`"))
                    .hint(placeholders);
                self.push(d);
                return;
            };
            let placeholder = &rest[start..=(start + len)];
            if !TEMPLATE_PLACEHOLDERS.contains(&placeholder) {
                let closest = did_you_mean(placeholder, TEMPLATE_PLACEHOLDERS);
                let d = self
                    .error(
                        span,
                        pointer,
                        format!("unknown placeholder `{placeholder}` in `{t}`"),
                    )
                    .hint(match closest {
                        Some(p) => format!("did you mean `{p}`? {placeholders}"),
                        None => placeholders,
                    });
                self.push(d);
                return;
            }
            rest = &rest[start + len + 1..];
        }
        if is_branch {
            let sample = fill_template(t, "acme-mono", "acme/mono", "main", &"0".repeat(40));
            if let Some(problem) = branch_problem(&sample) {
                let d = self
                    .error(
                        span,
                        pointer,
                        format!(
                            "`{t}` does not make a valid branch name (e.g. `{sample}`): {}",
                            problem.reason()
                        ),
                    )
                    .hint("use letters, digits, `-`, `_`, `.` and `/`, e.g. `ecosync/{upstream}`");
                self.push(d);
            }
        } else if t.trim().is_empty() {
            let d = self.error(span, pointer, "the title is empty");
            self.push(d);
        }
    }

    /// `notify`: where failures are reported, and the labels of the issue.
    fn notify(&mut self, v: Option<&JsonNode>) -> Option<(NotifyTarget, Vec<String>)> {
        let Some(v) = v else {
            return Some((NotifyTarget::Upstream, default_notify_labels()));
        };
        let place_hint = "write `upstream`, `self`, `none` or an `owner/name`";
        if let Some(place) = v.as_str() {
            return Some((
                self.place(place, v.span, "/notify")?,
                default_notify_labels(),
            ));
        }
        let Some(members) = v.as_object() else {
            let d = self
                .error(
                    v.span,
                    "/notify",
                    format!("`notify` is {}, not a string or an object", v.type_name()),
                )
                .hint(
                    "write `upstream`, `self`, `none`, an `owner/name`, or {\"to\": ..., \"labels\": [...]}",
                );
            self.push(d);
            return None;
        };
        let unknown = self.unknown_keys(
            members,
            "/notify",
            NOTIFY_KEYS,
            " in `notify`",
            "the keys are `to` and `labels`",
        );
        let place = match self.string(v, "to", "notify.to", "/notify/to", place_hint) {
            None => None,
            Some(None) => self.place(&default_notify_place(), v.span, "/notify/to"),
            Some(Some((to, span))) => self.place(to, span, "/notify/to"),
        };
        let labels = match self.string_list(v, "labels", "notify.labels", "/notify/labels") {
            None => None,
            Some(None) => Some(default_notify_labels()),
            Some(Some(labels)) => {
                let mut ok = true;
                for (i, (label, node)) in labels.iter().enumerate() {
                    if label.trim().is_empty() {
                        let d = self
                            .error(
                                node.span,
                                &format!("/notify/labels/{i}"),
                                "a notify label is empty",
                            )
                            .hint("remove it, or write the label's name");
                        self.push(d);
                        ok = false;
                    }
                }
                ok.then(|| labels.iter().map(|(l, _)| (*l).to_owned()).collect())
            }
        };
        if unknown {
            return None;
        }
        Some((place?, labels?))
    }

    /// A place to report failures: `upstream`, `self`, `none` or a repository.
    fn place(&mut self, place: &str, span: Span, pointer: &str) -> Option<NotifyTarget> {
        match place {
            "upstream" => Some(NotifyTarget::Upstream),
            "self" => Some(NotifyTarget::Own),
            "none" => Some(NotifyTarget::Nowhere),
            other => {
                if let Ok(r) = RepoName::parse(other) {
                    Some(NotifyTarget::Repo(r))
                } else {
                    let hint = "write `upstream`, `self`, `none` or an `owner/name`";
                    let d = self
                        .error(
                            span,
                            pointer,
                            format!("`{other}` is not a place to report failures"),
                        )
                        .hint(match did_you_mean(other, &["upstream", "self", "none"]) {
                            Some(p) => format!("did you mean `{p}`? {hint}"),
                            None => hint.to_owned(),
                        });
                    self.push(d);
                    None
                }
            }
        }
    }
}

/// The pointer of `key` in the object at `pointer`.
fn child(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"))
}

fn quoted_list(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl From<PullRequestFile> for PullRequestConfig {
    fn from(p: PullRequestFile) -> Self {
        PullRequestConfig {
            base: p.base,
            branch: p.branch,
            title: p.title,
            labels: p.labels,
            reviewers: p.reviewers,
            team_reviewers: p.team_reviewers,
            assignees: p.assignees,
            draft: p.draft,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::cousin_config::DEFAULT_MAX_AGE;

    #[test]
    fn the_default_max_age_is_its_text() {
        assert_eq!(
            humantime::parse_duration(DEFAULT_MAX_AGE).unwrap(),
            DEFAULT_MAX_AGE_DURATION
        );
    }
}
