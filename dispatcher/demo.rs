//! `dispatcher demo`: the whole chain on the local forge, with no token and no network. It builds a sample
//! monorepo and three downstream repositories of different shapes, pushes a change, and runs the very
//! commands the shipped workflows run: `dispatcher dispatch` in the source, then `subscriber apply` in each
//! downstream repository that received an event. Then it prints the pull requests that were opened.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use anyhow::Context as _;
use clap::Args;
use ecosync::demo::DemoSample;
use ecosync::forge::local::LocalForge;
use ecosync::git::short_sha;

use ecosync_cli::glue::{CliError, CliResult, Exit};

/// Run the whole chain on a sample, locally: build a monorepo and three downstream repositories on a local
/// forge, push a change, dispatch it, apply it in each downstream repository, and print the pull requests.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to build the sample (must not exist yet). Default: a new temporary directory, kept afterwards
    /// so you can look around.
    #[arg(long, env = "ECOSYNC_DIR", value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

impl DemoArgs {
    pub fn run(&self) -> CliResult {
        let me = std::env::current_exe().context("cannot find the dispatcher executable")?;
        let subscriber = me.with_file_name(format!("subscriber{}", std::env::consts::EXE_SUFFIX));
        if !subscriber.is_file() {
            return Err(CliError::failed(anyhow::anyhow!(
                "the demo runs `subscriber` from the same directory as `dispatcher`, and `{}` does not exist",
                subscriber.display()
            ))
            .hint("build both binaries first: `cargo build --locked --bins`"));
        }
        let root = match &self.dir {
            Some(d) if d.exists() => {
                return Err(
                    CliError::usage(anyhow::anyhow!("`{}` already exists", d.display()))
                        .hint("give a new directory, or leave out `--dir` for a temporary one"),
                );
            }
            Some(d) => d.clone(),
            None => tempfile::Builder::new()
                .prefix("ecosync-demo-")
                .tempdir()
                .context("cannot create a temporary directory")?
                .keep(),
        };
        let now = ecosync::git::clock::unix_seconds(SystemTime::now());
        let sample = DemoSample::create(&root, now)
            .with_context(|| format!("cannot build the sample in `{}`", root.display()))?;
        let forge_dir = sample.forge_dir();
        let forge_spec = format!("local:{}", forge_dir.display());
        let source = DemoSample::source();
        println!("Built a sample on a local forge in {}", root.display());
        println!("  source:     {source} (ecosystem.json lists 4 downstream repositories)");
        for c in DemoSample::cousins() {
            println!("  downstream: {c}");
        }
        let update = sample
            .push_update()
            .context("cannot push the sample update")?;
        println!(
            "\nPushed {} to {source} main: \"webpush: retry failed subscriptions, bump flask\"",
            short_sha(&update.to_string())
        );

        let source_dir = sample.work_dir(source.as_str());
        let mut dispatch = Command::new(&me);
        dispatch.args(["dispatch", "--min-interval", "0", "--forge", &forge_spec]);
        // No `--source-repo`: it is read from the clone's `origin`, the local forge's bare repository.
        dispatch.arg("--repo").arg(&source_dir);
        dispatch.args([
            "--base",
            &sample.first.to_string(),
            "--head",
            &update.to_string(),
            "--ref",
            "refs/heads/main",
        ]);
        let mut failed = !run_step(&mut dispatch, &source_dir)?;

        let forge = LocalForge::new(&forge_dir);
        for cousin in DemoSample::cousins() {
            let events = forge.dispatch_files(&cousin).map_err(|e| {
                CliError::of(e).context(format!("cannot read the dispatches {cousin} received"))
            })?;
            let Some(event) = events.last() else {
                println!(
                    "\n{cousin}: no dispatch received (the push did not touch its subscriptions)"
                );
                continue;
            };
            let work = sample.work_dir(cousin.as_str());
            let mut apply = Command::new(&subscriber);
            apply
                .args(["apply", "--forge", &forge_spec])
                .arg("--event")
                .arg(event)
                .arg("--repo")
                .arg(&work);
            // What Actions would tell the subscriber about the repository it runs in.
            apply.env("GITHUB_REPOSITORY", cousin.as_str());
            failed |= !run_step(&mut apply, &work)?;
        }

        println!("\nPull requests and issues on the local forge:");
        for cousin in DemoSample::cousins() {
            for pr in forge.pulls(&cousin).map_err(|e| {
                CliError::of(e).context(format!("cannot read the pull requests of {cousin}"))
            })? {
                println!(
                    "  {cousin}#{} [{}] {}  ({} -> {})",
                    pr.number, pr.state, pr.title, pr.head, pr.base
                );
            }
            for issue in forge.issues(&cousin).map_err(|e| {
                CliError::of(e).context(format!("cannot read the issues of {cousin}"))
            })? {
                println!(
                    "  {cousin}#{} issue [{}] {}",
                    issue.number, issue.state, issue.title
                );
            }
        }
        println!(
            "\nEverything is in {}: the bare repositories and their records under forge/, the clones under work/.",
            root.display()
        );
        Ok(if failed { Exit::Failed } else { Exit::Success })
    }
}

/// Prints the command as a shell line, runs it with the demo's output and returns whether it succeeded.
fn run_step(cmd: &mut Command, dir: &Path) -> anyhow::Result<bool> {
    for var in [
        "GITHUB_EVENT_PATH",
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_OUTPUT",
        "GITHUB_EVENT_NAME",
        "GITHUB_API_URL",
        "GITHUB_SERVER_URL",
        "GITHUB_RUN_ID",
    ] {
        cmd.env_remove(var);
    }
    // Every flag also reads an `ECOSYNC_` variable: the user's (`ECOSYNC_CONFIG`, `ECOSYNC_REPO`, ...)
    // must not steer the demo's own commands. The log level is kept, and so is what the demo sets itself.
    let set_here: Vec<std::ffi::OsString> = cmd
        .get_envs()
        .filter(|(_, v)| v.is_some())
        .map(|(k, _)| k.to_owned())
        .collect();
    for (var, _) in std::env::vars_os() {
        let name = var.to_string_lossy();
        if name.starts_with("ECOSYNC_") && name != "ECOSYNC_LOG" && !set_here.contains(&var) {
            cmd.env_remove(&var);
        }
    }
    cmd.current_dir(dir);
    let program = Path::new(cmd.get_program())
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let args: Vec<String> = cmd
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    println!("\n$ {program} {}", args.join(" "));
    let status = cmd
        .status()
        .with_context(|| format!("cannot run `{program}`"))?;
    if !status.success() {
        println!(
            "({program} exited with {})",
            status
                .code()
                .map_or("a signal".to_owned(), |c| c.to_string())
        );
    }
    Ok(status.success())
}
