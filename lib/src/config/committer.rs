//! Who sync commits are committed as, unless the command line says otherwise.

/// The default committer name of sync commits (GitHub Actions' bot).
pub const DEFAULT_COMMITTER_NAME: &str = "github-actions[bot]";

/// The default committer email of sync commits.
pub const DEFAULT_COMMITTER_EMAIL: &str = "41898282+github-actions[bot]@users.noreply.github.com";
