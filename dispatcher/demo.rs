//! `dispatcher demo`: the whole chain on the local forge, with no token and no network, on a sample or on a
//! copy of the user's repository (`--from PATH`). It builds the source and its downstream repositories,
//! then runs the very commands the shipped workflows run (see `demo_steps`).

use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::Context as _;
use clap::Args;
use ecosync::demo::own_repository::{FromRequest, copy_repository};
use ecosync::demo::{DemoForge, DemoSample};
use ecosync::dispatch::ecosystem::EcosystemInvalid;

use crate::demo_steps::Steps;
use ecosync_cli::glue::{CliError, CliResult, Exit};

/// Run the whole chain locally, on a sample or a copy of your repository: no token, no network.
///
/// Builds a source repository and a downstream repository for each entry of its `ecosystem.json` on a local
/// forge, then runs what the workflows run: `dispatcher plan`, `dispatcher dispatch`, and `subscriber apply`
/// in each repository that received a `repository_dispatch`; says what each entry gets and why, and prints
/// the pull requests. With `--from PATH`, the source is a copy of your repository (which is only read) and
/// the delivery is its last push.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to build the sample (must not exist yet). Default: a new temporary directory, kept afterwards
    /// so you can look around.
    #[arg(long, env = "ECOSYNC_DIR", value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// Copy this repository (and its `ecosystem.json`, from the work tree if there is one) instead of
    /// building the sample, and deliver its last push; the repository itself is never written to.
    #[arg(long, env = "ECOSYNC_FROM", value_name = "PATH")]
    pub from: Option<PathBuf>,

    /// With `--from`: the commit the delivered range starts after [default: the head's first parent].
    #[arg(long, env = "ECOSYNC_BASE", value_name = "REV", requires = "from")]
    pub base: Option<String>,

    /// With `--from`: the last commit of the delivered range [default: `HEAD`].
    #[arg(long, env = "ECOSYNC_HEAD", value_name = "REV", requires = "from")]
    pub head: Option<String>,
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
        let demo = match &self.from {
            None => sample(&root, now)?,
            Some(from) => {
                let request = FromRequest {
                    from: from.clone(),
                    base: self.base.clone().filter(|s| !s.is_empty()),
                    head: self.head.clone().filter(|s| !s.is_empty()),
                    now,
                };
                let demo = copy_repository(&root, &request).map_err(|e| match e {
                    ecosync::demo::own_repository::OwnRepositoryError::Config(invalid) => {
                        let EcosystemInvalid { file, diagnostics } = invalid;
                        crate::validate::invalid(&file, diagnostics)
                    }
                    other => CliError::of(other),
                })?;
                print_built(
                    &demo,
                    &format!("Copied `{}` into a local forge", from.display()),
                );
                demo
            }
        };
        println!("\nPushed {}", demo.pushed);
        let ok = Steps::new(&demo, &me, &subscriber).run()?;
        println!(
            "\nEverything is in {}: the bare repositories and their records under forge/, the clones under work/.",
            root.display()
        );
        if self.from.is_none() {
            println!(
                "Next, the same on your own repository, offline (it is only read): `dispatcher demo --from PATH`."
            );
        }
        Ok(if ok { Exit::Success } else { Exit::Failed })
    }
}

/// Builds the sample under `root` and pushes its update.
fn sample(root: &std::path::Path, now: i64) -> anyhow::Result<DemoForge> {
    let sample = DemoSample::create(root, now)
        .with_context(|| format!("cannot build the sample in `{}`", root.display()))?;
    let update = sample
        .push_update()
        .context("cannot push the sample update")?;
    let demo = sample.demo_forge(update);
    print_built(&demo, "Built a sample on a local forge");
    Ok(demo)
}

/// What was built: the source, then each entry's repository.
fn print_built(demo: &DemoForge, what: &str) {
    println!("{what} in {}:", demo.root.display());
    let width = demo
        .targets
        .iter()
        .map(|t| t.repo.as_str().len())
        .chain([demo.source.as_str().len()])
        .max()
        .unwrap_or(0);
    println!(
        "  {:<width$}  the source; its ecosystem.json lists {} downstream {}",
        demo.source.as_str(),
        demo.targets.len(),
        if demo.targets.len() == 1 {
            "repository"
        } else {
            "repositories"
        }
    );
    for t in &demo.targets {
        println!("  {:<width$}  {}", t.repo.as_str(), t.built);
    }
}
