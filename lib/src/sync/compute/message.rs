//! `SyncMessage`: the words of a sync: the commit message, the pull request title and body, each saying what
//! was synced (upstream commits with links, features, files, strategy) and carrying the sync trailer.

use std::fmt::Write as _;

use git2::Oid;

use crate::config::cousin_config::CousinConfig;
use crate::config::pull_request_config::fill_template;
use crate::config::strategy::Strategy;
use crate::escape::{markdown_code, markdown_code_list};
use crate::repo_name::RepoName;
use crate::sync::compute::change_summary::ChangeSummary;
use crate::sync::compute::conflict::Conflict;
use crate::sync::compute::trailer::SyncTrailer;

/// The most upstream commits listed in a pull request body.
const MAX_LISTED_COMMITS: usize = 50;

/// The most features (from the payload) named in a commit message or pull request body.
const MAX_SHOWN_FEATURES: usize = 10;

/// The most characters shown of one feature (or the dispatch identifier).
const MAX_SHOWN_CHARS: usize = 100;

/// The most conflicting files listed in a pull request body or commit message.
const MAX_LISTED_FILES: usize = 100;

/// GitHub's limit on a pull request body, in characters; a longer one is refused with a 422.
pub const MAX_BODY_CHARS: usize = 65_536;

/// How many files the body's stat lists, tried in turn until the body fits.
const LISTED_STAT_FILES: [usize; 3] = [500, 100, 0];

/// Everything the messages say.
#[derive(Debug, Clone)]
pub struct SyncMessage {
    /// The upstream repository.
    pub upstream: RepoName,
    /// The upstream branch.
    pub upstream_branch: String,
    /// The upstream commit synced.
    pub upstream_sha: Oid,
    /// Its full message.
    pub upstream_message: String,
    /// The upstream commits this sync brings (newest first, id and subject).
    pub upstream_commits: Vec<(Oid, String)>,
    /// The last upstream commit synced before, if any.
    pub last_synced: Option<Oid>,
    /// The features the event credited (empty for a manual run).
    pub features: Vec<String>,
    /// The strategy.
    pub strategy: Strategy,
    /// True when this is the first sync.
    pub first_sync: bool,
    /// Subscriptions added since the last sync, brought to the upstream state (as `path` or `path -> to`).
    pub backfill: Vec<String>,
    /// Subscriptions removed since the last sync, whose files are left as they are.
    pub dropped: Vec<String>,
    /// Conflicting files (committed with markers).
    pub conflicts: Vec<Conflict>,
    /// The change.
    pub summary: ChangeSummary,
    /// The dispatch identifier.
    pub dispatch_id: Option<String>,
    /// The web address of the forge, for links (`https://github.com`).
    pub server_url: String,
    /// The pull request a person closed without merging that this one comes after, when it carries some
    /// of the same upstream commits again.
    pub follows: Option<FollowsRejection>,
    /// The paths undone in this repository since the last sync that this sync changes again.
    pub reverted_again: Vec<String>,
}

/// A rejected pull request a new one names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowsRejection {
    /// Its number.
    pub number: u64,
    /// Where to see it.
    pub url: String,
    /// Who closed it.
    pub closed_by: Option<String>,
    /// Its upstream commits this pull request carries again (newest first, id and subject).
    pub again: Vec<(Oid, String)>,
}

impl SyncMessage {
    /// The words of a sync of `upstream` (its id and message) into a cousin configured by `config`, the
    /// last sync before it being `last_synced`; everything else empty, for the caller to fill in.
    pub fn new(
        config: &CousinConfig,
        upstream: &git2::Commit<'_>,
        last_synced: Option<Oid>,
    ) -> SyncMessage {
        SyncMessage {
            upstream: config.upstream_repo.clone(),
            upstream_branch: config.upstream_branch.clone(),
            upstream_sha: upstream.id(),
            upstream_message: String::from_utf8_lossy(upstream.message_bytes()).into_owned(),
            upstream_commits: Vec::new(),
            last_synced,
            features: Vec::new(),
            strategy: config.strategy,
            first_sync: false,
            backfill: Vec::new(),
            dropped: Vec::new(),
            conflicts: Vec::new(),
            summary: ChangeSummary::default(),
            dispatch_id: None,
            server_url: String::new(),
            follows: None,
            reverted_again: Vec::new(),
        }
    }

    /// The trailer.
    pub fn trailer(&self) -> SyncTrailer {
        SyncTrailer::new(self.upstream.clone(), self.upstream_sha)
    }

    fn short(&self) -> String {
        crate::git::short_oid(self.upstream_sha)
    }

    fn subject(&self) -> &str {
        self.upstream_message.lines().next().unwrap_or("").trim()
    }

