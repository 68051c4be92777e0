//! `dispatcher dispatch`: sends one `repository_dispatch` per planned repository, paced and retried, and
//! reports what became of each (stderr, `--report`, and under GitHub Actions the job summary, the step
//! outputs and annotations).
//!
//! Exit status: 0 when every planned dispatch was delivered (or with `--warn-only`, or a dry run);
//! 1 when any failed (after every other was tried) or on an error before sending; 2 for usage errors.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use clap::Args;
use ecosync::dispatch::delivery_report::{DeliveryReport, DeliveryStatus, RepoResult};
use ecosync::dispatch::failure_notice::{NoticeOutcome, notify_failures};
use ecosync::dispatch::fan_out::{FanOut, Outgoing};
use ecosync::dispatch::plan::Plan;
use ecosync::payload::{MAX_EVENT_TYPE_CHARS, MAX_PAYLOAD_BYTES, PAYLOAD_VERSION};
use ecosync::{ForgeArgs, Payload, PlanOutcome, RepoName};

use crate::plan::PlanArgs;

/// Send one repository_dispatch to each repository the push concerns (see `plan`), paced and retried as
/// GitHub asks. Needs a token with Contents: write on every target (or `--forge local:DIR`).
#[derive(Debug, Args)]
pub struct DispatchCommand {
    #[command(flatten)]
    pub plan: PlanArgs,

    #[command(flatten)]
    pub forge: ForgeArgs,

    /// The repository the change comes from, carried in every payload.
    #[arg(long, env = "GITHUB_REPOSITORY", value_name = "OWNER/NAME")]
    pub source_repo: Option<String>,

    /// Print each payload that would be sent (one JSON object a line) and send nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Report failed deliveries as warnings and exit 0 (a failed sync never turns the build red).
    #[arg(long)]
    pub warn_only: bool,

    /// On failures, open one issue in the source repository listing them (or comment on the open one).
    #[arg(long)]
    pub notify_issue: bool,

