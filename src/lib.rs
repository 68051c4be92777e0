//! ecosync keeps a family of git repositories in step with a source repository.
//!
//! The library holds every decision and every side effect; the `dispatcher` and `subscriber` binaries only
//! parse arguments, build a validated configuration, call into this crate, and print what it returns.
//! Nothing in here prints or exits.

pub mod diagnostic;
pub mod ecosystem;
pub mod json_document;
pub mod path_pattern;
pub mod payload;
pub mod repo_name;
pub mod subscription_matcher;

pub use diagnostic::{Diagnostic, Location, Severity};
pub use ecosystem::{Ecosystem, Entry};
pub use json_document::{JsonDocument, JsonMember, JsonNode, JsonValue, Span};
pub use path_pattern::{PathPattern, PathPatternError};
pub use payload::Payload;
pub use repo_name::RepoName;
pub use subscription_matcher::SubscriptionMatcher;
