//! The source repository every command that talks about it names: `--source-repo`, else GitHub Actions'
//! `GITHUB_REPOSITORY`, else the clone's `origin` remote.

use ecosync::RepoName;
use ecosync_cli::cli_env::string_or_fallback;
use ecosync_cli::glue::CliError;

const SOURCE_HINT: &str = "GitHub Actions sets GITHUB_REPOSITORY";

/// The source repository: `--source-repo`, else `$GITHUB_REPOSITORY`, else the `origin` remote of `repo`.
pub fn source_repo(flag: Option<String>, repo: &std::path::Path) -> Result<RepoName, CliError> {
    match &string_or_fallback(flag, "GITHUB_REPOSITORY") {
        Some(s) => RepoName::parse(s)
            .map_err(|e| CliError::of(e).context(format!("invalid `--source-repo` `{s}`"))),
        None => ecosync::repo_name::infer_from_origin(repo, "--source-repo")
            .map_err(|e| CliError::of(e).hint(SOURCE_HINT)),
    }
}
