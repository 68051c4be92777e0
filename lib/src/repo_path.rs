//! `RepoPath`: a checked, normalized path inside a git tree (`""` is the root).
//!
//! Every path that comes from configuration or from an upstream tree goes through here before it is used to
//! read or build a tree, so a path can never climb out of its directory (`..`), be absolute, or reach into
//! a `.git` directory (in any letter case, since case-insensitive file systems treat `.GIT` as `.git`).

use std::fmt;
use std::fmt::Write as _;

use crate::error_kind::{ErrorKind, UserError};

/// Why a string is not a usable path inside a repository.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepoPathError {
    /// The path starts with `/`.
    #[error(
        "path `{0}` is absolute; write it relative to the repository root, without a leading `/`"
    )]
    Absolute(String),
    /// The path has a `..` or `.` component or an empty one (`a//b`).
    #[error(
        "path `{0}` has an empty, `.` or `..` component; write a plain relative path such as `features/x`"
    )]
    Component(String),
    /// A component is `.git` in some letter case.
    #[error("path `{0}` touches a `.git` directory, which ecosync never reads or writes")]
    Git(String),
    /// The path holds a backslash or a control character.
    #[error("path `{0}` contains a backslash or a control character")]
    Character(String),
}

impl UserError for RepoPathError {
    /// A path given on the command line or in a configuration.
    fn kind(&self) -> ErrorKind {
        ErrorKind::Usage
    }
}

/// A normalized relative path with `/` separators and no trailing `/`; the empty path is the root.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RepoPath(String);

impl RepoPath {
    /// The repository root.
    pub fn root() -> Self {
        RepoPath(String::new())
    }

    /// Checks and normalizes `s`: a trailing `/` is dropped, everything else must already be clean.
    pub fn parse(s: &str) -> Result<Self, RepoPathError> {
        let trimmed = s.strip_suffix('/').unwrap_or(s);
        if trimmed.is_empty() {
            return Ok(Self::root());
        }
        if trimmed.starts_with('/') {
            return Err(RepoPathError::Absolute(s.to_owned()));
        }
        if trimmed.chars().any(|c| c == '\\' || c.is_control()) {
            return Err(RepoPathError::Character(s.to_owned()));
        }
        for component in trimmed.split('/') {
            if component.is_empty() || component == "." || component == ".." {
                return Err(RepoPathError::Component(s.to_owned()));
            }
            if is_git_dir_name(component) {
                return Err(RepoPathError::Git(s.to_owned()));
            }
        }
        Ok(RepoPath(trimmed.to_owned()))
    }

    /// True for the repository root.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The path as written in a tree, without a trailing `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `self/rel` (or `rel` when `self` is the root).
    pub fn join(&self, rel: &str) -> String {
        if self.is_root() {
            rel.to_owned()
        } else if rel.is_empty() {
            self.0.clone()
        } else {
            format!("{}/{rel}", self.0)
        }
    }

    /// True when `path` is this directory or lies inside it.
    pub fn contains(&self, path: &str) -> bool {
        self.is_root()
            || path == self.0
            || (path.starts_with(&self.0) && path.as_bytes().get(self.0.len()) == Some(&b'/'))
    }

    /// True when one of the two paths contains the other.
    pub fn overlaps(&self, other: &RepoPath) -> bool {
        self.contains(&other.0) || other.contains(&self.0)
    }
}

/// True when a path component would be taken for a `.git` directory by some file system (see
/// [`unsafe_entry_name`]).
pub fn is_git_dir_name(component: &str) -> bool {
    is_hfs_alias(component, ".git")
        || component
            .split('\\')
            .any(|piece| is_ntfs_alias(piece, ".git", "git~1"))
}

/// Why git would refuse a tree entry named `name` (as `git fsck` and checkout's `verify_path` do), or
/// `None` when the name is safe. `is_link` is true for a symbolic link entry.
///
/// Refused: an empty name, `.` and `..`, a name holding `/` or NUL (a tree entry is one path component),
/// `.git` in every spelling a file system takes for it: any letter case, with the code points HFS+
/// ignores (`.g\u{200c}it`), with the trailing spaces or dots and the `:stream` NTFS drops (`.git. `), and
/// NTFS's short name `git~1`, also as a `\`-separated piece (NTFS's separator); and `.gitmodules` (in the
/// same spellings, or `gitmod~1`) as a symbolic link, which git would follow when reading submodules.
pub fn unsafe_entry_name(name: &[u8], is_link: bool) -> Option<&'static str> {
    if name.is_empty() || name == b"." || name == b".." {
        return Some("an empty, `.` or `..` name");
    }
    if name.contains(&b'/') || name.contains(&0) {
        return Some("a name holding `/` or NUL");
    }
    let text = String::from_utf8_lossy(name);
    if is_git_dir_name(&text) {
        return Some("a name git reads as `.git`");
    }
    if is_link
        && (is_hfs_alias(&text, ".gitmodules")
            || text
                .split('\\')
                .any(|piece| is_ntfs_alias(piece, ".gitmodules", "gitmod~1")))
    {
        return Some("a `.gitmodules` that is a symbolic link");
    }
    None
}

