//! `PathPattern`: one subscription pattern in GitHub's path-filter dialect, translated to globset globs.
//!
//! Users write the patterns they already write in `on.push.paths`, so the dialect follows GitHub's
//! "filter pattern cheat sheet":
//!
//! - `*` matches any characters except `/`; `**` matches any characters including `/`. A `**` that is a
//!   whole path component (`docs/**`, `**/README.md`, `a/**/b`) may match zero directories; a `**` glued to
//!   other characters (`**.js`, `docs**`) matches across directories too (`**.js` is any `.js` file).
//! - `[abc]`, `[a-z]` match one character; `{a,b}` matches either alternative.
//! - A leading `!` negates. Patterns are checked in order and the last one that matches decides.
//! - A pattern with no glob characters names a file or a directory: `features/webpush/flask` matches that
//!   path and everything below it, but not `features/webpush/flask-admin/app.py`. A trailing `/` names only
//!   a directory (`workflows/` matches everything below `workflows`).
//! - GitHub's `?` and `+` are quantifiers on the preceding character ("zero or one", "one or more"), which a
//!   glob cannot express exactly, so they are rejected unless escaped (`\?`, `\+` match the character itself).
//!
//! Each pattern becomes one or more globs (a glued `**` has two readings); [`crate::SubscriptionMatcher`]
//! compiles the globs of all patterns into one `GlobSet`.

use globset::GlobBuilder;

/// At most this many `**` glued to other characters in one pattern (each doubles the number of globs).
const MAX_GLUED_DOUBLE_STARS: usize = 4;

/// What a pattern is matched against, which changes how a pattern without glob characters is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternKind {
    /// File paths: a literal pattern names a file or a directory.
    Path,
    /// Branch names: a literal pattern names exactly one branch.
    Branch,
}

/// Why a pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathPatternError {
    /// The pattern is empty, or only `!`.
    #[error("pattern `{}` is empty", crate::escape::shown(.0))]
    Empty(String),
    /// The pattern starts with `/` or `./`.
    #[error(
        "pattern `{}` starts with `/` or `./`; paths are relative to the repository root",
        crate::escape::shown(.0)
    )]
    Absolute(String),
    /// The pattern has an empty, `.` or `..` path component.
    #[error(
        "pattern `{}` has an empty, `.` or `..` path component, which no changed path has",
        crate::escape::shown(.0)
    )]
    BadComponent(String),
    /// A component is `.git` (in any letter case): no tree ecosync reads or writes holds one.
    #[error("pattern `{}` names a `.git` directory, which no git tree holds", crate::escape::shown(.0))]
    GitDir(String),
    /// The pattern holds a NUL or another control character, which no path in a git tree has.
    #[error("pattern `{}` contains a control character, which no path in a git tree has", crate::escape::shown(.0))]
    Character(String),
    /// The pattern uses GitHub's `?` or `+` quantifier.
    #[error(
        "pattern `{}` uses `{quantifier}`, which in GitHub's dialect means \"{meaning} of the \
         preceding character\"; globs cannot express that exactly",
        crate::escape::shown(pattern)
    )]
    Quantifier {
        /// The whole pattern.
        pattern: String,
        /// `?` or `+`.
        quantifier: char,
        /// What GitHub means by it.
        meaning: &'static str,
    },
    /// Too many `**` glued to other characters.
    #[error(
        "pattern `{}` has more than {MAX_GLUED_DOUBLE_STARS} `**` glued to other characters; each one \
         doubles the globs to evaluate",
        crate::escape::shown(.0)
    )]
    TooComplex(String),
    /// globset rejected the translated glob.
    #[error(
        "pattern `{}` is not a valid glob: {reason}",
        crate::escape::shown(pattern)
    )]
    Glob {
        /// The whole pattern.
        pattern: String,
        /// What globset said.
        reason: String,
    },
}

impl PathPatternError {
    /// How to fix the pattern.
    pub fn hint(&self) -> Option<String> {
        match self {
            PathPatternError::Empty(_) => {
                Some("remove it, or write a path such as `docs/**`".to_owned())
            }
            PathPatternError::Absolute(p) => Some(format!(
                "write `{}`",
                p.trim_start_matches('!')
                    .trim_start_matches("./")
                    .trim_start_matches('/')
            )),
            PathPatternError::BadComponent(_) => {
                Some("write the path as git shows it, e.g. `docs/guide/**`".to_owned())
            }
            PathPatternError::GitDir(_) => Some(
                "remove it: a repository's `.git` directory is never part of a commit".to_owned(),
            ),
            PathPatternError::Character(_) => {
                Some("remove the control character (a NUL, a newline, a tab)".to_owned())
            }
            PathPatternError::Quantifier { quantifier, .. } => Some(quantifier_hint(*quantifier)),
            PathPatternError::TooComplex(_) => {
                Some("write `**` as a whole path component, e.g. `**/*.js` instead of `**.js`".into())
            }
            PathPatternError::Glob { .. } => Some(
                "check brackets and braces are closed and not nested; escape a literal `[`, `{` or `*` \
                 with `\\`"
                    .to_owned(),
            ),
        }
    }
}

