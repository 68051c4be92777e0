//! `ChangeSummary`: the files a sync changes, with their line counts and a unified diff (rendered with
//! `similar`), for the dry run's output and the pull request body. Paths are kept as they are and escaped
//! only where shown ([`crate::escape::line`]), since git allows any byte but `/` and NUL in a file name.

use std::fmt::Write as _;

use git2::{Delta, Oid, Repository};
use similar::{ChangeTag, TextDiff};

use crate::escape;
use crate::repo_path::RepoPath;

/// One changed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// `added`, `deleted`, `modified`, `renamed`, `mode changed`, `type changed`.
    pub status: &'static str,
    /// The old path (differs from `path` for a rename).
    pub old_path: String,
    /// The new path.
    pub path: String,
    /// Lines added (0 for binary files).
    pub insertions: usize,
    /// Lines removed (0 for binary files).
    pub deletions: usize,
    /// True when either side is binary.
    pub binary: bool,
    /// The old and new modes as octal strings when they differ.
    pub mode_change: Option<(String, String)>,
    /// The unified diff of a text file.
    pub diff: String,
}

/// Every changed file between two trees.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSummary {
    /// The files, in path order.
    pub files: Vec<FileChange>,
}

impl ChangeSummary {
    /// Compares two trees (renames detected).
    pub fn between(repo: &Repository, old: Oid, new: Oid) -> Result<ChangeSummary, git2::Error> {
        let mut summary = ChangeSummary::default();
        summary.add_diff(repo, old, new, &RepoPath::root())?;
        Ok(summary)
    }

