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
//! typically write a handful of distinct tails: `**`, `*.md`, `**/*.rs`...), are compiled once each. For each
//! ancestor directory of a path that some glob names, only that directory's tails are tried: `**` matches
//! without running anything, a literal tail (`README.md`) is one comparison, a tail made only of `*` and
//! whole-component `**` (`**/*.rs`, `file9*.rs`, the common case) is matched component by component in
//! place, with no regex built or run, and the few other wildcard tails of the directory (brackets, braces,
//! escapes) each run their own matcher (a directory with many of them runs one `GlobSet` of every such tail
//! instead). Globs that start with a wildcard form a second `GlobSet`, run once per path. The directories
//! are looked up with a fast non-cryptographic hash: every ancestor directory of every changed path is one
//! lookup, and `SipHash` was a fifth of the matching time.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use globset::{Candidate, GlobMatcher, GlobSet, GlobSetBuilder};

use crate::dispatch::ecosystem::path_pattern::{PathPattern, build_glob, has_any};
use crate::error_kind::UserError;

/// Why the matcher could not be built (only when a pattern was not checked by [`PathPattern::parse`]).
#[derive(Debug, thiserror::Error)]
#[error("cannot compile the subscription patterns: {0}")]
pub struct MatcherError(#[from] globset::Error);

impl UserError for MatcherError {}

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

/// Above this many distinct wildcard tails in one directory, a path runs the shared `GlobSet` of every
/// wildcard tail once instead of each of the directory's tails one by one.
const MAX_TAILS_ONE_BY_ONE: usize = 8;

/// At most this many threads match one list of paths.
const MAX_MATCH_THREADS: usize = 4;

/// A list of paths is split over threads only in slices of at least this many paths: below that,
/// starting a thread costs more than it saves.
const MIN_PATHS_PER_THREAD: usize = 2_000;

/// The globs of one literal directory.
#[derive(Debug, Clone, Default)]
struct DirMembers {
    /// (tail index, owner) of every glob of the directory, sorted by tail index.
    owners: Vec<(usize, Owner)>,
    /// The distinct tails among them that are neither `**` nor literal, sorted.
    wildcard_tails: Vec<usize>,
}

/// What a tail (the part of a glob below its literal directory) needs to be matched.
#[derive(Debug, Clone)]
enum Tail {
    /// `**`: anything below the directory.
    Anything,
    /// No glob character: exactly this path below the directory.
    Literal(String),
    /// Only `*` and whole-component `**`: matched in place.
    Simple(SimpleGlob),
    /// Anything else: its own matcher.
    Wildcard(GlobMatcher),
}

/// A fast hasher for the directory map (`FxHash`'s mixing step, a word at a time): its keys are the
/// configuration's directories and its lookups every changed path's ancestors, neither a secret.
#[derive(Debug, Default, Clone, Copy)]
struct DirHasher(u64);

impl Hasher for DirHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            // Every chunk is 8 bytes long, so the conversion never falls back to 0.
            let word = c.try_into().map_or(0, u64::from_le_bytes);
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by directory, hashed with [`DirHasher`].
type DirMap<K, V> = HashMap<K, V, BuildHasherDefault<DirHasher>>;

/// One component of a [`SimpleGlob`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Component {
    /// `**`: any number of whole components (when it ends the glob, whatever follows its `/`, as with
    /// globset, whose `a/**` does not match `a`).
    AnyDirs,
    /// Literal pieces with a `*` (any characters but `/`) between each two.
    Stars(Vec<String>),
}

/// A glob made only of literal characters, `*` and whole-component `**`, matched as globset matches it
/// with `literal_separator` (`*` never crosses `/`), without a regex.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SimpleGlob(Vec<Component>);

