//! `run`: the subscriber's pipeline as one library call, with everything around the engine that both
//! `subscriber apply` and `subscriber watch` need: the cousin's name worked out once, the preflight (a
//! permission GitHub states for certain is missing, so nothing is pushed), the sync itself
//! ([`crate::sync::apply`]), the audit log's lines, and the acknowledgement of the dispatcher's delivery
//! status. The caller prints the [`SyncRun`] it returns.

use crate::audit_log::AuditLog;
use crate::forge::Forge;
use crate::repo_name::RepoName;
use crate::sync::apply::apply_as;
use crate::sync::publish::acknowledge::{self, Acknowledged};
use crate::sync::request::SyncRequest;
use crate::sync::subscriber_checks;
use crate::sync::sync_error::SyncError;
use crate::sync::sync_outcome::SyncOutcome;

/// What one run did, for the caller to print.
#[derive(Debug)]
pub struct SyncRun {
    /// The downstream repository synced.
    pub cousin: RepoName,
    /// How the sync ended.
    pub outcome: SyncOutcome,
    /// What became of the delivery status, when the configuration asks to settle it.
    pub acknowledged: Option<Acknowledged>,
    /// The `rejected: #N` statuses set on the upstream commits of pull requests first seen closed without
    /// merging, when the configuration asks to settle statuses.
    pub rejections_acknowledged: Vec<Acknowledged>,
    /// The audit log could not be appended to (the actions were taken all the same).
    pub audit_error: Option<String>,
}

/// Runs one sync with its preflight, audit lines and acknowledgement. `Err` means nothing was done: the
/// cousin could not be named, the preflight found a missing permission, or a setting must be fixed.
pub async fn run(
    request: &SyncRequest,
    forge: &Forge,
    audit: Option<&AuditLog>,
) -> Result<SyncRun, SyncError> {
    let cousin = request.cousin_name()?;
    // Before the first write: a permission GitHub states for certain is missing, so the pull request
    // would fail after the push.
    if !request.dry_run
        && !forge.is_local()
        && let Some(check) = subscriber_checks::preflight(forge, &request.config, &cousin).await
    {
        return Err(SyncError::Preflight {
            check: check.check,
            detail: check.detail,
            fix: check.fix,
        });
    }
    let outcome = apply_as(request, forge, cousin.clone()).await?;
    let audit_error = audit.and_then(|log| {
        let entries = outcome.audit_entries(
            cousin.as_str(),
            request.event.dispatch_id.as_deref(),
            request.dry_run,
        );
        log.record(&entries).err().map(|e| {
            format!(
                "cannot append to the audit log `{}`: {e}",
                log.path().display()
            )
        })
    });
    let (acknowledged, rejections_acknowledged) = if request.config.acknowledge {
        (
            acknowledge::acknowledge(request, forge, &cousin, &outcome).await,
            acknowledge::acknowledge_rejections(request, forge, &cousin, &outcome).await,
        )
    } else {
        (None, Vec::new())
    };
    Ok(SyncRun {
        cousin,
        outcome,
        acknowledged,
        rejections_acknowledged,
        audit_error,
    })
}
