//! `DeliveryStatuses`: the ecosync commit statuses of one source commit, one per target, for
//! `dispatcher status`, and waiting until none is pending.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::error_kind::UserError;
use crate::forge::commit_status::{self, CommitStatus, StatusState};
use crate::forge::{Forge, ForgeError};
use crate::repo_name::RepoName;

/// Why the statuses could not be listed, or waiting ended without them settled.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryStatusError {
    /// The forge could not list them.
    #[error("cannot list the delivery statuses of {sha} in {repo}")]
    Forge {
        /// The source repository.
        repo: RepoName,
        /// The commit.
        sha: String,
        /// Why.
        #[source]
        source: ForgeError,
    },
    /// `--wait` ran out with targets still pending.
    #[error(
        "timed out after {waited}: {} of {total} target(s) still pending: {}",
        pending.len(),
        pending.join(", ")
    )]
    TimedOut {
        /// How long it waited, for people.
        waited: String,
        /// The targets still pending.
        pending: Vec<String>,
        /// How many targets have a status.
        total: usize,
    },
}

impl UserError for DeliveryStatusError {
    fn hint(&self) -> Option<String> {
        match self {
            DeliveryStatusError::Forge { source, .. } => source.hint(),
            DeliveryStatusError::TimedOut { .. } => Some(
                "a pending target has not run its sync yet, or its configuration lacks \
                 `\"acknowledge\": true`; wait longer with `--wait`, or look at its workflow runs"
                    .to_owned(),
            ),
        }
    }
}

/// The newest ecosync status of each target on one commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryStatuses {
    /// The source repository.
    pub repo: RepoName,
    /// The commit.
    pub sha: String,
    /// One per target, sorted by target.
    pub statuses: Vec<CommitStatus>,
}

impl DeliveryStatuses {
    /// Lists them.
    pub async fn list(
        forge: &Forge,
        repo: &RepoName,
        sha: &str,
    ) -> Result<Self, DeliveryStatusError> {
        let all = forge.commit_statuses(repo, sha).await.map_err(|source| {
            DeliveryStatusError::Forge {
                repo: repo.clone(),
                sha: sha.to_owned(),
                source,
            }
        })?;
        Ok(DeliveryStatuses {
            repo: repo.clone(),
            sha: sha.to_owned(),
            statuses: commit_status::latest_per_target(all),
        })
    }

    /// Lists them every `interval` until none is pending, for at most `timeout`.
    pub async fn wait(
        forge: &Forge,
        repo: &RepoName,
        sha: &str,
        timeout: Duration,
        interval: Duration,
    ) -> Result<Self, DeliveryStatusError> {
        let start = tokio::time::Instant::now();
        loop {
            let now = Self::list(forge, repo, sha).await?;
            let pending = now.pending();
            if pending.is_empty() {
                return Ok(now);
            }
            let elapsed = start.elapsed();
            if elapsed >= timeout {
                return Err(DeliveryStatusError::TimedOut {
                    waited: humantime::format_duration(timeout).to_string(),
                    pending: pending.iter().map(|s| (*s).to_owned()).collect(),
                    total: now.statuses.len(),
                });
            }
            tokio::time::sleep(interval.min(timeout.saturating_sub(elapsed))).await;
        }
    }

    /// The targets still pending.
    pub fn pending(&self) -> Vec<&str> {
        self.with_state(&[StatusState::Pending])
    }

    /// The targets whose sync (or dispatch) failed.
    pub fn failed(&self) -> Vec<&str> {
        self.with_state(&[StatusState::Failure, StatusState::Error])
    }

    fn with_state(&self, states: &[StatusState]) -> Vec<&str> {
        self.statuses
            .iter()
            .filter(|s| states.contains(&s.state))
            .filter_map(CommitStatus::target)
            .collect()
    }

    /// As JSON, with each status's age in seconds, pretty-printed with a final newline.
    pub fn to_json(&self, now: SystemTime) -> String {
        let statuses: Vec<serde_json::Value> = self
            .statuses
            .iter()
            .map(|s| {
                serde_json::json!({
                    "target": s.target(),
                    "state": s.state,
                    "description": s.description,
                    "target_url": s.target_url,
                    "updated_at": s.updated_at,
                    "age_seconds": age(s, now).map(|a| a.as_secs()),
                })
            })
            .collect();
        let value = serde_json::json!({
            "repo": self.repo,
            "sha": self.sha,
            "pending": self.pending(),
            "failed": self.failed(),
            "statuses": statuses,
        });
        let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
        s.push('\n');
        s
    }

    /// A table for people: target, state, description, URL, age.
    pub fn to_text(&self, now: SystemTime) -> String {
        let mut s = String::new();
        if self.statuses.is_empty() {
            _ = writeln!(
                s,
                "no delivery status on {} in {} (was it dispatched with `--ack`?)",
                self.sha, self.repo
            );
            return s;
        }
        let rows: Vec<[String; 5]> = self
            .statuses
            .iter()
            .map(|st| {
                [
                    st.target().unwrap_or_default().to_owned(),
                    st.state.to_string(),
                    st.description.clone().unwrap_or_default(),
                    st.target_url.clone().unwrap_or_else(|| "-".to_owned()),
                    age(st, now).map_or_else(|| "?".to_owned(), short_age),
                ]
            })
            .collect();
        let header = ["TARGET", "STATE", "DESCRIPTION", "URL", "AGE"];
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        for row in std::iter::once(header.map(str::to_owned)).chain(rows) {
            let mut line = String::new();
            for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    _ = write!(line, "{cell:<w$}  ");
                }
            }
            _ = writeln!(s, "{}", line.trim_end());
        }
        let (pending, failed) = (self.pending().len(), self.failed().len());
        _ = writeln!(
            s,
            "{} target(s) on {}: {} settled, {pending} pending, {failed} failed",
            self.statuses.len(),
            self.sha,
            self.statuses.len() - pending
        );
        s
    }
}

fn age(s: &CommitStatus, now: SystemTime) -> Option<Duration> {
    let at = humantime::parse_rfc3339_weak(&s.updated_at).ok()?;
    Some(now.duration_since(at).unwrap_or_default())
}

/// `42s`, `5m`, `3h`, `2d`.
fn short_age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_short() {
        assert_eq!(short_age(Duration::from_secs(42)), "42s");
        assert_eq!(short_age(Duration::from_secs(3 * 3600 + 5)), "3h");
        assert_eq!(short_age(Duration::from_secs(2 * 86400)), "2d");
    }
}
