//! The audit log's lines of a delivery: one per dispatch sent or failed, per branch mirrored, per change
//! delivered through the engine.

use crate::audit_log::AuditEntry;
use crate::dispatch::deliver::delivery_report::{DeliveryReport, DeliveryStatus};
use crate::dispatch::ecosystem::delivery_mode::DeliveryMode;

impl DeliveryReport {
    /// The deliveries the report says were made (or failed); skipped and unsent ones are not actions.
    pub fn audit_entries(&self) -> Vec<AuditEntry> {
        self.repos
            .iter()
            .filter_map(|r| {
                let result = match r.status {
                    DeliveryStatus::Delivered => "ok",
                    DeliveryStatus::Failed => "failed",
                    DeliveryStatus::Skipped | DeliveryStatus::Unsent => return None,
                };
                let mut e = AuditEntry::now(delivery_action(r.mode), r.repo.to_string(), result);
                e.source_commit = Some(self.commit_sha.clone()).filter(|c| !c.is_empty());
                e.dispatch_id.clone_from(&self.dispatch_id);
                e.detail = r.error.clone().or_else(|| r.outcome.clone());
                Some(e)
            })
            .collect()
    }
}

/// The audit action of a delivery in `mode`: `dispatch_sent`, `branch_mirrored` (`push`) or
/// `change_delivered` (the pull request modes).
pub fn delivery_action(mode: DeliveryMode) -> &'static str {
    match mode {
        DeliveryMode::Dispatch => "dispatch_sent",
        DeliveryMode::Push => "branch_mirrored",
        DeliveryMode::PullRequest | DeliveryMode::BufferedPr => "change_delivered",
    }
}
