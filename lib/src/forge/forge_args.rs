//! `ForgeArgs`: the command-line arguments that choose and configure the forge, shared by both binaries.
//!
//! A token is never accepted on the command line (it would show in process lists): `--token-env` names the
//! variable to read it from. [`ForgeArgs::build`] validates everything before any request is made.

use std::path::PathBuf;
use std::time::Duration;

use crate::forge::github::content_budget::{ContentBudget, GITHUB_PER_HOUR, GITHUB_PER_MINUTE};
use crate::forge::github::pacer::Pacer;
use crate::forge::github::retry_policy::RetryPolicy;
use crate::forge::github::{GitHubAuth, Timeouts};
use crate::forge::{Forge, ForgeError, GitHubForge, LocalForge};

/// The API root used when neither `--api-url`, `ECOSYNC_API_URL` nor `GITHUB_API_URL` gives one.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// The variables a token is read from when `--token-env` is not given, in order.
pub const DEFAULT_TOKEN_VARS: [&str; 2] = ["ECOSYNC_TOKEN", "GITHUB_TOKEN"];

/// Where requests go, how they authenticate, and how they are paced and retried.
#[derive(Debug, Clone, clap::Args)]
pub struct ForgeArgs {
    /// The code host: `github`, or `local:DIR` for a directory of bare repositories (no token, no network).
    #[arg(
        long,
        env = "ECOSYNC_FORGE",
        default_value = "github",
        value_name = "github|local:DIR"
    )]
    pub forge: String,

    /// Read the token from this environment variable [default: `ECOSYNC_TOKEN`, then `GITHUB_TOKEN`].
    #[arg(long, env = "ECOSYNC_TOKEN_ENV", value_name = "VAR")]
    pub token_env: Option<String>,

    /// The GitHub REST API root (GitHub Enterprise Server: `https://HOST/api/v3`) [default:
    /// `$GITHUB_API_URL`, else `https://api.github.com`].
    #[arg(long, env = "ECOSYNC_API_URL", value_name = "URL")]
    pub api_url: Option<String>,

    /// Authenticate as this GitHub App (with `--app-key-file` or `--app-key-env`) instead of a token.
    #[arg(long, env = "ECOSYNC_APP_ID", value_name = "ID")]
    pub app_id: Option<u64>,

    /// The GitHub App's private key (PEM file).
    #[arg(
        long,
        env = "ECOSYNC_APP_KEY_FILE",
        value_name = "FILE",
        conflicts_with = "app_key_env"
    )]
    pub app_key_file: Option<PathBuf>,

    /// The environment variable holding the GitHub App's private key (PEM).
    #[arg(long, env = "ECOSYNC_APP_KEY_ENV", value_name = "VAR")]
    pub app_key_env: Option<String>,

    /// How many requests may be in flight at once. GitHub asks for 1 (serial).
    #[arg(long, env = "ECOSYNC_CONCURRENCY", default_value_t = 1, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub concurrency: u32,

    /// The least time between the starts of two mutating requests (GitHub asks for 1s).
    #[arg(long, env = "ECOSYNC_MIN_INTERVAL", default_value = "1s", value_name = "DURATION",
          value_parser = parse_duration)]
    pub min_interval: Duration,

    /// The most mutating requests started in any minute; 0 for no limit (GitHub allows 80
    /// content-creating requests a minute).
    #[arg(long, env = "ECOSYNC_MAX_WRITES_PER_MINUTE", default_value_t = GITHUB_PER_MINUTE, value_name = "N")]
    pub max_writes_per_minute: u32,

    /// The most mutating requests started in any hour; 0 for no limit (GitHub allows 500
    /// content-creating requests an hour).
    #[arg(long, env = "ECOSYNC_MAX_WRITES_PER_HOUR", default_value_t = GITHUB_PER_HOUR, value_name = "N",
          visible_alias = "max-prs-per-hour")]
    pub max_writes_per_hour: u32,

    /// The most tries of one request, the first included.
    #[arg(long, env = "ECOSYNC_MAX_ATTEMPTS", default_value_t = 5, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=50))]
    pub max_attempts: u32,

    /// The longest time spent on one request, waits for rate limits included.
    #[arg(long, env = "ECOSYNC_MAX_RETRY_TIME", default_value = "15m", value_name = "DURATION",
          value_parser = parse_duration)]
    pub max_retry_time: Duration,

    /// How long to wait for an answer before trying again.
    #[arg(long, env = "ECOSYNC_REQUEST_TIMEOUT", default_value = "30s", value_name = "DURATION",
          value_parser = parse_duration)]
    pub request_timeout: Duration,

    /// The wait after a rate limit that gives no time (GitHub: at least a minute). For tests only.
    #[arg(long, env = "ECOSYNC_MIN_RATE_LIMIT_WAIT", default_value = "60s", hide = true,
          value_parser = parse_duration)]
    pub min_rate_limit_wait: Duration,

    /// The first backoff after a 5xx or dropped connection. For tests only.
    #[arg(long, env = "ECOSYNC_RETRY_BASE_DELAY", default_value = "1s", hide = true,
          value_parser = parse_duration)]
    pub retry_base_delay: Duration,
}

