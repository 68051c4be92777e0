//! `run`: the dispatcher's pipeline as one library call, for `dispatcher dispatch`, `dispatcher flush` and
//! `dispatcher watch`: the watermark's credentials, the plan (falling back to the event's range when an
//! anonymous watermark read fails), `--retry-failed`'s selection, then either the dry run's preview or the
//! deliveries with their audit lines, and last the watermark moved to the head. What happens on the way is
//! told to the caller as [`DispatchEvent`]s, in order; what became of the run is the [`DispatchOutcome`].

use std::path::{Path, PathBuf};

use crate::audit_log::AuditLog;
use crate::config::diagnostic::Diagnostic;
use crate::config::placeholder::PlaceholdersLeft;
use crate::dispatch::deliver::delivery_report::{DeliveryReport, RepoResult, RetryError};
use crate::dispatch::deliver::{self, DeliverySettings, Preview};
use crate::dispatch::ecosystem::delivery_mode::DeliveryMode;
use crate::dispatch::plan::Plan;
use crate::dispatch::plan::plan_outcome::PlanOutcome;
use crate::dispatch::plan::plan_request::{PlanError, PlanRequest};
use crate::dispatch::plan::watermark::{self, WatermarkError};
use crate::error_kind::{ErrorKind, UserError};
use crate::forge::Forge;
use crate::git::GitAuth;

/// Where a run's plan comes from.
#[derive(Debug, Clone)]
pub enum PlanSource {
    /// Plan the request's range, reading (and afterwards moving) the watermark as it says.
    Request(Box<PlanRequest>),
    /// A plan the caller made (the watcher's ranges, one per target's base): delivered as it is.
    Ready(Box<Plan>),
}

/// One run of the dispatcher's pipeline.
#[derive(Debug, Clone)]
pub struct DispatchRequest {
    /// What to deliver.
    pub plan: PlanSource,
    /// Read and move the watermark with the token in this variable instead of the forge's credentials.
    pub watermark_token_env: Option<String>,
    /// `--retry-failed REPORT`: deliver again only what the report lists as failed or not sent, for its
    /// commits unless the request names others.
    pub retry_failed: Option<PathBuf>,
    /// Compute and show what would be delivered; send, write and move nothing.
    pub dry_run: bool,
    /// How deliveries are made.
    pub delivery: DeliverySettings,
}

impl DispatchRequest {
    /// `dispatcher flush`: every `buffered-pr` entry of the branch is synced at the head, and its pull
    /// request opens once its oldest change is older than `buffer_hours`. No path changes (the range is the
    /// head alone), so nothing else is delivered, and the watermark is neither read nor moved.
    #[must_use]
    pub fn into_flush(mut self) -> Self {
        if let PlanSource::Request(plan) = &mut self.plan {
            let head = plan.head.clone().unwrap_or_else(|| "HEAD".to_owned());
            plan.base = Some(head.clone());
            plan.head = Some(head);
            plan.event = None;
            plan.watermark = None;
        }
        self.watermark_token_env = None;
        self.retry_failed = None;
        self
    }
}

/// What happens during a run, in order, for the caller to show as it happens.
#[derive(Debug)]
pub enum DispatchEvent {
    /// The watermark could not be read anonymously: the event's range is planned without it.
    WatermarkSkipped(WatermarkError),
    /// A warning about the configuration.
    ConfigWarning(Diagnostic),
    /// What the watermark did to the range.
    Watermark(String),
    /// The shard this run plans: `shard 2 of 4: ...`.
    Shard(String),
    /// `--retry-failed` kept `selected` of the `planned` deliveries.
    Retrying {
        /// How many are delivered again.
        selected: usize,
        /// How many the plan had.
        planned: usize,
    },
    /// A dry run without a forge to read the targets with: this many deliveries in the modes the
    /// dispatcher makes itself are listed with their mode only.
    NotComputed(usize),
    /// One repository's delivery ended: `done` of `total`.
    Delivered {
        /// How many have ended.
        done: usize,
        /// How many there are.
        total: usize,
        /// What became of it.
        result: RepoResult,
    },
}

