//! The dispatcher's pipeline, in the order a push goes through it: the GitHub event, the revision range,
//! the changed paths, the path patterns and the matcher over `ecosystem.json`, the plan (and its shards),
//! the fan-out of one notification per repository, the delivery report and the failure notice.

pub mod acknowledge;
pub mod branch_mirror;
pub mod change_set;
pub mod deliver;
pub mod delivery_mode;
pub mod delivery_report;
pub mod delivery_statuses;
pub mod delivery_text;
pub mod direct_settings;
pub mod ecosystem;
pub mod engine_delivery;
pub mod explain;
pub mod failure_notice;
pub mod fan_out;
pub mod forecast;
pub mod github_event;
pub mod path_pattern;
pub mod plan;
pub mod plan_request;
pub mod revision_range;
pub mod shard;
pub mod shard_matrix;
pub mod stop_signal;
pub mod subscription_matcher;
pub mod target_delivery;
pub mod watermark;

pub use deliver::{DeliverySettings, deliver, preview};
