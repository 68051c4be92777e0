//! The one issue per target about its rejections and reversals, in the place its failures go (by default
//! the source repository): opened at the first one, brought up to date (body, labels, a comment naming
//! what is new) at each later one, and closed once the target merges a sync again.
//!
//! Its body says, for people, which pull requests were closed without merging, by whom, when, with the
//! closer's last comment (escaped, cut short) and the upstream commits they carried, which synced paths
//! were undone, what holds now and how to propose again; and carries the machine-readable
//! [`Standing`] that decides what is new: a rejection or a reversal already in it is never reported
//! twice. Nothing in it comes from a dispatch payload.

use std::fmt::Write as _;

use crate::error_kind::error_chain;
use crate::escape::{self, markdown_code};
use crate::forge::{Forge, ForgeError, Issue};
use crate::git::short_sha;
use crate::repo_name::RepoName;
use crate::sync::rejection::declines::Recorded;
use crate::sync::rejection::standing::{RejectedPull, Reversal, Standing, StandingState};
use crate::sync::rejection::{PAUSED_LABEL, REJECTED_LABEL, REVERTED_LABEL};

/// The most paths of a reversal listed in the body.
const MAX_LISTED_PATHS: usize = 50;

/// The most commits of a rejected pull request listed in the body.
const MAX_LISTED_COMMITS: usize = 10;

/// The title of `target`'s issue: one per target and upstream, so later runs find it.
pub fn title(upstream: &RepoName, target: &RepoName) -> String {
    format!("ecosync: {target} declined changes from {upstream}")
}

/// What a run saw of the target, to record.
#[derive(Debug, Clone)]
pub struct Seen<'a> {
    /// The target.
    pub target: &'a RepoName,
    /// The upstream.
    pub upstream: &'a RepoName,
    /// The target's base branch.
    pub base: &'a str,
    /// The rejections since its last merged sync, oldest first.
    pub rejections: Vec<RejectedPull>,
    /// The states that hold.
    pub states: Vec<StandingState>,
    /// A reversal since its last sync.
    pub reversal: Option<Reversal>,
    /// The number of its last merged sync pull request.
    pub last_merged: Option<u64>,
    /// Its last sync commit.
    pub last_sync: Option<String>,
}

/// What [`record`] did.
#[derive(Debug, Clone, Default)]
pub struct RecordOutcome {
    /// What became of the issue, when anything was to be written.
    pub recorded: Option<Recorded>,
    /// The rejections not recorded before.
    pub new_rejections: Vec<RejectedPull>,
}

/// Records what `seen` says in `place`: opens the issue, brings it up to date, closes it, or (nothing new)
/// writes nothing. A dry run reads, and says whether it would write.
pub async fn record(
    forge: &Forge,
    place: &RepoName,
    seen: &Seen<'_>,
    dry_run: bool,
) -> RecordOutcome {
    match record_or_fail(forge, place, seen, dry_run).await {
        Ok(done) => done,
        Err(e) => RecordOutcome {
            recorded: Some(Recorded::Failed {
                place: place.clone(),
                error: error_chain(&e),
            }),
            new_rejections: Vec::new(),
        },
    }
}

