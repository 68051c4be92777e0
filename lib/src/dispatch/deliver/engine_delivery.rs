//! `EngineDelivery`: the modes in which the dispatcher applies a push itself, with the subscriber's sync
//! engine ([`crate::sync::apply`]), so the target runs no workflow: `pull-request` (one rolling pull
//! request, or one per source commit with `per_commit`), `buffered-pr` (the branch moves on every push,
//! the pull request opens once the oldest change on it is `buffer_hours` old) and `push`'s fallback
//! when the target's branch has commits of its own.
//!
//! Each target has a bare cache repository (`--target-dir`/owner/name): the source's commits are fetched
//! into it from the dispatcher's own clone, the target's branches from the target. Every guarantee of
//! `subscriber apply` holds: trailers, never force-pushing over people's commits, closing a pull request
//! whose diff vanished, one failure issue (in the source repository: whoever runs the dispatcher reads it).
//! The state lives in the targets (branches, trailers, commit dates), so every run is stateless.

use std::path::Path;
use std::time::{Instant, SystemTime};

use git2::{Oid, Repository};

use crate::dispatch::deliver::delivery_report::{DeliveryStatus, RepoResult};
use crate::dispatch::deliver::direct_settings::DirectSettings;
use crate::dispatch::ecosystem::delivery_mode::DeliveryMode;
use crate::dispatch::ecosystem::path_pattern::PathPattern;
use crate::dispatch::ecosystem::target_delivery::TargetDelivery;
use crate::error_kind::{UserError, error_chain};
use crate::forge::Forge;
use crate::repo_name::RepoName;
use crate::sync::publish::PullRequestAction;
use crate::sync::publish::failure_report;
use crate::sync::rejection::declines::{Declines, Recorded};
use crate::sync::rejection::target_standing::TargetStanding;
use crate::sync::request::SyncRequest;
use crate::sync::sync_outcome::SyncOutcome;
use crate::sync::verify::event::SyncEvent;

/// One target's delivery through the sync engine.
pub struct EngineDelivery<'a> {
    /// The forge.
    pub forge: &'a Forge,
    /// Where and as whom.
    pub settings: &'a DirectSettings,
    /// The source repository (the engine's upstream).
    pub source: &'a RepoName,
    /// The source branch pushed.
    pub branch: &'a str,
    /// The commit it was pushed to: the engine reads the source at it (through [`source_ref`]), whatever
    /// the clone's own branches say (a watcher's clone only has `origin`'s).
    pub head: Oid,
    /// The run's dispatch id, carried in the pull request.
    pub dispatch_id: Option<&'a str>,
}

/// What the commits of a delivery are: the head alone, or (with `per_commit`) each first-parent commit of
/// the range that touches the subscriptions, oldest first.
#[derive(Debug, Clone)]
pub struct Commits {
    /// The commits to sync, each with the changed paths it brings.
    pub each: Vec<(Oid, Vec<String>)>,
    /// First-parent commits of the range that touch none of the subscriptions.
    pub untouched: usize,
}

