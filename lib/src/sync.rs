//! The subscriber's sync pipeline, in the order a run goes through it: the request ([`SyncRequest`], with
//! the cousin's configuration from [`crate::config::cousin_config`]), [`verify`] (the event, then the commit
//! on upstream), [`compute`] (the last sync, the change with the strategy, its summary, message and
//! trailer, the commit), [`publish`] (the branch and the one pull request, the failure report, the
//! acknowledgement); [`apply`] runs them all and returns a [`SyncOutcome`], whose text is `outcome_text`;
//! [`run`] is the whole pipeline both binaries call: the preflight ([`subscriber_checks`]), `apply`, the
//! audit lines ([`sync_audit`]) and the acknowledgement. [`rejection`] holds what a target said no to: pull
//! requests closed without merging and synced changes undone, and their record in the source.
//! [`explain`] says where an upstream path lands.

pub mod apply;
pub mod compute;
pub mod explain;
pub mod outcome_text;
pub mod publish;
pub mod rejection;
pub mod request;
pub mod subscriber_checks;
pub mod sync_audit;
pub mod sync_error;
pub mod sync_outcome;
pub mod sync_run;
pub mod sync_run_error;
pub mod sync_settings;
pub mod verify;

pub use apply::apply;
pub use request::SyncRequest;
pub use sync_error::SyncError;
pub use sync_outcome::SyncOutcome;
pub use sync_run::{SyncRun, run};
