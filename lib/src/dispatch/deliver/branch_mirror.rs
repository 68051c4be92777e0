//! `BranchMirror`: mode `push`. The target's branch mirrors the source branch, fast-forward only: when the
//! target's branch has commits the source does not, it is never forced; the run says so, and opens a pull
//! request instead when the entry has `pull_request`. A GitHub fork of the source is brought up to date
//! with one `merge-upstream` request (no clone, no push); any other target is pushed to over git from the
//! dispatcher's own clone, the token offered only through git's credential callback.

use std::time::Instant;

use git2::Oid;

use crate::config::strategy::Strategy;
use crate::dispatch::deliver::delivery_report::{DeliveryStatus, RepoResult};
use crate::dispatch::deliver::direct_settings::DirectSettings;
use crate::dispatch::deliver::engine_delivery::{Commits, EngineDelivery};
use crate::dispatch::ecosystem::delivery_mode::DeliveryMode;
use crate::dispatch::ecosystem::target_delivery::TargetDelivery;
use crate::error_kind::error_chain;
use crate::forge::Forge;
use crate::git::{GitAuth, SyncRepo};
use crate::repo_name::RepoName;

/// One `push` delivery.
pub struct BranchMirror<'a> {
    /// The forge.
    pub forge: &'a Forge,
    /// Where the source clone is, where targets' git lives.
    pub settings: &'a DirectSettings,
    /// The source repository.
    pub source: &'a RepoName,
    /// The source branch pushed.
    pub branch: &'a str,
    /// The commit it is at.
    pub head: Oid,
    /// The run's dispatch id.
    pub dispatch_id: Option<&'a str>,
}

/// How the target's branch stands against the source's head.
enum Standing {
    /// It does not exist yet.
    Absent,
    /// It is at the head, or ahead of it with the head inside.
    Current(Oid),
    /// The head is a fast-forward from it.
    Behind(Oid),
    /// It has commits the source does not.
    Diverged(Oid),
}

