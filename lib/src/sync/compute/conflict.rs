//! `Conflict`: a file where the upstream change and this repository disagree, and how, so every message
//! says what is really there: own edits, a file missing here, or a file deleted on one side.

use std::fmt;

/// How the two sides disagree about one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConflictKind {
    /// Both this repository and upstream changed it, in the same place.
    BothEdited,
    /// Upstream changed a file this repository does not have (it never had it, or deleted it).
    MissingHere,
    /// This repository changed a file upstream deleted.
    DeletedUpstream,
    /// Both sides added it, with different contents.
    BothAdded,
}

impl ConflictKind {
    /// What it means, in words.
    pub fn describe(self) -> &'static str {
        match self {
            ConflictKind::BothEdited => "edited here and upstream",
            ConflictKind::MissingHere => "missing here, changed upstream",
            ConflictKind::DeletedUpstream => "edited here, deleted upstream",
            ConflictKind::BothAdded => "added here and upstream, differently",
        }
    }
}

/// One conflicting file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Conflict {
    /// The path, relative to the cousin's root.
    pub path: String,
    /// How the sides disagree.
    pub kind: ConflictKind,
}

impl Conflict {
    /// The same conflict with its path under `dir`.
    #[must_use]
    pub fn under(&self, dir: &crate::repo_path::RepoPath) -> Conflict {
        Conflict {
            path: dir.join(&self.path),
            kind: self.kind,
        }
    }
}

impl fmt::Display for Conflict {
    /// `` `path` (how) ``, the path escaped onto one line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` ({})",
            crate::escape::line(&self.path),
            self.kind.describe()
        )
    }
}

/// The paths alone.
pub fn paths(conflicts: &[Conflict]) -> Vec<String> {
    conflicts.iter().map(|c| c.path.clone()).collect()
}
