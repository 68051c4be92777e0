//! The words of `dispatcher watch`: the line it prints for each [`WatchEvent`].

use std::time::Duration;

use crate::watch::watcher::WatchEvent;

impl WatchEvent {
    /// The line a watcher prints for this event (after its time stamp), or `None` for the events that
    /// only feed the metrics (logged at debug level where they help).
    pub fn line(&self) -> Option<String> {
        Some(match self {
            WatchEvent::Quiet => {
                tracing::debug!("poll: nothing new");
                return None;
            }
            WatchEvent::Recorded { branch, head } => format!("`{branch}` is at {head}: recorded"),
            WatchEvent::Moved { branch, from, to } => match from {
                Some(f) => format!("`{branch}` moved {f}..{to}"),
                None => format!("`{branch}` at {to}: startup sync"),
            },
            WatchEvent::Delivered {
                repo, base, head, ..
            } => format!("{repo}: delivered {base}..{head}"),
            WatchEvent::Delivering { .. } | WatchEvent::Polled { .. } => return None,
            WatchEvent::WouldDeliver { repo, base, head } => {
                format!("{repo}: would deliver {base}..{head} (dry run)")
            }
            WatchEvent::Held { repo, why } => format!("{repo}: held back: {why}"),
            WatchEvent::Waiting {
                repo,
                breaker_open,
                retry_in,
            } => {
                let why = if *breaker_open {
                    "circuit open"
                } else {
                    "backing off"
                };
                tracing::debug!(%repo, "{why}: tried again in {retry_in:?}");
                return None;
            }
            WatchEvent::Failed {
                repo,
                error,
                failures,
                retry_in,
                breaker_open,
                ..
            } => format!(
                "{repo}: failed ({failures} in a row): {error}; {} in {}",
                if *breaker_open {
                    "circuit open, probed again"
                } else {
                    "retried"
                },
                humantime::format_duration(Duration::from_secs(retry_in.as_secs()))
            ),
            WatchEvent::Watermark {
                branch,
                message,
                failed,
            } => {
                if *failed {
                    format!("warning: `{branch}`: the dispatch watermark was not moved: {message}")
                } else if message.starts_with("moved") || message.starts_with("set") {
                    tracing::debug!(%branch, "{message}");
                    return None;
                } else {
                    format!("`{branch}`: {message}")
                }
            }
            WatchEvent::AuditFailed { error } => format!("warning: {error}"),
            WatchEvent::PollFailed { error, retry_in } => format!(
                "poll failed: {error}; tried again in {}",
                humantime::format_duration(Duration::from_secs(retry_in.as_secs().max(1)))
            ),
            WatchEvent::Stopped { signal } => match signal {
                Some(s) => format!("stopped by {s}: state written"),
                None => "stopped: state written".to_owned(),
            },
        })
    }
}
