//! What a connected remote advertises for one ref.

use git2::Oid;

/// The commit a connected remote advertises for the ref `name`, if it has one.
pub fn advertised(remote: &git2::Remote<'_>, name: &str) -> Result<Option<Oid>, git2::Error> {
    Ok(remote
        .list()?
        .iter()
        .find(|h| h.name() == name)
        .map(git2::RemoteHead::oid))
}
