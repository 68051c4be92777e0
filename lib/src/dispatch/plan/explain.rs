//! `Explanation`: why a path is, or is not, delivered to each entry of `ecosystem.json`.
//!
//! `dispatcher explain` answers "if this path changed, who would hear about it?" without a push. For each
//! path and each entry it names the pattern that decides (the last one that matches, as for a plan), the
//! pattern the entry would need when it does not take the path, the branch filter when a ref is given, and
//! a disabled entry. A path that no entry takes gets the closest pattern of the whole file, which is
//! usually the typo.
//!
//! A path that is a directory of the tree it is explained against (or ends with `/`) stands for every file
//! below it: an entry takes the directory when it takes at least one of them, and the explanation counts
//! the files each deciding pattern takes or excludes.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::dispatch::ecosystem::Ecosystem;
use crate::dispatch::ecosystem::subscription_matcher::{LastMatch, MatcherError, Scratch};
use crate::dispatch::plan::SkipReason;
use crate::error_kind::{ErrorKind, UserError};
use crate::repo_name::RepoName;

/// Whether the explained path names a file or a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathKind {
    /// A file, or a path the tree does not have.
    File,
    /// A directory: every file below it is explained.
    Directory,
}

/// One path, explained against every entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// The path as given (without a trailing `/`).
    pub path: String,
    /// File or directory.
    pub kind: PathKind,
    /// How many files the path stands for (1 for a file; for a directory the files below it, 0 when the
    /// tree has none and the directory's own name was matched).
    pub files: usize,
    /// The repositories a change of this path is dispatched to, in config order.
    pub delivered_to: Vec<RepoName>,
    /// One per entry, in config order.
    pub entries: Vec<EntryExplanation>,
    /// When no pattern of any entry matches the path: the closest positive pattern of the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closest: Option<ClosestPattern>,
}

/// One entry's answer for one path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryExplanation {
    /// The entry's index (from 0).
    pub entry: usize,
    /// Its repository.
    pub repo: RepoName,
    /// Its event type.
    pub event_type: String,
    /// Whether a change of the path is dispatched to it (patterns take it, enabled, branch matches).
    pub delivered: bool,
    /// Whether its patterns take the path (at least one of its files), whatever the other filters say.
    pub taken: bool,
    /// What stops the delivery although the patterns take the path: disabled, or the branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<SkipReason>,
    /// The patterns that decided at least one file, in the entry's order.
    pub deciding: Vec<DecidingPattern>,
    /// Files no pattern of the entry matches.
    pub unmatched_files: usize,
    /// The entry's branch patterns.
    pub branches: Vec<String>,
    /// A pattern that would make the entry take the path, when it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub would_need: Option<String>,
    /// Whether the entry concerns the path: a pattern matches it, or one starts in the same top-level
    /// directory (people read those; the text leaves the others out unless asked).
    #[serde(skip)]
    pub near: bool,
}

/// A pattern that was the last match for some of the path's files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecidingPattern {
    /// Its index in the entry's `subscriptions`.
    pub index: usize,
    /// As written.
    pub pattern: String,
    /// Whether it includes (positive) or excludes (`!`).
    pub includes: bool,
    /// How many of the path's files it decided.
    pub files: usize,
}

/// The closest pattern to a path no entry takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosestPattern {
    /// The pattern as written.
    pub pattern: String,
    /// The entry holding it.
    pub entry: usize,
    /// That entry's repository.
    pub repo: RepoName,
}

/// Why a path cannot be explained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExplainPathError {
    /// The path is absolute.
    #[error("path `{0}` is absolute; paths are relative to the repository root (write `{1}`)")]
    Absolute(String, String),
    /// The path has an empty, `.` or `..` component.
    #[error("path `{0}` has an empty, `.` or `..` component, which no changed path has")]
    BadComponent(String),
}

impl UserError for ExplainPathError {
    /// A path given on the command line.
    fn kind(&self) -> ErrorKind {
        ErrorKind::Usage
    }
}

/// A path as given on the command line, checked: a leading `./` dropped, a trailing `/` kept (it marks a
/// directory); an empty path or component, `.` and `..` are refused.
pub fn check_path(given: &str) -> Result<String, ExplainPathError> {
    let trimmed = given.strip_prefix("./").unwrap_or(given);
    if trimmed.starts_with('/') {
        let relative = trimmed.trim_start_matches('/').to_owned();
        return Err(ExplainPathError::Absolute(given.to_owned(), relative));
    }
    let body = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if body
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(ExplainPathError::BadComponent(given.to_owned()));
    }
    Ok(trimmed.to_owned())
}

