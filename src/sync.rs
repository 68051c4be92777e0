//! The subscriber's sync pipeline, in the order a run goes through it: the cousin's configuration, the
//! event, verification and the change computed with the strategy (mapped trees, three-way tree merges),
//! its summary, message and trailer, publishing the pull request, and the failure report.

pub mod acknowledge;
pub mod apply;
pub mod change;
pub mod change_summary;
pub mod conflict;
pub mod event;
pub mod explain;
pub mod failure_report;
pub mod mapped_tree;
pub mod message;
pub mod outcome_text;
pub mod pick_chain;
pub mod prepare;
pub mod publish;
pub mod request;
pub mod sync_error;
pub mod sync_outcome;
pub mod trailer;
pub mod tree_merge;

pub use apply::apply;
pub use request::SyncRequest;
pub use sync_error::SyncError;
pub use sync_outcome::SyncOutcome;
