//! Loading the cousin's configuration file for `check` and `apply`, and printing its problems.

use std::path::{Path, PathBuf};

use ecosync::sync::cousin_config::{ConfigOverrides, CousinConfig, DEFAULT_CONFIG_PATH};

/// Where the configuration is: `--config`, else `.github/ecosync.json` in the repository.
pub fn config_path(config: Option<&Path>, repo: &Path) -> PathBuf {
    config
        .map(Path::to_path_buf)
        .unwrap_or_else(|| repo.join(DEFAULT_CONFIG_PATH))
}

/// Reads and checks the configuration; on failure returns every problem, rendered, one per entry.
pub fn load(path: &Path, overrides: &ConfigOverrides) -> Result<CousinConfig, Vec<String>> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![format!(
            "error: {shown}: cannot read the configuration: {e}\n  hint: create `{DEFAULT_CONFIG_PATH}` \
             or pass `--config FILE`"
        )]
    })?;
    CousinConfig::load(&shown, &text, overrides)
        .map_err(|diagnostics| diagnostics.iter().map(ToString::to_string).collect())
}
