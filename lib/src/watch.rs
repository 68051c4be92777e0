//! `dispatcher watch`: ecosync as a long-running service that polls the source repository and delivers
//! each push exactly once, with its state in a directory of its own.

pub mod state_lock;
pub mod upstream_watch;
pub mod watch_state;
pub mod watch_status;
pub mod watch_text;
pub mod watched_branches;
pub mod watcher;

pub use watcher::{WatchError, WatchEvent, WatchSettings, watch};
