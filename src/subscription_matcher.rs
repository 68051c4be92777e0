//! `SubscriptionMatcher`: the patterns of every entry compiled once into one `GlobSet`.
//!
//! Matching a path runs the set once, which answers for every glob of every entry together; the answer is
//! then folded per entry into "the last of this entry's patterns that matches". So N paths against M entries
//! cost N set lookups plus the number of actual matches, never N x M glob evaluations.

use globset::{Candidate, GlobSet, GlobSetBuilder};

use crate::path_pattern::{PathPattern, build_glob};

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

/// Every entry's patterns in one `GlobSet`.
#[derive(Debug, Clone)]
pub struct SubscriptionMatcher {
    set: GlobSet,
    /// For each glob of the set, in the order added: (entry, pattern). Globs are added entry by entry,
    /// pattern by pattern, so this is sorted.
    owners: Vec<(u32, u32)>,
    /// For each entry, for each pattern: whether it is negated.
    negated: Vec<Vec<bool>>,
}

impl SubscriptionMatcher {
    /// Compiles the patterns of all entries, `entries[e]` being entry `e`'s patterns in order.
    pub fn new(entries: &[Vec<PathPattern>]) -> Result<Self, MatcherError> {
        let mut builder = GlobSetBuilder::new();
        let mut owners = Vec::new();
        let mut negated = Vec::with_capacity(entries.len());
        for (e, patterns) in entries.iter().enumerate() {
            negated.push(patterns.iter().map(PathPattern::is_negated).collect());
            for (p, pattern) in patterns.iter().enumerate() {
                for glob in pattern.globs() {
                    builder.add(build_glob(glob)?);
                    owners.push((index_u32(e), index_u32(p)));
                }
            }
        }
        Ok(SubscriptionMatcher {
            set: builder.build()?,
            owners,
            negated,
        })
    }

    /// How many entries the matcher was built with.
    pub fn entry_count(&self) -> usize {
        self.negated.len()
    }

    /// For one path, the decision of every entry that has a pattern matching it, in entry order.
    /// `scratch` is reused between calls to avoid allocating.
    pub fn last_matches(&self, path: &str, scratch: &mut Vec<usize>, out: &mut Vec<LastMatch>) {
        out.clear();
        self.set
            .matches_candidate_into(&Candidate::new(path), scratch);
        // Glob indices grow with (entry, pattern); make sure they are in order, then keep the last per entry.
        scratch.sort_unstable();
        for &g in scratch.iter() {
            let (e, p) = self.owners[g];
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
        let mut scratch = Vec::new();
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
        let mut glob_hit = vec![false; self.owners.len()];
        let mut remaining = self.owners.len();
        let mut scratch = Vec::new();
        for path in paths {
            if remaining == 0 {
                break;
            }
            self.set
                .matches_candidate_into(&Candidate::new(path.as_ref()), &mut scratch);
            for &g in &scratch {
                if !glob_hit[g] {
                    glob_hit[g] = true;
                    remaining -= 1;
                }
            }
        }
        for (g, &(e, p)) in self.owners.iter().enumerate() {
            if glob_hit[g] {
                hit[e as usize][p as usize] = true;
            }
        }
        hit
    }
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
    fn patterns_hit_ignores_order() {
        let m =
            SubscriptionMatcher::new(&[entry(&["docs/**", "!docs/x/**", "nothing/**"])]).unwrap();
        assert_eq!(m.patterns_hit(&["docs/x/a"]), vec![vec![true, true, false]]);
    }
}