/// Explains each of `paths` against `ecosystem`. `tree` is the list of files a directory is expanded
/// against (`None`: no tree, every path is a file unless it ends with `/`); `git_ref` the branch checked
/// against each entry's `branches` (`None`: the branch filter is not applied, only listed).
pub fn explain(
    ecosystem: &Ecosystem,
    paths: &[String],
    tree: Option<&[String]>,
    git_ref: Option<&str>,
) -> Result<Vec<Explanation>, MatcherError> {
    let matcher = ecosystem.subscription_matcher()?;
    let branch_skips = branch_skips(ecosystem, git_ref)?;
    let mut scratch = Scratch::default();
    let mut decisions = Vec::new();
    let mut out = Vec::with_capacity(paths.len());
    for given in paths {
        let path = given.trim_end_matches('/').to_owned();
        let (kind, files, counted) = expand(&path, given.ends_with('/'), tree);
        let entries = ecosystem.entries();
        // counts[entry][pattern] = files decided by it; unmatched[entry] = files no pattern matches.
        let mut counts: Vec<Vec<usize>> = ecosystem
            .subscription_patterns()
            .iter()
            .map(|p| vec![0; p.len()])
            .collect();
        let mut unmatched = vec![files.len(); entries.len()];
        for file in &files {
            matcher.last_matches(file, &mut scratch, &mut decisions);
            for &LastMatch { entry, pattern, .. } in &decisions {
                counts[entry][pattern] += 1;
                unmatched[entry] -= 1;
            }
        }
        let mut explained = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let patterns = &ecosystem.subscription_patterns()[i];
            let deciding: Vec<DecidingPattern> = counts[i]
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(p, &n)| DecidingPattern {
                    index: p,
                    pattern: entry.subscriptions[p].clone(),
                    includes: !patterns[p].is_negated(),
                    files: n,
                })
                .collect();
            let taken = deciding.iter().any(|d| d.includes);
            let skipped = if entry.enabled {
                branch_skips[i].clone()
            } else {
                Some(SkipReason::Disabled)
            };
            explained.push(EntryExplanation {
                entry: i,
                repo: entry.repo.clone(),
                event_type: entry.event_type.clone(),
                delivered: taken && skipped.is_none(),
                taken,
                skipped,
                deciding,
                unmatched_files: unmatched[i],
                branches: entry.branches.clone(),
                would_need: (!taken).then(|| literal_pattern(&path)),
                near: false,
            });
        }
        for e in &mut explained {
            e.near = !e.deciding.is_empty()
                || entries[e.entry]
                    .subscriptions
                    .iter()
                    .any(|pattern| comes_near(pattern, &path));
        }
        // An entry whose negation excludes the path already says why; the closest pattern is for a path
        // that no pattern of any entry matches (usually a typo in the path or in a pattern).
        let closest = if explained.iter().any(|e| !e.deciding.is_empty()) {
            None
        } else {
            closest_pattern(ecosystem, &path)
        };
        out.push(Explanation {
            delivered_to: explained
                .iter()
                .filter(|e| e.delivered)
                .map(|e| e.repo.clone())
                .collect(),
            path,
            kind,
            files: counted,
            entries: explained,
            closest,
        });
    }
    Ok(out)
}

/// Whether `pattern` starts in the directory of `path`, or one level above it (two levels down from the
/// root at most): `features/webpush/react/**` comes near `features/webpush/flask/app.py`,
/// `features/auth/**` does not; `docs/drafts/**` comes near `docs/guide.md`.
fn comes_near(pattern: &str, path: &str) -> bool {
    let pattern = pattern.trim_start_matches('!');
    let literal = &pattern[..pattern
        .find(['*', '?', '[', '{', '\\'])
        .unwrap_or(pattern.len())];
    let dirs: Vec<&str> = path.split('/').collect();
    let dirs = &dirs[..dirs.len() - 1];
    let shared = literal
        .split('/')
        .zip(dirs)
        .take_while(|(a, b)| a == *b)
        .count();
    shared >= 1 && shared >= dirs.len().min(2)
}

