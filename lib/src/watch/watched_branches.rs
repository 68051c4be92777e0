//! Which of the source's branches the watcher watches: those any enabled `ecosystem.json` entry's
//! `branches` can match (last match wins, `!` excludes, as in `plan`).

use std::path::Path;

use crate::dispatch::ecosystem::path_pattern::PathPattern;
use crate::dispatch::ecosystem::{Ecosystem, EcosystemInvalid};
use crate::dispatch::plan::plan_request::PlanError;

/// Each enabled entry's branch patterns, from the configuration at `path` (named `name` in messages).
pub fn load(path: &Path, name: &str) -> Result<Vec<Vec<PathPattern>>, PlanError> {
    let (ecosystem, _) = Ecosystem::load(path, name).map_err(|diagnostics| EcosystemInvalid {
        file: name.to_owned(),
        diagnostics,
    })?;
    Ok(ecosystem
        .entries()
        .iter()
        .filter(|e| e.enabled)
        .map(|e| {
            e.branches
                .iter()
                .filter_map(|b| PathPattern::parse_branch(b).ok())
                .collect()
        })
        .collect())
}

/// Whether some entry takes `branch`.
pub fn watched(patterns: &[Vec<PathPattern>], branch: &str) -> bool {
    patterns.iter().any(|entry| {
        entry
            .iter()
            .rfind(|p| p.is_match(branch))
            .is_some_and(|p| !p.is_negated())
    })
}
