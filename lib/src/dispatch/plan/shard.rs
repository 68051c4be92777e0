//! `Shard`: one of N stable parts of an ecosystem's targets, so that N jobs (a GitHub Actions matrix) share
//! one push's deliveries, each delivering only its own part (`--shard K/N`).
//!
//! A target belongs to shard `1 + fnv1a64(lowercase("owner/name")) % N`. FNV-1a (64 bits, offset basis
//! `0xcbf29ce484222325`, prime `0x100000001b3`) is fixed by its definition and never seeded, unlike the
//! standard library's hashers: every run, machine and version puts a repository in the same shard for the
//! same N. GitHub's names are case-insensitive, so `Acme/App` and `acme/app` land together. Changing N moves
//! most targets to another shard (and gives every shard a new watermark), so keep N fixed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::repo_name::RepoName;

/// Shard K of N (K from 1 to N).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shard {
    index: u32,
    count: u32,
}

/// Why a `K/N` is not a shard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// Not two numbers separated by `/`.
    #[error(
        "shard `{0}` is not of the form `K/N`; write for example `2/4` for the second of four shards"
    )]
    Shape(String),
    /// K or N is not a whole number.
    #[error(
        "shard `{given}`: `{part}` is not a whole number; write `K/N` with K from 1 to N, for example `2/4`"
    )]
    Number {
        /// The whole `K/N` as given.
        given: String,
        /// The part that is not a number.
        part: String,
    },
    /// N is 0.
    #[error("shard `{0}`: N must be at least 1; write `K/N` with K from 1 to N, for example `1/1`")]
    NoShards(String),
    /// K is 0 or greater than N.
    #[error(
        "shard `{given}`: K must be from 1 to {count} (shards are numbered from 1: `1/{count}` to \
         `{count}/{count}`)"
    )]
    OutOfRange {
        /// The whole `K/N` as given.
        given: String,
        /// N.
        count: u32,
    },
}

impl Shard {
    /// Shard `index` of `count`.
    pub fn new(index: u32, count: u32) -> Result<Shard, ShardError> {
        let given = || format!("{index}/{count}");
        if count == 0 {
            return Err(ShardError::NoShards(given()));
        }
        if index == 0 || index > count {
            return Err(ShardError::OutOfRange {
                given: given(),
                count,
            });
        }
        Ok(Shard { index, count })
    }

    /// Every shard of `count`, from `1/count` to `count/count` (none when `count` is 0).
    pub fn all(count: u32) -> impl Iterator<Item = Shard> {
        (1..=count).map(move |index| Shard { index, count })
    }

    /// The shard of `count` that `repo` belongs to.
    pub fn of(repo: &RepoName, count: u32) -> Shard {
        let count = count.max(1);
        let hash = fnv1a64(repo.as_str().to_ascii_lowercase().as_bytes());
        // The remainder is below `count`, a `u32`.
        let index = u32::try_from(hash % u64::from(count)).unwrap_or(0) + 1;
        Shard { index, count }
    }

    /// Whether `repo` belongs to this shard.
    pub fn contains(&self, repo: &RepoName) -> bool {
        Shard::of(repo, self.count) == *self
    }

    /// K, from 1.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// N.
    pub fn count(&self) -> u32 {
        self.count
    }
}

/// 64-bit FNV-1a.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let (k, n) = s
            .trim()
            .split_once('/')
            .ok_or_else(|| ShardError::Shape(s.to_owned()))?;
        let number = |part: &str| {
            part.trim().parse::<u32>().map_err(|_| ShardError::Number {
                given: s.to_owned(),
                part: part.to_owned(),
            })
        };
        let (index, count) = (number(k)?, number(n)?);
        Shard::new(index, count).map_err(|e| match e {
            ShardError::NoShards(_) => ShardError::NoShards(s.to_owned()),
            ShardError::OutOfRange { count, .. } => ShardError::OutOfRange {
                given: s.to_owned(),
                count,
            },
            other => other,
        })
    }
}

/// As `"K/N"`, the form `--shard` takes.
impl Serialize for Shard {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Shard {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Shard, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Which shard a plan is of, and how many of the push's deliveries the other shards make (a JSON contract:
/// these keys are stable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardNote {
    /// `K/N`.
    pub shard: Shard,
    /// The deliveries of the same push that belong to the other shards.
    pub in_other_shards: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(s: &str) -> RepoName {
        RepoName::parse(s).unwrap()
    }

    #[test]
    fn fnv1a_is_the_published_function() {
        // The test vectors of the FNV reference (draft-eastlake-fnv).
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn the_split_is_fixed_and_ignores_case() {
        // Pinned: a change here moves users' targets between their jobs and watermarks.
        let pinned: Vec<u32> = ["acme/app", "acme/web", "acme/api", "octo/fork-1"]
            .iter()
            .map(|r| Shard::of(&repo(r), 4).index())
            .collect();
        assert_eq!(pinned, PINNED_SHARDS_OF_4);
        assert_eq!(
            Shard::of(&repo("Acme/App"), 4),
            Shard::of(&repo("acme/app"), 4)
        );
        assert_eq!(Shard::of(&repo("acme/app"), 1), Shard::new(1, 1).unwrap());
    }

    // Computed independently (a few lines of Python over the same bytes).
    const PINNED_SHARDS_OF_4: [u32; 4] = [4, 3, 1, 2];

    #[test]
    fn parses_k_of_n_and_says_what_is_wrong() {
        assert_eq!("2/4".parse::<Shard>().unwrap(), Shard::new(2, 4).unwrap());
        assert_eq!(" 1 / 1 ".parse::<Shard>().unwrap().to_string(), "1/1");
        for (given, expected) in [
            ("0/3", "shard `0/3`: K must be from 1 to 3"),
            ("4/3", "shard `4/3`: K must be from 1 to 3"),
            ("1/0", "shard `1/0`: N must be at least 1"),
            ("a/b", "shard `a/b`: `a` is not a whole number"),
            ("3", "shard `3` is not of the form `K/N`"),
            ("-1/3", "shard `-1/3`: `-1` is not a whole number"),
        ] {
            let e = given.parse::<Shard>().unwrap_err().to_string();
            assert!(e.starts_with(expected), "{given}: {e}");
        }
    }

    #[test]
    fn every_repository_is_in_exactly_one_shard() {
        let repos: Vec<RepoName> = (0..200).map(|i| repo(&format!("o/r{i}"))).collect();
        for n in 1..=7 {
            let mut sizes = vec![0usize; n as usize];
            for r in &repos {
                let owners: Vec<Shard> = Shard::all(n).filter(|s| s.contains(r)).collect();
                assert_eq!(owners.len(), 1, "{r} of {n}: {owners:?}");
                sizes[owners[0].index() as usize - 1] += 1;
            }
            // Spread, not all in one: 200 names over at most 7 shards leave none empty.
            assert!(sizes.iter().all(|&s| s > 0), "{n}: {sizes:?}");
        }
    }

    #[test]
    fn serializes_as_k_of_n() {
        let s = Shard::new(3, 8).unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"3/8\"");
        assert_eq!(serde_json::from_str::<Shard>("\"3/8\"").unwrap(), s);
        assert!(serde_json::from_str::<Shard>("\"9/8\"").is_err());
    }
}
