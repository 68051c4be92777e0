//! `subscriber apply`: verifies one upstream commit, applies it with the configured strategy, pushes the
//! pull request branch and opens or updates one pull request; on failure reports one issue.

use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::Context as _;
use clap::Args;
use ecosync::forge::Forge;
use ecosync::sync::cousin_config::{
    ConfigOverrides, CousinConfig, NotifyTarget, OnConflict, fill_template,
};
use ecosync::sync::event::{SyncEvent, parse_full_sha};
use ecosync::sync::failure_report::{self, FailureReport, ReportOutcome};
use ecosync::sync::prepare::{self, Prepared, SyncPlan, SyncRunError, SyncSettings};
use ecosync::sync::publish::{self, BranchAction, CloseTarget, PublishTarget, PullRequestAction};
use ecosync::sync::repo::{GitAuth, SyncRepo};
use ecosync::{ForgeArgs, RepoName};

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
    /// This repository on the forge, `owner/name` (default: inferred from the `origin` remote).
    #[arg(long, env = "GITHUB_REPOSITORY")]
    pub repo_name: Option<RepoName>,
    /// Where this repository's branches are fetched from and pushed to (default: the forge's git URL for
    /// `--repo-name`). The forge's credentials are offered to it.
    #[arg(long, env = "ECOSYNC_COUSIN_URL")]
    pub cousin_url: Option<String>,
    /// The Actions run ID, for the run's URL in failure reports.
    #[arg(long, env = "GITHUB_RUN_ID", hide = true)]
    pub run_id: Option<String>,
    #[command(flatten)]
    pub forge: ForgeArgs,
}

/// What the command line resolved to, checked before anything happens.
struct ApplyConfig {
    config: CousinConfig,
    event: SyncEvent,
    forge: Forge,
    cousin: RepoName,
    cousin_url: Option<String>,
    repo_dir: PathBuf,
    dry_run: bool,
    committer: (String, String),
    server_url: String,
    run_url: Option<String>,
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
    let forge = args
        .forge
        .build()
        .context("invalid forge settings")
        .map_err(|e| Failure::new(Exit::Usage, e))?;
    let cousin = match args.repo_name.clone() {
        Some(r) => r,
        None => infer_repo_name(&args.repo).map_err(|e| {
            Failure::new(Exit::Usage, e).hint(Some(
                "pass `--repo-name owner/name` (under Actions GITHUB_REPOSITORY is used)",
            ))
        })?,
    };
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
    let run_url = args.run_id.as_ref().map(|id| {
        format!(
            "{}/{cousin}/actions/runs/{id}",
            args.server_url.trim_end_matches('/')
        )
    });
    Ok(ApplyConfig {
        config,
        event,
        forge,
        cousin,
        cousin_url: args.cousin_url,
        repo_dir: args.repo,
        dry_run: args.dry_run,
        committer: (args.committer_name, args.committer_email),
        server_url: args.server_url,
        run_url,
    })
}

/// `owner/name` from the `origin` remote's URL (`https://host/owner/name.git`, `git@host:owner/name.git`,
/// or a local forge path `DIR/owner/name.git`).
fn infer_repo_name(repo: &std::path::Path) -> anyhow::Result<RepoName> {
    let git = git2::Repository::discover(repo)
        .with_context(|| format!("cannot open git repository `{}`", repo.display()))?;
    let origin = git
        .find_remote("origin")
        .context("cannot tell which repository this is: no `origin` remote")?;
    let url = origin.url().unwrap_or_default().trim_end_matches('/');
    let url = url.strip_suffix(".git").unwrap_or(url);
    let mut parts = url.rsplit(['/', ':']);
    let (name, owner) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    RepoName::parse(&format!("{owner}/{name}"))
        .with_context(|| format!("cannot tell `owner/name` from the `origin` remote `{url}`"))
}

/// Runs `apply`.
pub fn run(args: ApplyArgs) -> Result<Exit, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .map_err(|e| Failure::new(Exit::Failed, e))?;
    // The GitHub client needs a runtime to be built in.
    let cfg = {
        let _entered = runtime.enter();
        build(args)?
    };
    runtime.block_on(run_async(&cfg))
}

/// What the failure report needs from a run that got past the event checks.
struct Progress {
    upstream_url: String,
    base: String,
    upstream_sha: Option<String>,
    last_synced: Option<String>,
    conflicts: Vec<String>,
    /// The outcome in one word, for `$GITHUB_OUTPUT`.
    result: &'static str,
    /// The pull request's address, when there is one.
    pull_request: Option<String>,
}

