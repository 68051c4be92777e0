//! `SubscriptionMatcher`: the patterns of every entry compiled once, matched against each path in one pass.
//!
//! Matching a path answers for every glob of every entry together; the answer is then folded per entry into
//! "the last of this entry's patterns that matches". So N paths against M entries cost N lookups plus the
//! number of actual matches, never N x M glob evaluations.
//!
//! One plain `GlobSet` is not enough for that: globset runs globs that only share a required extension
//! (`services/api/**/*.rs`, `!services/web/*.rs`, ...) one regex at a time for every path with that extension,
//! which is N x M again in a monorepo where every entry subscribes to some `.rs` files. So each glob is split
//! at its leading literal directory (`services/api` + `**/*.rs`). The tails, deduplicated (a thousand entries
//! typically write a handful of distinct tails: `**`, `*.md`, `**/*.rs`...), form one `GlobSet`; a path is
//! run through it once per ancestor directory that some glob names, and a tail's match counts only for the
//! globs of that directory. Globs that start with a wildcard form a second `GlobSet`, run once per path.

use std::collections::HashMap;

use globset::{Candidate, GlobSet, GlobSetBuilder};

use crate::dispatch::path_pattern::{PathPattern, build_glob};

/// Why the matcher could not be built (only when a pattern was not checked by [`PathPattern::parse`]).
#[derive(Debug, thiserror::Error)]
#[error("cannot compile the subscription patterns: {0}")]
pub struct MatcherError(#[from] globset::Error);

/// The decision of one entry for one path: the index (in the entry) of the last pattern that matched it,
/// and whether that pattern is positive (the path is included) or negated (excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastMatch {
    /// Index of the entry.
    pub entry: usize,
    /// Index of the pattern in the entry.
    pub pattern: usize,
    /// Whether the pattern is positive, so the path is included.
    pub included: bool,
}

/// Buffers reused from one path to the next, so matching allocates nothing per path.
#[derive(Debug, Default)]
pub struct Scratch {
    globs: Vec<usize>,
    owners: Vec<(u32, u32)>,
}

/// An (entry, pattern) pair.
type Owner = (u32, u32);

/// The globs of one literal directory: (tail index, owner), sorted by tail index.
type DirMembers = Vec<(usize, Owner)>;

/// Every entry's patterns, compiled once.
#[derive(Debug, Clone)]
pub struct SubscriptionMatcher {
    /// Globs that start with a wildcard component, matched against the whole path.
    rooted: GlobSet,
    /// For each glob of `rooted`: (entry, pattern).
    rooted_owners: Vec<(u32, u32)>,
    /// The distinct tails of the globs that start with a literal directory, matched against the part of
    /// the path below that directory.
    tails: GlobSet,
    /// For each literal directory: (tail index, (entry, pattern)) of its globs, sorted by tail index.
    by_dir: HashMap<String, DirMembers>,
    /// For each entry, for each pattern: whether it is negated.
    negated: Vec<Vec<bool>>,
}

impl SubscriptionMatcher {
    /// Compiles the patterns of all entries, `entries[e]` being entry `e`'s patterns in order.
    pub fn new(entries: &[Vec<PathPattern>]) -> Result<Self, MatcherError> {
        let mut rooted = GlobSetBuilder::new();
        let mut rooted_owners = Vec::new();
        let mut tails = GlobSetBuilder::new();
        let mut tail_ids: HashMap<&str, usize> = HashMap::new();
        let mut by_dir: HashMap<String, DirMembers> = HashMap::new();
        let mut negated = Vec::with_capacity(entries.len());
        for (e, patterns) in entries.iter().enumerate() {
            negated.push(patterns.iter().map(PathPattern::is_negated).collect());
            for (p, pattern) in patterns.iter().enumerate() {
                let owner = (index_u32(e), index_u32(p));
                for glob in pattern.globs() {
                    if let Some(dir) = literal_dir(glob) {
                        let tail = &glob[dir.len() + 1..];
                        let next = tail_ids.len();
                        let id = *tail_ids.entry(tail).or_insert(next);
                        if id == next {
                            tails.add(build_glob(tail)?);
                        }
                        by_dir.entry(dir.to_owned()).or_default().push((id, owner));
                    } else {
                        rooted.add(build_glob(glob)?);
                        rooted_owners.push(owner);
                    }
                }
            }
        }
        for members in by_dir.values_mut() {
            members.sort_unstable();
        }
        Ok(SubscriptionMatcher {
            rooted: rooted.build()?,
            rooted_owners,
            tails: tails.build()?,
            by_dir,
            negated,
        })
    }

    /// How many entries the matcher was built with.
    pub fn entry_count(&self) -> usize {
        self.negated.len()
    }

    /// Every (entry, pattern) with a glob matching `path`, sorted, into `scratch.owners`.
    fn matching_owners(&self, path: &str, scratch: &mut Scratch) {
        scratch.owners.clear();
        self.rooted
            .matches_candidate_into(&Candidate::new(path), &mut scratch.globs);
        scratch
            .owners
            .extend(scratch.globs.iter().map(|&g| self.rooted_owners[g]));
        for (i, _) in path.match_indices('/') {
            let Some(members) = self.by_dir.get(&path[..i]) else {
                continue;
            };
            self.tails
                .matches_candidate_into(&Candidate::new(&path[i + 1..]), &mut scratch.globs);
            for &tail in &scratch.globs {
                let from = members.partition_point(|&(t, _)| t < tail);
                scratch.owners.extend(
                    members[from..]
                        .iter()
                        .take_while(|&&(t, _)| t == tail)
                        .map(|&(_, owner)| owner),
                );
            }
        }
        scratch.owners.sort_unstable();
    }

