//! GitHub Actions integration, written once for both binaries: step outputs (`$GITHUB_OUTPUT`), the job
//! summary (`$GITHUB_STEP_SUMMARY`), `::error`/`::warning` annotations, and the run's URL.
//!
//! One rule for both binaries: the integration is on only when `GITHUB_ACTIONS` is `true`; annotations go
//! to stdout (where the runner reads workflow commands), escaped so no message can start a command of its
//! own; a file that cannot be written is an error that names it, reported after everything else was done.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error_kind::UserError;
use crate::repo_name::RepoName;

/// A file of the runner's that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write `${var}` (`{}`)", path.display())]
pub struct ActionsError {
    /// The variable that names the file.
    pub var: &'static str,
    /// The file.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

impl UserError for ActionsError {}

/// Where GitHub Actions wants results, read from its environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actions {
    output: Option<PathBuf>,
    step_summary: Option<PathBuf>,
}

/// How bad an annotation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `::error`: red in the run's summary.
    Error,
    /// `::warning`: yellow.
    Warning,
}

impl Actions {
    /// The runner's files, when running under GitHub Actions (`GITHUB_ACTIONS=true`); `None` elsewhere.
    pub fn from_env() -> Option<Actions> {
        if std::env::var("GITHUB_ACTIONS").ok().as_deref() != Some("true") {
            return None;
        }
        let path = |v: &str| {
            std::env::var_os(v)
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
        };
        Some(Actions {
            output: path("GITHUB_OUTPUT"),
            step_summary: path("GITHUB_STEP_SUMMARY"),
        })
    }

    /// Appends `name=value` lines to `$GITHUB_OUTPUT`. Values are single-line by construction (numbers,
    /// words, URLs); a value with a line break is written with a random delimiter as the runner requires.
    pub fn set_outputs(&self, outputs: &[(&str, &str)]) -> Result<(), ActionsError> {
        let Some(path) = &self.output else {
            return Ok(());
        };
        let mut text = String::new();
        for (name, value) in outputs {
            if value.contains(['\n', '\r']) {
                let delimiter = format!("ecosync_{:016x}", fastrand::u64(..));
                _ = write!(text, "{name}<<{delimiter}\n{value}\n{delimiter}\n");
            } else {
                _ = writeln!(text, "{name}={value}");
            }
        }
        append(path, "GITHUB_OUTPUT", &text)
    }

    /// Appends markdown to the job summary.
    pub fn append_summary(&self, markdown: &str) -> Result<(), ActionsError> {
        match &self.step_summary {
            Some(path) => append(path, "GITHUB_STEP_SUMMARY", markdown),
            None => Ok(()),
        }
    }
}

fn append(path: &Path, var: &'static str, text: &str) -> Result<(), ActionsError> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|source| ActionsError {
            var,
            path: path.to_owned(),
            source,
        })
}

/// One annotation line (`::error title=...::message`), with its newline. The message's `%`, CR and LF
/// are escaped as the runner expects, so it stays one command; the title's `,` and `:` too.
pub fn annotation(level: Level, title: &str, message: &str) -> String {
    let level = match level {
        Level::Error => "error",
        Level::Warning => "warning",
    };
    format!(
        "::{level} title={}::{}\n",
        escape_property(title),
        escape_data(message)
    )
}

/// Escapes a workflow command's message (`%`, CR and LF).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (also `:` and `,`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The web address of a workflow run.
pub fn run_url(server_url: &str, repo: &RepoName, run_id: &str) -> String {
    format!(
        "{}/{repo}/actions/runs/{run_id}",
        server_url.trim_end_matches('/')
    )
}

/// The address of the workflow run this process is part of, from the runner's environment
/// (`GITHUB_RUN_ID`, `GITHUB_REPOSITORY`, `GITHUB_SERVER_URL`), when under GitHub Actions.
pub fn current_run_url(fallback_repo: &RepoName) -> Option<String> {
    let var = |v: &str| std::env::var(v).ok().filter(|s| !s.is_empty());
    if var("GITHUB_ACTIONS").as_deref() != Some("true") {
        return None;
    }
    let run = var("GITHUB_RUN_ID")?;
    let repo = var("GITHUB_REPOSITORY")
        .and_then(|r| RepoName::parse(&r).ok())
        .unwrap_or_else(|| fallback_repo.clone());
    let server = var("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into());
    Some(run_url(&server, &repo, &run))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_stay_one_command() {
        let line = annotation(Level::Error, "ecosync: a,b", "x\n::add-mask::y 100%");
        assert_eq!(
            line,
            "::error title=ecosync%3A a%2Cb::x%0A::add-mask::y 100%25\n"
        );
    }

    #[test]
    fn outputs_with_line_breaks_use_a_delimiter() {
        let dir = tempfile::tempdir().unwrap();
        let actions = Actions {
            output: Some(dir.path().join("out")),
            step_summary: None,
        };
        actions
            .set_outputs(&[("result", "applied"), ("text", "a\nb")])
            .unwrap();
        let text = std::fs::read_to_string(dir.path().join("out")).unwrap();
        assert!(text.starts_with("result=applied\ntext<<ecosync_"), "{text}");
        assert!(text.contains("\na\nb\necosync_"), "{text}");
        actions.append_summary("ignored").unwrap();
    }

    #[test]
    fn run_urls() {
        let repo = RepoName::parse("acme/mono").unwrap();
        assert_eq!(
            run_url("https://ghe.example.com/", &repo, "42"),
            "https://ghe.example.com/acme/mono/actions/runs/42"
        );
    }
}
