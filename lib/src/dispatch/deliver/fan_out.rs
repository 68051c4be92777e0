//! `FanOut`: sends one dispatch per planned repository, a bounded number at a time, and records what
//! became of each. One repository failing never stops the others.

use std::time::Instant;

use futures_util::StreamExt;

use crate::dispatch::deliver::delivery_report::{DeliveryStatus, RepoResult};
use crate::error_kind::UserError as _;
use crate::forge::Forge;
use crate::payload::Payload;
use crate::repo_name::RepoName;
use crate::stop_signal::StopSignal;

/// One dispatch to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The downstream repository.
    pub repo: RepoName,
    /// The `event_type`.
    pub event_type: String,
    /// The `client_payload`.
    pub payload: Payload,
}

/// Sends dispatches through a forge.
#[derive(Debug)]
pub struct FanOut<'a> {
    forge: &'a Forge,
    concurrency: usize,
}

impl<'a> FanOut<'a> {
    /// A fan-out with at most `concurrency` dispatches in flight (the forge's pacer also spaces them).
    pub fn new(forge: &'a Forge, concurrency: usize) -> Self {
        FanOut {
            forge,
            concurrency: concurrency.max(1),
        }
    }

    /// Sends every dispatch and returns one result each, in the order given. `progress` is called as each
    /// one finishes, with how many have finished so far.
    /// Once `stop` is set, no further dispatch starts: the rest are reported as unsent.
    pub async fn deliver(
        &self,
        outgoing: &[Outgoing],
        stop: &StopSignal,
        mut progress: impl FnMut(usize, &RepoResult),
    ) -> Vec<RepoResult> {
        let mut results: Vec<Option<RepoResult>> = vec![None; outgoing.len()];
        let mut stream = futures_util::stream::iter(outgoing.iter().enumerate())
            .map(|(i, o)| async move {
                if let Some(signum) = stop.signal() {
                    let mut r = RepoResult::new(&o.repo, DeliveryStatus::Unsent, &o.event_type);
                    r.features.clone_from(&o.payload.updated_features);
                    r.error = Some(format!(
                        "not sent: the run was stopped by {}",
                        StopSignal::name(signum)
                    ));
                    return (i, r);
                }
                (i, self.deliver_one(o).await)
            })
            .buffer_unordered(self.concurrency);
        let mut done = 0;
        while let Some((i, result)) = stream.next().await {
            done += 1;
            progress(done, &result);
            results[i] = Some(result);
        }
        // Every index was filled by the loop above: the stream yields each input exactly once.
        results.into_iter().flatten().collect()
    }

    async fn deliver_one(&self, o: &Outgoing) -> RepoResult {
        let started = Instant::now();
        let outcome = self
            .forge
            .dispatch_tracked(&o.repo, &o.event_type, &o.payload.to_json())
            .await;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut result = RepoResult {
            features: o.payload.updated_features.clone(),
            duration_ms,
            ..RepoResult::new(&o.repo, DeliveryStatus::Delivered, &o.event_type)
        };
        match outcome {
            Ok(delivered) => {
                result.attempts = delivered.attempts;
                result.last_http_status = delivered.status;
            }
            Err(e) => {
                tracing::debug!(repo = %o.repo, error = %e, "dispatch failed");
                result = result.failed(e.to_string(), e.hint());
                result.attempts = e.attempts();
                result.last_http_status = e.status();
            }
        }
        result
    }
}
