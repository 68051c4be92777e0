//! `ErrorKind`: what kind of error ended a command, which decides its exit status in both binaries; and
//! `UserError`, through which every error the library hands a binary says its kind and what to do about it.

/// What kind of error ended a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Something failed after the input was accepted (a fetch, a push, a request, a conflict): exit 1.
    Failed,
    /// The command line or a configuration file is wrong and must be fixed: exit 2.
    Usage,
    /// The input (an event, its source repository, its commit) was refused: exit 3.
    Rejected,
}

impl ErrorKind {
    /// The exit status both binaries use for this kind.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Failed => 1,
            ErrorKind::Usage => 2,
            ErrorKind::Rejected => 3,
        }
    }
}

/// An error as a user meets it: its kind (the exit status) and what to do about it. Every error type the
/// library hands the binaries implements it, so the command line takes both from the error itself before
/// it erases its type. An error that wraps another says the other's hint where it has none of its own.
pub trait UserError: std::error::Error + Send + Sync + 'static {
    /// What kind of error this is: [`ErrorKind::Failed`] unless the type says otherwise.
    fn kind(&self) -> ErrorKind {
        ErrorKind::Failed
    }

    /// What to do about it, where there is advice. The message never repeats it.
    fn hint(&self) -> Option<String> {
        None
    }
}

/// An error and its sources, joined with `: ` (what anyhow's `{:#}` prints), for text that leaves the
/// process: failure issues, reports and the binaries' error lines. A libgit2 error in the chain shows only
/// its message, and nothing when the words before it say what is missing ([`crate::git::git_text`]); its
/// class and code go to the debug log.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let next = match e.downcast_ref::<git2::Error>() {
            Some(g) => crate::git::git_text(g),
            None => Some(e.to_string()),
        };
        // `#[error(transparent)]` wrappers and messages that already quote their source add nothing.
        if let Some(next) = next
            && !text.contains(&next)
        {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("`.` is not a git repository")]
    struct NotARepo(#[source] git2::Error);

    #[test]
    fn libgit2_texts_stay_out_of_the_chain() {
        let e = NotARepo(git2::Error::new(
            git2::ErrorCode::NotFound,
            git2::ErrorClass::Repository,
            "could not find repository at '.'",
        ));
        assert_eq!(error_chain(&e), "`.` is not a git repository");
    }
}
