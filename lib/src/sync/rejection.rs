//! Rejections and reversals: what happens after a target said no to a sync.
//!
//! - A **rejection** is a sync pull request a person closed without merging it. ecosync closes its own
//!   pull requests too (their diff vanished) and marks those closes with [`CLOSED_MARKER`] in the closing
//!   comment, so they never count. [`sync_pulls`] reads a target's sync pull requests and tells them apart.
//! - [`hold`] decides what a run does about it: the rejected upstream commit is held (never proposed
//!   again), a newer one that touches the subscriptions is proposed in a new pull request that names the
//!   rejected one, and with `on_rejection: pause` nothing is proposed at all until a person reopens the
//!   pull request or a run is given `--repropose OWNER/NAME`.
//! - A **reversal** is a synced change undone on the target's base branch since its last sync
//!   ([`reversal`]): reported once, and named by the next pull request that changes those paths again.
//! - Both are reported to the source in one issue per target ([`rejection_issue`]), labelled
//!   [`REJECTED_LABEL`] (and [`PAUSED_LABEL`], [`REVERTED_LABEL`] while they hold), whose body carries the
//!   machine-readable [`Standing`](standing::Standing) that [`standing::recorded`] reads back: the record a
//!   fleet view shows. The issue closes itself once the target merges a sync again.
//!
//! What one run found and did is its [`Declines`](declines::Declines), part of the sync's outcome.

pub mod declines;
pub mod hold;
pub mod rejection_issue;
pub mod reversal;
pub mod standing;
pub mod sync_pulls;
pub mod target_review;
pub mod target_standing;

/// The hidden marker of the comment with which ecosync closes one of its own pull requests: a pull
/// request closed with it is not a rejection, whichever identity (the dispatcher's, the subscriber's)
/// closed it.
pub const CLOSED_MARKER: &str = "<!-- ecosync:closed -->";

/// The label of the per-target issue about rejections and reversals in the source repository.
pub const REJECTED_LABEL: &str = "ecosync-rejected";

/// The label the per-target issue carries while the target is paused.
pub const PAUSED_LABEL: &str = "ecosync-paused";

/// The label the per-target issue carries once it reports a reversal.
pub const REVERTED_LABEL: &str = "ecosync-reverted";
