//! `DirectSettings`: where and as whom the dispatcher delivers a push itself (modes `push`, `pull-request`,
//! `buffered-pr`): the source clone, the targets' cache, where their git lives, the committer.

use std::path::PathBuf;

use crate::config::{DEFAULT_COMMITTER_EMAIL, DEFAULT_COMMITTER_NAME};
use crate::forge::Forge;
use crate::repo_name::RepoName;

/// Where and as whom the dispatcher delivers changes itself.
#[derive(Debug, Clone)]
pub struct DirectSettings {
    /// The source repository's clone: changes are read from it (and, in mode `push`, pushed from it).
    pub source_dir: PathBuf,
    /// Where each target's cache repository is kept between runs (`DIR/owner/name`); `None` uses a
    /// temporary directory for the run.
    pub target_dir: Option<PathBuf>,
    /// Fetch from and push to `URL/owner/name.git` instead of the forge's address for each target (a
    /// mirror, GitHub Enterprise's git host, tests).
    pub git_base: Option<String>,
    /// The committer of the commits made (name, email).
    pub committer: (String, String),
    /// The forge's web address, for links in pull requests and issues.
    pub server_url: String,
    /// Compute every delivery, write nothing to any target (no push, no pull request, no issue).
    pub dry_run: bool,
    /// The targets to propose to again even though a rejection holds them (`--repropose`).
    pub repropose: Vec<RepoName>,
}

impl DirectSettings {
    /// The defaults for the source clone `source_dir`: a temporary cache, the forge's addresses, GitHub
    /// Actions' bot as committer.
    pub fn new(source_dir: PathBuf) -> Self {
        DirectSettings {
            source_dir,
            target_dir: None,
            git_base: None,
            committer: (
                DEFAULT_COMMITTER_NAME.to_owned(),
                DEFAULT_COMMITTER_EMAIL.to_owned(),
            ),
            server_url: "https://github.com".to_owned(),
            dry_run: false,
            repropose: Vec::new(),
        }
    }

    /// Where `repo`'s git lives.
    pub fn git_url(&self, forge: &Forge, repo: &RepoName) -> String {
        match &self.git_base {
            Some(base) => format!("{}/{repo}.git", base.trim_end_matches('/')),
            None => forge.git_url(repo),
        }
    }
}
