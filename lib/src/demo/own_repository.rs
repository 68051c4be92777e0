//! `copy_repository`: `dispatcher demo --from PATH`, the demo on a copy of the user's own repository.
//!
//! The user's repository is only read: its history up to the range's head (and base) is packed into a bare
//! repository of a local forge (the source), and nothing of the user's (a ref, its configuration, a file)
//! is written. `ecosystem.json` is read from the repository's work tree when it has one there (a file
//! `dispatcher init` just wrote counts), else from the head commit, and placed in the source's clone.
//!
//! Each enabled entry gets a downstream repository on the forge, seeded at the range's base so that the
//! delivery shows the push, not a first copy of everything:
//!
//! - a **fork** (the source's history up to the base) for a `push` entry, and for an entry whose
//!   subscriptions name no directory (`**`, `**/*.md`, `*.md`: its repository holds the whole source); in
//!   `dispatch` mode the fork adds a commit with its own `.github/ecosync.json` (strategy `merge`);
//! - else a **cousin**: one commit holding each directory the entry delivers (its `mapping` in the pull
//!   request modes, else each subscription's directory, as the dispatcher maps them), taken from the base,
//!   whose `Ecosync-Upstream:` trailer names the base, so the sync starts there; in `dispatch` mode with its
//!   own `.github/ecosync.json` subscribing to those directories.
//!
//! The push goes to the branch the head is on, unless no enabled entry takes it (a feature branch, when the
//! entries dispatch `main`): then to the first branch an entry names, and the demo says so.
//!
//! The forks and cousins borrow the source's objects (git's alternates) rather than copy them. A
//! `dispatch` entry's repository also gets a clone under `work/`, where `subscriber apply` runs. Names are
//! taken as written: a placeholder or a repository that does not exist is only a directory here.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use git2::build::{CheckoutBuilder, RepoBuilder, TreeUpdateBuilder};
use git2::{FileMode, Oid, Repository, RepositoryInitOptions, Signature, Time};

use crate::config::subscription::Subscription;
use crate::demo::demo_forge::{DemoForge, DemoTarget};
use crate::dispatch::ecosystem::delivery_mode::DeliveryMode;
use crate::dispatch::ecosystem::path_pattern::PathPattern;
use crate::dispatch::ecosystem::target_delivery::default_mapping;
use crate::dispatch::ecosystem::{Ecosystem, EcosystemInvalid, Entry};
use crate::error_kind::{ErrorKind, UserError};
use crate::git::short_oid;
use crate::repo_name::RepoName;
use crate::watch::watched_branches::watched;

/// What to copy and deliver.
#[derive(Debug, Clone)]
pub struct FromRequest {
    /// The user's repository (a work tree, or a directory in it, or a bare repository).
    pub from: PathBuf,
    /// The range's base [default: the head's first parent].
    pub base: Option<String>,
    /// The range's head [default: `HEAD`].
    pub head: Option<String>,
    /// Now, in seconds since the epoch: how old the head is decides the subscribers' `max_age`.
    pub now: i64,
}

