//! What `dispatcher dispatch` needs: Contents: write on every enabled target (a `repository_dispatch`, or
//! in the other modes the push), Pull requests: write on the targets of the pull request modes, and on the
//! source repository the watermark's push and, with `--notify-issue` or a pull request mode, Issues: write.

use crate::dispatch::ecosystem::Ecosystem;
use crate::dispatch::ecosystem::delivery_mode::DeliveryMode;
use crate::doctor::capability::Capability;
use crate::doctor::common_checks;
use crate::doctor::doctor_report::{Check, DoctorReport};
use crate::forge::Forge;
use crate::forge::permissions::Identity;
use crate::repo_name::RepoName;

/// What the dispatcher's run will do.
#[derive(Debug, Clone)]
pub struct DispatcherNeeds {
    /// The source repository, when known.
    pub source: Option<RepoName>,
    /// Whether failures open an issue in the source repository.
    pub notify_issue: bool,
}

/// Runs the dispatcher's checks.
pub async fn check(forge: &Forge, ecosystem: &Ecosystem, needs: &DispatcherNeeds) -> DoctorReport {
    let mut report = DoctorReport::default();
    let targets: Vec<&RepoName> = ecosystem
        .entries()
        .iter()
        .filter(|e| e.enabled)
        .map(|e| &e.repo)
        .collect();
    let Some(context) = needs.source.as_ref().or(targets.first().copied()) else {
        report.checks.push(Check::warn(
            "targets",
            "no enabled entry in the ecosystem file",
            "add an entry, or set `\"enabled\": true`",
        ));
        return report;
    };
    let (check, identity) = common_checks::identity(forge, context).await;
    report.checks.push(check);
    let Some(identity) = identity else {
        return report;
    };
    if matches!(identity, Identity::Refused { .. }) {
        return report;
    }
    if let Some(source) = &needs.source {
        let (check, access) = common_checks::access(forge, source).await;
        report.checks.push(check);
        if let Some(access) = access.filter(|a| a.visible) {
            let mut watermark = Capability::Contents.judge(source, &identity, &access);
            watermark.check.push_str(" (the dispatch watermark)");
            report.checks.push(watermark);
            // The pull request modes report each target's failure in an issue here too.
            let engine = ecosystem
                .entries()
                .iter()
                .any(|e| e.enabled && e.mode.applies_changes());
            if needs.notify_issue || engine {
                report
                    .checks
                    .push(Capability::Issues.judge(source, &identity, &access));
            }
        }
    }
    let modes = ecosystem
        .entries()
        .iter()
        .filter(|e| e.enabled)
        .map(|e| e.mode);
    for (target, mode) in targets.into_iter().zip(modes) {
        let (check, access) = common_checks::access(forge, target).await;
        report.checks.push(check);
        let Some(access) = access.filter(|a| a.visible) else {
            continue;
        };
        if matches!(identity, Identity::Installation { .. })
            && needs.source.as_ref() != Some(target)
        {
            report.checks.push(Check::warn(
                format!("dispatch {target}"),
                "an installation token: a workflow's `GITHUB_TOKEN` cannot dispatch to another \
                 repository",
                "use a GitHub App or a fine-grained token with `Contents: Read and write` on every \
                 target in `ECOSYNC_TOKEN`",
            ));
            continue;
        }
        let mut c = Capability::Contents.judge(target, &identity, &access);
        c.check.push_str(match mode {
            DeliveryMode::Dispatch => " (repository_dispatch)",
            DeliveryMode::Push => " (mode `push`: the branch is pushed or merge-upstream)",
            DeliveryMode::PullRequest | DeliveryMode::BufferedPr => " (the sync branch is pushed)",
        });
        report.checks.push(c);
        if mode.applies_changes() {
            let mut c = Capability::PullRequests.judge(target, &identity, &access);
            c.check = format!("{} (mode `{mode}`)", c.check);
            report.checks.push(c);
        }
    }
    report
}
