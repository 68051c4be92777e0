//! `RepoName`: a validated GitHub repository name of the form `owner/name`, and how to tell it from a
//! clone's `origin` remote.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error_kind::{ErrorKind, UserError};

/// Why a string is not a valid `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepoNameError {
    /// The string has no `/`, or more than one.
    #[error(
        "repository `{}` is not of the form `owner/name`",
        crate::escape::shown(.0)
    )]
    Shape(String),
    /// The owner part breaks GitHub's rules for user and organisation names.
    #[error(
        "owner `{}` in `{}` is not a valid GitHub account name (letters, digits and single \
         hyphens, not at the start or end, at most 39 characters)",
        crate::escape::shown(owner),
        crate::escape::shown(full)
    )]
    Owner {
        /// The whole `owner/name` string.
        full: String,
        /// The offending owner.
        owner: String,
    },
    /// The name part breaks GitHub's rules for repository names.
    #[error(
        "name `{}` in `{}` is not a valid GitHub repository name (letters, digits, `-`, `_` and \
         `.`, at most 100 characters, not `.` or `..`)",
        crate::escape::shown(name),
        crate::escape::shown(full)
    )]
    Name {
        /// The whole `owner/name` string.
        full: String,
        /// The offending repository name.
        name: String,
    },
}

impl UserError for RepoNameError {
    /// A name given on the command line or in a configuration.
    fn kind(&self) -> ErrorKind {
        ErrorKind::Usage
    }
}

/// Why the repository's `owner/name` could not be told from its `origin` remote; its hint
/// ([`UserError::hint`]) names the flag to pass instead. A URL in a message never shows a user name or password.
#[derive(Debug, thiserror::Error)]
pub enum InferError {
    /// The directory is not in a git repository.
    #[error("cannot tell which repository this is: `{dir}` is not in a git repository")]
    NotARepository {
        /// The directory searched from.
        dir: PathBuf,
        /// The flag that names the repository.
        flag: String,
        /// What git2 said.
        #[source]
        source: git2::Error,
    },
    /// The repository has no `origin` remote.
    #[error("cannot tell which repository this is: `{dir}` has no `origin` remote")]
    NoOrigin {
        /// The repository's directory.
        dir: PathBuf,
        /// The flag that names the repository.
        flag: String,
    },
    /// `origin`'s URL does not end in `owner/name`.
    #[error(
        "cannot tell `owner/name` from the `origin` remote `{}` of `{}`",
        crate::escape::shown(url),
        dir.display()
    )]
    NotARepoUrl {
        /// The repository's directory.
        dir: PathBuf,
        /// The remote's URL, with any user name and password replaced by `***`.
        url: String,
        /// The flag that names the repository.
        flag: String,
    },
}

impl UserError for InferError {
    /// The repository must be named on the command line.
    fn kind(&self) -> ErrorKind {
        ErrorKind::Usage
    }

    /// Pass the flag that names the repository.
    fn hint(&self) -> Option<String> {
        let (InferError::NotARepository { flag, .. }
        | InferError::NoOrigin { flag, .. }
        | InferError::NotARepoUrl { flag, .. }) = self;
        Some(format!("pass `{flag} OWNER/NAME`"))
    }
}

/// The `owner/name` of the repository containing `dir` (searched upwards, like git), from its `origin`
/// remote's URL; see [`RepoName::from_git_url`] for the URLs understood. `flag` is the command-line flag that
/// names the repository instead (`--source-repo`, `--repo-name`), for the error's hint.
pub fn infer_from_origin(dir: &Path, flag: &str) -> Result<RepoName, InferError> {
    let repo = git2::Repository::discover(dir).map_err(|source| InferError::NotARepository {
        dir: dir.to_owned(),
        flag: flag.to_owned(),
        source,
    })?;
    let shown = repo
        .workdir()
        .unwrap_or_else(|| repo.path())
        .components()
        .collect::<PathBuf>();
    let remote = repo
        .find_remote("origin")
        .map_err(|_| InferError::NoOrigin {
            dir: shown.clone(),
            flag: flag.to_owned(),
        })?;
    let url = String::from_utf8_lossy(remote.url_bytes()).into_owned();
    RepoName::from_git_url(&url).ok_or_else(|| InferError::NotARepoUrl {
        dir: shown,
        url: redact_userinfo(&url).into_owned(),
        flag: flag.to_owned(),
    })
}

