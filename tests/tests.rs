//! One integration test binary that drives the real `dispatcher` and `subscriber` executables.
//!
//! Each module holds the tests of one command or concern; `support` has the shared helpers.

mod support;

mod acknowledge;
mod audit_log;
mod build_info;
mod chain;
mod change_set;
mod content_matrix;
mod contract;
mod delivery_modes;
mod demo;
mod dispatch;
mod docs;
mod doctor;
mod edges;
mod explain;
mod forecast;
mod forge_github;
mod git_https;
mod hangs;
mod hostile_config;
mod init;
mod install;
mod local_forge_buttons;
mod plan;
mod rejections;
mod rejections_dispatcher;
mod rejections_github;
mod schemas;
mod service;
mod shard;
mod smoke;
mod snapshots;
mod subscriber_apply;
mod subscriber_check;
mod subscriber_concurrency;
mod subscriber_conflicts;
mod subscriber_crash;

mod subscriber_github;
mod subscriber_history;
mod subscriber_hostile;
mod subscriber_publish;
mod subscriber_shallow;
mod subscriber_strategies;
mod validate;
mod watch;
mod watermark;
mod workflows;