/// The files `path` stands for: the files below it when the tree has any (a directory), else the path
/// itself; and how many files that is (0 for a directory with none, whose own name is matched).
fn expand(path: &str, slash: bool, tree: Option<&[String]>) -> (PathKind, Vec<String>, usize) {
    let prefix = format!("{path}/");
    let below: Vec<String> = tree
        .unwrap_or_default()
        .iter()
        .filter(|f| path.is_empty() || f.starts_with(&prefix))
        .cloned()
        .collect();
    if below.is_empty() {
        if slash {
            (PathKind::Directory, vec![path.to_owned()], 0)
        } else {
            (PathKind::File, vec![path.to_owned()], 1)
        }
    } else {
        let n = below.len();
        (PathKind::Directory, below, n)
    }
}

/// For each entry, why the branch filter stops it (`None`: it passes, or no ref was given).
fn branch_skips(
    ecosystem: &Ecosystem,
    git_ref: Option<&str>,
) -> Result<Vec<Option<SkipReason>>, MatcherError> {
    let entries = ecosystem.entries();
    let Some(r) = git_ref else {
        return Ok(vec![None; entries.len()]);
    };
    let mut ok = vec![false; entries.len()];
    // A tag or another non-branch ref: no entry's branches match it (as for a plan).
    if !r.starts_with("refs/") {
        let mut scratch = Scratch::default();
        let mut decisions = Vec::new();
        ecosystem
            .branch_matcher()?
            .last_matches(r, &mut scratch, &mut decisions);
        for d in decisions {
            ok[d.entry] = d.included;
        }
    }
    Ok(entries
        .iter()
        .zip(ok)
        .map(|(e, ok)| {
            (!ok).then(|| SkipReason::BranchNotMatched {
                git_ref: r.to_owned(),
                branches: e.branches.clone(),
            })
        })
        .collect())
}