impl SimpleGlob {
    /// The glob, if it is that simple: no `?`, brackets, braces or escapes, no empty component, and no
    /// `**` glued to other characters or next to another `**`.
    fn new(glob: &str) -> Option<SimpleGlob> {
        if has_any(glob, b"?[]{}\\") {
            return None;
        }
        let mut components = Vec::new();
        for c in glob.split('/') {
            let component = if c == "**" {
                if components.last() == Some(&Component::AnyDirs) {
                    return None;
                }
                Component::AnyDirs
            } else if c.is_empty() || c.contains("**") {
                return None;
            } else {
                Component::Stars(c.split('*').map(str::to_owned).collect())
            };
            components.push(component);
        }
        Some(SimpleGlob(components))
    }

    /// Whether `path` matches.
    #[cfg(test)]
    fn is_match(&self, path: &str) -> bool {
        matches_components(&self.0, path)
    }

    /// Whether `path`, whose last component is `name`, matches. The two commonest tails need nothing
    /// else: `**/file*.rs` looks at the name only, `file*.rs` at a path that is only a name.
    fn is_match_named(&self, path: &str, name: &str) -> bool {
        match self.0.as_slice() {
            [Component::AnyDirs, Component::Stars(pieces)] => stars_match(pieces, name),
            [Component::Stars(pieces)] => path.len() == name.len() && stars_match(pieces, name),
            components => matches_components(components, path),
        }
    }
}

/// Whether `path` (the rest of a path, its components separated by `/`) matches `pattern`.
fn matches_components(pattern: &[Component], path: &str) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        // Reached only after a `/` (or as the whole glob): anything at all, as globset's `/.*`.
        Some((Component::AnyDirs, [])) => true,
        // `**/name*`: only the last component can match (the common `**/*.rs`).
        Some((Component::AnyDirs, [Component::Stars(pieces)])) => {
            let name = path.rsplit_once('/').map_or(path, |(_, name)| name);
            stars_match(pieces, name)
        }
        Some((Component::AnyDirs, rest)) => {
            matches_components(rest, path)
                || path
                    .match_indices('/')
                    .any(|(i, _)| matches_components(rest, &path[i + 1..]))
        }
        Some((Component::Stars(pieces), rest)) => {
            let (component, after) = match path.split_once('/') {
                Some((c, a)) => (c, Some(a)),
                None => (path, None),
            };
            if !stars_match(pieces, component) {
                return false;
            }
            match after {
                None => rest.is_empty(),
                Some(a) => !rest.is_empty() && matches_components(rest, a),
            }
        }
    }
}

