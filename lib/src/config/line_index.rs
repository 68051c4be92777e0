//! `LineIndex`: turns byte offsets of a text into 1-based lines and columns, in logarithmic time.
//!
//! Checkers keep byte offsets ([`Span`](crate::config::json_document::Span)s) and ask for a line and column
//! only when they make a diagnostic. Counting the characters from the start of the line each time would
//! make a file written on one line quadratic (10,000 entries with 3 patterns each, every pattern warned
//! about, is 30,000 scans of a megabyte-long line), so the index is built once, in one pass: where each
//! line starts, and where each UTF-8 continuation byte is (the bytes that do not start a character). The
//! column is then the number of bytes since the line start minus the continuation bytes among them, two
//! binary searches. An ASCII file has no continuation bytes, so the second list is empty.
//!
//! The index is built when the first location is asked for, not before: checking a valid file makes no
//! diagnostic, so it never pays for one.

use std::sync::OnceLock;

use crate::config::diagnostic::Location;

/// A text, and where its lines start and its multi-byte characters are once a location is asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineIndex {
    text: String,
    built: OnceLock<Built>,
}

/// The index proper.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Built {
    /// The offset of the first byte of every line; the first is 0.
    line_starts: Vec<usize>,
    /// The offset of every UTF-8 continuation byte, ascending.
    continuation_bytes: Vec<usize>,
}

impl LineIndex {
    /// Keeps `text` to index it when a location is first asked for.
    pub fn new(text: impl Into<String>) -> Self {
        LineIndex {
            text: text.into(),
            built: OnceLock::new(),
        }
    }

    /// The text indexed.
    pub fn text(&self) -> &str {
        &self.text
    }

    fn built(&self) -> &Built {
        self.built.get_or_init(|| {
            let mut line_starts = vec![0];
            let mut continuation_bytes = Vec::new();
            for (i, &b) in self.text.as_bytes().iter().enumerate() {
                if b == b'\n' {
                    line_starts.push(i + 1);
                } else if b & 0b1100_0000 == 0b1000_0000 {
                    continuation_bytes.push(i);
                }
            }
            Built {
                line_starts,
                continuation_bytes,
            }
        })
    }

    /// The line and column of the byte at `offset` (past the end: the end of the text). Columns count
    /// characters, not bytes.
    pub fn location(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let built = self.built();
        // `line_starts[0]` is 0, so at least one start is <= offset.
        let line = built.line_starts.partition_point(|&s| s <= offset);
        let start = built.line_starts[line - 1];
        let multi_byte = built.continuation_bytes.partition_point(|&c| c < offset)
            - built.continuation_bytes.partition_point(|&c| c < start);
        Location {
            line,
            column: offset - start - multi_byte + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters() {
        let text = "ab\n\u{e9}\u{1f600}x\n\nend";
        let index = LineIndex::new(text);
        let at = |offset| {
            let l = index.location(offset);
            (l.line, l.column)
        };
        assert_eq!(at(0), (1, 1));
        assert_eq!(at(2), (1, 3), "the newline itself is on its line");
        assert_eq!(at(3), (2, 1));
        assert_eq!(at(text.find('\u{1f600}').unwrap()), (2, 2));
        assert_eq!(at(text.find('x').unwrap()), (2, 3));
        assert_eq!(at(text.find("\n\nend").unwrap() + 1), (3, 1));
        assert_eq!(at(text.find("end").unwrap()), (4, 1));
        assert_eq!(at(text.len() + 10), (4, 4), "past the end is the end");
    }

    #[test]
    fn agrees_with_counting_from_the_line_start() {
        let text =
            "{\"\u{e9}t\u{e9}\": [\"\u{65e5}\u{672c}\", 1],\r\n \"k\": \"\u{1f600}\u{1f600}\"}\n";
        let index = LineIndex::new(text);
        for (offset, _) in text.char_indices() {
            let before = &text[..offset];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap().chars().count() + 1;
            assert_eq!(
                index.location(offset),
                Location { line, column },
                "offset {offset}"
            );
        }
    }
}
