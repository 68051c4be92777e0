//! `subscriber apply`: builds a [`SyncRequest`] from the command line, runs [`ecosync::sync::apply`] and
//! prints its outcome.

use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::Context as _;
use clap::Args;
use clap::builder::BoolishValueParser;
use ecosync::actions::Actions;
use ecosync::config::cousin_config::ConfigOverrides;
use ecosync::config::placeholder::PlaceholdersLeft;
use ecosync::config::{DEFAULT_COMMITTER_EMAIL, DEFAULT_COMMITTER_NAME};
use ecosync::repo_name::has_credentials;
use ecosync::sync::verify::event::{SyncEvent, parse_full_sha};
use ecosync::sync::{SyncOutcome, SyncRequest};
use ecosync::{ErrorKind, RepoName};

use crate::config_file;
use ecosync_cli::cli_env::{path_or_fallback, string_or_fallback};
use ecosync_cli::forge_args::ForgeArgs;
use ecosync_cli::glue::{CliError, CliResult, Exit, print_stdout};

/// Applies one upstream commit and opens or updates its pull request.
///
/// The event is read from `--event` (default `$GITHUB_EVENT_PATH`): a `repository_dispatch` event whose
/// `client_payload` is an ecosync payload or the minimal `{updated_feature, commit_sha}`. `--sha` or
/// `--latest` sync without an event.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The event file (a whole GitHub event, or just the payload) [default: `$GITHUB_EVENT_PATH`, unless
    /// `--sha` or `--latest` is given].
    #[arg(long, env = "ECOSYNC_EVENT", conflicts_with_all = ["sha", "latest"])]
    pub event: Option<PathBuf>,
    /// Sync this upstream commit (40 hex characters) without an event.
    #[arg(long, env = "ECOSYNC_SHA", conflicts_with = "latest")]
    pub sha: Option<String>,
    /// Sync the tip of the upstream branch without an event (no `max_age` check).
    #[arg(long, env = "ECOSYNC_LATEST", value_parser = BoolishValueParser::new())]
    pub latest: bool,
    /// The configuration file (default: `.github/ecosync.json` in `--repo`).
    #[arg(long, env = "ECOSYNC_CONFIG")]
    pub config: Option<PathBuf>,
    /// The cousin repository's directory (its history must be complete, not shallow).
    #[arg(long, env = "ECOSYNC_REPO", default_value = ".")]
    pub repo: PathBuf,
    /// The upstream repository, for a configuration that is a plain list of subscriptions.
    #[arg(long, env = "ECOSYNC_UPSTREAM")]
    pub upstream: Option<RepoName>,
    /// Compute everything in memory, print the diff and what would be pushed and opened; write nothing.
    #[arg(long, env = "ECOSYNC_DRY_RUN", value_parser = BoolishValueParser::new())]
    pub dry_run: bool,
    /// The name on sync commits.
    #[arg(long, env = "ECOSYNC_COMMITTER_NAME", default_value = DEFAULT_COMMITTER_NAME)]
    pub committer_name: String,
    /// The email on sync commits.
    #[arg(long, env = "ECOSYNC_COMMITTER_EMAIL", default_value = DEFAULT_COMMITTER_EMAIL)]
    pub committer_email: String,
    /// The forge's web address, for links in pull requests and issues [default: `$GITHUB_SERVER_URL`, else
    /// `https://github.com`].
    #[arg(long, env = "ECOSYNC_SERVER_URL", value_name = "URL")]
    pub server_url: Option<String>,
    /// This repository on the forge, `owner/name` [default: `$GITHUB_REPOSITORY`, else the `origin` remote].
    #[arg(long, env = "ECOSYNC_REPO_NAME", value_name = "OWNER/NAME")]
    pub repo_name: Option<String>,
    /// Where this repository's branches are fetched from and pushed to (default: the forge's git URL for
    /// `--repo-name`). The forge's credentials are offered to it.
    #[arg(long, env = "ECOSYNC_COUSIN_URL", hide_env_values = true)]
    pub cousin_url: Option<String>,
    /// The Actions run ID, for the run's URL in failure reports [default: `$GITHUB_RUN_ID`].
    #[arg(long, env = "ECOSYNC_RUN_ID", hide = true)]
    pub run_id: Option<String>,
    /// Propose the change even though a rejection holds it: this repository closed its sync pull request
    /// without merging, or is paused (`on_rejection: pause`). Names this repository, as the dispatcher's
    /// flag of the same name does.
    #[arg(long, env = "ECOSYNC_REPROPOSE", value_name = "OWNER/NAME")]
    pub repropose: Option<RepoName>,
    /// Append one JSON line per action taken (branch pushed, pull request opened, updated or closed, issue
    /// opened, commented on or closed) to this file.
    #[arg(long, env = "ECOSYNC_AUDIT_LOG", value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    #[command(flatten)]
    pub forge: ForgeArgs,
}

