//! `apply`: one whole sync as a library call. Verify the event and the commit, run the strategy, name the
//! branch, stack or replace, close a pull request with nothing left to bring, apply the conflict policy,
//! publish, and report a failure where the configuration says. The caller only builds a [`SyncRequest`]
//! and prints the [`SyncOutcome`].

use git2::Oid;

use crate::actions;
use crate::config::cousin_config::CousinConfig;
use crate::config::notify::NotifyTarget;
use crate::config::on_conflict::OnConflict;
use crate::error_kind::{ErrorKind, UserError as _, error_chain};
use crate::forge::Forge;
use crate::git::{GitAuth, SyncRepo};
use crate::repo_name::{self, RepoName};
use crate::sync::compute::message::FollowsRejection;
use crate::sync::compute::{self, Prepared, SyncPlan};
use crate::sync::publish::failure_report::{self, FailureReport, ReportOutcome};
use crate::sync::publish::{self, CloseTarget, PublishTarget, PullRequestAction};
use crate::sync::rejection::declines::Declines;
use crate::sync::rejection::hold::{self, Hold, Proposal};
use crate::sync::rejection::target_review::{RecordPlace, TargetReview};
use crate::sync::request::SyncRequest;
use crate::sync::sync_error::SyncError;
use crate::sync::sync_outcome::{
    Applied, ChangeReport, Conflicted, Failed, Held, Report, Resolved, SyncOutcome,
};
use crate::sync::sync_run_error::SyncRunError;
use crate::sync::sync_settings::SyncSettings;
use crate::sync::verify;

/// Runs one sync. `Err` means the run could not start (the cousin could not be named); every other ending,
/// rejections and failures included, is a [`SyncOutcome`], and failures were already reported where the
/// configuration says (never for a dry run, never for a rejected input).
pub async fn apply(request: &SyncRequest, forge: &Forge) -> Result<SyncOutcome, SyncError> {
    apply_as(request, forge, request.cousin_name()?).await
}

/// [`apply`] to `cousin`, already named.
#[tracing::instrument(skip_all, fields(repo = %request.repo_dir.display()))]
pub(crate) async fn apply_as(
    request: &SyncRequest,
    forge: &Forge,
    cousin: RepoName,
) -> Result<SyncOutcome, SyncError> {
    let run = Engine {
        request,
        forge,
        config: &request.config,
        run_url: request
            .run_id
            .as_deref()
            .map(|id| actions::run_url(&request.server_url, &cousin, id)),
        cousin,
    };
    run.apply().await
}

/// One sync, once the cousin is known.
struct Engine<'a> {
    request: &'a SyncRequest,
    forge: &'a Forge,
    config: &'a CousinConfig,
    cousin: RepoName,
    run_url: Option<String>,
}

/// What the failure report needs from a run that got past the event checks.
struct Progress {
    upstream_url: String,
    base: String,
    change: Option<ChangeReport>,
}

