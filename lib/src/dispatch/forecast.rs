//! `TargetForecast`: what each target's sync would do if a source pull request were merged, computed
//! before the merge, read-only.
//!
//! For every delivery of the plan (the targets the merged change reaches), the target's base branch is
//! fetched into a throwaway bare repository that borrows the source clone's objects (an alternate, so
//! nothing of the source is copied), its `.github/ecosync.json` is read from that branch, and the sync
//! engine ([`crate::sync::compute::change::compute`]) runs in memory as if the head were upstream's new commit. No
//! working tree, nothing pushed. Up to `concurrency` targets are forecast at once (their fetches run on
//! blocking threads), and the results keep the plan's order.

use std::fmt::Write as _;
use std::path::Path;

use futures_util::StreamExt;
use git2::{FetchOptions, Oid, Repository};
use serde::Serialize;

use crate::config::cousin_config::{ConfigOverrides, CousinConfig, DEFAULT_CONFIG_PATH};
use crate::dispatch::plan::{Delivery, Plan};
use crate::error_kind::error_chain;
use crate::forge::Forge;
use crate::git::{GitAuth, short_sha};
use crate::repo_name::RepoName;
use crate::sync::compute::change::{self, ChangeInput};
use crate::sync::compute::trailer;
use crate::sync::rejection::standing;
use crate::sync::rejection::target_standing::TargetStanding;

/// What a target's sync would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Forecast {
    /// It applies cleanly, changing this many files.
    Clean {
        /// Files changed in the target.
        files: usize,
    },
    /// It conflicts in these files.
    Conflicts {
        /// The conflicting files, in the target.
        files: Vec<String>,
    },
    /// The target's configuration subscribes to none of the changed paths.
    NotSubscribed,
    /// The target has the change already.
    AlreadyHasIt,
    /// It cannot be told.
    Unknown {
        /// Why (no access, no configuration, a shallow source clone).
        reason: String,
    },
}

/// One target's forecast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetForecast {
    /// The target.
    pub repo: RepoName,
    /// Its strategy, when its configuration was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    /// The branch the sync would target, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The forecast.
    #[serde(flatten)]
    pub forecast: Forecast,
    /// What holds the target back (`rejected`, `paused`, `reverted`), as the source records it: the sync
    /// would compute as forecast, and then not be proposed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standing: Option<Box<TargetStanding>>,
}

/// Forecasts every delivery of `plan`, with `source_dir` the source clone holding `plan.head`, at most
/// `concurrency` at once, with what `source` records of the targets held back (read once; a failure to
/// read leaves that out).
pub async fn forecast(
    plan: &Plan,
    source: &RepoName,
    source_dir: &Path,
    forge: &Forge,
    concurrency: usize,
) -> Vec<TargetForecast> {
    let mut forecasts: Vec<TargetForecast> = futures_util::stream::iter(&plan.deliveries)
        .map(|delivery| one(plan, delivery, source, source_dir, forge))
        .buffered(concurrency.max(1))
        .collect()
        .await;
    if forecasts.is_empty() {
        return forecasts;
    }
    match standing::recorded_all(forge, source).await {
        Ok(records) => {
            for f in &mut forecasts {
                f.standing = records
                    .iter()
                    .find(|s| s.target == f.repo && &s.upstream == source)
                    .and_then(TargetStanding::from_record)
                    .map(Box::new);
            }
        }
        Err(e) => {
            tracing::debug!(error = %e, "cannot read the records of rejections and reversals");
        }
    }
    forecasts
}

async fn one(
    plan: &Plan,
    delivery: &Delivery,
    source: &RepoName,
    source_dir: &Path,
    forge: &Forge,
) -> TargetForecast {
    let repo = delivery.repo.clone();
    let unknown = |reason: String, branch: Option<String>| TargetForecast {
        repo: repo.clone(),
        strategy: None,
        branch,
        forecast: Forecast::Unknown { reason },
        standing: None,
    };
    let branch = match forge.default_branch(&repo).await {
        Ok(b) => b,
        Err(e) => return unknown(format!("no access: {}", error_chain(&e)), None),
    };
    let auth = match forge.git_credentials(&repo).await {
        Ok(creds) => GitAuth {
            userpass: creds.map(|c| (c.username, c.password)),
        },
        Err(e) => return unknown(format!("no credentials: {}", error_chain(&e)), Some(branch)),
    };
    let Ok(head) = Oid::from_str(&plan.head) else {
        return unknown(format!("`{}` is not a commit id", plan.head), Some(branch));
    };
    let input = Input {
        source: source.clone(),
        source_dir: source_dir.to_path_buf(),
        url: forge.git_url(&repo),
        branch: branch.clone(),
        auth,
        head,
        paths: delivery.paths.clone(),
    };
    // git2 blocks: the fetch runs on a blocking thread, so other targets' fetches go on meanwhile.
    match tokio::task::spawn_blocking(move || in_scratch(&input)).await {
        Ok(Ok((strategy, forecast))) => TargetForecast {
            repo,
            strategy,
            branch: Some(branch),
            forecast,
            standing: None,
        },
        Ok(Err(e)) => unknown(e, Some(branch)),
        Err(e) => unknown(format!("the forecast stopped: {e}"), Some(branch)),
    }
}

