//! The shipped workflows: the ecosync commands in them are the ones the binaries accept, and they are safe.

use std::collections::BTreeMap;
use std::path::Path;

use ecosync::demo::DemoSample;
use ecosync::forge::local::LocalForge;
use serde_json::json;

use crate::support::Cmd;
use crate::support::workflow::{ACTION_REPOSITORY, Context, action_definition, ecosync_steps};

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
    assert!(
        steps
            .iter()
            .filter(|s| s.action.is_some())
            .any(|s| s.run.contains("dispatcher dispatch")),
        "the dispatch goes through the action: {names:?}"
    );
}

/// The pin in `action/pin.txt`: `OWNER/REPO@<40 hex> # v<this version>`.
fn pin() -> (String, String, String) {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action/pin.txt")).unwrap();
    let line = text
        .lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .expect("a pin line");
    let (uses, comment) = line.split_once(" # ").expect("`uses # vX.Y.Z`");
    let (repo, sha) = uses.split_once('@').expect("owner/repo@sha");
    (repo.to_owned(), sha.to_owned(), comment.to_owned())
}

/// Every use of the action in the shipped workflows, the README and the install guide is the one pinned in `action/pin.txt`: a
/// full commit SHA (never a tag or branch) with this version in its comment, and the install script's
/// canonical repository is the same.
#[test]
fn shipped_workflows_use_the_pinned_action() {
    let (repo, sha, comment) = pin();
    assert_eq!(repo, ACTION_REPOSITORY);
    assert!(
        sha.len() == 40
            && sha
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "not a full commit SHA: {sha}"
    );
    assert_eq!(comment, format!("v{}", env!("CARGO_PKG_VERSION")));
    let expected = format!("{repo}@{sha} # {comment}");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for file in [
        "workflows/dispatch_updates.yml",
        "workflows/sync-upstream.yml",
        "workflows/fork-sync.yml",
        "README.md",
        "docs/install.md",
    ] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        for line in text.lines().filter(|l| l.contains(&format!("{repo}@"))) {
            let uses = line
                .trim()
                .trim_start_matches("- ")
                .trim_start_matches("uses:")
                .trim();
            assert_eq!(
                uses, expected,
                "{file}: `{line}` is not the pin of action/pin.txt"
            );
            seen += 1;
        }
    }
    assert!(seen >= 5, "only {seen} uses of the action");
    let install = std::fs::read_to_string(root.join("action/install.sh")).unwrap();
    assert!(
        install.contains(&format!("CANONICAL_REPOSITORY=\"{repo}\"")),
        "action/install.sh names another canonical repository"
    );
    // In a clone that has the pinned commit, it is one that has the action.
    if let Ok(git) = git2::Repository::discover(root)
        && let Ok(commit) = git.find_commit(git2::Oid::from_str(&sha).unwrap())
    {
        assert!(
            commit.tree().unwrap().get_name("action.yml").is_some(),
            "the pinned commit {sha} has no action.yml"
        );
    }
}

