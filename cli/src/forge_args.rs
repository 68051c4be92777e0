//! `ForgeArgs`: the command-line arguments that choose and configure the forge, shared by both binaries;
//! they map to the library's [`ForgeSettings`], from which [`Forge::new`] builds the forge.
//!
//! A token is never accepted on the command line (it would show in process lists): `--token-env` names the
//! variable to read it from. [`ForgeArgs::build`] validates everything before any request is made.

use std::path::PathBuf;
use std::time::Duration;

use ecosync::forge::forge_settings::DEFAULT_API_URL;
use ecosync::forge::github::content_budget::{GITHUB_PER_HOUR, GITHUB_PER_MINUTE};
use ecosync::{Forge, ForgeError, ForgeSettings};

use crate::cli_env::string_or_fallback;

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

    /// The longest time spent on one request, all its tries and the waits between them (rate limits
    /// included) together.
    #[arg(long, env = "ECOSYNC_MAX_RETRY_TIME", default_value = "15m", value_name = "DURATION",
          value_parser = parse_duration)]
    pub max_retry_time: Duration,

    /// The longest time one try of a request may take, from sending it to the answer's last byte, before it
    /// is tried again; git over https waits as long to connect and for an answer's headers.
    #[arg(long, env = "ECOSYNC_REQUEST_TIMEOUT", default_value = "30s", value_name = "DURATION",
          value_parser = parse_duration)]
    pub request_timeout: Duration,

    /// git over https gives up on an answer slower than this many bytes a second for a whole
    /// `--request-timeout` (as git's `http.lowSpeedLimit`); 0 never does.
    #[arg(long, env = "ECOSYNC_GIT_LOW_SPEED_LIMIT", value_name = "BYTES_PER_SECOND",
          default_value_t = ecosync::git::git_https::DEFAULT_LOW_SPEED_LIMIT)]
    pub git_low_speed_limit: u64,

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
    /// The settings these arguments give, with the API root's fallback applied: `--api-url` (or
    /// `ECOSYNC_API_URL`), else `GITHUB_API_URL` (set by GitHub Actions, also on GitHub Enterprise Server),
    /// else [`DEFAULT_API_URL`]. Reads nothing else; the token or key is read when the forge is built.
    pub fn settings(&self) -> ForgeSettings {
        ForgeSettings {
            forge: self.forge.clone(),
            token_env: self.token_env.clone(),
            api_url: string_or_fallback(self.api_url.clone(), "GITHUB_API_URL")
                .unwrap_or_else(|| DEFAULT_API_URL.to_owned()),
            app_id: self.app_id,
            app_key_file: self.app_key_file.clone(),
            app_key_env: self.app_key_env.clone(),
            concurrency: self.concurrency,
            min_interval: self.min_interval,
            max_writes_per_minute: self.max_writes_per_minute,
            max_writes_per_hour: self.max_writes_per_hour,
            max_attempts: self.max_attempts,
            max_retry_time: self.max_retry_time,
            request_timeout: self.request_timeout,
            git_low_speed_limit: self.git_low_speed_limit,
            min_rate_limit_wait: self.min_rate_limit_wait,
            retry_base_delay: self.retry_base_delay,
        }
    }

    /// Validates the arguments and builds the forge ([`Forge::new`] of their [`ForgeArgs::settings`]). Reads
    /// the token or key from the environment; sends nothing. Must be called inside a Tokio runtime.
    pub fn build(&self) -> Result<Forge, ForgeError> {
        Forge::new(&self.settings())
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
