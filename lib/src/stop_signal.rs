//! `StopSignal`: SIGINT or SIGTERM asks `dispatcher dispatch` to stop between requests. Requests in flight
//! finish (a request cut off halfway may or may not have been delivered, and the report must not guess);
//! the ones not started yet are reported as unsent, so `--retry-failed` can send exactly those.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

/// Set once a stop was asked for, with the signal's number.
#[derive(Debug, Clone, Default)]
pub struct StopSignal(Arc<AtomicI32>);

impl StopSignal {
    /// A signal that nothing has set yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets it, as receiving signal `signum` would.
    pub fn stop(&self, signum: i32) {
        let _ = self
            .0
            .compare_exchange(0, signum, Ordering::SeqCst, Ordering::SeqCst);
    }

    /// The signal that asked to stop, if one did.
    pub fn signal(&self) -> Option<i32> {
        match self.0.load(Ordering::SeqCst) {
            0 => None,
            n => Some(n),
        }
    }

    /// The signal's name, for messages.
    pub fn name(signum: i32) -> &'static str {
        match signum {
            2 => "SIGINT",
            15 => "SIGTERM",
            _ => "a signal",
        }
    }

    /// Listens for SIGINT and SIGTERM in the background of the current Tokio runtime.
    pub fn listen(&self) {
        let stop = self.clone();
        tokio::spawn(async move {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                let (Ok(mut int), Ok(mut term)) = (
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::terminate()),
                ) else {
                    return;
                };
                tokio::select! {
                    _ = int.recv() => stop.stop(2),
                    _ = term.recv() => stop.stop(15),
                }
            }
            #[cfg(not(unix))]
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.stop(2);
            }
        });
    }
}
