//! The shipped workflows: the ecosync commands in them are the ones the binaries accept, and they are safe.

use crate::support::workflow::{Context, ecosync_steps};

/// The workflows call both binaries; if a refactor drops a step, the extraction notices.
#[test]
fn workflows_call_both_binaries() {
    let steps = ecosync_steps();
    let names: Vec<String> = steps
        .iter()
        .map(|s| format!("{}/{}/{}", s.workflow, s.job, s.name))
        .collect();
    assert!(
        steps.iter().any(|s| s.run.contains("dispatcher plan")),
        "{names:?}"
    );
    assert!(
        steps.iter().any(|s| s.run.contains("dispatcher dispatch")),
        "{names:?}"
    );
    assert!(
        steps.iter().any(|s| s.run.contains("subscriber apply")),
        "{names:?}"
    );
    assert!(
        steps.iter().any(|s| s.run.contains("subscriber check")),
        "{names:?}"
    );
}

/// No expression is ever pasted into a script: event data reaches it only through `env:`.
#[test]
fn no_expression_inside_run_scripts() {
    for s in ecosync_steps() {
        assert!(
            !s.run.contains("${{"),
            "{}/{}/{}: expression inside run:",
            s.workflow,
            s.job,
            s.name
        );
    }
}

/// Expressions are evaluated as Actions would, and an unknown one fails loudly.
#[test]
fn context_evaluates_alternatives() {
    let ctx = Context::default()
        .set("secrets.ECOSYNC_TOKEN", "")
        .set("github.token", "t");
    assert_eq!(
        ctx.eval("${{ secrets.ECOSYNC_TOKEN || github.token }}"),
        "t"
    );
    let r = std::panic::catch_unwind(|| Context::default().eval("${{ github.event.x }}"));
    assert!(r.is_err());
}
