//! Loading the cousin's configuration file for `check` and `apply`, and printing its problems.

use std::path::{Path, PathBuf};

use ecosync::cousin_config::{ConfigOverrides, ConfigProblem, CousinConfig, DEFAULT_CONFIG_PATH};

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
    CousinConfig::from_json_str(&text, overrides)
        .map_err(|problems| problems.iter().map(|p| render(&shown, &text, p)).collect())
}

/// `error: FILE:LINE:COL: MESSAGE` plus a hint line.
fn render(file: &str, text: &str, p: &ConfigProblem) -> String {
    let place = match locate(text, &p.pointer) {
        Some((line, col)) => format!("{file}:{line}:{col}"),
        None => file.to_owned(),
    };
    let subject = if p.pointer.is_empty() {
        String::new()
    } else {
        format!("`{}`: ", p.pointer)
    };
    let mut s = format!("error: {place}: {subject}{}", p.message);
    if let Some(h) = &p.hint {
        s.push_str(&format!("\n  hint: {h}"));
    }
    s
}

/// The line and column of the value at a JSON pointer.
fn locate(text: &str, pointer: &str) -> Option<(usize, usize)> {
    let offset = ecosync::json_pointer_span::value_offset(text, pointer)?;
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Some((line, col))
}
