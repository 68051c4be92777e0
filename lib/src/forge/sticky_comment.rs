//! `StickyComment`: one comment on an issue or pull request that a tool keeps up to date, found again by
//! a hidden marker, updated in place on every run, never posted twice.

use crate::forge::{Forge, ForgeError};
use crate::repo_name::RepoName;

/// What became of the comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StickyComment {
    /// It was posted (no comment carried the marker).
    Created,
    /// The comment with the marker was updated.
    Updated,
}

/// Posts `body` under `marker` (an HTML comment, invisible on GitHub) on `number`, or updates the comment
/// that carries the marker already.
pub async fn upsert(
    forge: &Forge,
    repo: &RepoName,
    number: u64,
    marker: &str,
    body: &str,
) -> Result<StickyComment, ForgeError> {
    let text = format!("{marker}\n{body}");
    let existing = forge.comments(repo, number).await?;
    if let Some(c) = existing.iter().find(|c| c.body.contains(marker)) {
        forge.update_comment(repo, number, c.id, &text).await?;
        Ok(StickyComment::Updated)
    } else {
        forge.comment(repo, number, &text).await?;
        Ok(StickyComment::Created)
    }
}