async fn record_or_fail(
    forge: &Forge,
    place: &RepoName,
    seen: &Seen<'_>,
    dry_run: bool,
) -> Result<RecordOutcome, ForgeError> {
    let title = title(seen.upstream, seen.target);
    // With nothing to report, the issue is looked for only to close it (or say the target was resumed):
    // a place that cannot be read then is no error of this run.
    let live = !seen.rejections.is_empty() || seen.reversal.is_some();
    let existing = match forge
        .find_open_issue(place, &title, Some(REJECTED_LABEL))
        .await
    {
        Ok(found) => found,
        Err(e) if !live => {
            tracing::debug!(error = %e, "cannot look for the issue about rejections and reversals");
            return Ok(RecordOutcome::default());
        }
        Err(e) => return Err(e),
    };
    let old = existing
        .as_ref()
        .and_then(|i| Standing::from_body(&i.body))
        .unwrap_or_else(|| Standing::new(seen.target, seen.upstream, seen.base));
    let mut new = old.clone();
    // What a merged sync has made moot: rejections before it, reversals of an older sync.
    new.rejections.retain(|r| {
        seen.last_merged.is_none_or(|m| r.number > m)
            || seen.rejections.iter().any(|s| s.number == r.number)
    });
    new.reversals
        .retain(|v| seen.last_sync.as_deref() == Some(v.sync_commit.as_str()));
    let new_rejections: Vec<RejectedPull> = seen
        .rejections
        .iter()
        .filter(|r| !old.rejections.iter().any(|o| o.number == r.number))
        .cloned()
        .collect();
    new.rejections.extend(new_rejections.iter().cloned());
    new.rejections.sort_by_key(|r| r.number);
    let mut new_paths = Vec::new();
    if let Some(found) = &seen.reversal {
        if let Some(v) = new
            .reversals
            .iter_mut()
            .find(|v| v.sync_commit == found.sync_commit)
        {
            for p in &found.paths {
                if !v.paths.contains(p) {
                    v.paths.push(p.clone());
                    new_paths.push(p.clone());
                }
            }
            v.paths.sort();
            v.found_at.clone_from(&found.found_at);
        } else {
            let mut v = found.clone();
            v.since = Some(crate::forge::local::now_rfc3339());
            new_paths.clone_from(&v.paths);
            new.reversals.push(v);
        }
    }
    new.states.clone_from(&seen.states);
    if seen.reversal.is_none() {
        new.states.retain(|s| *s != StandingState::Reverted);
    }
    let outcome = |recorded| RecordOutcome {
        recorded,
        new_rejections: new_rejections.clone(),
    };
    let Some(issue) = existing else {
        if new.rejections.is_empty() && new.reversals.is_empty() {
            return Ok(outcome(None));
        }
        if dry_run {
            return Ok(outcome(Some(Recorded::WouldRecord(place.clone()))));
        }
        new.updated_at = crate::forge::local::now_rfc3339();
        let body = body(&new);
        let issue = forge
            .create_issue(place, &title, &body, &labels(&new))
            .await?;
        return Ok(outcome(Some(Recorded::Opened {
            place: place.clone(),
            issue,
        })));
    };
    // Nothing holds any more and a sync was merged since everything recorded: it is over.
    if new.rejections.is_empty() && new.reversals.is_empty() && new.states.is_empty() {
        if dry_run {
            return Ok(outcome(Some(Recorded::WouldRecord(place.clone()))));
        }
        let note = match seen.last_merged {
            Some(n) => format!(
                "`{}` merged a sync again (#{n}); nothing it declined holds any more. Closing this issue.",
                seen.target
            ),
            None => format!(
                "`{}` synced again; nothing it declined holds any more. Closing this issue.",
                seen.target
            ),
        };
        forge.comment(place, issue.number, &note).await?;
        forge.close_issue(place, issue.number).await?;
        return Ok(outcome(Some(Recorded::Closed {
            place: place.clone(),
            issue,
        })));
    }
    let mut unchanged = new.clone();
    unchanged.updated_at.clone_from(&old.updated_at);
    if unchanged == old {
        return Ok(outcome(None));
    }
    if dry_run {
        return Ok(outcome(Some(Recorded::WouldRecord(place.clone()))));
    }
    new.updated_at = crate::forge::local::now_rfc3339();
    forge
        .update_issue(place, issue.number, &body(&new), &labels(&new))
        .await?;
    if let Some(note) = news(&new_rejections, &new_paths, &old, &new) {
        forge.comment(place, issue.number, &note).await?;
    }
    Ok(outcome(Some(Recorded::Updated {
        place: place.clone(),
        issue,
    })))
}

/// The labels of the issue: [`REJECTED_LABEL`], and [`PAUSED_LABEL`] or [`REVERTED_LABEL`] while those hold.
fn labels(s: &Standing) -> Vec<String> {
    let mut labels = vec![REJECTED_LABEL.to_owned()];
    if s.is(StandingState::Paused) {
        labels.push(PAUSED_LABEL.to_owned());
    }
    if !s.reversals.is_empty() {
        labels.push(REVERTED_LABEL.to_owned());
    }
    labels
}

/// The comment that says what is new since the last update, when something is.
fn news(
    rejections: &[RejectedPull],
    paths: &[String],
    old: &Standing,
    new: &Standing,
) -> Option<String> {
    let mut lines = Vec::new();
    for r in rejections {
        lines.push(format!(
            "{} closed [#{}]({}) without merging{}.",
            markdown_code(new.target.as_str(), 200),
            r.number,
            r.url,
            by(r)
        ));
    }
    if !paths.is_empty() {
        lines.push(format!(
            "{} undid synced changes in {}.",
            markdown_code(new.target.as_str(), 200),
            list(paths, MAX_LISTED_PATHS)
        ));
    }
    if old.is(StandingState::Paused) && !new.is(StandingState::Paused) {
        lines.push("The target is no longer paused.".to_owned());
    } else if old.is(StandingState::Rejected) && new.states.is_empty() {
        lines.push("A sync was proposed again since: nothing holds the target now.".to_owned());
    } else if new.is(StandingState::Paused) && !old.is(StandingState::Paused) {
        lines.push("The target is paused.".to_owned());
    }
    (!lines.is_empty()).then(|| lines.join("\n\n"))
}

