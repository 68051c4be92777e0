//! Branch names in the configuration files, checked as `git check-ref-format --branch` checks them, and
//! stricter where a name would be read as something else: one that starts with `-` reads as an option,
//! `HEAD` as the checked-out commit, and a full ref name (`refs/heads/main`) would make the branch
//! `refs/heads/refs/heads/main`.

/// Why a string cannot be a branch name in a configuration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchProblem {
    /// It is empty.
    Empty,
    /// It starts with `-`.
    OptionLike,
    /// It is `HEAD`.
    Head,
    /// It starts with `refs/`.
    FullRef,
    /// git refuses it (`..`, a space, `~`, `^`, `:`, `\`, a control character, a trailing `.lock`, ...).
    Invalid,
}

impl BranchProblem {
    /// Why, to follow "`X` is not a valid branch name".
    pub fn reason(self) -> &'static str {
        match self {
            BranchProblem::Empty => "it is empty",
            BranchProblem::OptionLike => "it starts with `-`, like a command-line option",
            BranchProblem::Head => "`HEAD` names the checked-out commit, not a branch",
            BranchProblem::FullRef => {
                "it is a full ref name; the branch is the part after `refs/heads/`"
            }
            BranchProblem::Invalid => {
                "git refuses it (no spaces, `..`, `~`, `^`, `:`, `?`, `*`, `[`, `\\`, control characters, \
                 nor a trailing `.` or `.lock`)"
            }
        }
    }

    /// How to fix `name`.
    pub fn hint(self, name: &str) -> String {
        match self {
            BranchProblem::FullRef => match name.strip_prefix("refs/heads/") {
                Some(short) if is_valid_branch(short) => format!("write `{short}`"),
                _ => "write the branch's name alone, such as `main`".to_owned(),
            },
            _ => "write a branch name such as `main` or `release/1.x`".to_owned(),
        }
    }
}

/// What is wrong with `b` as a branch name, or `None` when it is one.
pub fn branch_problem(b: &str) -> Option<BranchProblem> {
    if b.is_empty() {
        Some(BranchProblem::Empty)
    } else if b.starts_with('-') {
        Some(BranchProblem::OptionLike)
    } else if b == "HEAD" {
        Some(BranchProblem::Head)
    } else if b.starts_with("refs/") {
        Some(BranchProblem::FullRef)
    } else if !git2::Reference::is_valid_name(&format!("refs/heads/{b}")) {
        Some(BranchProblem::Invalid)
    } else {
        None
    }
}

/// True when `b` is a valid branch name in a configuration file (see [`branch_problem`]).
pub fn is_valid_branch(b: &str) -> bool {
    branch_problem(b).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_git_would_misread_are_refused() {
        for ok in [
            "main",
            "release/1.x",
            "ecosync/acme-mono",
            "feature-x",
            "v1.2",
        ] {
            assert_eq!(branch_problem(ok), None, "{ok}");
        }
        for (bad, problem) in [
            ("", BranchProblem::Empty),
            ("--force", BranchProblem::OptionLike),
            ("-x", BranchProblem::OptionLike),
            ("HEAD", BranchProblem::Head),
            ("refs/heads/main", BranchProblem::FullRef),
            ("refs/tags/v1", BranchProblem::FullRef),
            ("a..b", BranchProblem::Invalid),
            ("a b", BranchProblem::Invalid),
            ("a\0b", BranchProblem::Invalid),
            ("x.lock", BranchProblem::Invalid),
        ] {
            assert_eq!(branch_problem(bad), Some(problem), "{bad:?}");
        }
        assert_eq!(
            BranchProblem::FullRef.hint("refs/heads/main"),
            "write `main`"
        );
    }

    /// `git check-ref-format --branch` agrees on everything it refuses (what it accepts and we refuse is
    /// the full ref names, `HEAD` and option-like names, on purpose).
    #[test]
    fn git_refuses_at_least_what_git_refuses() {
        for name in [
            "a..b", "a b", "x.lock", "a:b", "a~1", "a^", "a?", "a*", "a[", "a\\b", ".a", "a/",
        ] {
            let out = std::process::Command::new("git")
                .args(["check-ref-format", "--branch", name])
                .output();
            let Ok(out) = out else { return };
            assert!(!out.status.success(), "git accepts {name:?}");
            assert!(!is_valid_branch(name), "{name:?}");
        }
    }
}
