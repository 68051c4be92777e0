//! `WatchState`: what `dispatcher watch` has processed, kept in `--state-dir` so a restart resumes without
//! delivering anything twice: per watched branch, the last head seen and, per target that is behind it
//! (its delivery failed), the commit it was last delivered up to, with its failure count and when it may
//! be tried again.
//!
//! Written atomically (a temporary file renamed over the old one). A file from a newer version, or one that
//! does not parse, is an error that names the file: it is never silently reset, which would deliver again
//! or skip.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error_kind::UserError;

/// Only the version, read first: a newer file is refused before its shape is judged.
#[derive(Deserialize)]
struct Version {
    version: u32,
}

/// The state file's version this build writes and reads.
pub const STATE_VERSION: u32 = 1;

/// The file's name in the state directory.
pub const STATE_FILE: &str = "watch-state.json";

/// Why the state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum WatchStateError {
    /// Reading or writing failed.
    #[error("cannot {what} `{path}`")]
    Io {
        /// What was done.
        what: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The file does not parse.
    #[error("`{path}` is not a watch state file: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line and column.
        message: String,
    },
    /// Another watcher holds the state directory's lock.
    #[error(
        "another watcher{} is using the state directory `{}`",
        holder.map(|pid| format!(" (pid {pid})")).unwrap_or_default(),
        dir.display()
    )]
    Locked {
        /// The state directory.
        dir: PathBuf,
        /// The process holding the lock, as its lock file says.
        holder: Option<u32>,
    },
    /// The file was written by a newer ecosync.
    #[error(
        "`{path}` was written by a newer ecosync (state version {found}; this one reads {STATE_VERSION})"
    )]
    Newer {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
    },
}

impl UserError for WatchStateError {
    fn hint(&self) -> Option<String> {
        let hint = match self {
            WatchStateError::Io { .. } => {
                "check that `--state-dir` is a directory this user can write"
            }
            WatchStateError::Locked { .. } => {
                "two watchers on one state directory would deliver everything twice: stop the other one, \
                 or give each watcher its own `--state-dir`"
            }
            WatchStateError::Corrupt { .. } => {
                "fix or remove the file (removed, the watcher starts again from the branches' current heads)"
            }
            WatchStateError::Newer { .. } => {
                "run the newer ecosync, or point `--state-dir` at another directory"
            }
        };
        Some(hint.to_owned())
    }
}

/// A target behind its branch's head: its last delivery failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The commit it was last delivered up to (the base of the next range it gets).
    pub delivered: String,
    /// Failures in a row.
    pub failures: u32,
    /// When it may be tried again (milliseconds since the epoch).
    pub retry_at_ms: u64,
    /// The last error, for people.
    pub error: String,
    /// Not tried yet: recorded before its delivery started, so a watcher killed during the delivery
    /// makes it again at restart (and only it: every delivery that ended was recorded as it ended).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub queued: bool,
}

/// One watched branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BranchState {
    /// The last head processed: every target not in `pending` was delivered up to it (or needed nothing).
    pub head: String,
    /// Targets behind `head`, by repository.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending: BTreeMap<String, Pending>,
}

/// The whole state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchState {
    /// [`STATE_VERSION`].
    pub version: u32,
    /// Watched branches by name.
    pub branches: BTreeMap<String, BranchState>,
}

impl Default for WatchState {
    fn default() -> Self {
        WatchState {
            version: STATE_VERSION,
            branches: BTreeMap::new(),
        }
    }
}

impl WatchState {
    /// The state file in `dir`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(STATE_FILE)
    }

    /// Reads the state in `dir` (creating `dir` if needed); a missing file is a fresh state.
    pub fn load(dir: &Path) -> Result<WatchState, WatchStateError> {
        std::fs::create_dir_all(dir).map_err(|source| WatchStateError::Io {
            what: "create the state directory",
            path: dir.to_path_buf(),
            source,
        })?;
        let path = Self::path(dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(WatchState::default());
            }
            Err(source) => {
                return Err(WatchStateError::Io {
                    what: "read",
                    path,
                    source,
                });
            }
        };
        let corrupt = |e: serde_json::Error| WatchStateError::Corrupt {
            path: path.clone(),
            message: e.to_string(),
        };
        let version: Version = serde_json::from_str(&text).map_err(corrupt)?;
        if version.version > STATE_VERSION {
            return Err(WatchStateError::Newer {
                path,
                found: version.version,
            });
        }
        serde_json::from_str(&text).map_err(corrupt)
    }

    /// Writes the state to `dir` atomically.
    pub fn save(&self, dir: &Path) -> Result<(), WatchStateError> {
        let path = Self::path(dir);
        let io = |what: &'static str| {
            let path = path.clone();
            move |source| WatchStateError::Io { what, path, source }
        };
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io("write"))?;
        let text = serde_json::to_string_pretty(self)
            .map_err(std::io::Error::other)
            .map_err(io("write"))?
            + "\n";
        std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(io("write"))?;
        tmp.as_file().sync_all().map_err(io("write"))?;
        tmp.persist(&path).map_err(|e| io("write")(e.error))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(WatchState::load(dir.path()).unwrap(), WatchState::default());
        let mut s = WatchState::default();
        s.branches.insert(
            "main".into(),
            BranchState {
                head: "a".repeat(40),
                pending: BTreeMap::new(),
            },
        );
        s.save(dir.path()).unwrap();
        assert_eq!(WatchState::load(dir.path()).unwrap(), s);
        std::fs::write(
            WatchState::path(dir.path()),
            "{\"version\": 9, \"branches\": {}}",
        )
        .unwrap();
        let e = WatchState::load(dir.path()).unwrap_err();
        assert!(
            e.to_string().contains("newer ecosync (state version 9"),
            "{e}"
        );
        std::fs::write(WatchState::path(dir.path()), "{oops").unwrap();
        let e = WatchState::load(dir.path()).unwrap_err();
        assert!(e.to_string().contains("is not a watch state file"), "{e}");
    }
}