/// Why the demo could not be built from the repository; nothing of it was changed.
#[derive(Debug, thiserror::Error)]
pub enum OwnRepositoryError {
    /// `--from` is not a git repository.
    #[error("`{}` is not a git repository: {}", .dir.display(), .source.message())]
    NotARepository {
        /// The directory given.
        dir: PathBuf,
        /// What git said.
        source: git2::Error,
    },
    /// A revision cannot be found.
    #[error("cannot find the commit `{rev}` in `{}`: {}", .dir.display(), .source.message())]
    Revision {
        /// As given.
        rev: String,
        /// The repository.
        dir: PathBuf,
        /// What git said.
        source: git2::Error,
    },
    /// The head has no parent, so there is no push to replay.
    #[error(
        "`{rev}` is the first commit of its history: there is no earlier commit to deliver it from"
    )]
    FirstCommit {
        /// The head, as given.
        rev: String,
    },
    /// No `ecosystem.json` in the work tree nor at the head.
    #[error("no `ecosystem.json` in `{}`, neither in its work tree nor at `{rev}`", .dir.display())]
    NoConfig {
        /// The repository.
        dir: PathBuf,
        /// The head, as given.
        rev: String,
    },
    /// `ecosystem.json` is invalid.
    #[error(transparent)]
    Config(#[from] EcosystemInvalid),
    /// A git operation on the demo's repositories failed.
    #[error("cannot build the demo in `{}`: {}", .dir.display(), .source.message())]
    Git {
        /// The demo's directory.
        dir: PathBuf,
        /// What git said.
        source: git2::Error,
    },
    /// A file of the demo could not be written.
    #[error("cannot write `{}`: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl UserError for OwnRepositoryError {
    /// What was asked for does not exist or cannot be used; writing the demo failed.
    fn kind(&self) -> ErrorKind {
        match self {
            OwnRepositoryError::Git { .. } | OwnRepositoryError::Io { .. } => ErrorKind::Failed,
            OwnRepositoryError::Config(e) => e.kind(),
            _ => ErrorKind::Usage,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            OwnRepositoryError::NotARepository { .. } => {
                Some("pass the directory of a clone: `--from PATH`".to_owned())
            }
            OwnRepositoryError::Revision { .. } => {
                Some("pass a commit or a ref of that repository".to_owned())
            }
            OwnRepositoryError::FirstCommit { .. } => Some(
                "pass `--base REV` and `--head REV` with the range to deliver, or try it after a second commit"
                    .to_owned(),
            ),
            OwnRepositoryError::NoConfig { .. } => Some(
                "write a starting one with `dispatcher init`, or try the sample: `dispatcher demo`".to_owned(),
            ),
            OwnRepositoryError::Config(e) => e.hint(),
            OwnRepositoryError::Git { .. } | OwnRepositoryError::Io { .. } => None,
        }
    }
}