async fn run_async(cfg: &ApplyConfig) -> Result<Exit, Failure> {
    let config = &cfg.config;
    if let Some(id) = &cfg.event.dispatch_id {
        println!("dispatch: {id}");
    }
    let (upstream_url, upstream_auth) = match &config.upstream_url {
        // A configured URL may point anywhere: the forge's token is never offered to it.
        Some(url) => (url.clone(), GitAuth::default()),
        None => (
            cfg.forge.git_url(&config.upstream_repo),
            auth(&cfg.forge, &config.upstream_repo)
                .await
                .unwrap_or_default(),
        ),
    };
    let mut progress = Progress {
        upstream_url: upstream_url.clone(),
        base: config.pull_request.base.clone().unwrap_or_default(),
        upstream_sha: cfg.event.commit.map(|c| c.to_string()),
        last_synced: None,
        conflicts: Vec::new(),
        result: "failed",
        pull_request: None,
    };
    let result = sync(cfg, upstream_url, upstream_auth, &mut progress).await;
    if let Err(f) = &result {
        progress.result = match f.exit {
            Exit::Rejected => "rejected",
            _ => "failed",
        };
    }
    if !cfg.dry_run {
        write_actions_outputs(cfg, &progress);
    }
    match result {
        Ok(exit) => Ok(exit),
        Err(f) if f.exit == Exit::Failed && !cfg.dry_run => {
            report_failure(cfg, &progress, &f).await;
            Err(f)
        }
        Err(f) => Err(f),
    }
}

/// Under Actions: `result` and `pull_request` in `$GITHUB_OUTPUT`, one line in `$GITHUB_STEP_SUMMARY`.
fn write_actions_outputs(cfg: &ApplyConfig, progress: &Progress) {
    use std::io::Write as _;
    let append = |var: &str, text: &str| {
        let Some(path) = std::env::var_os(var) else {
            return;
        };
        let written = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = written {
            eprintln!("warning: cannot write `${var}`: {e}");
        }
    };
    let pr = progress.pull_request.clone().unwrap_or_default();
    append(
        "GITHUB_OUTPUT",
        &format!("result={}\npull_request={pr}\n", progress.result),
    );
    let commit = progress
        .upstream_sha
        .as_deref()
        .unwrap_or("the latest commit");
    append(
        "GITHUB_STEP_SUMMARY",
        &format!(
            "ecosync: sync of `{}` at `{commit}` into `{}`: **{}**{}\n",
            cfg.config.upstream_repo,
            cfg.cousin,
            progress.result,
            if pr.is_empty() {
                String::new()
            } else {
                format!(" ({pr})")
            }
        ),
    );
}

async fn auth(forge: &Forge, repo: &RepoName) -> anyhow::Result<GitAuth> {
    let creds = forge
        .git_credentials(repo)
        .await
        .with_context(|| format!("cannot get git credentials for `{repo}`"))?;
    Ok(GitAuth {
        userpass: creds.map(|c| (c.username, c.password)),
    })
}

fn failed(e: impl Into<anyhow::Error>) -> Failure {
    Failure::new(Exit::Failed, e)
}

