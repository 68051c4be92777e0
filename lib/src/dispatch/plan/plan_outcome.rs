//! `PlanOutcome`: what planning a range found: a plan, a deleted branch, or a head dispatched already.

use crate::dispatch::plan::Plan;
use crate::dispatch::plan::watermark::WatermarkNote;

/// The result of planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanOutcome {
    /// The commits were compared and matched.
    Planned(Plan),
    /// The pushed ref was deleted: there is nothing to compare and nothing to dispatch.
    BranchDeleted {
        /// The deleted ref, when known.
        git_ref: Option<String>,
        /// The commit it pointed at.
        before: String,
    },
    /// The head is at or below the dispatch watermark: it was dispatched already.
    AlreadyDispatched {
        /// The branch.
        git_ref: String,
        /// The head asked for.
        head: String,
        /// The watermark.
        watermark: WatermarkNote,
    },
}
