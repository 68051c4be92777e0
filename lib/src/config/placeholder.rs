//! Placeholders: the marker `dispatcher init` and `subscriber init` write where only the user knows the
//! value (a downstream repository's name, the upstream repository, the upstream directory a folder copies).
//!
//! A value is a placeholder when its first `/`-separated part is [`PLACEHOLDER`], in any case:
//! `CHANGE-ME/docs`, `change-me/app`, `CHANGE-ME`. Both checkers (`dispatcher validate`, `subscriber check`)
//! warn about each one at its line and column; `dispatcher dispatch`, `flush` and `watch` refuse an
//! `ecosystem.json` that still has one before anything reaches GitHub (the local forge, where a name is only
//! a directory, takes them), and `subscriber apply` and `watch` refuse a `.github/ecosync.json` that has one.

use crate::config::diagnostic::Diagnostic;
use crate::config::json_document::{JsonDocument, JsonNode};
use crate::error_kind::{ErrorKind, UserError};

/// The marker: the first part of every value `init` could not know.
pub const PLACEHOLDER: &str = "CHANGE-ME";

/// Whether `value` is a placeholder: its first `/`-separated part is [`PLACEHOLDER`], in any case.
pub fn is_placeholder(value: &str) -> bool {
    value
        .split('/')
        .next()
        .is_some_and(|first| first.eq_ignore_ascii_case(PLACEHOLDER))
}

/// The warning for the placeholder `value` of the `repo` of an `ecosystem.json` entry, without its place.
pub fn entry_repo_warning(file: &str, value: &str) -> Diagnostic {
    Diagnostic::warning(
        file,
        format!("`{value}` is a placeholder, not a downstream repository"),
    )
    .hint(format!(
        "write the repository that should receive these paths, as `owner/name`, or remove the entry; \
         `dispatcher dispatch` to GitHub refuses a file that still has `{PLACEHOLDER}`"
    ))
}

/// One warning per placeholder of a subscriber's configuration: `upstream.repo` and the `path` of each
/// subscription (a plain string is its own path), at the value's line and column.
pub fn cousin_config_warnings(doc: &JsonDocument) -> Vec<Diagnostic> {
    let root = doc.root();
    let mut out = Vec::new();
    let mut warn = |node: &JsonNode, pointer: &str, message: String, hint: String| {
        if let Some(value) = node.as_str().filter(|v| is_placeholder(v)) {
            out.push(
                doc.warning_at(node.span, message.replace("{}", value))
                    .subject(format!("`{pointer}`"))
                    .hint(hint),
            );
        }
    };
    if let Some(repo) = root.get("upstream").and_then(|u| u.get("repo")) {
        warn(
            repo,
            "/upstream/repo",
            "`{}` is a placeholder, not the upstream repository".to_owned(),
            format!(
                "write the repository this one copies from, as `owner/name`; `subscriber apply` refuses \
                 a configuration that still has `{PLACEHOLDER}`"
            ),
        );
    }
    let (items, pointer) = match root.get("subscriptions") {
        Some(list) => (list.as_array(), "/subscriptions"),
        // The plain-list form: the document is the list.
        None => (root.as_array(), ""),
    };
    for (i, item) in items.unwrap_or_default().iter().enumerate() {
        let (node, at) = match item.get("path") {
            Some(path) => (path, format!("{pointer}/{i}/path")),
            None => (item, format!("{pointer}/{i}")),
        };
        let here = item
            .get("to")
            .and_then(JsonNode::as_str)
            .map_or_else(String::new, |to| {
                if to.is_empty() {
                    " (this repository's root)".to_owned()
                } else {
                    format!(" (`{to}` here)")
                }
            });
        warn(
            node,
            &at,
            "`{}` is a placeholder, not an upstream directory".to_owned(),
            format!(
                "write the upstream directory this subscription copies{here}, or remove the subscription; \
                 `subscriber apply` refuses a configuration that still has `{PLACEHOLDER}`"
            ),
        );
    }
    out
}

