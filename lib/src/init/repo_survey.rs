//! `RepoSurvey`: what `init` reads of a repository before writing its starting files: its root, its
//! top-level folders and the branch its pushes go to.

use std::path::{Path, PathBuf};

use git2::Repository;

/// What `init` knows of a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RepoSurvey {
    /// The repository's root: with `.`, the root of the work tree containing the current directory (as
    /// git finds it); any other directory as given.
    pub root: PathBuf,
    /// The top-level folders, sorted: those of the `HEAD` commit when there is one (what is tracked), else
    /// those of the directory that git does not ignore. Hidden folders (`.github`, ...) are left out.
    pub folders: Vec<String>,
    /// The branch pushes go to: `origin`'s default branch when the clone knows it, else the branch checked
    /// out (also before its first commit), else `main`.
    pub branch: String,
}

impl RepoSurvey {
    /// Surveys `dir` (see [`RepoSurvey::root`]).
    pub fn of(dir: &Path) -> Self {
        let repo = if dir == Path::new(".") {
            Repository::discover(dir).ok()
        } else {
            Repository::open(dir).ok()
        };
        let root = repo
            .as_ref()
            .and_then(Repository::workdir)
            .map_or_else(|| dir.to_path_buf(), Path::to_path_buf)
            // git gives the work tree with a trailing `/`.
            .components()
            .collect::<PathBuf>();
        let folders = match repo.as_ref().and_then(head_folders) {
            Some(folders) => folders,
            None => work_tree_folders(&root, repo.as_ref()),
        };
        let branch = repo
            .as_ref()
            .and_then(default_branch)
            .unwrap_or_else(|| "main".to_owned());
        RepoSurvey {
            root,
            folders,
            branch,
        }
    }
}

fn visible(name: &str) -> bool {
    !name.starts_with('.')
}

/// The top-level trees of `HEAD`'s commit, or `None` before the first commit.
fn head_folders(repo: &Repository) -> Option<Vec<String>> {
    let tree = repo.head().ok()?.peel_to_tree().ok()?;
    let mut out: Vec<String> = tree
        .iter()
        .filter(|e| e.kind() == Some(git2::ObjectType::Tree))
        .filter_map(|e| e.name().ok().map(str::to_owned))
        .filter(|n| visible(n))
        .collect();
    out.sort();
    Some(out)
}

/// The directories directly in `root` that git does not ignore.
fn work_tree_folders(root: &Path, repo: Option<&Repository>) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| visible(n))
        .filter(|n| repo.is_none_or(|r| !r.is_path_ignored(n).unwrap_or(false)))
        .collect();
    out.sort();
    out
}

/// `origin/HEAD`'s branch, else the checked-out branch (born or not).
fn default_branch(repo: &Repository) -> Option<String> {
    let origin_head = repo
        .find_reference("refs/remotes/origin/HEAD")
        .ok()
        .and_then(|r| r.symbolic_target().ok().flatten().map(str::to_owned))
        .and_then(|t| t.strip_prefix("refs/remotes/origin/").map(str::to_owned));
    origin_head.or_else(|| {
        repo.find_reference("HEAD")
            .ok()?
            .symbolic_target()
            .ok()??
            .strip_prefix("refs/heads/")
            .map(str::to_owned)
    })
}
