//! `dispatcher forge`: on the local forge, what a person does with GitHub's buttons on a pull request
//! (merge it, close it without merging, reopen it) and a list of a repository's pull requests, so the whole
//! loop can be tried offline.

use std::fmt::Write as _;

use clap::{Args, Subcommand, ValueEnum};
use ecosync::forge::local::{LocalForge, MergeMethod};
use ecosync::{Forge, RepoName};
use ecosync_cli::forge_args::ForgeArgs;
use ecosync_cli::glue::{CliError, CliResult, Exit, print_stdout};

/// Merge, close or reopen the local forge's pull requests as GitHub's buttons do, or list them.
#[derive(Debug, Args)]
pub struct ForgeCommand {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// List a repository's pull requests: open, merged, closed and by whom.
    Pulls(Repo),
    /// Merge a pull request into its base: a merge commit, a squash or a rebase.
    Merge(MergeArgs),
    /// Close a pull request without merging it: for ecosync, a rejection of the change it carries.
    Close(CloseArgs),
    /// Reopen a pull request closed without merging: ecosync proposes its change again.
    Reopen(Pull),
}

/// A repository on the local forge.
#[derive(Debug, Args)]
struct Repo {
    /// The repository, `owner/name`.
    repo: RepoName,
    #[command(flatten)]
    forge: ForgeArgs,
}

/// One pull request of a repository on the local forge.
#[derive(Debug, Args)]
struct Pull {
    /// The repository, `owner/name`.
    repo: RepoName,
    /// The pull request's number (`dispatcher forge pulls OWNER/NAME` lists them).
    number: u64,
    #[command(flatten)]
    forge: ForgeArgs,
}

#[derive(Debug, Args)]
struct MergeArgs {
    #[command(flatten)]
    pull: Pull,
    /// How to merge, as GitHub's merge button offers.
    #[arg(long, env = "ECOSYNC_METHOD", value_enum, default_value_t = Method::Merge)]
    method: Method,
    /// Who merges it.
    #[arg(
        long = "as",
        env = "ECOSYNC_AS",
        value_name = "USER",
        default_value = "you"
    )]
    by: String,
}

#[derive(Debug, Args)]
struct CloseArgs {
    #[command(flatten)]
    pull: Pull,
    /// Who closes it.
    #[arg(
        long = "as",
        env = "ECOSYNC_AS",
        value_name = "USER",
        default_value = "you"
    )]
    by: String,
    /// A last comment, as a reviewer would leave one.
    #[arg(long, env = "ECOSYNC_MESSAGE", value_name = "TEXT")]
    message: Option<String>,
}

/// GitHub's three ways to merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Method {
    /// A merge commit.
    Merge,
    /// One commit with the pull request's title and description.
    Squash,
    /// Each commit made anew on the base.
    Rebase,
}

impl ForgeCommand {
    /// Runs the command.
    pub fn run(&self) -> CliResult {
        let (repo, forge_args) = match &self.action {
            Action::Pulls(r) => (&r.repo, &r.forge),
            Action::Reopen(p) => (&p.repo, &p.forge),
            Action::Merge(m) => (&m.pull.repo, &m.pull.forge),
            Action::Close(c) => (&c.pull.repo, &c.pull.forge),
        };
        let (runtime, forge) = ecosync_cli::glue::runtime_and_forge(forge_args)?;
        let Forge::Local(forge) = forge else {
            return Err(CliError::usage(anyhow::anyhow!(
                "`dispatcher forge` acts on the local forge only"
            ))
            .hint("pass `--forge local:DIR`; on GitHub, use its own buttons or `gh pr merge`"));
        };
        let line = match &self.action {
            Action::Pulls(_) => return list(&forge, repo),
            Action::Merge(MergeArgs { pull, method, by }) => {
                let method = match method {
                    Method::Merge => MergeMethod::Merge,
                    Method::Squash => MergeMethod::Squash,
                    Method::Rebase => MergeMethod::Rebase,
                };
                let commit = runtime
                    .block_on(forge.merge_pull_request(repo, pull.number, method, by))
                    .map_err(CliError::of)?;
                format!(
                    "merged #{} of {repo} ({method}) as {}, by {by}",
                    pull.number,
                    ecosync::git::short_oid(commit)
                )
            }
            Action::Close(CloseArgs { pull, by, message }) => {
                runtime
                    .block_on(forge.close_pull_request_as(
                        repo,
                        pull.number,
                        by,
                        message.as_deref(),
                    ))
                    .map_err(CliError::of)?;
                format!("closed #{} of {repo} without merging, by {by}", pull.number)
            }
            Action::Reopen(pull) => {
                runtime
                    .block_on(forge.reopen_pull_request(repo, pull.number))
                    .map_err(CliError::of)?;
                format!("reopened #{} of {repo}", pull.number)
            }
        };
        print_stdout(&format!("{line}\n"))?;
        Ok(Exit::Success)
    }
}

/// Prints one line per pull request: number, state, title, branches, and who closed it.
fn list(forge: &LocalForge, repo: &RepoName) -> CliResult {
    let mut out = String::new();
    for p in forge.pulls(repo).map_err(CliError::of)? {
        let state = match (&p.merged_commit, p.state.as_str()) {
            (Some(_), _) => "merged",
            (None, "open") => "open",
            _ => "closed",
        };
        let by = p
            .closed_by
            .as_deref()
            .map(|b| format!(" by {b}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "#{} {state}{by}: {} ({} -> {})",
            p.number,
            ecosync::escape::line(&p.title),
            p.head,
            p.base
        );
    }
    if out.is_empty() {
        out = format!("{repo} has no pull request\n");
    }
    print_stdout(&out)?;
    Ok(Exit::Success)
}
