//! `Pacer`: the one place every forge request goes through, for pacing and retries.
//!
//! GitHub asks integrations to make requests serially and to leave at least one second between mutating
//! requests; both are settable (`concurrency`, `min_interval`). Mutating requests also keep GitHub's
//! content-creation limits, 80 a minute and 500 an hour by default ([`ContentBudget`]). When GitHub throttles one request, every
//! request of this process pauses until the wait is over, since the limit is per token. Each request is
//! retried according to the [`RetryPolicy`], within its bound on tries and on total time.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{Mutex, Semaphore};

use crate::forge::github::content_budget::{ContentBudget, GITHUB_PER_HOUR, GITHUB_PER_MINUTE};
use crate::forge::github::retry_policy::{Failure, RetryPolicy};

/// Whether a request changes something on the server (and so is spaced by the minimum interval).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// GET: not spaced.
    Read,
    /// POST, PATCH, PUT, DELETE: spaced by `min_interval` and counted against the content-creation limits.
    Mutating,
}

/// What became of a request that went through the pacer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempted<T> {
    /// The result of the last try.
    pub outcome: T,
    /// How many tries were made.
    pub attempts: u32,
}

/// Why the pacer stopped trying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GaveUp {
    /// The failure is not one that is retried (401, 404, 422, ...).
    Final,
    /// The try limit was reached.
    TooManyAttempts,
    /// The next wait would have gone past the time limit.
    OutOfTime {
        /// The wait that was not started.
        wait: Duration,
    },
}

/// What [`Pacer::run`] returns: the success, or the last failure with why the pacer stopped.
pub type PacedResult<T> = Result<Attempted<T>, (Attempted<Failure>, GaveUp)>;

/// Spaces and retries requests. Shared by every request of a forge.
#[derive(Debug)]
pub struct Pacer {
    policy: RetryPolicy,
    in_flight: Semaphore,
    budget: Mutex<ContentBudget>,
    paused_until: Mutex<Option<Instant>>,
    /// How many mutating requests have had their turn, for the line said when one waits.
    writes: std::sync::atomic::AtomicU64,
}

impl Pacer {
    /// A pacer allowing `concurrency` requests at once (at least 1), with `min_interval` between the starts
    /// of mutating requests and GitHub's content-creation limits (80 a minute, 500 an hour).
    pub fn new(policy: RetryPolicy, concurrency: usize, min_interval: Duration) -> Self {
        Self::with_content_limits(
            policy,
            concurrency,
            ContentBudget::new(min_interval, GITHUB_PER_MINUTE, GITHUB_PER_HOUR),
        )
    }

    /// A pacer allowing `concurrency` requests at once (at least 1) whose mutating requests start when
    /// `budget` says.
    pub fn with_content_limits(
        policy: RetryPolicy,
        concurrency: usize,
        budget: ContentBudget,
    ) -> Self {
        Pacer {
            policy,
            in_flight: Semaphore::new(concurrency.max(1)),
            writes: std::sync::atomic::AtomicU64::new(0),
            budget: Mutex::new(budget),
            paused_until: Mutex::new(None),
        }
    }

