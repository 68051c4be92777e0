//! `ChangeSet`: the paths that differ between two commits' trees, computed with git2.
//!
//! The comparison walks the two trees side by side by object id, as `git diff --name-only --no-renames` does:
//! a subtree with the same id on both sides is skipped without being read, no blob is ever read, no patch is
//! generated and no rename detection runs. Trees are read raw from the object database and their sorted
//! entries merged in place, so a changed directory costs one read and one pass, with no tree object built. (libgit2's own tree-to-tree diff reads every subtree of both
//! commits even when they are identical, which on a 100,000-file monorepo costs more than the whole plan.)
//! A rename therefore shows up as a deletion of the old path and an addition of the new one, which is exactly
//! what subscriptions need (both paths count), at no extra cost. Additions, deletions, content changes, mode
//! changes, type changes (file to symlink, file to directory...) and submodule pointer moves all count, by
//! path. There is no limit on the number of files or commits.

use git2::{ObjectType, Odb, OdbObject, Oid, Repository, Tree};

use crate::error_kind::{ErrorKind, UserError};

/// The id of git's empty tree, used as the base when every file of a commit counts as changed.
pub const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// Why changed paths could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum ChangeSetError {
    /// A revision is not in the local repository (after a shallow clone was deepened as far as it goes).
    #[error("revision `{rev}` is not in the repository")]
    UnknownRevision {
        /// The revision as given.
        rev: String,
        /// Whether the repository is a shallow clone.
        shallow: bool,
        /// What git2 said.
        #[source]
        source: git2::Error,
    },
    /// A shallow clone lacks the history a range needs, and `origin` could not give more of it.
    #[error("the clone is shallow and {what}; its history could not be deepened from `origin`{url}: {reason}",
        url = .url.as_deref().map(|u| format!(" (`{u}`)")).unwrap_or_default())]
    Shallow {
        /// What the range needs (e.g. "`HEAD`'s parent is not in it").
        what: String,
        /// `origin`'s URL without credentials, when the clone has one.
        url: Option<String>,
        /// Why the history could not be deepened, in our words.
        reason: String,
    },
    /// The repository has no commits at all (or its current branch has none yet), so no revision resolves.
    #[error("{}", no_commits_message(.dir, .branch.as_deref()))]
    NoCommits {
        /// The repository's work tree (or git directory, when bare).
        dir: std::path::PathBuf,
        /// The unborn current branch, when other branches have commits.
        branch: Option<String>,
    },
    /// A revision names something that is not a commit.
    #[error("revision `{rev}` is not a commit")]
    NotACommit {
        /// The revision as given.
        rev: String,
    },
    /// Any other git failure.
    #[error("{what}")]
    Git {
        /// What was being done.
        what: String,
        /// What git2 said.
        #[source]
        source: git2::Error,
    },
}

impl UserError for ChangeSetError {
    /// A shallow clone that cannot be deepened must be fixed where it is made (the checkout): never a range
    /// guessed from it.
    fn kind(&self) -> ErrorKind {
        match self {
            ChangeSetError::Shallow { .. } => ErrorKind::Usage,
            _ => ErrorKind::Failed,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            ChangeSetError::UnknownRevision { rev, shallow: true, .. } => Some(format!(
                "fetch the whole history (actions/checkout with `fetch-depth: 0`, or `git fetch --unshallow`); \
                 after a force push the old commit may need `git fetch origin {rev}`"
            )),
            ChangeSetError::UnknownRevision { rev, .. } => Some(format!(
                "check the revision's spelling; a commit that is only on another clone needs \
                 `git fetch origin {rev}` first"
            )),
            ChangeSetError::Shallow { .. } => Some(
                "check out the whole history (actions/checkout with `fetch-depth: 0`, or \
                 `git fetch --unshallow origin`), or let the dispatcher reach `origin`"
                    .to_owned(),
            ),
            ChangeSetError::Git { source, .. } if source.code() == git2::ErrorCode::NotFound => Some(
                "an object is missing from the clone (a partial clone without trees, or a damaged \
                 repository?); fetch the whole history with `fetch-depth: 0`"
                    .to_owned(),
            ),
            _ => None,
        }
    }
}

impl ChangeSetError {
    pub(crate) fn git(what: impl Into<String>) -> impl FnOnce(git2::Error) -> Self {
        let what = what.into();
        move |source| ChangeSetError::Git { what, source }
    }
}

/// The paths changed between a base tree and a head commit, sorted by bytes, without duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSet {
    /// The base commit, or `None` when every file of `head` counts (compared with the empty tree).
    pub base: Option<Oid>,
    /// The head commit.
    pub head: Oid,
    /// Every changed path (both sides of a rename), sorted, unique.
    pub paths: Vec<String>,
}

