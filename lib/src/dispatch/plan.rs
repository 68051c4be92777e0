//! `Plan`: what a push would dispatch, to whom and why, and its renderings for people (text), for
//! `$GITHUB_STEP_SUMMARY` (markdown) and for tools (JSON, a contract).
//!
//! Building a plan sends nothing. Each changed path is credited, per entry, to the last of the entry's
//! patterns that matches it, and counts only if that pattern is positive. Entries appear in config order,
//! only when at least one path counts; `features` lists the credited patterns in the entry's order. A plan of
//! one [`Shard`] holds only that shard's entries (its deliveries, skipped and unmatched entries) and says
//! how many deliveries the other shards make.

pub mod change_set;
pub mod explain;
pub mod github_event;
pub mod plan_outcome;
pub mod plan_request;
pub mod plan_standings;
pub mod plan_text;
pub mod revision_range;
pub mod shallow_clone;
pub mod shard;
pub mod shard_matrix;
pub mod watermark;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::placeholder::PlaceholdersLeft;
use crate::dispatch::ecosystem::Ecosystem;
use crate::dispatch::ecosystem::delivery_mode::DeliveryMode;
use crate::dispatch::ecosystem::subscription_matcher::{MatcherError, SubscriptionMatcher};
use crate::dispatch::ecosystem::target_delivery::TargetDelivery;
use crate::dispatch::plan::change_set::ChangeSet;
use crate::dispatch::plan::shard::{Shard, ShardNote};
use crate::dispatch::plan::watermark::WatermarkNote;
use crate::repo_name::RepoName;
use crate::sync::rejection::target_standing::TargetStanding;

/// What a push would dispatch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The base commit (full SHA; git's empty tree when every file counts).
    pub base: String,
    /// The head commit (full SHA).
    pub head: String,
    /// The branch checked against each entry's `branches` (a full ref when it is not a branch).
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    /// How base and head were chosen, for people.
    pub range: String,
    /// Every changed path, sorted.
    pub changed_paths: Vec<String>,
    /// One per entry with at least one matching path, in config order.
    pub deliveries: Vec<Delivery>,
    /// Entries not considered, with the reason.
    pub skipped: Vec<Skipped>,
    /// How many considered entries matched no changed path.
    pub unmatched: usize,
    /// What the dispatch watermark did to the range, when it was consulted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark: Option<WatermarkNote>,
    /// The shard this plan is of (`--shard K/N`), when it is of one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardNote>,
    /// The `buffered-pr` entries of this branch (and shard) that no changed path concerns: a delivery
    /// opens the pull requests whose buffer has run out (not part of the JSON contract).
    #[serde(skip)]
    pub flush: Vec<Delivery>,
    /// The entries whose `repo` is still a placeholder, when there are any: a delivery refuses the plan
    /// (not part of the JSON contract).
    #[serde(skip)]
    pub placeholders: Option<Box<PlaceholdersLeft>>,
}

/// One `repository_dispatch` to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The downstream repository.
    pub repo: RepoName,
    /// The event type to send.
    pub event_type: String,
    /// The subscription patterns, as written, credited with at least one path, in the entry's order.
    pub features: Vec<String>,
    /// The changed paths this entry matched, sorted.
    pub paths: Vec<String>,
    /// How the repository receives the push (`mode` in `ecosystem.json`).
    #[serde(default)]
    pub mode: DeliveryMode,
    /// The entry's settings, for the modes in which the dispatcher delivers the change itself (not part
    /// of the JSON contract).
    #[serde(skip)]
    pub target: Option<Arc<TargetDelivery>>,
    /// What the source repository records as holding the repository back (`rejected`, `paused`,
    /// `reverted`), when the plan read it ([`plan_standings`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standing: Option<Box<TargetStanding>>,
}

impl Delivery {
    /// How the repository receives the push, for people: the event type for a dispatch, else the mode.
    pub fn how(&self) -> &str {
        match self.mode {
            DeliveryMode::Dispatch => &self.event_type,
            other => other.as_str(),
        }
    }
}

/// An entry that was not considered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The entry's index in `ecosystem.json` (from 0).
    pub entry: usize,
    /// The entry's repository.
    pub repo: RepoName,
    /// Why it was skipped.
    #[serde(flatten)]
    pub reason: SkipReason,
}

/// Why an entry was skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    /// `"enabled": false`.
    Disabled,
    /// The ref is not one of the entry's branches.
    BranchNotMatched {
        /// The ref that was checked.
        #[serde(rename = "ref")]
        git_ref: String,
        /// The entry's branch patterns.
        branches: Vec<String>,
    },
    /// No ref is known (detached HEAD and no `--ref`), so no branch can match.
    NoRef {
        /// The entry's branch patterns.
        branches: Vec<String>,
    },
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::Disabled => f.write_str("disabled"),
            SkipReason::BranchNotMatched { git_ref, branches } => write!(
                f,
                "branch `{git_ref}` does not match its branches {}",
                quoted_list(branches)
            ),
            SkipReason::NoRef { branches } => write!(
                f,
                "no branch is known (detached HEAD), so none of its branches {} can match; pass `--ref`",
                quoted_list(branches)
            ),
        }
    }
}

