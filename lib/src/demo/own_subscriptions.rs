//! `OwnSubscriptions`: after a downstream repository applied a `repository_dispatch`, what it took compared
//! with what its `ecosystem.json` entry matched. The entry only decides whether the repository is told
//! about a commit; what it applies is decided by its own `.github/ecosync.json`, so a file the entry leaves
//! out (`!**/*.test.js`) still arrives when the repository subscribes to its directory, and a file the entry
//! matched does not arrive when the repository does not subscribe to it. `dispatcher demo` says so when it
//! happens.

use std::fmt::Write as _;

use crate::config::cousin_config::CousinConfig;
use crate::escape;
use crate::repo_name::RepoName;

/// How many paths a note lists before it counts the rest.
const LISTED: usize = 3;

/// The changed paths on which a repository's own subscriptions and its entry disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnSubscriptions {
    /// Changed paths the repository applies although its entry did not match them.
    pub arrived_anyway: Vec<String>,
    /// Changed paths its entry matched that the repository does not apply.
    pub not_applied: Vec<String>,
    /// The repository's subscriptions, for people (`` `features/x` -> `app` ``, or `every file` for a
    /// merge).
    pub subscriptions: String,
}

impl OwnSubscriptions {
    /// Compares the `changed` paths of the push, of which the entry matched `matched`, with what `config`
    /// (the repository's own configuration) takes: the paths below its subscriptions, or every path when
    /// its strategy merges whole commits.
    pub fn compare(changed: &[String], matched: &[String], config: &CousinConfig) -> Self {
        let whole_commits = !config.strategy.maps_directories();
        let takes = |path: &str| {
            whole_commits || config.subscriptions.iter().any(|s| s.path.contains(path))
        };
        OwnSubscriptions {
            arrived_anyway: changed
                .iter()
                .filter(|p| takes(p) && !matched.contains(p))
                .cloned()
                .collect(),
            not_applied: matched.iter().filter(|p| !takes(p)).cloned().collect(),
            subscriptions: if whole_commits {
                format!("every file (strategy `{}`)", config.strategy)
            } else {
                config.describe_subscriptions().join(", ")
            },
        }
    }

    /// What to tell about `repo`, or `None` when its subscriptions and its entry agree.
    pub fn note(&self, repo: &RepoName) -> Option<String> {
        let mut out = String::new();
        if !self.arrived_anyway.is_empty() {
            let it = them(&self.arrived_anyway);
            _ = write!(
                out,
                "note: {} arrived in {repo}, although its entry in ecosystem.json does not match {it}.\n  \
                 The entry only decides whether {repo} is told about a commit; what it applies is\n  \
                 decided by its own `.github/ecosync.json`, which takes {}.\n  \
                 To keep {it} out, narrow the subscriptions there.\n",
                listed(&self.arrived_anyway),
                self.subscriptions,
            );
        }
        if !self.not_applied.is_empty() {
            _ = write!(
                out,
                "note: {} did not arrive in {repo}, although its entry in ecosystem.json matches {}.\n  \
                 Its own `.github/ecosync.json` takes only {}.\n",
                listed(&self.not_applied),
                them(&self.not_applied),
                self.subscriptions,
            );
        }
        (!out.is_empty()).then_some(out)
    }
}

fn listed(paths: &[String]) -> String {
    let mut q: Vec<String> = paths
        .iter()
        .take(LISTED)
        .map(|p| format!("`{}`", escape::line(p)))
        .collect();
    if paths.len() > LISTED {
        q.push(format!("{} more", paths.len() - LISTED));
    }
    q.join(", ")
}

fn them(paths: &[String]) -> &'static str {
    if paths.len() == 1 { "it" } else { "them" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::cousin_config::ConfigOverrides;

    fn config(text: &str) -> CousinConfig {
        CousinConfig::load("c.json", text, &ConfigOverrides::default()).unwrap()
    }

    #[test]
    fn a_file_the_entry_leaves_out_still_arrives_below_a_subscription() {
        let c = config(
            r#"{"upstream": {"repo": "acme/mono"}, "subscriptions": [{"path": "web", "to": ""}]}"#,
        );
        let changed = [
            "web/a.js".to_owned(),
            "web/a.test.js".to_owned(),
            "api/x".to_owned(),
        ];
        let own = OwnSubscriptions::compare(&changed, &changed[..1], &c);
        assert_eq!(own.arrived_anyway, ["web/a.test.js"]);
        assert!(own.not_applied.is_empty());
        let note = own.note(&RepoName::parse("acme/web").unwrap()).unwrap();
        assert!(
            note.contains("`web/a.test.js` arrived in acme/web"),
            "{note}"
        );
        assert!(note.contains("`web` -> `<root>`"), "{note}");
    }

    #[test]
    fn a_merge_takes_every_file_and_agreement_says_nothing() {
        let c = config(
            r#"{"upstream": {"repo": "acme/mono"}, "subscriptions": ["web"], "strategy": "merge"}"#,
        );
        let changed = ["web/a.js".to_owned(), "api/x".to_owned()];
        let own = OwnSubscriptions::compare(&changed, &changed, &c);
        assert_eq!(own.note(&RepoName::parse("acme/web").unwrap()), None);
        let narrow = config(r#"{"upstream": {"repo": "acme/mono"}, "subscriptions": ["web"]}"#);
        let own = OwnSubscriptions::compare(&changed, &changed, &narrow);
        assert_eq!(own.not_applied, ["api/x"]);
    }
}