/// Builds the demo under `root` (empty or absent) from the repository `request.from`.
pub fn copy_repository(
    root: &Path,
    request: &FromRequest,
) -> Result<DemoForge, OwnRepositoryError> {
    let user = Repository::discover(&request.from).map_err(|source| {
        OwnRepositoryError::NotARepository {
            dir: request.from.clone(),
            source,
        }
    })?;
    let head_rev = request.head.as_deref().unwrap_or("HEAD");
    let head = resolve(&user, head_rev, &request.from)?;
    let base = match &request.base {
        Some(rev) => resolve(&user, rev, &request.from)?,
        None => user
            .find_commit(head)
            .ok()
            .and_then(|c| c.parent_id(0).ok())
            .ok_or_else(|| OwnRepositoryError::FirstCommit {
                rev: head_rev.to_owned(),
            })?,
    };
    let (config_name, config_text) = read_config(&user, head, &request.from, head_rev)?;
    let (ecosystem, _) =
        Ecosystem::parse(&config_name, &config_text).map_err(|diagnostics| EcosystemInvalid {
            file: config_name.clone(),
            diagnostics,
        })?;
    let (branch, instead_of) =
        delivered_branch(&ecosystem, branch_of(&user, request.head.as_deref()));
    let builder = Builder {
        root: root.to_path_buf(),
        source: source_name(&user, &request.from),
        branch,
        now: request.now,
    };
    let g = |source| builder.git(source);

    // The source: the user's history, packed into a forge_source repository, and its clone.
    let source_bare = builder.bare_path(&builder.source);
    let forge_source = builder.init_bare(&source_bare, &builder.branch)?;
    copy_objects(&user, &forge_source, &[head, base]).map_err(g)?;
    forge_source
        .reference(
            &format!("refs/heads/{}", builder.branch),
            head,
            true,
            "demo: copy",
        )
        .map_err(g)?;
    let source_dir = builder.work_path(&builder.source);
    builder.clone(&source_bare, &source_dir, &builder.branch)?;
    let config_path = source_dir.join("ecosystem.json");
    if std::fs::read_to_string(&config_path).ok().as_deref() != Some(config_text.as_str()) {
        std::fs::write(&config_path, &config_text).map_err(|source| OwnRepositoryError::Io {
            path: config_path.clone(),
            source,
        })?;
    }

    let base_commit = forge_source.find_commit(base).map_err(g)?;
    let head_commit = forge_source.find_commit(head).map_err(g)?;
    let age_days = (request.now - head_commit.time().seconds()).max(0) / 86_400;
    let trees = [
        base_commit.tree().map_err(g)?,
        head_commit.tree().map_err(g)?,
    ];
    let is_dir = |p: &str| {
        trees.iter().any(|t| {
            t.get_path(Path::new(p))
                .is_ok_and(|e| e.kind() == Some(git2::ObjectType::Tree))
        })
    };
    let seed = Seed {
        bare: &forge_source,
        base: &base_commit,
        // The subscriber refuses commits older than `max_age` (30 days by default): the last push of a
        // quiet repository may be older.
        max_age: (age_days >= 25).then(|| format!("{}d", age_days + 30)),
    };
    let mut targets = Vec::new();
    for (i, entry) in ecosystem.entries().iter().enumerate() {
        let delivery = &ecosystem.deliveries()[i];
        let mapping = match &delivery.mapping {
            Some(m) if entry.mode.applies_changes() => m.clone(),
            _ => default_mapping(&entry.subscriptions, &is_dir),
        };
        let target = if !entry.enabled {
            DemoTarget {
                repo: entry.repo.clone(),
                built: "not built: the entry is disabled".to_owned(),
                on_forge: false,
                work_dir: None,
            }
        } else if entry.mode == DeliveryMode::Push
            || mapping.is_empty()
            || mapping.iter().any(|s| s.path.is_root())
        {
            builder.fork(entry, delivery.target_branch.as_deref(), &seed)?
        } else {
            builder.cousin(entry, delivery.target_branch.as_deref(), &mapping, &seed)?
        };
        targets.push(target);
    }
    let subject = head_commit
        .summary()
        .ok()
        .flatten()
        .unwrap_or_default()
        .to_owned();
    let explicit_range = request.base.is_some() && head_commit.parent_id(0).ok() != Some(base);
    let pushed = if explicit_range {
        format!(
            "{}..{} of `{}` to {} `{}`",
            short_oid(base),
            short_oid(head),
            request.from.display(),
            builder.source,
            builder.branch
        )
    } else {
        format!(
            "{} of `{}` to {} `{}`: \"{}\"",
            short_oid(head),
            request.from.display(),
            builder.source,
            builder.branch,
            crate::escape::line(&subject)
        )
    };
    let pushed = match instead_of {
        Some(yours) => format!(
            "{pushed}\n(on `{}` rather than `{yours}`, which no entry of ecosystem.json takes: see their `branches`)",
            builder.branch
        ),
        None => pushed,
    };
    Ok(DemoForge {
        root: root.to_path_buf(),
        source: builder.source.clone(),
        source_dir,
        branch: builder.branch.clone(),
        base,
        head,
        explicit_range,
        targets,
        pushed,
    })
}

/// The source's bare repository and the commit every downstream repository starts at.
struct Seed<'a> {
    bare: &'a Repository,
    base: &'a git2::Commit<'a>,
    max_age: Option<String>,
}

/// Where the demo's repositories go, and what they share.
struct Builder {
    root: PathBuf,
    source: RepoName,
    branch: String,
    now: i64,
}

impl Builder {
    fn git(&self, source: git2::Error) -> OwnRepositoryError {
        OwnRepositoryError::Git {
            dir: self.root.clone(),
            source,
        }
    }

    fn bare_path(&self, repo: &RepoName) -> PathBuf {
        self.root.join("forge").join(format!("{repo}.git"))
    }

    fn work_path(&self, repo: &RepoName) -> PathBuf {
        self.root.join("work").join(repo.owner()).join(repo.name())
    }

    fn init_bare(&self, path: &Path, branch: &str) -> Result<Repository, OwnRepositoryError> {
        let mut opts = RepositoryInitOptions::new();
        opts.bare(true).initial_head(branch);
        Repository::init_opts(path, &opts).map_err(|e| self.git(e))
    }

