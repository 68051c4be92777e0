//! `ShardMatrix`: the `include` list of a GitHub Actions matrix that spreads one push's deliveries over the
//! shards of N (`dispatcher plan --format matrix --shards N`), one job per shard that has something to
//! deliver, so no empty job starts.
//!
//! N is the user's fixed setting rather than derived from the push's size: each target's shard and each
//! shard's watermark depend on N, so a varying N would move targets between jobs and restart watermarks.

use serde::Serialize;

use crate::dispatch::plan::plan_outcome::PlanOutcome;
use crate::dispatch::plan::shard::Shard;

/// The matrix: one entry per shard with at least one delivery, in shard order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShardMatrix {
    /// The jobs.
    pub include: Vec<MatrixJob>,
}

/// One job of the matrix (a JSON contract: these keys are stable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatrixJob {
    /// `K/N`, for `--shard`.
    pub shard: Shard,
    /// How many repositories the shard's plan delivers to.
    pub deliveries: usize,
}

impl ShardMatrix {
    /// The jobs of `plans`, one per shard: a shard whose plan delivers nothing (already dispatched, a deleted
    /// branch, no target of it concerned) gets none.
    pub fn new(plans: &[(Shard, PlanOutcome)]) -> ShardMatrix {
        let include = plans
            .iter()
            .filter_map(|(shard, outcome)| match outcome {
                PlanOutcome::Planned(plan) if !plan.deliveries.is_empty() => Some(MatrixJob {
                    shard: *shard,
                    deliveries: plan.deliveries.len(),
                }),
                _ => None,
            })
            .collect();
        ShardMatrix { include }
    }

    /// One line of JSON with a final newline, for `$GITHUB_OUTPUT` and `fromJSON`; `{"include":[]}` when
    /// there is nothing to deliver (a matrix without jobs is an error in Actions: test for it first).
    pub fn to_json_line(&self) -> String {
        // Shards and counts always serialize.
        let mut s = serde_json::to_string(self).unwrap_or_default();
        s.push('\n');
        s
    }
}