impl Engine<'_> {
    /// `Err` only for a setting that must be fixed (exit 2), which is not reported as an issue.
    async fn apply(&self) -> Result<SyncOutcome, SyncError> {
        let config = self.config;
        let (upstream_url, upstream_auth) = match &config.upstream_url {
            // A configured URL may point anywhere: the forge's token is never offered to it.
            Some(url) => (url.clone(), GitAuth::default()),
            None => (
                self.forge.git_url(&config.upstream_repo),
                self.auth(&config.upstream_repo).await.unwrap_or_default(),
            ),
        };
        let mut progress = Progress {
            // Only ever shown (in the failure report): without the URL's user name and password.
            upstream_url: repo_name::redact_userinfo(&upstream_url).into_owned(),
            base: config.pull_request.base.clone().unwrap_or_default(),
            change: None,
        };
        Ok(
            match self.sync(upstream_url, upstream_auth, &mut progress).await {
                Ok(mut outcome) => {
                    self.resolve(&mut outcome).await;
                    outcome
                }
                Err(error) if error.is_rejection() => SyncOutcome::Rejected(error),
                Err(error) if error.kind() == ErrorKind::Usage => return Err(error),
                Err(error) => {
                    let report = self.report(&progress, &error).await;
                    match error {
                        SyncError::Conflict { .. } => SyncOutcome::Conflict(Box::new(Conflicted {
                            // A conflict is found only once the change is computed.
                            change: progress.change.expect("a conflict comes with its change"),
                            error,
                            report,
                        })),
                        error => SyncOutcome::Failed(Box::new(Failed {
                            change: progress.change,
                            error,
                            report,
                        })),
                    }
                }
            },
        )
    }

    async fn auth(&self, repo: &RepoName) -> Result<GitAuth, SyncError> {
        let creds =
            self.forge
                .git_credentials(repo)
                .await
                .map_err(|source| SyncError::Credentials {
                    repo: repo.clone(),
                    source,
                })?;
        Ok(GitAuth {
            userpass: creds.map(|c| (c.username, c.password)),
        })
    }

    async fn sync(
        &self,
        upstream_url: String,
        upstream_auth: GitAuth,
        progress: &mut Progress,
    ) -> Result<SyncOutcome, SyncError> {
        let config = self.config;
        let request = self.request;
        let cousin = &self.cousin;
        let cousin_url = request
            .cousin_url
            .clone()
            .unwrap_or_else(|| self.forge.git_url(cousin));
        let cousin_auth = self.auth(cousin).await?;
        let base = match &config.pull_request.base {
            Some(b) => b.clone(),
            None => self.forge.default_branch(cousin).await.map_err(|source| {
                SyncError::DefaultBranch {
                    repo: cousin.clone(),
                    source,
                }
            })?,
        };
        progress.base.clone_from(&base);
        // A template without the commit id resolves now: refuse it before fetching anything.
        if !config.pull_request.branch.contains("sha}")
            && let Some(e) = branch_is_base(config, &config.pr_branch(Oid::ZERO_SHA1), &base)
        {
            return Err(e);
        }
        let mut settings = SyncSettings {
            config: config.clone(),
            upstream_url,
            upstream_auth,
            base_branch: base.clone(),
            cousin_url: Some(cousin_url.clone()),
            cousin_auth: cousin_auth.clone(),
            event: request.event.clone(),
            now: request.now,
            committer: request.committer.clone(),
            server_url: request.server_url.clone(),
            merged_syncs: Vec::new(),
            config_in_repo: None,
            single_commit: request.single_commit,
            upstream_ref: request.upstream_ref.clone(),
        };
        if let Some(reason) = verify::not_concerned(&settings)? {
            return Ok(SyncOutcome::NotSubscribed { reason });
        }
        // One listing of the closed pull requests serves the sync trail (a squash merge whose message lost
        // the trailer) and the rejections.
        let mut review = TargetReview::read(
            self.forge,
            cousin,
            &base,
            &config.upstream_repo,
            request.single_commit,
        )
        .await;
        if config.strategy.tracks_last_sync() {
            settings.merged_syncs = review.pulls.merged_syncs();
        }
        let repo = SyncRepo::open(&request.repo_dir, request.dry_run).map_err(|source| {
            SyncError::Open {
                dir: request.repo_dir.display().to_string(),
                source,
            }
        })?;
        settings.config_in_repo = request
            .config_file
            .as_deref()
            .and_then(|file| in_repo(&repo.repo, file));
        let verified = verify::verify(&repo, &settings)?;
        if config.strategy.tracks_last_sync() {
            review.look(&repo, verified.base, config, &settings.merged_syncs);
        }
        let mut plan = match compute::compute(&repo, &settings, verified)? {
            Prepared::AlreadySynced { upstream, by } => {
                let closed = self.close_superseded(&repo, &settings, upstream).await?;
                let declines = self.declines(&review, &base, false, Vec::new()).await;
                return Ok(SyncOutcome::AlreadySynced {
                    upstream,
                    base,
                    by,
                    closed,
                    resolved: None,
                    declines: Box::new(declines),
                });
            }
            Prepared::NoChange { upstream } => {
                let closed = self.close_superseded(&repo, &settings, upstream).await?;
                let declines = self.declines(&review, &base, false, Vec::new()).await;
                return Ok(SyncOutcome::NoChange {
                    upstream,
                    closed,
                    resolved: None,
                    declines: Box::new(declines),
                });
            }
            Prepared::Change(plan) => plan,
        };
        let proposal = Proposal {
            upstream: plan.upstream,
            single_commit: request.single_commit,
            on_rejection: config.on_rejection,
            subscriptions: &config.subscriptions,
        };
        let hold = if request.repropose {
            Hold::Proceed
        } else {
            hold::decide(&repo, &review.pulls, &proposal).map_err(SyncRunError::from)?
        };
        if let Hold::Held { rejection, paused } = hold {
            let rejection = review.record_of(rejection);
            let declines = self.declines(&review, &base, false, Vec::new()).await;
            return Ok(SyncOutcome::Held(Box::new(Held {
                upstream: plan.upstream,
                base,
                rejection,
                paused,
                dry_run: request.dry_run,
                declines,
            })));
        }
        // A newer proposal says what it carries again of the rejected one, and which undone paths it
        // changes again.
        if let Some(latest) = review.pulls.latest() {
            let again = hold::carried_again(&repo, latest.head(), &plan.message.upstream_commits)
                .map_err(SyncRunError::from)?;
            if !request.single_commit || !again.is_empty() {
                plan.message.follows = Some(FollowsRejection {
                    number: latest.number(),
                    url: latest.pull.pr.html_url.clone(),
                    closed_by: latest.closed_by.clone(),
                    again,
                });
            }
        }
        let touched_again: Vec<String> = review
            .reversal
            .as_ref()
            .map(|r| {
                r.paths
                    .iter()
                    .filter(|p| {
                        plan.summary
                            .files
                            .iter()
                            .any(|f| &&f.path == p || &&f.old_path == p)
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        plan.message.reverted_again.clone_from(&touched_again);
        let change = self.change_report(&settings, &plan);
        progress.change = Some(change.clone());
        let conflicted = !plan.change.conflicts.is_empty();
        if conflicted && config.on_conflict == OnConflict::Issue {
            return Err(SyncError::Conflict {
                files: plan.change.conflicts.clone(),
            });
        }
        // One pull request per commit starts after a first sync, which is one rolling pull request that
        // every push refreshes until it is merged.
        let branch = if request.single_commit && plan.change.first_sync {
            config.rolling_branch(plan.upstream)
        } else {
            config.pr_branch(plan.upstream)
        };
        if let Some(e) = branch_is_base(config, &branch, &base) {
            return Err(e);
        }
        let committer = git2::Signature::now(&request.committer.0, &request.committer.1)?;
        let target = PublishTarget {
            cousin,
            cousin_url: &cousin_url,
            cousin_auth: &cousin_auth,
            branch: &branch,
            base: &base,
            upstream: &config.upstream_repo,
            upstream_branch: &config.upstream_branch,
            settings: &config.pull_request,
            force_draft: conflicted,
            committer,
            open_after: request.open_after,
            subscriptions: &config.subscriptions,
            now: request.now,
        };
        let published = publish::publish(self.forge, &repo, &plan, &target)
            .await
            .map_err(|source| SyncError::Publish {
                cousin: cousin.clone(),
                source,
            })?;
        let opened = matches!(published.pull_request, PullRequestAction::Created(_));
        let declines = self.declines(&review, &base, opened, touched_again).await;
        Ok(SyncOutcome::Applied(Box::new(Applied {
            change,
            branch: published.branch,
            branch_action: published.branch_action,
            stacked: plan.picks.as_ref().is_some_and(|p| p.stacked_on.is_some()),
            pull_request: published.pull_request,
            dry_run: request.dry_run,
            resolved: None,
            declines,
        })))
    }

    /// What the run found about rejections and reversals, recorded in the target's issue where failures
    /// go (read only, in a dry run).
    async fn declines(
        &self,
        review: &TargetReview,
        base: &str,
        opened: bool,
        touched_again: Vec<String>,
    ) -> Declines {
        let mut declines = review.declines(
            self.config.on_rejection,
            self.request.repropose,
            opened,
            touched_again,
        );
        if let Some(place) = self.notify_place() {
            let at = RecordPlace {
                place: &place,
                target: &self.cousin,
                upstream: &self.config.upstream_repo,
                base,
            };
            review
                .record(self.forge, &at, &mut declines, self.request.dry_run)
                .await;
        }
        declines
    }

    fn change_report(&self, settings: &SyncSettings, plan: &SyncPlan) -> ChangeReport {
        ChangeReport {
            upstream: self.config.upstream_repo.clone(),
            upstream_branch: self.config.upstream_branch.clone(),
            upstream_sha: plan.upstream,
            last_synced: plan.message.last_synced,
            first_sync: plan.change.first_sync,
            strategy: self.config.strategy,
            conflicts: plan.change.conflicts.clone(),
            commit: plan.commit,
            base_branch: settings.base_branch.clone(),
            base: plan.base,
            summary: plan.summary.clone(),
            picks: plan.picks.as_ref().map(|p| p.chain.clone()),
            backfill: plan.message.backfill.clone(),
            dropped: plan.message.dropped.clone(),
        }
    }

    /// Closes the open sync pull request when this no-op run shows it has nothing left to bring.
    async fn close_superseded(
        &self,
        repo: &SyncRepo,
        settings: &SyncSettings,
        upstream: Oid,
    ) -> Result<Option<crate::forge::PullRequest>, SyncError> {
        let config = self.config;
        let Some(cousin_url) = &settings.cousin_url else {
            return Ok(None);
        };
        let Some(base_commit) = repo.fetched(&crate::git::cousin_ref(&settings.base_branch)) else {
            return Ok(None);
        };
        let branch = config.pr_branch(upstream);
        if let Some(e) = branch_is_base(config, &branch, &settings.base_branch) {
            return Err(e);
        }
        let target = CloseTarget {
            cousin: &self.cousin,
            cousin_url,
            cousin_auth: &settings.cousin_auth,
            branch: &branch,
            base: &settings.base_branch,
            base_commit,
            upstream: &config.upstream_repo,
            upstream_sha: upstream,
            supersedes: !config.strategy.stacks(),
        };
        publish::close_if_superseded(self.forge, repo, &target)
            .await
            .map_err(|source| SyncError::Close {
                cousin: self.cousin.clone(),
                source,
            })
    }

    /// After a success: closes the open failure issue of this cousin and upstream, with a comment linking
    /// the pull request, so the issue says when it stopped being true. A failure to do so is logged, never
    /// fatal: the sync itself succeeded.
    async fn resolve(&self, outcome: &mut SyncOutcome) {
        if self.request.dry_run || self.request.keep_failure_issue {
            return;
        }
        let Some(place) = self.notify_place() else {
            return;
        };
        let link = outcome.pull_request_url().map(str::to_owned);
        let slot = match outcome {
            SyncOutcome::Applied(a) => &mut a.resolved,
            SyncOutcome::AlreadySynced { resolved, .. }
            | SyncOutcome::NoChange { resolved, .. } => resolved,
            _ => return,
        };
        let config = self.config;
        let title = failure_report::title(&config.upstream_repo, &self.cousin);
        let label = config.notify_labels.first().map(String::as_str);
        let found = match self.forge.find_open_issue(&place, &title, label).await {
            Ok(Some(issue)) => issue,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "cannot look for the failure issue to close it");
                return;
            }
        };
        let (upstream, cousin) = (&config.upstream_repo, &self.cousin);
        let note = match link {
            Some(url) => {
                format!("ecosync synced `{upstream}` into `{cousin}`: {url}. Closing this issue.")
            }
            None => {
                format!(
                    "ecosync found `{cousin}` in sync with `{upstream}` again. Closing this issue."
                )
            }
        };
        let closed = async {
            self.forge.comment(&place, found.number, &note).await?;
            self.forge.close_issue(&place, found.number).await
        };
        match closed.await {
            Ok(()) => {
                *slot = Some(Resolved {
                    place,
                    issue: found,
                });
            }
            Err(e) => tracing::warn!(error = %e, "cannot close the failure issue"),
        }
    }

    /// Where failures go.
    fn notify_place(&self) -> Option<RepoName> {
        match &self.config.notify {
            NotifyTarget::Upstream => Some(self.config.upstream_repo.clone()),
            NotifyTarget::Own => Some(self.cousin.clone()),
            NotifyTarget::Repo(r) => Some(r.clone()),
            NotifyTarget::Nowhere => None,
        }
    }

    /// Reports a failure as one issue per cousin; a failure to report is returned, never hides the first.
    async fn report(&self, progress: &Progress, error: &SyncError) -> Report {
        let place = self.notify_place();
        if self.request.dry_run {
            return Report::WouldReport(place);
        }
        let Some(place) = place else {
            return Report::Nowhere;
        };
        let config = self.config;
        let change = progress.change.as_ref();
        let report = FailureReport {
            cousin: self.cousin.clone(),
            upstream: config.upstream_repo.clone(),
            upstream_url: progress.upstream_url.clone(),
            upstream_branch: config.upstream_branch.clone(),
            upstream_sha: change
                .map(|c| c.upstream_sha)
                .or(self.request.event.commit)
                .map(|c| c.to_string()),
            last_synced: change.and_then(|c| c.last_synced).map(|c| c.to_string()),
            base: progress.base.clone(),
            strategy: config.strategy,
            mappings: config
                .subscriptions
                .iter()
                .map(|s| (s.path.clone(), s.to.clone()))
                .collect(),
            error: error_chain(error),
            hint: error.hint(),
            conflicts: change.map(|c| c.conflicts.clone()).unwrap_or_default(),
            pushed: match error {
                SyncError::Publish {
                    source: crate::sync::publish::PublishError::AfterPush { branch, head, .. },
                    ..
                } => Some((branch.clone(), head.to_string())),
                _ => None,
            },
            run_url: self.run_url.clone(),
            dispatch_id: self.request.event.dispatch_id.clone(),
            server_url: self.request.server_url.clone(),
        };
        match failure_report::report(self.forge, &place, &config.notify_labels, &report).await {
            Ok(ReportOutcome::Opened(issue)) => Report::Opened { place, issue },
            Ok(ReportOutcome::Commented(issue)) => Report::Commented { place, issue },
            Err(e) => Report::Failed {
                place,
                error: error_chain(&e),
            },
        }
    }
}

/// `file`'s path relative to the root of `repo`'s work tree, with `/` between its parts, when it is inside.
fn in_repo(repo: &git2::Repository, file: &std::path::Path) -> Option<String> {
    let root = repo.workdir()?.canonicalize().ok()?;
    let file = file.canonicalize().ok()?;
    let rel = file.strip_prefix(&root).ok()?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

/// Refuses a sync branch that is the base branch: every push goes to the sync branch, so that would put
/// the sync into the base without review (and a force push could drop its history).
fn branch_is_base(config: &CousinConfig, branch: &str, base: &str) -> Option<SyncError> {
    (branch == base).then(|| SyncError::BranchIsBase {
        branch: branch.to_owned(),
        template: config.pull_request.branch.clone(),
        base: base.to_owned(),
    })
}