async fn sync(
    cfg: &ApplyConfig,
    upstream_url: String,
    upstream_auth: GitAuth,
    progress: &mut Progress,
) -> Result<Exit, Failure> {
    let config = &cfg.config;
    let cousin_url = cfg
        .cousin_url
        .clone()
        .unwrap_or_else(|| cfg.forge.git_url(&cfg.cousin));
    let cousin_auth = auth(&cfg.forge, &cfg.cousin).await.map_err(failed)?;
    let base = match &config.pull_request.base {
        Some(b) => b.clone(),
        None => cfg
            .forge
            .default_branch(&cfg.cousin)
            .await
            .with_context(|| format!("cannot find the default branch of `{}`", cfg.cousin))
            .map_err(failed)?,
    };
    progress.base = base.clone();
    let settings = SyncSettings {
        config: config.clone(),
        upstream_url,
        upstream_auth,
        base_branch: base.clone(),
        cousin_url: Some(cousin_url.clone()),
        cousin_auth: cousin_auth.clone(),
        event: cfg.event.clone(),
        now: SystemTime::now(),
        committer: cfg.committer.clone(),
        server_url: cfg.server_url.clone(),
    };
    let repo = SyncRepo::open(&cfg.repo_dir, cfg.dry_run).map_err(|e| {
        let hint = SyncRunError::from(e).hint();
        failed(anyhow::anyhow!("cannot use `{}`", cfg.repo_dir.display())).hint(hint)
    })?;
    let prepared = prepare::prepare(&repo, &settings).map_err(|e| {
        let exit = if e.is_rejection() {
            Exit::Rejected
        } else {
            Exit::Failed
        };
        let hint = e.hint();
        Failure::new(exit, e).hint(hint)
    })?;
    let plan = match prepared {
        Prepared::NotSubscribed(why) => {
            println!("not subscribed: {why}; nothing to do");
            progress.result = "not-subscribed";
            return Ok(Exit::Ok);
        }
        Prepared::AlreadySynced { upstream, by } => {
            println!(
                "already synced: {}@{upstream} is included in `{base}` (commit {by}); nothing to do",
                config.upstream_repo
            );
            progress.result = "already-synced";
            close_superseded(cfg, &repo, &settings, upstream).await?;
            return Ok(Exit::Ok);
        }
        Prepared::NoChange { upstream } => {
            println!(
                "no change: {}@{upstream} changes nothing in {}; nothing to do",
                config.upstream_repo,
                config.describe_subscriptions().join(", ")
            );
            progress.result = "no-change";
            close_superseded(cfg, &repo, &settings, upstream).await?;
            return Ok(Exit::Ok);
        }
        Prepared::Change(plan) => plan,
    };
    progress.upstream_sha = Some(plan.upstream.to_string());
    progress.last_synced = plan.message.last_synced.map(|l| l.to_string());
    progress.conflicts = plan.change.conflicts.clone();
    print_plan(&settings, &plan);
    let conflicted = !plan.change.conflicts.is_empty();
    if conflicted && config.on_conflict == OnConflict::Issue {
        if cfg.dry_run {
            println!(
                "would report the conflict in {} and push nothing",
                describe_place(cfg)
            );
            println!("dry run: nothing was written");
            return Ok(Exit::Failed);
        }
        return Err(failed(anyhow::anyhow!(
            "the upstream change conflicts with this repository's own edits in {}",
            plan.change
                .conflicts
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let branch = fill_template(
        &config.pull_request.branch,
        &format!(
            "{}-{}",
            config.upstream_repo.owner(),
            config.upstream_repo.name()
        ),
        config.upstream_repo.as_str(),
        &config.upstream_branch,
        &plan.upstream.to_string(),
    );
    let committer = git2::Signature::now(&cfg.committer.0, &cfg.committer.1)
        .map_err(failed)?
        .to_owned();
    let target = PublishTarget {
        cousin: &cfg.cousin,
        cousin_url: &cousin_url,
        cousin_auth: &cousin_auth,
        branch: &branch,
        base: &base,
        upstream: &config.upstream_repo,
        upstream_branch: &config.upstream_branch,
        settings: &config.pull_request,
        force_draft: conflicted,
        committer,
        stack: config.strategy == ecosync::sync::strategy::Strategy::CherryPick,
    };
    let published = publish::publish(&cfg.forge, &repo, &plan, &target)
        .await
        .with_context(|| format!("cannot publish the sync to `{}`", cfg.cousin))
        .map_err(failed)?;
    let verb = if cfg.dry_run { "would push" } else { "pushed" };
    match &published.branch_action {
        BranchAction::Created(h) => println!("{verb}: {h} to new branch `{branch}`"),
        BranchAction::Replaced { old, new } => {
            println!("{verb}: {new} to `{branch}`, replacing ecosync's earlier {old}")
        }
        BranchAction::AddedOnTop { old, new } if target.stack => {
            println!("{verb}: {new} to `{branch}`, stacked on the earlier unmerged syncs at {old}")
        }
        BranchAction::AddedOnTop { old, new } => println!(
            "{verb}: {new} to `{branch}` on top of {old}: the branch has commits not made by ecosync, so \
             it was not force-pushed"
        ),
        BranchAction::Reused(h) => println!("branch `{branch}` already carries this sync at {h}"),
    }
    progress.result = if conflicted {
        "applied-with-conflicts"
    } else {
        "applied"
    };
    progress.pull_request = match &published.pull_request {
        PullRequestAction::Created(pr)
        | PullRequestAction::Updated(pr)
        | PullRequestAction::WouldUpdate(pr) => Some(pr.html_url.clone()),
        PullRequestAction::WouldCreate(_) => None,
    };
    match &published.pull_request {
        PullRequestAction::Created(pr) => {
            println!("pull request: opened #{} {}", pr.number, pr.html_url)
        }
        PullRequestAction::Updated(pr) => {
            println!("pull request: updated #{} {}", pr.number, pr.html_url)
        }
        PullRequestAction::WouldCreate(title) => {
            println!("would open pull request: {title:?} from `{branch}` into `{base}`")
        }
        PullRequestAction::WouldUpdate(pr) => {
            println!("would update pull request #{} {}", pr.number, pr.html_url)
        }
    }
    if conflicted {
        println!(
            "warning: conflicts committed with markers to a draft pull request: {}",
            plan.change.conflicts.join(", ")
        );
    }
    if cfg.dry_run {
        println!("dry run: nothing was written");
    }
    Ok(Exit::Ok)
}

/// Closes the open sync pull request when this no-op run shows it has nothing left to bring.
async fn close_superseded(
    cfg: &ApplyConfig,
    repo: &SyncRepo,
    settings: &SyncSettings,
    upstream: git2::Oid,
) -> Result<(), Failure> {
    let config = &cfg.config;
    let Some(cousin_url) = &settings.cousin_url else {
        return Ok(());
    };
    let Some(base_commit) = repo.fetched(&prepare::cousin_ref(&settings.base_branch)) else {
        return Ok(());
    };
    let branch = pr_branch(config, upstream);
    let target = CloseTarget {
        cousin: &cfg.cousin,
        cousin_url,
        cousin_auth: &settings.cousin_auth,
        branch: &branch,
        base: &settings.base_branch,
        base_commit,
        upstream: &config.upstream_repo,
        upstream_sha: upstream,
        supersedes: config.strategy != ecosync::sync::strategy::Strategy::CherryPick,
    };
    let closed = publish::close_if_superseded(&cfg.forge, repo, &target)
        .await
        .with_context(|| {
            format!(
                "cannot check the open sync pull request of `{}`",
                cfg.cousin
            )
        })
        .map_err(failed)?;
    if let Some(pr) = closed {
        let verb = if cfg.dry_run { "would close" } else { "closed" };
        println!(
            "{verb} pull request #{} {}: it has nothing left to bring",
            pr.number, pr.html_url
        );
    }
    Ok(())
}

/// The pull request branch for `upstream`'s commit.
fn pr_branch(config: &CousinConfig, upstream: git2::Oid) -> String {
    fill_template(
        &config.pull_request.branch,
        &format!(
            "{}-{}",
            config.upstream_repo.owner(),
            config.upstream_repo.name()
        ),
        config.upstream_repo.as_str(),
        &config.upstream_branch,
        &upstream.to_string(),
    )
}

fn notify_place(cfg: &ApplyConfig) -> Option<RepoName> {
    match &cfg.config.notify {
        NotifyTarget::Upstream => Some(cfg.config.upstream_repo.clone()),
        NotifyTarget::Own => Some(cfg.cousin.clone()),
        NotifyTarget::Repo(r) => Some(r.clone()),
        NotifyTarget::Nowhere => None,
    }
}

fn describe_place(cfg: &ApplyConfig) -> String {
    match notify_place(cfg) {
        Some(r) => format!("an issue in `{r}`"),
        None => "the log only (`notify` is `none`)".to_owned(),
    }
}

/// Reports a failure as one issue per cousin; a failure to report is printed, never hides the first one.
async fn report_failure(cfg: &ApplyConfig, progress: &Progress, f: &Failure) {
    let Some(place) = notify_place(cfg) else {
        return;
    };
    let report = FailureReport {
        cousin: cfg.cousin.clone(),
        upstream: cfg.config.upstream_repo.clone(),
        upstream_url: progress.upstream_url.clone(),
        upstream_branch: cfg.config.upstream_branch.clone(),
        upstream_sha: progress.upstream_sha.clone(),
        last_synced: progress.last_synced.clone(),
        base: progress.base.clone(),
        strategy: cfg.config.strategy,
        mappings: cfg
            .config
            .subscriptions
            .iter()
            .map(|s| (s.path.clone(), s.to.clone()))
            .collect(),
        error: format!("{:#}", f.error),
        conflicts: progress.conflicts.clone(),
        run_url: cfg.run_url.clone(),
        dispatch_id: cfg.event.dispatch_id.clone(),
        server_url: cfg.server_url.clone(),
    };
    match failure_report::report(&cfg.forge, &place, &cfg.config.notify_labels, &report).await {
        Ok(ReportOutcome::Opened(i)) => {
            println!(
                "reported: opened issue #{} in `{place}` {}",
                i.number, i.html_url
            )
        }
        Ok(ReportOutcome::Commented(i)) => println!(
            "reported: commented on open issue #{} in `{place}` {}",
            i.number, i.html_url
        ),
        Err(e) => eprintln!("error: cannot report the failure in `{place}`: {e:#}"),
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
