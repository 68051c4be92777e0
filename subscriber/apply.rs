//! `subscriber apply`: verifies one upstream commit, applies it with the configured strategy, pushes the
//! pull request branch and opens or updates one pull request; on failure reports one issue.

use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::Context as _;
use clap::Args;
use ecosync::RepoName;
use ecosync::cousin_config::{ConfigOverrides, CousinConfig};
use ecosync::sync_event::{SyncEvent, parse_full_sha};
use ecosync::sync_repo::{GitAuth, SyncRepo};
use ecosync::sync_run::{self, Prepared, SyncPlan, SyncSettings};

use crate::cli::{Exit, Failure};
use crate::config_file;

/// Applies one upstream commit and opens or updates its pull request.
///
/// The event is read from `--event` (default `$GITHUB_EVENT_PATH`): a `repository_dispatch` event whose
/// `client_payload` is an ecosync payload or the minimal `{updated_feature, commit_sha}`. `--sha` or
/// `--latest` sync without an event.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The event file (a whole GitHub event, or just the payload).
    #[arg(long, env = "GITHUB_EVENT_PATH", conflicts_with_all = ["sha", "latest"])]
    pub event: Option<PathBuf>,
    /// Sync this upstream commit (40 hex characters) without an event.
    #[arg(long, conflicts_with = "latest")]
    pub sha: Option<String>,
    /// Sync the tip of the upstream branch without an event (no `max_age` check).
    #[arg(long)]
    pub latest: bool,
    /// The configuration file (default: `.github/ecosync.json` in `--repo`).
    #[arg(long, env = "ECOSYNC_CONFIG")]
    pub config: Option<PathBuf>,
    /// The cousin repository's directory (its history must be complete, not shallow).
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// The upstream repository, for a configuration that is a plain list of subscriptions.
    #[arg(long, env = "ECOSYNC_UPSTREAM")]
    pub upstream: Option<RepoName>,
    /// Compute everything in memory, print the diff and what would be pushed and opened; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The name on sync commits.
    #[arg(
        long,
        env = "ECOSYNC_COMMITTER_NAME",
        default_value = "github-actions[bot]"
    )]
    pub committer_name: String,
    /// The email on sync commits.
    #[arg(
        long,
        env = "ECOSYNC_COMMITTER_EMAIL",
        default_value = "41898282+github-actions[bot]@users.noreply.github.com"
    )]
    pub committer_email: String,
    /// The forge's web address, for links in pull requests and issues.
    #[arg(long, env = "GITHUB_SERVER_URL", default_value = "https://github.com")]
    pub server_url: String,
}

/// What the command line resolved to, checked before anything happens.
struct ApplyConfig {
    settings: SyncSettings,
    repo_dir: PathBuf,
    dry_run: bool,
}

fn build(args: ApplyArgs) -> Result<ApplyConfig, Failure> {
    let config_path = config_file::config_path(args.config.as_deref(), &args.repo);
    let config: CousinConfig = config_file::load(
        &config_path,
        &ConfigOverrides {
            upstream_repo: args.upstream.clone(),
        },
    )
    .map_err(|problems| {
        for p in &problems {
            eprintln!("{p}");
        }
        Failure::new(
            Exit::Usage,
            anyhow::anyhow!("invalid configuration `{}`", config_path.display()),
        )
        .hint(Some("run `subscriber check` for the full report"))
    })?;
    let event = if let Some(sha) = &args.sha {
        SyncEvent::manual(Some(
            parse_full_sha(sha).map_err(|e| Failure::new(Exit::Usage, e))?,
        ))
    } else if args.latest {
        SyncEvent::manual(None)
    } else if let Some(path) = &args.event {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read event file `{}`", path.display()))
            .map_err(|e| Failure::new(Exit::Rejected, e))?;
        SyncEvent::from_json_str(&text, &path.display().to_string())
            .map_err(|e| Failure::new(Exit::Rejected, e))?
    } else {
        return Err(Failure::new(
            Exit::Usage,
            anyhow::anyhow!("nothing to sync: no `--event`, `--sha` or `--latest`"),
        )
        .hint(Some(
            "run under a `repository_dispatch` workflow (which sets GITHUB_EVENT_PATH), or pass `--latest`",
        )));
    };
    let upstream_url = config.upstream_url.clone().ok_or_else(|| {
        Failure::new(
            Exit::Usage,
            anyhow::anyhow!("`upstream.url` is not set and no forge is configured"),
        )
    })?;
    let base_branch = match &config.pull_request.base {
        Some(b) => b.clone(),
        None => local_head_branch(&args.repo).map_err(|e| Failure::new(Exit::Failed, e))?,
    };
    Ok(ApplyConfig {
        settings: SyncSettings {
            config,
            upstream_url,
            upstream_auth: GitAuth::default(),
            base_branch,
            cousin_url: None,
            cousin_auth: GitAuth::default(),
            event,
            now: SystemTime::now(),
            committer: (args.committer_name, args.committer_email),
            server_url: args.server_url,
        },
        repo_dir: args.repo,
        dry_run: args.dry_run,
    })
}

