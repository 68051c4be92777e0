//! `FailureReport`: the one issue per cousin that says a sync failed: what failed, which files conflict, the
//! upstream commit, the run's URL, and the exact commands to do the sync by hand. A later failure comments
//! on the open issue instead of opening another.

use crate::sync::compute::conflict::Conflict;
use std::fmt::Write as _;

use crate::config::strategy::{ChangeBase, Strategy};
use crate::escape::{self, markdown_code};
use crate::forge::{Forge, ForgeError, Issue};
use crate::repo_name::{RepoName, redact_userinfo};
use crate::repo_path::RepoPath;

/// What the report says.
#[derive(Debug, Clone)]
pub struct FailureReport {
    /// The cousin that failed to sync.
    pub cousin: RepoName,
    /// The upstream repository.
    pub upstream: RepoName,
    /// Where upstream is fetched from (the configured URL, never a payload's).
    pub upstream_url: String,
    /// The upstream branch.
    pub upstream_branch: String,
    /// The upstream commit, when known.
    pub upstream_sha: Option<String>,
    /// The last upstream commit synced, when known.
    pub last_synced: Option<String>,
    /// The cousin's base branch.
    pub base: String,
    /// The strategy.
    pub strategy: Strategy,
    /// The mappings (upstream path, cousin path).
    pub mappings: Vec<(RepoPath, RepoPath)>,
    /// What failed, with its chain.
    pub error: String,
    /// What to do about it, when there is advice.
    pub hint: Option<String>,
    /// Conflicting files.
    pub conflicts: Vec<Conflict>,
    /// The branch and commit that hold the sync when the run failed after pushing it.
    pub pushed: Option<(String, String)>,
    /// The run's URL under Actions.
    pub run_url: Option<String>,
    /// The dispatch identifier.
    pub dispatch_id: Option<String>,
    /// The forge's web address.
    pub server_url: String,
}

/// The title of the failure issue of `cousin`'s syncs from `upstream`: one per pair, so later failures
/// (and the success that closes it) find it.
pub fn title(upstream: &RepoName, cousin: &RepoName) -> String {
    format!("ecosync: sync of {upstream} into {cousin} failed")
}

/// What was done with the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportOutcome {
    /// A new issue.
    Opened(Issue),
    /// A comment on the open one.
    Commented(Issue),
}

impl FailureReport {
    /// The issue title: one per cousin and upstream, so later failures find it.
    pub fn title(&self) -> String {
        title(&self.upstream, &self.cousin)
    }

    /// The issue body (or comment).
    pub fn body(&self) -> String {
        let mut b = String::new();
        let what = if self.conflicts.is_empty() {
            "failed"
        } else {
            "stopped at a conflict"
        };
        let pushed = match &self.pushed {
            Some((branch, head)) => format!(
                "branch `{}` holds the sync at `{head}`, but no pull request was opened or updated for it",
                escape::line(branch)
            ),
            None => "nothing was pushed".to_owned(),
        };
        let _ = writeln!(
            b,
            "Syncing **{}** into **{}** (`{}`) with strategy `{}` {what}; {pushed}.\n",
            self.upstream, self.cousin, self.base, self.strategy
        );
        if let Some(sha) = &self.upstream_sha {
            let _ = writeln!(
                b,
                "- Upstream commit: [`{sha}`]({}/{}/commit/{sha}) on `{}`",
                self.server_url.trim_end_matches('/'),
                self.upstream,
                self.upstream_branch
            );
        }
        if let Some(last) = &self.last_synced {
            let _ = writeln!(b, "- Last synced upstream commit: `{last}`");
        }
        if let Some(url) = &self.run_url {
            let _ = writeln!(b, "- Run: {url}");
        }
        if let Some(id) = &self.dispatch_id {
            let _ = writeln!(b, "- Dispatch: {}", markdown_code(id, 100));
        }
        // The error quotes file names and messages ecosync did not write: in a code block, on one line (so
        // the block cannot be closed early), nothing in it is rendered as a mention, a link or HTML.
        let _ = writeln!(
            b,
            "\n**Error:**\n\n```text\n{}\n```\n",
            escape::line(&self.error)
        );
        if let Some(hint) = &self.hint {
            let _ = writeln!(b, "**Hint:** {hint}\n");
        }
        if !self.conflicts.is_empty() {
            b.push_str("**Conflicting files:**\n\n");
            for c in self.conflicts.iter().take(100) {
                let _ = writeln!(
                    b,
                    "- {} ({})",
                    markdown_code(&c.path, usize::MAX),
                    c.kind.describe()
                );
            }
            if self.conflicts.len() > 100 {
                let _ = writeln!(b, "- ... and {} more", self.conflicts.len() - 100);
            }
            b.push('\n');
        }
        if let Some(commands) = self.commands() {
            let _ = writeln!(
                b,
                "### Resolve by hand\n\nIn a clone of `{}`:\n\n```sh\n{commands}```\n",
                self.cousin
            );
            b.push_str(
                "Or set `\"on_conflict\": \"draft-pull-request\"` to get the conflict markers in a draft \
                 pull request next time.\n",
            );
        }
        b
    }

