//! `PlanRequest`: everything `dispatcher plan` (and `dispatch`) needs, turned into a [`Plan`].
//!
//! It opens the clone, loads `ecosystem.json`, chooses the two commits ([`RevisionRange`]) from explicit
//! revisions, the GitHub event or HEAD, works out the branch checked against each entry, computes the
//! [`ChangeSet`] and matches it. [`SourceLocation`] finds the clone and its `ecosystem.json` from `--repo`
//! and `--config`, also when run from a subdirectory.
//!
//! A plan of one [`Shard`] reads and names that shard's own watermark; [`PlanRequest::run_shards`] plans
//! every shard of N at once (for `--format matrix`), comparing the trees once per distinct range.

use std::path::{Component, Path, PathBuf};

use git2::Repository;

use crate::config::diagnostic::Diagnostic;
use crate::dispatch::ecosystem::subscription_matcher::MatcherError;
use crate::dispatch::ecosystem::{Ecosystem, EcosystemInvalid};
use crate::dispatch::plan::change_set::{ChangeSet, ChangeSetError};
use crate::dispatch::plan::github_event::{GitHubEvent, short_branch};
use crate::dispatch::plan::plan_outcome::PlanOutcome;
use crate::dispatch::plan::revision_range::{RangeChoice, RevisionRange};
use crate::dispatch::plan::shallow_clone::ShallowClone;
use crate::dispatch::plan::shard::Shard;
use crate::dispatch::plan::watermark::{
    self, WatermarkError, WatermarkNote, WatermarkRemote, WatermarkStatus,
};
use crate::dispatch::plan::{Plan, PlanMatchers};
use crate::error_kind::{ErrorKind, UserError};
use crate::git::GitAuth;

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// `ecosystem.json` is invalid.
    #[error(transparent)]
    Config(#[from] EcosystemInvalid),
    /// The directory is not a git repository.
    #[error(
        "`{dir}` is not a git repository; pass `--repo DIR` with the source repository's clone"
    )]
    Repository {
        /// The directory.
        dir: PathBuf,
        /// What git2 said.
        #[source]
        source: git2::Error,
    },
    /// The commits could not be resolved or compared.
    #[error(transparent)]
    Changes(#[from] ChangeSetError),
    /// The dispatch watermark could not be read.
    #[error(transparent)]
    Watermark(#[from] WatermarkError),
    /// The patterns could not be compiled.
    #[error(transparent)]
    Matcher(#[from] MatcherError),
}

impl UserError for PlanError {
    /// An invalid `ecosystem.json` must be fixed; anything else failed the run.
    fn kind(&self) -> ErrorKind {
        match self {
            PlanError::Config(e) => e.kind(),
            PlanError::Changes(e) => e.kind(),
            _ => ErrorKind::Failed,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            PlanError::Config(e) => e.hint(),
            PlanError::Changes(e) => e.hint(),
            PlanError::Watermark(e) => e.hint(),
            PlanError::Matcher(e) => e.hint(),
            PlanError::Repository { .. } => None,
        }
    }
}

/// How long what only served to build a plan is kept before it is freed (see [`PlanRequest::run`]).
const FREE_AFTER: std::time::Duration = std::time::Duration::from_millis(250);

/// libgit2's object cache turned off while it lives, and on again when dropped.
struct ObjectCacheOff;

impl ObjectCacheOff {
    fn new() -> Self {
        git2::opts::enable_caching(false);
        ObjectCacheOff
    }
}

impl Drop for ObjectCacheOff {
    fn drop(&mut self) {
        git2::opts::enable_caching(true);
    }
}

/// Where the source repository and its `ecosystem.json` are, and how to name the file in messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLocation {
    /// The clone's directory: its work tree's root when found from `.`.
    pub repo_dir: PathBuf,
    /// The `ecosystem.json` to read.
    pub config_path: PathBuf,
    /// How to name it in messages: `ecosystem.json` at the root, else a path that opens it from the
    /// current directory (`../../ecosystem.json`), else the path as given.
    pub config_name: String,
}

impl SourceLocation {
    /// Finds the repository and its configuration from `--repo` and `--config`, relative to the current
    /// directory. See [`SourceLocation::find_in`].
    pub fn find(repo: &Path, config: Option<&Path>) -> Self {
        match std::env::current_dir() {
            Ok(cwd) => Self::find_in(&cwd, repo, config),
            Err(_) => Self::as_given(repo, config),
        }
    }

    /// Finds the repository and its configuration from `--repo` and `--config`, as if run in `cwd`.
    ///
    /// `--repo .` (the default) means the repository containing `cwd`, as with git: its work tree's root is
    /// used, so `ecosystem.json` is found at the root when run from a subdirectory. Any other `--repo` is
    /// taken as it is (no search upwards: a mistyped path must not silently pick a parent repository).
    /// When no work tree contains `cwd`, `.` is kept, and opening it reports the problem later. `--config`
    /// is always taken as given, relative to `cwd`.
    pub fn find_in(cwd: &Path, repo: &Path, config: Option<&Path>) -> Self {
        let root = (repo == Path::new("."))
            .then(|| git2::Repository::discover(cwd).ok())
            .flatten()
            .and_then(|r| r.workdir().map(Path::to_path_buf))
            .and_then(|w| std::fs::canonicalize(w).ok());
        let Some(root) = root else {
            return Self::as_given(repo, config);
        };
        if let Some(c) = config {
            return SourceLocation {
                repo_dir: root,
                config_path: c.to_path_buf(),
                config_name: c.display().to_string(),
            };
        }
        let cwd = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
        let config_path = root.join("ecosystem.json");
        let config_name = match cwd.strip_prefix(&root) {
            Ok(below) => {
                let ups = below
                    .components()
                    .filter(|c| matches!(c, Component::Normal(_)))
                    .count();
                let mut name = "../".repeat(ups);
                name.push_str("ecosystem.json");
                name
            }
            Err(_) => config_path.display().to_string(),
        };
        SourceLocation {
            repo_dir: root,
            config_path,
            config_name,
        }
    }

    /// `--repo` and `--config` as given: `ecosystem.json` in `--repo` unless `--config` names the file.
    fn as_given(repo: &Path, config: Option<&Path>) -> Self {
        let (config_path, config_name) = match config {
            Some(c) => (c.to_path_buf(), c.display().to_string()),
            None if repo == Path::new(".") => {
                (PathBuf::from("ecosystem.json"), "ecosystem.json".to_owned())
            }
            None => {
                let p = repo.join("ecosystem.json");
                let name = p.display().to_string();
                (p, name)
            }
        };
        SourceLocation {
            repo_dir: repo.to_path_buf(),
            config_path,
            config_name,
        }
    }
}

/// What to plan: a validated request, built by the binaries from their arguments.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    /// The source repository's clone.
    pub repo_dir: PathBuf,
    /// The `ecosystem.json` to read.
    pub config_path: PathBuf,
    /// How to name it in messages.
    pub config_name: String,
    /// `--base`, when given.
    pub base: Option<String>,
    /// `--head`, when given.
    pub head: Option<String>,
    /// `--ref`, when given.
    pub git_ref: Option<String>,
    /// The GitHub event, when running in Actions.
    pub event: Option<GitHubEvent>,
    /// How to consult the dispatch watermark (`None`: not at all, `--no-watermark`).
    pub watermark: Option<WatermarkSettings>,
    /// Plan only the entries of this shard, with its own watermark (`--shard K/N`).
    pub shard: Option<Shard>,
}

