//! `short_sha`: the one abbreviation of a commit id that ecosync shows people (12 hexadecimal digits, as
//! GitHub's web pages do; enough to stay unique in any real repository).

use git2::Oid;

/// How many hexadecimal digits of a commit id are shown.
pub const SHORT_SHA_LEN: usize = 12;

/// The first [`SHORT_SHA_LEN`] characters of `sha` (all of it when shorter).
pub fn short_sha(sha: &str) -> &str {
    sha.get(..SHORT_SHA_LEN).unwrap_or(sha)
}

/// The abbreviation of `oid`.
pub fn short_oid(oid: Oid) -> String {
    short_sha(&oid.to_string()).to_owned()
}