struct Input {
    source: RepoName,
    source_dir: std::path::PathBuf,
    url: String,
    branch: String,
    auth: GitAuth,
    head: Oid,
    paths: Vec<String>,
}

/// Fetches the target's branch into a scratch repository and runs the engine there.
fn in_scratch(input: &Input) -> Result<(Option<String>, Forecast), String> {
    let scratch = tempfile::Builder::new()
        .prefix("ecosync-forecast-")
        .tempdir()
        .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
    let git = |e: git2::Error| format!("git: {}", e.message());
    let repo = Repository::init_bare(scratch.path()).map_err(git)?;
    let source = Repository::discover(&input.source_dir).map_err(git)?;
    let objects = source.path().join("objects");
    repo.odb()
        .and_then(|odb| odb.add_disk_alternate(&objects.to_string_lossy()))
        .map_err(git)?;
    let mut remote = repo.remote_anonymous(&input.url).map_err(git)?;
    let mut fo = FetchOptions::new();
    fo.remote_callbacks(input.auth.callbacks(&input.url));
    fo.update_fetchhead(false);
    fo.download_tags(git2::AutotagOption::None);
    let local = "refs/ecosync/forecast/base";
    remote
        .fetch(
            &[format!("+refs/heads/{}:{local}", input.branch)],
            Some(&mut fo),
            None,
        )
        .map_err(|e| {
            format!(
                "no access: cannot fetch `{}`: {}",
                input.branch,
                e.message()
            )
        })?;
    let base = repo
        .refname_to_id(local)
        .map_err(|_| format!("branch `{}` is empty or missing", input.branch))?;
    Ok(engine(&repo, base, input))
}

fn engine(repo: &Repository, base: Oid, input: &Input) -> (Option<String>, Forecast) {
    match run_engine(repo, base, input) {
        Ok(done) => done,
        Err(reason) => (None, Forecast::Unknown { reason }),
    }
}

/// The tree and conflicts of picking every upstream commit after `last` up to `upstream` onto `cousin`,
/// as a cherry-pick sync does (the commits go into the throwaway repository).
fn picked(
    repo: &Repository,
    config: &CousinConfig,
    cousin: &git2::Commit<'_>,
    upstream: &git2::Commit<'_>,
    last: Oid,
) -> Result<(Oid, Vec<crate::sync::compute::conflict::Conflict>), String> {
    use crate::sync::compute::pick_chain::{self, PickInput};
    let git = |e: git2::Error| format!("git: {}", e.message());
    let commits = pick_chain::commits_since(repo, upstream.id(), last).map_err(git)?;
    let message = crate::sync::compute::message::SyncMessage::new(config, upstream, Some(last));
    let committer =
        git2::Signature::now("ecosync forecast", "forecast@ecosync.invalid").map_err(git)?;
    let (chain, head) = pick_chain::pick(&PickInput {
        repo,
        subscriptions: &config.subscriptions,
        start: cousin.clone(),
        commits: &commits,
        message: &message,
        committer: &committer,
    })
    .map_err(|e| format!("the engine failed: {}", error_chain(&e)))?;
    let tree = repo.find_commit(head).map_err(git)?.tree_id();
    Ok((tree, chain.conflicts()))
}

