//! `ContentBudget`: GitHub's content-creation limits (80 requests a minute, 500 an hour) as sliding windows.
//!
//! GitHub's secondary rate limits allow "no more than 80 content-generating requests per minute and no more
//! than 500 content-generating requests per hour", and a client that goes over is throttled, for up to an
//! hour, so ecosync paces below the limits rather than reacting to them. GitHub does not list which endpoints are content-generating:
//! a `repository_dispatch` creates a workflow run, so every mutating request counts here, which can only be
//! stricter than GitHub. The budget hands out start times: a request starts at once while every window has
//! room, and otherwise when the oldest start that fills a window leaves it. With the defaults, 1,000
//! requests at one a second take 500 s for the first 500, wait for the hour since the first to pass, and end
//! about 68 minutes after the start; no minute holds more than 80 and no hour more than 500.
//!
//! The budget is plain data over [`Instant`]s, so a test can drive it with any clock.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// GitHub's content-creation limit per minute.
pub const GITHUB_PER_MINUTE: u32 = 80;
/// GitHub's content-creation limit per hour.
pub const GITHUB_PER_HOUR: u32 = 500;

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

/// At most `limit` starts in any window of `length` (a limit of 0 is no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// How many starts the window holds.
    pub limit: u32,
    /// How long the window is.
    pub length: Duration,
}

/// Start times of mutating requests, spaced so that every window's limit holds.
#[derive(Debug, Clone)]
pub struct ContentBudget {
    windows: Vec<Window>,
    min_interval: Duration,
    /// Starts handed out within the longest window, oldest first (never more than its limit).
    starts: VecDeque<Instant>,
    keep: usize,
}

impl ContentBudget {
    /// A budget with `min_interval` between starts and at most `per_minute` starts in any minute and
    /// `per_hour` in any hour (0 for either: that limit is off).
    pub fn new(min_interval: Duration, per_minute: u32, per_hour: u32) -> Self {
        Self::with_windows(
            min_interval,
            &[
                Window {
                    limit: per_minute,
                    length: MINUTE,
                },
                Window {
                    limit: per_hour,
                    length: HOUR,
                },
            ],
        )
    }

    /// A budget with `min_interval` between starts and the limit of each of `windows` (a window whose limit
    /// is 0 is ignored).
    pub fn with_windows(min_interval: Duration, windows: &[Window]) -> Self {
        let windows: Vec<Window> = windows.iter().copied().filter(|w| w.limit > 0).collect();
        let keep = windows.iter().map(|w| w.limit as usize).max().unwrap_or(1);
        ContentBudget {
            windows,
            min_interval,
            starts: VecDeque::with_capacity(keep.min(1024)),
            keep,
        }
    }

    /// Whether the budget never delays anything (no interval, no limit).
    pub fn is_unlimited(&self) -> bool {
        self.min_interval.is_zero() && self.windows.is_empty()
    }

    /// Reserves the earliest start at or after `now` that keeps the interval and every window's limit, and
    /// returns it. Reservations are handed out in order, so starts never decrease.
    pub fn reserve(&mut self, now: Instant) -> Instant {
        let mut start = now;
        if let Some(&last) = self.starts.back() {
            start = start.max(last + self.min_interval);
        }
        for w in &self.windows {
            let limit = w.limit as usize;
            // The start `limit` places back must be a whole window before this one.
            if self.starts.len() >= limit {
                let oldest = self.starts[self.starts.len() - limit];
                start = start.max(oldest + w.length);
            }
        }
        self.starts.push_back(start);
        while self.starts.len() > self.keep {
            self.starts.pop_front();
        }
        start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The most starts found in any window of `length` (every window that begins at a start).
    fn busiest(starts: &[Instant], length: Duration) -> usize {
        (0..starts.len())
            .map(|i| {
                starts[i..]
                    .iter()
                    .take_while(|&&s| s < starts[i] + length)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn a_thousand_dispatches_at_the_defaults_keep_both_of_githubs_limits() {
        let t0 = Instant::now();
        let mut budget =
            ContentBudget::new(Duration::from_secs(1), GITHUB_PER_MINUTE, GITHUB_PER_HOUR);
        // Each request takes 300 ms: the next one asks right after the previous one started and ended.
        let mut starts = Vec::new();
        let mut now = t0;
        for _ in 0..1000 {
            let s = budget.reserve(now);
            starts.push(s);
            now = s + Duration::from_millis(300);
        }
        assert!(busiest(&starts, HOUR) <= 500, "{}", busiest(&starts, HOUR));
        assert!(
            busiest(&starts, MINUTE) <= 80,
            "{}",
            busiest(&starts, MINUTE)
        );
        assert!(
            starts
                .windows(2)
                .all(|w| w[1] - w[0] >= Duration::from_secs(1))
        );
        // 500 at one a second, then the hour since the first start, then 500 more at one a second.
        assert_eq!(starts[499] - t0, Duration::from_secs(499));
        assert_eq!(starts[500] - t0, HOUR);
        assert_eq!(starts[999] - t0, HOUR + Duration::from_secs(499));
    }

    #[test]
    fn without_an_interval_the_minute_limit_spaces_bursts() {
        let t0 = Instant::now();
        let mut budget = ContentBudget::new(Duration::ZERO, GITHUB_PER_MINUTE, GITHUB_PER_HOUR);
        let starts: Vec<Instant> = (0..600).map(|_| budget.reserve(t0)).collect();
        assert_eq!(busiest(&starts, MINUTE), 80);
        assert_eq!(busiest(&starts, HOUR), 500);
        // Bursts of 80 a minute apart: the 81st waits a minute, the 161st two.
        assert_eq!(starts[79], t0);
        assert_eq!(starts[80] - t0, MINUTE);
        assert_eq!(starts[160] - t0, 2 * MINUTE);
        // The 501st waits for the hour.
        assert_eq!(starts[500] - t0, HOUR);
    }

    #[test]
    fn a_quiet_spell_frees_the_budget() {
        let t0 = Instant::now();
        let mut budget = ContentBudget::new(Duration::ZERO, 2, 0);
        assert_eq!(budget.reserve(t0), t0);
        assert_eq!(budget.reserve(t0), t0);
        // Two minutes later both have left the window.
        let later = t0 + 2 * MINUTE;
        assert_eq!(budget.reserve(later), later);
        assert_eq!(budget.reserve(later), later);
        assert_eq!(budget.reserve(later), later + MINUTE);
    }

    #[test]
    fn zero_limits_and_interval_never_delay() {
        let t0 = Instant::now();
        let mut budget = ContentBudget::new(Duration::ZERO, 0, 0);
        assert!(budget.is_unlimited());
        assert!((0..10_000).all(|_| budget.reserve(t0) == t0));
    }
}
