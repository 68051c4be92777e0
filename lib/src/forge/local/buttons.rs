//! What a person does with GitHub's buttons on a pull request, done on the local forge from the command line
//! (`dispatcher forge`): merge it (a merge commit, a squash, or a rebase), close it without merging, reopen it.
//! Each is recorded as GitHub records it (the merge commit, `closed_by`, `closed_at`), so the whole loop of
//! a sync, its review and a rejection can be tried offline.

use git2::{Oid, Repository, Signature};

use super::{LocalForge, PullRecord, now_rfc3339};
use crate::forge::ForgeError;
use crate::repo_name::RepoName;

/// How a pull request is merged, as GitHub's merge button offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeMethod {
    /// A merge commit with the base and the pull request's head as parents.
    Merge,
    /// One commit on the base with the pull request's changes, its title and description as message.
    Squash,
    /// Each commit of the pull request made anew on the base, authors kept.
    Rebase,
}

impl std::fmt::Display for MergeMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MergeMethod::Merge => "merge",
            MergeMethod::Squash => "squash",
            MergeMethod::Rebase => "rebase",
        })
    }
}

impl LocalForge {
    /// Merges pull request `number` of `repo` into its base as `by` would with GitHub's button: the base
    /// branch moves to the new commit, which is returned, and the record says merged, when and by whom. A
    /// change that conflicts with the base is refused, naming the files, and nothing moves.
    pub async fn merge_pull_request(
        &self,
        repo: &RepoName,
        number: u64,
        method: MergeMethod,
        by: &str,
    ) -> Result<Oid, ForgeError> {
        let git_dir = self.existing(repo)?;
        let _records = self.file_lock(repo)?;
        let record = self.open_pull(repo, number, "merge")?;
        let refused = |message: String| ForgeError::LocalButton {
            action: "merge",
            repo: repo.to_string(),
            number,
            message,
        };
        let git = Repository::open_bare(&git_dir).map_err(|e| refused(e.message().to_owned()))?;
        let merged = merge(&git, &record, number, method, by).map_err(refused)?;
        self.edit_pull(repo, number, |p| {
            p.state = "closed".into();
            p.merged_commit = Some(merged.to_string());
            p.closed_at = Some(now_rfc3339());
            p.closed_by = Some(by.to_owned());
        })
        .await?;
        Ok(merged)
    }

    /// Closes pull request `number` of `repo` without merging it, as `by` would, with `comment` (if any)
    /// as their last word: for ecosync, a rejection.
    pub async fn close_pull_request_as(
        &self,
        repo: &RepoName,
        number: u64,
        by: &str,
        comment: Option<&str>,
    ) -> Result<(), ForgeError> {
        self.open_pull(repo, number, "close")?;
        self.edit_pull(repo, number, |p| {
            if let Some(text) = comment {
                p.comments.push(super::CommentRecord::new(by, text));
            }
            p.state = "closed".into();
            p.closed_at = Some(now_rfc3339());
            p.closed_by = Some(by.to_owned());
        })
        .await
        .map(|_| ())
    }

    /// Reopens pull request `number` of `repo`, closed without merging.
    pub async fn reopen_pull_request(
        &self,
        repo: &RepoName,
        number: u64,
    ) -> Result<(), ForgeError> {
        let record = self.pull(repo, number)?;
        if record.merged_commit.is_some() || record.state == "open" {
            return Err(ForgeError::LocalButton {
                action: "reopen",
                repo: repo.to_string(),
                number,
                message: if record.state == "open" {
                    "it is open".to_owned()
                } else {
                    "it was merged".to_owned()
                },
            });
        }
        self.edit_pull(repo, number, |p| {
            p.state = "open".into();
            p.closed_at = None;
            p.closed_by = None;
        })
        .await
        .map(|_| ())
    }

    /// The record of pull request `number`, which must be open to be merged or closed.
    fn open_pull(
        &self,
        repo: &RepoName,
        number: u64,
        action: &'static str,
    ) -> Result<PullRecord, ForgeError> {
        let record = self.pull(repo, number)?;
        if record.state != "open" {
            return Err(ForgeError::LocalButton {
                action,
                repo: repo.to_string(),
                number,
                message: "it is closed already".to_owned(),
            });
        }
        Ok(record)
    }

