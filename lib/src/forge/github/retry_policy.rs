//! `RetryPolicy`: which failed GitHub requests are tried again, and how long to wait before the next try.
//!
//! These are GitHub's documented rules, kept as pure functions so they can be tested without a clock:
//! a 403 or 429 that is a rate limit waits `retry-after` seconds when the header is there, else until
//! `x-ratelimit-reset` when `x-ratelimit-remaining` is 0, else at least a minute (secondary limits send
//! neither header), growing exponentially with jitter on repeated limits. 5xx answers, timeouts and dropped
//! connections back off exponentially with jitter. Everything else (401, 404, 422, a 403 that is not a rate
//! limit, ...) is final. [`crate::forge::github::pacer::Pacer`] applies the policy and bounds the tries and the total time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Why one attempt at a request failed, as far as retrying is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The server answered with an error status.
    Http {
        /// The HTTP status code.
        status: u16,
        /// GitHub's `message` (or the status text).
        message: String,
        /// The `retry-after` header, in seconds.
        retry_after: Option<u64>,
        /// The `x-ratelimit-remaining` header.
        ratelimit_remaining: Option<u64>,
        /// The `x-ratelimit-reset` header (UTC epoch seconds).
        ratelimit_reset: Option<u64>,
    },
    /// No answer: connection refused or dropped, or the HTTP client's own timeout.
    Transport {
        /// What the HTTP client said.
        message: String,
    },
    /// No complete answer within the attempt's time (`--request-timeout`, or what was left of
    /// `--max-retry-time`): a server that never answers, stalls after its headers or drips its body.
    TimedOut {
        /// How long the attempt was given.
        after: Duration,
    },
    /// Anything else (an answer we could not read, a bad request we built): never retried.
    Other {
        /// What went wrong.
        message: String,
    },
}

impl Failure {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Failure::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether this is GitHub throttling us (primary or secondary rate limit).
    pub fn is_rate_limit(&self) -> bool {
        match self {
            Failure::Http {
                status,
                message,
                retry_after,
                ratelimit_remaining,
                ..
            } => {
                *status == 429
                    || (*status == 403
                        && (retry_after.is_some()
                            || *ratelimit_remaining == Some(0)
                            || message.to_ascii_lowercase().contains("rate limit")))
            }
            _ => false,
        }
    }

    /// A one-line description.
    pub fn message(&self) -> String {
        match self {
            Failure::Http {
                status, message, ..
            } => format!("HTTP {status}: {message}"),
            Failure::Transport { message } | Failure::Other { message } => message.clone(),
            Failure::TimedOut { after } => format!(
                "no complete answer within {}",
                humantime::format_duration(Duration::from_millis(
                    u64::try_from(after.as_millis()).unwrap_or(u64::MAX)
                ))
            ),
        }
    }
}