/// `url` with the user name and password of a `scheme://user:password@host/...` URL replaced by `***`, for
/// messages and logs. Other strings (scp-like `git@host:path`, local paths) are returned as they are.
pub fn redact_userinfo(url: &str) -> Cow<'_, str> {
    let Some(scheme_end) = url.find("://") else {
        return Cow::Borrowed(url);
    };
    let authority_start = scheme_end + 3;
    let authority_end = url[authority_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| authority_start + i);
    match url[authority_start..authority_end].rfind('@') {
        Some(at) => Cow::Owned(format!(
            "{}***{}",
            &url[..authority_start],
            &url[authority_start + at..]
        )),
        None => Cow::Borrowed(url),
    }
}

/// The user name and password of a `scheme://user:password@host/...` URL, when it has any.
pub fn userinfo(url: &str) -> Option<&str> {
    let authority_start = url.find("://")? + 3;
    let authority_end = url[authority_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| authority_start + i);
    let at = url[authority_start..authority_end].rfind('@')?;
    Some(&url[authority_start..authority_start + at]).filter(|u| !u.is_empty())
}

/// `text` (a message that may quote `url`, such as libgit2's) with `url`'s user name and password replaced
/// by `***` wherever they appear, so a token written into a URL never reaches a message, a log or an issue.
pub fn redact_userinfo_in<'t>(text: &'t str, url: &str) -> Cow<'t, str> {
    match userinfo(url) {
        Some(secret) if text.contains(secret) => Cow::Owned(text.replace(secret, "***")),
        _ => Cow::Borrowed(text),
    }
}