fn local_head_branch(repo: &std::path::Path) -> anyhow::Result<String> {
    let git = git2::Repository::discover(repo)
        .with_context(|| format!("cannot open git repository `{}`", repo.display()))?;
    let head = git.head().context("cannot read HEAD")?;
    match head.shorthand() {
        Ok(name) if head.is_branch() => Ok(name.to_owned()),
        _ => anyhow::bail!("HEAD is not on a branch; set `pull_request.base`"),
    }
}

/// Runs `apply`.
pub fn run(args: ApplyArgs) -> Result<Exit, Failure> {
    let cfg = build(args)?;
    let s = &cfg.settings;
    if let Some(id) = &s.event.dispatch_id {
        println!("dispatch: {id}");
    }
    let repo =
        SyncRepo::open(&cfg.repo_dir, cfg.dry_run).map_err(|e| Failure::new(Exit::Failed, e))?;
    let prepared = sync_run::prepare(&repo, s).map_err(|e| {
        let exit = if e.is_rejection() {
            Exit::Rejected
        } else {
            Exit::Failed
        };
        let hint = e.hint();
        Failure::new(exit, e).hint(hint)
    })?;
    match prepared {
        Prepared::NotSubscribed(why) => {
            println!("not subscribed: {why}; nothing to do");
            Ok(Exit::Ok)
        }
        Prepared::AlreadySynced { upstream, by } => {
            println!(
                "already synced: {}@{upstream} is included in `{}` (commit {by}); nothing to do",
                s.config.upstream_repo, s.base_branch
            );
            Ok(Exit::Ok)
        }
        Prepared::NoChange { upstream } => {
            println!(
                "no change: {}@{upstream} changes nothing in {}; nothing to do",
                s.config.upstream_repo,
                s.config.describe_subscriptions().join(", ")
            );
            Ok(Exit::Ok)
        }
        Prepared::Change(plan) => {
            print_plan(s, &plan);
            if cfg.dry_run {
                println!("dry run: nothing was written");
                return Ok(Exit::Ok);
            }
            Err(Failure::new(
                Exit::Failed,
                anyhow::anyhow!("publishing needs a forge (`--forge`)"),
            ))
        }
    }
}

fn print_plan(s: &SyncSettings, plan: &SyncPlan) {
    println!(
        "upstream: {}@{} (`{}`)",
        s.config.upstream_repo, plan.upstream, s.config.upstream_branch
    );
    match plan.message.last_synced {
        Some(l) => println!("last synced: {l}"),
        None if plan.change.first_sync => {
            println!(
                "last synced: none (first sync: the mapped directories take the upstream state)"
            )
        }
        None => {}
    }
    println!("strategy: {}", s.config.strategy);
    if !plan.change.conflicts.is_empty() {
        println!("conflicts: {}", plan.change.conflicts.join(", "));
    }
    println!(
        "commit: {} on `{}` ({})",
        plan.commit, s.base_branch, plan.base
    );
    print!("{}", plan.summary.unified());
}