fn run_engine(
    repo: &Repository,
    base: Oid,
    input: &Input,
) -> Result<(Option<String>, Forecast), String> {
    let git = |e: git2::Error| format!("git: {}", e.message());
    let cousin = repo.find_commit(base).map_err(git)?;
    let cousin_tree = cousin.tree().map_err(git)?;
    let Ok(entry) = cousin_tree.get_path(Path::new(DEFAULT_CONFIG_PATH)) else {
        return Err(format!(
            "no config: `{DEFAULT_CONFIG_PATH}` is not on `{}`",
            input.branch
        ));
    };
    let blob = repo.find_blob(entry.id()).map_err(git)?;
    let text = String::from_utf8_lossy(blob.content());
    let overrides = ConfigOverrides {
        upstream_repo: Some(input.source.clone()),
    };
    // The target's own file: its problems are its repository's text, shown escaped and cut.
    let config = CousinConfig::load(DEFAULT_CONFIG_PATH, &text, &overrides).map_err(|d| {
        let first = d
            .first()
            .map(|first| {
                let at = first
                    .location
                    .map(|l| format!(" at line {}, column {}", l.line, l.column))
                    .unwrap_or_default();
                format!(
                    ": {}{at}",
                    crate::escape::shown(&first.message).trim_end_matches('.')
                )
            })
            .unwrap_or_default();
        format!(
            "invalid config: `{DEFAULT_CONFIG_PATH}` on `{}` has {} problem(s){first}",
            input.branch,
            d.len()
        )
    })?;
    let strategy = Some(config.strategy.to_string());
    let concerned = config
        .subscriptions
        .iter()
        .any(|s| input.paths.iter().any(|p| s.path.contains(p)));
    if !concerned {
        return Ok((strategy, Forecast::NotSubscribed));
    }
    let upstream = repo.find_commit(input.head).map_err(|_| {
        format!(
            "shallow source: {} is not in the source clone; fetch it (`fetch-depth: 0`)",
            input.head
        )
    })?;
    let last = trailer::find_last_sync(repo, base, &config.upstream_repo, &[]).map_err(git)?;
    let last_synced = last.map(|l| l.upstream_sha);
    if let Some(l) = last_synced {
        if repo.find_commit(l).is_err() {
            return Err(format!(
                "shallow source: the last synced commit {l} is not in the source clone; fetch with \
                 `fetch-depth: 0`"
            ));
        }
        if l == input.head || repo.graph_descendant_of(l, input.head).unwrap_or(false) {
            return Ok((strategy, Forecast::AlreadyHasIt));
        }
    }
    if config.strategy.merges_history()
        && (base == input.head || repo.graph_descendant_of(base, input.head).unwrap_or(false))
    {
        return Ok((strategy, Forecast::AlreadyHasIt));
    }
    let engine_failed = |e: crate::sync::compute::change::SyncChangeError| {
        format!("the engine failed: {}", error_chain(&e))
    };
    let (tree, conflicts) = match (config.strategy.stacks(), last_synced) {
        // Cherry-pick after an earlier sync: every commit since it, picked in turn, as the sync will.
        (true, Some(last)) => picked(repo, &config, &cousin, &upstream, last)?,
        (stacks, _) => {
            // A first cherry-pick sync brings the mapped directories, as diff-apply's first sync does.
            let strategy = if stacks {
                crate::config::strategy::Strategy::DiffApply
            } else {
                config.strategy
            };
            let change = change::compute(&ChangeInput {
                repo,
                strategy,
                subscriptions: &config.subscriptions,
                cousin: &cousin,
                upstream: &upstream,
                last_synced,
                backfill: &[],
            })
            .map_err(engine_failed)?;
            (change.tree(repo).map_err(git)?, change.conflicts)
        }
    };
    if !conflicts.is_empty() {
        let files = conflicts.iter().map(|c| c.path.clone()).collect();
        return Ok((strategy, Forecast::Conflicts { files }));
    }
    let new_tree = repo.find_tree(tree).map_err(git)?;
    let diff = repo
        .diff_tree_to_tree(Some(&cousin_tree), Some(&new_tree), None)
        .map_err(git)?;
    Ok(match diff.deltas().len() {
        0 => (strategy, Forecast::AlreadyHasIt),
        files => (strategy, Forecast::Clean { files }),
    })
}

/// The forecasts as JSON: `{"base", "head", "targets": [...]}`, pretty-printed with a final newline.
pub fn to_json(plan: &Plan, forecasts: &[TargetForecast]) -> String {
    let value = serde_json::json!({
        "base": plan.base,
        "head": plan.head,
        "targets": forecasts,
    });
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
}

fn describe(f: &Forecast) -> String {
    match f {
        Forecast::Clean { files } => format!("clean ({files} file(s))"),
        Forecast::Conflicts { files } => format!(
            "conflicts in {}",
            files
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Forecast::NotSubscribed => "not subscribed".to_owned(),
        Forecast::AlreadyHasIt => "already has it".to_owned(),
        Forecast::Unknown { reason } => format!("unknown: {reason}"),
    }
}

/// One line per target, for people.
pub fn to_text(plan: &Plan, forecasts: &[TargetForecast]) -> String {
    let mut s = format!(
        "forecast for {} (as if merged onto {}):\n",
        short_sha(&plan.head),
        short_sha(&plan.base)
    );
    if forecasts.is_empty() {
        s.push_str("  no target would receive this change\n");
    }
    for f in forecasts {
        let strategy = f
            .strategy
            .as_deref()
            .map_or_else(String::new, |st| format!(" [{st}]"));
        _ = writeln!(s, "  {}{strategy}: {}", f.repo, describe(&f.forecast));
        if let Some(standing) = &f.standing {
            _ = writeln!(s, "    held back: {}", standing.text);
        }
    }
    s
}

/// A table for a pull request comment or `$GITHUB_STEP_SUMMARY`.
pub fn to_markdown(plan: &Plan, forecasts: &[TargetForecast]) -> String {
    let mut s = format!(
        "### ecosync forecast\n\nWhat each downstream sync would do once `{}` is merged:\n\n\
         | Target | Strategy | Forecast |\n| --- | --- | --- |\n",
        short_sha(&plan.head)
    );
    for f in forecasts {
        _ = writeln!(
            s,
            "| `{}` | {} | {} |",
            f.repo,
            f.strategy.as_deref().unwrap_or("-"),
            match &f.standing {
                Some(standing) => format!(
                    "{}; **held back:** {}",
                    describe(&f.forecast),
                    standing.text
                ),
                None => describe(&f.forecast),
            }
            .replace('|', "\\|")
        );
    }
    if forecasts.is_empty() {
        s.push_str("| - | - | no target would receive this change |\n");
    }
    s
}
