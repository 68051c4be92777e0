//! Escaping text that did not come from ecosync itself (payload strings, file names from a tree) before it
//! is printed or put into a pull request, a commit message or an issue.
//!
//! Two dangers. In a log, a newline followed by `::` is a workflow command to the GitHub Actions runner
//! (`::add-mask::`, `::stop-commands::`), so no outside string may ever start a line: [`line`] escapes every
//! control character. In Markdown, an outside string could carry a live link, an `@`-mention or HTML:
//! [`markdown_code`] writes it as inline code from which nothing can break out.

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for a character that must not reach a log line or a Markdown text raw: control characters (a
/// newline could start a workflow command) and the Unicode line separators and bidirectional overrides,
/// which make a text read differently from what it holds.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` on one line: every control character (and line separator, bidirectional override) escaped as Rust
/// does (`\n`, `\t`, `\u{1b}`), everything else as it is. Plain text comes back borrowed.
pub fn line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            let _ = write!(out, "{}", c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The most characters of one outside string a message shows (see [`shown`]).
pub const SHOWN_CHARS: usize = 200;

/// `s` cut to `max_chars` characters, the cut marked with how much was left out: `aaaa… (49,999,800 more
/// bytes)`. Plain and short text comes back borrowed. Nothing else is changed: combine with [`line`].
pub fn shorten(s: &str, max_chars: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max_chars) {
        None => Cow::Borrowed(s),
        Some((cut, _)) => Cow::Owned(format!(
            "{}… ({} more bytes)",
            &s[..cut],
            thousands(s.len() - cut)
        )),
    }
}

/// `s` as a message shows a string from outside: on one line ([`line`]) and at most [`SHOWN_CHARS`]
/// characters ([`shorten`]).
pub fn shown(s: &str) -> Cow<'_, str> {
    match shorten(s, SHOWN_CHARS) {
        Cow::Borrowed(b) => line(b),
        Cow::Owned(o) => Cow::Owned(line(&o).into_owned()),
    }
}

/// `12345678` as `12,345,678`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// True for a character that is kept as it is inside [`markdown_code`]: letters, digits and the punctuation
/// of paths and glob patterns. No backtick (it would end the code span), no `@` (a mention), no `<` (HTML),
/// no `[`, `]`, `(`, `)` (links), no backslash.
fn is_plain(c: char) -> bool {
    (c.is_alphanumeric() && !is_unsafe(c)) || "/._-*?!{},+=:%~#".contains(c)
}

/// `s` as Markdown inline code that cannot be broken out of: cut to `max_chars` characters (marked `…`),
/// every character outside letters, digits and `/._-*?!{},+=:%~#` written as `\u{..}`, in backticks.
/// GitHub renders nothing inside inline code: no link, no mention, no HTML.
pub fn markdown_code(s: &str, max_chars: usize) -> String {
    let mut out = String::from("`");
    for (i, c) in s.chars().enumerate() {
        if i == max_chars {
            out.push('…');
            break;
        }
        if is_plain(c) {
            out.push(c);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
    out.push('`');
    out
}

/// The first `max_items` of `items` as [`markdown_code`], joined with `, `, then `and N more` when some were
/// left out.
pub fn markdown_code_list(items: &[String], max_items: usize, max_chars: usize) -> String {
    let mut out = items
        .iter()
        .take(max_items)
        .map(|i| markdown_code(i, max_chars))
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > max_items {
        let _ = write!(out, " and {} more", items.len() - max_items);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_escapes_controls_only() {
        assert!(matches!(line("features/x/a.txt"), Cow::Borrowed(_)));
        assert_eq!(line("a\n::warning::pwned"), r"a\n::warning::pwned");
        assert_eq!(line("tab\there é"), r"tab\there é");
        assert_eq!(line("rtl\u{202e}x"), r"rtl\u{202e}x");
    }

    #[test]
    fn long_text_is_cut_with_a_count() {
        assert!(matches!(shorten("abc", 3), Cow::Borrowed("abc")));
        assert_eq!(shorten("abcdef", 3), "abc… (3 more bytes)");
        assert_eq!(shorten("ééé", 1), "é… (4 more bytes)");
        let big = "a".repeat(50_000_000);
        let s = shown(&big);
        assert_eq!(s.len(), SHOWN_CHARS + "… (49,999,800 more bytes)".len());
        assert_eq!(shown("a\n::error::x"), r"a\n::error::x");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
    }

    #[test]
    fn markdown_code_cannot_be_broken_out_of() {
        assert_eq!(markdown_code("features/x/**", 100), "`features/x/**`");
        let evil = "x` @octocat <img src=x> [a](https://evil.example)";
        let shown = markdown_code(evil, 100);
        assert_eq!(shown.matches('`').count(), 2, "{shown}");
        for bad in ['@', '<', '>', '[', ']', '(', ')', ' ', '\n'] {
            assert!(!shown.contains(bad), "{bad:?} survived in {shown}");
        }
        assert_eq!(markdown_code("abcdef", 3), "`abc…`");
        assert_eq!(
            markdown_code_list(&["a".into(), "b".into(), "c".into()], 2, 10),
            "`a`, `b` and 1 more"
        );
    }
}
