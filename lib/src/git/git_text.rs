//! `git_text`: libgit2's errors in the words a user reads.
//!
//! libgit2 formats its errors for programmers (`could not find repository at '.'; class=Repository (6);
//! code=NotFound (-3)`). Wherever one would reach a user, our own message already says what was being done
//! and what to do; libgit2's class and code add nothing there, and its message adds only a reason (a network
//! failure, a refused push) that our words do not have. The whole text always goes to the debug log.

/// The part of libgit2's error a user reads: its message without the class and code, or nothing when our own
/// message says all of it (an object, a reference or a repository that is not there). The whole error is
/// logged at debug level.
pub fn git_text(e: &git2::Error) -> Option<String> {
    tracing::debug!(class = ?e.class(), code = ?e.code(), message = e.message(), "libgit2 error");
    if e.code() == git2::ErrorCode::NotFound {
        return None;
    }
    let message = e.message().trim();
    (!message.is_empty()).then(|| message.to_owned())
}

/// libgit2's message without its class and code, for a message of the form `git: {reason}` that has no
/// words of its own to stand in for it. The whole error is logged at debug level.
pub fn git_reason(e: &git2::Error) -> String {
    tracing::debug!(class = ?e.class(), code = ?e.code(), message = e.message(), "libgit2 error");
    e.message().trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_and_code_never_show() {
        let e = git2::Error::new(
            git2::ErrorCode::NotFound,
            git2::ErrorClass::Reference,
            "reference 'refs/heads/x' not found",
        );
        assert_eq!(git_text(&e), None);
        let e = git2::Error::new(
            git2::ErrorCode::GenericError,
            git2::ErrorClass::Net,
            "failed to connect",
        );
        assert_eq!(git_text(&e).as_deref(), Some("failed to connect"));
        assert!(!git_reason(&e).contains("class="));
    }
}