/// The plan of each shard of N, in shard order ([`PlanRequest::run_shards`]).
pub type ShardPlans = Vec<(Shard, PlanOutcome)>;

/// How a plan consults the dispatch watermark on `origin`.
#[derive(Debug, Clone, Default)]
pub struct WatermarkSettings {
    /// Credentials for `origin` (none for a public or local one).
    pub auth: GitAuth,
    /// Plan the event's range even when the head is already dispatched (`--force`).
    pub force: bool,
}

/// What planning found, with what it had to say on the way.
#[derive(Debug)]
pub struct Planned<T> {
    /// The plan (or the plans of every shard).
    pub outcome: T,
    /// The configuration's warnings.
    pub warnings: Vec<Diagnostic>,
    /// The watermark could not be read, so the event's range was planned without it.
    pub watermark_skipped: Option<WatermarkError>,
}

impl PlanRequest {
    /// Makes the plan, reading the watermark with `auth` when given (then a watermark that cannot be read is
    /// an error); without, anonymously, and a watermark that cannot be read is skipped: the event's range is
    /// planned, and [`Planned::watermark_skipped`] says why.
    pub fn plan(self, auth: Option<GitAuth>) -> Result<Planned<PlanOutcome>, PlanError> {
        self.tolerant(auth, PlanRequest::run)
    }