/// The action's outputs are exactly what the binaries write to `$GITHUB_OUTPUT`, each read from the step
/// that runs the command; its scripts take every input through `env:`, never pasted in.
#[test]
fn action_definition_is_safe_and_complete() {
    let action = action_definition();
    let outputs: Vec<&str> = action["outputs"]
        .as_hash()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(
        outputs,
        [
            "delivered",
            "failed",
            "skipped",
            "unsent",
            "result",
            "pull_request"
        ]
    );
    for (name, output) in action["outputs"].as_hash().unwrap() {
        assert_eq!(
            output["value"].as_str(),
            Some(format!("${{{{ steps.run.outputs.{} }}}}", name.as_str().unwrap()).as_str())
        );
    }
    let steps = action["runs"]["steps"].as_vec().unwrap();
    for step in steps {
        if let Some(run) = step["run"].as_str() {
            assert!(!run.contains("${{"), "expression inside run: {run}");
        }
        if let Some(uses) = step["uses"].as_str() {
            let sha = uses.split_once('@').unwrap().1;
            assert!(
                sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
                "{uses}"
            );
        }
    }
    // The token reaches only the step that runs the command.
    let with_token: Vec<&str> = steps
        .iter()
        .filter(|s| {
            s["env"].as_hash().is_some_and(|e| {
                e.values()
                    .any(|v| v.as_str() == Some("${{ inputs.token }}"))
            })
        })
        .map(|s| s["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(with_token, ["run"]);
}

/// `args` is one argument per line, passed as it is: no word splitting, globbing or expansion; blank lines
/// skipped. The token becomes `ECOSYNC_TOKEN` and is not an argument.
#[test]
fn action_arguments_are_one_per_line_and_never_expanded() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    // A stand-in `dispatcher` that prints its arguments, one per line between brackets.
    let fake = bin.join("dispatcher");
    std::fs::write(
        &fake,
        "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]\\n' \"$a\"; done\nprintf 'token:%s\\n' \"${ECOSYNC_TOKEN:+set}\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(tmp.path().join("a-file"), "").unwrap();
    let out = Cmd::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/action/run.sh"))
        .dir(tmp.path())
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("INPUT_COMMAND", "dispatcher  dispatch")
        .env(
            "INPUT_ARGS",
            "--report=r.json\n\n  --base=$(touch pwned) *  \n--head\na b\r\n",
        )
        .env("INPUT_TOKEN", "ghs_not_a_real_token")
        .run()
        .success();
    assert_eq!(
        out.stdout,
        "[dispatch]\n[--report=r.json]\n[--base=$(touch pwned) *]\n[--head]\n[a b]\ntoken:set\n",
        "{out}"
    );
    assert!(
        !tmp.path().join("pwned").exists(),
        "an argument was expanded"
    );
    assert!(!out.stdout.contains("ghs_not_a_real") && !out.stderr.contains("ghs_not_a_real"));
    // Only the two binaries can be run.
    Cmd::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/action/run.sh"))
        .env("INPUT_COMMAND", "rm -rf /")
        .run()
        .expect_code(2)
        .expect_stdout("must start with `dispatcher` or `subscriber`");
}

/// No expression is ever pasted into a script: event data reaches it only through `env:` (or an action's
/// inputs, which the action passes on through `env:`).
#[test]
fn no_expression_inside_run_scripts() {
    for s in ecosync_steps().into_iter().filter(|s| s.action.is_none()) {
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
    let latest =
        "${{ github.event_name != 'repository_dispatch' && inputs.sha == '' && 'true' || '' }}";
    let ctx = |event: &str, sha: &str| {
        Context::default()
            .set("github.event_name", event)
            .set("inputs.sha", sha)
    };
    assert_eq!(ctx("repository_dispatch", "").eval(latest), "");
    assert_eq!(ctx("schedule", "").eval(latest), "true");
    assert_eq!(ctx("workflow_dispatch", "").eval(latest), "true");
    assert_eq!(ctx("workflow_dispatch", "abc").eval(latest), "");
}

/// Every output a command wrote is one the action re-exports (a new output must be declared in action.yml).
fn assert_outputs_declared(written: &str) {
    let action = action_definition();
    let declared = action["outputs"].as_hash().unwrap();
    let mut names = 0;
    for line in written.lines() {
        let Some((name, _)) = line.split_once('=') else {
            continue;
        };
        assert!(
            declared.contains_key(&yaml_rust2::Yaml::String(name.to_owned())),
            "`{name}` is written to $GITHUB_OUTPUT but is not an output of action.yml"
        );
        names += 1;
    }
    assert!(names > 0, "no output written");
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
/// apply of the event that the dispatch delivered; then, on a sample of its own, the fork sync: the plan of
/// the shard matrix, one delivery job per shard, and the scheduled flush. A renamed flag or subcommand breaks
/// this test, not a user's sync.
#[test]
fn every_workflow_command_runs_against_a_local_fixture() {
    let tmp = tempfile::tempdir().unwrap();
    let now = ecosync::git::clock::unix_seconds(std::time::SystemTime::now());
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
    // The forecast step: one row per target the change reaches, each with what its sync would do.
    assert!(summary.contains("### ecosync forecast"), "{summary}");
    assert!(
        summary.contains("| `acme/flask-webpush` |")
            && summary.contains("| `acme/react-webpush` |"),
        "{summary}"
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
    assert_outputs_declared(&outputs);
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
        assert_outputs_declared(&std::fs::read_to_string(&env["GITHUB_OUTPUT"]).unwrap());
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

    fork_sync(&tmp.path().join("fork-sync"), &steps, &ctx, now, &mut ran);

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

/// `fork-sync.yml` on a demo sample of its own, with `ECOSYNC_SHARDS` at 2: the plan job's matrix lists the
/// shards with something to deliver, each listed shard's delivery job delivers its targets and moves its own
/// watermark, so every target receives the push exactly once and the plan of the same push then lists no job;
/// the schedule runs the flush job.
fn fork_sync(
    tmp: &Path,
    steps: &[crate::support::workflow::WorkflowStep],
    ctx: &Context,
    now: i64,
    ran: &mut std::collections::BTreeSet<String>,
) {
    std::fs::create_dir_all(tmp).unwrap();
    let sample = DemoSample::create(&tmp.join("sample"), now).unwrap();
    let first = sample.first.to_string();
    let update = sample.push_update().unwrap().to_string();
    let forge = sample.forge_dir();
    let source = DemoSample::source();
    let source_dir = sample.work_dir(source.as_str());
    let job = |name: &'static str| {
        steps
            .iter()
            .filter(move |s| s.workflow == "fork-sync.yml" && s.job == name)
    };
    let ctx = ctx
        .clone()
        .set("vars.ECOSYNC_SHARDS", "2")
        .set("github.event_name", "push");
    let push_event = json!({
        "ref": "refs/heads/main", "before": first, "after": update,
        "created": false, "deleted": false, "forced": false,
        "repository": {"full_name": source.as_str(), "default_branch": "main"}
    });
    let plan = |ran: &mut std::collections::BTreeSet<String>| -> serde_json::Value {
        let env = runner_env(tmp, "push", &push_event, source.as_str(), &forge);
        for step in job("plan") {
            step.run(&source_dir, &ctx, &env).success();
            ran.insert(format!("{}/{}/{}", step.workflow, step.job, step.name));
        }
        let outputs = std::fs::read_to_string(&env["GITHUB_OUTPUT"]).unwrap();
        let matrix = outputs
            .lines()
            .find_map(|l| l.strip_prefix("matrix="))
            .unwrap_or_else(|| panic!("no matrix output: {outputs}"));
        serde_json::from_str(matrix).unwrap_or_else(|e| panic!("{e}: {matrix}"))
    };
    let matrix = plan(ran);
    let jobs = matrix["include"].as_array().unwrap().clone();
    assert!(!jobs.is_empty(), "{matrix}");
    let mut delivered = 0;
    for entry in &jobs {
        let shard = entry["shard"].as_str().unwrap();
        assert!(shard.ends_with("/2"), "{matrix}");
        let env = runner_env(tmp, "push", &push_event, source.as_str(), &forge);
        for step in job("deliver") {
            let out = step
                .run(&source_dir, &ctx.clone().set("matrix.shard", shard), &env)
                .success();
            assert!(
                !out.stdout.contains("ghs_not_a_real") && !out.stderr.contains("ghs_not_a_real"),
                "{out}"
            );
            if step.run.contains("dispatcher dispatch") {
                assert!(
                    out.stderr.contains(&format!("shard {} of 2", &shard[..1])),
                    "{out}"
                );
            }
            ran.insert(format!("{}/{}/{}", step.workflow, step.job, step.name));
        }
        let outputs = std::fs::read_to_string(&env["GITHUB_OUTPUT"]).unwrap();
        assert_outputs_declared(&outputs);
        let n: u64 = outputs
            .lines()
            .find_map(|l| l.strip_prefix("delivered="))
            .unwrap_or_else(|| panic!("{outputs}"))
            .parse()
            .unwrap();
        assert_eq!(Some(n), entry["deliveries"].as_u64(), "{shard}: {outputs}");
        delivered += n;
        let bare = git2::Repository::open_bare(forge.join(format!("{source}.git"))).unwrap();
        let watermark = format!("refs/ecosync/dispatched-shard-{}-of-2/main", &shard[..1]);
        assert_eq!(
            bare.refname_to_id(&watermark).unwrap().to_string(),
            update,
            "{watermark}"
        );
    }
    assert_eq!(delivered, 3, "{matrix}");
    for cousin in DemoSample::cousins() {
        assert_eq!(
            LocalForge::new(&forge).dispatches(&cousin).unwrap().len(),
            1,
            "{cousin}: exactly one delivery"
        );
    }
    // Every shard delivered this push: a re-run plans no job.
    assert_eq!(plan(ran), json!({"include": []}));

    // The schedule: the flush job.
    let schedule = json!({"schedule": "23 * * * *"});
    let env = runner_env(tmp, "schedule", &schedule, source.as_str(), &forge);
    for step in job("flush") {
        step.run(
            &source_dir,
            &ctx.clone().set("github.event_name", "schedule"),
            &env,
        )
        .success();
        ran.insert(format!("{}/{}/{}", step.workflow, step.job, step.name));
    }
}
