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
/// process: failure issues and reports.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let next = e.to_string();
        // `#[error(transparent)]` wrappers and messages that already quote their source add nothing.
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = e.source();
    }
    text
}
