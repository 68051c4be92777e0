//! `DirectArgs`: the options of the modes in which the dispatcher delivers a push itself (`push`,
//! `pull-request`, `buffered-pr`), shared by `dispatch`, `flush` and `watch`.

use std::path::{Path, PathBuf};

use clap::Args;
use ecosync::config::{DEFAULT_COMMITTER_EMAIL, DEFAULT_COMMITTER_NAME};
use ecosync::dispatch::deliver::direct_settings::DirectSettings;
use ecosync_cli::cli_env::string_or_fallback;
use ecosync_cli::forge_args::ForgeArgs;

/// Where the dispatcher keeps its copies of the targets and as whom it commits.
#[derive(Debug, Clone, Args)]
pub struct DirectArgs {
    /// Keep each target's cache repository in DIR/<owner>/<name> between runs, so later runs fetch only
    /// what is new [default: a temporary directory per run].
    #[arg(long, env = "ECOSYNC_TARGET_DIR", value_name = "DIR")]
    pub target_dir: Option<PathBuf>,

    /// Fetch from and push to URL/<owner>/<name>.git instead of the forge's address for each target (a
    /// mirror, or GitHub Enterprise's git host) [default: the forge's].
    #[arg(long, env = "ECOSYNC_GIT_BASE", value_name = "URL")]
    pub git_base: Option<String>,

    /// The name on the commits the dispatcher makes.
    #[arg(long, env = "ECOSYNC_COMMITTER_NAME", default_value = DEFAULT_COMMITTER_NAME)]
    pub committer_name: String,

    /// The email on the commits the dispatcher makes.
    #[arg(long, env = "ECOSYNC_COMMITTER_EMAIL", default_value = DEFAULT_COMMITTER_EMAIL)]
    pub committer_email: String,

    /// The forge's web address, for links in pull requests and issues [default: `$GITHUB_SERVER_URL`, else
    /// `https://github.com`].
    #[arg(long, env = "ECOSYNC_SERVER_URL", value_name = "URL")]
    pub server_url: Option<String>,
}

impl DirectArgs {
    /// The settings for the source clone `source_dir`, delivering to `forge` (whose address links point at
    /// when neither `--server-url` nor `GITHUB_SERVER_URL` is given).
    pub fn settings(&self, source_dir: &Path, forge: &ForgeArgs) -> DirectSettings {
        let mut s = DirectSettings::new(source_dir.to_path_buf());
        s.target_dir.clone_from(&self.target_dir);
        s.git_base.clone_from(&self.git_base);
        s.committer = (self.committer_name.clone(), self.committer_email.clone());
        s.server_url = string_or_fallback(self.server_url.clone(), "GITHUB_SERVER_URL")
            .unwrap_or_else(|| forge.settings().default_server_url());
        s
    }
}