impl EngineDelivery<'_> {
    /// Delivers `commits` (see [`Commits`]) to `repo` as `target` says; `manual` syncs every subscription
    /// whatever changed (`flush`). One failing commit does not stop the next; the result says each.
    pub async fn deliver(
        &self,
        repo: &RepoName,
        target: &TargetDelivery,
        commits: &Commits,
        features: &[String],
        manual: bool,
    ) -> RepoResult {
        let started = Instant::now();
        let mut result = RepoResult::new(repo, DeliveryStatus::Delivered, "");
        result.mode = target.mode;
        result.features = features.to_vec();
        let scratch;
        let cache = match &self.settings.target_dir {
            Some(dir) => dir.join(repo.owner()).join(repo.name()),
            None => match tempfile::Builder::new().prefix("ecosync-target-").tempdir() {
                Ok(dir) => {
                    scratch = dir;
                    scratch.path().to_path_buf()
                }
                Err(e) => {
                    return result.failed(format!("cannot make a cache directory: {e}"), None);
                }
            },
        };
        if let Err(e) = ensure_bare(&cache) {
            return result.failed(
                format!(
                    "cannot prepare the cache repository `{}`: {e}",
                    cache.display()
                ),
                Some("check `--target-dir`: it must be a writable directory".to_owned()),
            );
        }
        let source_url = self.settings.source_dir.display().to_string();
        let upstream_ref = source_ref(self.branch);
        let source = match Repository::open(&self.settings.source_dir) {
            Ok(git) => git,
            Err(e) => {
                return result.failed(
                    format!("cannot open the source clone: {e}"),
                    Some("run in the source repository's clone, or pass `--repo DIR`".to_owned()),
                );
            }
        };
        if let Err(e) = source.reference(
            &upstream_ref,
            self.head,
            true,
            "ecosync: the commit delivered",
        ) {
            return result.failed(
                format!("cannot name the commit to deliver in the source clone: {e}"),
                Some("the source clone must be writable".to_owned()),
            );
        }
        // The default mapping asks which plain subscriptions are directories of the head.
        let head_tree = source.find_commit(self.head).and_then(|c| c.tree()).ok();
        let config = target.cousin_config(self.source, self.branch, &source_url, &|p| {
            head_tree.as_ref().is_some_and(|t| {
                t.get_path(Path::new(p))
                    .is_ok_and(|e| e.kind() == Some(git2::ObjectType::Tree))
            })
        });
        if target.mapping.is_none() && config.subscriptions.is_empty() {
            return result.failed(
                "the entry's subscriptions name no directory to copy (only files or globs at the root)",
                Some("add `mapping` to the entry, e.g. `[{\"path\": \"docs\", \"to\": \"docs\"}]`".to_owned()),
            );
        }
        let request = |commit: Oid, paths: &[String]| SyncRequest {
            config: config.clone(),
            config_file: None,
            event: SyncEvent {
                source_repo: Some(self.source.clone()),
                commit: Some(commit),
                features: features.to_vec(),
                changed_paths: paths.to_vec(),
                dispatch_id: self.dispatch_id.map(str::to_owned),
                manual,
            },
            repo_dir: cache.clone(),
            cousin: Some(repo.clone()),
            cousin_url: Some(self.settings.git_url(self.forge, repo)),
            dry_run: self.settings.dry_run,
            committer: self.settings.committer.clone(),
            server_url: self.settings.server_url.clone(),
            run_id: None,
            now: SystemTime::now(),
            single_commit: target.per_commit,
            upstream_ref: Some(upstream_ref.clone()),
            repropose: self.settings.repropose.contains(repo),
            open_after: (target.mode == DeliveryMode::BufferedPr)
                .then_some(target.buffer)
                .flatten(),
            // One commit's success must not close the issue another commit's failure opened: closed
            // below, once none fails.
            keep_failure_issue: target.per_commit,
        };
        let each: &[(Oid, Vec<String>)] = &commits.each;
        let mut lines = Vec::new();
        let mut any_failed = false;
        let mut runs = 0u32;
        let mut outcomes = Vec::new();
        for (commit, paths) in each {
            runs += 1;
            let request = request(*commit, paths);
            let short = &crate::git::short_oid(*commit);
            match Box::pin(crate::sync::apply(&request, self.forge)).await {
                Ok(outcome) => {
                    let (ok, mut text) = describe(&outcome);
                    if let Some(note) = outcome.declines().and_then(recorded) {
                        text.push_str(&note);
                    }
                    any_failed |= !ok;
                    lines.push(if each.len() > 1 {
                        format!("{short}: {text}")
                    } else {
                        text
                    });
                    if !ok && result.hint.is_none() {
                        result.hint = outcome.error().and_then(UserError::hint);
                    }
                    // A target never synced gets one first sync at the head, whatever commit asked.
                    let first = target.per_commit && each.len() > 1 && first_sync(&outcome);
                    outcomes.push(outcome);
                    if first {
                        lines.push(format!(
                            "first sync: one pull request brings the mapped directories to the head ({} \
                             commits); later pushes get one per commit",
                            each.len()
                        ));
                        break;
                    }
                }
                Err(e) => {
                    any_failed = true;
                    lines.push(format!("{short}: {}", error_chain(&e)));
                    result.hint = e.hint();
                }
            }
        }
        if target.per_commit && !any_failed && runs > 0 && !self.settings.dry_run {
            self.close_failure_issue(repo, &config).await;
        }
        if commits.untouched > 0 {
            lines.push(format!(
                "skipped {} commit(s) touching no subscribed path",
                commits.untouched
            ));
        }
        result.attempts = runs;
        result.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let text = lines.join("; ");
        result.standing = TargetStanding::from_outcomes(&outcomes).map(Box::new);
        if any_failed {
            let hint = result.hint.take();
            return result.failed(text, hint);
        }
        if result.standing.as_ref().is_some_and(|s| s.held) {
            // Nothing was proposed: a rejection holds every change of this push.
            result.status = DeliveryStatus::Skipped;
            result.error = Some(text);
            return result;
        }
        result.outcome = Some(text);
        result
    }
}

