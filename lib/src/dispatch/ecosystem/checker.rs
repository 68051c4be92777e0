//! The checker of `ecosystem.json`: walks the span-keeping [`JsonDocument`] entry by entry, reports every
//! problem at once (each with its line, column and entry, and a hint), and builds the [`Ecosystem`] with
//! each entry's compiled patterns and delivery settings when nothing is wrong.

use std::collections::HashMap;
use std::sync::Arc;

use super::{
    DEFAULT_EVENT_TYPE, Ecosystem, Entry, EntrySource, MAX_EVENT_TYPE_CHARS, default_branches,
    default_event_type,
};
use crate::config::branch_name::branch_problem;
use crate::config::diagnostic::Diagnostic;
use crate::config::did_you_mean::did_you_mean;
use crate::config::json_document::{JsonDocument, JsonMember, JsonNode, Span};
use crate::config::placeholder::{entry_repo_warning, is_placeholder};
use crate::config::strategy::Strategy;
use crate::dispatch::ecosystem::delivery_mode::DeliveryMode;
use crate::dispatch::ecosystem::path_pattern::{PathPattern, PathPatternError};
use crate::dispatch::ecosystem::target_delivery::TargetDelivery;
use crate::repo_name::RepoName;

/// The fields an entry may have, in the order they are documented.
const FIELDS: [&str; 15] = [
    "repo",
    "subscriptions",
    "event_type",
    "branches",
    "enabled",
    "mode",
    "target_branch",
    "strategy",
    "mapping",
    "pull_request",
    "per_commit",
    "per_commit_limit",
    "buffer_hours",
    "on_conflict",
    "on_rejection",
];

/// The keys of the top-level object of the document form.
const TOP_LEVEL_FIELDS: [&str; 2] = ["$schema", "repositories"];

/// How diagnostics name an entry: ``entry 3 (`acme/web`)``, or `entry 3` before its `repo` is known. Written
/// out only when a diagnostic is made, so a valid file formats none.
#[derive(Debug, Clone, Copy)]
pub(super) struct EntrySubject<'a> {
    pub(super) index: usize,
    pub(super) repo: Option<&'a str>,
}

impl std::fmt::Display for EntrySubject<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.repo {
            Some(r) => write!(f, "entry {} (`{r}`)", self.index),
            None => write!(f, "entry {}", self.index),
        }
    }
}

/// One valid entry with its compiled patterns and where they were written.
struct CheckedEntry {
    entry: Entry,
    delivery: TargetDelivery,
    subscriptions: Vec<PathPattern>,
    branches: Vec<PathPattern>,
    source: EntrySource,
}