    fn clone(&self, bare: &Path, dir: &Path, branch: &str) -> Result<(), OwnRepositoryError> {
        let mut checkout = CheckoutBuilder::new();
        checkout.force();
        RepoBuilder::new()
            .branch(branch)
            .with_checkout(checkout)
            .clone(&bare.to_string_lossy(), dir)
            .map(drop)
            .map_err(|e| self.git(e))
    }

    /// A bare repository for `repo` that borrows the source's objects.
    fn borrowing_bare(
        &self,
        repo: &RepoName,
        branch: &str,
        seed: &Seed,
    ) -> Result<Repository, OwnRepositoryError> {
        let path = self.bare_path(repo);
        let bare = self.init_bare(&path, branch)?;
        let alternates = path.join("objects/info/alternates");
        let objects = std::path::absolute(seed.bare.path().join("objects")).map_err(|source| {
            OwnRepositoryError::Io {
                path: alternates.clone(),
                source,
            }
        })?;
        std::fs::write(&alternates, format!("{}\n", objects.display())).map_err(|source| {
            OwnRepositoryError::Io {
                path: alternates.clone(),
                source,
            }
        })?;
        // Opened again, so the borrowed objects are seen.
        drop(bare);
        Repository::open_bare(&path).map_err(|e| self.git(e))
    }

