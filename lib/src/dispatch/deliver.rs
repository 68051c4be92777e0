//! `deliver`: a plan's notifications as one library call. Build and check each payload, send them through
//! the forge a bounded number at a time, record what became of each repository, and open (or comment on)
//! the failure issue. [`preview`] is the same without sending, for a dry run.

pub mod acknowledge;
pub mod branch_mirror;
pub mod delivery_audit;
pub mod delivery_report;
pub mod delivery_statuses;
pub mod delivery_text;
pub mod direct_settings;
pub mod engine_delivery;
pub mod failure_notice;
pub mod fan_out;
pub mod per_commit_selection;

use std::time::{SystemTime, UNIX_EPOCH};

use crate::actions;
use crate::dispatch::deliver::branch_mirror::BranchMirror;
use crate::dispatch::deliver::delivery_report::{
    DeliveryReport, DeliveryStatus, FailureIssue, RepoResult,
};
use crate::dispatch::deliver::direct_settings::DirectSettings;
use crate::dispatch::deliver::engine_delivery::EngineDelivery;
use crate::dispatch::deliver::failure_notice::NoticeOutcome;
use crate::dispatch::deliver::fan_out::{FanOut, Outgoing};
use crate::dispatch::deliver::per_commit_selection::PerCommitSelection;
use crate::dispatch::ecosystem::delivery_mode::DeliveryMode;
use crate::dispatch::plan::{Delivery, Plan};
use crate::error_kind::error_chain;
use crate::forge::Forge;
use crate::forge::commit_status::StatusState;
use crate::payload::{self, MAX_PAYLOAD_BYTES, PAYLOAD_VERSION, Payload};
use crate::repo_name::RepoName;
use crate::stop_signal::StopSignal;
use crate::sync::publish::acknowledge::rejected_description;
use crate::sync::rejection::standing;
use crate::sync::rejection::target_standing::TargetStanding;

/// How to deliver a plan.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// The repository the change comes from, carried in every payload.
    pub source_repo: RepoName,
    /// The identifier carried in every payload of this run ([`dispatch_id`]).
    pub dispatch_id: String,
    /// How many dispatches may be in flight at once.
    pub concurrency: usize,
    /// Open one issue in the source repository listing the failures (or comment on the open one).
    pub notify_issue: bool,
    /// Set by SIGINT or SIGTERM: no further dispatch starts.
    pub stop: StopSignal,
    /// Set a `pending` commit status on the source commit for each target before its dispatch (`error`
    /// when the dispatch fails), for the subscriber to acknowledge.
    pub ack: bool,
    /// For the modes in which the dispatcher delivers the change itself (`push`, `pull-request`,
    /// `buffered-pr`): the source clone, the cache and where targets' git lives.
    pub direct: DirectSettings,
}

/// What a dry run would send.
#[derive(Debug, Clone)]
pub struct Preview {
    /// Each dispatch that would be sent.
    pub outgoing: Vec<Outgoing>,
    /// The report: every repository skipped, with why.
    pub report: DeliveryReport,
    /// How many deliveries would be made (each dispatch; each delivery the dispatcher makes itself that was
    /// computed and would succeed).
    pub would_deliver: usize,
    /// How many would fail (a refused payload; a computed delivery that would fail).
    pub would_fail: usize,
    /// How many deliveries the dispatcher makes itself could not be computed (no forge to read the targets
    /// with).
    pub not_computed: usize,
    /// How many entries the plan skips (disabled, another branch).
    pub skipped: usize,
}

/// An identifier for this run, carried in every payload: the workflow run's URL under GitHub Actions, else a
/// unique id.
pub fn dispatch_id(source: &RepoName) -> String {
    if let Some(url) = actions::current_run_url(source) {
        return url;
    }
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    format!(
        "ecosync-{millis}-{}-{:08x}",
        std::process::id(),
        fastrand::u32(..)
    )
}