/// How a run ended.
#[derive(Debug)]
pub enum DispatchOutcome {
    /// The pushed ref was deleted: nothing to deliver.
    BranchDeleted {
        /// The deleted ref, when known.
        git_ref: Option<String>,
        /// The commit it pointed at.
        before: String,
    },
    /// The head was delivered already, as the watermark says.
    AlreadyDispatched {
        /// What the watermark says.
        message: String,
    },
    /// A dry run: what would be sent.
    DryRun(Box<Preview>),
    /// The deliveries were made (or tried).
    Delivered(Box<DispatchRun>),
}

/// The run that delivered.
#[derive(Debug)]
pub struct DispatchRun {
    /// What became of each repository (with what became of the watermark, in `watermark_after`).
    pub report: DeliveryReport,
    /// The audit log could not be appended to (the deliveries were made all the same).
    pub audit_error: Option<String>,
    /// The watermark could not be moved: the deliveries were made, and the next run makes them again.
    pub watermark_error: Option<WatermarkError>,
}

/// Why a run could not start; nothing was delivered.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// The watermark's credentials cannot be had.
    #[error(transparent)]
    Watermark(#[from] WatermarkError),
    /// The `--retry-failed` report cannot be used.
    #[error(transparent)]
    Retry(#[from] RetryError),
    /// The plan cannot be made (the configuration, the repository, the range).
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// `ecosystem.json` still names placeholder repositories, and the deliveries would go to GitHub.
    #[error(transparent)]
    Placeholders(#[from] PlaceholdersLeft),
}

impl UserError for DispatchError {
    /// As the error it wraps says.
    fn kind(&self) -> ErrorKind {
        match self {
            DispatchError::Watermark(e) => e.kind(),
            DispatchError::Retry(e) => e.kind(),
            DispatchError::Plan(e) => e.kind(),
            DispatchError::Placeholders(e) => e.kind(),
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            DispatchError::Watermark(e) => e.hint(),
            DispatchError::Retry(e) => e.hint(),
            DispatchError::Plan(e) => e.hint(),
            DispatchError::Placeholders(e) => e.hint(),
        }
    }
}

/// Runs the pipeline. `forge` is needed to deliver; a dry run uses it, when given, only to read what the
/// modes the dispatcher delivers itself would do.
pub async fn run(
    request: &DispatchRequest,
    forge: Option<&Forge>,
    audit: Option<&AuditLog>,
    mut on: impl FnMut(DispatchEvent),
) -> Result<DispatchOutcome, DispatchError> {
    let delivering = forge.filter(|_| !request.dry_run);
    let retry = request
        .retry_failed
        .as_deref()
        .map(DeliveryReport::read)
        .transpose()?;
    // The watermark this run moves once it has delivered: in which clone, with which credentials.
    let (mut plan, watermark) = match &request.plan {
        PlanSource::Ready(plan) => ((**plan).clone(), None),
        PlanSource::Request(plan_request) => {
            let mut plan_request = (**plan_request).clone();
            // A dry run reads the watermark anonymously, and a failure is a warning.
            let auth = match delivering {
                Some(forge)
                    if plan_request.watermark.is_some()
                        && watermark::has_origin(&plan_request.repo_dir) =>
                {
                    Some(
                        watermark::credentials(
                            forge,
                            &request.delivery.source_repo,
                            request.watermark_token_env.as_deref(),
                        )
                        .await?,
                    )
                }
                _ => None,
            };
            if let Some(report) = &retry
                && plan_request.base.is_none()
                && plan_request.head.is_none()
            {
                plan_request.base = Some(report.base_sha.clone()).filter(|b| !b.is_empty());
                plan_request.head = Some(report.commit_sha.clone());
                plan_request.event = None;
            }
            let repo_dir = plan_request.repo_dir.clone();
            let planned = plan_request.plan(auth.clone())?;
            if let Some(e) = planned.watermark_skipped {
                on(DispatchEvent::WatermarkSkipped(e));
            }
            for w in planned.warnings {
                on(DispatchEvent::ConfigWarning(w));
            }
            let plan = match planned.outcome {
                PlanOutcome::Planned(plan) => plan,
                PlanOutcome::BranchDeleted { git_ref, before } => {
                    return Ok(DispatchOutcome::BranchDeleted { git_ref, before });
                }
                PlanOutcome::AlreadyDispatched { watermark, .. } => {
                    return Ok(DispatchOutcome::AlreadyDispatched {
                        message: watermark.message,
                    });
                }
            };
            (plan, Some((repo_dir, auth.unwrap_or_default())))
        }
    };
    // A placeholder name reaches nothing real on the local forge, where a repository is a directory; on
    // GitHub it is somebody's account, or nobody's. A dry run sends nothing and shows it.
    if let (Some(placeholders), Some(forge)) = (&plan.placeholders, delivering)
        && !forge.is_local()
    {
        return Err((**placeholders).clone().into());
    }
    if let Some(w) = &plan.watermark {
        on(DispatchEvent::Watermark(w.message.clone()));
    }
    if let Some(line) = plan.shard_line() {
        on(DispatchEvent::Shard(line));
    }
    if let Some(report) = &retry {
        let retry = report.to_retry();
        let planned = plan.deliveries.len();
        plan.deliveries.retain(|d| retry.contains(&d.repo));
        plan.flush.retain(|d| retry.contains(&d.repo));
        on(DispatchEvent::Retrying {
            selected: plan.deliveries.len(),
            planned,
        });
    }
    let settings = &request.delivery;
    let Some(forge) = delivering else {
        return Ok(DispatchOutcome::DryRun(Box::new(
            preview(&plan, settings, forge, &mut on).await,
        )));
    };
    let mut report = deliver::deliver(&plan, settings, forge, |done, total, result| {
        on(DispatchEvent::Delivered {
            done,
            total,
            result: result.clone(),
        });
    })
    .await;
    let audit_error = audit.and_then(|log| {
        log.record(&report.audit_entries()).err().map(|e| {
            format!(
                "cannot append to the audit log `{}`: {e}",
                log.path().display()
            )
        })
    });
    // Only now, after every delivery was made or reported: the next run starts from this head. A stopped
    // run leaves it, so the next run covers this range again.
    let watermark_error = match watermark {
        Some((repo_dir, auth)) if report.interrupted.is_none() => {
            record_watermark(&repo_dir, &plan, auth, &mut report).err()
        }
        _ => None,
    };
    Ok(DispatchOutcome::Delivered(Box::new(DispatchRun {
        report,
        audit_error,
        watermark_error,
    })))
}

/// What a dry run would send. The deliveries the dispatcher makes itself are computed when the targets can
/// be read (a token, or the local forge); without, they are listed with their mode only.
async fn preview(
    plan: &Plan,
    settings: &DeliverySettings,
    forge: Option<&Forge>,
    on: &mut impl FnMut(DispatchEvent),
) -> Preview {
    let direct = plan
        .deliveries
        .iter()
        .filter(|d| d.mode != DeliveryMode::Dispatch)
        .count()
        + plan.flush.len();
    if let Some(forge) = forge {
        return deliver::preview_direct(plan, settings, forge).await;
    }
    if direct > 0 {
        on(DispatchEvent::NotComputed(direct));
    }
    deliver::preview(plan, settings)
}

/// Moves the watermark the plan read (its branch's, or its shard's, on the `origin` of `repo_dir`) to the
/// plan's head, where the plan allows it, and writes what became of it into the report.
fn record_watermark(
    repo_dir: &Path,
    plan: &Plan,
    auth: GitAuth,
    report: &mut DeliveryReport,
) -> Result<(), WatermarkError> {
    let (Some(note), Some(_)) = (&plan.watermark, &plan.git_ref) else {
        return Ok(());
    };
    match watermark::after_delivery(repo_dir, note, &plan.base, &plan.head, auth) {
        Ok(described) => {
            report.watermark_after = described;
            Ok(())
        }
        Err(e) => {
            report.watermark_after = Some(format!("not moved: {e}"));
            Err(e)
        }
    }
}
