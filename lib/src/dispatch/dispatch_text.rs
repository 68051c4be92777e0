//! The words of a dispatch run as it goes: each [`DispatchEvent`] as the line `dispatch`, `flush` and
//! `watch` print for it.

use std::fmt;

use crate::dispatch::dispatch_run::DispatchEvent;

impl fmt::Display for DispatchEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DispatchEvent::WatermarkSkipped(e) => {
                write!(f, "warning: {e}; planning the event's range without it")
            }
            DispatchEvent::ConfigWarning(w) => write!(f, "{w}"),
            DispatchEvent::Watermark(message) => write!(f, "watermark: {message}"),
            DispatchEvent::Shard(line) => write!(f, "{line}"),
            DispatchEvent::Retrying { selected, planned } => write!(
                f,
                "retrying {selected} of the {planned} planned dispatches: those the report lists as failed \
                 or not sent"
            ),
            DispatchEvent::NotComputed(direct) => write!(
                f,
                "dry run: {direct} delivery(ies) in modes other than `dispatch` not computed: no token to \
                 read the targets with"
            ),
            DispatchEvent::Delivered {
                done,
                total,
                result,
            } => write!(
                f,
                "repository {done} of {total}: {}: {}",
                result.repo,
                result.progress_line()
            ),
        }
    }
}
