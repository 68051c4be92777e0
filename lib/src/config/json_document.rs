//! `JsonDocument`: a strict JSON file parsed once, keeping the line and column of every value and key.
//!
//! Configuration validators walk the [`JsonNode`] tree themselves, so they can report every problem at
//! once, each at its own place, instead of stopping at serde's first error. The document knows nothing
//! about what the JSON means; it only parses, locates and builds [`Diagnostic`]s.
//!
//! Syntax is checked by `serde_json` (its messages and positions are the ones people know from other
//! tools; `jsonc-parser` in strict mode names a syntax error more precisely when it can), and the tree with
//! positions is built by `jiter` in one pass over a valid file, with no intermediate syntax tree.
//!
//! Values keep byte spans only; a line and column is computed (by the [`LineIndex`]) when a diagnostic is
//! made, so checking a large file costs the same whatever its layout.

use std::sync::Arc;

use crate::config::diagnostic::{Diagnostic, Location};
use crate::config::line_index::LineIndex;

/// A byte range in the document's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset just past the last byte.
    pub end: usize,
}

/// A JSON value with the place it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonNode {
    /// Where the value is in the text.
    pub span: Span,
    /// The value itself.
    pub value: JsonValue,
}

/// A JSON value whose children are [`JsonNode`]s. Objects keep their members in written order,
/// duplicates included.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written.
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<JsonNode>),
    /// An object, members in written order.
    Object(Vec<JsonMember>),
}

/// One `"key": value` member of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonMember {
    /// The key, unescaped.
    pub key: String,
    /// Where the key is in the text.
    pub key_span: Span,
    /// The value.
    pub value: JsonNode,
}

/// A parsed JSON file: its name, its tree and what is needed to turn byte offsets into lines and columns.
#[derive(Debug, Clone)]
pub struct JsonDocument {
    file: String,
    lines: Arc<LineIndex>,
    root: JsonNode,
}

/// jsonc-parser in strict mode: no comments, no trailing commas, no single quotes, no JSON5 extensions.
const STRICT: jsonc_parser::ParseOptions = jsonc_parser::ParseOptions {
    allow_comments: false,
    allow_loose_object_property_names: false,
    allow_trailing_commas: false,
    allow_missing_commas: false,
    allow_single_quoted_strings: false,
    allow_hexadecimal_numbers: false,
    allow_unary_plus_numbers: false,
    allow_bare_decimal_point_numbers: false,
    allow_non_finite_numbers: false,
    allow_extended_string_escapes: false,
};

/// The hint given with every syntax error.
const SYNTAX_HINT: &str = "the file must be strict JSON: no comments, no trailing commas, keys and strings in double quotes";