    /// [`PlanRequest::plan`] of every shard of `count`, each with its own watermark.
    pub fn plan_shards(
        self,
        auth: Option<GitAuth>,
        count: u32,
    ) -> Result<Planned<ShardPlans>, PlanError> {
        self.tolerant(auth, |request| request.run_shards(count))
    }

    fn tolerant<T>(
        mut self,
        auth: Option<GitAuth>,
        plan: impl Fn(&PlanRequest) -> Result<(T, Vec<Diagnostic>), PlanError>,
    ) -> Result<Planned<T>, PlanError> {
        let required = auth.is_some();
        if let (Some(w), Some(auth)) = (&mut self.watermark, auth) {
            w.auth = auth;
        }
        match plan(&self) {
            Err(PlanError::Watermark(e)) if !required => {
                self.watermark = None;
                let (outcome, warnings) = plan(&self)?;
                Ok(Planned {
                    outcome,
                    warnings,
                    watermark_skipped: Some(e),
                })
            }
            other => other.map(|(outcome, warnings)| Planned {
                outcome,
                warnings,
                watermark_skipped: None,
            }),
        }
    }

    /// Makes the plan (of [`PlanRequest::shard`], when given). Returns it with the configuration's warnings.
    #[tracing::instrument(skip_all, fields(repo = %self.repo_dir.display()))]
    pub fn run(&self) -> Result<(PlanOutcome, Vec<Diagnostic>), PlanError> {
        let (mut outcomes, warnings) = self.run_each(&[self.shard])?;
        // `run_each` returns one outcome per shard asked for: here exactly one.
        Ok((outcomes.swap_remove(0), warnings))
    }

    /// Makes the plan of every shard of `count`, each with its own watermark (so each with its own range),
    /// in shard order. [`PlanRequest::shard`] is ignored.
    #[tracing::instrument(skip_all, fields(repo = %self.repo_dir.display(), count))]
    pub fn run_shards(&self, count: u32) -> Result<(ShardPlans, Vec<Diagnostic>), PlanError> {
        let shards: Vec<Option<Shard>> = Shard::all(count).map(Some).collect();
        let (outcomes, warnings) = self.run_each(&shards)?;
        Ok((Shard::all(count).zip(outcomes).collect(), warnings))
    }