    fn pull(&self, repo: &RepoName, number: u64) -> Result<PullRecord, ForgeError> {
        self.existing(repo)?;
        let path = self.pull_path(repo, number);
        if !path.exists() {
            return Err(ForgeError::LocalNotFound {
                repo: repo.to_string(),
                what: "pull request",
                number,
            });
        }
        super::read(&path)
    }
}

/// Makes the merge in the bare repository `git` and moves the base branch to it (only from the commit it
/// was read at).
fn merge(
    git: &Repository,
    record: &PullRecord,
    number: u64,
    method: MergeMethod,
    by: &str,
) -> Result<Oid, String> {
    let text = |e: git2::Error| e.message().to_owned();
    let base_ref = format!("refs/heads/{}", record.base);
    let base = git
        .find_reference(&base_ref)
        .and_then(|r| r.peel_to_commit())
        .map_err(|_| format!("its base branch `{}` does not exist", record.base))?;
    let head = git
        .find_reference(&format!("refs/heads/{}", record.head))
        .and_then(|r| r.peel_to_commit())
        .map_err(|_| format!("its branch `{}` does not exist", record.head))?;
    let me = Signature::now(by, &format!("{by}@users.noreply.localhost")).map_err(text)?;
    let conflicts = |index: &git2::Index| -> Option<String> {
        let paths: Vec<String> = index
            .conflicts()
            .ok()?
            .filter_map(Result::ok)
            .filter_map(|c| c.our.or(c.their).or(c.ancestor))
            .map(|e| String::from_utf8_lossy(&e.path).into_owned())
            .collect();
        (!paths.is_empty()).then(|| {
            format!(
                "it conflicts with `{}` in {}; resolve it in a clone and push the branch",
                record.base,
                paths.join(", ")
            )
        })
    };
    let merged_tree = || -> Result<git2::Tree<'_>, String> {
        let mut index = git.merge_commits(&base, &head, None).map_err(text)?;
        if let Some(why) = conflicts(&index) {
            return Err(why);
        }
        let id = index.write_tree_to(git).map_err(text)?;
        git.find_tree(id).map_err(text)
    };
    let new = match method {
        MergeMethod::Merge => {
            let message = format!(
                "Merge pull request #{number} from {}\n\n{}",
                record.head, record.title
            );
            git.commit(None, &me, &me, &message, &merged_tree()?, &[&base, &head])
                .map_err(text)?
        }
        MergeMethod::Squash => {
            let message = format!("{} (#{number})\n\n{}", record.title, record.body);
            git.commit(None, &me, &me, &message, &merged_tree()?, &[&base])
                .map_err(text)?
        }
        MergeMethod::Rebase => {
            let mut walk = git.revwalk().map_err(text)?;
            walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)
                .map_err(text)?;
            walk.push(head.id()).map_err(text)?;
            walk.hide(base.id()).map_err(text)?;
            let mut onto = base.clone();
            for id in walk {
                let commit = git.find_commit(id.map_err(text)?).map_err(text)?;
                if commit.parent_count() > 1 {
                    return Err("its branch has merge commits, which a rebase cannot replay; merge or squash it".to_owned());
                }
                let mut index = git
                    .cherrypick_commit(&commit, &onto, 0, None)
                    .map_err(text)?;
                if let Some(why) = conflicts(&index) {
                    return Err(why);
                }
                let tree = git
                    .find_tree(index.write_tree_to(git).map_err(text)?)
                    .map_err(text)?;
                let message = commit.message_raw().unwrap_or_default();
                let id = git
                    .commit(None, &commit.author(), &me, message, &tree, &[&onto])
                    .map_err(text)?;
                onto = git.find_commit(id).map_err(text)?;
            }
            onto.id()
        }
    };
    git.reference_matching(
        &base_ref,
        new,
        true,
        base.id(),
        &format!("ecosync: merge pull request #{number} ({method})"),
    )
    .map_err(|_| {
        format!(
            "`{}` moved while it was being merged; try again",
            record.base
        )
    })?;
    Ok(new)
}