fn quantifier_hint(quantifier: char) -> String {
    let (github, glob) = match quantifier {
        '?' => ("*.jsx?", "*.{js,jsx}"),
        _ => ("v+1.md", "{v1,vv1}.md"),
    };
    format!(
        "list the alternatives with `{{a,b}}` (GitHub's `{github}` is `{glob}`), or escape it as \
         `\\{quantifier}` to match a literal `{quantifier}`"
    )
}

/// One pattern as written, whether it negates, and the globs it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern {
    text: String,
    negated: bool,
    globs: Vec<String>,
}

impl PathPattern {
    /// Parses a pattern matched against file paths.
    pub fn parse(text: &str) -> Result<Self, PathPatternError> {
        Self::parse_as(text, PatternKind::Path)
    }

    /// Parses a pattern matched against branch names (a literal names exactly one branch).
    pub fn parse_branch(text: &str) -> Result<Self, PathPatternError> {
        Self::parse_as(text, PatternKind::Branch)
    }

    /// Parses `text` as a pattern of the given kind.
    pub fn parse_as(text: &str, kind: PatternKind) -> Result<Self, PathPatternError> {
        let (negated, body) = match text.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if body.is_empty() {
            return Err(PathPatternError::Empty(text.to_owned()));
        }
        if body.chars().any(char::is_control) {
            return Err(PathPatternError::Character(text.to_owned()));
        }
        if kind == PatternKind::Path
            && body
                .split('/')
                .any(|c| crate::repo_path::is_git_dir_name(&c.replace('\\', "")))
        {
            return Err(PathPatternError::GitDir(text.to_owned()));
        }
        check_quantifiers(text, body)?;
        if body.starts_with('/') || body.starts_with("./") {
            return Err(PathPatternError::Absolute(text.to_owned()));
        }
        let (body, directory) = match body.strip_suffix('/') {
            Some(b) if kind == PatternKind::Path => (b, true),
            _ => (body, false),
        };
        if body
            .as_bytes()
            .split(|&b| b == b'/')
            .any(|c| matches!(c, b"" | b"." | b".."))
        {
            return Err(PathPatternError::BadComponent(text.to_owned()));
        }
        let mut globs = expand_glued_double_stars(text, body)?;
        if kind == PatternKind::Path {
            if directory {
                for g in &mut globs {
                    g.push_str("/**");
                }
            } else if !has_glob_chars(body) {
                globs.push(with_suffix(body, "/**"));
            }
        }
        // Only brackets, braces and escapes can make a glob invalid (every `**` is a whole component by
        // now, and `*` is always valid): the others are not parsed twice, here and in the matcher.
        for g in globs.iter().filter(|g| has_any(g, b"[]{}\\")) {
            build_glob(g).map_err(|e| PathPatternError::Glob {
                pattern: text.to_owned(),
                reason: e.kind().to_string(),
            })?;
        }
        Ok(PathPattern {
            text: text.to_owned(),
            negated,
            globs,
        })
    }

    /// The pattern as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether it starts with `!`.
    pub fn is_negated(&self) -> bool {
        self.negated
    }

    /// The globset globs it stands for (a path matches the pattern when it matches any of them).
    pub fn globs(&self) -> &[String] {
        &self.globs
    }

    /// Whether `path` matches this pattern (ignoring negation). For one-off checks; bulk matching goes
    /// through [`crate::SubscriptionMatcher`].
    pub fn is_match(&self, path: &str) -> bool {
        self.globs
            .iter()
            .filter_map(|g| build_glob(g).ok())
            .any(|g| g.compile_matcher().is_match(path))
    }
}

/// Builds one glob with the dialect's options: `*` stops at `/`, `\` escapes.
pub(crate) fn build_glob(glob: &str) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(glob)
        .literal_separator(true)
        .backslash_escape(true)
        .empty_alternates(true)
        .build()
}