/// `` by `alice` ``, or nothing when nobody is known.
fn by(r: &RejectedPull) -> String {
    r.closed_by
        .as_deref()
        .map(|b| format!(" by {}", markdown_code(b, 100)))
        .unwrap_or_default()
}

fn list(items: &[String], max: usize) -> String {
    escape::markdown_code_list(items, max, 300)
}

/// The issue body: for people, then the record.
pub fn body(s: &Standing) -> String {
    let target = markdown_code(s.target.as_str(), 200);
    let upstream = markdown_code(s.upstream.as_str(), 200);
    let mut b = format!(
        "{target} declined changes that ecosync synced from {upstream} into {}.\n\n",
        markdown_code(&s.base, 200)
    );
    let last = s.rejections.last();
    match last {
        Some(r) if s.is(StandingState::Paused) => {
            let _ = writeln!(
                b,
                "**Paused:** ecosync proposes nothing to {target} until a person reopens #{} or runs ecosync \
                 with `--repropose {}`.\n",
                r.number, s.target
            );
        }
        Some(r) if s.is(StandingState::Rejected) => {
            let _ = writeln!(
                b,
                "**Held:** the upstream commit #{} carried (`{}`) is not proposed again; a newer upstream \
                 commit that changes the subscribed paths is, in a new pull request that names #{}. To \
                 propose it again now, reopen #{} or run ecosync with `--repropose {}`.\n",
                r.number,
                short_sha(&r.head),
                r.number,
                r.number,
                s.target
            );
        }
        Some(_) => {
            b.push_str("**Resumed:** a sync was proposed again since the last rejection.\n\n");
        }
        None => {}
    }
    if !s.rejections.is_empty() {
        b.push_str("### Closed without merging\n\n");
        for r in &s.rejections {
            let _ = write!(b, "- [#{}]({}) closed{}", r.number, r.url, by(r));
            if let Some(at) = &r.closed_at {
                let _ = write!(b, " at {}", markdown_code(at, 40));
            }
            let _ = write!(b, "; it carried upstream `{}`", short_sha(&r.head));
            if !r.commits.is_empty() {
                let shown: Vec<String> = r
                    .commits
                    .iter()
                    .take(MAX_LISTED_COMMITS)
                    .map(|c| format!("`{}`", short_sha(c)))
                    .collect();
                let _ = write!(
                    b,
                    " ({} commit{}: {}{})",
                    r.commits.len(),
                    if r.commits.len() == 1 { "" } else { "s" },
                    shown.join(", "),
                    if r.commits.len() > MAX_LISTED_COMMITS {
                        ", ..."
                    } else {
                        ""
                    }
                );
            }
            b.push('\n');
            if let Some(comment) = &r.last_comment {
                // Someone else's words: on one line after a prefix (so no fence can be closed), in a code
                // block (so nothing is rendered as a mention, a link or HTML).
                let _ = writeln!(
                    b,
                    "  Last comment:\n\n  ```text\n  {}: {}\n  ```",
                    escape::line(r.closed_by.as_deref().unwrap_or("someone")),
                    escape::line(comment)
                );
            }
        }
        b.push('\n');
    }
    if !s.reversals.is_empty() {
        b.push_str("### Reverted since the last sync\n\n");
        for v in &s.reversals {
            let _ = writeln!(
                b,
                "- The sync in `{}` (upstream `{}`) was undone on {} by `{}` in {}. A later sync that \
                 changes these paths again says so in its pull request.",
                short_sha(&v.sync_commit),
                short_sha(&v.upstream),
                markdown_code(&s.base, 200),
                short_sha(&v.found_at),
                list(&v.paths, MAX_LISTED_PATHS)
            );
        }
        b.push('\n');
    }
    let _ = writeln!(
        b,
        "This issue closes itself once {target} merges a sync again.\n\n{}",
        s.marker()
    );
    b
}

/// Whether `issue` is a record of this kind (for callers that list issues).
pub fn is_record(issue: &Issue) -> bool {
    issue.labels.iter().any(|l| l == REJECTED_LABEL) && Standing::from_body(&issue.body).is_some()
}