pub(crate) fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|b| format!("`{b}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An ecosystem's subscription and branch patterns, each compiled once into one matcher.
#[derive(Debug, Clone)]
pub struct PlanMatchers {
    subscriptions: SubscriptionMatcher,
    branches: SubscriptionMatcher,
}

impl PlanMatchers {
    /// Compiles every entry's subscriptions and branches.
    pub fn new(ecosystem: &Ecosystem) -> Result<Self, MatcherError> {
        Ok(PlanMatchers {
            subscriptions: ecosystem.subscription_matcher()?,
            branches: ecosystem.branch_matcher()?,
        })
    }
}

impl Plan {
    /// Matches `changes` against every entry of `ecosystem` for a push to `git_ref`.
    #[tracing::instrument(skip_all, fields(paths = changes.paths.len(), entries = ecosystem.entries().len()))]
    pub fn build(
        ecosystem: &Ecosystem,
        changes: &ChangeSet,
        git_ref: Option<&str>,
        range: &str,
    ) -> Result<Plan, MatcherError> {
        let matchers = PlanMatchers::new(ecosystem)?;
        Ok(Self::build_with(
            ecosystem,
            &matchers,
            changes.clone(),
            git_ref,
            range,
            None,
        ))
    }

    /// [`Plan::build`] with the patterns already compiled (while the trees were being compared), of the
    /// entries of `shard` only when one is given; the changed paths become the plan's, uncopied.
    pub fn build_with(
        ecosystem: &Ecosystem,
        matchers: &PlanMatchers,
        changes: ChangeSet,
        git_ref: Option<&str>,
        range: &str,
        shard: Option<Shard>,
    ) -> Plan {
        let entries = ecosystem.entries();
        let in_shard: Vec<bool> = entries
            .iter()
            .map(|e| shard.is_none_or(|s| s.contains(&e.repo)))
            .collect();
        let mut in_other_shards = 0;
        let mut considered = vec![false; entries.len()];
        let mut skipped = Vec::new();
        let branch_ok: Vec<bool> = match git_ref {
            // A tag or other non-branch ref (branch names are kept short): no entry's branches match it.
            Some(r) if r.starts_with("refs/") => vec![false; entries.len()],
            Some(r) => {
                let matcher = &matchers.branches;
                let mut ok = vec![false; entries.len()];
                let mut scratch =
                    crate::dispatch::ecosystem::subscription_matcher::Scratch::default();
                let mut decisions = Vec::new();
                matcher.last_matches(r, &mut scratch, &mut decisions);
                for d in decisions {
                    ok[d.entry] = d.included;
                }
                ok
            }
            None => vec![false; entries.len()],
        };
        for (i, entry) in entries.iter().enumerate() {
            let reason = if !entry.enabled {
                Some(SkipReason::Disabled)
            } else if !branch_ok[i] {
                Some(match git_ref {
                    Some(r) => SkipReason::BranchNotMatched {
                        git_ref: r.to_owned(),
                        branches: entry.branches.clone(),
                    },
                    None => SkipReason::NoRef {
                        branches: entry.branches.clone(),
                    },
                })
            } else {
                None
            };
            match reason {
                Some(_) if !in_shard[i] => {}
                Some(reason) => skipped.push(Skipped {
                    entry: i,
                    repo: entry.repo.clone(),
                    reason,
                }),
                None => considered[i] = true,
            }
        }

        let per_entry = matchers.subscriptions.match_paths(&changes.paths);
        let mut deliveries = Vec::new();
        let mut flush = Vec::new();
        let mut unmatched = 0;
        for (i, credited) in per_entry.into_iter().enumerate() {
            if !considered[i] {
                continue;
            }
            if !in_shard[i] {
                in_other_shards += usize::from(!credited.is_empty());
                continue;
            }
            let entry = &entries[i];
            if credited.is_empty() {
                unmatched += 1;
                if entry.mode == DeliveryMode::BufferedPr {
                    flush.push(Delivery {
                        repo: entry.repo.clone(),
                        event_type: String::new(),
                        features: Vec::new(),
                        paths: Vec::new(),
                        mode: entry.mode,
                        target: Some(ecosystem.deliveries()[i].clone()),
                        standing: None,
                    });
                }
                continue;
            }
            let mut used = vec![false; entry.subscriptions.len()];
            for &(_, p) in &credited {
                used[p] = true;
            }
            deliveries.push(Delivery {
                repo: entry.repo.clone(),
                event_type: entry.event_type.clone(),
                features: entry
                    .subscriptions
                    .iter()
                    .zip(&used)
                    .filter(|(_, u)| **u)
                    .map(|(s, _)| s.clone())
                    .collect(),
                paths: credited
                    .iter()
                    .map(|&(path, _)| changes.paths[path].clone())
                    .collect(),
                mode: entry.mode,
                target: (entry.mode != DeliveryMode::Dispatch)
                    .then(|| ecosystem.deliveries()[i].clone()),
                standing: None,
            });
        }
        Plan {
            base: changes.base_sha(),
            head: changes.head.to_string(),
            git_ref: git_ref.map(str::to_owned),
            range: range.to_owned(),
            changed_paths: changes.paths,
            deliveries,
            skipped,
            unmatched,
            watermark: None,
            shard: shard.map(|shard| ShardNote {
                shard,
                in_other_shards,
            }),
            flush,
            placeholders: Some(ecosystem.placeholder_entries())
                .filter(|e| !e.is_empty())
                .map(|e| Box::new(PlaceholdersLeft::in_ecosystem(ecosystem.file(), e))),
        }
    }

    /// `shard 2 of 4: 3 of 10 repositories to notify; 7 in other shards`, for a plan of one shard.
    pub fn shard_line(&self) -> Option<String> {
        let note = self.shard?;
        let here = self.deliveries.len();
        let total = here + note.in_other_shards;
        Some(format!(
            "shard {} of {}: {here} of {total} {} to notify; {} in other shards",
            note.shard.index(),
            note.shard.count(),
            plural(total, "repository", "repositories"),
            note.in_other_shards,
        ))
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}
