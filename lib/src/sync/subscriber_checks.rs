//! What `subscriber apply` needs: on this repository Contents, Pull requests and (when subscriptions reach
//! `.github/workflows`) Workflows write, the base branch, and for a workflow's `GITHUB_TOKEN` the setting
//! "Allow GitHub Actions to create and approve pull requests"; Issues write where failures are reported;
//! read access to upstream when it is fetched through the forge.

use crate::config::cousin_config::CousinConfig;
use crate::config::notify::NotifyTarget;
use crate::doctor::capability::Capability;
use crate::doctor::common_checks::{self, unreachable_check};
use crate::doctor::doctor_report::{Check, DoctorReport, Verdict};
use crate::forge::Forge;
use crate::forge::permissions::{ActionsPullRequests, Identity};
use crate::repo_name::RepoName;
use crate::repo_path::RepoPath;

/// The directory GitHub guards with the Workflows permission.
const WORKFLOWS_DIR: &str = ".github/workflows";

/// Whether a sync may write below `.github/workflows`: a subscription mapped there (a root mapping leaves
/// `.github` alone), or `merge`, which merges whole upstream commits.
pub fn reaches_workflows(config: &CousinConfig) -> bool {
    if config.strategy.merges_history() {
        return true;
    }
    let workflows = RepoPath::parse(WORKFLOWS_DIR).unwrap_or_default();
    config
        .subscriptions
        .iter()
        .any(|s| !s.to.is_root() && s.to.overlaps(&workflows))
}

/// Runs the subscriber's checks for `cousin`.
pub async fn check(forge: &Forge, config: &CousinConfig, cousin: &RepoName) -> DoctorReport {
    let mut report = DoctorReport::default();
    let (check, identity) = common_checks::identity(forge, cousin).await;
    report.checks.push(check);
    let Some(identity) = identity else {
        return report;
    };
    if matches!(identity, Identity::Refused { .. }) {
        return report;
    }
    let (check, access) = common_checks::access(forge, cousin).await;
    report.checks.push(check);
    if let Some(access) = access.filter(|a| a.visible) {
        report
            .checks
            .push(Capability::Contents.judge(cousin, &identity, &access));
        report
            .checks
            .push(Capability::PullRequests.judge(cousin, &identity, &access));
        if reaches_workflows(config) {
            report
                .checks
                .push(Capability::Workflows.judge(cousin, &identity, &access));
        }
        if matches!(identity, Identity::Installation { .. }) {
            report.checks.push(actions_setting(forge, cousin).await);
        }
        let base = config
            .pull_request
            .base
            .clone()
            .or(access.default_branch.clone());
        if let Some(base) = base {
            let check = format!("base branch {cousin}:{base}");
            report.checks.push(match forge.branch_exists(cousin, &base).await {
                Ok(true) => Check::ok(check, "exists"),
                Ok(false) => Check::fail(
                    check,
                    "does not exist",
                    format!(
                        "create `{base}` in `{cousin}`, or set `pull_request.base` to an existing \
                         branch"
                    ),
                ),
                Err(e) => unreachable_check(&check, &e),
            });
        }
        if let NotifyTarget::Own = config.notify {
            report
                .checks
                .push(Capability::Issues.judge(cousin, &identity, &access));
        }
    }
    if config.upstream_url.is_none() || matches!(config.notify, NotifyTarget::Upstream) {
        let upstream = &config.upstream_repo;
        let (mut check, access) = common_checks::access(forge, upstream).await;
        check.check.push_str(" (upstream)");
        report.checks.push(check);
        if let (Some(access), NotifyTarget::Upstream) =
            (access.filter(|a| a.visible), &config.notify)
        {
            let mut c = Capability::Issues.judge(upstream, &identity, &access);
            c.check.push_str(" (failure reports)");
            report.checks.push(c);
        }
    }
    if let NotifyTarget::Repo(place) = &config.notify {
        let (check, access) = common_checks::access(forge, place).await;
        report.checks.push(check);
        if let Some(access) = access.filter(|a| a.visible) {
            report
                .checks
                .push(Capability::Issues.judge(place, &identity, &access));
        }
    }
    report
}

/// The checks `subscriber apply` makes before its first write, so a missing permission fails before a
/// branch is pushed: the first definite failure, if any. Only what GitHub states for certain counts: a
/// GitHub App's grants (Contents, Pull requests, Workflows when needed) and, for an installation token (a
/// workflow's `GITHUB_TOKEN`), the setting "Allow GitHub Actions to create and approve pull requests". A
/// personal token's role says nothing certain about a fine-grained token's grants, and a check the forge
/// cannot answer never stops a run.
pub async fn preflight(forge: &Forge, config: &CousinConfig, cousin: &RepoName) -> Option<Check> {
    let identity = forge.identity(cousin).await.ok()?;
    match identity {
        Identity::App => {
            let access = forge.repo_access(cousin).await.ok()?;
            if !access.visible || access.grants.is_none() {
                return None;
            }
            let mut needed = vec![Capability::Contents, Capability::PullRequests];
            if reaches_workflows(config) {
                needed.push(Capability::Workflows);
            }
            needed
                .into_iter()
                .map(|c| c.judge(cousin, &identity, &access))
                .find(|c| c.result == Verdict::Fail)
        }
        Identity::Installation { .. } => {
            let check = actions_setting(forge, cousin).await;
            (check.result == Verdict::Fail).then_some(check)
        }
        _ => None,
    }
}

async fn actions_setting(forge: &Forge, cousin: &RepoName) -> Check {
    let check = format!("actions may open pull requests in {cousin}");
    let fix = format!(
        "in `{cousin}`: Settings, Actions, General, Workflow permissions: turn on \"Allow GitHub Actions \
         to create and approve pull requests\" (or use a GitHub App or a personal token in \
         `ECOSYNC_TOKEN`)"
    );
    match forge.actions_pull_requests(cousin).await {
        Ok(ActionsPullRequests::Allowed) => Check::ok(check, "allowed"),
        Ok(ActionsPullRequests::Denied) => Check::fail(
            check,
            "\"Allow GitHub Actions to create and approve pull requests\" is off: opening the pull \
             request fails with 403",
            fix,
        ),
        Ok(ActionsPullRequests::Unknown { reason }) => {
            Check::warn(check, format!("the setting cannot be read ({reason})"), fix)
        }
        Err(e) => unreachable_check(&check, &e),
    }
}