/// What would be sent for `plan`, sending nothing.
pub fn preview(plan: &Plan, settings: &DeliverySettings) -> Preview {
    let (outgoing, refused) = outgoing(plan, settings);
    let would_fail = refused.len();
    let mut repos: Vec<RepoResult> = outgoing
        .iter()
        .map(|o| {
            let mut r = RepoResult::new(&o.repo, DeliveryStatus::Skipped, &o.event_type);
            r.features.clone_from(&o.payload.updated_features);
            r.error = Some("dry run: not sent".into());
            r
        })
        .collect();
    repos.extend(refused);
    repos.extend(
        plan.deliveries
            .iter()
            .filter(|d| d.mode != DeliveryMode::Dispatch)
            .map(|d| {
                let mut r = RepoResult::new(&d.repo, DeliveryStatus::Skipped, "");
                r.mode = d.mode;
                r.features.clone_from(&d.features);
                r.error = Some(format!("dry run: not delivered (mode `{}`)", d.mode));
                r
            }),
    );
    let not_computed = plan
        .deliveries
        .iter()
        .filter(|d| d.mode != DeliveryMode::Dispatch)
        .count()
        + plan.flush.len();
    repos.extend(skipped(plan));
    Preview {
        would_deliver: outgoing.len(),
        would_fail,
        not_computed,
        skipped: plan.skipped.len(),
        outgoing,
        report: report(plan, settings, true, repos),
    }
}

/// [`preview`], with the deliveries the dispatcher makes itself computed through `forge` (reading the
/// targets, writing nothing): what `push` would move, what each pull request mode would open or refresh,
/// and what the source records of the other targets' rejections and reversals.
pub async fn preview_direct(plan: &Plan, settings: &DeliverySettings, forge: &Forge) -> Preview {
    let mut preview = preview(plan, settings);
    let mut dry = settings.clone();
    dry.direct.dry_run = true;
    let direct = plan
        .deliveries
        .iter()
        .filter(|d| d.mode != DeliveryMode::Dispatch)
        .map(|d| (d, false))
        .chain(plan.flush.iter().map(|d| (d, true)));
    for (d, manual) in direct {
        let mut r = deliver_direct(plan, d, &dry, forge, manual).await;
        preview.not_computed = preview.not_computed.saturating_sub(1);
        if r.status == DeliveryStatus::Failed {
            preview.would_fail += 1;
        } else {
            preview.would_deliver += 1;
        }
        // A dry run delivers nothing and fails nothing (it exits 0): it says what would happen.
        r.error = Some(match r.status {
            DeliveryStatus::Failed => match &r.hint {
                Some(hint) => format!("dry run: would fail: {}; hint: {hint}", r.error_text()),
                None => format!("dry run: would fail: {}", r.error_text()),
            },
            _ => format!("dry run: {}", r.outcome.take().unwrap_or_default()),
        });
        r.status = DeliveryStatus::Skipped;
        match preview.report.repos.iter_mut().find(|l| l.repo == d.repo) {
            Some(line) => *line = r,
            None => preview.report.repos.push(r),
        }
    }
    annotate_standings(forge, &settings.source_repo, &mut preview.report.repos).await;
    preview
}