impl ChangeSet {
    /// The paths that differ between commit `base` (or the empty tree) and commit `head`.
    #[tracing::instrument(skip(repo))]
    pub fn between(
        repo: &Repository,
        base: Option<Oid>,
        head: Oid,
    ) -> Result<Self, ChangeSetError> {
        let head_tree = commit_tree(repo, head)?;
        let base_tree = base.map(|b| commit_tree(repo, b)).transpose()?;
        let paths = diff_paths(repo, base_tree.as_ref(), &head_tree)?;
        Ok(ChangeSet { base, head, paths })
    }

    /// The base as a full SHA (the empty tree's id when there is no base commit).
    pub fn base_sha(&self) -> String {
        self.base
            .map_or_else(|| EMPTY_TREE.to_owned(), |b| b.to_string())
    }
}

/// Every file path (blobs, symlinks and submodules) in commit `commit`'s tree, sorted.
pub fn tree_paths(repo: &Repository, commit: Oid) -> Result<Vec<String>, ChangeSetError> {
    let tree = commit_tree(repo, commit)?;
    diff_paths(repo, None, &tree)
}

/// Resolves a SHA, branch, tag or other revision to a commit id.
///
/// In a repository without commits (an unborn HEAD) every revision fails with
/// [`ChangeSetError::NoCommits`], whose hint fits that case better than fetching more history.
pub fn resolve_commit(repo: &Repository, rev: &str) -> Result<Oid, ChangeSetError> {
    let object = repo.revparse_single(rev).map_err(|source| {
        no_commits(repo).unwrap_or_else(|| ChangeSetError::UnknownRevision {
            rev: rev.to_owned(),
            shallow: repo.is_shallow(),
            source,
        })
    })?;
    object
        .peel_to_commit()
        .map(|c| c.id())
        .map_err(|_| ChangeSetError::NotACommit {
            rev: rev.to_owned(),
        })
}

fn no_commits_message(dir: &std::path::Path, branch: Option<&str>) -> String {
    match branch {
        None => format!(
            "`{}` has no commits yet; commit something first",
            dir.display()
        ),
        Some(b) => format!(
            "the current branch `{b}` of `{}` has no commits yet; commit something first, or check out a \
             branch that has commits",
            dir.display()
        ),
    }
}

/// [`ChangeSetError::NoCommits`] when HEAD is unborn (a new repository, or an orphan branch).
fn no_commits(repo: &Repository) -> Option<ChangeSetError> {
    match repo.head() {
        Err(e) if e.code() == git2::ErrorCode::UnbornBranch => {}
        _ => return None,
    }
    let dir = repo
        .workdir()
        .unwrap_or_else(|| repo.path())
        .components()
        .collect();
    let has_refs = repo
        .references()
        .is_ok_and(|mut refs| refs.next().is_some());
    let branch = has_refs
        .then(|| {
            let head = repo.find_reference("HEAD").ok()?;
            let target = head.symbolic_target().ok()??;
            Some(
                target
                    .strip_prefix("refs/heads/")
                    .unwrap_or(target)
                    .to_owned(),
            )
        })
        .flatten();
    Some(ChangeSetError::NoCommits { dir, branch })
}

fn commit_tree(repo: &Repository, commit: Oid) -> Result<Tree<'_>, ChangeSetError> {
    repo.find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(|source| ChangeSetError::UnknownRevision {
            rev: commit.to_string(),
            shallow: repo.is_shallow(),
            source,
        })
}

fn diff_paths(
    repo: &Repository,
    base: Option<&Tree<'_>>,
    head: &Tree<'_>,
) -> Result<Vec<String>, ChangeSetError> {
    let odb = repo
        .odb()
        .map_err(ChangeSetError::git("cannot open the object database"))?;
    let mut walk = TreeWalk {
        odb: &odb,
        prefix: Vec::new(),
        paths: Vec::new(),
    };
    let old = base.map(|t| read_tree(&odb, t.id())).transpose()?;
    let new = read_tree(&odb, head.id())?;
    walk.compare(old.as_ref().map_or(&[][..], OdbObject::data), new.data())?;
    let mut paths: Vec<String> = walk
        .paths
        .into_iter()
        .map(|p| match String::from_utf8(p) {
            Ok(s) => s,
            // A non-UTF-8 name in ecosync's one escaping (`\xNN`), never lost nor merged with another.
            Err(e) => crate::repo_path::path_text(e.as_bytes()).into_owned(),
        })
        .collect();
    paths.sort_unstable();
    paths.dedup();
    Ok(paths)
}

/// One entry of a raw tree object: `<octal mode> <name>\0<20-byte id>`.
#[derive(Clone, Copy)]
struct RawEntry<'a> {
    mode: &'a [u8],
    name: &'a [u8],
    id: &'a [u8],
}