    /// The commit message. A cherry-pick keeps upstream's message; every message ends with the trailer.
    pub fn commit_message(&self) -> String {
        let mut m = String::new();
        if self.strategy.keeps_authors() && !self.first_sync && self.backfill.is_empty() {
            m.push_str(self.upstream_message.trim_end());
            let _ = write!(
                m,
                "\n\n(cherry picked from {}@{})",
                self.upstream, self.upstream_sha
            );
        } else if self.strategy.merges_history() {
            let _ = write!(
                m,
                "Merge {}@{} ({})\n\n{}",
                self.upstream,
                self.short(),
                self.upstream_branch,
                self.subject()
            );
        } else {
            let _ = write!(
                m,
                "Sync {} to {}\n\nUpstream: {}@{} ({})\n{}\nStrategy: {}",
                self.upstream,
                self.short(),
                self.upstream,
                self.upstream_sha,
                self.upstream_branch,
                self.subject(),
                self.strategy
            );
            // The features come from the payload: escaped and bounded like in the pull request body.
            if !self.features.is_empty() {
                let _ = write!(
                    m,
                    "\nFeatures: {}",
                    markdown_code_list(&self.features, MAX_SHOWN_FEATURES, MAX_SHOWN_CHARS)
                );
            }
            if self.first_sync {
                m.push_str("\nFirst sync: the mapped directories now match upstream.");
            }
            if !self.backfill.is_empty() {
                let _ = write!(
                    m,
                    "\nBackfill: {} (new subscriptions, brought to upstream's state)",
                    self.backfill.join(", ")
                );
            }
        }
        if !self.conflicts.is_empty() {
            let _ = write!(
                m,
                "\n\nConflicts (committed with markers):\n{}",
                self.conflicts
                    .iter()
                    .take(MAX_LISTED_FILES)
                    .map(|c| format!("  {c}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            if self.conflicts.len() > MAX_LISTED_FILES {
                let _ = write!(
                    m,
                    "\n  ... and {} more",
                    self.conflicts.len() - MAX_LISTED_FILES
                );
            }
        }
        let _ = write!(m, "\n\n{}\n", self.trailer());
        m
    }

    /// The pull request title from the configured template.
    pub fn title(&self, template: &str) -> String {
        let dashed = format!("{}-{}", self.upstream.owner(), self.upstream.name());
        let mut t = fill_template(
            template,
            &dashed,
            self.upstream.as_str(),
            &self.upstream_branch,
            &self.upstream_sha.to_string(),
        );
        if !self.conflicts.is_empty() {
            t = format!("[conflicts] {t}");
        }
        t
    }

    fn commit_link(&self, sha: Oid) -> String {
        format!(
            "[`{}`]({}/{}/commit/{sha})",
            crate::git::short_oid(sha),
            self.server_url.trim_end_matches('/'),
            self.upstream
        )
    }

    /// The pull request body: what was synced, from where, how, and the trailer (so a squash merge that
    /// uses the body as message keeps it). Always within GitHub's [`MAX_BODY_CHARS`]: a change of
    /// thousands of files lists the first ones and links the whole comparison.
    pub fn body(&self) -> String {
        for listed in LISTED_STAT_FILES {
            let body = self.body_listing(listed);
            if body.chars().count() <= MAX_BODY_CHARS {
                return body;
            }
        }
        // Only upstream's own commit subjects can still be too long: cut them, keep the trailer.
        let trailer = format!("\n{}\n", self.trailer());
        let note = "\n\n(cut to GitHub's limit)\n";
        let keep = MAX_BODY_CHARS - trailer.chars().count() - note.chars().count();
        let body: String = self.body_listing(0).chars().take(keep).collect();
        format!("{body}{note}{trailer}")
    }

    /// Where GitHub shows the whole change: the comparison since the last sync, else the commit.
    fn compare_link(&self) -> String {
        let server = self.server_url.trim_end_matches('/');
        match self.last_synced {
            Some(last) => format!(
                "{server}/{}/compare/{last}...{}",
                self.upstream, self.upstream_sha
            ),
            None => format!("{server}/{}/commit/{}", self.upstream, self.upstream_sha),
        }
    }

    fn body_listing(&self, listed_files: usize) -> String {
        let mut b = String::new();
        let _ = writeln!(
            b,
            "This pull request syncs **{}** (`{}`) at {} into this repository with strategy `{}`.\n",
            self.upstream,
            self.upstream_branch,
            self.commit_link(self.upstream_sha),
            self.strategy
        );
        if self.first_sync {
            b.push_str(
                "**First sync:** no earlier sync was found, so the mapped directories are brought to the \
                 upstream state (edits made here since are replaced; review the diff).\n\n",
            );
        }
        if !self.backfill.is_empty() {
            let _ = writeln!(
                b,
                "**Backfill:** {} {} new since the last sync, so {} brought to upstream's state.\n",
                self.backfill.join(", "),
                if self.backfill.len() == 1 {
                    "is"
                } else {
                    "are"
                },
                if self.backfill.len() == 1 {
                    "it is"
                } else {
                    "they are"
                },
            );
        }
        if !self.dropped.is_empty() {
            let _ = writeln!(
                b,
                "**No longer subscribed:** {}; the files there are left as they are.\n",
                self.dropped.join(", ")
            );
        }
        if !self.conflicts.is_empty() {
            b.push_str(
                "**Conflicts:** upstream's change and this repository disagree about these files; they are \
                 committed with conflict markers where both sides are text, else with this repository's side. \
                 Resolve them on this branch before merging:\n\n",
            );
            for c in self.conflicts.iter().take(MAX_LISTED_FILES) {
                let _ = writeln!(
                    b,
                    "- {} ({})",
                    markdown_code(&c.path, usize::MAX),
                    c.kind.describe()
                );
            }
            if self.conflicts.len() > MAX_LISTED_FILES {
                let _ = writeln!(
                    b,
                    "- ... and {} more",
                    self.conflicts.len() - MAX_LISTED_FILES
                );
            }
            b.push('\n');
        }
        if let Some(f) = &self.follows {
            let by = f
                .closed_by
                .as_deref()
                .map(|b| format!(" by {}", markdown_code(b, MAX_SHOWN_CHARS)))
                .unwrap_or_default();
            let _ = write!(
                b,
                "**After a rejection:** #{} ({}) was closed without merging{by}. ",
                f.number, f.url
            );
            if f.again.is_empty() {
                b.push_str("This pull request carries none of its commits again.\n\n");
            } else {
                let _ = writeln!(
                    b,
                    "This pull request carries {} of its upstream commits again, with newer changes:\n",
                    f.again.len()
                );
                for (id, subject) in f.again.iter().take(MAX_LISTED_COMMITS) {
                    let _ = writeln!(b, "- {} {}", self.commit_link(*id), subject);
                }
                if f.again.len() > MAX_LISTED_COMMITS {
                    let _ = writeln!(b, "- ... and {} more", f.again.len() - MAX_LISTED_COMMITS);
                }
                b.push('\n');
            }
        }
        if !self.reverted_again.is_empty() {
            let paths = markdown_code_list(&self.reverted_again, MAX_LISTED_FILES, usize::MAX);
            if self.strategy == Strategy::Squash {
                let _ = writeln!(
                    b,
                    "**Brings back reverted changes:** {paths} {} put back here to {} content before the \
                     last sync; `squash` mirrors upstream exactly, so this pull request brings the synced \
                     content back. Review {} before merging.\n",
                    if self.reverted_again.len() == 1 {
                        "was"
                    } else {
                        "were"
                    },
                    if self.reverted_again.len() == 1 {
                        "its"
                    } else {
                        "their"
                    },
                    if self.reverted_again.len() == 1 {
                        "it"
                    } else {
                        "them"
                    },
                );
            } else {
                let _ = writeln!(
                    b,
                    "**Changes reverted paths again:** {paths} {} put back here to {} content before the \
                     last sync, and this pull request changes {} again. Review {} before merging.\n",
                    if self.reverted_again.len() == 1 {
                        "was"
                    } else {
                        "were"
                    },
                    if self.reverted_again.len() == 1 {
                        "its"
                    } else {
                        "their"
                    },
                    if self.reverted_again.len() == 1 {
                        "it"
                    } else {
                        "them"
                    },
                    if self.reverted_again.len() == 1 {
                        "it"
                    } else {
                        "them"
                    },
                );
            }
        }
        if !self.upstream_commits.is_empty() {
            b.push_str("### Upstream commits\n\n");
            for (id, subject) in self.upstream_commits.iter().take(MAX_LISTED_COMMITS) {
                let _ = writeln!(b, "- {} {}", self.commit_link(*id), subject);
            }
            if self.upstream_commits.len() > MAX_LISTED_COMMITS {
                let _ = writeln!(
                    b,
                    "- ... and {} more",
                    self.upstream_commits.len() - MAX_LISTED_COMMITS
                );
            }
            b.push('\n');
        }
        // The features are the dispatcher's words, not facts the engine checked: shown only as inline
        // code nothing can break out of (no link, mention or HTML), at most ten, each cut short.
        if !self.features.is_empty() {
            let _ = writeln!(
                b,
                "**Features named by the dispatch:** {}\n",
                markdown_code_list(&self.features, MAX_SHOWN_FEATURES, MAX_SHOWN_CHARS)
            );
        }
        let _ = writeln!(
            b,
            "### Files changed\n\n```\n{}```\n",
            self.summary.stat_listing(listed_files)
        );
        if self.summary.files.len() > listed_files {
            let _ = writeln!(
                b,
                "The whole upstream change: {} (the diff of this pull request shows every file).\n",
                self.compare_link()
            );
        }
        if let Some(last) = self.last_synced {
            let _ = writeln!(b, "Previously synced: {}", self.commit_link(last));
        }
        if let Some(id) = &self.dispatch_id {
            let _ = writeln!(b, "Dispatch: {}", markdown_code(id, MAX_SHOWN_CHARS));
        }
        let _ = write!(b, "\n{}\n", self.trailer());
        b
    }
}