/// Sends one dispatch per planned repository through `forge` and reports what became of each; one failing
/// never stops the others. `progress` is called as each finishes, with how many have and how many there
/// are. With `notify_issue`, failures are listed in one issue in the source repository.
#[tracing::instrument(skip_all, fields(source = %settings.source_repo, deliveries = plan.deliveries.len()))]
pub async fn deliver(
    plan: &Plan,
    settings: &DeliverySettings,
    forge: &Forge,
    mut progress: impl FnMut(usize, usize, &RepoResult),
) -> DeliveryReport {
    let (send, refused) = outgoing(plan, settings);
    let direct: Vec<&Delivery> = plan
        .deliveries
        .iter()
        .filter(|d| d.mode != DeliveryMode::Dispatch)
        .collect();
    let total = send.len() + direct.len() + plan.flush.len();
    // The dispatch id is the run's URL under Actions: the status links to the run that sent it.
    let run_url = Some(settings.dispatch_id.as_str()).filter(|id| id.starts_with("http"));
    let mut acknowledgements = Vec::new();
    if settings.ack {
        let pending = send.iter().map(|o| {
            (
                o.repo.clone(),
                StatusState::Pending,
                acknowledge::PENDING_DESCRIPTION.to_owned(),
            )
        });
        acknowledgements =
            acknowledge::set_statuses(forge, &settings.source_repo, &plan.head, pending, run_url)
                .await;
    }
    let mut done = 0;
    let mut repos = FanOut::new(forge, settings.concurrency)
        .deliver(&send, &settings.stop, |n, r| {
            done = n;
            progress(n, total, r);
        })
        .await;
    for (d, manual) in direct
        .iter()
        .map(|d| (*d, false))
        .chain(plan.flush.iter().map(|d| (d, true)))
    {
        let r = if settings.stop.signal().is_some() {
            let mut r = RepoResult::new(&d.repo, DeliveryStatus::Unsent, "");
            r.mode = d.mode;
            r.error = Some("not delivered: the run was stopped".into());
            r
        } else {
            deliver_direct(plan, d, settings, forge, manual).await
        };
        done += 1;
        progress(done, total, &r);
        repos.push(r);
    }
    if settings.ack {
        // The deliveries the dispatcher made itself are settled here: nobody else will.
        let settled = repos
            .iter()
            .filter(|r| r.mode != DeliveryMode::Dispatch)
            // A buffered target this push does not concern gets no status on its commit.
            .filter(|r| direct.iter().any(|d| d.repo == r.repo))
            .filter_map(|r| {
                let held = r.standing.as_ref().filter(|s| s.held);
                let (state, text) = match (r.status, held.and_then(|s| s.pull_request)) {
                    (DeliveryStatus::Skipped, Some(number)) => {
                        return Some((
                            r.repo.clone(),
                            StatusState::Failure,
                            rejected_description(number),
                        ));
                    }
                    (DeliveryStatus::Delivered, _) => (StatusState::Success, r.outcome.as_deref()),
                    (DeliveryStatus::Failed, _) => (StatusState::Failure, r.error.as_deref()),
                    _ => return None,
                };
                Some((
                    r.repo.clone(),
                    state,
                    format!("{}: {}", r.mode, text.unwrap_or_default()),
                ))
            })
            .collect::<Vec<_>>();
        acknowledgements.extend(
            acknowledge::set_statuses(forge, &settings.source_repo, &plan.head, settled, run_url)
                .await,
        );
        // A pull request first seen closed without merging: its own source commit says so too.
        for r in &repos {
            let Some(standing) = &r.standing else {
                continue;
            };
            for n in standing
                .new_rejections
                .iter()
                .filter(|n| n.head != plan.head)
            {
                acknowledgements.extend(
                    acknowledge::set_statuses(
                        forge,
                        &settings.source_repo,
                        &n.head,
                        [(
                            r.repo.clone(),
                            StatusState::Failure,
                            rejected_description(n.number),
                        )],
                        Some(n.url.as_str()),
                    )
                    .await,
                );
            }
        }
        // A dispatch that failed (or was never sent) will not be acknowledged: say so on the commit.
        let ended = repos
            .iter()
            .filter(|r| r.mode == DeliveryMode::Dispatch)
            .filter(|r| matches!(r.status, DeliveryStatus::Failed | DeliveryStatus::Unsent))
            .map(|r| {
                let why = if r.status == DeliveryStatus::Failed {
                    "the dispatch failed; see the dispatcher's run"
                } else {
                    "the dispatch was not sent (the run was stopped)"
                };
                (r.repo.clone(), StatusState::Error, why.to_owned())
            })
            .collect::<Vec<_>>();
        let after =
            acknowledge::set_statuses(forge, &settings.source_repo, &plan.head, ended, run_url)
                .await;
        for a in after {
            match acknowledgements.iter_mut().find(|p| p.repo == a.repo) {
                Some(p) => *p = a,
                None => acknowledgements.push(a),
            }
        }
    }
    repos.extend(refused);
    repos.extend(skipped(plan));
    annotate_standings(forge, &settings.source_repo, &mut repos).await;
    let mut report = report(plan, settings, false, repos);
    report.acknowledgements = acknowledgements;
    report.interrupted = settings
        .stop
        .signal()
        .filter(|_| report.count(DeliveryStatus::Unsent) > 0)
        .map(|s| StopSignal::name(s).to_owned());
    if settings.notify_issue {
        report.failure_issue =
            match failure_notice::notify_failures(forge, &settings.source_repo, &report).await {
                Ok(Some(NoticeOutcome::Opened(issue))) => Some(FailureIssue::Opened {
                    number: issue.number,
                    url: issue.html_url,
                }),
                Ok(Some(NoticeOutcome::Commented(issue))) => Some(FailureIssue::Commented {
                    number: issue.number,
                    url: issue.html_url,
                }),
                Ok(None) => None,
                Err(e) => Some(FailureIssue::Failed {
                    error: error_chain(&e),
                }),
            };
    }
    report
}