/// Whether one path component matches literal `pieces` with a `*` between each two: the first is a
/// prefix, the last a suffix, and the others appear in order in between (the leftmost place of each is
/// as good as any, since only `*` separates them).
fn stars_match(pieces: &[String], component: &str) -> bool {
    let [first, middle @ .., last] = pieces else {
        return pieces.first().is_some_and(|p| p == component);
    };
    let Some(mut rest) = component.strip_prefix(first.as_str()) else {
        return false;
    };
    for piece in middle {
        match rest.find(piece.as_str()) {
            Some(i) => rest = &rest[i + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last.as_str())
}

/// Every entry's patterns, compiled once.
#[derive(Debug, Clone)]
pub struct SubscriptionMatcher {
    /// Globs that start with a wildcard component, matched against the whole path.
    rooted: GlobSet,
    /// For each glob of `rooted`: every (entry, pattern) that has it (a thousand entries on the default
    /// branch `main` share one glob, built once).
    rooted_owners: Vec<Vec<Owner>>,
    /// The distinct tails of the globs that start with a literal directory, matched against the part of
    /// the path below that directory.
    tails: Vec<Tail>,
    /// Every wildcard tail in one set, for directories with many (set index to tail index).
    wildcard_set: GlobSet,
    wildcard_ids: Vec<usize>,
    /// For each literal directory: (tail index, (entry, pattern)) of its globs, sorted by tail index.
    by_dir: DirMap<String, DirMembers>,
    /// For each entry, for each pattern: whether it is negated.
    negated: Vec<Vec<bool>>,
}

impl SubscriptionMatcher {
    /// Compiles the patterns of all entries, `entries[e]` being entry `e`'s patterns in order.
    pub fn new(entries: &[Vec<PathPattern>]) -> Result<Self, MatcherError> {
        let mut rooted = GlobSetBuilder::new();
        let mut rooted_owners: Vec<Vec<Owner>> = Vec::new();
        let mut rooted_ids: DirMap<&str, usize> = DirMap::default();
        let mut tails = Vec::new();
        let mut wildcard_set = GlobSetBuilder::new();
        let mut wildcard_ids = Vec::new();
        let mut tail_ids: DirMap<&str, usize> = DirMap::default();
        let mut by_dir: DirMap<String, DirMembers> = DirMap::default();
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
                            tails.push(if tail == "**" {
                                Tail::Anything
                            } else if !has_any(tail, b"*?[]{}\\") {
                                Tail::Literal(tail.to_owned())
                            } else if let Some(simple) = SimpleGlob::new(tail) {
                                Tail::Simple(simple)
                            } else {
                                let glob = build_glob(tail)?;
                                wildcard_set.add(glob.clone());
                                wildcard_ids.push(id);
                                Tail::Wildcard(glob.compile_matcher())
                            });
                        }
                        by_dir
                            .entry(dir.to_owned())
                            .or_default()
                            .owners
                            .push((id, owner));
                    } else {
                        let next = rooted_owners.len();
                        let id = *rooted_ids.entry(glob).or_insert(next);
                        if id == next {
                            rooted.add(build_glob(glob)?);
                            rooted_owners.push(Vec::new());
                        }
                        rooted_owners[id].push(owner);
                    }
                }
            }
        }
        for members in by_dir.values_mut() {
            members.owners.sort_unstable();
            members.wildcard_tails = members
                .owners
                .iter()
                .map(|&(t, _)| t)
                .filter(|&t| matches!(tails[t], Tail::Wildcard(_)))
                .collect();
            members.wildcard_tails.dedup();
        }
        Ok(SubscriptionMatcher {
            rooted: rooted.build()?,
            rooted_owners,
            tails,
            wildcard_set: wildcard_set.build()?,
            wildcard_ids,
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
        // Most configurations have no glob that starts with a wildcard: no candidate to build then.
        if !self.rooted.is_empty() {
            self.rooted
                .matches_candidate_into(&Candidate::new(path), &mut scratch.globs);
            scratch
                .owners
                .extend(scratch.globs.iter().flat_map(|&g| &self.rooted_owners[g]));
        }
        // The last component is the same below every ancestor directory: found once.
        let name = path.rsplit_once('/').map_or(path, |(_, name)| name);
        // Every `/` is one ancestor directory (a byte loop: the path is short, and `/` is ASCII).
        for i in path
            .bytes()
            .enumerate()
            .filter_map(|(i, b)| (b == b'/').then_some(i))
        {
            let Some(members) = self.by_dir.get(&path[..i]) else {
                continue;
            };
            let rest = &path[i + 1..];
            // The wildcard tails of this directory that match `rest`, into `scratch.globs` (sorted).
            scratch.globs.clear();
            if !members.wildcard_tails.is_empty() {
                let candidate = Candidate::new(rest);
                if members.wildcard_tails.len() <= MAX_TAILS_ONE_BY_ONE {
                    for &t in &members.wildcard_tails {
                        if let Tail::Wildcard(m) = &self.tails[t]
                            && m.is_match_candidate(&candidate)
                        {
                            scratch.globs.push(t);
                        }
                    }
                } else {
                    let mut hits = std::mem::take(&mut scratch.globs);
                    self.wildcard_set
                        .matches_candidate_into(&candidate, &mut hits);
                    for h in &mut hits {
                        *h = self.wildcard_ids[*h];
                    }
                    hits.sort_unstable();
                    scratch.globs = hits;
                }
            }
            let mut wildcard_hits = scratch.globs.iter().peekable();
            // The owners are sorted by tail: many entries sharing a tail (`**/*.rs`) test it once.
            let mut last: Option<(usize, bool)> = None;
            for &(tail, owner) in &members.owners {
                let hit = match last {
                    Some((t, hit)) if t == tail => hit,
                    _ => {
                        let hit = match &self.tails[tail] {
                            Tail::Anything => true,
                            Tail::Literal(l) => l == rest,
                            Tail::Simple(g) => g.is_match_named(rest, name),
                            Tail::Wildcard(_) => {
                                while wildcard_hits.next_if(|&&h| h < tail).is_some() {}
                                wildcard_hits.peek() == Some(&&tail)
                            }
                        };
                        last = Some((tail, hit));
                        hit
                    }
                };
                if hit {
                    scratch.owners.push(owner);
                }
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
    ///
    /// A large list is split into consecutive slices matched on as many threads as there are cores (at
    /// most four); each entry's lists are then joined in slice order, so the result is the
    /// same as one pass.
    pub fn match_paths<S: AsRef<str> + Sync>(&self, paths: &[S]) -> Vec<Vec<(usize, usize)>> {
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .min(MAX_MATCH_THREADS)
            .min(paths.len() / MIN_PATHS_PER_THREAD)
            .max(1);
        self.match_split(paths, threads)
    }

    /// [`SubscriptionMatcher::match_paths`] on `threads` threads.
    fn match_split<S: AsRef<str> + Sync>(
        &self,
        paths: &[S],
        threads: usize,
    ) -> Vec<Vec<(usize, usize)>> {
        if threads <= 1 {
            return self.match_slice(paths, 0);
        }
        let size = paths.len().div_ceil(threads);
        let mut parts = std::thread::scope(|scope| {
            let mut slices = paths.chunks(size).enumerate();
            let first = slices.next();
            let others: Vec<_> = slices
                .map(|(k, slice)| scope.spawn(move || self.match_slice(slice, k * size)))
                .collect();
            let mut parts =
                vec![first.map_or_else(Vec::new, |(_, slice)| self.match_slice(slice, 0))];
            // A panic while matching is a bug; resume it here rather than hide it.
            parts.extend(others.into_iter().map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            }));
            parts
        })
        .into_iter();
        let mut per_entry = parts.next().unwrap_or_default();
        for part in parts {
            for (all, more) in per_entry.iter_mut().zip(part) {
                all.extend(more);
            }
        }
        per_entry
    }

    /// [`SubscriptionMatcher::match_paths`] of `paths`, the first of which has index `first`.
    fn match_slice<S: AsRef<str>>(&self, paths: &[S], first: usize) -> Vec<Vec<(usize, usize)>> {
        let mut per_entry = vec![Vec::new(); self.entry_count()];
        let mut scratch = Scratch::default();
        let mut decisions = Vec::new();
        for (i, path) in paths.iter().enumerate() {
            self.last_matches(path.as_ref(), &mut scratch, &mut decisions);
            for d in &decisions {
                if d.included {
                    per_entry[d.entry].push((first + i, d.pattern));
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
        if component.is_empty() || has_any(component, b"*?[]{}\\") {
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

    /// The decision of each entry for `path` by evaluating every pattern on its own, last match wins.
    fn naive(entries: &[Vec<PathPattern>], paths: &[&str]) -> Vec<Vec<(usize, usize)>> {
        entries
            .iter()
            .map(|patterns| {
                paths
                    .iter()
                    .enumerate()
                    .filter_map(|(i, path)| {
                        let last = patterns.iter().rposition(|p| p.is_match(path))?;
                        (!patterns[last].is_negated()).then_some((i, last))
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn literal_any_and_wildcard_tails_agree_with_each_pattern_on_its_own() {
        // `src` has more wildcard tails than are tried one by one (the shared set is used); `docs` few.
        let mut many: Vec<String> = (0..12).map(|i| format!("src/**/f{i}*.rs")).collect();
        many.push("!src/gen/**".into());
        many.push("src/gen/keep.rs".into());
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let entries = vec![
            entry(&many),
            entry(&["docs", "!docs/*.tmp", "docs/**/x*.md"]),
            entry(&["docs/**", "!docs/a/README.md", "src/f1.rs"]),
            entry(&["**/README.md", "src/f11x.rs"]),
        ];
        let paths = [
            "src/f1.rs",
            "src/a/f11x.rs",
            "src/gen/f3.rs",
            "src/gen/keep.rs",
            "src/a/b/f7_.rs",
            "src/g.rs",
            "docs",
            "docs/a.tmp",
            "docs/a/README.md",
            "docs/a/b/xy.md",
            "docs/b.md",
            "README.md",
            "srcx/f1.rs",
        ];
        let m = SubscriptionMatcher::new(&entries).unwrap();
        assert_eq!(m.match_paths(&paths), naive(&entries, &paths));
        // And something matched in each entry, so the comparison says something.
        assert!(m.match_paths(&paths).iter().all(|e| !e.is_empty()));
    }

    #[test]
    fn matching_on_several_threads_gives_what_one_pass_gives() {
        let entries = vec![
            entry(&["src/**", "!src/gen/**"]),
            entry(&["src/gen/**/*.rs", "docs"]),
            entry(&["**/README.md"]),
        ];
        let paths: Vec<String> = (0..5_000)
            .map(|i| match i % 4 {
                0 => format!("src/m{i}/f.rs"),
                1 => format!("src/gen/m{i}/g.rs"),
                2 => format!("docs/d{i}/README.md"),
                _ => format!("other/{i}.txt"),
            })
            .collect();
        let m = SubscriptionMatcher::new(&entries).unwrap();
        let one = m.match_split(&paths, 1);
        // Uneven slices too: 5,000 paths on 3 threads.
        for threads in [2, 3] {
            assert_eq!(m.match_split(&paths, threads), one, "{threads} threads");
        }
        assert!(one.iter().all(|e| e.len() > 1_000));
    }

    #[test]
    fn simple_globs_match_exactly_what_globset_matches() {
        let globs = [
            "*.rs",
            "file9*.rs",
            "**/file0*.rs",
            "a/**",
            "a/**/b",
            "**/b/**",
            "*/b/*",
            "a*b*c",
            "*a*",
            "**/*",
            "x/*/y/**/z*.md",
            "ab*ba",
            "*.tar.gz",
        ];
        let paths = [
            "a",
            "b",
            "a/b",
            "a/x/b",
            "a/x/y/b",
            "ab",
            "aba",
            "abba",
            "ababa",
            "b/a",
            "x/b/y",
            "a/b/c",
            "file9.rs",
            "file90.rs",
            "x/file9.rs",
            "file0.rs",
            "d/e/file01.rs",
            "file0.rsx",
            "abc",
            "aXbYc",
            "acb",
            "a.rs",
            "rs",
            ".rs",
            "x/q/y/z.md",
            "x/q/y/r/s/zz.md",
            "x/q/y/z.mdx",
            "x/y/z.md",
            "b/b/b",
            "a.tar.gz",
            "a.gz",
            "tar.gz",
            "a/",
            "c/b/d",
        ];
        for glob in globs {
            let simple = SimpleGlob::new(glob).unwrap_or_else(|| panic!("{glob} is simple"));
            let reference = build_glob(glob).unwrap().compile_matcher();
            for path in paths {
                assert_eq!(
                    simple.is_match(path),
                    reference.is_match(path),
                    "`{glob}` against `{path}`"
                );
                // And the shortcut the matcher takes, given the last component.
                let name = path.rsplit_once('/').map_or(path, |(_, name)| name);
                assert_eq!(
                    simple.is_match_named(path, name),
                    reference.is_match(path),
                    "`{glob}` against `{path}`, named `{name}`"
                );
            }
        }
        for not_simple in ["a?b", "[ab]", "{a,b}", r"a\*", "a**b", "a//b", "**/**"] {
            assert_eq!(SimpleGlob::new(not_simple), None, "{not_simple}");
        }
    }

    #[test]
    fn patterns_hit_ignores_order() {
        let m =
            SubscriptionMatcher::new(&[entry(&["docs/**", "!docs/x/**", "nothing/**"])]).unwrap();
        assert_eq!(m.patterns_hit(&["docs/x/a"]), vec![vec![true, true, false]]);
    }
}