    fn signature(&self) -> Result<Signature<'static>, OwnRepositoryError> {
        Signature::new(
            "ecosync demo",
            "demo@ecosync.invalid",
            &Time::new(self.now, 0),
        )
        .map_err(|e| self.git(e))
    }

    /// The subscriber's configuration of a `dispatch` entry's repository.
    fn subscriber_config(&self, subscriptions: &[String], strategy: &str, seed: &Seed) -> String {
        let mut text = format!(
            "{{\n  \"upstream\": {{\"repo\": {}, \"branch\": {}}},\n  \"subscriptions\": [{}],\n  \"strategy\": \"{strategy}\"",
            json(self.source.as_str()),
            json(&self.branch),
            subscriptions.join(", ")
        );
        if let Some(age) = &seed.max_age {
            _ = write!(text, ",\n  \"max_age\": \"{age}\"");
        }
        text.push_str("\n}\n");
        text
    }

    /// A fork: the source's history up to the base; in `dispatch` mode, a commit of its own adds its
    /// `.github/ecosync.json`.
    fn fork(
        &self,
        entry: &Entry,
        target_branch: Option<&str>,
        seed: &Seed,
    ) -> Result<DemoTarget, OwnRepositoryError> {
        let branch = target_branch.unwrap_or(&self.branch).to_owned();
        let fork = self.borrowing_bare(&entry.repo, &branch, seed)?;
        let g = |e| self.git(e);
        let base_id = seed.base.id();
        let mut built = format!("a fork: the source's history up to {}", short_oid(base_id));
        if entry.mode != DeliveryMode::Push {
            built.push_str(" (its subscriptions name no directory, so it holds every file)");
        }
        let tip = if entry.mode == DeliveryMode::Dispatch {
            let config = self.subscriber_config(&["\"\"".to_owned()], "merge", seed);
            let blob = fork.blob(config.as_bytes()).map_err(g)?;
            let base_tree = fork.find_tree(seed.base.tree_id()).map_err(g)?;
            let mut update = TreeUpdateBuilder::new();
            update.upsert(".github/ecosync.json", blob, FileMode::Blob);
            let tree = update.create_updated(&fork, &base_tree).map_err(g)?;
            let tree = fork.find_tree(tree).map_err(g)?;
            let parent = fork.find_commit(base_id).map_err(g)?;
            let sig = self.signature()?;
            built.push_str(", and a commit adding its `.github/ecosync.json` (strategy `merge`)");
            fork.commit(
                None,
                &sig,
                &sig,
                "Subscribe to the source with ecosync",
                &tree,
                &[&parent],
            )
            .map_err(g)?
        } else {
            base_id
        };
        fork.reference(&format!("refs/heads/{branch}"), tip, true, "demo: fork")
            .map_err(g)?;
        self.target(entry, fork.path(), &branch, built)
    }

    /// A cousin: one commit with each mapped directory of the base at its place, and a trailer naming the
    /// base.
    fn cousin(
        &self,
        entry: &Entry,
        target_branch: Option<&str>,
        mapping: &[Subscription],
        seed: &Seed,
    ) -> Result<DemoTarget, OwnRepositoryError> {
        let branch = target_branch.unwrap_or("main").to_owned();
        let bare = self.borrowing_bare(&entry.repo, &branch, seed)?;
        let g = |e| self.git(e);
        let base_tree = seed.base.tree().map_err(g)?;
        let empty = bare.treebuilder(None).and_then(|b| b.write()).map_err(g)?;
        let mut start = bare.find_tree(empty).map_err(g)?;
        let mut update = TreeUpdateBuilder::new();
        for s in mapping {
            let Ok(found) = base_tree.get_path(Path::new(s.path.as_str())) else {
                continue;
            };
            if found.kind() != Some(git2::ObjectType::Tree) {
                continue;
            }
            if s.to.is_root() {
                start = bare.find_tree(found.id()).map_err(g)?;
            } else {
                update.upsert(s.to.as_str(), found.id(), FileMode::Tree);
            }
        }
        let described: Vec<String> = mapping.iter().map(Subscription::describe).collect();
        let mut built = format!(
            "a copy of {} at {}, its trailer naming that commit",
            described.join(", "),
            short_oid(seed.base.id())
        );
        if entry.mode == DeliveryMode::Dispatch {
            let subscriptions: Vec<String> = mapping
                .iter()
                .map(|s| {
                    if s.path == s.to {
                        json(s.path.as_str())
                    } else {
                        format!(
                            "{{\"path\": {}, \"to\": {}}}",
                            json(s.path.as_str()),
                            json(s.to.as_str())
                        )
                    }
                })
                .collect();
            let config = self.subscriber_config(&subscriptions, "diff-apply", seed);
            let blob = bare.blob(config.as_bytes()).map_err(g)?;
            update.upsert(".github/ecosync.json", blob, FileMode::Blob);
            built.push_str(", and its own `.github/ecosync.json`");
        }
        let tree = update.create_updated(&bare, &start).map_err(g)?;
        let tree = bare.find_tree(tree).map_err(g)?;
        let sig = self.signature()?;
        let message = format!(
            "Import {} from {}\n\nEcosync-Upstream: {}@{}\n",
            described.join(", "),
            self.source,
            self.source,
            seed.base.id()
        );
        let tip = bare
            .commit(None, &sig, &sig, &message, &tree, &[])
            .map_err(g)?;
        bare.reference(&format!("refs/heads/{branch}"), tip, true, "demo: cousin")
            .map_err(g)?;
        self.target(entry, bare.path(), &branch, built)
    }

    /// The target, with a clone for `subscriber apply` when the entry is delivered by dispatch.
    fn target(
        &self,
        entry: &Entry,
        bare: &Path,
        branch: &str,
        built: String,
    ) -> Result<DemoTarget, OwnRepositoryError> {
        let work_dir = if entry.mode == DeliveryMode::Dispatch {
            let dir = self.work_path(&entry.repo);
            self.clone(bare, &dir, branch)?;
            Some(dir)
        } else {
            None
        };
        Ok(DemoTarget {
            repo: entry.repo.clone(),
            built,
            on_forge: true,
            work_dir,
        })
    }
}