/// Whether `value` is a URL with a user name or password in it (`https://user:secret@host/...`).
pub fn has_credentials(value: &str) -> bool {
    redact_userinfo(value) != value
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

    /// The `owner/name` at the end of a git remote URL, or `None` when it does not end in one:
    /// `https://github.com/o/n(.git)(/)` (also with a user and password, and on any host, such as a GitHub
    /// Enterprise Server), `git@github.com:o/n.git`, `ssh://git@host(:port)/o/n.git`, and a local forge's
    /// `DIR/o/n.git` or `file:///DIR/o/n.git`.
    pub fn from_git_url(url: &str) -> Option<RepoName> {
        let url = url.trim();
        let path = match url.find("://") {
            // `scheme://[user@]host[:port]/path`: the path after the authority.
            Some(i) => {
                let rest = &url[i + 3..];
                let rest = rest.split(['?', '#']).next().unwrap_or_default();
                &rest[rest.find('/')?..]
            }
            // scp-like `[user@]host:path` (a `:` before any `/`), else a local path.
            None => match (url.find(':'), url.find('/')) {
                (Some(colon), slash) if slash.is_none_or(|s| colon < s) => &url[colon + 1..],
                _ => url,
            },
        };
        let path = path.trim_end_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path);
        let mut segments = path.rsplit('/').filter(|s| !s.is_empty());
        let name = segments.next()?;
        let owner = segments.next()?;
        RepoName::parse(&format!("{owner}/{name}")).ok()
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

    fn from_url(url: &str) -> Option<String> {
        RepoName::from_git_url(url).map(|r| r.to_string())
    }

    #[test]
    fn github_https_urls() {
        for url in [
            "https://github.com/acme/web",
            "https://github.com/acme/web.git",
            "https://github.com/acme/web/",
            "https://github.com/acme/web.git/",
            "http://github.com/acme/web",
        ] {
            assert_eq!(from_url(url).as_deref(), Some("acme/web"), "{url}");
        }
    }

    #[test]
    fn urls_with_credentials() {
        assert_eq!(
            from_url("https://x-access-token:SECRET@github.com/acme/web").as_deref(),
            Some("acme/web")
        );
        assert_eq!(
            redact_userinfo("https://x-access-token:SECRET@github.com/acme/web"),
            "https://***@github.com/acme/web"
        );
        assert_eq!(
            redact_userinfo("https://ghp_token@ghe.example.com/a/b.git"),
            "https://***@ghe.example.com/a/b.git"
        );
        // An `@` after the host is not a user name.
        assert_eq!(
            redact_userinfo("https://github.com/acme/web@v1"),
            "https://github.com/acme/web@v1"
        );
        assert_eq!(
            redact_userinfo("git@github.com:a/b.git"),
            "git@github.com:a/b.git"
        );
    }

    #[test]
    fn credentials_in_a_value_are_detected() {
        assert!(has_credentials(
            "https://x-access-token:s3cret@github.com/o/n"
        ));
        assert!(!has_credentials("https://github.com/o/n"));
        assert!(!has_credentials("git@github.com:o/n.git"));
    }

    #[test]
    fn ssh_urls() {
        for url in [
            "git@github.com:acme/web.git",
            "git@github.com:acme/web",
            "github.com:acme/web.git",
            "ssh://git@github.com/acme/web.git",
            "ssh://git@ghe.example.com:2222/acme/web.git",
            "git+ssh://git@github.com/acme/web",
        ] {
            assert_eq!(from_url(url).as_deref(), Some("acme/web"), "{url}");
        }
    }

    #[test]
    fn enterprise_hosts() {
        for url in [
            "https://ghe.example.com/acme/web.git",
            "https://ghe.example.com:8443/acme/web",
            "git@ghe.example.com:acme/web.git",
        ] {
            assert_eq!(from_url(url).as_deref(), Some("acme/web"), "{url}");
        }
    }

    #[test]
    fn local_forge_paths() {
        for url in [
            "/tmp/forge/acme/web.git",
            "forge/acme/web.git",
            "../forge/acme/web.git/",
            "file:///tmp/forge/acme/web.git",
            "file://localhost/tmp/forge/acme/web.git",
        ] {
            assert_eq!(from_url(url).as_deref(), Some("acme/web"), "{url}");
        }
    }

    #[test]
    fn urls_without_owner_and_name() {
        for url in [
            "",
            "web.git",
            "git@github.com:web.git",
            "https://github.com/",
            "https://github.com/acme",
            "https://github.com",
            "https://github.com/bad owner/web",
        ] {
            assert_eq!(from_url(url), None, "{url}");
        }
    }

    fn git_repo(dir: &Path, origin: Option<&str>) {
        let repo = git2::Repository::init(dir).unwrap();
        if let Some(url) = origin {
            repo.remote("origin", url).unwrap();
        }
    }

    #[test]
    fn inferred_from_origin_also_from_a_subdirectory() {
        let tmp = tempfile::tempdir().unwrap();
        git_repo(tmp.path(), Some("https://github.com/acme/web.git"));
        let sub = tmp.path().join("src/deep");
        std::fs::create_dir_all(&sub).unwrap();
        let name = infer_from_origin(&sub, "--source-repo").unwrap();
        assert_eq!(name.as_str(), "acme/web");
    }

    #[test]
    fn inference_errors_say_what_was_found_and_which_flag_to_pass() {
        let tmp = tempfile::tempdir().unwrap();
        let no_repo = tmp.path().join("plain");
        std::fs::create_dir_all(&no_repo).unwrap();
        // A temporary directory is not inside a repository, unless TMPDIR is: only check the message then.
        if let Err(e) = infer_from_origin(&no_repo, "--source-repo") {
            assert_eq!(
                e.hint().as_deref(),
                Some("pass `--source-repo OWNER/NAME`"),
                "{e}"
            );
        }

        let bare = tmp.path().join("no-origin");
        git_repo(&bare, None);
        let e = infer_from_origin(&bare, "--repo-name").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("has no `origin` remote"), "{msg}");
        assert_eq!(e.hint().as_deref(), Some("pass `--repo-name OWNER/NAME`"));

        let odd = tmp.path().join("odd");
        git_repo(
            &odd,
            Some("https://x-access-token:SECRET@github.com/just-a-name"),
        );
        let msg = infer_from_origin(&odd, "--source-repo")
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("`https://***@github.com/just-a-name`"),
            "{msg}"
        );
        assert!(!msg.contains("SECRET"), "{msg}");
    }
}