/// How often and how long requests are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The most tries of one request, the first included.
    pub max_attempts: u32,
    /// The longest time spent on one request, its attempts and the waits between them included: an attempt
    /// is cut off when it would end later, and a wait that would end later is not started.
    pub max_total: Duration,
    /// The longest time one attempt may take, from sending the request to the last byte of the answer
    /// (`--request-timeout`).
    pub attempt_timeout: Duration,
    /// The first backoff after a 5xx or transport failure; doubles on each further try.
    pub base_delay: Duration,
    /// The longest single backoff (header-given waits are honoured even when longer, within `max_total`).
    pub max_delay: Duration,
    /// The wait after a rate limit that says nothing about when to come back. GitHub asks for "at least one
    /// minute"; only tests should lower it.
    pub min_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            max_total: Duration::from_secs(15 * 60),
            attempt_timeout: Duration::from_secs(30),
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(5 * 60),
            min_rate_limit_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// How long to wait before trying again after `attempts` failed tries ending in `failure`, or `None` when
    /// the failure is final. `jitter` is a number in `[0, 1)`; `now` is the wall clock (for
    /// `x-ratelimit-reset`). The try and time bounds are applied by the caller.
    pub fn wait_before_retry(
        &self,
        failure: &Failure,
        attempts: u32,
        now: SystemTime,
        jitter: f64,
    ) -> Option<Duration> {
        let exponent = attempts.saturating_sub(1).min(16);
        if failure.is_rate_limit() {
            let Failure::Http {
                retry_after,
                ratelimit_remaining,
                ratelimit_reset,
                ..
            } = failure
            else {
                return None;
            };
            if let Some(secs) = retry_after {
                return Some(Duration::from_secs(*secs));
            }
            if let (Some(0), Some(reset)) = (ratelimit_remaining, ratelimit_reset) {
                let now_secs = now.duration_since(UNIX_EPOCH).unwrap_or_default();
                return Some(Duration::from_secs(*reset).saturating_sub(now_secs));
            }
            // A secondary limit without headers: at least the minimum, doubling, plus up to a quarter more.
            let wait = self.min_rate_limit_wait.saturating_mul(1 << exponent);
            return Some(wait + wait.mul_f64(jitter.clamp(0.0, 1.0) / 4.0));
        }
        let retryable = match failure {
            Failure::Http { status, .. } => *status >= 500,
            Failure::Transport { .. } | Failure::TimedOut { .. } => true,
            Failure::Other { .. } => false,
        };
        if !retryable {
            return None;
        }
        // Exponential backoff with "equal jitter": between half and all of the doubled delay.
        let full = self
            .base_delay
            .saturating_mul(1 << exponent)
            .min(self.max_delay);
        Some(full / 2 + (full / 2).mul_f64(jitter.clamp(0.0, 1.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16, message: &str) -> Failure {
        Failure::Http {
            status,
            message: message.into(),
            retry_after: None,
            ratelimit_remaining: None,
            ratelimit_reset: None,
        }
    }

    const NOW: u64 = 1_800_000_000;

    fn wait(f: &Failure, attempts: u32, jitter: f64) -> Option<Duration> {
        RetryPolicy::default().wait_before_retry(
            f,
            attempts,
            UNIX_EPOCH + Duration::from_secs(NOW),
            jitter,
        )
    }

    #[test]
    fn retry_after_wins_over_everything() {
        let f = Failure::Http {
            status: 429,
            message: "slow down".into(),
            retry_after: Some(7),
            ratelimit_remaining: Some(0),
            ratelimit_reset: Some(NOW + 100),
        };
        assert_eq!(wait(&f, 1, 0.9), Some(Duration::from_secs(7)));
    }

    #[test]
    fn exhausted_primary_limit_waits_until_reset() {
        let f = Failure::Http {
            status: 403,
            message: "API rate limit exceeded".into(),
            retry_after: None,
            ratelimit_remaining: Some(0),
            ratelimit_reset: Some(NOW + 42),
        };
        assert_eq!(wait(&f, 3, 0.5), Some(Duration::from_secs(42)));
        let past = Failure::Http {
            status: 403,
            message: "API rate limit exceeded".into(),
            retry_after: None,
            ratelimit_remaining: Some(0),
            ratelimit_reset: Some(NOW - 5),
        };
        assert_eq!(wait(&past, 1, 0.5), Some(Duration::ZERO));
    }

    #[test]
    fn secondary_limit_without_headers_waits_at_least_a_minute_then_doubles() {
        let f = http(
            403,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        );
        assert_eq!(wait(&f, 1, 0.0), Some(Duration::from_secs(60)));
        assert_eq!(wait(&f, 2, 0.0), Some(Duration::from_secs(120)));
        let jittered = wait(&f, 1, 0.99).unwrap();
        assert!(jittered >= Duration::from_secs(60) && jittered < Duration::from_secs(76));
    }

    #[test]
    fn a_429_without_headers_is_a_rate_limit() {
        assert_eq!(wait(&http(429, "x"), 1, 0.0), Some(Duration::from_secs(60)));
    }

    #[test]
    fn a_403_that_is_not_a_rate_limit_is_final() {
        let f = http(403, "Resource not accessible by integration");
        assert!(!f.is_rate_limit());
        assert_eq!(wait(&f, 1, 0.5), None);
    }

    #[test]
    fn client_errors_are_final() {
        for status in [400, 401, 404, 409, 410, 422] {
            assert_eq!(wait(&http(status, "no"), 1, 0.5), None, "{status}");
        }
        assert_eq!(
            wait(
                &Failure::Other {
                    message: "bad json".into()
                },
                1,
                0.5
            ),
            None
        );
    }

    #[test]
    fn server_and_transport_errors_back_off_exponentially_with_jitter() {
        let t = Failure::Transport {
            message: "connection reset".into(),
        };
        assert_eq!(wait(&t, 1, 0.0), Some(Duration::from_millis(500)));
        assert_eq!(wait(&t, 1, 1.0), Some(Duration::from_secs(1)));
        assert_eq!(
            wait(&http(502, "bad gateway"), 3, 0.0),
            Some(Duration::from_secs(2))
        );
        // Capped at max_delay.
        assert_eq!(wait(&t, 30, 1.0), Some(Duration::from_secs(300)));
    }
}
