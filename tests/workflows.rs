//! The shipped workflows: the ecosync commands in them are the ones the binaries accept, and they are safe.

use std::collections::BTreeMap;
use std::path::Path;

use ecosync::demo::DemoSample;
use ecosync::forge::local::LocalForge;
use serde_json::json;

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

/// The runner's variables for one job of one event, as GitHub Actions sets them.
fn runner_env(
    tmp: &Path,
    event_name: &str,
    event: &serde_json::Value,
    repository: &str,
    forge: &Path,
) -> BTreeMap<String, String> {
    let event_path = tmp.join(format!("{event_name}-event.json"));
    std::fs::write(&event_path, serde_json::to_vec_pretty(event).unwrap()).unwrap();
    let summary = tmp.join(format!(
        "{event_name}-{}-summary.md",
        repository.replace('/', "-")
    ));
    let output = tmp.join(format!(
        "{event_name}-{}-output.txt",
        repository.replace('/', "-")
    ));
    std::fs::write(&summary, "").unwrap();
    std::fs::write(&output, "").unwrap();
    let mut env = BTreeMap::new();
    let mut set = |k: &str, v: String| {
        env.insert(k.to_owned(), v);
    };
    set("GITHUB_EVENT_NAME", event_name.to_owned());
    set("GITHUB_EVENT_PATH", event_path.display().to_string());
    set("GITHUB_REPOSITORY", repository.to_owned());
    set("GITHUB_SERVER_URL", "https://github.com".to_owned());
    set("GITHUB_RUN_ID", "4242".to_owned());
    set("GITHUB_STEP_SUMMARY", summary.display().to_string());
    set("GITHUB_OUTPUT", output.display().to_string());
    set("RUNNER_TEMP", tmp.display().to_string());
    // The one thing that is not as on GitHub: the forge is the local one, so nothing leaves this machine.
    set("ECOSYNC_FORGE", format!("local:{}", forge.display()));
    set("ECOSYNC_MIN_INTERVAL", "0s".to_owned());
    env
}

/// Every ecosync step of the shipped workflows, run the way Actions runs it, on the demo sample: the
/// pull-request plan, the push dispatch, and in each downstream repository the configuration check and the
/// apply of the event that the dispatch delivered. A renamed flag or subcommand breaks this test, not a
/// user's sync.
#[test]
fn every_workflow_command_runs_against_a_local_fixture() {
    let tmp = tempfile::tempdir().unwrap();
    let now = ecosync::clock::unix_seconds(std::time::SystemTime::now());
    let sample = DemoSample::create(&tmp.path().join("sample"), now).unwrap();
    let update = sample.push_update().unwrap();
    let first = sample.first.to_string();
    let update = update.to_string();
    let forge = sample.forge_dir();
    let source = DemoSample::source();
    let source_dir = sample.work_dir(source.as_str());
    let steps = ecosync_steps();
    let mut ran = std::collections::BTreeSet::new();

    let ctx = Context::default()
        .set("secrets.ECOSYNC_TOKEN", "")
        .set("github.token", "ghs_not_a_real_token_0123456789")
        .set("inputs.base", "")
        .set("inputs.head", "")
        .set("inputs.sha", "");

    // Source repository, pull_request event: only the plan job's steps run.
    let pr_event = json!({
        "action": "synchronize", "number": 7,
        "pull_request": {"number": 7, "base": {"ref": "main", "sha": first}, "head": {"ref": "webpush-retries", "sha": update}},
        "repository": {"full_name": source.as_str(), "default_branch": "main"}
    });
    let env = runner_env(
        tmp.path(),
        "pull_request",
        &pr_event,
        source.as_str(),
        &forge,
    );
    for step in steps
        .iter()
        .filter(|s| s.workflow == "dispatch_updates.yml" && s.job == "plan")
    {
        step.run(
            &source_dir,
            &ctx.clone().set("github.event_name", "pull_request"),
            &env,
        )
        .success();
        ran.insert(format!("{}/{}/{}", step.workflow, step.job, step.name));
    }
    let summary = std::fs::read_to_string(&env["GITHUB_STEP_SUMMARY"]).unwrap();
    assert!(
        summary.contains("acme/flask-webpush") && summary.contains("acme/react-webpush"),
        "{summary}"
    );
    assert!(
        !summary.contains("acme/django-auth |"),
        "the auth cousin is not concerned: {summary}"
    );
    for cousin in DemoSample::cousins() {
        assert!(
            LocalForge::new(&forge)
                .dispatches(&cousin)
                .unwrap()
                .is_empty(),
            "a plan must send nothing"
        );
    }

    // Source repository, push event: the dispatch job's steps.
    let push_event = json!({
        "ref": "refs/heads/main", "before": first, "after": update,
        "created": false, "deleted": false, "forced": false,
        "repository": {"full_name": source.as_str(), "default_branch": "main"}
    });
    let env = runner_env(tmp.path(), "push", &push_event, source.as_str(), &forge);
    for step in steps
        .iter()
        .filter(|s| s.workflow == "dispatch_updates.yml" && s.job == "dispatch")
    {
        let out = step
            .run(
                &source_dir,
                &ctx.clone().set("github.event_name", "push"),
                &env,
            )
            .success();
        assert!(
            !out.stdout.contains("ghs_not_a_real") && !out.stderr.contains("ghs_not_a_real"),
            "{out}"
        );
        ran.insert(format!("{}/{}/{}", step.workflow, step.job, step.name));
    }
    let outputs = std::fs::read_to_string(&env["GITHUB_OUTPUT"]).unwrap();
    assert!(outputs.contains("delivered=3"), "{outputs}");
    // The dispatch watermark now marks the push as dispatched, in the source's own (bare) repository.
    let bare = git2::Repository::open_bare(forge.join(format!("{source}.git"))).unwrap();
    assert_eq!(
        bare.refname_to_id("refs/ecosync/dispatched/main")
            .unwrap()
            .to_string(),
        *update
    );

    // Each downstream repository, repository_dispatch event: the event file is the dispatch the local forge
    // recorded, exactly what Actions hands the listener.
    for cousin in DemoSample::cousins() {
        let events = LocalForge::new(&forge).dispatches(&cousin).unwrap();
        assert_eq!(events.len(), 1, "{cousin}: exactly one dispatch");
        let env = runner_env(
            tmp.path(),
            "repository_dispatch",
            &events[0],
            cousin.as_str(),
            &forge,
        );
        let work = sample.work_dir(cousin.as_str());
        for step in steps.iter().filter(|s| s.workflow == "sync-upstream.yml") {
            step.run(
                &work,
                &ctx.clone().set("github.event_name", "repository_dispatch"),
                &env,
            )
            .success();
            ran.insert(format!("{}/{}/{}", step.workflow, step.job, step.name));
        }
        let pulls = LocalForge::new(&forge).pulls(&cousin).unwrap();
        assert_eq!(
            pulls.len(),
            1,
            "{cousin}: exactly one pull request: {pulls:?}"
        );
        assert!(
            pulls[0]
                .body
                .contains(&format!("Ecosync-Upstream: {source}@{update}")),
            "{cousin}: {}",
            pulls[0].body
        );
    }

    let all: std::collections::BTreeSet<String> = steps
        .iter()
        .map(|s| format!("{}/{}/{}", s.workflow, s.job, s.name))
        .collect();
    let not_run: Vec<&String> = all.difference(&ran).collect();
    assert!(
        not_run.is_empty(),
        "workflow steps no scenario ran (add one): {not_run:?}"
    );
}
