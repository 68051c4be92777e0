//! Both configuration files (`ecosystem.json` and the subscriber's `.github/ecosync.json`) and what they
//! share: a JSON document that keeps every value's position, diagnostics that name the file, line and
//! column, the index that turns positions into lines and columns, "did you mean" for misspelt keys, and the
//! settings both pipelines use (strategy, conflict and rejection policies, subscriptions, pull request and notification
//! settings, branch names, committer defaults). The subscriber's file is [`cousin_config`]; the
//! dispatcher's lives with its pipeline, in `dispatch::ecosystem`, since checking it compiles the matcher.

pub mod branch_name;
pub mod committer;
pub mod cousin_config;
pub mod diagnostic;
pub mod did_you_mean;
pub mod json_document;
pub mod line_index;
pub mod notify;
pub mod on_conflict;
pub mod on_rejection;
pub mod placeholder;
pub mod pull_request_config;
pub mod strategy;
pub mod subscription;

pub use branch_name::is_valid_branch;
pub use committer::{DEFAULT_COMMITTER_EMAIL, DEFAULT_COMMITTER_NAME};
pub use cousin_config::{ConfigOverrides, CousinConfig, DEFAULT_CONFIG_PATH};
pub use notify::NotifyTarget;
pub use on_conflict::OnConflict;
pub use on_rejection::OnRejection;
pub use placeholder::{PLACEHOLDER, is_placeholder};
pub use pull_request_config::{PullRequestConfig, PullRequestFile};
pub use strategy::Strategy;
pub use subscription::{Subscription, SubscriptionFile};