    /// One outcome per shard of `shards` (`None`: every entry).
    fn run_each(
        &self,
        shards: &[Option<Shard>],
    ) -> Result<(Vec<PlanOutcome>, Vec<Diagnostic>), PlanError> {
        let first_shard = shards.first().copied().flatten();
        // Each tree is read once: libgit2's object cache would only copy them (a millisecond of a large
        // push). It is a process-wide setting, on again once the plans are made.
        let _no_cache = ObjectCacheOff::new();
        // The configuration is read, checked and compiled on a second thread while this one opens the
        // repository (libgit2's start-up) and compares the trees of the first shard's range: neither needs
        // the other until matching.
        let (config, first) = std::thread::scope(|scope| {
            let config = scope.spawn(|| self.load_config());
            let first = self.open().and_then(|opened| match opened {
                Opened::Stop(outcome) => Ok(First::Stop(outcome)),
                Opened::Source(source) => {
                    let step = self.watermarked(&source, first_shard)?;
                    let changes = match &step {
                        Step::Range { range, .. } => {
                            Some(ChangeSet::between(&source.repo, range.base, range.head)?)
                        }
                        Step::Stop(_) => None,
                    };
                    Ok(First::Compared(source, step, changes))
                }
            });
            // A panic on the configuration's thread is a bug; resume it here rather than hide it.
            let config = config
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (config, first)
        });
        // An invalid configuration is reported first, whatever happened to the repository.
        let (ecosystem, warnings, matchers) = config?;
        let (source, first_step, first_changes) = match first? {
            First::Stop(outcome) => return Ok((vec![outcome; shards.len()], warnings)),
            First::Compared(source, step, changes) => (source, step, changes),
        };
        // The changed paths of each distinct range: shards whose watermarks agree share one comparison.
        let mut compared: Vec<ChangeSet> = first_changes.into_iter().collect();
        let mut first_step = Some(first_step);
        let mut outcomes = Vec::with_capacity(shards.len());
        for &shard in shards {
            let step = match first_step.take() {
                Some(step) => step,
                None => self.watermarked(&source, shard)?,
            };
            let (range, note) = match step {
                Step::Stop(outcome) => {
                    outcomes.push(outcome);
                    continue;
                }
                Step::Range { range, note } => (range, note),
            };
            let known = compared
                .iter()
                .position(|c| c.base == range.base && c.head == range.head);
            let i = if let Some(i) = known {
                i
            } else {
                compared.push(ChangeSet::between(&source.repo, range.base, range.head)?);
                compared.len() - 1
            };
            // One shard (the common case): the changed paths move into the plan, uncopied.
            let changes = if shards.len() == 1 {
                compared.swap_remove(i)
            } else {
                compared[i].clone()
            };
            let mut plan = Plan::build_with(
                &ecosystem,
                &matchers,
                changes,
                source.git_ref.as_deref(),
                &range.description,
                shard,
            );
            plan.watermark = note;
            outcomes.push(PlanOutcome::Planned(plan));
        }
        // What only served to build the plans (the compiled patterns, the changed paths, libgit2's caches) is
        // freed on a thread of its own, off the path to the answer: on a large configuration and diff that is
        // milliseconds, and a command that exits next never waits.
        // A pause first: a command that prints the plan and exits (`dispatcher plan`) never spends it, while
        // a long-running caller (`dispatcher watch`) still gets the memory back.
        std::thread::spawn(move || {
            std::thread::sleep(FREE_AFTER);
            drop((ecosystem, matchers, compared, source));
        });
        Ok((outcomes, warnings))
    }

    /// Reads, checks and compiles `ecosystem.json`.
    fn load_config(&self) -> Result<(Ecosystem, Vec<Diagnostic>, PlanMatchers), PlanError> {
        let (ecosystem, warnings) =
            Ecosystem::load(&self.config_path, &self.config_name).map_err(|diagnostics| {
                EcosystemInvalid {
                    file: self.config_name.clone(),
                    diagnostics,
                }
            })?;
        let matchers = PlanMatchers::new(&ecosystem)?;
        Ok((ecosystem, warnings, matchers))
    }

    /// Opens the clone and chooses the range, before the watermark.
    fn open(&self) -> Result<Opened, PlanError> {
        // Like git itself, trust the local object database instead of re-hashing every object read: on a
        // large diff this check alone costs as much as the diff.
        git2::opts::strict_hash_verification(false);
        let repo = Repository::open(&self.repo_dir).map_err(|source| PlanError::Repository {
            dir: self.repo_dir.clone(),
            source,
        })?;
        let git_ref = self.git_ref(&repo);
        let (choice, kind) = self.choose_whole_range(&repo, git_ref.as_deref())?;
        Ok(match choice {
            RangeChoice::Range(range) => Opened::Source(Source {
                repo,
                git_ref,
                range,
                kind,
            }),
            RangeChoice::Deleted { before } => {
                Opened::Stop(PlanOutcome::BranchDeleted { git_ref, before })
            }
        })
    }