impl RawEntry<'_> {
    /// Whether the entry is a directory: mode `40000` (or the zero-padded `040000` some old tools wrote).
    fn is_tree(&self) -> bool {
        let digits = self.mode.strip_prefix(b"0").unwrap_or(self.mode);
        digits == b"40000"
    }
}

/// The entries of a raw tree object, in the order git stores them.
struct RawEntries<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for RawEntries<'a> {
    type Item = Result<RawEntry<'a>, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let parsed = (|| {
            let space = self.rest.iter().position(|&b| b == b' ')?;
            let nul = space + 1 + self.rest[space + 1..].iter().position(|&b| b == 0)?;
            let end = nul + 1 + 20;
            let entry = RawEntry {
                mode: &self.rest[..space],
                name: &self.rest[space + 1..nul],
                id: self.rest.get(nul + 1..end)?,
            };
            self.rest = &self.rest[end..];
            Some(entry)
        })();
        if parsed.is_none() {
            self.rest = &[];
        }
        Some(parsed.ok_or(()))
    }
}

/// git's order of tree entries: by name, a tree's name compared as if it ended with `/`.
fn entry_order(a: &RawEntry<'_>, b: &RawEntry<'_>) -> std::cmp::Ordering {
    let key = |e: &RawEntry<'_>, i: usize| match e.name.get(i) {
        Some(&c) => c,
        None if e.is_tree() => b'/',
        None => 0,
    };
    let common = a.name.len().min(b.name.len());
    a.name[..common]
        .cmp(&b.name[..common])
        .then_with(|| key(a, common).cmp(&key(b, common)))
}

/// A side-by-side walk of two trees collecting the paths whose entries differ. Trees are read raw from the
/// object database and their entries compared in place: no tree object is built, nothing is cached.
struct TreeWalk<'r> {
    odb: &'r Odb<'r>,
    /// The directory being compared, with a trailing `/` (empty at the root).
    prefix: Vec<u8>,
    paths: Vec<Vec<u8>>,
}

/// The raw tree object `id`.
fn read_tree<'o>(odb: &'o Odb<'_>, id: Oid) -> Result<OdbObject<'o>, ChangeSetError> {
    let object = odb.read(id).map_err(|source| ChangeSetError::Git {
        what: format!("cannot read tree `{id}`"),
        source,
    })?;
    if object.kind() != ObjectType::Tree {
        return Err(ChangeSetError::Git {
            what: format!("object `{id}` is not a tree"),
            source: git2::Error::from_str("unexpected object type"),
        });
    }
    Ok(object)
}

/// The next entry of a raw tree under `prefix`, or an error naming the directory if the tree is malformed.
fn next_entry<'a>(
    entries: &mut RawEntries<'a>,
    prefix: &[u8],
) -> Result<Option<RawEntry<'a>>, ChangeSetError> {
    entries
        .next()
        .transpose()
        .map_err(|()| ChangeSetError::Git {
            what: format!(
                "the tree of `{}` is malformed",
                String::from_utf8_lossy(prefix)
            ),
            source: git2::Error::from_str("malformed tree entry"),
        })
}

impl TreeWalk<'_> {
    /// Compares two raw trees (an empty slice has no entries), merging their sorted entries.
    fn compare(&mut self, old: &[u8], new: &[u8]) -> Result<(), ChangeSetError> {
        let mut olds = RawEntries { rest: old };
        let mut news = RawEntries { rest: new };
        let mut o = next_entry(&mut olds, &self.prefix)?;
        let mut n = next_entry(&mut news, &self.prefix)?;
        loop {
            let order = match (&o, &n) {
                (None, None) => return Ok(()),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(a), Some(b)) => entry_order(a, b),
            };
            match order {
                std::cmp::Ordering::Less => {
                    self.changed(o.as_ref(), None)?;
                    o = next_entry(&mut olds, &self.prefix)?;
                }
                std::cmp::Ordering::Greater => {
                    self.changed(None, n.as_ref())?;
                    n = next_entry(&mut news, &self.prefix)?;
                }
                std::cmp::Ordering::Equal => {
                    if let (Some(a), Some(b)) = (&o, &n)
                        && (a.id != b.id || a.mode != b.mode)
                    {
                        self.changed(o.as_ref(), n.as_ref())?;
                    }
                    o = next_entry(&mut olds, &self.prefix)?;
                    n = next_entry(&mut news, &self.prefix)?;
                }
            }
        }
    }

    /// One name whose entries differ (or that is on one side only): recurse into directories, record
    /// everything else.
    fn changed(
        &mut self,
        old: Option<&RawEntry<'_>>,
        new: Option<&RawEntry<'_>>,
    ) -> Result<(), ChangeSetError> {
        let Some(name) = new.or(old).map(|e| e.name) else {
            return Ok(());
        };
        if old.is_some_and(|e| !e.is_tree()) || new.is_some_and(|e| !e.is_tree()) {
            let mut path = Vec::with_capacity(self.prefix.len() + name.len());
            path.extend_from_slice(&self.prefix);
            path.extend_from_slice(name);
            self.paths.push(path);
        }
        let odb = self.odb;
        let old_tree = old
            .filter(|e| e.is_tree())
            .map(|e| read_tree(odb, oid(e.id)?))
            .transpose()?;
        let new_tree = new
            .filter(|e| e.is_tree())
            .map(|e| read_tree(odb, oid(e.id)?))
            .transpose()?;
        if old_tree.is_some() || new_tree.is_some() {
            let len = self.prefix.len();
            self.prefix.extend_from_slice(name);
            self.prefix.push(b'/');
            let result = self.compare(
                old_tree.as_ref().map_or(&[][..], OdbObject::data),
                new_tree.as_ref().map_or(&[][..], OdbObject::data),
            );
            self.prefix.truncate(len);
            result?;
        }
        Ok(())
    }
}

