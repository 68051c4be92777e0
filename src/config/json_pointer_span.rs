//! Finding where, in a JSON text, the value at a JSON pointer starts, so problems found on the parsed value
//! can be reported with a line and column.
//!
//! A small scanner over already-valid JSON (the text has been parsed before a pointer is looked up), so it
//! only needs to skip strings, numbers and literals correctly.

/// The byte offset where the value at `pointer` (`/a/0/b`; `""` is the whole document) starts.
pub fn value_offset(text: &str, pointer: &str) -> Option<usize> {
    let segments: Vec<String> = if pointer.is_empty() {
        Vec::new()
    } else {
        pointer
            .strip_prefix('/')?
            .split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect()
    };
    let b = text.as_bytes();
    let mut pos = skip_ws(b, 0);
    for seg in &segments {
        match b.get(pos)? {
            b'{' => {
                pos = skip_ws(b, pos + 1);
                loop {
                    if b.get(pos)? == &b'}' {
                        return None;
                    }
                    let key_end = skip_string(b, pos)?;
                    let key: String = serde_json::from_str(&text[pos..key_end]).ok()?;
                    pos = skip_ws(b, key_end);
                    if b.get(pos)? != &b':' {
                        return None;
                    }
                    pos = skip_ws(b, pos + 1);
                    if &key == seg {
                        break;
                    }
                    pos = skip_ws(b, skip_value(b, pos)?);
                    match b.get(pos)? {
                        b',' => pos = skip_ws(b, pos + 1),
                        _ => return None,
                    }
                }
            }
            b'[' => {
                let want: usize = seg.parse().ok()?;
                pos = skip_ws(b, pos + 1);
                for _ in 0..want {
                    pos = skip_ws(b, skip_value(b, pos)?);
                    if b.get(pos)? != &b',' {
                        return None;
                    }
                    pos = skip_ws(b, pos + 1);
                }
                if b.get(pos)? == &b']' {
                    return None;
                }
            }
            _ => return None,
        }
    }
    Some(pos)
}

fn skip_ws(b: &[u8], mut pos: usize) -> usize {
    while pos < b.len() && b[pos].is_ascii_whitespace() {
        pos += 1;
    }
    pos
}

fn skip_string(b: &[u8], pos: usize) -> Option<usize> {
    if b.get(pos)? != &b'"' {
        return None;
    }
    let mut i = pos + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

fn skip_value(b: &[u8], pos: usize) -> Option<usize> {
    match b.get(pos)? {
        b'"' => skip_string(b, pos),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = pos;
            while i < b.len() {
                match b[i] {
                    b'"' => {
                        i = skip_string(b, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => {
            let mut i = pos;
            while i < b.len() && !matches!(b[i], b',' | b'}' | b']') && !b[i].is_ascii_whitespace()
            {
                i += 1;
            }
            Some(i)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_values() {
        let t = "{\n  \"a\": [1, {\"b\": \"x,}\"}],\n  \"c/d\": true\n}";
        assert_eq!(&t[value_offset(t, "/a/1/b").unwrap()..][..5], "\"x,}\"");
        assert_eq!(&t[value_offset(t, "/c~1d").unwrap()..][..4], "true");
        assert_eq!(value_offset(t, ""), Some(0));
        assert_eq!(value_offset(t, "/zz"), None);
        assert_eq!(value_offset(t, "/a/5"), None);
    }
}