impl JsonDocument {
    /// Parses `text`, read from `file` (used only in diagnostics). A syntax error comes back as one
    /// diagnostic with its line and column.
    pub fn parse(
        file: impl Into<String>,
        text: impl Into<String>,
    ) -> Result<Self, Box<Diagnostic>> {
        let file = file.into();
        let text = text.into();
        // A byte-order mark is valid UTF-8 but not JSON; some Windows editors add it. Named, it is a
        // one-click fix; as a syntax error ("expected value at line 1 column 1") it is a puzzle.
        if text.starts_with('\u{feff}') {
            return Err(Box::new(
                Diagnostic::error(
                    &file,
                    "the file starts with a UTF-8 byte-order mark (U+FEFF), which JSON does not allow",
                )
                .at(Location { line: 1, column: 1 })
                .hint("save it as UTF-8 without BOM (in most editors: encoding \"UTF-8\", not \"UTF-8 with BOM\")"),
            ));
        }
        let lines = LineIndex::new(text);
        let text = lines.text();
        // Before any parser: nesting that would exhaust a parser's stack, and strings so long that every
        // message naming them would be huge, are refused where they start.
        if let Some((at, limit)) = exceeded_limit(text.as_bytes()) {
            return Err(Box::new(
                Diagnostic::error(&file, limit.message())
                    .at(lines.location(at))
                    .hint(limit.hint()),
            ));
        }
        // serde_json is the authority on what JSON is.
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
            return Err(Box::new(syntax_error(&file, text, &lines, &e)));
        }
        // A valid file is read into the tree in one pass (jiter); jsonc-parser's syntax tree is built only
        // to name a syntax error, or if jiter ever disagrees with serde_json on exotic input.
        let root = match tree(text) {
            Some(root) => root,
            None => match jsonc_parser::parse_to_ast(
                text,
                &jsonc_parser::CollectOptions::default(),
                &STRICT,
            ) {
                Ok(jsonc_parser::ParseResult {
                    value: Some(value), ..
                }) => convert(value),
                Ok(_) => {
                    return Err(Box::new(
                        Diagnostic::error(&file, "invalid JSON: the file is empty")
                            .hint(SYNTAX_HINT),
                    ));
                }
                Err(e) => {
                    let at = lines.location(e.range().start);
                    return Err(Box::new(
                        Diagnostic::error(
                            &file,
                            format!("invalid JSON: {}", lowercase_first(&e.kind().to_string())),
                        )
                        .at(at)
                        .hint(SYNTAX_HINT),
                    ));
                }
            },
        };
        Ok(JsonDocument {
            file,
            lines: Arc::new(lines),
            root,
        })
    }

    /// The file name given to [`JsonDocument::parse`].
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The top-level value.
    pub fn root(&self) -> &JsonNode {
        &self.root
    }

    /// The line and column of the start of `span`.
    pub fn location(&self, span: Span) -> Location {
        self.lines.location(span.start)
    }

    /// The index that locates byte offsets in the text, for diagnostics made after the document is gone
    /// (e.g. warnings about a loaded configuration).
    pub fn line_index(&self) -> Arc<LineIndex> {
        Arc::clone(&self.lines)
    }

    /// An error located at `span`.
    pub fn error_at(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(&self.file, message).at(self.location(span))
    }

    /// A warning located at `span`.
    pub fn warning_at(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::warning(&self.file, message).at(self.location(span))
    }

    /// One error per key that appears twice in the same object, anywhere in the document, at the second
    /// occurrence. serde would silently keep the last one.
    pub fn duplicate_keys(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        self.collect_duplicate_keys(&self.root, &mut out);
        out
    }

    fn collect_duplicate_keys(&self, node: &JsonNode, out: &mut Vec<Diagnostic>) {
        match &node.value {
            JsonValue::Array(items) => {
                for item in items {
                    self.collect_duplicate_keys(item, out);
                }
            }
            JsonValue::Object(members) => {
                let mut seen = std::collections::HashMap::new();
                for m in members {
                    if let Some(first) = seen.insert(m.key.as_str(), m.key_span) {
                        let first = self.location(first);
                        out.push(
                            self.error_at(m.key_span, format!("key `{}` appears twice", m.key))
                                .hint(format!(
                                    "it was first given at line {}, column {}; keep one",
                                    first.line, first.column
                                )),
                        );
                    }
                    self.collect_duplicate_keys(&m.value, out);
                }
            }
            _ => {}
        }
    }
}

impl JsonNode {
    /// The kind of value with its article, for messages: `an array`, `a string`, ...
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            JsonValue::Null => "null",
            JsonValue::Bool(_) => "a boolean",
            JsonValue::Number(_) => "a number",
            JsonValue::String(_) => "a string",
            JsonValue::Array(_) => "an array",
            JsonValue::Object(_) => "an object",
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            JsonValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            JsonValue::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[JsonNode]> {
        match &self.value {
            JsonValue::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The members, if this is an object.
    pub fn as_object(&self) -> Option<&[JsonMember]> {
        match &self.value {
            JsonValue::Object(members) => Some(members),
            _ => None,
        }
    }

    /// The last member named `key`, if this is an object that has one (the last, as serde would).
    pub fn get(&self, key: &str) -> Option<&JsonNode> {
        self.as_object()?
            .iter()
            .rev()
            .find(|m| m.key == key)
            .map(|m| &m.value)
    }

    /// The value as a `serde_json::Value` without positions, e.g. to deserialize it with serde once it has
    /// been checked.
    pub fn to_value(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.value {
            JsonValue::Null => Value::Null,
            JsonValue::Bool(b) => Value::Bool(*b),
            JsonValue::Number(n) => n
                .parse::<serde_json::Number>()
                .map_or(Value::Null, Value::Number),
            JsonValue::String(s) => Value::String(s.clone()),
            JsonValue::Array(items) => Value::Array(items.iter().map(JsonNode::to_value).collect()),
            JsonValue::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|m| (m.key.clone(), m.value.to_value()))
                    .collect(),
            ),
        }
    }
}