impl EngineDelivery<'_> {
    /// Closes `repo`'s open failure issue once a `per_commit` run had no failing commit: nothing it
    /// reports is failing any more.
    async fn close_failure_issue(
        &self,
        repo: &RepoName,
        config: &crate::config::cousin_config::CousinConfig,
    ) {
        let title = failure_report::title(self.source, repo);
        let label = config.notify_labels.first().map(String::as_str);
        let note = format!(
            "ecosync delivered every commit of `{}` into `{repo}` without a failure. Closing this issue.",
            self.source
        );
        if let Err(e) =
            failure_report::close_open(self.forge, self.source, &title, label, &note).await
        {
            tracing::warn!(error = %e, "cannot close the failure issue");
        }
    }
}

/// The private ref of the source clone that names the commit delivered on `branch`, read by the engine as
/// upstream's tip.
pub fn source_ref(branch: &str) -> String {
    format!("refs/ecosync/source/{branch}")
}

/// The commits a delivery of `base..head` brings: the head alone, or with `per_commit` every first-parent
/// commit of the range (oldest first) that changes a path `subscriptions` match, with those paths.
pub fn commits_of(
    source_dir: &Path,
    base: &str,
    head: Oid,
    per_commit: bool,
    subscriptions: &[String],
    paths: &[String],
) -> Result<Commits, git2::Error> {
    if !per_commit {
        return Ok(Commits {
            each: vec![(head, paths.to_vec())],
            untouched: 0,
        });
    }
    let git = Repository::open(source_dir)?;
    let patterns: Vec<PathPattern> = subscriptions
        .iter()
        .filter_map(|p| PathPattern::parse(p).ok())
        .collect();
    // A new branch (no base commit): its whole history is not a list of changes to propose one by one.
    let Some(base) = Oid::from_str(base)
        .ok()
        .filter(|b| git.find_commit(*b).is_ok())
    else {
        return Ok(Commits {
            each: vec![(head, paths.to_vec())],
            untouched: 0,
        });
    };
    let mut walk = git.revwalk()?;
    walk.simplify_first_parent()?;
    walk.push(head)?;
    walk.hide(base)?;
    let mut chain: Vec<Oid> = walk.collect::<Result<_, _>>()?;
    chain.reverse();
    let mut each = Vec::new();
    let mut untouched = 0;
    for id in chain {
        let commit = git.find_commit(id)?;
        let parent_tree = match commit.parent(0) {
            Ok(p) => Some(p.tree()?),
            Err(_) => None,
        };
        let diff = git.diff_tree_to_tree(parent_tree.as_ref(), Some(&commit.tree()?), None)?;
        let mut hit = Vec::new();
        for delta in diff.deltas() {
            for file in [delta.old_file(), delta.new_file()] {
                // Paths are bytes: a non-UTF-8 name is matched in its escaped form, never skipped.
                let Some(p) = file.path_bytes().map(crate::repo_path::path_text) else {
                    continue;
                };
                if matches(&patterns, &p) && !hit.iter().any(|h: &String| *h == p) {
                    hit.push(p.into_owned());
                }
            }
        }
        if hit.is_empty() {
            untouched += 1;
        } else {
            hit.sort();
            each.push((id, hit));
        }
    }
    Ok(Commits { each, untouched })
}