    /// Compares two trees only inside `dirs`, the caller knowing nothing else differs. libgit2's diff reads
    /// every subtree, even identical ones, so on a large repository this is much cheaper than
    /// [`ChangeSummary::between`].
    pub fn between_dirs(
        repo: &Repository,
        old: Oid,
        new: Oid,
        dirs: &[RepoPath],
    ) -> Result<ChangeSummary, git2::Error> {
        if dirs.iter().any(RepoPath::is_root) {
            return Self::between(repo, old, new);
        }
        let (old_tree, new_tree) = (repo.find_tree(old)?, repo.find_tree(new)?);
        let mut summary = ChangeSummary::default();
        for dir in dirs {
            let sub = |t: &git2::Tree<'_>| -> Result<Oid, git2::Error> {
                match t.get_path(std::path::Path::new(dir.as_str())) {
                    Ok(e) if e.kind() == Some(git2::ObjectType::Tree) => Ok(e.id()),
                    _ => crate::sync::compute::mapped_tree::empty_tree(repo),
                }
            };
            summary.add_diff(repo, sub(&old_tree)?, sub(&new_tree)?, dir)?;
        }
        summary.files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(summary)
    }

    fn add_diff(
        &mut self,
        repo: &Repository,
        old: Oid,
        new: Oid,
        prefix: &RepoPath,
    ) -> Result<(), git2::Error> {
        if old == new {
            return Ok(());
        }
        let old_tree = repo.find_tree(old)?;
        let new_tree = repo.find_tree(new)?;
        let mut diff = repo.diff_tree_to_tree(Some(&old_tree), Some(&new_tree), None)?;
        let mut find = git2::DiffFindOptions::new();
        find.renames(true);
        diff.find_similar(Some(&mut find))?;
        for delta in diff.deltas() {
            let (old_f, new_f) = (delta.old_file(), delta.new_file());
            let path_of = |f: &git2::DiffFile<'_>| {
                prefix.join(
                    &f.path_bytes()
                        .map(crate::repo_path::path_text)
                        .unwrap_or_default(),
                )
            };
            let status = match delta.status() {
                Delta::Added => "added",
                Delta::Deleted => "deleted",
                Delta::Renamed => "renamed",
                Delta::Typechange => "type changed",
                _ if old_f.id() == new_f.id() => "mode changed",
                _ => "modified",
            };
            let read = |f: &git2::DiffFile<'_>| -> Result<Vec<u8>, git2::Error> {
                if f.id().is_zero() || !f.exists() {
                    return Ok(Vec::new());
                }
                // A submodule's commit lives in another repository: never read here. It reads as git's
                // own diff shows it.
                if f.mode() == git2::FileMode::Commit {
                    return Ok(format!("Subproject commit {}\n", f.id()).into_bytes());
                }
                Ok(repo.find_blob(f.id())?.content().to_vec())
            };
            let (a, b) = (read(&old_f)?, read(&new_f)?);
            let is_link = |m: git2::FileMode| m == git2::FileMode::Link;
            let binary = a.contains(&0) || b.contains(&0);
            let (old_path, path) = (path_of(&old_f), path_of(&new_f));
            let mode = |m: git2::FileMode| format!("{:o}", u32::from(m));
            let mode_change = (delta.status() != Delta::Added
                && delta.status() != Delta::Deleted
                && old_f.mode() != new_f.mode())
            .then(|| (mode(old_f.mode()), mode(new_f.mode())));
            let (mut insertions, mut deletions, mut text) = (0, 0, String::new());
            if !binary {
                let (sa, sb) = (String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
                let td = TextDiff::from_lines(sa.as_ref(), sb.as_ref());
                for op in td.ops() {
                    for change in td.iter_changes(op) {
                        match change.tag() {
                            ChangeTag::Insert => insertions += 1,
                            ChangeTag::Delete => deletions += 1,
                            ChangeTag::Equal => {}
                        }
                    }
                }
                // A file name may hold a newline: headers show it escaped, so it cannot start a line.
                let a_name = if delta.status() == Delta::Added {
                    "/dev/null".to_owned()
                } else {
                    format!("a/{}", escape::line(&old_path))
                };
                let b_name = if delta.status() == Delta::Deleted {
                    "/dev/null".to_owned()
                } else {
                    format!("b/{}", escape::line(&path))
                };
                text = td
                    .unified_diff()
                    .context_radius(3)
                    .header(&a_name, &b_name)
                    .to_string();
                if is_link(old_f.mode()) || is_link(new_f.mode()) {
                    text = format!("(symbolic link)\n{text}");
                }
            }
            self.files.push(FileChange {
                status,
                old_path,
                path,
                insertions,
                deletions,
                binary,
                mode_change,
                diff: text,
            });
        }
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(())
    }

    /// True when nothing changes.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Total lines added.
    pub fn insertions(&self) -> usize {
        self.files.iter().map(|f| f.insertions).sum()
    }

    /// Total lines removed.
    pub fn deletions(&self) -> usize {
        self.files.iter().map(|f| f.deletions).sum()
    }

    /// `git diff --stat`-like lines and a total.
    pub fn stat(&self) -> String {
        let mut out = String::new();
        let width = self.files.iter().map(|f| label(f).len()).max().unwrap_or(0);
        for f in &self.files {
            let detail = if f.binary {
                "binary".to_owned()
            } else {
                format!(
                    "{} {}{}",
                    f.insertions + f.deletions,
                    "+".repeat(f.insertions.min(40)),
                    "-".repeat(f.deletions.min(40))
                )
            };
            let mode = f
                .mode_change
                .as_ref()
                .map(|(a, b)| format!(" (mode {a} -> {b})"))
                .unwrap_or_default();
            let _ = writeln!(out, " {:<width$} | {detail} [{}]{mode}", label(f), f.status);
        }
        let _ = writeln!(
            out,
            " {} file{} changed, {} insertion{}(+), {} deletion{}(-)",
            self.files.len(),
            plural(self.files.len()),
            self.insertions(),
            plural(self.insertions()),
            self.deletions(),
            plural(self.deletions())
        );
        out
    }

    /// [`ChangeSummary::stat`] listing at most `listed` files; the totals line still counts them all.
    pub fn stat_listing(&self, listed: usize) -> String {
        if self.files.len() <= listed {
            return self.stat();
        }
        let shown = ChangeSummary {
            files: self.files[..listed].to_vec(),
        };
        let full = self.stat();
        let mut out = String::new();
        for line in shown.stat().lines().take(listed) {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, " ... and {} more files", self.files.len() - listed);
        // The totals of every file, as the full stat has them.
        out.push_str(full.lines().last().unwrap_or_default());
        out.push('\n');
        out
    }

    /// The stat followed by every text file's unified diff.
    pub fn unified(&self) -> String {
        let mut out = self.stat();
        for f in &self.files {
            out.push('\n');
            let _ = writeln!(
                out,
                "diff a/{} b/{} ({})",
                escape::line(&f.old_path),
                escape::line(&f.path),
                f.status
            );
            if let Some((a, b)) = &f.mode_change {
                let _ = writeln!(out, "old mode {a}\nnew mode {b}");
            }
            if f.binary {
                let _ = writeln!(out, "Binary files differ");
            } else {
                out.push_str(&f.diff);
            }
        }
        out
    }
}

/// The file's name(s) for the stat, escaped to one line.
fn label(f: &FileChange) -> String {
    if f.old_path != f.path && !f.old_path.is_empty() {
        format!("{} => {}", escape::line(&f.old_path), escape::line(&f.path))
    } else {
        escape::line(&f.path).into_owned()
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