fn report(
    plan: &Plan,
    settings: &DeliverySettings,
    dry_run: bool,
    repos: Vec<RepoResult>,
) -> DeliveryReport {
    DeliveryReport {
        source_repo: Some(settings.source_repo.clone()),
        dispatch_id: Some(settings.dispatch_id.clone()),
        commit_sha: plan.head.clone(),
        dry_run,
        repos,
        failure_issue: None,
        base_sha: plan.base.clone(),
        range: plan.range.clone(),
        watermark: plan.watermark.clone(),
        watermark_after: None,
        interrupted: None,
        acknowledgements: Vec::new(),
    }
}

/// Adds what the source repository records about the targets the dispatcher did not deliver itself
/// (their subscribers hold a rejected change and say so there): one listing of its issues. A listing that
/// fails leaves the lines as they are.
async fn annotate_standings(forge: &Forge, source: &RepoName, repos: &mut [RepoResult]) {
    if !repos
        .iter()
        .any(|r| r.standing.is_none() && r.mode == DeliveryMode::Dispatch)
    {
        return;
    }
    let records = match standing::recorded_all(forge, source).await {
        Ok(records) => records,
        Err(e) => {
            tracing::debug!(error = %e, "cannot read the records of rejections and reversals");
            return;
        }
    };
    for r in repos
        .iter_mut()
        .filter(|r| r.standing.is_none() && r.mode == DeliveryMode::Dispatch)
    {
        r.standing = records
            .iter()
            .find(|s| s.target == r.repo && &s.upstream == source)
            .and_then(TargetStanding::from_record)
            .map(Box::new);
    }
}

/// One delivery in a mode the dispatcher delivers itself; `manual` (a buffered pull request this push
/// does not concern) syncs every subscription, so an expired buffer opens its pull request.
async fn deliver_direct(
    plan: &Plan,
    d: &Delivery,
    settings: &DeliverySettings,
    forge: &Forge,
    manual: bool,
) -> RepoResult {
    let failed = |error: String, hint: &str| {
        let mut r = RepoResult::new(&d.repo, DeliveryStatus::Failed, "");
        r.mode = d.mode;
        r.features.clone_from(&d.features);
        r.failed(error, Some(hint.to_owned()))
    };
    let Some(target) = &d.target else {
        return failed(
            "the entry's delivery settings are missing".into(),
            "plan with this version of the dispatcher",
        );
    };
    let branch = match plan.git_ref.as_deref() {
        Some(r) if !r.starts_with("refs/") => r,
        _ => {
            return failed(
                format!(
                    "mode `{}` delivers a branch, and this push is not to a branch",
                    d.mode
                ),
                "pass `--ref BRANCH`",
            );
        }
    };
    let Ok(head) = git2::Oid::from_str(&plan.head) else {
        return failed(
            format!("`{}` is not a commit id", plan.head),
            "pass `--head` as a full commit id",
        );
    };
    let dispatch_id = Some(settings.dispatch_id.as_str());
    if d.mode == DeliveryMode::Push {
        let mirror = BranchMirror {
            forge,
            settings: &settings.direct,
            source: &settings.source_repo,
            branch,
            head,
            dispatch_id,
        };
        return mirror.deliver(&d.repo, target).await;
    }
    let per_commit = target.per_commit && !manual;
    // `per_commit` proposes what the target is missing, from its own last synced commit: not the push's
    // range alone, so a missed run is caught up.
    let since = if per_commit {
        per_commit_selection::target_last_synced(
            forge,
            &settings.direct,
            &settings.source_repo,
            &d.repo,
            target.target_branch.as_deref(),
            head,
        )
        .await
    } else {
        None
    };
    let base = since.map_or_else(|| plan.base.clone(), |s| s.to_string());
    let commits = match engine_delivery::commits_of(
        &settings.direct.source_dir,
        &base,
        head,
        per_commit,
        &target.subscriptions,
        &d.paths,
    ) {
        Ok(c) => c,
        Err(e) => {
            return failed(
                format!("cannot list the commits of the range: {e}"),
                "the source clone needs the whole range (actions/checkout with `fetch-depth: 0`)",
            );
        }
    };
    let engine = EngineDelivery {
        forge,
        settings: &settings.direct,
        source: &settings.source_repo,
        branch,
        head,
        dispatch_id,
    };
    let limit = target
        .per_commit_limit
        .unwrap_or(per_commit_selection::DEFAULT_PER_COMMIT_LIMIT);
    // A commit whose pull request was closed without merging is held, and takes no place under the limit.
    let held_commits = if per_commit {
        per_commit_selection::held_commits(
            forge,
            &settings.source_repo,
            &d.repo,
            target.target_branch.as_deref(),
            settings.direct.repropose.contains(&d.repo),
        )
        .await
    } else {
        Vec::new()
    };
    let selection = PerCommitSelection::capped_past_held(commits, limit, since, &held_commits);
    let mut r = engine
        .deliver(&d.repo, target, &selection.now, &d.features, manual)
        .await;
    if let Some(line) = selection.queued_line(limit) {
        match (&mut r.outcome, &mut r.error) {
            (Some(text), _) | (None, Some(text)) => {
                text.push_str("; ");
                text.push_str(&line);
            }
            (None, None) => r.outcome = Some(line),
        }
    }
    r.mode = d.mode;
    r
}