    /// The retry policy in force.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Runs `attempt` (given the 1-based try number) until it succeeds, fails for good, or the bounds are
    /// reached. Returns the success or the last failure, with the number of tries and why it stopped.
    ///
    /// Each attempt as a whole, from sending to the answer's last byte, is cut off after the policy's
    /// `attempt_timeout` (an HTTP client's own read timeout starts again with every byte, so a server that
    /// drips its answer would hold it forever), and no attempt runs past `max_total` from the first one's
    /// start.
    pub async fn run<T, F, Fut>(&self, kind: RequestKind, mut attempt: F) -> PacedResult<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let mut started = None;
        let mut tries = 0u32;
        loop {
            tries += 1;
            let result = {
                // The semaphore is never closed, so acquiring cannot fail; if it ever were, run unthrottled
                // rather than not at all.
                let _permit = self.in_flight.acquire().await.ok();
                self.wait_for_turn(kind).await;
                // The request's time counts from its first attempt: waiting for a turn is pacing, not
                // the server's slowness.
                let first = *started.get_or_insert_with(Instant::now);
                let left = self.policy.max_total.saturating_sub(first.elapsed());
                let limit = self.policy.attempt_timeout.min(left);
                match tokio::time::timeout(limit, attempt(tries)).await {
                    Ok(result) => result,
                    Err(_) => Err(Failure::TimedOut { after: limit }),
                }
            };
            let started = started.unwrap_or_else(Instant::now);
            let failure = match result {
                Ok(value) => {
                    return Ok(Attempted {
                        outcome: value,
                        attempts: tries,
                    });
                }
                Err(failure) => failure,
            };
            let give_up = |why| {
                Err((
                    Attempted {
                        outcome: failure.clone(),
                        attempts: tries,
                    },
                    why,
                ))
            };
            let Some(wait) =
                self.policy
                    .wait_before_retry(&failure, tries, SystemTime::now(), fastrand::f64())
            else {
                return give_up(GaveUp::Final);
            };
            if tries >= self.policy.max_attempts {
                return give_up(GaveUp::TooManyAttempts);
            }
            // The wait, and at least a moment of an attempt after it, must fit in the time left.
            if started.elapsed() + wait + MIN_ATTEMPT >= self.policy.max_total {
                return give_up(GaveUp::OutOfTime { wait });
            }
            // A retry is routine: it is only worth a line at `debug`. A wait for a rate limit can be long
            // and looks like a hang, so it is said at the default level (`warn`), once per wait.
            tracing::debug!(attempt = tries, ?wait, failure = %failure.message(), "retrying");
            if failure.is_rate_limit() {
                tracing::warn!("{}", rate_limit_wait_line(wait, SystemTime::now()));
                // The limit is per token: hold every request back, not just this one.
                let until = Instant::now() + wait;
                let mut paused = self.paused_until.lock().await;
                if paused.is_none_or(|p| p < until) {
                    *paused = Some(until);
                }
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Waits out a rate-limit pause and, for a mutating request, its turn in the budget (the minimum
    /// interval since the last one, room in the minute and in the hour).
    async fn wait_for_turn(&self, kind: RequestKind) {
        // Sleeping until an instant already passed still waits for the next timer tick (about 1 ms):
        // only sleep when there is something to wait for.
        let paused = *self.paused_until.lock().await;
        if let Some(until) = paused.filter(|u| *u > Instant::now()) {
            tokio::time::sleep_until(until.into()).await;
        }
        if kind == RequestKind::Mutating {
            let now = Instant::now();
            let start = {
                let mut budget = self.budget.lock().await;
                if budget.is_unlimited() {
                    return;
                }
                budget.reserve(now)
            };
            let n = 1 + self
                .writes
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if start > now {
                let wait = start - now;
                // Longer than the minimum interval: a content-creation limit holds it back. Said, so a
                // long wait does not look like a hang.
                if wait >= BUDGET_WAIT_SAID {
                    tracing::warn!(
                        "write {n} waits {}, until {} UTC: GitHub allows {} content-creating requests a minute \
                         and {} an hour (`--max-writes-per-minute`, `--max-writes-per-hour`)",
                        format_wait(wait),
                        utc_time_of_day(SystemTime::now() + wait),
                        GITHUB_PER_MINUTE,
                        GITHUB_PER_HOUR
                    );
                }
                tokio::time::sleep_until(start.into()).await;
            }
        }
    }
}

/// The least time worth an attempt: a retry that would have less than this left is not made.
const MIN_ATTEMPT: Duration = Duration::from_millis(100);

/// A budget wait at least this long is said at the default level.
const BUDGET_WAIT_SAID: Duration = Duration::from_secs(5);

/// `waiting 60 s for GitHub's rate limit, until 14:02:05 UTC`: the line said when a rate limit pauses the
/// requests, `now` being the wall clock.
pub fn rate_limit_wait_line(wait: Duration, now: SystemTime) -> String {
    format!(
        "waiting {} for GitHub's rate limit, until {} UTC",
        format_wait(wait),
        utc_time_of_day(now + wait)
    )
}

/// A wait for people: `1.5 s` under ten seconds, `60 s` under two minutes, then `4 min 30 s`.
fn format_wait(wait: Duration) -> String {
    if wait < Duration::from_secs(10) && wait.subsec_millis() >= 100 {
        return format!("{:.1} s", wait.as_secs_f64());
    }
    let secs = wait.as_secs() + u64::from(wait.subsec_millis() >= 500);
    match (secs / 60, secs % 60) {
        (m, s) if m < 2 => format!("{} s", m * 60 + s),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

/// `HH:MM:SS` of `t` in UTC (to the second, rounded down).
fn utc_time_of_day(t: SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        % 86_400;
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_limit_line_says_how_long_and_until_when_in_utc() {
        // 2027-01-15 14:01:05 UTC.
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_800_021_665);
        assert_eq!(
            rate_limit_wait_line(Duration::from_secs(60), now),
            "waiting 60 s for GitHub's rate limit, until 14:02:05 UTC"
        );
        assert_eq!(
            rate_limit_wait_line(Duration::from_millis(1500), now),
            "waiting 1.5 s for GitHub's rate limit, until 14:01:06 UTC"
        );
        assert_eq!(
            rate_limit_wait_line(Duration::from_secs(3600 + 270), now),
            "waiting 64 min 30 s for GitHub's rate limit, until 15:05:35 UTC"
        );
        // Past midnight the clock wraps.
        let late = now + Duration::from_secs(9 * 3600 + 58 * 60 + 25);
        assert_eq!(
            rate_limit_wait_line(Duration::from_secs(60), late),
            "waiting 60 s for GitHub's rate limit, until 00:00:30 UTC"
        );
    }

    #[test]
    fn waits_are_written_for_people() {
        assert_eq!(format_wait(Duration::from_secs(1)), "1 s");
        assert_eq!(format_wait(Duration::from_millis(250)), "0.2 s");
        assert_eq!(format_wait(Duration::from_millis(40)), "0 s");
        assert_eq!(format_wait(Duration::from_secs(75)), "75 s");
        assert_eq!(format_wait(Duration::from_millis(74_600)), "75 s");
        assert_eq!(format_wait(Duration::from_secs(120)), "2 min");
        assert_eq!(format_wait(Duration::from_secs(272)), "4 min 32 s");
    }

    fn fast_policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            min_rate_limit_wait: Duration::from_millis(10),
            ..RetryPolicy::default()
        }
    }

    #[tokio::test]
    async fn retries_server_errors_until_the_try_limit() {
        let pacer = Pacer::new(fast_policy(), 1, Duration::ZERO);
        let err = pacer
            .run(RequestKind::Read, |_| async {
                Err::<(), _>(Failure::Http {
                    status: 502,
                    message: "bad gateway".into(),
                    retry_after: None,
                    ratelimit_remaining: None,
                    ratelimit_reset: None,
                })
            })
            .await
            .unwrap_err();
        assert_eq!(err.0.attempts, 3);
        assert_eq!(err.1, GaveUp::TooManyAttempts);
    }

    #[tokio::test]
    async fn final_failures_are_tried_once() {
        let pacer = Pacer::new(fast_policy(), 1, Duration::ZERO);
        let err = pacer
            .run(RequestKind::Mutating, |_| async {
                Err::<(), _>(Failure::Http {
                    status: 404,
                    message: "Not Found".into(),
                    retry_after: None,
                    ratelimit_remaining: None,
                    ratelimit_reset: None,
                })
            })
            .await
            .unwrap_err();
        assert_eq!((err.0.attempts, err.1), (1, GaveUp::Final));
    }

    #[tokio::test]
    async fn gives_up_rather_than_wait_past_the_time_limit() {
        let policy = RetryPolicy {
            max_total: Duration::from_secs(5),
            ..fast_policy()
        };
        let pacer = Pacer::new(policy, 1, Duration::ZERO);
        let err = pacer
            .run(RequestKind::Read, |_| async {
                Err::<(), _>(Failure::Http {
                    status: 429,
                    message: "slow down".into(),
                    retry_after: Some(3600),
                    ratelimit_remaining: None,
                    ratelimit_reset: None,
                })
            })
            .await
            .unwrap_err();
        assert_eq!(
            err.1,
            GaveUp::OutOfTime {
                wait: Duration::from_secs(3600)
            }
        );
    }

    #[tokio::test]
    async fn an_attempt_is_cut_off_as_a_whole_and_the_request_by_its_total_time() {
        let policy = RetryPolicy {
            max_attempts: 10,
            max_total: Duration::from_millis(700),
            attempt_timeout: Duration::from_millis(300),
            base_delay: Duration::from_millis(10),
            ..RetryPolicy::default()
        };
        let pacer = Pacer::new(policy, 1, Duration::ZERO);
        let start = Instant::now();
        let err = pacer
            .run(RequestKind::Read, |_| async {
                // An answer that never ends (a server dripping one byte a second).
                std::future::pending::<Result<(), Failure>>().await
            })
            .await
            .unwrap_err();
        let took = start.elapsed();
        assert!(matches!(err.0.outcome, Failure::TimedOut { .. }), "{err:?}");
        assert!(err.0.attempts >= 2, "{err:?}");
        assert!(
            took >= Duration::from_millis(600) && took < Duration::from_millis(1500),
            "{took:?}"
        );
        assert!(
            err.0
                .outcome
                .message()
                .starts_with("no complete answer within")
        );
    }

    #[tokio::test]
    async fn mutating_requests_are_spaced_by_the_interval() {
        let pacer = Pacer::new(fast_policy(), 4, Duration::from_millis(100));
        let start = Instant::now();
        let times = std::sync::Mutex::new(Vec::new());
        let one = || async {
            pacer
                .run(RequestKind::Mutating, |_| async {
                    times.lock().unwrap().push(start.elapsed());
                    Ok::<_, Failure>(())
                })
                .await
        };
        let _ = tokio::join!(one(), one(), one());
        let mut times = times.into_inner().unwrap();
        times.sort();
        // Slots are reserved 100 ms apart from the first one, which is at or after `start`; a request never
        // runs before its slot. Gaps between observed times can shrink when the first request is scheduled
        // late on a loaded machine, so assert against the slots, which load can only delay.
        assert!(times[1] >= Duration::from_millis(100), "{times:?}");
        assert!(times[2] >= Duration::from_millis(200), "{times:?}");
    }

    #[tokio::test]
    async fn a_rate_limit_holds_back_every_request_until_it_is_over() {
        let pacer = Pacer::new(fast_policy(), 2, Duration::ZERO);
        let start = Instant::now();
        let limited = pacer.run(RequestKind::Read, |attempt| async move {
            if attempt == 1 {
                Err(Failure::Http {
                    status: 429,
                    message: "slow down".into(),
                    retry_after: Some(1),
                    ratelimit_remaining: None,
                    ratelimit_reset: None,
                })
            } else {
                Ok(())
            }
        });
        let other = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            pacer
                .run(RequestKind::Read, |_| async {
                    Ok::<_, Failure>(start.elapsed())
                })
                .await
        };
        let (limited, other) = tokio::join!(limited, other);
        assert_eq!(limited.unwrap().attempts, 2);
        let other_started = other.unwrap().outcome;
        assert!(
            other_started >= Duration::from_millis(990),
            "{other_started:?}"
        );
    }

    #[tokio::test]
    async fn mutating_requests_keep_the_windows_of_the_budget() {
        // 3 starts in any 300 ms: the slots are 0, 0, 0, 300 and 300 ms. A request never runs before its slot
        // (load can only delay it), so the fourth and fifth run 300 ms or more after the start.
        let window = crate::forge::github::content_budget::Window {
            limit: 3,
            length: Duration::from_millis(300),
        };
        let budget = ContentBudget::with_windows(Duration::ZERO, &[window]);
        let pacer = Pacer::with_content_limits(fast_policy(), 8, budget);
        let start = Instant::now();
        let times = std::sync::Mutex::new(Vec::new());
        let one = || async {
            pacer
                .run(RequestKind::Mutating, |_| async {
                    times.lock().unwrap().push(start.elapsed());
                    Ok::<_, Failure>(())
                })
                .await
        };
        let _ = tokio::join!(one(), one(), one(), one(), one());
        // Reads are not counted.
        pacer
            .run(RequestKind::Read, |_| async { Ok::<_, Failure>(()) })
            .await
            .unwrap();
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        let mut times = times.into_inner().unwrap();
        times.sort();
        assert_eq!(times.len(), 5);
        assert!(times[3] >= Duration::from_millis(300), "{times:?}");
        assert!(times[4] >= Duration::from_millis(300), "{times:?}");
    }

    #[tokio::test]
    async fn reads_are_not_spaced() {
        let pacer = Pacer::new(fast_policy(), 1, Duration::from_secs(10));
        let start = Instant::now();
        for _ in 0..3 {
            pacer
                .run(RequestKind::Read, |_| async { Ok::<_, Failure>(()) })
                .await
                .unwrap();
        }
        assert!(start.elapsed() < Duration::from_secs(1));
    }
}
