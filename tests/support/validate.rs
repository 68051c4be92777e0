//! `dispatcher validate` for the tests of it: the command, and a tree with an ecosystem file whose patterns
//! it warns about.

use crate::support::plan::Config;
use crate::support::{Cmd, Repo};

/// `dispatcher validate --config CONFIG`; the caller adds the rest.
pub fn validate(config: &Config) -> Cmd {
    Cmd::dispatcher()
        .arg("validate")
        .arg("--config")
        .arg(config.path())
}

/// A repository with `docs/a.md` and `src/lib.rs`, and an ecosystem file valid but for warnings against it:
/// `Docs/**` and `!docs/drafts/**` match no file, and `src` is listed twice.
pub fn tree_with_warnings() -> (Repo, Config) {
    let repo = Repo::new();
    repo.write("docs/a.md", "a");
    repo.write("src/lib.rs", "a");
    repo.commit("tree");
    let config = Config::raw(
        "[\n  {\"repo\": \"acme/docs\", \"subscriptions\": [\"docs/**\", \"Docs/**\", \"!docs/drafts/**\"]},\n  \
         {\"repo\": \"acme/src\", \"subscriptions\": [\"src\", \"src\"]}\n]\n",
    );
    (repo, config)
}