fn oid(raw: &[u8]) -> Result<Oid, ChangeSetError> {
    Oid::from_bytes(raw).map_err(ChangeSetError::git("a tree entry has a malformed id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_merged_in_gits_order_where_a_file_becomes_a_directory() {
        // git sorts a directory as if its name ended with `/`: `a`, `a.b`, `a/` (`.` < `/`), `ab`.
        let tmp = tempfile::tempdir().unwrap();
        let repo = Repository::init(tmp.path()).unwrap();
        let blob = |text: &str| repo.blob(text.as_bytes()).unwrap();
        let tree = |entries: &[(&str, Oid, i32)]| {
            let mut tb = repo.treebuilder(None).unwrap();
            for (name, id, mode) in entries {
                tb.insert(name, *id, *mode).unwrap();
            }
            tb.write().unwrap()
        };
        let x = tree(&[("x", blob("x"), 0o100644)]);
        let old = tree(&[
            ("a", blob("file a"), 0o100644),
            ("a.b", blob("1"), 0o100644),
            ("ab", x, 0o040000),
            ("z", blob("z"), 0o100644),
        ]);
        let new = tree(&[
            ("a", x, 0o040000),
            ("a.b", blob("2"), 0o100644),
            ("ab", x, 0o040000),
            ("z", blob("z"), 0o100755),
        ]);
        let sig = git2::Signature::new("T", "t@example.com", &git2::Time::new(0, 0)).unwrap();
        let commit = |t: Oid, parents: &[&git2::Commit<'_>]| {
            let t = repo.find_tree(t).unwrap();
            repo.commit(None, &sig, &sig, "c", &t, parents).unwrap()
        };
        let base = commit(old, &[]);
        let head = commit(new, &[&repo.find_commit(base).unwrap()]);
        let changes = ChangeSet::between(&repo, Some(base), head).unwrap();
        assert_eq!(changes.paths, ["a", "a.b", "a/x", "z"]);
        assert_eq!(
            tree_paths(&repo, head).unwrap(),
            ["a.b", "a/x", "ab/x", "z"]
        );
    }

    #[test]
    fn an_empty_repository_says_to_commit_first() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = Repository::init(tmp.path()).unwrap();
        let err = resolve_commit(&repo, "HEAD").unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, ChangeSetError::NoCommits { branch: None, .. }),
            "{msg}"
        );
        assert!(
            msg.ends_with("has no commits yet; commit something first"),
            "{msg}"
        );
        assert!(!msg.contains("fetch"), "{msg}");
    }

    #[test]
    fn an_unborn_branch_next_to_others_says_which_branch() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = Repository::init(tmp.path()).unwrap();
        let sig = git2::Signature::new("T", "t@example.com", &git2::Time::new(0, 0)).unwrap();
        let tree = repo.treebuilder(None).unwrap().write().unwrap();
        let tree = repo.find_tree(tree).unwrap();
        repo.commit(Some("refs/heads/main"), &sig, &sig, "one", &tree, &[])
            .unwrap();
        repo.set_head("refs/heads/orphan").unwrap();
        let msg = resolve_commit(&repo, "HEAD").unwrap_err().to_string();
        assert!(msg.starts_with("the current branch `orphan` of `"), "{msg}");
        assert!(msg.contains("check out a branch that has commits"), "{msg}");
        // A revision that exists still resolves.
        assert!(resolve_commit(&repo, "main").is_ok());
        // And in a repository with commits an unknown revision keeps the fetch hint.
        repo.set_head("refs/heads/main").unwrap();
        let msg = resolve_commit(&repo, "1234567890123456789012345678901234567890")
            .unwrap_err()
            .to_string();
        assert_eq!(
            msg,
            "revision `1234567890123456789012345678901234567890` is not in the repository"
        );
    }
}
