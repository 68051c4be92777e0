//! `StopSignal`: SIGINT or SIGTERM asks a run to stop. `dispatcher dispatch` stops between requests:
//! requests in flight finish (a request cut off halfway may or may not have been delivered, and the report
//! must not guess); the ones not started yet are reported as unsent, so `--retry-failed` can send exactly
//! those. The watchers stop at once: what they wait on ([`StopSignal::stopped`]) is interrupted, the
//! request in flight included, and their state (written after every delivery) says what was done.
//!
//! The signals are received on a thread of their own, so a stop is seen even while every thread of the
//! caller's runtime is busy in a blocking call.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

/// Set once a stop was asked for, with the signal's number.
#[derive(Debug, Clone, Default)]
pub struct StopSignal(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    signum: AtomicI32,
    notify: tokio::sync::Notify,
}

impl StopSignal {
    /// A signal that nothing has set yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets it, as receiving signal `signum` would, and wakes whoever waits in [`StopSignal::stopped`].
    pub fn stop(&self, signum: i32) {
        if self
            .0
            .signum
            .compare_exchange(0, signum, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            self.0.notify.notify_waiters();
        }
    }

    /// The signal that asked to stop, if one did.
    pub fn signal(&self) -> Option<i32> {
        match self.0.signum.load(Ordering::SeqCst) {
            0 => None,
            n => Some(n),
        }
    }

    /// Waits until a stop is asked for (at once if one was), and returns the signal.
    pub async fn stopped(&self) -> i32 {
        loop {
            let notified = self.0.notify.notified();
            tokio::pin!(notified);
            // Registered before looking, so a stop between the look and the wait is not missed.
            notified.as_mut().enable();
            if let Some(signum) = self.signal() {
                return signum;
            }
            notified.await;
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

    /// Listens for SIGINT and SIGTERM on a thread of its own (with its own small runtime), for the rest of
    /// the process.
    pub fn listen(&self) {
        let stop = self.clone();
        let spawned = std::thread::Builder::new()
            .name("ecosync-signals".into())
            .spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async move {
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
            });
        if let Err(e) = spawned {
            tracing::warn!("cannot listen for SIGINT and SIGTERM: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stop_wakes_the_waiters_and_later_ones_return_at_once() {
        let stop = StopSignal::new();
        let waiter = {
            let stop = stop.clone();
            tokio::spawn(async move { stop.stopped().await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        stop.stop(15);
        stop.stop(2);
        assert_eq!(waiter.await.unwrap(), 15);
        assert_eq!(stop.stopped().await, 15);
        assert_eq!(StopSignal::name(15), "SIGTERM");
    }
}