/// Walks the document, collecting diagnostics.
pub(super) struct Checker<'a> {
    pub(super) doc: &'a JsonDocument,
    pub(super) diagnostics: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    /// The entries that are valid, and whether every entry is; `None` when the top level cannot be read.
    pub(super) fn ecosystem(&mut self) -> Option<(Ecosystem, bool)> {
        let root = self.doc.root();
        // An object that looks like an entry (it has `repo` or `subscriptions`, and neither key of the
        // document form) is most likely one entry that lost its brackets, and is reported as such; any
        // other object is read as the document form, so `{"repos": [...]}` is a misspelt `repositories`.
        let document = root.get("repositories").is_some()
            || root.get("$schema").is_some()
            || (root.get("repo").is_none() && root.get("subscriptions").is_none());
        let items = match (root.as_array(), root.as_object()) {
            (Some(items), _) => items,
            (None, Some(members)) if document => self.document_form(root, members)?,
            _ => {
                self.diagnostics.push(
                    self.doc
                        .error_at(
                            root.span,
                            format!(
                                "the top level must be an array of entries (or an object with `repositories`), \
                                 found {}",
                                root.type_name()
                            ),
                        )
                        .hint(r#"write `[{"repo": "owner/name", "subscriptions": ["docs/**"]}]`"#),
                );
                return None;
            }
        };
        let mut ecosystem = Ecosystem {
            file: self.doc.file().to_owned(),
            lines: self.doc.line_index(),
            // Sized once: growing five vectors of a thousand entries by doubling copies them over and
            // over (a millisecond of a 1,000-entry plan).
            entries: Vec::with_capacity(items.len()),
            deliveries: Vec::with_capacity(items.len()),
            subscriptions: Vec::with_capacity(items.len()),
            branches: Vec::with_capacity(items.len()),
            sources: Vec::with_capacity(items.len()),
        };
        let mut seen: HashMap<String, usize> = HashMap::with_capacity(items.len());
        let mut complete = true;
        for (index, node) in items.iter().enumerate() {
            match self.entry(index, node, &mut seen) {
                Some(checked) => {
                    ecosystem.entries.push(checked.entry);
                    ecosystem.deliveries.push(Arc::new(checked.delivery));
                    ecosystem.subscriptions.push(checked.subscriptions);
                    ecosystem.branches.push(checked.branches);
                    ecosystem.sources.push(checked.source);
                }
                None => complete = false,
            }
        }
        Some((ecosystem, complete))
    }

    /// The object form, `{"$schema": "...", "repositories": [...]}`, which lets editors find the schema; the
    /// original array form stays the simplest. Returns the entries to check, or `None` when there are none.
    fn document_form(
        &mut self,
        root: &'a JsonNode,
        members: &'a [JsonMember],
    ) -> Option<&'a [JsonNode]> {
        for m in members {
            match m.key.as_str() {
                "repositories" => {}
                "$schema" if m.value.as_str().is_some() => {}
                "$schema" => {
                    let d = self.doc.error_at(m.value.span, "`$schema` must be a string").hint(
                        r#"write `"$schema": "https://…/ecosystem.schema.json"` or a path relative to the file"#,
                    );
                    self.diagnostics.push(d);
                }
                other => {
                    let known = "the top-level object has only `$schema` and `repositories`";
                    let hint = match did_you_mean(other, &TOP_LEVEL_FIELDS) {
                        Some(f) => format!("did you mean `{f}`? {known}"),
                        None => known.to_owned(),
                    };
                    let d = self
                        .doc
                        .error_at(m.key_span, format!("unknown top-level field `{other}`"))
                        .hint(hint);
                    self.diagnostics.push(d);
                }
            }
        }
        let Some(repos) = root.get("repositories") else {
            let d = self
                .doc
                .error_at(root.span, "missing field `repositories`")
                .hint(r#"write `{"repositories": [{"repo": "owner/name", "subscriptions": ["docs/**"]}]}`"#);
            self.diagnostics.push(d);
            return None;
        };
        let Some(items) = repos.as_array() else {
            let d = self
                .doc
                .error_at(repos.span, format!("`repositories` must be an array of entries, found {}", repos.type_name()))
                .hint(r#"write `"repositories": [{"repo": "owner/name", "subscriptions": ["docs/**"]}]`"#);
            self.diagnostics.push(d);
            return None;
        };
        // The entries are checked even after a top-level problem, so every problem is reported at once;
        // the errors already recorded fail the load.
        Some(items)
    }

    fn error(&mut self, node_span: Span, subject: &EntrySubject, message: String, hint: &str) {
        let d = self
            .doc
            .error_at(node_span, message)
            .subject(subject.to_string());
        self.diagnostics
            .push(if hint.is_empty() { d } else { d.hint(hint) });
    }

    fn entry(
        &mut self,
        index: usize,
        node: &JsonNode,
        seen: &mut HashMap<String, usize>,
    ) -> Option<CheckedEntry> {
        let Some(members) = node.as_object() else {
            self.error(
                node.span,
                &EntrySubject { index, repo: None },
                format!("an entry must be an object, found {}", node.type_name()),
                r#"write `{"repo": "owner/name", "subscriptions": ["docs/**"]}`"#,
            );
            return None;
        };
        let repo_text = node.get("repo").and_then(JsonNode::as_str);
        let subj = EntrySubject {
            index,
            repo: repo_text,
        };
        let mut ok = true;

        for m in members {
            if !FIELDS.contains(&m.key.as_str()) {
                let hint = match did_you_mean(&m.key, &FIELDS) {
                    Some(f) => format!("did you mean `{f}`? known fields: {}", field_list()),
                    None => format!("known fields: {}", field_list()),
                };
                self.error(
                    m.key_span,
                    &subj,
                    format!("unknown field `{}`", m.key),
                    &hint,
                );
                ok = false;
            }
        }

        // repo
        let repo = match node.get("repo") {
            None => {
                self.error(
                    node.span,
                    &subj,
                    "missing field `repo`".to_owned(),
                    r#"add `"repo": "owner/name"`, the downstream repository"#,
                );
                None
            }
            Some(v) => match v.as_str() {
                None => {
                    self.error(
                        v.span,
                        &subj,
                        format!("`repo` must be a string, found {}", v.type_name()),
                        r#"write `"repo": "owner/name"`"#,
                    );
                    None
                }
                Some(s) => match RepoName::parse(s) {
                    Ok(r) => {
                        let key = r.as_str().to_ascii_lowercase();
                        if let Some(first) = seen.get(&key) {
                            self.error(
                                v.span,
                                &subj,
                                format!("repo `{s}` is already listed by entry {first}"),
                                "list each repository once: merge the two entries' subscriptions",
                            );
                            ok = false;
                        } else {
                            seen.insert(key, index);
                        }
                        if is_placeholder(s) {
                            let d = entry_repo_warning(self.doc.file(), s)
                                .at(self.doc.location(v.span))
                                .subject(subj.to_string());
                            self.diagnostics.push(d);
                        }
                        Some(r)
                    }
                    Err(e) => {
                        self.error(
                            v.span,
                            &subj,
                            e.to_string(),
                            "write the repository as in its URL, e.g. `acme/web` for https://github.com/acme/web",
                        );
                        None
                    }
                },
            },
        };

        // subscriptions
        let mut patterns = Vec::new();
        let mut pattern_spans = Vec::new();
        let mut subs_ok = true;
        match node.get("subscriptions") {
            None => {
                self.error(
                    node.span,
                    &subj,
                    "missing field `subscriptions`".to_owned(),
                    r#"add `"subscriptions": ["path/to/feature"]`, the paths this repository follows"#,
                );
                subs_ok = false;
            }
            Some(v) => match v.as_array() {
                None => {
                    self.error(
                        v.span,
                        &subj,
                        format!(
                            "`subscriptions` must be an array of strings, found {}",
                            v.type_name()
                        ),
                        r#"write `"subscriptions": ["path/to/feature"]`"#,
                    );
                    subs_ok = false;
                }
                Some([]) => {
                    self.error(
                        v.span,
                        &subj,
                        "`subscriptions` is empty, so nothing is ever dispatched to this repository"
                            .to_owned(),
                        r#"add at least one path pattern, e.g. `"docs/**"`, or set `"enabled": false`"#,
                    );
                    subs_ok = false;
                }
                Some(items) => {
                    let mut positive_seen = false;
                    let mut texts: HashMap<&str, usize> = HashMap::new();
                    for (p, item) in items.iter().enumerate() {
                        let Some(text) = item.as_str() else {
                            self.error(
                                item.span,
                                &subj,
                                format!(
                                    "subscription {p} must be a string, found {}",
                                    item.type_name()
                                ),
                                r#"write the pattern in double quotes, e.g. `"docs/**"`"#,
                            );
                            subs_ok = false;
                            continue;
                        };
                        if let Some(first) = texts.insert(text, p) {
                            self.diagnostics.push(
                                self.doc
                                    .warning_at(
                                        item.span,
                                        format!("subscription `{text}` is listed twice (also at position {first})"),
                                    )
                                    .subject(subj.to_string())
                                    .hint("remove one; only the later one can decide a path"),
                            );
                        }
                        match PathPattern::parse(text) {
                            Ok(pattern) => {
                                if pattern.is_negated() && !positive_seen {
                                    self.error(
                                        item.span,
                                        &subj,
                                        format!(
                                            "negated pattern `{text}` has no positive pattern before it, so it \
                                             excludes nothing"
                                        ),
                                        "patterns are checked in order and the last match wins: put the \
                                         pattern it carves out of first, e.g. `docs/**` then `!docs/drafts/**`",
                                    );
                                    subs_ok = false;
                                }
                                positive_seen |= !pattern.is_negated();
                                patterns.push(pattern);
                                pattern_spans.push(item.span);
                            }
                            Err(e) => {
                                self.pattern_error(item, &subj, "subscription", &e);
                                subs_ok = false;
                            }
                        }
                    }
                }
            },
        }

        // event_type
        let mut event_type = default_event_type();
        if let Some(v) = node.get("event_type") {
            match v.as_str() {
                None => {
                    self.error(
                        v.span,
                        &subj,
                        format!("`event_type` must be a string, found {}", v.type_name()),
                        &format!(
                            "write a name such as `\"{DEFAULT_EVENT_TYPE}\"`, or remove the field"
                        ),
                    );
                    ok = false;
                }
                Some("") => {
                    self.error(
                        v.span,
                        &subj,
                        "`event_type` is empty".to_owned(),
                        &format!(
                            "GitHub needs 1 to {MAX_EVENT_TYPE_CHARS} characters; remove the field to use \
                             `{DEFAULT_EVENT_TYPE}`"
                        ),
                    );
                    ok = false;
                }
                Some(s) if s.chars().count() > MAX_EVENT_TYPE_CHARS => {
                    self.error(
                        v.span,
                        &subj,
                        format!(
                            "`event_type` is {} characters long, more than GitHub's {MAX_EVENT_TYPE_CHARS}",
                            s.chars().count()
                        ),
                        "shorten it; the receiving workflow filters on it with `on.repository_dispatch.types`",
                    );
                    ok = false;
                }
                Some(s) => s.clone_into(&mut event_type),
            }
        }

        // branches
        let mut branch_texts = default_branches();
        let mut branch_patterns = vec![];
        let mut branches_ok = true;
        match node.get("branches") {
            None => {}
            Some(v) => match v.as_array() {
                None => {
                    self.error(
                        v.span,
                        &subj,
                        format!(
                            "`branches` must be an array of strings, found {}",
                            v.type_name()
                        ),
                        r#"write `"branches": ["main"]`"#,
                    );
                    branches_ok = false;
                }
                Some([]) => {
                    self.error(
                        v.span,
                        &subj,
                        "`branches` is empty, so no push is ever dispatched to this repository"
                            .to_owned(),
                        r#"remove the field to use `["main"]`, or set `"enabled": false`"#,
                    );
                    branches_ok = false;
                }
                Some(items) => {
                    branch_texts.clear();
                    for (b, item) in items.iter().enumerate() {
                        let Some(text) = item.as_str() else {
                            self.error(
                                item.span,
                                &subj,
                                format!("branch pattern {b} must be a string, found {}", item.type_name()),
                                r#"write the branch in double quotes, e.g. `"main"` or `"release/*"`"#,
                            );
                            branches_ok = false;
                            continue;
                        };
                        match PathPattern::parse_branch(text) {
                            Ok(p) => branch_patterns.push(p),
                            Err(e) => {
                                self.pattern_error(item, &subj, "branch pattern", &e);
                                branches_ok = false;
                            }
                        }
                        branch_texts.push(text.to_owned());
                    }
                }
            },
        }
        if node.get("branches").is_none() {
            for text in &branch_texts {
                match PathPattern::parse_branch(text) {
                    Ok(p) => branch_patterns.push(p),
                    Err(_) => branches_ok = false,
                }
            }
        }

        // enabled
        let mut enabled = true;
        if let Some(v) = node.get("enabled") {
            if let Some(b) = v.as_bool() {
                enabled = b;
            } else {
                self.error(
                    v.span,
                    &subj,
                    format!(
                        "`enabled` must be `true` or `false`, found {}",
                        v.type_name()
                    ),
                    "write `\"enabled\": false` without quotes",
                );
                ok = false;
            }
        }

        let delivery = self.delivery(node, &subj);

        let repo = repo?;
        let delivery = delivery?;
        if !(ok && subs_ok && branches_ok) {
            return None;
        }
        let read = |key: &str| node.get(key).map(JsonNode::to_value);
        let entry = Entry {
            repo,
            subscriptions: patterns.iter().map(|p| p.text().to_owned()).collect(),
            event_type,
            branches: branch_texts,
            enabled,
            mode: delivery.mode,
            target_branch: delivery.target_branch.clone(),
            strategy: node.get("strategy").map(|_| delivery.strategy),
            mapping: read("mapping").and_then(|v| serde_json::from_value(v).ok()),
            pull_request: delivery.pull_request.clone(),
            per_commit: delivery.per_commit,
            per_commit_limit: delivery
                .per_commit_limit
                .and_then(|n| u32::try_from(n).ok()),
            buffer_hours: delivery.buffer.map(|b| b.as_secs_f64() / 3600.0),
            on_conflict: node.get("on_conflict").map(|_| delivery.on_conflict),
            on_rejection: node.get("on_rejection").map(|_| delivery.on_rejection),
        };
        let mut delivery = delivery;
        delivery.subscriptions.clone_from(&entry.subscriptions);
        Some(CheckedEntry {
            entry,
            delivery,
            subscriptions: patterns,
            branches: branch_patterns,
            source: EntrySource {
                index,
                subscriptions: pattern_spans,
            },
        })
    }

    /// `mode` and the keys that go with it, each checked alone and then against the mode: every key
    /// used where its mode ignores it is an error, so nothing in the file is silently without effect.
    fn delivery(&mut self, node: &JsonNode, subj: &EntrySubject) -> Option<TargetDelivery> {
        let before = self.diagnostics.iter().filter(|d| d.is_error()).count();
        let mode_node = node.get("mode");
        let mode = match mode_node {
            None => Some(DeliveryMode::Dispatch),
            Some(v) => {
                if let Ok(m) = serde_json::from_value::<DeliveryMode>(v.to_value()) {
                    Some(m)
                } else {
                    let known =
                        "the modes are `dispatch`, `push`, `pull-request` and `buffered-pr`";
                    let hint = match v
                        .as_str()
                        .and_then(|s| did_you_mean(s, &DeliveryMode::NAMES))
                    {
                        Some(m) => format!("did you mean `{m}`? {known}"),
                        None => known.to_owned(),
                    };
                    let message = match v.as_str() {
                        Some(s) => format!("`{s}` is not a known `mode`"),
                        None => format!("`mode` must be a string, found {}", v.type_name()),
                    };
                    self.error(v.span, subj, message, &hint);
                    None
                }
            }
        };
        let target_branch = match node.get("target_branch") {
            None => None,
            Some(v) => {
                if let Some(b) = v.as_str() {
                    let problem = branch_problem(b);
                    if let Some(problem) = problem {
                        self.error(
                            v.span,
                            subj,
                            format!(
                                "`target_branch` `{b}` is not a valid branch name: {}",
                                problem.reason()
                            ),
                            &format!("{}, or remove it for the default branch", problem.hint(b)),
                        );
                    }
                    problem.is_none().then(|| b.to_owned())
                } else {
                    self.error(
                        v.span,
                        subj,
                        format!("`target_branch` must be a string, found {}", v.type_name()),
                        r#"write `"target_branch": "main"`"#,
                    );
                    None
                }
            }
        };
        let per_commit = match node.get("per_commit") {
            None => false,
            Some(v) => v.as_bool().unwrap_or_else(|| {
                self.error(
                    v.span,
                    subj,
                    format!(
                        "`per_commit` must be `true` or `false`, found {}",
                        v.type_name()
                    ),
                    "write `\"per_commit\": true` without quotes",
                );
                false
            }),
        };
        let per_commit_limit = match node.get("per_commit_limit") {
            None => None,
            Some(v) => {
                if let Some(n @ 1..=1000) = v.to_value().as_u64() {
                    usize::try_from(n).ok()
                } else {
                    self.error(
                        v.span,
                        subj,
                        format!(
                            "`per_commit_limit` must be a whole number from 1 to 1000, found {}",
                            v.to_value()
                        ),
                        "write e.g. `\"per_commit_limit\": 20`: at most that many pull requests per run",
                    );
                    None
                }
            }
        };
        if let Some(v) = node.get("per_commit_limit")
            && !per_commit
        {
            self.error(
                v.span,
                subj,
                "`per_commit_limit` has no effect without `\"per_commit\": true`".to_owned(),
                "add `\"per_commit\": true`, or remove `per_commit_limit`",
            );
        }
        let buffer = match node.get("buffer_hours") {
            None => None,
            Some(v) => {
                let hours = v.to_value().as_f64();
                match hours {
                    Some(h) if h > 0.0 && h.is_finite() && h <= 24.0 * 365.0 => {
                        Some(std::time::Duration::from_secs_f64(h * 3600.0))
                    }
                    _ => {
                        self.error(
                            v.span,
                            subj,
                            format!(
                                "`buffer_hours` must be a positive number of hours (at most a year), found {}",
                                v.to_value()
                            ),
                            "write e.g. `\"buffer_hours\": 24` for a day, `0.5` for half an hour",
                        );
                        None
                    }
                }
            }
        };
        let (shared, found) = crate::config::cousin_config::check_shared(self.doc, node);
        for mut d in found {
            d.subject = Some(subj.to_string());
            self.diagnostics.push(d);
        }
        let mode = mode?;
        // Keys against the mode.
        let misuse = |key: &str| node.get(key).map(|v| (key.to_owned(), v.span));
        let pr_keys = [
            "strategy",
            "mapping",
            "per_commit",
            "per_commit_limit",
            "buffer_hours",
            "on_conflict",
            "on_rejection",
        ];
        let mut wrong: Vec<(String, Span, String)> = Vec::new();
        match mode {
            DeliveryMode::Dispatch => {
                for key in ["target_branch", "pull_request"].iter().chain(&pr_keys) {
                    if let Some((k, span)) = misuse(key) {
                        wrong.push((
                            k.clone(),
                            span,
                            format!(
                                "set `\"mode\": \"pull-request\"` (or another mode) to use `{k}`; with \
                                 `dispatch` the subscriber's own configuration decides"
                            ),
                        ));
                    }
                }
            }
            DeliveryMode::Push => {
                for key in pr_keys {
                    if let Some((k, span)) = misuse(key) {
                        wrong.push((
                            k.clone(),
                            span,
                            "`push` moves the whole branch to the source's commit; use `pull-request` \
                             to apply a mapped change"
                                .to_owned(),
                        ));
                    }
                }
            }
            DeliveryMode::PullRequest | DeliveryMode::BufferedPr => {
                if mode == DeliveryMode::BufferedPr
                    && let Some((k, span)) = misuse("per_commit")
                {
                    wrong.push((
                        k,
                        span,
                        "a buffered pull request gathers every commit on one branch; use `pull-request` \
                         for one pull request per commit"
                            .to_owned(),
                    ));
                }
                if mode == DeliveryMode::PullRequest
                    && let Some((k, span)) = misuse("buffer_hours")
                {
                    wrong.push((
                        k,
                        span,
                        "set `\"mode\": \"buffered-pr\"` to hold changes back".to_owned(),
                    ));
                }
            }
        }
        if mode != DeliveryMode::Dispatch
            && let Some(v) = node.get("event_type")
        {
            self.error(
                v.span,
                subj,
                format!("`event_type` is only sent in mode `dispatch`, not `{mode}`"),
                "remove `event_type`: this mode sends no event",
            );
        }
        for (key, span, hint) in wrong {
            self.error(
                span,
                subj,
                format!("`{key}` has no effect in mode `{mode}`"),
                &hint,
            );
        }
        if mode == DeliveryMode::BufferedPr && node.get("buffer_hours").is_none() {
            self.error(
                mode_node.map_or(node.span, |v| v.span),
                subj,
                "mode `buffered-pr` needs `buffer_hours`".to_owned(),
                "add e.g. `\"buffer_hours\": 24`: the pull request opens once its oldest change is that old",
            );
        }
        let shared = shared?;
        if let (Some(v), Some(mapping)) = (node.get("mapping"), &shared.mapping)
            && shared.strategy == Strategy::Merge
            && !mapping.is_empty()
        {
            self.error(
                v.span,
                subj,
                "`mapping` has no effect with strategy `merge`, which merges whole commits".to_owned(),
                "remove `mapping`, or use `diff-apply`, `cherry-pick` or `squash` to move directories",
            );
        }
        if per_commit && matches!(shared.strategy, Strategy::Merge | Strategy::Squash) {
            let span = node.get("per_commit").map_or(node.span, |v| v.span);
            let why = if shared.strategy == Strategy::Merge {
                "`merge`, which merges the branch's whole history"
            } else {
                "`squash`, which copies the directories' whole state (merged out of order, one pull request \
                 would undo another)"
            };
            self.error(
                span,
                subj,
                format!("`per_commit` cannot be used with strategy {why}"),
                "use `diff-apply` or `cherry-pick` for one pull request per commit",
            );
        }
        if let Some(pr) = &shared.pull_request {
            let pr_node = node.get("pull_request");
            if let Some(v) = pr_node.and_then(|p| p.get("base")) {
                self.error(
                    v.span,
                    subj,
                    "`pull_request.base` is set by `target_branch` here".to_owned(),
                    "move the branch to `\"target_branch\"`",
                );
            }
            if let Some(v) = pr_node.and_then(|p| p.get("branch"))
                && per_commit
                && !pr.branch.contains("sha}")
            {
                let span = v.span;
                self.error(
                    span,
                    subj,
                    format!(
                        "`pull_request.branch` `{}` names one branch, but `per_commit` opens one pull \
                         request per commit",
                        pr.branch
                    ),
                    "put `{short_sha}` in the branch template, e.g. `ecosync/{upstream}-{short_sha}`",
                );
            }
        }
        let after = self.diagnostics.iter().filter(|d| d.is_error()).count();
        (after == before).then(|| TargetDelivery {
            mode,
            target_branch,
            strategy: shared.strategy,
            mapping: shared.mapping,
            pull_request: shared.pull_request,
            on_conflict: shared.on_conflict,
            on_rejection: shared.on_rejection,
            per_commit,
            per_commit_limit,
            buffer,
            subscriptions: Vec::new(),
        })
    }

    fn pattern_error(
        &mut self,
        item: &JsonNode,
        subj: &EntrySubject,
        what: &str,
        e: &PathPatternError,
    ) {
        let d = self
            .doc
            .error_at(item.span, format!("invalid {what}: {e}"))
            .subject(subj.to_string());
        self.diagnostics.push(match e.hint() {
            Some(h) => d.hint(h),
            None => d,
        });
    }
}

fn field_list() -> String {
    FIELDS
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::ecosystem::EcosystemFile;

    #[test]
    fn original_format_loads_with_defaults() {
        let (eco, warnings) = Ecosystem::parse(
            "e.json",
            r#"[{"repo": "acme/flask-app", "subscriptions": ["features/webpush/flask"]}]"#,
        )
        .unwrap();
        assert!(warnings.is_empty());
        let e = &eco.entries()[0];
        assert_eq!(e.event_type, "feature-update");
        assert_eq!(e.branches, vec!["main"]);
        assert!(e.enabled);
    }

    #[test]
    fn every_problem_is_reported() {
        let text = "[\n {\"repo\": \"acme\", \"subscription\": []},\n {\"repo\": \"a/b\", \"subscriptions\": []}\n]";
        let errs = Ecosystem::parse("e.json", text).unwrap_err();
        let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(errs.len(), 4, "{msgs:#?}");
        assert!(msgs[0].contains("e.json:2:2: entry 0 (`acme`): missing field `subscriptions`"));
        assert!(
            msgs[1].contains("e.json:2:11: entry 0 (`acme`): repository `acme` is not of the form")
        );
        assert!(msgs[2].contains("e.json:2:19: entry 0 (`acme`): unknown field `subscription`"));
        assert!(msgs[2].contains("did you mean `subscriptions`?"));
        assert!(msgs[3].contains("e.json:3:35: entry 1 (`a/b`): `subscriptions` is empty"));
    }

    #[test]
    fn json_schema_describes_the_entries() {
        let schema = serde_json::to_value(Ecosystem::json_schema()).unwrap();
        assert_eq!(schema["anyOf"][0]["type"], "array");
        assert_eq!(schema["anyOf"][1]["type"], "object");
        let text = schema.to_string();
        assert!(text.contains(r#""additionalProperties":false"#), "{text}");
        assert!(text.contains(r#""default":"feature-update""#), "{text}");
        assert!(text.contains("last match wins"), "{text}");
    }

    #[test]
    fn object_form_names_its_schema() {
        let text = r#"{"$schema": "./schemas/ecosystem.schema.json", "repositories": [{"repo": "a/b", "subscriptions": ["x"]}]}"#;
        let (eco, warnings) = Ecosystem::parse("e.json", text).unwrap();
        assert_eq!(eco.entries().len(), 1);
        assert!(warnings.is_empty());
        let via_serde: EcosystemFile = serde_json::from_str(text).unwrap();
        assert!(
            matches!(via_serde, EcosystemFile::Document { repositories, .. } if repositories == eco.entries())
        );
    }

    #[test]
    fn object_form_problems_are_reported() {
        let msgs = |text: &str| -> Vec<String> {
            Ecosystem::parse("e.json", text)
                .unwrap_err()
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        let m = msgs(r#"{"$schema": 1, "repos": []}"#);
        assert!(
            m.iter()
                .any(|m| m.contains("e.json:1:13: `$schema` must be a string")),
            "{m:?}"
        );
        assert!(
            m.iter()
                .any(|m| m.contains("e.json:1:16: unknown top-level field `repos`")),
            "{m:?}"
        );
        assert!(
            m.iter().any(|m| m.contains("missing field `repositories`")),
            "{m:?}"
        );
        let m = msgs(r#"{"repo": "a/b", "subscriptions": ["x"]}"#);
        assert!(
            m.iter()
                .any(|m| m.contains("the top level must be an array of entries")),
            "{m:?}"
        );
        let m = msgs(r#"{"repositories": {}}"#);
        assert!(
            m.iter()
                .any(|m| m.contains("`repositories` must be an array of entries, found an object")),
            "{m:?}"
        );
        let m = msgs(r#"{"repositories": [{"repo": "a"}]}"#);
        assert!(
            m.iter().any(|m| m.contains("entry 0 (`a`)")),
            "entries are checked as in the array form: {m:?}"
        );
    }

    #[test]
    fn delivery_modes_load_with_their_keys() {
        let text = r#"[
 {"repo": "a/fork", "subscriptions": ["**"], "mode": "push", "target_branch": "main"},
 {"repo": "a/app", "subscriptions": ["features/x"], "mode": "pull-request",
  "mapping": [{"path": "features/x", "to": "app"}], "per_commit": true, "strategy": "cherry-pick",
  "pull_request": {"labels": ["sync"], "draft": true}},
 {"repo": "a/slow", "subscriptions": ["lib"], "mode": "buffered-pr", "buffer_hours": 1.5}
]"#;
        let (eco, warnings) = Ecosystem::parse("e.json", text).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let d = eco.deliveries();
        assert_eq!(d[0].mode, DeliveryMode::Push);
        assert_eq!(d[0].target_branch.as_deref(), Some("main"));
        assert_eq!(d[1].mode, DeliveryMode::PullRequest);
        assert!(d[1].per_commit);
        assert_eq!(d[1].strategy, Strategy::CherryPick);
        assert_eq!(d[1].mapping.as_ref().unwrap()[0].to.as_str(), "app");
        assert!(d[1].pull_request.as_ref().unwrap().draft);
        assert_eq!(d[2].buffer, Some(std::time::Duration::from_secs(5400)));
        let via_serde: Vec<Entry> = serde_json::from_str(text).unwrap();
        assert_eq!(eco.entries(), via_serde.as_slice());
    }

    #[test]
    fn every_misuse_of_a_mode_is_reported_at_its_place() {
        let text = r#"[
 {"repo": "a/b", "subscriptions": ["x"], "buffer_hours": 3},
 {"repo": "a/c", "subscriptions": ["x"], "mode": "push", "mapping": [{"path": "x", "to": "y"}]},
 {"repo": "a/d", "subscriptions": ["x"], "mode": "pull-request", "strategy": "merge", "mapping": ["x"]},
 {"repo": "a/e", "subscriptions": ["x"], "mode": "buffered-pr"},
 {"repo": "a/f", "subscriptions": ["x"], "mode": "pull_request"},
 {"repo": "a/g", "subscriptions": ["x"], "mode": "buffered-pr", "buffer_hours": -1},
 {"repo": "a/h", "subscriptions": ["x"], "mode": "pull-request", "per_commit": true,
  "pull_request": {"branch": "sync/one", "base": "dev"}},
 {"repo": "a/i", "subscriptions": ["x"], "mode": "push", "event_type": "go", "target_branch": "a..b"},
 {"repo": "a/j", "subscriptions": ["x"], "mode": "pull-request", "strategy": "rebase"},
 {"repo": "a/k", "subscriptions": ["x"], "mode": "pull-request", "strategy": "squash", "per_commit": true}
]"#;
        let errs: Vec<String> = Ecosystem::parse("e.json", text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        let has = |needle: &str| {
            assert!(
                errs.iter().any(|e| e.contains(needle)),
                "no `{needle}` in {errs:#?}"
            );
        };
        has("e.json:2:58: entry 0 (`a/b`): `buffer_hours` has no effect in mode `dispatch`");
        has("e.json:3:69: entry 1 (`a/c`): `mapping` has no effect in mode `push`");
        has("entry 2 (`a/d`): `mapping` has no effect with strategy `merge`");
        has("e.json:5:50: entry 3 (`a/e`): mode `buffered-pr` needs `buffer_hours`");
        has("entry 4 (`a/f`): `pull_request` is not a known `mode`");
        has("did you mean `pull-request`?");
        has("entry 5 (`a/g`): `buffer_hours` must be a positive number");
        has("entry 6 (`a/h`): `pull_request.branch` `sync/one` names one branch");
        has("entry 6 (`a/h`): `pull_request.base` is set by `target_branch` here");
        has("entry 7 (`a/i`): `event_type` is only sent in mode `dispatch`");
        has("entry 7 (`a/i`): `target_branch` `a..b` is not a valid branch name");
        has("entry 8 (`a/j`): `rebase` is not a known `strategy`");
        has("entry 9 (`a/k`): `per_commit` cannot be used with strategy `squash`");
    }

    #[test]
    fn serde_agrees_on_a_valid_file() {
        let text = r#"[{"repo": "a/b", "subscriptions": ["x"], "enabled": false}]"#;
        let (eco, _) = Ecosystem::parse("e.json", text).unwrap();
        let via_serde: Vec<Entry> = serde_json::from_str(text).unwrap();
        assert_eq!(eco.entries(), via_serde.as_slice());
    }
}