/// Rejects GitHub's `?` and `+` quantifiers outside brackets unless escaped.
fn check_quantifiers(pattern: &str, body: &str) -> Result<(), PathPatternError> {
    // Every character looked at is ASCII, so the bytes will do (a continuation byte is never one of them).
    let mut bytes = body.bytes();
    let mut in_class = false;
    while let Some(b) = bytes.next() {
        match b {
            b'\\' => {
                bytes.next();
            }
            b'[' if !in_class => in_class = true,
            b']' if in_class => in_class = false,
            b'?' | b'+' if !in_class => {
                let c = char::from(b);
                return Err(PathPatternError::Quantifier {
                    pattern: pattern.to_owned(),
                    quantifier: c,
                    meaning: if c == '?' {
                        "zero or one"
                    } else {
                        "one or more"
                    },
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether `s` has an unescaped glob character.
fn has_glob_chars(s: &str) -> bool {
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'\\' => {
                bytes.next();
            }
            b'*' | b'?' | b'[' | b'{' => return true,
            _ => {}
        }
    }
    false
}

/// Whether `s` has any of the ASCII characters `set` (a byte scan: no character is decoded).
pub(crate) fn has_any(s: &str, set: &[u8]) -> bool {
    s.bytes().any(|b| set.contains(&b))
}

/// `s` followed by `suffix`, allocated once.
fn with_suffix(s: &str, suffix: &str) -> String {
    let mut out = String::with_capacity(s.len() + suffix.len());
    out.push_str(s);
    out.push_str(suffix);
    out
}

/// Rewrites each `**` that is glued to other characters (`**.js`, `a**b`) into its two readings: within one
/// component (`*`) or across components (`*/**/*`). Runs of three or more `*` count as `**`.
fn expand_glued_double_stars(pattern: &str, body: &str) -> Result<Vec<String>, PathPatternError> {
    // The common case, with nothing to rewrite (`docs/**`, `src/**/*.rs`), is the body as it is.
    let double_star = |c: &[u8]| c.windows(2).any(|w| w == b"**");
    if !double_star(body.as_bytes())
        || body
            .as_bytes()
            .split(|&b| b == b'/')
            .all(|c| c == b"**" || !double_star(c))
    {
        // Room for the `/**` a directory pattern adds.
        let mut glob = String::with_capacity(body.len() + 3);
        glob.push_str(body);
        return Ok(vec![glob]);
    }
    // Split the body into literal pieces and glued `**` markers, component by component.
    let mut pieces: Vec<Option<String>> = vec![Some(String::new())];
    let mut glued = 0;
    for (i, component) in body.split('/').enumerate() {
        if i > 0 {
            push_str(&mut pieces, "/");
        }
        if component.chars().all(|c| c == '*') && component.len() >= 2 {
            push_str(&mut pieces, "**");
            continue;
        }
        let mut chars = component.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    push_char(&mut pieces, '\\');
                    if let Some(n) = chars.next() {
                        push_char(&mut pieces, n);
                    }
                }
                '*' if chars.peek() == Some(&'*') => {
                    while chars.peek() == Some(&'*') {
                        chars.next();
                    }
                    glued += 1;
                    pieces.push(None);
                    pieces.push(Some(String::new()));
                }
                _ => push_char(&mut pieces, c),
            }
        }
    }
    if glued > MAX_GLUED_DOUBLE_STARS {
        return Err(PathPatternError::TooComplex(pattern.to_owned()));
    }
    let mut globs = vec![String::new()];
    for piece in pieces {
        globs = match piece {
            Some(s) => globs.into_iter().map(|g| g + &s).collect(),
            None => globs
                .into_iter()
                .flat_map(|g| [format!("{g}*"), format!("{g}*/**/*")])
                .collect(),
        };
    }
    Ok(globs)
}

fn push_str(pieces: &mut Vec<Option<String>>, s: &str) {
    match pieces.last_mut() {
        Some(Some(last)) => last.push_str(s),
        _ => pieces.push(Some(s.to_owned())),
    }
}

fn push_char(pieces: &mut Vec<Option<String>>, c: char) {
    match pieces.last_mut() {
        Some(Some(last)) => last.push(c),
        _ => pieces.push(Some(c.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, path: &str) -> bool {
        PathPattern::parse(pattern).unwrap().is_match(path)
    }

    #[test]
    fn paths_no_git_tree_can_hold_are_refused() {
        for bad in [
            ".git",
            ".git/**",
            "a/.GIT/b",
            "x/.Git",
            "!.git/config",
            "a/\\.git/b",
        ] {
            assert!(
                matches!(PathPattern::parse(bad), Err(PathPatternError::GitDir(_))),
                "{bad}"
            );
        }
        for bad in ["a\0b", "docs/\n::error::x"] {
            assert!(
                matches!(PathPattern::parse(bad), Err(PathPatternError::Character(_))),
                "{bad:?}"
            );
        }
        let e = PathPattern::parse("docs/\n::error::x")
            .unwrap_err()
            .to_string();
        assert!(!e.contains('\n'), "{e}");
        // A name that only starts like `.git` is an ordinary name.
        for ok in [
            ".github/**",
            ".gitignore",
            "a.git/b",
            ".git-blame-ignore-revs",
        ] {
            assert!(PathPattern::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn globs_without_brackets_braces_or_escapes_always_build() {
        // `parse_as` skips building those; the matcher builds them later and must not fail.
        for p in [
            "**",
            "*",
            "a/**",
            "**/a",
            "a/**/b",
            "*.rs",
            "**/*.rs",
            "a**",
            "**a",
            "a**b/**c**",
            "***",
            "a/***/b",
            "docs/*",
            "x*y*z",
            "!**/gen/**",
            "a/b/",
            "**.js",
            "v1.2.3",
            "a b/c d",
        ] {
            let pattern = PathPattern::parse(p).unwrap();
            for g in pattern.globs() {
                assert!(!g.contains(['[', ']', '{', '}', '\\']), "{g}");
                assert!(build_glob(g).is_ok(), "`{g}` from `{p}` does not build");
            }
        }
    }

    #[test]
    fn cheat_sheet() {
        assert!(m("*", "README.md"));
        assert!(!m("*", "docs/a.md"));
        assert!(m("**", "a/b/c"));
        assert!(m("*.js", "app.js") && !m("*.js", "src/app.js"));
        assert!(m("**.js", "app.js") && m("**.js", "src/a/app.js") && !m("**.js", "app.ts"));
        assert!(m("docs/*", "docs/a.md") && !m("docs/*", "docs/a/b.md"));
        assert!(m("docs/**", "docs/a/b.md") && !m("docs/**", "README.md"));
        assert!(m("docs/**/*.md", "docs/a.md") && m("docs/**/*.md", "docs/a/b/c.md"));
        assert!(m("**/docs/**", "docs/a") && m("**/docs/**", "x/y/docs/a/b"));
        assert!(m("**/README.md", "README.md") && m("**/README.md", "a/b/README.md"));
        assert!(m("**/*src/**", "a/src/b.c") && m("**/*src/**", "mysrc/b.c"));
        assert!(m("**/*-post.md", "a-post.md") && m("**/*-post.md", "x/y/my-post.md"));
        assert!(
            m("**/migrate-*.sql", "migrate-1.sql") && m("**/migrate-*.sql", "db/migrate-2.sql")
        );
    }

    #[test]
    fn literal_names_a_file_or_directory() {
        assert!(m("features/webpush/flask", "features/webpush/flask"));
        assert!(m("features/webpush/flask", "features/webpush/flask/app.py"));
        assert!(!m(
            "features/webpush/flask",
            "features/webpush/flask-admin/app.py"
        ));
        assert!(m("workflows/", "workflows/ci.yml") && !m("workflows/", "workflows"));
        let b = PathPattern::parse_branch("main").unwrap();
        assert!(b.is_match("main") && !b.is_match("main/x"));
    }

    #[test]
    fn glued_double_star_crosses_directories() {
        assert!(m("docs**", "docs/a/b") && m("docs**", "docs2"));
        assert!(m("a**b", "ab") && m("a**b", "a/x/y/b") && !m("a**b", "a/x/c"));
    }

    #[test]
    fn quantifiers_are_rejected_unless_escaped() {
        let e = PathPattern::parse("*.jsx?").unwrap_err();
        assert!(matches!(
            e,
            PathPatternError::Quantifier {
                quantifier: '?',
                ..
            }
        ));
        assert!(e.hint().unwrap().contains("{a,b}"));
        assert!(PathPattern::parse("src/c++/**").is_err());
        assert!(m(r"src/c\+\+/**", "src/c++/a.cc"));
        assert!(m("file[?]", "file?"));
    }

    #[test]
    fn bad_patterns() {
        for bad in [
            "",
            "!",
            "/docs",
            "./docs",
            "docs//a",
            "docs/../x",
            "docs/[a",
        ] {
            assert!(PathPattern::parse(bad).is_err(), "{bad}");
        }
    }
}