impl ApplyArgs {
    /// Everything that can be wrong with the command line and the configuration, before anything happens.
    pub(crate) fn request(self) -> Result<(SyncRequest, ForgeArgs), CliError> {
        let path = config_file::config_path(self.config.as_deref(), &self.repo);
        let overrides = ConfigOverrides {
            upstream_repo: self.upstream.clone(),
        };
        let (config, placeholders) = config_file::load_with_placeholders(&path, &overrides)
            .map_err(|problems| {
                let summary = anyhow::anyhow!("invalid configuration `{}`", path.display());
                CliError::config(problems, summary)
                    .hint("run `subscriber check` for the full report")
            })?;
        for w in &placeholders {
            eprintln!("{w}");
        }
        // A dry run sends nothing, and shows what the file does as it is.
        if !placeholders.is_empty() && !self.dry_run {
            let file = path.display().to_string();
            return Err(CliError::of(PlaceholdersLeft::in_cousin_config(
                &file,
                &placeholders,
            )));
        }
        let event = if let Some(sha) = &self.sha {
            SyncEvent::manual(Some(
                parse_full_sha(sha).map_err(|e| CliError::of(e).with_kind(ErrorKind::Usage))?,
            ))
        } else if self.latest {
            SyncEvent::manual(None)
        } else if let Some(path) = &path_or_fallback(self.event.clone(), "GITHUB_EVENT_PATH") {
            let rejected = |e| CliError::new(ErrorKind::Rejected, e);
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read event file `{}`", path.display()))
                .map_err(rejected)?;
            SyncEvent::from_json_str(&text, &path.display().to_string()).map_err(CliError::of)?
        } else {
            return Err(CliError::usage(anyhow::anyhow!(
                "nothing to sync: no `--event`, `--sha` or `--latest`"
            ))
            .hint(
                "run under a `repository_dispatch` workflow (which sets GITHUB_EVENT_PATH), or pass `--latest`",
            ));
        };
        let cousin = string_or_fallback(self.repo_name, "GITHUB_REPOSITORY")
            .map(|r| {
                RepoName::parse(&r)
                    .map_err(|e| CliError::of(e).context(format!("invalid `--repo-name` `{r}`")))
            })
            .transpose()?;
        if let Some(named) = &self.repropose {
            let this = cousin
                .clone()
                .or_else(|| ecosync::repo_name::infer_from_origin(&self.repo, "--repo-name").ok());
            if let Some(this) = this.filter(|t| t != named) {
                return Err(CliError::usage(anyhow::anyhow!(
                    "`--repropose {named}` names another repository than this one (`{this}`)"
                ))
                .hint(format!("run `--repropose {this}` to propose again here")));
            }
        }
        warn_about_credentials(&[
            ("`--cousin-url`", self.cousin_url.as_deref()),
            ("`upstream.url`", config.upstream_url.as_deref()),
        ]);
        let server_url = string_or_fallback(self.server_url, "GITHUB_SERVER_URL")
            .unwrap_or_else(|| self.forge.settings().default_server_url());
        let request = SyncRequest {
            config,
            config_file: Some(path),
            event,
            repo_dir: self.repo,
            cousin,
            cousin_url: self.cousin_url,
            dry_run: self.dry_run,
            committer: (self.committer_name, self.committer_email),
            server_url,
            run_id: string_or_fallback(self.run_id, "GITHUB_RUN_ID"),
            now: SystemTime::now(),
            single_commit: false,
            upstream_ref: None,
            repropose: self.repropose.is_some(),
            open_after: None,
            keep_failure_issue: false,
        };
        Ok((request, self.forge))
    }
}

/// Warns once when a configured URL carries a user name or password: it is never shown (every message
/// redacts it), but the forge's token, offered through git's credential callback, is the safer way.
fn warn_about_credentials(urls: &[(&str, Option<&str>)]) {
    let with: Vec<&str> = urls
        .iter()
        .filter(|(_, url)| url.is_some_and(has_credentials))
        .map(|(name, _)| *name)
        .collect();
    if !with.is_empty() {
        eprintln!(
            "warning: {} {} a user name or password; it is never shown, but prefer the forge's token \
             (`ECOSYNC_TOKEN`), which is offered to the forge's URLs without being written into one",
            with.join(" and "),
            if with.len() > 1 { "hold" } else { "holds" }
        );
    }
}

/// Runs `apply`.
pub fn run(args: ApplyArgs) -> CliResult {
    let audit = ecosync_cli::glue::open_audit_log(args.audit_log.as_deref())?;
    let (request, forge_args) = args.request()?;
    let (runtime, forge) = ecosync_cli::glue::runtime_and_forge(&forge_args)?;
    if let Some(id) = &request.event.dispatch_id {
        print_stdout(&format!("dispatch: {id}\n"))?;
    }
    let run = runtime
        .block_on(ecosync::sync::run(&request, &forge, audit.as_ref()))
        .map_err(CliError::of)?;
    let outcome = &run.outcome;
    let text = outcome.text(&request);
    print_stdout(&text.stdout)?;
    eprint!("{}", text.stderr);
    for note in run.notes(&request) {
        eprintln!("{note}");
    }
    if !request.dry_run
        && let Some(actions) = Actions::from_env()
    {
        write_actions(&actions, &request, outcome)?;
    }
    match run.outcome {
        SyncOutcome::Rejected(e) => Err(CliError::of(e)),
        SyncOutcome::Failed(f) => Err(CliError::of(f.error)),
        SyncOutcome::Conflict(c) if !request.dry_run => Err(CliError::of(c.error)),
        // A dry run's conflict: what would be reported was printed; the run still did not apply.
        SyncOutcome::Conflict(_) => Ok(Exit::Failed),
        _ => Ok(Exit::Success),
    }
}

/// Under Actions: `result` and `pull_request` in `$GITHUB_OUTPUT`, one line in `$GITHUB_STEP_SUMMARY`.
fn write_actions(
    actions: &Actions,
    request: &SyncRequest,
    outcome: &SyncOutcome,
) -> Result<(), CliError> {
    let pr = outcome.pull_request_url().unwrap_or_default();
    actions
        .set_outputs(&[("result", outcome.result()), ("pull_request", pr)])
        .map_err(CliError::of)?;
    actions
        .append_summary(&outcome.summary_line(request))
        .map_err(CliError::of)
}
