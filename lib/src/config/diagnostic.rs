//! `Diagnostic`: one problem found in a configuration file, with where it is, what is wrong and how to fix it.
//!
//! Diagnostics are plain data. Validators collect every problem they find (not only the first) into a
//! `Vec<Diagnostic>`; the binaries print them one after another and decide the exit code with
//! [`has_errors`]. The type knows nothing about any particular file format, so every configuration file
//! of the project (`ecosystem.json`, the subscriber's config) reports problems the same way:
//!
//! ```text
//! error: ecosystem.json:4:13: entry 2 (`acme/web`): subscription `docs/*.md?` uses `?`, ...
//!   hint: write the alternatives out with `{a,b}`, e.g. `docs/*.{md,mdx}`
//! ```

use std::fmt;

/// How bad a problem is: errors make a configuration invalid, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The configuration cannot be used as written.
    Error,
    /// The configuration works but probably does not do what its author meant.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A 1-based line and column (columns count characters, not bytes) in a text file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Location {
    /// Line number, starting at 1.
    pub line: usize,
    /// Column number, starting at 1.
    pub column: usize,
}

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file, as the user named it.
    pub file: String,
    /// Where in the file, when the problem has a place.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The part of the configuration concerned, e.g. ``entry 2 (`acme/web`)``.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// What is wrong, lowercase, naming the offending value in backticks.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error in `file` with no location yet.
    pub fn error(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, file, message)
    }

    /// A warning in `file` with no location yet.
    pub fn warning(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, file, message)
    }

    fn new(severity: Severity, file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            file: file.into(),
            location: None,
            subject: None,
            message: message.into(),
            hint: None,
        }
    }

    /// Sets the line and column.
    #[must_use]
    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    /// Sets the line and column when there is one.
    #[must_use]
    pub fn at_opt(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    /// Names the part of the configuration concerned.
    #[must_use]
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Adds a hint saying how to fix the problem.
    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Whether this is an error (as opposed to a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Whether any of `diagnostics` is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

/// The most characters of a diagnostic's message, subject or hint shown.
const MAX_SHOWN_CHARS: usize = 2000;

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.severity, self.file)?;
        if let Some(Location { line, column }) = self.location {
            write!(f, ":{line}:{column}")?;
        }
        f.write_str(": ")?;
        // The file's own text can appear in any part (a key, a value): each is kept on its line and cut
        // to a readable length, whatever the file holds.
        let safe =
            |s: &str| crate::escape::line(&crate::escape::shorten(s, MAX_SHOWN_CHARS)).into_owned();
        if let Some(subject) = &self.subject {
            write!(f, "{}: ", safe(subject))?;
        }
        f.write_str(&safe(&self.message))?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {}", safe(hint))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_file_location_subject_message_and_hint() {
        let d = Diagnostic::error("ecosystem.json", "`event_type` is empty")
            .at(Location {
                line: 4,
                column: 13,
            })
            .subject("entry 2 (`acme/web`)")
            .hint("remove it to use `feature-update`");
        assert_eq!(
            d.to_string(),
            "error: ecosystem.json:4:13: entry 2 (`acme/web`): `event_type` is empty\n  hint: remove it to use `feature-update`"
        );
    }

    #[test]
    fn display_without_location_or_subject() {
        let d = Diagnostic::warning("x.json", "nothing here");
        assert_eq!(d.to_string(), "warning: x.json: nothing here");
        assert!(!has_errors(&[d]));
    }
}
