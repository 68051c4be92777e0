//! The private refs ecosync fetches into, under `refs/ecosync/`, apart from every branch of the repository.

/// The private ref upstream's branch is fetched into.
pub fn upstream_ref(branch: &str) -> String {
    format!("refs/ecosync/upstream/{branch}")
}

/// The private ref a cousin branch is fetched into.
pub fn cousin_ref(branch: &str) -> String {
    format!("refs/ecosync/cousin/{branch}")
}