    /// For one path, the decision of every entry that has a pattern matching it, in entry order.
    pub fn last_matches(&self, path: &str, scratch: &mut Scratch, out: &mut Vec<LastMatch>) {
        out.clear();
        self.matching_owners(path, scratch);
        for &(e, p) in &scratch.owners {
            let (entry, pattern) = (e as usize, p as usize);
            let decision = LastMatch {
                entry,
                pattern,
                included: !self.negated[entry][pattern],
            };
            match out.last_mut() {
                Some(last) if last.entry == entry => *last = decision,
                _ => out.push(decision),
            }
        }
    }

    /// For each path (by index), which entries include it and which pattern is credited: returns, per entry,
    /// the list of `(path index, pattern index)` it includes, in path order.
    pub fn match_paths<S: AsRef<str>>(&self, paths: &[S]) -> Vec<Vec<(usize, usize)>> {
        let mut per_entry = vec![Vec::new(); self.entry_count()];
        let mut scratch = Scratch::default();
        let mut decisions = Vec::new();
        for (i, path) in paths.iter().enumerate() {
            self.last_matches(path.as_ref(), &mut scratch, &mut decisions);
            for d in &decisions {
                if d.included {
                    per_entry[d.entry].push((i, d.pattern));
                }
            }
        }
        per_entry
    }

    /// For each entry, for each pattern: whether any of `paths` matches it, regardless of order and
    /// negation (used to warn about patterns that match nothing).
    pub fn patterns_hit<S: AsRef<str>>(&self, paths: &[S]) -> Vec<Vec<bool>> {
        let mut hit: Vec<Vec<bool>> = self.negated.iter().map(|n| vec![false; n.len()]).collect();
        let mut scratch = Scratch::default();
        for path in paths {
            self.matching_owners(path.as_ref(), &mut scratch);
            for &(e, p) in &scratch.owners {
                hit[e as usize][p as usize] = true;
            }
        }
        hit
    }
}

/// The leading directory of `glob` made only of literal components (`services/api` for
/// `services/api/**/*.rs`), if it has one. Every path the glob matches starts with it and a `/`.
fn literal_dir(glob: &str) -> Option<&str> {
    let mut end = None;
    let mut start = 0;
    for (i, _) in glob.match_indices('/') {
        let component = &glob[start..i];
        if component.is_empty() || component.contains(['*', '?', '[', ']', '{', '}', '\\']) {
            break;
        }
        end = Some(i);
        start = i + 1;
    }
    end.map(|e| &glob[..e])
}

/// Entry and pattern counts are far below `u32::MAX` (a JSON config of four billion entries cannot be
/// loaded in memory); saturate rather than panic if that ever changes.
fn index_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(patterns: &[&str]) -> Vec<PathPattern> {
        patterns
            .iter()
            .map(|p| PathPattern::parse(p).unwrap())
            .collect()
    }

    #[test]
    fn last_match_wins_per_entry() {
        let m = SubscriptionMatcher::new(&[
            entry(&["*.md", "!README.md"]),
            entry(&["*.md", "!README.md", "README*"]),
            entry(&["docs/**"]),
        ])
        .unwrap();
        let per_entry = m.match_paths(&["README.md", "CHANGES.md", "docs/a.md"]);
        assert_eq!(per_entry[0], vec![(1, 0)]);
        assert_eq!(per_entry[1], vec![(0, 2), (1, 0)]);
        assert_eq!(per_entry[2], vec![(2, 0)]);
    }

    #[test]
    fn globs_are_grouped_by_their_literal_directory() {
        assert_eq!(literal_dir("services/api/**/*.rs"), Some("services/api"));
        assert_eq!(literal_dir("docs/*"), Some("docs"));
        assert_eq!(literal_dir("a/b"), Some("a"));
        assert_eq!(literal_dir("README.md"), None);
        assert_eq!(literal_dir("**/docs/**"), None);
        assert_eq!(literal_dir("{a,b}/c"), None);
        assert_eq!(literal_dir(r"a\*/b"), None);
        let m = SubscriptionMatcher::new(&[
            entry(&["services/api/**/*.rs", "!services/api/gen/**"]),
            entry(&["**/*.rs", "!services/**"]),
            entry(&["services/api"]),
        ])
        .unwrap();
        let per_entry = m.match_paths(&[
            "services/api/a.rs",
            "services/api/gen/b.rs",
            "x/c.rs",
            "services/apix/d.rs",
        ]);
        assert_eq!(per_entry[0], vec![(0, 0)]);
        assert_eq!(per_entry[1], vec![(2, 0)]);
        assert_eq!(per_entry[2], vec![(0, 0), (1, 0)]);
    }

    #[test]
    fn patterns_hit_ignores_order() {
        let m =
            SubscriptionMatcher::new(&[entry(&["docs/**", "!docs/x/**", "nothing/**"])]).unwrap();
        assert_eq!(m.patterns_hit(&["docs/x/a"]), vec![vec![true, true, false]]);
    }
}