/// True when HFS+ reads `name` as `target`: letter case ignored and the code points it ignores dropped
/// (zero-width joiners and marks, directional marks and overrides, the byte-order mark).
fn is_hfs_alias(name: &str, target: &str) -> bool {
    let ignorable = |c: char| {
        matches!(c,
            '\u{200c}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{206a}'..='\u{206f}' | '\u{feff}')
    };
    let kept: String = name.chars().filter(|c| !ignorable(*c)).collect();
    kept.eq_ignore_ascii_case(target)
}

/// True when NTFS reads `piece` as `target` (or its short name `short`): letter case ignored, trailing
/// spaces and dots dropped, and anything from a `:` (an alternate data stream) on.
fn is_ntfs_alias(piece: &str, target: &str, short: &str) -> bool {
    let stem = piece.split(':').next().unwrap_or(piece);
    let stem = stem.trim_end_matches([' ', '.']);
    stem.eq_ignore_ascii_case(target) || stem.eq_ignore_ascii_case(short)
}

/// A path from a git tree as text: the path itself when it is UTF-8 (byte for byte, as always), else its
/// UTF-8 runs as they are and each byte that is not part of one as `\xNN` (two lowercase hex digits), so
/// `caf\xe9.txt` is the Latin-1 name `café.txt`. This is the one way ecosync writes a non-UTF-8 path,
/// in JSON (the payload's `changed_paths`, the plan, the report) and in messages; the escaped text keeps
/// the path's directories, so subscriptions and patterns match it as they match the path.
pub fn path_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    std::borrow::Cow::Owned(out)
}

/// True when some component of `path` is a `.git` directory name.
pub fn touches_git_dir(path: &str) -> bool {
    path.split('/').any(is_git_dir_name)
}

impl fmt::Display for RepoPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            f.write_str("<root>")
        } else {
            f.write_str(&self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_accepts_plain_paths() {
        assert_eq!(RepoPath::parse("a/b/").unwrap().as_str(), "a/b");
        assert!(RepoPath::parse("").unwrap().is_root());
        assert!(RepoPath::parse("/").unwrap().is_root());
    }

    #[test]
    fn rejects_escapes_and_git() {
        for bad in [
            "/a", "a/../b", "..", "a//b", "./a", ".git", "a/.GIT/x", "a\\b",
        ] {
            assert!(RepoPath::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn entry_names_are_checked_as_git_fsck_does() {
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "a\0b",
            ".git",
            ".GIT",
            ".Git",
            ".g\u{200c}it",
            "\u{feff}.git",
            ".git ",
            ".git.",
            ".git. . ",
            ".git::$INDEX_ALLOCATION",
            "git~1",
            "GIT~1",
            "x\\.git",
        ] {
            assert!(
                unsafe_entry_name(bad.as_bytes(), false).is_some(),
                "{bad:?} should be refused"
            );
        }
        for good in [
            ".gitignore",
            ".github",
            "git",
            ".gitx",
            "a\n::warning::x",
            "git~2",
            ".gitmodules",
        ] {
            assert_eq!(unsafe_entry_name(good.as_bytes(), false), None, "{good:?}");
        }
        for link in [
            ".gitmodules",
            ".GITMODULES",
            ".gitmodules ",
            "gitmod~1",
            ".gitmodules\u{200d}",
        ] {
            assert!(
                unsafe_entry_name(link.as_bytes(), true).is_some(),
                "{link:?}"
            );
        }
        assert_eq!(unsafe_entry_name(b".gitignore", true), None);
    }

    #[test]
    fn non_utf8_bytes_are_escaped_and_utf8_paths_kept() {
        assert_eq!(
            path_text(b"features/x/caf\xc3\xa9.txt"),
            "features/x/café.txt"
        );
        assert_eq!(
            path_text(b"features/x/caf\xe9.txt"),
            "features/x/caf\\xe9.txt"
        );
        assert_eq!(path_text(b"a\xff\xfeb"), "a\\xff\\xfeb");
    }

    #[test]
    fn containment() {
        let p = RepoPath::parse("app").unwrap();
        assert!(p.contains("app"));
        assert!(p.contains("app/x"));
        assert!(!p.contains("apple"));
        assert!(RepoPath::root().contains("anything"));
        assert!(p.overlaps(&RepoPath::parse("app/sub").unwrap()));
        assert!(!p.overlaps(&RepoPath::parse("apps").unwrap()));
    }
}
