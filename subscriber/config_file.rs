//! Loading the cousin's configuration file for `check` and `apply`.

use std::path::{Path, PathBuf};

use ecosync::config::cousin_config::{ConfigOverrides, CousinConfig, DEFAULT_CONFIG_PATH};
use ecosync::config::diagnostic::Diagnostic;

/// Where the configuration is: `--config`, else `.github/ecosync.json` in the repository.
pub fn config_path(config: Option<&Path>, repo: &Path) -> PathBuf {
    config.map_or_else(|| repo.join(DEFAULT_CONFIG_PATH), Path::to_path_buf)
}

/// Reads and checks the configuration; on failure returns every problem.
pub fn load(path: &Path, overrides: &ConfigOverrides) -> Result<CousinConfig, Vec<Diagnostic>> {
    load_with_placeholders(path, overrides).map(|(config, _)| config)
}

/// [`load`], with one warning per placeholder `subscriber init` left in the file.
pub fn load_with_placeholders(
    path: &Path,
    overrides: &ConfigOverrides,
) -> Result<(CousinConfig, Vec<Diagnostic>), Vec<Diagnostic>> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![
            Diagnostic::error(&shown, format!("cannot read the configuration: {e}")).hint(format!(
                "create `{DEFAULT_CONFIG_PATH}` or pass `--config FILE`"
            )),
        ]
    })?;
    CousinConfig::load_with_placeholders(&shown, &text, overrides)
}
