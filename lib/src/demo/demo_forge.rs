//! `DemoForge`: a source repository and its downstream repositories on a local forge, with the range the
//! demo delivers: what `dispatcher demo` runs `dispatcher plan`, `dispatcher dispatch` and `subscriber
//! apply` on, whether it was built from the sample or copied from the user's repository.

use std::path::PathBuf;

use git2::Oid;

use crate::dispatch::ecosystem::Ecosystem;
use crate::dispatch::plan::Plan;
use crate::dispatch::plan::plan_outcome::PlanOutcome;
use crate::dispatch::plan::plan_request::{PlanError, PlanRequest};
use crate::repo_name::RepoName;

/// One `ecosystem.json` entry's repository, as the demo built it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoTarget {
    /// The repository.
    pub repo: RepoName,
    /// What was built for it, for people (`a fork: the source's history up to e612fcdb50d2`), or why
    /// nothing was (`not built: the entry is disabled`).
    pub built: String,
    /// Whether it is on the forge.
    pub on_forge: bool,
    /// Its clone, where `subscriber apply` runs, for an entry delivered by `repository_dispatch`.
    pub work_dir: Option<PathBuf>,
}

/// A demo, ready to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoForge {
    /// Where everything is: `forge/` (the local forge) and `work/` (the clones).
    pub root: PathBuf,
    /// The source repository.
    pub source: RepoName,
    /// The source's clone, checked out at the head on [`DemoForge::branch`], with `ecosystem.json` at its
    /// root.
    pub source_dir: PathBuf,
    /// The source branch the push went to.
    pub branch: String,
    /// The range delivered: `base..head`.
    pub base: Oid,
    /// The head.
    pub head: Oid,
    /// Whether `dispatcher plan` and `dispatch` must be told the range (`--base`, `--head`): not when it
    /// is the clone's `HEAD` against its first parent, what they take by default.
    pub explicit_range: bool,
    /// One per `ecosystem.json` entry, in file order.
    pub targets: Vec<DemoTarget>,
    /// What was pushed, for people.
    pub pushed: String,
}

impl DemoForge {
    /// The local forge's directory (`--forge local:<this>`).
    pub fn forge_dir(&self) -> PathBuf {
        self.root.join("forge")
    }

    /// The arguments that give `dispatcher plan` and `dispatch` the range, when the defaults do not.
    pub fn range_args(&self) -> Vec<String> {
        if self.explicit_range {
            vec![
                "--base".to_owned(),
                self.base.to_string(),
                "--head".to_owned(),
                self.head.to_string(),
            ]
        } else {
            Vec::new()
        }
    }

    /// The configuration and the plan of the range, as `dispatcher plan` makes it (without the watermark).
    pub fn plan(&self) -> Result<(Ecosystem, Plan), PlanError> {
        let config_path = self.source_dir.join("ecosystem.json");
        let (ecosystem, _) =
            Ecosystem::load(&config_path, "ecosystem.json").map_err(|diagnostics| {
                crate::dispatch::ecosystem::EcosystemInvalid {
                    file: "ecosystem.json".to_owned(),
                    diagnostics,
                }
            })?;
        let request = PlanRequest {
            repo_dir: self.source_dir.clone(),
            config_path,
            config_name: "ecosystem.json".to_owned(),
            base: Some(self.base.to_string()),
            head: Some(self.head.to_string()),
            git_ref: Some(self.branch.clone()),
            event: None,
            watermark: None,
            shard: None,
        };
        match request.run()?.0 {
            PlanOutcome::Planned(plan) => Ok((ecosystem, plan)),
            // Neither happens for two commits and no watermark; an empty plan says nothing wrong.
            PlanOutcome::BranchDeleted { .. } | PlanOutcome::AlreadyDispatched { .. } => {
                Err(PlanError::Repository {
                    dir: self.source_dir.clone(),
                    source: git2::Error::from_str("no range to plan"),
                })
            }
        }
    }
}
