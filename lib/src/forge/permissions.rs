//! What a token may do, as the forge can tell before anything is written: for `doctor` and for the
//! preflight of a run.
//!
//! GitHub says it in three places, depending on the credentials: `GET /user` answers for a personal access
//! token; an installation token (a workflow's
//! `GITHUB_TOKEN`, or an app's) gets 403 there but lists its repositories at `GET /installation/repositories`;
//! `GET /repos/{owner}/{repo}` carries the caller's role on the repository in `permissions`, and
//! `GET /repos/{owner}/{repo}/installation` a GitHub App installation's own grants.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Who the credentials are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Identity {
    /// A personal access token of this user.
    User {
        /// The login.
        login: String,
    },
    /// An installation token: a workflow's `GITHUB_TOKEN` or a GitHub App installation token given as a
    /// token.
    Installation {
        /// How many repositories it can reach.
        repositories: u64,
    },
    /// A GitHub App (its own key), acting through one installation per owner.
    App,
    /// The local forge (no permissions).
    Local {
        /// Its directory.
        root: String,
    },
    /// GitHub refused the credentials.
    Refused {
        /// The HTTP status.
        status: u16,
        /// What GitHub said.
        message: String,
    },
}

/// The caller's role on a repository (`permissions` of `GET /repos/{owner}/{repo}`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
// GitHub's own shape: five independent flags, one per role.
#[allow(clippy::struct_excessive_bools)]
pub struct RolePermissions {
    /// Admin.
    #[serde(default)]
    pub admin: bool,
    /// Maintain.
    #[serde(default)]
    pub maintain: bool,
    /// Write (push).
    #[serde(default)]
    pub push: bool,
    /// Triage.
    #[serde(default)]
    pub triage: bool,
    /// Read.
    #[serde(default)]
    pub pull: bool,
}

/// What the forge says about one repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoAccess {
    /// Whether the credentials can see it (`false`: 404, GitHub's answer for "no access" too).
    pub visible: bool,
    /// Its default branch, when visible.
    pub default_branch: Option<String>,
    /// The caller's role, when GitHub says it.
    pub role: Option<RolePermissions>,
    /// A GitHub App installation's grants (`contents` -> `write`, ...), when the forge acts as an app.
    pub grants: Option<BTreeMap<String, String>>,
}

/// The repository setting "Allow GitHub Actions to create and approve pull requests".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "setting", rename_all = "snake_case")]
pub enum ActionsPullRequests {
    /// On.
    Allowed,
    /// Off: a workflow's `GITHUB_TOKEN` gets 403 when it opens a pull request.
    Denied,
    /// The setting could not be read (the token may not read it).
    Unknown {
        /// Why.
        reason: String,
    },
}
