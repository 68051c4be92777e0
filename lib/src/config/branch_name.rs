//! Branch names in the configuration files, checked as git checks them.

/// True when `b` is a valid branch name for git.
pub fn is_valid_branch(b: &str) -> bool {
    !b.is_empty() && git2::Reference::is_valid_name(&format!("refs/heads/{b}"))
}
