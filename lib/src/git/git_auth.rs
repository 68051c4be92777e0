//! `GitAuth`: the credentials of one git operation over https, handed to libgit2 only through its
//! credentials callback and lent to the https transport for exactly one remote URL.

use git2::{Cred, RemoteCallbacks};

/// Credentials for fetching and pushing over https, handed to git2 only through its credentials callback.
#[derive(Clone, Default)]
pub struct GitAuth {
    /// Username and secret, or `None` to let the transport go without.
    pub userpass: Option<(String, String)>,
}

impl std::fmt::Debug for GitAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("GitAuth")
            .field("userpass", &self.userpass.as_ref().map(|(u, _)| (u, "***")))
            .finish()
    }
}

impl From<Option<crate::git::GitCredentials>> for GitAuth {
    fn from(creds: Option<crate::git::GitCredentials>) -> Self {
        GitAuth {
            userpass: creds.map(|c| (c.username, c.password)),
        }
    }
}

impl GitAuth {
    /// A token from the variable `var`, offered as GitHub expects (`x-access-token`), or `None` when the
    /// variable is unset or empty.
    pub fn token_from_env(var: &str) -> Option<GitAuth> {
        let token = std::env::var(var).ok()?;
        let token = token.trim();
        (!token.is_empty()).then(|| GitAuth {
            userpass: Some(("x-access-token".to_owned(), token.to_owned())),
        })
    }

    /// The callbacks for one operation on the remote `url`; the credentials are also lent to the https
    /// transport for `url` (libgit2 does not call back into a custom transport).
    pub(crate) fn callbacks(&self, url: &str) -> RemoteCallbacks<'_> {
        crate::git::git_https::lend(
            url,
            self.userpass
                .as_ref()
                .map(|(u, p)| (u.as_str(), p.as_str())),
        );
        let mut cb = RemoteCallbacks::new();
        let mut tried = false;
        cb.credentials(move |_url, _user, _allowed| match &self.userpass {
            // libgit2 calls again after a rejected credential; fail instead of looping.
            Some((u, p)) if !tried => {
                tried = true;
                Cred::userpass_plaintext(u, p)
            }
            _ => Err(git2::Error::from_str("no (more) credentials to offer")),
        });
        cb
    }
}