/// Whether the patterns take `path`: the last one that matches decides, a negated one excludes.
fn matches(patterns: &[PathPattern], path: &str) -> bool {
    patterns
        .iter()
        .rev()
        .find(|p| p.is_match(path))
        .is_some_and(|p| !p.is_negated())
}

/// Creates a bare repository at `dir` unless one is there.
fn ensure_bare(dir: &Path) -> Result<(), git2::Error> {
    if Repository::open_bare(dir).is_ok() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| git2::Error::from_str(&e.to_string()))?;
    Repository::init_bare(dir).map(|_| ())
}

/// Whether the sync was a first one (no earlier sync in the target).
fn first_sync(outcome: &SyncOutcome) -> bool {
    match outcome {
        SyncOutcome::Applied(a) => a.change.first_sync,
        SyncOutcome::Conflict(c) => c.change.first_sync,
        SyncOutcome::Failed(f) => f.change.as_ref().is_some_and(|c| c.first_sync),
        _ => false,
    }
}

/// What became of the target's issue about rejections and reversals, when anything was written.
fn recorded(d: &Declines) -> Option<String> {
    Some(match d.recorded.as_ref()? {
        Recorded::Opened { place, issue } => {
            format!(" (recorded in issue #{} in `{place}`)", issue.number)
        }
        Recorded::Updated { place, issue } => {
            format!(" (updated issue #{} in `{place}`)", issue.number)
        }
        Recorded::Closed { place, issue } => format!(
            " (closed issue #{} in `{place}`: a sync was merged again)",
            issue.number
        ),
        Recorded::WouldRecord(place) => {
            format!(" (would record the rejection or reversal in an issue in `{place}`)")
        }
        Recorded::Failed { place, error } => {
            format!(" (cannot record the rejection or reversal in `{place}`: {error})")
        }
    })
}

/// Whether the sync succeeded, and what it did in a few words.
fn describe(outcome: &SyncOutcome) -> (bool, String) {
    let word = outcome.result();
    match outcome {
        SyncOutcome::Applied(a) => {
            let pr = match &a.pull_request {
                PullRequestAction::Created(pr) => {
                    format!("opened pull request #{} {}", pr.number, pr.html_url)
                }
                PullRequestAction::Updated(pr) => {
                    format!("updated pull request #{} {}", pr.number, pr.html_url)
                }
                PullRequestAction::Held { until } => format!(
                    "branch `{}` {}; its pull request opens after {}",
                    a.branch,
                    if a.dry_run { "would move" } else { "moved" },
                    humantime::format_rfc3339_seconds(*until)
                ),
                PullRequestAction::WouldCreate(title) => {
                    format!("would open pull request {title:?} from `{}`", a.branch)
                }
                PullRequestAction::WouldUpdate(pr) => {
                    format!("would update pull request #{} {}", pr.number, pr.html_url)
                }
            };
            (true, format!("{word}: {pr}"))
        }
        SyncOutcome::AlreadySynced { closed, .. } | SyncOutcome::NoChange { closed, .. } => {
            let closed = closed
                .as_ref()
                .map(|pr| format!(" (closed #{}: nothing left to bring)", pr.number))
                .unwrap_or_default();
            (true, format!("{word}{closed}"))
        }
        SyncOutcome::NotSubscribed { reason } => (true, format!("{word}: {reason}")),
        SyncOutcome::Held(h) => {
            let r = &h.rejection;
            let by = r
                .closed_by
                .as_deref()
                .map(|b| format!(" by {}", crate::escape::line(b)))
                .unwrap_or_default();
            let then = if h.paused {
                "nothing is proposed until it is reopened or a run is given `--repropose`"
            } else {
                "not proposed again"
            };
            (
                true,
                format!(
                    "{word}: #{} was closed without merging{by} {}; {then}",
                    r.number, r.url
                ),
            )
        }
        SyncOutcome::Rejected(e) => (false, format!("rejected: {}", error_chain(e))),
        SyncOutcome::Conflict(c) => (false, format!("conflict: {}", error_chain(&c.error))),
        SyncOutcome::Failed(f) => (false, error_chain(&f.error)),
    }
}
