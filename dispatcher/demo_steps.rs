//! The steps of `dispatcher demo` once its repositories are built: `dispatcher plan` in the source's clone,
//! what each entry gets and why, `dispatcher dispatch` to the local forge, `subscriber apply` in each
//! repository that received a `repository_dispatch` (with a note when what it applied differs from what
//! its entry matched), and the pull requests and issues on the forge. Each command is printed as a shell
//! line that can be run again, in the directory it ran in (`cd` printed when it changes).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;
use ecosync::config::cousin_config::{ConfigOverrides, CousinConfig, DEFAULT_CONFIG_PATH};
use ecosync::demo::DemoForge;
use ecosync::demo::entry_story::entry_stories;
use ecosync::demo::own_subscriptions::OwnSubscriptions;
use ecosync::dispatch::plan::Plan;
use ecosync::forge::local::LocalForge;

use ecosync_cli::glue::CliError;

/// The demo's commands, run one after the other.
pub struct Steps<'a> {
    demo: &'a DemoForge,
    dispatcher: &'a Path,
    subscriber: &'a Path,
    forge_spec: String,
    /// The directory of the last `cd` printed.
    here: Option<PathBuf>,
}

impl<'a> Steps<'a> {
    pub fn new(demo: &'a DemoForge, dispatcher: &'a Path, subscriber: &'a Path) -> Self {
        Steps {
            forge_spec: format!("local:{}", demo.forge_dir().display()),
            demo,
            dispatcher,
            subscriber,
            here: None,
        }
    }

    /// Runs every step; false when one of the commands failed.
    pub fn run(mut self) -> Result<bool, CliError> {
        let demo = self.demo;
        let range = demo.range_args();
        let mut plan_cmd = Command::new(self.dispatcher);
        plan_cmd.arg("plan").args(&range);
        let mut ok = self.step(&mut plan_cmd, &demo.source_dir)?;

        // The same plan, read by the library, in plain words.
        let plan = match demo.plan() {
            Ok((ecosystem, plan)) => {
                let story = entry_stories(&ecosystem, &plan)
                    .context("cannot match the subscription patterns")?;
                print!("\n{story}");
                Some(plan)
            }
            Err(e) => {
                println!("\n(cannot say what each entry gets: {e})");
                None
            }
        };

        let mut dispatch = Command::new(self.dispatcher);
        dispatch
            .args(["dispatch", "--forge", &self.forge_spec])
            .args(&range);
        ok &= self.step(&mut dispatch, &demo.source_dir)?;

        let forge = LocalForge::new(demo.forge_dir());
        for target in &demo.targets {
            let Some(work) = &target.work_dir else {
                continue;
            };
            let repo = &target.repo;
            let events = forge.dispatch_files(repo).map_err(|e| {
                CliError::of(e).context(format!("cannot read the dispatches {repo} received"))
            })?;
            let Some(event) = events.last() else {
                // What the plan gives nothing was said above; a planned dispatch that did not arrive is not.
                if plan
                    .as_ref()
                    .is_some_and(|p| p.deliveries.iter().any(|d| &d.repo == repo))
                {
                    println!(
                        "\n{repo}: no repository_dispatch arrived although the plan has one (see the dispatch above)"
                    );
                }
                continue;
            };
            let mut apply = Command::new(self.subscriber);
            apply
                .args(["apply", "--forge", &self.forge_spec])
                .arg("--event")
                .arg(event);
            let applied = self.step(&mut apply, work)?;
            ok &= applied;
            if applied && let Some(plan) = &plan {
                own_subscriptions_note(plan, repo, work);
            }
        }
        self.list(&forge)?;
        Ok(ok)
    }

    /// The pull requests and issues of every repository on the forge, the source's included (failures of
    /// the targets are reported there).
    fn list(&self, forge: &LocalForge) -> Result<(), CliError> {
        println!("\nPull requests and issues on the local forge:");
        let built = self.demo.targets.iter().filter(|t| t.on_forge);
        let mut none = true;
        for repo in std::iter::once(&self.demo.source).chain(built.map(|t| &t.repo)) {
            for pr in forge.pulls(repo).map_err(|e| {
                CliError::of(e).context(format!("cannot read the pull requests of {repo}"))
            })? {
                none = false;
                println!(
                    "  {repo}#{} [{}] {}  ({} -> {})\n      {}",
                    pr.number, pr.state, pr.title, pr.head, pr.base, pr.html_url
                );
            }
            for issue in forge
                .issues(repo)
                .map_err(|e| CliError::of(e).context(format!("cannot read the issues of {repo}")))?
            {
                none = false;
                println!(
                    "  {repo}#{} issue [{}] {}\n      {}",
                    issue.number, issue.state, issue.title, issue.html_url
                );
            }
        }
        if none {
            println!("  none");
        }
        Ok(())
    }

    /// Prints the command as a shell line (after a `cd` when the directory changes), runs it in `dir` with
    /// its output (errors included) in the demo's, and returns whether it succeeded.
    fn step(&mut self, cmd: &mut Command, dir: &Path) -> anyhow::Result<bool> {
        clean_environment(cmd);
        cmd.current_dir(dir);
        let program = Path::new(cmd.get_program())
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        println!();
        if self.here.as_deref() != Some(dir) {
            println!("$ cd {}", dir.display());
            self.here = Some(dir.to_path_buf());
        }
        println!("$ {program} {}", args.join(" "));
        // One stream, in order: what the command says on stderr belongs to the story.
        std::io::stdout().flush()?;
        cmd.stderr(std::io::stdout());
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
}

/// After `repo` applied its dispatch in `work`: what arrived that its entry did not match, or the reverse.
fn own_subscriptions_note(plan: &Plan, repo: &ecosync::RepoName, work: &Path) {
    let Some(delivery) = plan.deliveries.iter().find(|d| &d.repo == repo) else {
        return;
    };
    let path = work.join(DEFAULT_CONFIG_PATH);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let Ok(config) = CousinConfig::load(
        &path.display().to_string(),
        &text,
        &ConfigOverrides::default(),
    ) else {
        return;
    };
    if let Some(note) =
        OwnSubscriptions::compare(&plan.changed_paths, &delivery.paths, &config).note(repo)
    {
        print!("{note}");
    }
}

/// The environment of a step: nothing of GitHub Actions, and none of the user's `ECOSYNC_` variables (every
/// flag reads one: `ECOSYNC_CONFIG`, `ECOSYNC_REPO`, ... must not steer the demo's commands), but the log
/// level.
fn clean_environment(cmd: &mut Command) {
    for var in [
        "GITHUB_EVENT_PATH",
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_OUTPUT",
        "GITHUB_EVENT_NAME",
        "GITHUB_API_URL",
        "GITHUB_SERVER_URL",
        "GITHUB_RUN_ID",
        "GITHUB_REPOSITORY",
    ] {
        cmd.env_remove(var);
    }
    for (var, _) in std::env::vars_os() {
        let name = var.to_string_lossy();
        if name.starts_with("ECOSYNC_") && name != "ECOSYNC_LOG" {
            cmd.env_remove(&var);
        }
    }
}
