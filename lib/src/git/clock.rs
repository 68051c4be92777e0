//! Seconds since the Unix epoch, as git stores commit times.

use std::time::{SystemTime, UNIX_EPOCH};

/// `time` as seconds since the Unix epoch (0 before it, `i64::MAX` past the year 292 billion).
pub fn unix_seconds(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A git time (seconds since the epoch, negative before it) as a [`SystemTime`].
pub fn from_unix_seconds(seconds: i64) -> SystemTime {
    UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
}