    /// The range of `shard` (or of every entry): the event's, moved by that shard's watermark.
    fn watermarked(&self, source: &Source, shard: Option<Shard>) -> Result<Step, PlanError> {
        let mut range = source.range.clone();
        let (Some(settings), Some(branch), Some(kind)) =
            (&self.watermark, &source.git_ref, source.kind)
        else {
            return Ok(Step::Range { range, note: None });
        };
        let note = apply_watermark(&source.repo, settings, branch, shard, kind, &mut range)?;
        if note.status == WatermarkStatus::AlreadyDispatched {
            return Ok(Step::Stop(PlanOutcome::AlreadyDispatched {
                git_ref: branch.clone(),
                head: range.head.to_string(),
                watermark: note,
            }));
        }
        Ok(Step::Range {
            range,
            note: Some(note),
        })
    }

    /// `--ref`, else the event's, else the current branch.
    fn git_ref(&self, repo: &Repository) -> Option<String> {
        if let Some(r) = &self.git_ref {
            return Some(short_branch(r).to_owned());
        }
        match &self.event {
            Some(GitHubEvent::Push { git_ref, .. }) => {
                return Some(short_branch(git_ref).to_owned());
            }
            Some(GitHubEvent::PullRequest { base_ref, .. }) => {
                return Some(short_branch(base_ref).to_owned());
            }
            Some(GitHubEvent::WorkflowDispatch { git_ref: Some(r) }) => {
                return Some(short_branch(r).to_owned());
            }
            _ => {}
        }
        let head = repo.head().ok()?;
        if head.is_branch() {
            head.shorthand().ok().map(str::to_owned)
        } else {
            None
        }
    }

    /// [`PlanRequest::choose_range`], in a shallow clone once its history is deep enough for the range:
    /// deepened from `origin` until the commits between the base and the head are all there (and a head
    /// without a base is a true root), or an error when `origin` cannot give more. Never a guessed range.
    fn choose_whole_range(
        &self,
        repo: &Repository,
        git_ref: Option<&str>,
    ) -> Result<(RangeChoice, Option<RangeKind>), ChangeSetError> {
        let auth = self
            .watermark
            .as_ref()
            .map(|w| w.auth.clone())
            .unwrap_or_default();
        let Some(mut shallow) = ShallowClone::of(repo, git_ref, auth) else {
            return self.choose_range(repo, git_ref);
        };
        loop {
            let chosen = self.choose_range(repo, git_ref);
            let missing = match &chosen {
                Ok((RangeChoice::Range(r), _)) if !ShallowClone::complete(repo, r.base, r.head) => {
                    Some(match r.base {
                        None => format!(
                            "`{}` is the boundary of its history, not a root commit",
                            crate::git::short_oid(r.head)
                        ),
                        Some(b) => format!(
                            "the history from {} to {} is not all in it",
                            crate::git::short_oid(b),
                            crate::git::short_oid(r.head)
                        ),
                    })
                }
                Ok(_)
                | Err(ChangeSetError::NoCommits { .. } | ChangeSetError::NotACommit { .. }) => None,
                Err(ChangeSetError::UnknownRevision { rev, .. }) => {
                    Some(format!("revision `{rev}` is not in it"))
                }
                Err(e) => Some(e.to_string()),
            };
            let Some(what) = missing else {
                return chosen;
            };
            if !shallow.deepen(&what)? {
                return chosen;
            }
        }
    }

    /// The range, and how the watermark may change it: `None` when it does not apply (a pull request, a
    /// manual run on HEAD).
    fn choose_range(
        &self,
        repo: &Repository,
        git_ref: Option<&str>,
    ) -> Result<(RangeChoice, Option<RangeKind>), ChangeSetError> {
        let choice = self.choose_range_only(repo, git_ref)?;
        let kind = match (&self.base, &self.head, &self.event) {
            (Some(_), _, _) => Some(RangeKind::ExplicitBase),
            (None, Some(_), _) | (None, None, Some(GitHubEvent::Push { .. })) => {
                Some(RangeKind::Push)
            }
            _ => None,
        };
        Ok((choice, kind))
    }

