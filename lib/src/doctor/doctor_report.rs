//! `DoctorReport`: the checks of one `doctor` run, for people (a table) and for tools (JSON).

use std::fmt::Write as _;

use serde::Serialize;

/// The result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Fine.
    Ok,
    /// A run would fail here.
    Fail,
    /// Works, with a caveat, or cannot be told and may fail.
    Warn,
}

impl Verdict {
    fn word(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Fail => "FAIL",
            Verdict::Warn => "warn",
        }
    }
}

/// One check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What is checked (`pull requests write acme/web`).
    pub check: String,
    /// Its verdict.
    pub result: Verdict,
    /// What was found.
    pub detail: String,
    /// The exact fix, when there is something to fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    /// A passed check.
    pub fn ok(check: impl Into<String>, detail: impl Into<String>) -> Self {
        Check {
            check: check.into(),
            result: Verdict::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    /// A failed check and its fix.
    pub fn fail(
        check: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Check {
            check: check.into(),
            result: Verdict::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    /// A warning and what to do about it.
    pub fn warn(
        check: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Check {
            check: check.into(),
            result: Verdict::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Every check of one run, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DoctorReport {
    /// The checks.
    pub checks: Vec<Check>,
}

impl DoctorReport {
    /// How many checks have this verdict.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.checks.iter().filter(|c| c.result == verdict).count()
    }

    /// Whether a run would fail.
    pub fn failed(&self) -> bool {
        self.count(Verdict::Fail) > 0
    }

    /// A table: check, result, fix; then a summary line.
    pub fn to_text(&self) -> String {
        let rows: Vec<[String; 3]> = self
            .checks
            .iter()
            .map(|c| {
                [
                    c.check.clone(),
                    format!("{}: {}", c.result.word(), c.detail),
                    c.fix.clone().unwrap_or_default(),
                ]
            })
            .collect();
        let header = ["CHECK", "RESULT", "FIX"].map(str::to_owned);
        let mut widths = [0; 3];
        for row in std::iter::once(&header).chain(&rows) {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut s = String::new();
        for row in std::iter::once(&header).chain(&rows) {
            let line = format!(
                "{:<w0$}  {:<w1$}  {}",
                row[0],
                row[1],
                row[2],
                w0 = widths[0],
                w1 = widths[1]
            );
            _ = writeln!(s, "{}", line.trim_end());
        }
        _ = writeln!(
            s,
            "{} checks: {} ok, {} failed, {} warnings",
            self.checks.len(),
            self.count(Verdict::Ok),
            self.count(Verdict::Fail),
            self.count(Verdict::Warn)
        );
        s
    }

    /// `{"checks": [...], "failed": N}`, pretty-printed with a final newline.
    pub fn to_json(&self) -> String {
        let value = serde_json::json!({
            "checks": self.checks,
            "failed": self.count(Verdict::Fail),
        });
        let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
        s.push('\n');
        s
    }
}
