//! `RepoName`: a validated GitHub repository name of the form `owner/name`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not a valid `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepoNameError {
    /// The string has no `/`, or more than one.
    #[error("repository `{0}` is not of the form `owner/name`")]
    Shape(String),
    /// The owner part breaks GitHub's rules for user and organisation names.
    #[error(
        "owner `{owner}` in `{full}` is not a valid GitHub account name (letters, digits and single \
         hyphens, not at the start or end, at most 39 characters)"
    )]
    Owner {
        /// The whole `owner/name` string.
        full: String,
        /// The offending owner.
        owner: String,
    },
    /// The name part breaks GitHub's rules for repository names.
    #[error(
        "name `{name}` in `{full}` is not a valid GitHub repository name (letters, digits, `-`, `_` and \
         `.`, at most 100 characters, not `.` or `..`)"
    )]
    Name {
        /// The whole `owner/name` string.
        full: String,
        /// The offending repository name.
        name: String,
    },
}

/// A GitHub repository name, `owner/name`, checked against GitHub's allowed characters.
///
/// Holding one proves the string is safe to put in an API path or a local forge path: it contains no `..`,
/// no second `/`, no whitespace and no URL syntax.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoName {
    full: String,
    slash: usize,
}

impl RepoName {
    /// Parses and validates `owner/name`.
    pub fn parse(s: &str) -> Result<Self, RepoNameError> {
        let (owner, name) = s
            .split_once('/')
            .ok_or_else(|| RepoNameError::Shape(s.to_owned()))?;
        if owner.is_empty() || name.is_empty() || name.contains('/') {
            return Err(RepoNameError::Shape(s.to_owned()));
        }
        let owner_ok = owner.len() <= 39
            && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !owner.starts_with('-')
            && !owner.ends_with('-')
            && !owner.contains("--");
        if !owner_ok {
            return Err(RepoNameError::Owner {
                full: s.to_owned(),
                owner: owner.to_owned(),
            });
        }
        let name_ok = name.len() <= 100
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && name != "."
            && name != "..";
        if !name_ok {
            return Err(RepoNameError::Name {
                full: s.to_owned(),
                name: name.to_owned(),
            });
        }
        Ok(RepoName {
            full: s.to_owned(),
            slash: owner.len(),
        })
    }

    /// The account that owns the repository.
    pub fn owner(&self) -> &str {
        &self.full[..self.slash]
    }

    /// The repository's own name, without the owner.
    pub fn name(&self) -> &str {
        &self.full[self.slash + 1..]
    }

    /// `owner/name`.
    pub fn as_str(&self) -> &str {
        &self.full
    }
}

impl fmt::Display for RepoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

impl FromStr for RepoName {
    type Err = RepoNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RepoName::parse(s)
    }
}

impl Serialize for RepoName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.full)
    }
}

impl<'de> Deserialize<'de> for RepoName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        RepoName::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for RepoName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RepoName".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A GitHub repository, `owner/name`.",
            "pattern": "^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}/[A-Za-z0-9._-]{1,100}$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_github_names() {
        let r = RepoName::parse("acme-corp/web.app_2").unwrap();
        assert_eq!(r.owner(), "acme-corp");
        assert_eq!(r.name(), "web.app_2");
    }

    #[test]
    fn rejects_bad_names() {
        for bad in [
            "acme", "/x", "x/", "a/b/c", "-a/b", "a-/b", "a--b/c", "a/..", "a/.", "a b/c", "a/b c",
            "a/b?x",
        ] {
            assert!(RepoName::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}

/// Why the repository's `owner/name` could not be read from its `origin` remote.
#[derive(Debug, thiserror::Error)]
pub enum InferError {
    /// The directory is not a git repository.
    #[error("cannot open git repository `{dir}`: {message}")]
    Open {
        /// The directory.
        dir: String,
        /// libgit2's message.
        message: String,
    },
    /// There is no `origin` remote.
    #[error("cannot tell which repository this is: no `origin` remote")]
    NoOrigin,
    /// `origin`'s URL does not end in `owner/name`.
    #[error("cannot tell `owner/name` from the `origin` remote `{0}`")]
    Url(String),
}

impl InferError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        "pass `--repo-name owner/name` (under Actions GITHUB_REPOSITORY is used)"
    }
}

/// `owner/name` from the `origin` remote's URL (`https://host/owner/name.git`, `git@host:owner/name.git`,
/// or a local forge path `DIR/owner/name.git`).
pub fn infer_from_origin(dir: &std::path::Path) -> Result<RepoName, InferError> {
    let git = git2::Repository::discover(dir).map_err(|e| InferError::Open {
        dir: dir.display().to_string(),
        message: e.message().to_owned(),
    })?;
    let origin = git
        .find_remote("origin")
        .map_err(|_| InferError::NoOrigin)?;
    let url = origin.url().unwrap_or_default().trim_end_matches('/');
    let url = url.strip_suffix(".git").unwrap_or(url);
    let mut parts = url.rsplit(['/', ':']);
    let (name, owner) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    RepoName::parse(&format!("{owner}/{name}")).map_err(|_| InferError::Url(url.to_owned()))
}