/// `path` as a pattern that names exactly it (a file, or a directory and everything below it): glob
/// characters escaped.
pub fn literal_pattern(path: &str) -> String {
    let mut s = String::with_capacity(path.len());
    for (i, c) in path.chars().enumerate() {
        if matches!(c, '*' | '?' | '+' | '[' | ']' | '{' | '}' | '\\') || (i == 0 && c == '!') {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

/// The positive pattern of any entry most similar to `path` (Jaro-Winkler over the text before the first
/// glob character, which is where a typo hides: `doc/**` for `docs/a.md`).
fn closest_pattern(ecosystem: &Ecosystem, path: &str) -> Option<ClosestPattern> {
    let mut best: Option<(f64, ClosestPattern)> = None;
    for (i, entry) in ecosystem.entries().iter().enumerate() {
        for (p, text) in entry.subscriptions.iter().enumerate() {
            if ecosystem.subscription_patterns()[i][p].is_negated() {
                continue;
            }
            let literal = text
                .find(['*', '?', '[', '{'])
                .map_or(text.as_str(), |end| &text[..end]);
            let probe = path.get(..literal.len().max(1)).unwrap_or(path);
            let score = strsim::jaro_winkler(probe, literal).max(strsim::jaro_winkler(path, text));
            if best.as_ref().is_none_or(|(b, _)| score > *b) {
                best = Some((
                    score,
                    ClosestPattern {
                        pattern: text.clone(),
                        entry: i,
                        repo: entry.repo.clone(),
                    },
                ));
            }
        }
    }
    best.map(|(_, c)| c)
}

/// The explanations as JSON (an array, pretty-printed, with a final newline).
pub fn to_json(explanations: &[Explanation]) -> String {
    let mut s = serde_json::to_string_pretty(explanations).unwrap_or_else(|_| "[]".to_owned());
    s.push('\n');
    s
}

/// The explanations for people: for each path, the entries that concern it (a pattern matches it, or
/// starts in its top-level directory), or every entry with `all`.
pub fn to_text(explanations: &[Explanation], all: bool) -> String {
    let mut s = String::new();
    for (n, x) in explanations.iter().enumerate() {
        if n > 0 {
            s.push('\n');
        }
        let what = match (x.kind, x.files) {
            (PathKind::File, _) => format!("`{}`", x.path),
            (PathKind::Directory, 0) => {
                format!("`{}/` (a directory with no file in the tree)", x.path)
            }
            (PathKind::Directory, 1) => format!("`{}/` (a directory, 1 file)", x.path),
            (PathKind::Directory, f) => format!("`{}/` (a directory, {f} files)", x.path),
        };
        if x.delivered_to.is_empty() {
            _ = writeln!(s, "{what}: delivered to no repository");
        } else {
            let to: Vec<String> = x.delivered_to.iter().map(|r| format!("`{r}`")).collect();
            _ = writeln!(s, "{what}: delivered to {}", to.join(", "));
        }
        let mut left_out = 0;
        for e in &x.entries {
            if !all && !e.near {
                left_out += 1;
                continue;
            }
            _ = writeln!(
                s,
                "  entry {} (`{}`): {}",
                e.entry,
                e.repo,
                entry_text(e, x)
            );
        }
        if left_out > 0 {
            _ = writeln!(
                s,
                "  {left_out} {}{}: no pattern comes near it (`--all` lists every entry)",
                if left_out < x.entries.len() {
                    "other "
                } else {
                    ""
                },
                if left_out == 1 { "entry" } else { "entries" }
            );
        }
        if let Some(c) = &x.closest {
            _ = writeln!(
                s,
                "  no entry subscribes to it; the closest pattern is `{}` (entry {}, `{}`)",
                c.pattern, c.entry, c.repo
            );
        }
    }
    s
}

fn entry_text(e: &EntryExplanation, x: &Explanation) -> String {
    let directory = x.kind == PathKind::Directory && x.files > 0;
    let decided = e
        .deciding
        .iter()
        .map(|d| {
            let verb = if d.includes { "takes" } else { "excludes" };
            if directory {
                format!(
                    "`{}` (pattern {}) {verb} {} of its files",
                    d.pattern, d.index, d.files
                )
            } else {
                format!(
                    "`{}` (pattern {}) is the last pattern that matches and {verb} it",
                    d.pattern, d.index
                )
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    let unmatched = if directory && e.unmatched_files > 0 && !e.deciding.is_empty() {
        format!("; no pattern matches {} of its files", e.unmatched_files)
    } else {
        String::new()
    };
    if e.delivered {
        return format!("delivered (event `{}`): {decided}{unmatched}", e.event_type);
    }
    if let Some(skip) = &e.skipped
        && e.taken
    {
        let why = match skip {
            SkipReason::Disabled => "it is disabled (`\"enabled\": false`)".to_owned(),
            other => other.to_string(),
        };
        return format!("not delivered: {why}, although {decided}{unmatched}");
    }
    let need = e.would_need.as_deref().unwrap_or_default();
    if e.deciding.is_empty() {
        format!("not delivered: no pattern matches it; it would need `{need}` in `subscriptions`")
    } else {
        format!(
            "not delivered: {decided}{unmatched}; it would need `{need}` after its last pattern"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eco(json: &str) -> Ecosystem {
        Ecosystem::parse("ecosystem.json", json).unwrap().0
    }

    #[test]
    fn last_match_decides_and_names_the_pattern() {
        let e = eco(
            r#"[{"repo": "a/b", "subscriptions": ["*.md", "!README.md", "README*"]},
                {"repo": "a/c", "subscriptions": ["docs/**", "!docs/drafts/**"], "enabled": false}]"#,
        );
        let x = explain(&e, &["README.md".into()], None, None).unwrap();
        assert_eq!(x[0].entries[0].deciding[0].pattern, "README*");
        assert!(x[0].entries[0].delivered);
        assert!(!x[0].entries[1].taken);
        assert_eq!(x[0].entries[1].would_need.as_deref(), Some("README.md"));
        let x = explain(&e, &["docs/a.md".into()], None, None).unwrap();
        assert!(x[0].entries[1].taken && !x[0].entries[1].delivered);
        assert_eq!(x[0].entries[1].skipped, Some(SkipReason::Disabled));
    }

    #[test]
    fn directory_counts_its_files() {
        let e = eco(r#"[{"repo": "a/b", "subscriptions": ["docs/**", "!docs/drafts/**"]}]"#);
        let tree: Vec<String> = ["docs/a.md", "docs/drafts/b.md", "src/x"]
            .map(str::to_owned)
            .to_vec();
        let x = explain(&e, &["docs".into()], Some(&tree), None).unwrap();
        assert_eq!((x[0].kind, x[0].files), (PathKind::Directory, 2));
        let d = &x[0].entries[0].deciding;
        assert_eq!((d[0].files, d[1].files, d[1].includes), (1, 1, false));
    }

    #[test]
    fn closest_pattern_and_escaping() {
        let e = eco(r#"[{"repo": "a/b", "subscriptions": ["docs/**", "src/**"]}]"#);
        let x = explain(&e, &["doc/a.md".into()], None, None).unwrap();
        assert_eq!(x[0].closest.as_ref().unwrap().pattern, "docs/**");
        assert_eq!(literal_pattern("!a/[b]*.md"), r"\!a/\[b\]\*.md");
    }
}
