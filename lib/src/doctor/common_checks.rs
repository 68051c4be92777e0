//! The checks both binaries start with: who the credentials are and whether they can see a repository.

use crate::doctor::doctor_report::Check;
use crate::error_kind::{UserError as _, error_chain};
use crate::forge::permissions::{Identity, RepoAccess};
use crate::forge::{Forge, ForgeError};
use crate::repo_name::RepoName;

/// The identity check, and the identity when the forge could say.
pub async fn identity(forge: &Forge, context: &RepoName) -> (Check, Option<Identity>) {
    let identity = match forge.identity(context).await {
        Ok(i) => i,
        Err(e) => return (unreachable_check("token", &e), None),
    };
    let check = match &identity {
        Identity::User { login } => Check::ok("token", format!("a personal token of `{login}`")),
        Identity::Installation { repositories } => Check::ok(
            "token",
            format!(
                "an installation token (a workflow's `GITHUB_TOKEN` or an app's) reaching \
                 {repositories} repositories"
            ),
        ),
        Identity::App => Check::ok("token", "a GitHub App (one installation per owner)"),
        Identity::Local { root } => Check::ok("token", format!("the local forge at `{root}`")),
        Identity::Refused { status, message } => Check::fail(
            "token",
            format!("GitHub refused it: HTTP {status}: {message}"),
            "the token is invalid or expired: create a new one and store it in `ECOSYNC_TOKEN` (or \
             name its variable with `--token-env`)",
        ),
    };
    (check, Some(identity))
}

/// What the forge says about `repo`, with the visibility check.
pub async fn access(forge: &Forge, repo: &RepoName) -> (Check, Option<RepoAccess>) {
    let check = format!("access {repo}");
    match forge.repo_access(repo).await {
        Ok(a) if a.visible => (
            Check::ok(
                check,
                format!(
                    "visible, default branch `{}`",
                    a.default_branch.as_deref().unwrap_or("?")
                ),
            ),
            Some(a),
        ),
        Ok(a) => (
            Check::fail(
                check,
                "not found: it does not exist or the token cannot see it",
                format!(
                    "check the name, then give the token access to `{repo}` (a fine-grained token: \
                     Repository access; an app: install it on `{}`)",
                    repo.owner()
                ),
            ),
            Some(a),
        ),
        Err(e) => (unreachable_check(&check, &e), None),
    }
}

/// A check that could not be made: the forge failed.
pub fn unreachable_check(check: &str, e: &ForgeError) -> Check {
    Check::fail(
        check,
        format!("cannot ask the forge: {}", error_chain(e)),
        e.hint()
            .unwrap_or_else(|| "check `--api-url` and the network".to_owned()),
    )
}
