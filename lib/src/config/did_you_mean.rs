//! "Did you mean": the known name closest to a misspelt one, for unknown keys in both configuration files.

/// How similar (Jaro-Winkler, 0 to 1) a name must be to a known one to be suggested. High enough that an
/// unrelated name gets no suggestion (`colour` among an entry's fields), low enough for a dropped or
/// swapped letter (`enabeld`), a shortened name (`repos` for `repositories`) or the other separator
/// (`event-type`).
const THRESHOLD: f64 = 0.8;

/// The name in `known` closest to `unknown`, when one is close enough to be what was meant. Case and the
/// difference between `-` and `_` do not count; the first of equally close names wins.
pub fn did_you_mean<'a>(unknown: &str, known: &[&'a str]) -> Option<&'a str> {
    let normalize = |s: &str| s.to_lowercase().replace('-', "_");
    let unknown = normalize(unknown);
    let mut best: Option<(f64, &'a str)> = None;
    for &name in known {
        let score = strsim::jaro_winkler(&unknown, &normalize(name));
        if score >= THRESHOLD && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, name));
        }
    }
    best.map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[&str] = &["repo", "subscriptions", "event_type", "branches", "enabled"];

    #[test]
    fn suggests_close_names() {
        assert_eq!(did_you_mean("subscription", FIELDS), Some("subscriptions"));
        assert_eq!(did_you_mean("enabeld", FIELDS), Some("enabled"));
        assert_eq!(did_you_mean("Event-Type", FIELDS), Some("event_type"));
        assert_eq!(did_you_mean("branch", FIELDS), Some("branches"));
        assert_eq!(
            did_you_mean("repos", &["$schema", "repositories"]),
            Some("repositories")
        );
        assert_eq!(
            did_you_mean("upstrem", &["$schema", "upstream", "subscriptions"]),
            Some("upstream")
        );
    }

    #[test]
    fn stays_quiet_for_unrelated_names() {
        assert_eq!(did_you_mean("colour", FIELDS), None);
        assert_eq!(did_you_mean("extra", FIELDS), None);
        assert_eq!(did_you_mean("x", &["to", "path"]), None);
        assert_eq!(did_you_mean("anything", &[]), None);
    }
}
