//! ecosync keeps a family of git repositories in step with a source repository.
//!
//! The library holds every decision and every side effect; the `dispatcher` and `subscriber` binaries only
//! parse arguments, build a validated configuration, call into this crate, and print what it returns.
//! Nothing in here prints or exits.
//!
//! - [`dispatch`]: the dispatcher's pipeline, from a push to one notification per downstream repository.
//! - [`sync`]: the subscriber's pipeline, from an upstream commit to one pull request (or one issue).
//! - [`forge`]: the code host both talk to, GitHub or a local directory.
//! - [`config`]: what both configuration files share: a JSON document with positions, diagnostics.

pub mod actions;
pub mod audit_log;
pub mod config;
pub mod demo;
pub mod dispatch;
pub mod doctor;
pub mod error_kind;
pub mod escape;
pub mod forge;
pub mod git;
pub mod init;
pub mod payload;
pub mod repo_name;
pub mod repo_path;
pub mod schemas;
pub mod stop_signal;
pub mod sync;
pub mod watch;

pub use config::diagnostic::{Diagnostic, Location, Severity};
pub use config::json_document::{JsonDocument, JsonMember, JsonNode, JsonValue, Span};
pub use dispatch::ecosystem::path_pattern::{PathPattern, PathPatternError};
pub use dispatch::ecosystem::subscription_matcher::SubscriptionMatcher;
pub use dispatch::ecosystem::{Ecosystem, EcosystemInvalid, Entry};
pub use dispatch::plan::change_set::ChangeSet;
pub use dispatch::plan::github_event::GitHubEvent;
pub use dispatch::plan::plan_outcome::PlanOutcome;
pub use dispatch::plan::plan_request::{PlanError, PlanRequest, SourceLocation};
pub use dispatch::plan::revision_range::RevisionRange;
pub use dispatch::plan::{Delivery, Plan, SkipReason, Skipped};
pub use error_kind::{ErrorKind, UserError};
pub use forge::{Forge, ForgeError, ForgeSettings};
pub use payload::Payload;
pub use repo_name::{InferError, RepoName};