/// A configuration that still has placeholders, refused by a command that would act on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{file}` still has {} `{PLACEHOLDER}` {}, so nothing was done: {}",
    places.len(),
    if places.len() == 1 { "placeholder" } else { "placeholders" },
    places.join(", ")
)]
pub struct PlaceholdersLeft {
    /// The file, as named in messages.
    pub file: String,
    /// Each place that holds one: an entry (``entry 0 (`CHANGE-ME/docs`)``) or a pointer with its value.
    pub places: Vec<String>,
    /// How to fix it.
    pub fix: String,
}

impl PlaceholdersLeft {
    /// The entries of `ecosystem.json` named `file` whose `repo` is a placeholder (`entries`, as named in
    /// messages), refused by `dispatcher dispatch`, `flush` and `watch`.
    pub fn in_ecosystem(file: &str, entries: Vec<String>) -> Self {
        PlaceholdersLeft {
            file: file.to_owned(),
            places: entries,
            fix: format!(
                "write each downstream repository's `owner/name` in place of `{PLACEHOLDER}/...` \
                 (`dispatcher validate` shows where), or remove the entry; to try the file as it is, \
                 deliver to the local forge: `dispatcher demo --from .`"
            ),
        }
    }

    /// The placeholders of a subscriber's configuration named `file` (`warnings` from
    /// [`cousin_config_warnings`]), refused by `subscriber apply` and `subscriber watch`.
    pub fn in_cousin_config(file: &str, warnings: &[Diagnostic]) -> Self {
        PlaceholdersLeft {
            file: file.to_owned(),
            places: warnings
                .iter()
                .map(|w| w.subject.clone().unwrap_or_default())
                .collect(),
            fix: "replace each one (`subscriber check` shows where and with what)".to_owned(),
        }
    }
}

impl UserError for PlaceholdersLeft {
    /// The file must be edited.
    fn kind(&self) -> ErrorKind {
        ErrorKind::Usage
    }

    fn hint(&self) -> Option<String> {
        Some(self.fix.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_is_the_first_part_in_any_case() {
        for yes in [
            "CHANGE-ME",
            "CHANGE-ME/docs",
            "change-me/app",
            "Change-Me/x/y",
        ] {
            assert!(is_placeholder(yes), "{yes}");
        }
        for no in [
            "acme/CHANGE-ME",
            "CHANGE-MEE/x",
            "xCHANGE-ME",
            "",
            "docs/CHANGE-ME/x",
        ] {
            assert!(!is_placeholder(no), "{no}");
        }
    }

    #[test]
    fn every_placeholder_of_a_subscriber_configuration_is_warned_about_where_it_is() {
        let text = "{\n  \"upstream\": {\"repo\": \"CHANGE-ME/upstream\"},\n  \"subscriptions\": [\n    {\"path\": \"CHANGE-ME/app\", \"to\": \"app\"},\n    \"docs\",\n    \"CHANGE-ME/x\"\n  ]\n}\n";
        let doc = JsonDocument::parse("c.json", text).unwrap();
        let got: Vec<String> = cousin_config_warnings(&doc)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(got.len(), 3, "{got:#?}");
        assert!(
            got[0].starts_with(
                "warning: c.json:2:24: `/upstream/repo`: `CHANGE-ME/upstream` is a placeholder"
            ),
            "{}",
            got[0]
        );
        assert!(
            got[1].starts_with("warning: c.json:4:14: `/subscriptions/0/path`: `CHANGE-ME/app`"),
            "{}",
            got[1]
        );
        assert!(got[1].contains("(`app` here)"), "{}", got[1]);
        assert!(
            got[2].starts_with("warning: c.json:6:5: `/subscriptions/2`: `CHANGE-ME/x`"),
            "{}",
            got[2]
        );
    }
}
