//! `StarterFiles`: the files an `init` command writes into a repository, all or none, never over an
//! existing file.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error_kind::{ErrorKind, UserError};

/// One file to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StarterFile {
    /// Where, relative to the repository's root, with `/` separators.
    pub path: String,
    /// What it holds.
    pub contents: String,
    /// What it is, for people: `3 entries, one per top-level folder`.
    pub about: String,
}

/// The files of one `init`, for the repository at `root`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StarterFiles {
    /// The repository's root.
    pub root: PathBuf,
    /// The files, in the order they are written.
    pub files: Vec<StarterFile>,
    /// What to do next, one step each (a step may span lines).
    pub next_steps: Vec<String>,
}

/// Why the files were not written.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// Some of the files exist already: nothing was written.
    #[error(
        "{} already {} in `{}`; nothing was written",
        quoted(.existing),
        if .existing.len() == 1 { "exists" } else { "exist" },
        .root.display()
    )]
    Exists {
        /// The repository's root.
        root: PathBuf,
        /// The files that exist, relative to the root.
        existing: Vec<String>,
    },
    /// A file or directory could not be written; the files written before it were removed.
    #[error("cannot write `{}`: {source}", .path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

fn quoted(paths: &[String]) -> String {
    let q: Vec<String> = paths.iter().map(|p| format!("`{p}`")).collect();
    q.join(", ")
}

impl UserError for InitError {
    /// An existing file is the user's to move; a failed write failed the run.
    fn kind(&self) -> ErrorKind {
        match self {
            InitError::Exists { .. } => ErrorKind::Usage,
            InitError::Io { .. } => ErrorKind::Failed,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            InitError::Exists { .. } => Some(
                "init never overwrites a file: edit the existing one, or move it away and run init again"
                    .to_owned(),
            ),
            InitError::Io { .. } => None,
        }
    }
}

impl StarterFiles {
    /// The files that exist already (a file, a directory or a link of that name), relative to the root.
    pub fn existing(&self) -> Vec<String> {
        self.files
            .iter()
            .filter(|f| self.root.join(&f.path).symlink_metadata().is_ok())
            .map(|f| f.path.clone())
            .collect()
    }

    /// What was written, for people: the root, each file with what it holds, and the next steps.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "wrote {} files in {}\n",
            self.files.len(),
            self.root.display()
        );
        let width = self.files.iter().map(|f| f.path.len()).max().unwrap_or(0);
        for f in &self.files {
            _ = writeln!(out, "  {:<width$}  {}", f.path, f.about);
        }
        out.push_str("next:\n");
        for (i, step) in self.next_steps.iter().enumerate() {
            _ = writeln!(out, "  {}. {}", i + 1, step.replace('\n', "\n     "));
        }
        out
    }

    /// Writes every file, creating the directories they need, or none: when one exists (checked first,
    /// and again as each is created, so a file made meanwhile is never replaced), nothing is left written.
    pub fn write(&self) -> Result<(), InitError> {
        let existing = self.existing();
        if !existing.is_empty() {
            return Err(InitError::Exists {
                root: self.root.clone(),
                existing,
            });
        }
        let mut written: Vec<PathBuf> = Vec::new();
        for file in &self.files {
            let path = self.root.join(&file.path);
            match create_new(&path, &file.contents) {
                Ok(()) => written.push(path),
                Err(e) => {
                    for w in &written {
                        _ = std::fs::remove_file(w);
                    }
                    return Err(match e.kind() {
                        std::io::ErrorKind::AlreadyExists => InitError::Exists {
                            root: self.root.clone(),
                            existing: vec![file.path.clone()],
                        },
                        _ => InitError::Io { path, source: e },
                    });
                }
            }
        }
        Ok(())
    }
}

/// Creates `path` (and its directory) with `contents`, failing if it exists.
fn create_new(path: &Path, contents: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(root: &Path) -> StarterFiles {
        StarterFiles {
            root: root.to_path_buf(),
            files: vec![
                StarterFile {
                    path: "a.json".into(),
                    contents: "a\n".into(),
                    about: String::new(),
                },
                StarterFile {
                    path: ".github/workflows/b.yml".into(),
                    contents: "b\n".into(),
                    about: String::new(),
                },
            ],
            next_steps: Vec::new(),
        }
    }

    #[test]
    fn writes_every_file_with_its_directories() {
        let dir = tempfile::tempdir().unwrap();
        files(dir.path()).write().unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".github/workflows/b.yml")).unwrap(),
            "b\n"
        );
    }

    #[test]
    fn one_existing_file_means_none_is_written() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
        std::fs::write(dir.path().join(".github/workflows/b.yml"), "mine\n").unwrap();
        let err = files(dir.path()).write().unwrap_err();
        assert!(
            matches!(&err, InitError::Exists { existing, .. } if existing == &[".github/workflows/b.yml"])
        );
        assert!(
            err.to_string()
                .contains("`.github/workflows/b.yml` already exists"),
            "{err}"
        );
        assert!(!dir.path().join("a.json").exists());
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".github/workflows/b.yml")).unwrap(),
            "mine\n"
        );
    }
}
