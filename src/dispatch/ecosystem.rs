//! `Ecosystem`: the downstream repositories listed in `ecosystem.json` and what each subscribes to.
//!
//! The file is a JSON array of entries, `[{"repo": "owner/name", "subscriptions": ["features/webpush/flask"]}]`,
//! with optional `event_type`, `branches` and `enabled`. Loading checks everything and reports every problem
//! at once, each with its line and column and its entry; unknown fields are errors because they are almost
//! always typos.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::diagnostic::Diagnostic;
use crate::config::did_you_mean::did_you_mean;
use crate::config::json_document::{JsonDocument, JsonMember, JsonNode, Span};
use crate::config::line_index::LineIndex;
use crate::dispatch::path_pattern::{PathPattern, PathPatternError};
use crate::dispatch::subscription_matcher::{MatcherError, SubscriptionMatcher};
use crate::repo_name::RepoName;

/// The `event_type` sent when an entry does not set one.
pub const DEFAULT_EVENT_TYPE: &str = "feature-update";
/// The source branches dispatched when an entry does not set `branches`.
pub const DEFAULT_BRANCH: &str = "main";
pub use crate::payload::MAX_EVENT_TYPE_CHARS;

/// The fields an entry may have, in the order they are documented.
const FIELDS: [&str; 5] = ["repo", "subscriptions", "event_type", "branches", "enabled"];

/// The keys of the top-level object of the document form.
const TOP_LEVEL_FIELDS: [&str; 2] = ["$schema", "repositories"];

/// One downstream repository and what it subscribes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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

fn default_event_type() -> String {
    DEFAULT_EVENT_TYPE.to_owned()
}

fn default_branches() -> Vec<String> {
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
    subscriptions: Vec<Span>,
}

/// A loaded, valid `ecosystem.json`: its entries in file order with their compiled patterns.
#[derive(Debug, Clone)]
pub struct Ecosystem {
    file: String,
    lines: Arc<LineIndex>,
    entries: Vec<Entry>,
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
        let mut checker = Checker {
            doc,
            diagnostics: doc.duplicate_keys(),
        };
        let ecosystem = checker.ecosystem();
        let mut diagnostics = checker.diagnostics;
        // In file order, whatever order the checks ran in (the sort is stable).
        diagnostics.sort_by_key(|d| d.location);
        match ecosystem {
            Some(e) if !crate::config::diagnostic::has_errors(&diagnostics) => Ok((e, diagnostics)),
            _ => Err(diagnostics),
        }
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

    /// How an entry is named in messages: ``entry 2 (`acme/web`)``.
    pub fn subject(&self, index: usize) -> String {
        subject(index, Some(self.entries[index].repo.as_str()))
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
        for (e, patterns) in hit.iter().enumerate() {
            for (p, &hit) in patterns.iter().enumerate() {
                if !hit {
                    let text = self.subscriptions[e][p].text();
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
                        .hint("check the spelling and the case; paths are relative to the repository root"),
                    );
                }
            }
        }
        Ok(out)
    }
}

fn subject(index: usize, repo: Option<&str>) -> String {
    match repo {
        Some(r) => format!("entry {index} (`{r}`)"),
        None => format!("entry {index}"),
    }
}

/// One valid entry with its compiled patterns and where they were written.
struct CheckedEntry {
    entry: Entry,
    subscriptions: Vec<PathPattern>,
    branches: Vec<PathPattern>,
    source: EntrySource,
}

/// Walks the document, collecting diagnostics.
struct Checker<'a> {
    doc: &'a JsonDocument,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    fn ecosystem(&mut self) -> Option<Ecosystem> {
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
            // Sized once: growing four vectors of a thousand entries by doubling copies them over and
            // over (a millisecond of a 1,000-entry plan).
            entries: Vec::with_capacity(items.len()),
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
                    ecosystem.subscriptions.push(checked.subscriptions);
                    ecosystem.branches.push(checked.branches);
                    ecosystem.sources.push(checked.source);
                }
                None => complete = false,
            }
        }
        complete.then_some(ecosystem)
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

    fn error(&mut self, node_span: Span, subject: &str, message: String, hint: &str) {
        let d = self.doc.error_at(node_span, message).subject(subject);
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
                &subject(index, None),
                format!("an entry must be an object, found {}", node.type_name()),
                r#"write `{"repo": "owner/name", "subscriptions": ["docs/**"]}`"#,
            );
            return None;
        };
        let repo_text = node.get("repo").and_then(JsonNode::as_str);
        let subj = subject(index, repo_text);
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
                                    .subject(&subj)
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

        let repo = repo?;
        if !(ok && subs_ok && branches_ok) {
            return None;
        }
        let entry = Entry {
            repo,
            subscriptions: patterns.iter().map(|p| p.text().to_owned()).collect(),
            event_type,
            branches: branch_texts,
            enabled,
        };
        Some(CheckedEntry {
            entry,
            subscriptions: patterns,
            branches: branch_patterns,
            source: EntrySource {
                subscriptions: pattern_spans,
            },
        })
    }

    fn pattern_error(&mut self, item: &JsonNode, subj: &str, what: &str, e: &PathPatternError) {
        let d = self
            .doc
            .error_at(item.span, format!("invalid {what}: {e}"))
            .subject(subj);
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
    fn serde_agrees_on_a_valid_file() {
        let text = r#"[{"repo": "a/b", "subscriptions": ["x"], "enabled": false}]"#;
        let (eco, _) = Ecosystem::parse("e.json", text).unwrap();
        let via_serde: Vec<Entry> = serde_json::from_str(text).unwrap();
        assert_eq!(eco.entries(), via_serde.as_slice());
    }
}