/// The payloads of a plan's dispatches, and the repositories whose payload cannot be sent, with why.
fn outgoing(plan: &Plan, settings: &DeliverySettings) -> (Vec<Outgoing>, Vec<RepoResult>) {
    let mut send = Vec::new();
    let mut refused = Vec::new();
    for d in plan
        .deliveries
        .iter()
        .filter(|d| d.mode == DeliveryMode::Dispatch)
    {
        match payload_for(plan, d, settings) {
            Ok(payload) => send.push(Outgoing {
                repo: d.repo.clone(),
                event_type: d.event_type.clone(),
                payload,
            }),
            Err(error) => {
                let mut r = RepoResult::new(&d.repo, DeliveryStatus::Failed, &d.event_type);
                r.features.clone_from(&d.features);
                refused.push(r.failed(error, Some("fix the entry in ecosystem.json".into())));
            }
        }
    }
    (send, refused)
}

/// The payload for one delivery, cut to GitHub's size limit, or why it cannot be sent.
fn payload_for(plan: &Plan, d: &Delivery, settings: &DeliverySettings) -> Result<Payload, String> {
    payload::check_event_type(&d.event_type)?;
    let mut payload = Payload {
        ecosync: PAYLOAD_VERSION,
        source_repo: settings.source_repo.clone(),
        git_ref: plan.git_ref.clone().unwrap_or_default(),
        base_sha: plan.base.clone(),
        commit_sha: plan.head.clone(),
        updated_feature: d.features.first().cloned().unwrap_or_default(),
        updated_features: d.features.clone(),
        changed_paths: d.paths.clone(),
        changed_paths_truncated: false,
        dispatch_id: Some(settings.dispatch_id.clone()),
    };
    if !payload.fit_to(MAX_PAYLOAD_BYTES) {
        return Err(format!(
            "the payload is over {MAX_PAYLOAD_BYTES} bytes even without changed paths (feature names too long)"
        ));
    }
    Ok(payload)
}

/// One line per entry the plan skipped.
fn skipped(plan: &Plan) -> impl Iterator<Item = RepoResult> + '_ {
    plan.skipped.iter().map(|s| {
        let mut r = RepoResult::new(&s.repo, DeliveryStatus::Skipped, "");
        r.error = Some(s.reason.to_string());
        r
    })
}