/// A JSON string.
fn json(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

fn resolve(repo: &Repository, rev: &str, dir: &Path) -> Result<Oid, OwnRepositoryError> {
    repo.revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map(|c| c.id())
        .map_err(|source| OwnRepositoryError::Revision {
            rev: rev.to_owned(),
            dir: dir.to_path_buf(),
            source,
        })
}

/// `ecosystem.json` of the work tree when there is one (named by its path), else of the head commit.
fn read_config(
    user: &Repository,
    head: Oid,
    dir: &Path,
    head_rev: &str,
) -> Result<(String, String), OwnRepositoryError> {
    if let Some(work) = user.workdir() {
        let path = work.join("ecosystem.json");
        if let Ok(text) = std::fs::read_to_string(&path) {
            return Ok((path.display().to_string(), text));
        }
    }
    let blob = user
        .find_commit(head)
        .and_then(|c| c.tree())
        .and_then(|t| t.get_path(Path::new("ecosystem.json")))
        .and_then(|e| e.to_object(user))
        .ok()
        .and_then(|o| o.into_blob().ok());
    match blob {
        Some(b) => Ok((
            format!("{head_rev}:ecosystem.json"),
            String::from_utf8_lossy(b.content()).into_owned(),
        )),
        None => Err(OwnRepositoryError::NoConfig {
            dir: dir.to_path_buf(),
            rev: head_rev.to_owned(),
        }),
    }
}

/// The source's name: from its `origin` remote, else `local/<directory name>`.
fn source_name(user: &Repository, dir: &Path) -> RepoName {
    let from_origin = user
        .find_remote("origin")
        .ok()
        .and_then(|r| r.url().ok().and_then(RepoName::from_git_url));
    from_origin.unwrap_or_else(|| {
        let root = user.workdir().unwrap_or_else(|| user.path());
        let folder = std::path::absolute(root)
            .unwrap_or_else(|_| dir.to_path_buf())
            .file_name()
            .map(|n| n.to_string_lossy().trim_end_matches(".git").to_owned())
            .unwrap_or_default();
        let name = crate::init::source_starter::repository_names(&[folder]).remove(0);
        RepoName::parse(&format!("local/{name}")).unwrap_or_else(|_| {
            RepoName::parse("local/source").unwrap_or_else(|_| unreachable!("a valid name"))
        })
    })
}

/// The branch the push went to: the head's branch when it names one (or, without `--head`, the branch
/// checked out), else `main`.
fn branch_of(user: &Repository, head: Option<&str>) -> String {
    if let Some(h) = head.filter(|h| *h != "HEAD") {
        return user
            .find_branch(h, git2::BranchType::Local)
            .ok()
            .and_then(|b| b.name().ok().flatten().map(str::to_owned))
            .unwrap_or_else(|| "main".to_owned());
    }
    user.head()
        .ok()
        .filter(git2::Reference::is_branch)
        .and_then(|r| r.shorthand().ok().map(str::to_owned))
        .unwrap_or_else(|| "main".to_owned())
}

/// The branch the demo pushes to: `branch` when an enabled entry takes it, else the first branch an
/// enabled entry names outright (`main` by default), so the delivery shows something; then `branch` is
/// returned too, to say so.
fn delivered_branch(ecosystem: &Ecosystem, branch: String) -> (String, Option<String>) {
    let enabled = || ecosystem.entries().iter().filter(|e| e.enabled);
    let patterns: Vec<Vec<PathPattern>> = enabled()
        .map(|e| {
            e.branches
                .iter()
                .filter_map(|b| PathPattern::parse_branch(b).ok())
                .collect()
        })
        .collect();
    if watched(&patterns, &branch) {
        return (branch, None);
    }
    let named = enabled()
        .flat_map(|e| e.branches.iter())
        .find(|b| !b.starts_with('!') && !b.contains(['*', '?', '[', '{', '\\']));
    match named {
        Some(b) => (b.clone(), Some(branch)),
        None => (branch, None),
    }
}

/// Packs the history reachable from `tips` in `from` into `to`'s object database. `from` is only read.
fn copy_objects(from: &Repository, to: &Repository, tips: &[Oid]) -> Result<(), git2::Error> {
    use std::io::Write as _;
    let mut walk = from.revwalk()?;
    for tip in tips {
        walk.push(*tip)?;
    }
    let mut pack = from.packbuilder()?;
    pack.set_threads(0);
    pack.insert_walk(&mut walk)?;
    let odb = to.odb()?;
    let mut writer = odb.packwriter()?;
    let mut failed = None;
    pack.foreach(|chunk| match writer.write_all(chunk) {
        Ok(()) => true,
        Err(e) => {
            failed = Some(e);
            false
        }
    })?;
    if let Some(e) = failed {
        return Err(git2::Error::from_str(&format!(
            "cannot write the pack: {e}"
        )));
    }
    writer.commit()?;
    Ok(())
}
