//! The renderings of a plan and of every other planning outcome: for people (text), for
//! `$GITHUB_STEP_SUMMARY` (markdown) and for tools (JSON, a contract documented in the README and checked by
//! the snapshot tests).

use std::fmt::Write as _;

use crate::dispatch::ecosystem::delivery_mode::DeliveryMode;
use crate::dispatch::plan::plan_outcome::PlanOutcome;
use crate::dispatch::plan::revision_range::ZERO_SHA;
use crate::dispatch::plan::{Plan, quoted_list};
use crate::git::short_sha;

/// How many paths per repository the text and markdown renderings list before summarising.
const LISTED_PATHS: usize = 10;

impl Plan {
    /// [`Plan::to_json`] written to `out` as it is produced, with no copy of the whole text in memory.
    pub fn write_json(&self, mut out: impl std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut out, self)?;
        out.write_all(b"\n")
    }

    /// The JSON contract, pretty-printed, with a final newline.
    pub fn to_json(&self) -> String {
        // A Plan holds only strings, numbers and lists, which always serialize.
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// For people: one line per repository with its counts, then the skipped entries and why.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let on = self
            .git_ref
            .as_deref()
            .map_or_else(|| "no branch".to_owned(), |r| format!("branch `{r}`"));
        let _ = writeln!(
            out,
            "compared {}..{} on {on}: {}",
            short_sha(&self.base),
            short_sha(&self.head),
            self.range
        );
        if let Some(w) = &self.watermark {
            let _ = writeln!(out, "watermark: {}", w.message);
        }
        if let Some(line) = self.shard_line() {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(
            out,
            "{} changed {}; {} {} would receive {}",
            self.changed_paths.len(),
            plural(self.changed_paths.len(), "path", "paths"),
            self.deliveries.len(),
            plural(self.deliveries.len(), "repository", "repositories"),
            if self
                .deliveries
                .iter()
                .all(|d| d.mode == DeliveryMode::Dispatch)
            {
                "a dispatch"
            } else {
                "a delivery"
            },
        );
        let width = self
            .deliveries
            .iter()
            .map(|d| d.repo.as_str().len())
            .max()
            .unwrap_or(0);
        let type_width = self
            .deliveries
            .iter()
            .map(|d| d.how().chars().count())
            .max()
            .unwrap_or(0);
        let count_width = self
            .deliveries
            .iter()
            .map(|d| d.paths.len().to_string().len())
            .max()
            .unwrap_or(0);
        for d in &self.deliveries {
            let _ = writeln!(
                out,
                "  {:width$}  {:type_width$}  {:>count_width$} {} via {}",
                d.repo.as_str(),
                d.how(),
                d.paths.len(),
                plural(d.paths.len(), "path", "paths"),
                quoted_list(&d.features),
            );
        }
        for (repo, standing) in self.held_back() {
            let _ = writeln!(out, "held back: {repo}: {}", standing.text);
        }
        if self.unmatched > 0 {
            let _ = writeln!(
                out,
                "{} other {}: no changed path matched",
                self.unmatched,
                plural(self.unmatched, "repository", "repositories")
            );
        }
        for s in &self.skipped {
            let _ = writeln!(
                out,
                "skipped entry {} (`{}`): {}",
                s.entry, s.repo, s.reason
            );
        }
        out.push_str("nothing was sent: this is a plan\n");
        out
    }

    /// For `$GITHUB_STEP_SUMMARY`: a table of deliveries, the skipped entries and the changed paths.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from("### ecosync plan\n\n");
        let on = self
            .git_ref
            .as_deref()
            .map_or_else(|| "no branch".to_owned(), |r| format!("branch {}", code(r)));
        let _ = writeln!(
            out,
            "Compared {}..{} on {on} ({}): **{}** changed {}, **{}** {} to notify.\n",
            code(short_sha(&self.base)),
            code(short_sha(&self.head)),
            md_escape(&self.range),
            self.changed_paths.len(),
            plural(self.changed_paths.len(), "path", "paths"),
            self.deliveries.len(),
            plural(self.deliveries.len(), "repository", "repositories"),
        );
        if let Some(w) = &self.watermark {
            let _ = writeln!(out, "Watermark: {}\n", md_escape(&w.message));
        }
        if let Some(line) = self.shard_line() {
            let _ = writeln!(out, "{}.\n", upper_first(&line));
        }
        if !self.deliveries.is_empty() {
            out.push_str("| Repository | Delivery | Features | Paths |\n|---|---|---|---|\n");
            for d in &self.deliveries {
                let features: Vec<String> = d.features.iter().map(|f| code(f)).collect();
                let mut paths: Vec<String> =
                    d.paths.iter().take(LISTED_PATHS).map(|p| code(p)).collect();
                if d.paths.len() > LISTED_PATHS {
                    paths.push(format!("and {} more", d.paths.len() - LISTED_PATHS));
                }
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    code(d.repo.as_str()),
                    match d.mode {
                        DeliveryMode::Dispatch => format!("dispatch {}", code(&d.event_type)),
                        other => other.as_str().to_owned(),
                    },
                    features.join(", "),
                    paths.join("<br>"),
                );
            }
            out.push('\n');
        }
        let held: Vec<_> = self.held_back().collect();
        if !held.is_empty() {
            out.push_str("Held back:\n\n");
            for (repo, standing) in held {
                let _ = writeln!(
                    out,
                    "- {}: {}",
                    code(repo.as_str()),
                    md_escape(&standing.text)
                );
            }
            out.push('\n');
        }
        if self.unmatched > 0 {
            let _ = writeln!(
                out,
                "{} other {} matched no changed path.\n",
                self.unmatched,
                plural(self.unmatched, "repository", "repositories")
            );
        }
        if !self.skipped.is_empty() {
            out.push_str("Skipped:\n\n");
            for s in &self.skipped {
                let _ = writeln!(
                    out,
                    "- {} (entry {}): {}",
                    code(s.repo.as_str()),
                    s.entry,
                    md_escape(&s.reason.to_string())
                );
            }
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "<details><summary>Changed paths ({})</summary>\n",
            self.changed_paths.len()
        );
        for p in &self.changed_paths {
            let _ = writeln!(out, "- {}", code(p));
        }
        out.push_str("\n</details>\n");
        out
    }
}

