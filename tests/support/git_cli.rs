//! The git CLI as the tests' oracle: `git` run in a directory the way `Cmd` runs any program (no user or
//! system configuration, a `HOME` of its own, a time limit), with a fixed identity for what it commits.

use std::path::Path;
use std::time::Duration;

use crate::support::Cmd;

/// `git ARGS` in `dir`, which must succeed within a minute; its standard output, trimmed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    Cmd::new("git")
        .dir(dir)
        .args([
            "-c",
            "user.name=Oracle",
            "-c",
            "user.email=oracle@example.com",
        ])
        .args(args)
        .timeout(Duration::from_secs(60))
        .run()
        .success()
        .stdout
        .trim()
        .to_owned()
}