/// Parses `1s`, `500ms`, `2m`, or a plain number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    if let Ok(secs) = s.trim().parse::<f64>()
        && secs.is_finite()
        && secs >= 0.0
    {
        return Ok(Duration::from_secs_f64(secs));
    }
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("`{s}` is not a duration like `1s`, `500ms` or `2m`: {e}"))
}

impl ForgeArgs {
    /// The retry policy these arguments ask for.
    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.max_attempts,
            max_total: self.max_retry_time,
            base_delay: self.retry_base_delay,
            min_rate_limit_wait: self.min_rate_limit_wait,
            ..RetryPolicy::default()
        }
    }

    /// The API root: `--api-url` (or `ECOSYNC_API_URL`), else `GITHUB_API_URL` (set by GitHub Actions,
    /// also on GitHub Enterprise Server), else [`DEFAULT_API_URL`].
    pub fn api_url(&self) -> String {
        crate::cli_env::string_or_fallback(self.api_url.clone(), "GITHUB_API_URL")
            .unwrap_or_else(|| DEFAULT_API_URL.to_owned())
    }

    /// Whether this is the local forge.
    pub fn is_local(&self) -> bool {
        self.forge.starts_with("local:")
    }

    /// Validates the arguments and builds the forge. Reads the token or key from the environment; sends
    /// nothing. Must be called inside a Tokio runtime.
    pub fn build(&self) -> Result<Forge, ForgeError> {
        if let Some(dir) = self.forge.strip_prefix("local:") {
            if dir.is_empty() {
                return Err(ForgeError::BadSpec(self.forge.clone()));
            }
            return Ok(Forge::Local(LocalForge::new(dir)));
        }
        if self.forge != "github" {
            return Err(ForgeError::BadSpec(self.forge.clone()));
        }
        let auth = match self.app_id {
            Some(app_id) => GitHubAuth::App {
                app_id,
                key: self.app_key()?,
            },
            None => GitHubAuth::Token(self.token()?),
        };
        let pacer = Pacer::with_content_limits(
            self.retry_policy(),
            self.concurrency as usize,
            ContentBudget::new(
                self.min_interval,
                self.max_writes_per_minute,
                self.max_writes_per_hour,
            ),
        );
        let timeouts = Timeouts {
            connect: self.request_timeout.min(Duration::from_secs(10)),
            read: self.request_timeout,
        };
        Ok(Forge::GitHub(GitHubForge::new(
            &self.api_url(),
            auth,
            pacer,
            timeouts,
        )?))
    }

    fn token(&self) -> Result<String, ForgeError> {
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

    fn app_key(&self) -> Result<octocrab::EncodingKey, ForgeError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accept_units_and_plain_seconds() {
        assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("soon").unwrap_err().contains("`soon`"));
    }

    #[test]
    fn every_flag_reads_its_ecosync_variable() {
        use clap::Args as _;
        let cmd = ForgeArgs::augment_args(clap::Command::new("forge"));
        assert_eq!(
            crate::cli_env::flags_off_the_rule(&cmd),
            Vec::<String>::new()
        );
    }
}
