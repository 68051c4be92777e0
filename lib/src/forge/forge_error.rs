//! `ForgeError`: why a request to a code host failed, with the HTTP status, the tries made and a hint.

use std::path::PathBuf;

use crate::error_kind::{ErrorKind, UserError};

/// Why a forge operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ForgeError {
    /// `--forge` is neither `github` nor `local:DIR`.
    #[error("forge `{0}` is not `github` or `local:DIR` (for example `local:/tmp/forge`)")]
    BadSpec(String),
    /// No token in any of the variables looked at.
    #[error("no GitHub token: none of {0} is set")]
    NoToken(String),
    /// A setting is out of range or inconsistent.
    #[error("{0}")]
    Config(String),
    /// The GitHub App private key cannot be read or used.
    #[error("cannot use the GitHub App private key from {origin}: {message}")]
    AppKey {
        /// Where the key was read from: the file or the variable, named in backticks.
        origin: String,
        /// What went wrong.
        message: String,
    },
    /// The HTTP client could not be set up.
    #[error("cannot set up the GitHub client for `{api_url}`: {message}")]
    Client {
        /// The API base URL.
        api_url: String,
        /// What went wrong.
        message: String,
    },
    /// A request failed, after retries where they were allowed.
    #[error("{}", describe_request(operation, repo, *status, *attempts, message))]
    Request {
        /// What was being done (`dispatch`, `create pull request`, ...).
        operation: &'static str,
        /// The repository it was done to.
        repo: String,
        /// The last HTTP status, when the server answered.
        status: Option<u16>,
        /// How many tries were made.
        attempts: u32,
        /// The last failure, as GitHub (or the HTTP client) put it.
        message: String,
        /// What to check.
        hint: Option<String>,
    },
    /// The local forge has no bare repository for a name.
    #[error(
        "repository `{repo}` does not exist in the local forge (no bare repository at `{}`)",
        path.display()
    )]
    LocalNoRepo {
        /// The repository asked for.
        repo: String,
        /// Where its bare repository should be.
        path: PathBuf,
    },
    /// The local forge has no pull request or issue with that number.
    #[error("`{repo}` has no {what} #{number} in the local forge")]
    LocalNotFound {
        /// The repository.
        repo: String,
        /// `pull request` or `issue`.
        what: &'static str,
        /// The number asked for.
        number: u64,
    },
    /// A button pressed on the local forge's pull request cannot do what it says.
    #[error("cannot {action} pull request #{number} of `{repo}`: {message}")]
    LocalButton {
        /// `merge`, `close`, `reopen`.
        action: &'static str,
        /// The repository.
        repo: String,
        /// The pull request.
        number: u64,
        /// Why.
        message: String,
    },
    /// A file of the local forge cannot be read or written.
    #[error("local forge: cannot {action} `{}`: {source}", path.display())]
    LocalIo {
        /// `read`, `write`, `create directory`, ...
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A record of the local forge is not valid JSON of the expected shape.
    #[error("local forge: `{}` is not a valid record: {message}", path.display())]
    LocalRecord {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

fn describe_request(
    operation: &str,
    repo: &str,
    status: Option<u16>,
    attempts: u32,
    message: &str,
) -> String {
    if attempts == 0 {
        return format!("{operation} on `{repo}` failed: {message}");
    }
    let tries = if attempts == 1 {
        "1 attempt".to_string()
    } else {
        format!("{attempts} attempts")
    };
    match status {
        Some(status) => {
            format!("{operation} on `{repo}` failed with HTTP {status} after {tries}: {message}")
        }
        None => format!("{operation} on `{repo}` failed after {tries}: {message}"),
    }
}

impl ForgeError {
    /// The last HTTP status, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ForgeError::Request { status, .. } => *status,
            ForgeError::LocalNoRepo { .. } | ForgeError::LocalNotFound { .. } => Some(404),
            _ => None,
        }
    }

    /// How many tries were made (0 when nothing was sent).
    pub fn attempts(&self) -> u32 {
        match self {
            ForgeError::Request { attempts, .. } => *attempts,
            ForgeError::LocalNoRepo { .. }
            | ForgeError::LocalNotFound { .. }
            | ForgeError::LocalIo { .. }
            | ForgeError::LocalRecord { .. } => 1,
            _ => 0,
        }
    }
}

impl UserError for ForgeError {
    /// The forge cannot be set up (a usage error: a setting must be fixed), or a request failed.
    fn kind(&self) -> ErrorKind {
        match self {
            ForgeError::BadSpec(_)
            | ForgeError::NoToken(_)
            | ForgeError::Config(_)
            | ForgeError::AppKey { .. }
            | ForgeError::Client { .. } => ErrorKind::Usage,
            ForgeError::Request { .. }
            | ForgeError::LocalNoRepo { .. }
            | ForgeError::LocalNotFound { .. }
            | ForgeError::LocalButton { .. }
            | ForgeError::LocalIo { .. }
            | ForgeError::LocalRecord { .. } => ErrorKind::Failed,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            ForgeError::Request { hint, .. } => hint.clone(),
            ForgeError::NoToken(_) => Some(
                "set one, name another variable with `--token-env VAR`, or use GitHub App auth \
                 (`--app-id` with `--app-key-file` or `--app-key-env`)"
                    .to_owned(),
            ),
            ForgeError::LocalNoRepo { path, .. } => Some(format!(
                "create it with `git init --bare {}`",
                path.display()
            )),
            _ => None,
        }
    }
}