impl PlanOutcome {
    /// For people.
    pub fn to_text(&self) -> String {
        match self {
            PlanOutcome::Planned(plan) => plan.to_text(),
            PlanOutcome::BranchDeleted { git_ref, before } => {
                format!(
                    "{} was deleted (was at {before}): nothing to dispatch\n",
                    deleted(git_ref.as_deref())
                )
            }
            PlanOutcome::AlreadyDispatched { watermark, .. } => format!("{}\n", watermark.message),
        }
    }

    /// For `$GITHUB_STEP_SUMMARY`.
    pub fn to_markdown(&self) -> String {
        match self {
            PlanOutcome::Planned(plan) => plan.to_markdown(),
            PlanOutcome::BranchDeleted { git_ref, before } => format!(
                "### ecosync plan\n\n{} was deleted (was at `{before}`): nothing to dispatch.\n",
                deleted(git_ref.as_deref())
            ),
            PlanOutcome::AlreadyDispatched { watermark, .. } => {
                format!("### ecosync plan\n\n{}.\n", watermark.message)
            }
        }
    }

    /// The JSON contract written to `out`: a plan pretty-printed as it is produced; a deleted branch or a
    /// head dispatched already as one line, with empty `changed_paths` and `deliveries`.
    pub fn write_json(&self, mut out: impl std::io::Write) -> std::io::Result<()> {
        let line = match self {
            PlanOutcome::Planned(plan) => return plan.write_json(out),
            PlanOutcome::BranchDeleted { before, .. } => serde_json::json!({
                "base": before,
                "head": ZERO_SHA,
                "deleted": true,
                "changed_paths": [],
                "deliveries": [],
            }),
            PlanOutcome::AlreadyDispatched {
                git_ref,
                head,
                watermark,
            } => serde_json::json!({
                "head": head,
                "ref": git_ref,
                "already_dispatched": true,
                "watermark": watermark,
                "changed_paths": [],
                "deliveries": [],
            }),
        };
        writeln!(out, "{line}")
    }
}

/// How a deleted ref is named: `` `refs/heads/x` ``, or "the ref" when the event did not say.
fn deleted(git_ref: Option<&str>) -> String {
    git_ref.map_or_else(|| "the ref".to_owned(), |r| format!("`{r}`"))
}

fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// A markdown code span that survives backticks and table pipes in `s`.
fn code(s: &str) -> String {
    let s = s.replace('|', "\\|");
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

/// Escapes `|`, `<` and `>` in prose that goes into markdown (the range description names revisions).
fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
