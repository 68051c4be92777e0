//! `TreeSuggestions`: for a subscription that matches no file of a tree, the closest path the tree does have
//! (`Docs/**` → `docs/**`, `features/webpush/flsk` → `features/webpush/flask`), for `validate`'s hint.

use std::collections::BTreeSet;

/// How many unmatched patterns get a suggestion: each one compares its literal start with every path of
/// the tree, so a file with thousands of patterns that match nothing (a wrong `--repo`) stays fast.
const MAX_SUGGESTIONS: usize = 50;

/// The least Jaro-Winkler similarity (case ignored) for a path to be suggested.
const MIN_SIMILARITY: f64 = 0.85;

/// The files and directories of a tree, and how many suggestions were made.
pub(super) struct TreeSuggestions {
    paths: BTreeSet<String>,
    made: usize,
}

impl TreeSuggestions {
    pub(super) fn new<S: AsRef<str>>(tree_paths: &[S]) -> Self {
        let mut paths = BTreeSet::new();
        for p in tree_paths {
            let p = p.as_ref();
            let mut end = 0;
            // Every directory above the file, then the file.
            while let Some(slash) = p[end..].find('/') {
                end += slash;
                paths.insert(p[..end].to_owned());
                end += 1;
            }
            paths.insert(p.to_owned());
        }
        TreeSuggestions { paths, made: 0 }
    }

    /// `pattern` with its literal start (up to its first glob character, a whole number of path
    /// components) replaced by the closest path of the tree with as many components, if one is close.
    pub(super) fn closest(&mut self, pattern: &str) -> Option<String> {
        if self.made >= MAX_SUGGESTIONS || pattern.starts_with('!') {
            return None;
        }
        let glob = pattern
            .find(['*', '?', '[', '{', '\\'])
            .unwrap_or(pattern.len());
        let literal = match pattern[..glob].rfind('/') {
            Some(slash) if glob < pattern.len() => &pattern[..slash],
            _ if glob < pattern.len() => return None,
            _ => pattern.trim_end_matches('/'),
        };
        if literal.is_empty() || self.paths.contains(literal) {
            return None;
        }
        let depth = literal.matches('/').count();
        let lower = literal.to_lowercase();
        let best = self
            .paths
            .iter()
            .filter(|p| p.matches('/').count() == depth)
            .map(|p| (strsim::jaro_winkler(&lower, &p.to_lowercase()), p))
            .filter(|(score, _)| *score >= MIN_SIMILARITY)
            .max_by(|a, b| a.0.total_cmp(&b.0))?;
        self.made += 1;
        Some(format!("{}{}", best.1, &pattern[literal.len()..]))
    }
}

#[cfg(test)]
mod tests {
    use super::TreeSuggestions;

    fn closest(pattern: &str) -> Option<String> {
        let tree = [
            "docs/guide.md",
            "features/webpush/flask/app.py",
            "README.md",
        ];
        TreeSuggestions::new(&tree).closest(pattern)
    }

    #[test]
    fn a_wrong_case_or_a_typo_gets_the_path_the_tree_has() {
        assert_eq!(closest("Docs/**").as_deref(), Some("docs/**"));
        assert_eq!(
            closest("features/webpush/flsk").as_deref(),
            Some("features/webpush/flask")
        );
        assert_eq!(closest("READNE.md").as_deref(), Some("README.md"));
    }

    #[test]
    fn nothing_close_nothing_literal_or_a_negation_gets_nothing() {
        assert_eq!(closest("totally/else/**"), None);
        assert_eq!(closest("**/*.rs"), None);
        assert_eq!(closest("!Docs/**"), None);
        // The literal start exists: the glob after it is what matches nothing.
        assert_eq!(closest("docs/*.txt"), None);
    }
}
