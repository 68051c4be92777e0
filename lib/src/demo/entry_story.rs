//! What each `ecosystem.json` entry gets from a push, and why, in plain words: what `dispatcher demo` says
//! between the plan and the delivery. It reads the real plan (the same as `dispatcher plan` prints) and,
//! for the paths an entry's `!` patterns leave out, the same matcher `dispatcher explain` uses.

use std::fmt::Write as _;

use crate::dispatch::ecosystem::Ecosystem;
use crate::dispatch::ecosystem::delivery_mode::DeliveryMode;
use crate::dispatch::ecosystem::subscription_matcher::MatcherError;
use crate::dispatch::plan::explain::explain;
use crate::dispatch::plan::{Delivery, Plan};
use crate::escape;

/// How many paths a line lists before it counts the rest.
const LISTED: usize = 3;

/// One paragraph: a line per entry, in file order, then what the modes used mean.
pub fn entry_stories(ecosystem: &Ecosystem, plan: &Plan) -> Result<String, MatcherError> {
    let entries = ecosystem.entries();
    let excluded = excluded_paths(ecosystem, plan)?;
    let width = entries
        .iter()
        .map(|e| e.repo.as_str().len())
        .max()
        .unwrap_or(0);
    let indent = " ".repeat(width + 4);
    let mut out = "What each entry of ecosystem.json gets, and why:\n".to_owned();
    let changed = count(plan.changed_paths.len(), "changed path", "changed paths");
    for (i, entry) in entries.iter().enumerate() {
        let repo = entry.repo.as_str();
        let skipped = plan.skipped.iter().find(|s| s.entry == i);
        let delivery = plan.deliveries.iter().find(|d| d.repo == entry.repo);
        let line = match (skipped, delivery) {
            (Some(s), _) => format!("nothing: {}", s.reason),
            (None, Some(d)) => format!(
                "{}: {} via {}",
                gets(d),
                count(d.paths.len(), "changed path", "changed paths"),
                quoted(&d.features)
            ),
            (None, None) => {
                let positive: Vec<String> = entry
                    .subscriptions
                    .iter()
                    .filter(|p| !p.starts_with('!'))
                    .cloned()
                    .collect();
                if excluded[i].is_empty() {
                    format!(
                        "nothing: it subscribes to {}, and none of the {changed} is there",
                        quoted(&positive)
                    )
                } else {
                    format!(
                        "nothing: it subscribes to {}, but leaves out each changed path there",
                        quoted(&positive)
                    )
                }
            }
        };
        let _ = writeln!(out, "  {repo:<width$}  {line}");
        if skipped.is_none() {
            for (path, pattern) in excluded[i].iter().take(LISTED) {
                let _ = writeln!(
                    out,
                    "{indent}`{}` is left out by `{}`",
                    escape::line(path),
                    escape::line(pattern)
                );
            }
            if excluded[i].len() > LISTED {
                let _ = writeln!(
                    out,
                    "{indent}and {} more left out",
                    excluded[i].len() - LISTED
                );
            }
        }
    }
    let modes: Vec<DeliveryMode> = plan.deliveries.iter().map(|d| d.mode).collect();
    if modes.contains(&DeliveryMode::Dispatch) {
        out.push_str(
            "A repository_dispatch only tells a repository which commit concerns it. Its own workflow then\n\
             runs `subscriber apply`, which applies what its `.github/ecosync.json` subscribes to, not what\n\
             its entry in ecosystem.json matched.\n",
        );
    }
    if modes.iter().any(|m| *m != DeliveryMode::Dispatch) {
        out.push_str(
            "In the other modes the dispatcher delivers the change itself: each subscription's directory\n\
             (or the entry's `mapping`) to the same place in the repository.\n",
        );
    }
    Ok(out)
}

/// What the delivery brings, for people.
fn gets(d: &Delivery) -> String {
    let target = d.target.as_deref();
    match d.mode {
        DeliveryMode::Dispatch => {
            format!("a repository_dispatch (`{}`)", escape::line(&d.event_type))
        }
        DeliveryMode::Push => match target.and_then(|t| t.target_branch.as_deref()) {
            Some(b) => format!("a push of the head to its branch `{b}`"),
            None => "a push of the head to its default branch".to_owned(),
        },
        DeliveryMode::PullRequest if target.is_some_and(|t| t.per_commit) => {
            "one pull request per source commit, opened by the dispatcher".to_owned()
        }
        DeliveryMode::PullRequest => "a pull request, opened by the dispatcher".to_owned(),
        DeliveryMode::BufferedPr => {
            let hours = target
                .and_then(|t| t.buffer)
                .map_or(0.0, |b| b.as_secs_f64() / 3600.0);
            format!(
                "the change on a branch, whose pull request opens once the oldest change is {hours} \
                 hours old"
            )
        }
    }
}

fn quoted(items: &[String]) -> String {
    let q: Vec<String> = items
        .iter()
        .map(|p| format!("`{}`", escape::line(p)))
        .collect();
    q.join(", ")
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// For each entry, the changed paths one of its `!` patterns decides, with that pattern.
fn excluded_paths(
    ecosystem: &Ecosystem,
    plan: &Plan,
) -> Result<Vec<Vec<(String, String)>>, MatcherError> {
    let mut out = vec![Vec::new(); ecosystem.entries().len()];
    if !ecosystem
        .entries()
        .iter()
        .any(|e| e.subscriptions.iter().any(|p| p.starts_with('!')))
    {
        return Ok(out);
    }
    for explained in explain(ecosystem, &plan.changed_paths, None, None)? {
        for entry in &explained.entries {
            if let Some(p) = entry.deciding.iter().find(|p| !p.includes) {
                out[entry.entry].push((explained.path.clone(), p.pattern.clone()));
            }
        }
    }
    Ok(out)
}
