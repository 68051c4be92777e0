//! ecosync keeps a family of git repositories in step with a source repository.
//!
//! The library holds every decision and every side effect; the `dispatcher` and `subscriber` binaries only
//! parse arguments, build a validated configuration, call into this crate, and print what it returns.
//! Nothing in here prints or exits.

pub mod change_set;
pub mod change_summary;
pub mod cousin_config;
pub mod delivery_report;
pub mod demo_sample;
pub mod diagnostic;
pub mod ecosystem;
pub mod failure_notice;
pub mod failure_report;
pub mod fan_out;
pub mod forge;
pub mod forge_args;
pub mod github_event;
pub mod json_document;
pub mod json_pointer_span;
pub mod json_schemas;
pub mod mapped_tree;
pub mod pacer;
pub mod path_pattern;
pub mod payload;
pub mod plan;
pub mod plan_request;
pub mod repo_name;
pub mod repo_path;
pub mod retry_policy;
pub mod revision_range;
pub mod strategy;
pub mod subscription_matcher;
pub mod sync_change;
pub mod sync_event;
pub mod sync_message;
pub mod sync_publish;
pub mod sync_repo;
pub mod sync_run;
pub mod sync_trailer;
pub mod tree_merge;

pub use change_set::ChangeSet;
pub use diagnostic::{Diagnostic, Location, Severity};
pub use ecosystem::{Ecosystem, EcosystemInvalid, Entry};
pub use forge::{Forge, ForgeError};
pub use forge_args::ForgeArgs;
pub use github_event::GitHubEvent;
pub use json_document::{JsonDocument, JsonMember, JsonNode, JsonValue, Span};
pub use path_pattern::{PathPattern, PathPatternError};
pub use payload::Payload;
pub use plan::{Delivery, Plan, SkipReason, Skipped};
pub use plan_request::{PlanError, PlanOutcome, PlanRequest};
pub use repo_name::RepoName;
pub use revision_range::RevisionRange;
pub use subscription_matcher::SubscriptionMatcher;