impl BranchMirror<'_> {
    /// Brings `repo`'s branch to the source's head, as `target` says.
    pub async fn deliver(&self, repo: &RepoName, target: &TargetDelivery) -> RepoResult {
        let started = Instant::now();
        let mut result = RepoResult::new(repo, DeliveryStatus::Delivered, "");
        result.mode = DeliveryMode::Push;
        let outcome = self.mirror(repo, target).await;
        result.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match outcome {
            Ok(Mirrored::Done(text)) => {
                result.attempts = 1;
                result.outcome = Some(text);
            }
            Ok(Mirrored::Fallback(r)) => {
                let mut r = *r;
                r.mode = DeliveryMode::Push;
                r.duration_ms = result.duration_ms;
                return r;
            }
            Err((error, hint)) => return result.failed(error, hint),
        }
        result
    }

    async fn mirror(
        &self,
        repo: &RepoName,
        target: &TargetDelivery,
    ) -> Result<Mirrored, (String, Option<String>)> {
        let fail = |e: &dyn std::error::Error| (error_chain(e), None);
        // One read of the repository serves both the default branch and the fork check.
        let mut info = None;
        let branch = if let Some(b) = &target.target_branch {
            b.clone()
        } else {
            let found = self.forge.repository(repo).await.map_err(|e| fail(&e))?;
            let branch = found.default_branch.clone();
            info = Some(found);
            branch
        };
        let url = self.settings.git_url(self.forge, repo);
        let auth = GitAuth::from(
            self.forge
                .git_credentials(repo)
                .await
                .map_err(|e| fail(&e))?,
        );
        // The source clone is locked only while it is read (never across a request to the forge, which a
        // content limit may hold back for long), and not written at all in a dry run.
        let standing = {
            let source = SyncRepo::open(&self.settings.source_dir, self.settings.dry_run)
                .map_err(|e| fail(&e))?;
            let tracking = format!("refs/ecosync/mirror/{repo}/{branch}");
            let tip = source
                .fetch_branch(&url, &branch, &tracking, &auth)
                .map_err(|e| fail(&e))?;
            let git = &source.repo;
            let standing = match tip {
                None => Standing::Absent,
                Some(t) if t == self.head => Standing::Current(t),
                Some(t) if git.graph_descendant_of(self.head, t).unwrap_or(false) => {
                    Standing::Behind(t)
                }
                Some(t) if git.graph_descendant_of(t, self.head).unwrap_or(false) => {
                    Standing::Current(t)
                }
                Some(t) => Standing::Diverged(t),
            };
            if let Ok(mut r) = git.find_reference(&tracking) {
                let _ = r.delete();
            }
            standing
        };
        let short = crate::git::short_oid;
        let head = self.head;
        match standing {
            Standing::Current(t) => Ok(Mirrored::Done(format!(
                "`{branch}` already carries {} (at {})",
                short(head),
                short(t)
            ))),
            Standing::Diverged(t) => {
                if target.pull_request.is_some() {
                    return Ok(Mirrored::Fallback(Box::new(
                        self.fallback(repo, target, &branch).await,
                    )));
                }
                Err((
                    format!(
                        "`{branch}` of `{repo}` (at {}) has commits `{}` does not have; it was not forced",
                        short(t),
                        self.source
                    ),
                    Some(
                        "merge the source into it (or drop those commits) by hand, or add `pull_request` to the \
                         entry to get a pull request instead"
                            .to_owned(),
                    ),
                ))
            }
            Standing::Absent | Standing::Behind(_) => {
                let from = match standing {
                    Standing::Behind(t) => short(t),
                    _ => "nothing (new branch)".to_owned(),
                };
                // A fork of the source on GitHub takes one request, with no clone and no push.
                let fork = matches!(standing, Standing::Behind(_))
                    && branch == self.branch
                    && match info {
                        Some(info) => info,
                        None => self.forge.repository(repo).await.map_err(|e| fail(&e))?,
                    }
                    .fork_of
                    .is_some_and(|p| p.as_str().eq_ignore_ascii_case(self.source.as_str()));
                if self.settings.dry_run {
                    let how = if fork { "merge-upstream" } else { "a push" };
                    return Ok(Mirrored::Done(format!(
                        "would fast-forward `{branch}` from {from} to {} with {how}",
                        short(head)
                    )));
                }
                if fork {
                    let how = self
                        .forge
                        .merge_upstream(repo, &branch)
                        .await
                        .map_err(|e| fail(&e))?;
                    // Checked just before: anything but a fast-forward (the fork moved meanwhile) is said.
                    return match how.as_str() {
                        "fast-forward" | "none" => Ok(Mirrored::Done(format!(
                            "fast-forwarded `{branch}` from {from} with merge-upstream ({how})"
                        ))),
                        other => Err((
                            format!(
                                "merge-upstream synced `{branch}` of `{repo}` by `{other}`, not a \
                                 fast-forward: the fork moved while this run looked at it"
                            ),
                            Some(
                                "look at the fork's branch: GitHub made the commit, ecosync forced nothing"
                                    .to_owned(),
                            ),
                        )),
                    };
                }
                SyncRepo::open(&self.settings.source_dir, false)
                    .and_then(|source| source.push(&url, head, &branch, false, &auth))
                    .map_err(|e| {
                        (
                            error_chain(&e),
                            Some(
                                "the token needs Contents: write on the target (and Workflows: write when \
                                 `.github/workflows/` changed)"
                                    .to_owned(),
                            ),
                        )
                    })?;
                Ok(Mirrored::Done(format!(
                    "pushed {} to `{branch}` (was {from})",
                    short(head)
                )))
            }
        }
    }

    /// A pull request that merges the source's head into the target branch, for a branch that cannot
    /// be fast-forwarded.
    async fn fallback(&self, repo: &RepoName, target: &TargetDelivery, branch: &str) -> RepoResult {
        let merge = TargetDelivery {
            mode: DeliveryMode::PullRequest,
            target_branch: Some(branch.to_owned()),
            strategy: Strategy::Merge,
            mapping: Some(Vec::new()),
            per_commit: false,
            buffer: None,
            ..target.clone()
        };
        let engine = EngineDelivery {
            forge: self.forge,
            settings: self.settings,
            source: self.source,
            branch: self.branch,
            head: self.head,
            dispatch_id: self.dispatch_id,
        };
        let commits = Commits {
            each: vec![(self.head, Vec::new())],
            untouched: 0,
        };
        let mut r = engine.deliver(repo, &merge, &commits, &[], true).await;
        let note =
            format!("`{branch}` has commits of its own, so a pull request instead of a push");
        match (&mut r.outcome, &mut r.error) {
            (Some(o), _) | (None, Some(o)) => *o = format!("{note}: {o}"),
            (None, None) => r.outcome = Some(note),
        }
        r
    }
}

/// What a mirror did.
enum Mirrored {
    /// The branch is (or was already) at the head.
    Done(String),
    /// A pull request instead: the engine's result.
    Fallback(Box<RepoResult>),
}