/// The deepest nesting of arrays and objects a configuration file may have (no setting is nested more than
/// a few levels; parsers recurse once per level).
pub const MAX_DEPTH: usize = 64;

/// The longest string (or key) a configuration file may hold, in bytes as written: GitHub's own limit on
/// a pull request's or an issue's body, the longest text any setting becomes.
pub const MAX_STRING_BYTES: usize = 65_536;

/// A limit a text goes past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    /// Nested deeper than [`MAX_DEPTH`].
    Depth,
    /// A string this many bytes long (as written), more than [`MAX_STRING_BYTES`].
    String(usize),
}

impl Limit {
    fn message(self) -> String {
        match self {
            Limit::Depth => format!(
                "invalid configuration: arrays and objects are nested more than {MAX_DEPTH} levels deep here"
            ),
            Limit::String(len) => format!(
                "invalid configuration: a string of {} bytes; strings are at most {} bytes",
                crate::escape::thousands(len),
                crate::escape::thousands(MAX_STRING_BYTES)
            ),
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Limit::Depth => {
                "no setting is nested this deep: check the file was not generated by mistake"
            }
            Limit::String(_) => {
                "no name, path or text ecosync uses is this long: check the file was not generated by mistake"
            }
        }
    }
}

/// The first place where `text` goes past [`MAX_DEPTH`] or [`MAX_STRING_BYTES`]: the offset of the opening
/// bracket or quote, and which limit. One pass over the bytes, nothing allocated; it reads any text,
/// valid JSON or not.
fn exceeded_limit(text: &[u8]) -> Option<(usize, Limit)> {
    let mut depth = 0usize;
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some((i, Limit::Depth));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'"' => {
                let start = i;
                i += 1;
                while i < text.len() && text[i] != b'"' {
                    // An escape's next byte is never the end of the string.
                    i += if text[i] == b'\\' { 2 } else { 1 };
                }
                let len = i.min(text.len()) - start - 1;
                if len > MAX_STRING_BYTES {
                    return Some((start, Limit::String(len)));
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The diagnostic of a text `serde_json` rejects. jsonc-parser's messages are more specific ("trailing
/// commas are not allowed" rather than "expected value"), so they are preferred when both reject.
fn syntax_error(file: &str, text: &str, lines: &LineIndex, e: &serde_json::Error) -> Diagnostic {
    let strict =
        jsonc_parser::parse_to_ast(text, &jsonc_parser::CollectOptions::default(), &STRICT);
    let (message, location) = if let Err(pe) = strict {
        (
            lowercase_first(&pe.kind().to_string()),
            lines.location(pe.range().start),
        )
    } else {
        let full = e.to_string();
        let message = match full.rfind(" at line ") {
            Some(i) => full[..i].to_owned(),
            None => full,
        };
        let location = Location {
            line: e.line().max(1),
            column: e.column().max(1),
        };
        (message, location)
    };
    Diagnostic::error(file, format!("invalid JSON: {message}"))
        .at(location)
        .hint(SYNTAX_HINT)
}

/// The tree of a text `serde_json` accepted, read by jiter with the span of every value and key; `None`
/// if jiter rejects it after all.
fn tree(text: &str) -> Option<JsonNode> {
    let data = text.as_bytes();
    let mut jiter = jiter::Jiter::new(data);
    let peek = jiter.peek().ok()?;
    let root = node(&mut jiter, data, peek).ok()?;
    jiter.finish().ok()?;
    Some(root)
}

/// The value that starts at `jiter`'s position, whose first byte was `peek`. (Nesting is bounded: the text
/// was refused before parsing if it nests more than [`MAX_DEPTH`] levels.)
fn node(
    jiter: &mut jiter::Jiter<'_>,
    data: &[u8],
    peek: jiter::Peek,
) -> jiter::JiterResult<JsonNode> {
    use jiter::Peek;
    let start = jiter.current_index();
    let value = match peek {
        Peek::Null => {
            jiter.known_null()?;
            JsonValue::Null
        }
        Peek::True | Peek::False => JsonValue::Bool(jiter.known_bool(peek)?),
        Peek::String => JsonValue::String(jiter.known_str()?.to_owned()),
        Peek::Array => {
            let mut items = Vec::new();
            let mut next = jiter.known_array()?;
            while let Some(peek) = next {
                items.push(node(jiter, data, peek)?);
                next = jiter.array_step()?;
            }
            JsonValue::Array(items)
        }
        Peek::Object => {
            let mut members = Vec::new();
            let mut key = jiter.next_object_bytes()?.map(|k| raw_key(data, k));
            while let Some((key_span, raw)) = key {
                let peek = jiter.peek()?;
                members.push(JsonMember {
                    key: unescape_key(&data[key_span.start..key_span.end], raw),
                    key_span,
                    value: node(jiter, data, peek)?,
                });
                key = jiter.next_key_bytes()?.map(|k| raw_key(data, k));
            }
            JsonValue::Object(members)
        }
        _ => {
            JsonValue::Number(String::from_utf8_lossy(jiter.known_number_bytes(peek)?).into_owned())
        }
    };
    Ok(JsonNode {
        span: Span {
            start,
            end: jiter.current_index(),
        },
        value,
    })
}

/// The span of a key, quotes included, from the slice of `data` jiter returned for its contents, and
/// whether it has an escape.
fn raw_key(data: &[u8], contents: &[u8]) -> (Span, bool) {
    // The slice is part of `data`: its offset is the distance between the two.
    let start = contents.as_ptr() as usize - data.as_ptr() as usize;
    (
        Span {
            start: start - 1,
            end: start + contents.len() + 1,
        },
        contents.contains(&b'\\'),
    )
}

/// A key's text from its quoted source; one with an escape (rare in a configuration) is decoded by
/// `serde_json`.
fn unescape_key(quoted: &[u8], escaped: bool) -> String {
    let contents = &quoted[1..quoted.len() - 1];
    if escaped {
        serde_json::from_slice(quoted).unwrap_or_default()
    } else {
        String::from_utf8_lossy(contents).into_owned()
    }
}

fn span(range: jsonc_parser::common::Range) -> Span {
    Span {
        start: range.start,
        end: range.end,
    }
}

fn convert(value: jsonc_parser::ast::Value<'_>) -> JsonNode {
    use jsonc_parser::ast::{ObjectPropName, Value};
    match value {
        Value::StringLit(s) => JsonNode {
            span: span(s.range),
            value: JsonValue::String(s.value.into_owned()),
        },
        Value::NumberLit(n) => JsonNode {
            span: span(n.range),
            value: JsonValue::Number(n.value.to_owned()),
        },
        Value::BooleanLit(b) => JsonNode {
            span: span(b.range),
            value: JsonValue::Bool(b.value),
        },
        Value::NullKeyword(n) => JsonNode {
            span: span(n.range),
            value: JsonValue::Null,
        },
        Value::Array(a) => JsonNode {
            span: span(a.range),
            value: JsonValue::Array(a.elements.into_iter().map(convert).collect()),
        },
        Value::Object(o) => JsonNode {
            span: span(o.range),
            value: JsonValue::Object(
                o.properties
                    .into_iter()
                    .map(|p| {
                        let (key, key_span) = match p.name {
                            ObjectPropName::String(s) => (s.value.into_owned(), span(s.range)),
                            ObjectPropName::Word(w) => (w.value.to_owned(), span(w.range)),
                        };
                        JsonMember {
                            key,
                            key_span,
                            value: convert(p.value),
                        }
                    })
                    .collect(),
            ),
        },
    }
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions_of_values_and_keys() {
        let doc =
            JsonDocument::parse("x.json", "[\n  {\"repo\": \"a/b\",\n   \"é\": 1}\n]").unwrap();
        let entry = &doc.root().as_array().unwrap()[0];
        assert_eq!(doc.location(entry.span), Location { line: 2, column: 3 });
        let repo = entry.get("repo").unwrap();
        assert_eq!(repo.as_str(), Some("a/b"));
        assert_eq!(
            doc.location(repo.span),
            Location {
                line: 2,
                column: 12
            }
        );
        let members = entry.as_object().unwrap();
        assert_eq!(
            doc.location(members[1].key_span),
            Location { line: 3, column: 4 }
        );
        assert_eq!(
            doc.location(members[1].value.span),
            Location { line: 3, column: 9 }
        );
    }

    #[test]
    fn the_one_pass_tree_is_the_syntax_trees_tree() {
        // Spans of keys and values, escapes in keys and strings, numbers as written, every kind of value,
        // empty containers and odd whitespace: jiter's tree must be exactly what jsonc-parser's gives.
        let text = "\u{20}[ {\"a\\\"b\": \"x\\u00e9\\n\", \"é\" :-1.50e+3,\"n\":null},\r\n\t[true,false, [], {}],\n  \"日本\", 0 ]\n";
        let ast =
            jsonc_parser::parse_to_ast(text, &jsonc_parser::CollectOptions::default(), &STRICT)
                .unwrap()
                .value
                .unwrap();
        let expected = convert(ast);
        assert_eq!(tree(text), Some(expected.clone()));
        let members = expected.as_array().unwrap()[0].as_object().unwrap();
        assert_eq!(members[0].key, "a\"b");
        assert_eq!(members[1].value.value, JsonValue::Number("-1.50e+3".into()));
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let err = JsonDocument::parse("x.json", "[\n  \"a\",\n]").unwrap_err();
        assert_eq!(err.location, Some(Location { line: 2, column: 6 }));
        assert_eq!(err.message, "invalid JSON: trailing commas are not allowed");
        let err = JsonDocument::parse("x.json", "[1] // c").unwrap_err();
        assert!(err.message.starts_with("invalid JSON"), "{}", err.message);
        let err = JsonDocument::parse("x.json", "").unwrap_err();
        assert!(err.message.starts_with("invalid JSON"), "{}", err.message);
    }

    #[test]
    fn deep_nesting_and_huge_strings_are_refused_where_they_start() {
        let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
        let err = JsonDocument::parse("x.json", deep).unwrap_err();
        assert!(
            err.message.contains("nested more than 64 levels"),
            "{}",
            err.message
        );
        assert_eq!(
            err.location,
            Some(Location {
                line: 1,
                column: 65
            })
        );
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(JsonDocument::parse("x.json", ok).is_ok());
        let huge = format!("[\n  \"{}\"]", "a".repeat(MAX_STRING_BYTES + 1));
        let err = JsonDocument::parse("x.json", huge).unwrap_err();
        assert_eq!(
            err.message,
            "invalid configuration: a string of 65,537 bytes; strings are at most 65,536 bytes"
        );
        assert_eq!(err.location, Some(Location { line: 2, column: 3 }));
        // Brackets and escaped quotes inside strings are text.
        let text = format!("[\"{}\\\"\"]", "[".repeat(100));
        assert!(JsonDocument::parse("x.json", text).is_ok());
        // An unterminated string is a syntax error, not a limit.
        let err = JsonDocument::parse("x.json", "[\"abc").unwrap_err();
        assert!(err.message.starts_with("invalid JSON"), "{}", err.message);
    }

    #[test]
    fn a_byte_order_mark_is_named() {
        let err = JsonDocument::parse("x.json", "\u{feff}[]").unwrap_err();
        assert_eq!(
            err.message,
            "the file starts with a UTF-8 byte-order mark (U+FEFF), which JSON does not allow"
        );
        assert_eq!(err.location, Some(Location { line: 1, column: 1 }));
        assert!(err.hint.unwrap().contains("without BOM"));
    }

    #[test]
    fn duplicate_keys_are_reported_at_the_second() {
        let doc = JsonDocument::parse("x.json", "{\"a\": 1,\n \"a\": 2}").unwrap();
        let d = doc.duplicate_keys();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].location, Some(Location { line: 2, column: 2 }));
        assert_eq!(
            doc.root().get("a").unwrap().to_value(),
            serde_json::json!(2)
        );
    }
}
