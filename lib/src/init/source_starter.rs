//! `source_starter`: the starting files of a source repository, for `dispatcher init`: an
//! `ecosystem.json` with one entry per top-level folder, each sending that folder to a repository whose name
//! is a placeholder (`CHANGE-ME/<folder>`), and the dispatch workflow as shipped.

use std::fmt::Write as _;
use std::path::Path;

use crate::config::placeholder::PLACEHOLDER;
use crate::dispatch::plan::explain::literal_pattern;
use crate::init::repo_survey::RepoSurvey;
use crate::init::starter_files::{StarterFile, StarterFiles};

/// The dispatch workflow ecosync ships, as `init` writes it.
pub const DISPATCH_WORKFLOW: &str = include_str!("../../../workflows/dispatch_updates.yml");

/// Where `init` writes it.
pub const DISPATCH_WORKFLOW_PATH: &str = ".github/workflows/dispatch_updates.yml";

/// The starting files for the source repository at `dir` (`.`: the one containing the current
/// directory). When pushes go to a branch other than `main`, every entry and the workflow say so.
pub fn source_starter(dir: &Path) -> StarterFiles {
    let survey = RepoSurvey::of(dir);
    let names = repository_names(&survey.folders);
    let branches = if survey.branch == "main" {
        String::new()
    } else {
        format!(", \"branches\": [{}]", json(&survey.branch))
    };
    let mut entries: Vec<String> = survey
        .folders
        .iter()
        .zip(&names)
        .map(|(folder, name)| {
            format!(
                "  {{\"repo\": {}, \"subscriptions\": [{}]{branches}}}",
                json(&format!("{PLACEHOLDER}/{name}")),
                json(&literal_pattern(folder))
            )
        })
        .collect();
    let about = if entries.is_empty() {
        entries.push(format!(
            "  {{\"repo\": \"{PLACEHOLDER}/downstream\", \"subscriptions\": [\"**\"]{branches}}}"
        ));
        "1 entry: no folder was found, so it subscribes to everything (`**`)".to_owned()
    } else {
        format!(
            "{} {}, one per top-level folder",
            entries.len(),
            if entries.len() == 1 {
                "entry"
            } else {
                "entries"
            }
        )
    };
    let ecosystem = format!("[\n{}\n]\n", entries.join(",\n"));
    let workflow = if survey.branch == "main" {
        DISPATCH_WORKFLOW.to_owned()
    } else {
        DISPATCH_WORKFLOW.replacen(
            "    branches: [main]",
            &format!("    branches: [{}]", json(&survey.branch)),
            1,
        )
    };
    let mut about_workflow = "dispatches each push; plans and forecasts pull requests".to_owned();
    if survey.branch != "main" {
        _ = write!(about_workflow, ", on pushes to `{}`", survey.branch);
    }
    StarterFiles {
        root: survey.root,
        files: vec![
            StarterFile {
                path: "ecosystem.json".to_owned(),
                contents: ecosystem,
                about: about.clone(),
            },
            StarterFile {
                path: DISPATCH_WORKFLOW_PATH.to_owned(),
                contents: workflow,
                about: about_workflow,
            },
        ],
        next_steps: vec![
            format!(
                "in `ecosystem.json`, write each downstream repository's `owner/name` in place of\n\
                 `{PLACEHOLDER}/...`, and remove the entries no repository needs (`dispatcher validate`\n\
                 lists what is left)"
            ),
            "try it on this repository's last push, offline: `dispatcher demo --from .`".to_owned(),
            "commit both files; the workflow needs the secret `ECOSYNC_TOKEN` (see its header)"
                .to_owned(),
        ],
    }
}

/// A JSON string.
fn json(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// A repository name for each folder: characters GitHub does not allow in a name become `-`, and a name
/// taken by an earlier folder gets `-2`, `-3`, ....
pub(crate) fn repository_names(folders: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(folders.len());
    for folder in folders {
        let mut name: String = folder
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '-'
                }
            })
            .take(90)
            .collect();
        if name.is_empty() || name == "." || name == ".." {
            "folder".clone_into(&mut name);
        }
        let mut unique = name.clone();
        let mut n = 2;
        while out.iter().any(|o| o.eq_ignore_ascii_case(&unique)) {
            unique = format!("{name}-{n}");
            n += 1;
        }
        out.push(unique);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RepoName;

    #[test]
    fn every_folder_gets_a_valid_unique_repository_name() {
        let folders: Vec<String> = ["docs", "my app", "my-app", "Ünï", "a*b"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let names = repository_names(&folders);
        assert_eq!(names, ["docs", "my-app", "my-app-2", "-n-", "a-b"]);
        for n in names {
            RepoName::parse(&format!("{PLACEHOLDER}/{n}")).unwrap();
        }
    }

    #[test]
    fn the_workflow_is_the_shipped_one() {
        assert!(DISPATCH_WORKFLOW.contains("    branches: [main]"));
        assert!(DISPATCH_WORKFLOW.contains("dispatcher dispatch"));
    }
}