    /// Write a JSON report (one line per repository) to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

/// Where GitHub Actions wants results, read from its environment.
struct Actions {
    step_summary: Option<PathBuf>,
    output: Option<PathBuf>,
}

impl Actions {
    fn from_env() -> Option<Self> {
        if std::env::var("GITHUB_ACTIONS").ok().as_deref() != Some("true") {
            return None;
        }
        let path = |v: &str| {
            std::env::var_os(v)
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
        };
        Some(Actions {
            step_summary: path("GITHUB_STEP_SUMMARY"),
            output: path("GITHUB_OUTPUT"),
        })
    }
}

/// An identifier for this run carried in every payload: the workflow run's URL under Actions, else a
/// unique id.
fn dispatch_id(source: &RepoName) -> String {
    let var = |v: &str| std::env::var(v).ok().filter(|s| !s.is_empty());
    if var("GITHUB_ACTIONS").as_deref() == Some("true") {
        if let Some(run) = var("GITHUB_RUN_ID") {
            let repo = var("GITHUB_REPOSITORY").unwrap_or_else(|| source.to_string());
            let server = var("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into());
            return format!("{server}/{repo}/actions/runs/{run}");
        }
    }
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    format!(
        "ecosync-{millis}-{}-{:08x}",
        std::process::id(),
        fastrand::u32(..)
    )
}

/// The payloads of a plan, or the repositories whose payload cannot be sent and why.
fn outgoing(plan: &Plan, source: &RepoName, dispatch_id: &str) -> (Vec<Outgoing>, Vec<RepoResult>) {
    let mut send = Vec::new();
    let mut refused = Vec::new();
    for d in &plan.deliveries {
        let mut payload = Payload {
            ecosync: PAYLOAD_VERSION,
            source_repo: source.clone(),
            git_ref: plan.git_ref.clone().unwrap_or_default(),
            base_sha: plan.base.clone(),
            commit_sha: plan.head.clone(),
            updated_feature: d.features.first().cloned().unwrap_or_default(),
            updated_features: d.features.clone(),
            changed_paths: d.paths.clone(),
            changed_paths_truncated: false,
            dispatch_id: Some(dispatch_id.to_string()),
        };
        let chars = d.event_type.chars().count();
        let problem = if chars == 0 || chars > MAX_EVENT_TYPE_CHARS {
            Some(format!(
                "event type `{}` has {chars} characters; GitHub accepts 1 to {MAX_EVENT_TYPE_CHARS}",
                d.event_type
            ))
        } else if !payload.fit_to(MAX_PAYLOAD_BYTES) {
            Some(format!(
                "the payload is over {MAX_PAYLOAD_BYTES} bytes even without changed paths (feature names too long)"
            ))
        } else {
            None
        };
        match problem {
            None => send.push(Outgoing {
                repo: d.repo.clone(),
                event_type: d.event_type.clone(),
                payload,
            }),
            Some(error) => refused.push(RepoResult {
                repo: d.repo.clone(),
                status: DeliveryStatus::Failed,
                event_type: d.event_type.clone(),
                features: d.features.clone(),
                attempts: 0,
                last_http_status: None,
                error: Some(error),
                hint: Some("fix the entry in ecosystem.json".into()),
                duration_ms: 0,
            }),
        }
    }
    (send, refused)
}

/// Escapes a workflow command's message (`%`, CR and LF).
fn escape_annotation(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn append(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open `{}` to append to it", path.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("cannot write to `{}`", path.display()))
}

impl DispatchCommand {
    /// Runs the command.
    pub fn run(&self) -> anyhow::Result<ExitCode> {
        // Phase 1: everything that can be wrong with the arguments, before anything is sent.
        let source = match &self.source_repo {
            Some(s) => {
                RepoName::parse(s).with_context(|| format!("invalid `--source-repo` `{s}`"))?
            }
            None => bail!(
                "the source repository is unknown: pass `--source-repo OWNER/NAME` (GitHub Actions sets \
                 GITHUB_REPOSITORY)"
            ),
        };
        let actions = Actions::from_env();
        let plan = match self.plan.build_plan()? {
            PlanOutcome::Planned(plan) => plan,
            PlanOutcome::BranchDeleted { git_ref, before } => {
                let what = git_ref.map_or_else(|| "the ref".to_owned(), |r| format!("`{r}`"));
                eprintln!("{what} was deleted (was at {before}): nothing to dispatch");
                return Ok(ExitCode::SUCCESS);
            }
        };
        let id = dispatch_id(&source);
        let (send, refused) = outgoing(&plan, &source, &id);
        let skipped = plan.skipped.iter().map(|s| RepoResult {
            repo: s.repo.clone(),
            status: DeliveryStatus::Skipped,
            event_type: String::new(),
            features: Vec::new(),
            attempts: 0,
            last_http_status: None,
            error: Some(s.reason.to_string()),
            hint: None,
            duration_ms: 0,
        });

        if self.dry_run {
            let mut out = String::new();
            for o in &send {
                let line = serde_json::json!({
                    "repo": o.repo,
                    "event_type": o.event_type,
                    "client_payload": o.payload.to_json(),
                });
                out.push_str(&line.to_string());
                out.push('\n');
            }
            crate::cli::print_stdout(&out)?;
            let mut repos: Vec<RepoResult> = send
                .iter()
                .map(|o| RepoResult {
                    repo: o.repo.clone(),
                    status: DeliveryStatus::Skipped,
                    event_type: o.event_type.clone(),
                    features: o.payload.updated_features.clone(),
                    attempts: 0,
                    last_http_status: None,
                    error: Some("dry run: not sent".into()),
                    hint: None,
                    duration_ms: 0,
                })
                .collect();
            repos.extend(refused);
            repos.extend(skipped);
            let report = DeliveryReport {
                source_repo: Some(source),
                dispatch_id: Some(id),
                commit_sha: plan.head.clone(),
                dry_run: true,
                repos,
            };
            eprintln!(
                "dry run: {} dispatch(es) would be sent, nothing was sent",
                send.len()
            );
            return self.finish(&report, actions.as_ref());
        }

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let (report, notice) = runtime.block_on(async {
            let forge = self.forge.build().context("cannot set up the forge")?;
            let total = send.len();
            let fan_out = FanOut::new(&forge, self.forge.concurrency as usize);
            let mut repos = fan_out
                .deliver(&send, |done, r| {
                    let what = match r.status {
                        DeliveryStatus::Delivered => format!(
                            "delivered ({} attempt{}, {} ms)",
                            r.attempts,
                            if r.attempts == 1 { "" } else { "s" },
                            r.duration_ms
                        ),
                        _ => format!("failed: {}", r.error.as_deref().unwrap_or("unknown error")),
                    };
                    eprintln!("repository {done} of {total}: {}: {what}", r.repo);
                })
                .await;
            repos.extend(refused);
            repos.extend(skipped);
            let report = DeliveryReport {
                source_repo: Some(source.clone()),
                dispatch_id: Some(id),
                commit_sha: plan.head.clone(),
                dry_run: false,
                repos,
            };
            let notice = if self.notify_issue {
                Some(notify_failures(&forge, &source, &report).await)
            } else {
                None
            };
            anyhow::Ok((report, notice))
        })?;
        match notice {
            Some(Ok(Some(NoticeOutcome::Opened(issue)))) => {
                eprintln!(
                    "opened issue #{} listing the failures: {}",
                    issue.number, issue.html_url
                );
            }
            Some(Ok(Some(NoticeOutcome::Commented(issue)))) => {
                eprintln!(
                    "commented on issue #{} with the failures: {}",
                    issue.number, issue.html_url
                );
            }
            Some(Err(e)) => eprintln!("warning: could not report the failures in an issue: {e}"),
            Some(Ok(None)) | None => {}
        }
        self.finish(&report, actions.as_ref())
    }

    /// Writes the summary, the report, the Actions outputs, and picks the exit status.
    fn finish(
        &self,
        report: &DeliveryReport,
        actions: Option<&Actions>,
    ) -> anyhow::Result<ExitCode> {
        let delivered = report.count(DeliveryStatus::Delivered);
        let failed = report.count(DeliveryStatus::Failed);
        let skipped = report.count(DeliveryStatus::Skipped);
        eprintln!("dispatch: {delivered} delivered, {failed} failed, {skipped} skipped");
        if let Some(path) = &self.report {
            std::fs::write(path, report.to_json() + "\n")
                .with_context(|| format!("cannot write the report to `{}`", path.display()))?;
        }
        if let Some(actions) = actions {
            let level = if self.warn_only { "warning" } else { "error" };
            let mut annotations = String::new();
            for r in report.failed() {
                let mut msg = format!(
                    "dispatch to {} failed: {}",
                    r.repo,
                    r.error.as_deref().unwrap_or("unknown error")
                );
                if let Some(hint) = &r.hint {
                    msg.push_str(&format!(" (hint: {hint})"));
                }
                annotations.push_str(&format!(
                    "::{level} title=ecosync dispatch::{}\n",
                    escape_annotation(&msg)
                ));
            }
            crate::cli::print_stdout(&annotations)?;
            if let Some(path) = &actions.step_summary {
                append(path, &report.to_markdown())?;
            }
            if let Some(path) = &actions.output {
                append(
                    path,
                    &format!("delivered={delivered}\nfailed={failed}\nskipped={skipped}\n"),
                )?;
            }
        }
        if failed > 0 && !self.warn_only {
            return Ok(ExitCode::FAILURE);
        }
        if failed > 0 {
            eprintln!("warning: {failed} dispatch(es) failed; exiting 0 because of --warn-only");
        }
        Ok(ExitCode::SUCCESS)
    }
}