    fn choose_range_only(
        &self,
        repo: &Repository,
        git_ref: Option<&str>,
    ) -> Result<RangeChoice, ChangeSetError> {
        let default_branch = match &self.event {
            Some(GitHubEvent::Push { default_branch, .. }) => default_branch.as_deref(),
            _ => None,
        };
        match (&self.base, &self.head) {
            (Some(base), head) => {
                let head = head.as_deref().unwrap_or("HEAD");
                return RevisionRange::push(repo, base, head, git_ref, default_branch);
            }
            (None, Some(head)) => {
                return RevisionRange::against_first_parent(repo, head).map(RangeChoice::Range);
            }
            (None, None) => {}
        }
        match &self.event {
            Some(GitHubEvent::Push { before, after, .. }) => {
                RevisionRange::push(repo, before, after, git_ref, default_branch)
            }
            Some(GitHubEvent::PullRequest {
                base_sha, head_sha, ..
            }) => RevisionRange::pull_request(repo, base_sha, head_sha).map(RangeChoice::Range),
            Some(GitHubEvent::WorkflowDispatch { .. }) | None => {
                RevisionRange::against_first_parent(repo, "HEAD").map(RangeChoice::Range)
            }
        }
    }
}

/// The repository side of a plan: the clone and the event's range, or an outcome that needs no matching.
enum Opened {
    /// Nothing to compare: the branch was deleted.
    Stop(PlanOutcome),
    /// The clone and the range before the watermark.
    Source(Source),
}

/// The clone, the branch and the range before any watermark moved it.
struct Source {
    repo: Repository,
    git_ref: Option<String>,
    range: RevisionRange,
    kind: Option<RangeKind>,
}

/// What the repository side found while the configuration was being read: an outcome for every shard (a
/// deleted branch), or the clone with the first shard's range and, unless it stops there, its changed paths.
enum First {
    Stop(PlanOutcome),
    Compared(Source, Step, Option<ChangeSet>),
}

/// One shard's range, or an outcome that needs no matching (already dispatched).
enum Step {
    Stop(PlanOutcome),
    Range {
        range: RevisionRange,
        note: Option<WatermarkNote>,
    },
}

/// Where a range came from, for the watermark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RangeKind {
    /// A push event, or `--head` alone: the watermark may move the base.
    Push,
    /// `--base` was given: it wins.
    ExplicitBase,
}

/// Reads the watermark of `branch` (of its `shard`, when given) and moves `range`'s base to it where it
/// applies; says what it did.
fn apply_watermark(
    repo: &Repository,
    settings: &WatermarkSettings,
    branch: &str,
    shard: Option<Shard>,
    kind: RangeKind,
    range: &mut RevisionRange,
) -> Result<WatermarkNote, WatermarkError> {
    let git_ref = watermark::ref_name(branch, shard);
    // Whose watermark it is, in messages: `main`, or `main` (shard 2/4).
    let of = match shard {
        Some(shard) => format!("`{branch}` (shard {shard})"),
        None => format!("`{branch}`"),
    };
    let note = |commit: Option<git2::Oid>, status, message: String| WatermarkNote {
        git_ref: git_ref.clone(),
        commit: commit.map(|c| c.to_string()),
        status,
        message,
    };
    let Some(remote) = WatermarkRemote::origin(repo, settings.auth.clone()) else {
        return Ok(note(
            None,
            WatermarkStatus::Unavailable,
            "the clone has no `origin` remote, so there is no watermark: the range is the event's"
                .into(),
        ));
    };
    let Some(w) = remote.read(repo, &git_ref)? else {
        return Ok(note(
            None,
            WatermarkStatus::None,
            format!("none yet for {of} on `origin`; it starts at this run's head"),
        ));
    };
    let short = crate::git::short_oid(w);
    let head = range.head;
    if kind == RangeKind::ExplicitBase {
        return Ok(note(
            Some(w),
            WatermarkStatus::ExplicitBase,
            format!("`{git_ref}` is at {short}; `--base` was given, so it decides the range"),
        ));
    }
    if w == head || repo.graph_descendant_of(w, head)? {
        let (status, message) = if settings.force {
            (
                WatermarkStatus::Forced,
                format!("{of} was dispatched up to {short} already; `--force` sends it again"),
            )
        } else {
            (
                WatermarkStatus::AlreadyDispatched,
                format!(
                    "already dispatched: {of} was dispatched up to {short}, which includes `{head}`; \
                     nothing to send (`--force` sends it again)"
                ),
            )
        };
        return Ok(note(Some(w), status, message));
    }
    if !repo.graph_descendant_of(head, w)? {
        return Ok(note(
            Some(w),
            WatermarkStatus::ForcePush,
            format!(
                "{short} is not an ancestor of `{head}` (a force push?), so the event's range stands and                  commits only on the old history are not dispatched"
            ),
        ));
    }
    let Some(base) = range.base else {
        range.base = Some(w);
        range.description = format!("{short}..`{head}`, from the watermark");
        return Ok(note(
            Some(w),
            WatermarkStatus::Narrowed,
            format!("the range starts at the watermark {short}"),
        ));
    };
    if base == w {
        return Ok(note(
            Some(w),
            WatermarkStatus::AtBase,
            format!("at {short}, the range's base"),
        ));
    }
    if repo.graph_descendant_of(base, w)? {
        let skipped = watermark::first_parent_count(repo, w, base)?;
        let (commits, were) = commits_were(skipped);
        let message = format!(
            "range extended back to {short} over {skipped} {commits} that {were} never dispatched"
        );
        range.description = format!("{message} (the event's range was {})", range.description);
        range.base = Some(w);
        return Ok(note(Some(w), WatermarkStatus::Extended, message));
    }
    let done = watermark::first_parent_count(repo, base, w)?;
    let (commits, were) = commits_were(done);
    range.description = format!(
        "{short}..`{head}`: the first {done} {commits} of the event's range ({}) {were} dispatched already",
        range.description,
    );
    range.base = Some(w);
    Ok(note(
        Some(w),
        WatermarkStatus::Narrowed,
        format!("the range starts at {short}: the commits before it were dispatched already"),
    ))
}

