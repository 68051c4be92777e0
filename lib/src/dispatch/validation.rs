//! `validate`: everything `dispatcher validate` reports about an `ecosystem.json`: every problem of the file,
//! and, for every entry that could be checked (also when other entries have errors), each subscription that
//! matches no file of the repository's `HEAD`, with the closest path the tree has.

use std::path::Path;

use crate::config::diagnostic::{Diagnostic, has_errors};
use crate::config::json_document::JsonDocument;
use crate::dispatch::ecosystem::Ecosystem;
use crate::dispatch::plan::change_set::{resolve_commit, tree_paths};

/// What validating a file found.
#[derive(Debug)]
pub struct Validation {
    /// The file's entries, when it is valid.
    pub entries: Option<usize>,
    /// Every problem, errors and warnings, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Validation {
    /// True when the file can be used (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.entries.is_some() && !has_errors(&self.diagnostics)
    }
}

/// Checks the file at `path` (named `file` in messages) and its patterns against the `HEAD` tree of the
/// repository `repo_dir`.
pub fn validate(path: &Path, file: &str, repo_dir: &Path) -> Validation {
    let parsed = std::fs::read_to_string(path)
        .map_err(|e| {
            Box::new(
                Diagnostic::error(file, format!("cannot read `{}`: {e}", path.display()))
                    .hint("run in the repository root, or pass `--config FILE` (or `--repo DIR`)"),
            )
        })
        .and_then(|text| JsonDocument::parse(file, &text));
    let doc = match parsed {
        Ok(doc) => doc,
        Err(d) => {
            return Validation {
                entries: None,
                diagnostics: vec![*d],
            };
        }
    };
    let (checked, mut diagnostics) = Ecosystem::check_document(&doc);
    let entries = match checked {
        Some((ecosystem, complete)) => {
            if !ecosystem.entries().is_empty() {
                diagnostics.extend(tree_warnings(repo_dir, &ecosystem, file));
            }
            complete.then(|| ecosystem.entries().len())
        }
        None => None,
    };
    diagnostics.sort_by_key(|d| d.location);
    Validation {
        entries,
        diagnostics,
    }
}

/// Warnings for the patterns that match nothing in the repository's `HEAD`; one warning of its own when
/// there is no tree to check against.
fn tree_warnings(repo_dir: &Path, ecosystem: &Ecosystem, file: &str) -> Vec<Diagnostic> {
    let repo = match git2::Repository::open(repo_dir) {
        Ok(repo) => repo,
        Err(e) => {
            tracing::debug!(error = %e, "cannot open the repository to check the patterns against");
            return vec![
                Diagnostic::warning(
                    file,
                    format!(
                        "cannot check the patterns against `{}`: it is not a git repository",
                        repo_dir.display()
                    ),
                )
                .hint("pass `--repo DIR` with the source repository's clone"),
            ];
        }
    };
    let warnings = resolve_commit(&repo, "HEAD")
        .and_then(|head| tree_paths(&repo, head))
        .map(|paths| ecosystem.unmatched_pattern_warnings(&paths, "HEAD"));
    match warnings {
        Ok(Ok(warnings)) => warnings,
        Ok(Err(e)) => vec![Diagnostic::warning(
            file,
            format!("cannot check the patterns against HEAD: {e}"),
        )],
        // An empty repository: the error says so and what to do.
        Err(e) => vec![Diagnostic::warning(
            file,
            format!("cannot check the patterns against HEAD: {e}"),
        )],
    }
}
