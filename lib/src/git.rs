//! What both pipelines use to talk to git: the repository handle ([`SyncRepo`]) with its run lock and the
//! upstreams it reads in place (a local one, or a network one fetched shallow), credentials ([`GitAuth`])
//! and the https transport they are lent to, the refs a remote advertises, ecosync's private refs, the
//! commit clock and the one short form of a commit id.

pub mod advertised;
pub mod clock;
pub mod git_auth;
pub mod git_credentials;
pub mod git_https;
pub mod git_text;
pub mod local_upstream;
pub mod poison;
pub mod private_refs;
pub mod repo_lock;
pub mod shallow_upstream;
pub mod short_sha;
pub mod sync_repo;
pub mod sync_repo_error;

pub use advertised::advertised;
pub use git_auth::GitAuth;
pub use git_credentials::GitCredentials;
pub use git_text::{git_reason, git_text};
pub use private_refs::{cousin_ref, upstream_ref};
pub use short_sha::{short_oid, short_sha};
pub use sync_repo::SyncRepo;
pub use sync_repo_error::SyncRepoError;