    /// The shell commands that do this sync by hand, when the upstream commit is known.
    fn commands(&self) -> Option<String> {
        let sha = self.upstream_sha.as_ref()?;
        let mut c = String::new();
        let _ = writeln!(c, "git switch {}", self.base);
        let _ = writeln!(c, "git pull");
        // A token in the configured URL's userinfo must not reach the issue (Actions masks logs, not issues).
        let _ = writeln!(
            c,
            "git fetch {} {}",
            redact_userinfo(&self.upstream_url),
            self.upstream_branch
        );
        if self.strategy.merges_history() {
            let _ = writeln!(c, "git merge {sha}");
        } else {
            let from = match (self.strategy.change_base(), &self.last_synced) {
                (ChangeBase::LastSync, Some(last)) => last.clone(),
                _ => format!("{sha}^"),
            };
            for (path, to) in &self.mappings {
                let relative = if path.is_root() {
                    String::new()
                } else {
                    format!(" --relative={}", path.as_str())
                };
                let directory = if to.is_root() {
                    String::new()
                } else {
                    format!(" --directory={}", to.as_str())
                };
                let _ = writeln!(
                    c,
                    "git diff --binary{relative} {from} {sha} | git apply --3way{directory}"
                );
            }
            let _ = writeln!(
                c,
                "# fix the conflicts, then commit with the trailer so ecosync knows:"
            );
            let _ = writeln!(
                c,
                "git commit -m \"Sync {} to {}\" -m \"Ecosync-Upstream: {}@{sha}\"",
                self.upstream,
                &sha[..12.min(sha.len())],
                self.upstream
            );
        }
        Some(c)
    }
}

/// Closes the open failure issue titled `title` (with `label`, when given) in `place` with `note`, when
/// there is one; returns it.
pub async fn close_open(
    forge: &Forge,
    place: &RepoName,
    title: &str,
    label: Option<&str>,
    note: &str,
) -> Result<Option<Issue>, ForgeError> {
    let Some(issue) = forge.find_open_issue(place, title, label).await? else {
        return Ok(None);
    };
    forge.comment(place, issue.number, note).await?;
    forge.close_issue(place, issue.number).await?;
    Ok(Some(issue))
}

/// Opens the issue in `place`, or comments on the open one with the same title and `labels[0]`.
pub async fn report(
    forge: &Forge,
    place: &RepoName,
    labels: &[String],
    r: &FailureReport,
) -> Result<ReportOutcome, ForgeError> {
    let title = r.title();
    let body = r.body();
    if let Some(issue) = forge
        .find_open_issue(place, &title, labels.first().map(String::as_str))
        .await?
    {
        forge.comment(place, issue.number, &body).await?;
        return Ok(ReportOutcome::Commented(issue));
    }
    let issue = forge.create_issue(place, &title, &body, labels).await?;
    Ok(ReportOutcome::Opened(issue))
}