/// `commit`/`was` or `commits`/`were`, for `n` commits.
fn commits_were(n: usize) -> (&'static str, &'static str) {
    if n == 1 {
        ("commit", "was")
    } else {
        ("commits", "were")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_with_subdir() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("src-repo");
        Repository::init(&root).unwrap();
        let sub = root.join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        let root = std::fs::canonicalize(&root).unwrap();
        (tmp, root, sub)
    }

    #[test]
    fn the_default_repo_is_the_work_tree_root_above_the_current_directory() {
        let (_tmp, root, sub) = repo_with_subdir();
        let at_root = SourceLocation::find_in(&root, Path::new("."), None);
        assert_eq!(at_root.repo_dir, root);
        assert_eq!(at_root.config_path, root.join("ecosystem.json"));
        assert_eq!(at_root.config_name, "ecosystem.json");
        let below = SourceLocation::find_in(&sub, Path::new("."), None);
        assert_eq!(below.repo_dir, root);
        assert_eq!(below.config_path, root.join("ecosystem.json"));
        assert_eq!(below.config_name, "../../ecosystem.json");
    }

    #[test]
    fn an_explicit_config_is_kept_as_given_and_the_repo_still_found() {
        let (_tmp, root, sub) = repo_with_subdir();
        let found = SourceLocation::find_in(&sub, Path::new("."), Some(Path::new("my.json")));
        assert_eq!(found.repo_dir, root);
        assert_eq!(found.config_path, PathBuf::from("my.json"));
        assert_eq!(found.config_name, "my.json");
    }

    #[test]
    fn an_explicit_repo_is_not_searched_upwards() {
        let (_tmp, root, sub) = repo_with_subdir();
        let found = SourceLocation::find_in(&root, &sub, None);
        assert_eq!(found.repo_dir, sub);
        assert_eq!(found.config_path, sub.join("ecosystem.json"));
        assert_eq!(
            found.config_name,
            sub.join("ecosystem.json").display().to_string()
        );
    }

    #[test]
    fn outside_any_repository_the_current_directory_is_kept() {
        let tmp = tempfile::tempdir().unwrap();
        // Unless the temporary directory itself is inside a work tree.
        if Repository::discover(tmp.path()).is_ok() {
            return;
        }
        let found = SourceLocation::find_in(tmp.path(), Path::new("."), None);
        assert_eq!(found.repo_dir, PathBuf::from("."));
        assert_eq!(found.config_name, "ecosystem.json");
    }
}
