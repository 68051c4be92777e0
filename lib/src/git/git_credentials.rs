//! `GitCredentials`: what a git2 credentials callback hands over for https fetch and push.

/// A user name and password (a token) for git over https. Its `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct GitCredentials {
    /// `x-access-token` for GitHub tokens.
    pub username: String,
    /// The token. Use it only in a git2 credentials callback, never in a URL, a log or an error.
    pub password: String,
}

impl std::fmt::Debug for GitCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitCredentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}
