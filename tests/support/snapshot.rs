//! `Redact`: turns a binary's output into text that is the same on every run, for insta snapshots.
//!
//! What varies between runs is replaced by a bracketed name: the temp directories a test made (`[UPSTREAM]`),
//! commit ids (`[HEAD]`, `[HEAD:12]` for its 12-character abbreviation, or `[SHA1]`, `[SHA2]`... in order of
//! first appearance for the ones the test did not name), dispatch ids, timestamps and durations. Numbering
//! the unnamed ids, rather than blanking them all alike, keeps visible which lines speak of the same commit.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use crate::support::Output;

/// A commit id or its 12-character abbreviation, not part of a longer run of letters and digits.
static SHA: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:[0-9a-f]{40}|[0-9a-f]{12})\b").unwrap());

/// The id `dispatcher dispatch` makes outside Actions: `ecosync-<millis>-<pid>-<8 hex>`.
static DISPATCH_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\becosync-\d{10,}-\d+-[0-9a-f]{8}\b").unwrap());

/// RFC 3339 timestamps (`2026-12-01T20:11:12Z`, with optional fraction and offset).
static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?").unwrap()
});

/// Elapsed times: `3 ms` in the progress lines and `"duration_ms":3` in the JSON report.
static DURATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\b\d+ ms\b|("duration_ms":\s*)\d+"#).unwrap());

/// The replacements for one test's output.
#[derive(Default)]
pub struct Redact {
    /// Literal text (paths) and its name, applied longest first.
    literals: Vec<(String, String)>,
    /// Full commit ids the test knows, and their names.
    shas: BTreeMap<String, String>,
}

impl Redact {
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the directory `path` (as given and canonicalized) with `[NAME]`.
    pub fn path(mut self, path: impl AsRef<Path>, name: &str) -> Self {
        let path = path.as_ref();
        let mut forms = vec![path.display().to_string()];
        if let Ok(canonical) = path.canonicalize() {
            forms.push(canonical.display().to_string());
        }
        for form in forms {
            self.literals.push((form, format!("[{name}]")));
        }
        self
    }

    /// Replaces the commit id `sha` with `[NAME]` and its 12-character abbreviation with `[NAME:12]`.
    pub fn sha(mut self, sha: &impl ToString, name: &str) -> Self {
        self.shas.insert(sha.to_string(), name.to_owned());
        self
    }

    /// Applies every replacement to `text`.
    pub fn apply(&self, text: &str) -> String {
        let mut out = DISPATCH_ID.replace_all(text, "[DISPATCH_ID]").into_owned();
        let mut literals = self.literals.clone();
        literals.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        for (from, to) in &literals {
            out = out.replace(from.as_str(), to);
        }
        // Anything else under the temp dir (a directory a test did not name) still varies.
        let tmp = std::env::temp_dir();
        for dir in [Some(tmp.clone()), tmp.canonicalize().ok()]
            .into_iter()
            .flatten()
        {
            let dir = dir.display().to_string();
            let dir = regex::escape(dir.trim_end_matches('/'));
            let other_tmp = Regex::new(&format!(r"{dir}/[^\s/`'\x22)]+")).unwrap();
            out = other_tmp.replace_all(&out, "[TMP]").into_owned();
        }
        out = TIMESTAMP.replace_all(&out, "[TIMESTAMP]").into_owned();
        out = DURATION
            .replace_all(&out, |c: &Captures| match c.get(1) {
                Some(key) => format!("{}[MS]", key.as_str()),
                None => "[N] ms".to_owned(),
            })
            .into_owned();
        self.redact_shas(&out)
    }

    fn redact_shas(&self, text: &str) -> String {
        // Number the unnamed full ids by first appearance, so an abbreviation printed before its full id
        // still gets the full id's number.
        let mut numbered: Vec<String> = Vec::new();
        for m in SHA.find_iter(text) {
            let s = m.as_str();
            if s.len() == 40 && !self.shas.contains_key(s) && !numbered.iter().any(|n| n == s) {
                numbered.push(s.to_owned());
            }
        }
        let mut short_only: Vec<String> = Vec::new();
        SHA.replace_all(text, |c: &Captures| {
            let s = &c[0];
            let named = self.shas.iter().find(|(full, _)| full.starts_with(s));
            if let Some((_, name)) = named {
                return if s.len() == 40 {
                    format!("[{name}]")
                } else {
                    format!("[{name}:12]")
                };
            }
            if let Some(i) = numbered.iter().position(|full| full.starts_with(s)) {
                return if s.len() == 40 {
                    format!("[SHA{}]", i + 1)
                } else {
                    format!("[SHA{}:12]", i + 1)
                };
            }
            // An abbreviation whose full id is not in the text.
            let i = if let Some(i) = short_only.iter().position(|x| x == s) {
                i
            } else {
                short_only.push(s.to_owned());
                short_only.len() - 1
            };
            format!("[SHORT{}:12]", i + 1)
        })
        .into_owned()
    }
}

/// The exit code, stdout and stderr of a run, and then each extra `(title, text)` (files the run wrote), as
/// one redacted text: what a snapshot of a command holds.
pub fn transcript(out: &Output, redact: &Redact, extra: &[(&str, &str)]) -> String {
    let mut s = format!("exit: {:?}\n", out.code);
    let mut section = |title: &str, text: &str| {
        _ = writeln!(s, "----- {title}");
        s.push_str(text);
        if !text.is_empty() && !text.ends_with('\n') {
            s.push_str("\n[no newline at the end]\n");
        }
    };
    section("stdout", &out.stdout);
    section("stderr", &out.stderr);
    for (title, text) in extra {
        section(title, text);
    }
    redact.apply(&s)
}
