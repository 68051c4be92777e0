//! `PathLanding`: where an upstream path lands in the cousin, for `subscriber explain`.
//!
//! A subscription maps an upstream directory onto a directory of the cousin; a path is subscribed when a
//! subscription's upstream directory contains it, and it lands at the same place below the mapped
//! directory. A mapping into the cousin's root never brings upstream's `.github` (the cousin's own
//! workflows and configuration live there). With the `merge` strategy whole commits are merged, so every
//! path lands where it is upstream and the subscriptions only decide which events are acted on.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::config::cousin_config::CousinConfig;
use crate::config::subscription::Subscription;
use crate::repo_path::RepoPath;
use crate::sync::compute::mapped_tree::RESERVED_AT_ROOT;

/// One subscription that holds the path, and where the path lands through it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Landing {
    /// The subscription's index in the file.
    pub subscription: usize,
    /// Its upstream directory (`""`: the whole upstream).
    pub from: String,
    /// Its directory in this repository (`""`: the root).
    pub to: String,
    /// Where the path lands here, or `None` when the mapping leaves it out.
    pub lands_at: Option<String>,
    /// Why it is left out, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_out: Option<String>,
}

/// One upstream path, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathLanding {
    /// The upstream path, as given (without a trailing `/`).
    pub path: String,
    /// Whether a change of it is synced here.
    pub subscribed: bool,
    /// The strategy that brings it.
    pub strategy: String,
    /// What the strategy brings, for people.
    pub brings: String,
    /// The subscriptions whose upstream directory holds the path.
    pub landings: Vec<Landing>,
    /// Subscriptions below the path (it is a directory holding subscribed directories).
    pub below: Vec<String>,
    /// When it is not subscribed: the closest subscribed upstream directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closest: Option<String>,
}

/// Explains each of `paths` (upstream paths, checked, relative to upstream's root) against `config`.
pub fn explain(config: &CousinConfig, paths: &[RepoPath]) -> Vec<PathLanding> {
    paths.iter().map(|p| explain_one(config, p)).collect()
}

fn explain_one(config: &CousinConfig, given: &RepoPath) -> PathLanding {
    let path = given.as_str();
    let merge = config.strategy.merges_history();
    let landings: Vec<Landing> = config
        .subscriptions
        .iter()
        .enumerate()
        .filter(|(_, s)| s.path.contains(path))
        .map(|(i, s)| landing(i, s, path, merge))
        .collect();
    let below: Vec<String> = config
        .subscriptions
        .iter()
        .filter(|s| s.path != *given && given.contains(s.path.as_str()))
        .map(|s| s.path.as_str().to_owned())
        .collect();
    let subscribed = landings.iter().any(|l| l.lands_at.is_some());
    let closest = (landings.is_empty() && below.is_empty())
        .then(|| closest(config, path))
        .flatten();
    PathLanding {
        path: path.to_owned(),
        subscribed,
        strategy: config.strategy.to_string(),
        brings: config.strategy.brings().to_owned(),
        landings,
        below,
        closest,
    }
}

fn landing(index: usize, s: &Subscription, path: &str, merge: bool) -> Landing {
    let rel = if s.path.is_root() {
        path
    } else {
        path[s.path.as_str().len()..].trim_start_matches('/')
    };
    let at = if merge {
        path.to_owned()
    } else {
        s.to.join(rel)
    };
    let reserved = !merge
        && s.to.is_root()
        && (at == RESERVED_AT_ROOT || at.starts_with(&format!("{RESERVED_AT_ROOT}/")));
    Landing {
        subscription: index,
        from: s.path.as_str().to_owned(),
        to: s.to.as_str().to_owned(),
        lands_at: (!reserved).then(|| at.clone()),
        left_out: reserved.then(|| {
            format!(
                "a mapping into this repository's root never brings upstream's `{RESERVED_AT_ROOT}`: \
                 `{RESERVED_AT_ROOT}/` here stays this repository's own"
            )
        }),
    }
}

fn closest(config: &CousinConfig, path: &str) -> Option<String> {
    config
        .subscriptions
        .iter()
        .map(|s| {
            let probe = path.get(..s.path.as_str().len()).unwrap_or(path);
            (
                strsim::jaro_winkler(probe, s.path.as_str()),
                s.path.as_str().to_owned(),
            )
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, p)| p)
}

/// The explanations as JSON (an array, pretty-printed, with a final newline).
pub fn to_json(landings: &[PathLanding]) -> String {
    let mut s = serde_json::to_string_pretty(landings).unwrap_or_else(|_| "[]".to_owned());
    s.push('\n');
    s
}

/// The explanations for people.
pub fn to_text(landings: &[PathLanding]) -> String {
    let mut s = String::new();
    for x in landings {
        let path = if x.path.is_empty() { "." } else { &x.path };
        if x.subscribed {
            let at: Vec<String> = x
                .landings
                .iter()
                .filter_map(|l| l.lands_at.as_ref().map(|a| format!("`{a}`")))
                .collect();
            _ = writeln!(
                s,
                "`{path}`: subscribed; lands at {}, brought by `{}` ({})",
                at.join(" and "),
                x.strategy,
                x.brings
            );
        } else if !x.below.is_empty() {
            let below: Vec<String> = x.below.iter().map(|b| format!("`{b}`")).collect();
            _ = writeln!(
                s,
                "`{path}`: not subscribed as a whole; below it {} {} (brought by `{}`)",
                below.join(", "),
                if below.len() == 1 { "is" } else { "are" },
                x.strategy
            );
        } else if !x.landings.is_empty() {
            _ = writeln!(s, "`{path}`: not subscribed: the mapping leaves it out");
        } else {
            _ = write!(s, "`{path}`: not subscribed");
            if let Some(c) = &x.closest {
                _ = write!(s, "; the closest subscription is `{c}`");
            }
            s.push('\n');
        }
        for l in &x.landings {
            let sub = if l.from == l.to {
                format!("`{}`", shown(&l.from))
            } else {
                format!("`{}` -> `{}`", shown(&l.from), shown(&l.to))
            };
            match (&l.lands_at, &l.left_out) {
                (Some(at), _) => {
                    _ = writeln!(
                        s,
                        "  subscription {} ({sub}): lands at `{at}`",
                        l.subscription
                    );
                }
                (None, Some(why)) => {
                    _ = writeln!(
                        s,
                        "  subscription {} ({sub}): left out: {why}",
                        l.subscription
                    );
                }
                (None, None) => {}
            }
        }
    }
    s
}

/// The root shown as `<root>`, as in every other message about subscriptions.
fn shown(p: &str) -> &str {
    if p.is_empty() { "<root>" } else { p }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::cousin_config::ConfigOverrides;

    fn config(json: &str) -> CousinConfig {
        CousinConfig::load("c.json", json, &ConfigOverrides::default()).unwrap()
    }

    #[test]
    fn mapped_paths_land_below_their_directory() {
        let c = config(
            r#"{"upstream": {"repo": "a/b"}, "subscriptions": [{"path": "features/flask", "to": ""}]}"#,
        );
        let paths = [
            "features/flask/app.py",
            "features/flask/.github/w.yml",
            "feature/flask/a",
            "features",
        ]
        .map(|p| RepoPath::parse(p).unwrap());
        let x = explain(&c, &paths);
        assert_eq!(x[0].landings[0].lands_at.as_deref(), Some("app.py"));
        assert!(!x[1].subscribed && x[1].landings[0].left_out.is_some());
        assert_eq!(x[2].closest.as_deref(), Some("features/flask"));
        assert_eq!(x[3].below, ["features/flask"]);
    }
}
