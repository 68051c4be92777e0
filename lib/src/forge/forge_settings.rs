//! `ForgeSettings`: which code host to talk to, how to authenticate, and how requests are paced and retried;
//! [`Forge::new`](crate::forge::Forge::new) builds the forge they describe.
//!
//! Plain data with no command line attached: the binaries fill it from their forge arguments (`ecosync-cli`'s
//! `ForgeArgs`, which also applies the GitHub Actions fallbacks), a program can fill it itself. A token is
//! never a setting: the settings name the variables it is read from, when the forge is built.

use std::path::PathBuf;
use std::time::Duration;

use crate::forge::ForgeError;
use crate::forge::github::retry_policy::RetryPolicy;

/// The API root when none is given.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// The web address links in pull requests and issues point at, on GitHub (see
/// [`ForgeSettings::default_server_url`]).
pub const DEFAULT_SERVER_URL: &str = "https://github.com";

/// The variables a token is read from when [`ForgeSettings::token_env`] names none, in order.
pub const DEFAULT_TOKEN_VARS: [&str; 2] = ["ECOSYNC_TOKEN", "GITHUB_TOKEN"];

/// Everything [`Forge::new`](crate::forge::Forge::new) needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgeSettings {
    /// The code host: `github`, or `local:DIR` for a directory of bare repositories (no token, no network).
    pub forge: String,
    /// The variable to read the token from; `None` for [`DEFAULT_TOKEN_VARS`].
    pub token_env: Option<String>,
    /// The GitHub REST API root (GitHub Enterprise Server: `https://HOST/api/v3`).
    pub api_url: String,
    /// Authenticate as this GitHub App instead of with a token.
    pub app_id: Option<u64>,
    /// The GitHub App's private key (PEM file); wins over [`ForgeSettings::app_key_env`].
    pub app_key_file: Option<PathBuf>,
    /// The variable holding the GitHub App's private key (PEM).
    pub app_key_env: Option<String>,
    /// How many requests may be in flight at once.
    pub concurrency: u32,
    /// The least time between the starts of two mutating requests.
    pub min_interval: Duration,
    /// The most mutating requests started in any minute; 0 for no limit.
    pub max_writes_per_minute: u32,
    /// The most mutating requests started in any hour; 0 for no limit.
    pub max_writes_per_hour: u32,
    /// The most tries of one request, the first included.
    pub max_attempts: u32,
    /// The longest time spent on one request, its attempts and the waits for rate limits included.
    pub max_retry_time: Duration,
    /// The longest time one attempt may take, from sending to the answer's last byte, before it is tried
    /// again (connecting: at most 10 seconds of it). git over https uses it too: for connecting, for the
    /// answer's headers, and as the window of its low-speed limit.
    pub request_timeout: Duration,
    /// git over https gives up on an answer slower than this many bytes a second over a whole
    /// `request_timeout` (0: never).
    pub git_low_speed_limit: u64,
    /// The wait after a rate limit that gives no time (GitHub: at least a minute).
    pub min_rate_limit_wait: Duration,
    /// The first backoff after a 5xx or dropped connection.
    pub retry_base_delay: Duration,
}

impl ForgeSettings {
    /// The retry policy these settings ask for.
    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.max_attempts,
            max_total: self.max_retry_time,
            attempt_timeout: self.request_timeout,
            base_delay: self.retry_base_delay,
            min_rate_limit_wait: self.min_rate_limit_wait,
            ..RetryPolicy::default()
        }
    }

    /// How long git over https waits, from these settings.
    pub fn git_timeouts(&self) -> crate::git::git_https::GitTimeouts {
        crate::git::git_https::GitTimeouts {
            connect: self.request_timeout,
            response: self.request_timeout,
            low_speed_limit: self.git_low_speed_limit,
            low_speed_time: self.request_timeout,
        }
    }

    /// The web address for links in pull requests and issues when none is given: the local forge's
    /// directory as a `file://` URL (absolute, so a link works from anywhere), else
    /// [`DEFAULT_SERVER_URL`].
    pub fn default_server_url(&self) -> String {
        match self.forge.strip_prefix("local:") {
            Some(dir) => {
                let dir = std::path::absolute(dir).unwrap_or_else(|_| PathBuf::from(dir));
                format!("file://{}", dir.display())
            }
            None => DEFAULT_SERVER_URL.to_owned(),
        }
    }

    /// Whether this is the local forge.
    pub fn is_local(&self) -> bool {
        self.forge.starts_with("local:")
    }

    /// The token: the first of the variables looked at that is set and not blank, trimmed.
    pub(crate) fn token(&self) -> Result<String, ForgeError> {
        let vars: Vec<&str> = match &self.token_env {
            Some(var) => vec![var.as_str()],
            None => DEFAULT_TOKEN_VARS.to_vec(),
        };
        vars.iter()
            .filter_map(|v| std::env::var(v).ok())
            .map(|t| t.trim().to_string())
            .find(|t| !t.is_empty())
            .ok_or_else(|| {
                ForgeError::NoToken(
                    vars.iter()
                        .map(|v| format!("`{v}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })
    }

    /// The GitHub App's private key, from its file or its variable.
    pub(crate) fn app_key(&self) -> Result<octocrab::EncodingKey, ForgeError> {
        let (origin, pem) = match (&self.app_key_file, &self.app_key_env) {
            (Some(path), _) => {
                let origin = format!("file `{}`", path.display());
                let pem = std::fs::read(path).map_err(|e| ForgeError::AppKey {
                    origin: origin.clone(),
                    message: e.to_string(),
                })?;
                (origin, pem)
            }
            (None, Some(var)) => {
                let origin = format!("variable `{var}`");
                let pem = std::env::var(var).map_err(|_| ForgeError::AppKey {
                    origin: origin.clone(),
                    message: "it is not set".into(),
                })?;
                (origin, pem.into_bytes())
            }
            (None, None) => {
                return Err(ForgeError::Config(
                    "`--app-id` needs the app's private key: `--app-key-file FILE` or `--app-key-env VAR`"
                        .into(),
                ));
            }
        };
        octocrab::EncodingKey::from_rsa_pem(&pem).map_err(|e| ForgeError::AppKey {
            origin,
            message: format!("not an RSA private key in PEM form ({e})"),
        })
    }
}
