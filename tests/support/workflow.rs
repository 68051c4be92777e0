//! `WorkflowStep`: the steps of the shipped workflows that run `dispatcher` or `subscriber`, extracted from
//! `workflows/*.yml`, and a way to run one the way GitHub Actions would (`bash -eo pipefail`, the step's `env:`
//! with its expressions evaluated, the runner's `GITHUB_*` variables, and the binaries under test on `PATH`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

use super::cmd::{Cmd, Output};

/// One `run:` step of a shipped workflow that calls an ecosync binary.
#[derive(Debug, Clone)]
pub struct WorkflowStep {
    pub workflow: String,
    pub job: String,
    pub name: String,
    /// The job's `if:` condition, as written.
    pub condition: Option<String>,
    pub run: String,
    /// The step's `env:`, values as written (expressions not yet evaluated).
    pub env: BTreeMap<String, String>,
    /// The workflow's top-level `env:`.
    pub workflow_env: BTreeMap<String, String>,
}

fn workflows_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows")
}

fn str_map(y: &Yaml) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    if let Some(h) = y.as_hash() {
        for (k, v) in h {
            let v = match v {
                Yaml::String(s) => s.clone(),
                Yaml::Integer(i) => i.to_string(),
                Yaml::Boolean(b) => b.to_string(),
                other => panic!("unexpected env value {other:?}"),
            };
            m.insert(k.as_str().expect("env key").to_owned(), v);
        }
    }
    m
}

/// Every step of every shipped workflow whose script runs `dispatcher` or `subscriber`.
pub fn ecosync_steps() -> Vec<WorkflowStep> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(workflows_dir())
        .expect("workflows/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let docs =
            YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let doc = &docs[0];
        let workflow = file.file_name().unwrap().to_string_lossy().into_owned();
        let workflow_env = str_map(&doc["env"]);
        let jobs = doc["jobs"].as_hash().expect("jobs");
        for (job_id, job) in jobs {
            let job_id = job_id.as_str().unwrap().to_owned();
            let condition = job["if"].as_str().map(str::to_owned);
            for step in job["steps"].as_vec().into_iter().flatten() {
                let Some(run) = step["run"].as_str() else {
                    continue;
                };
                let calls_ecosync = run
                    .split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
                    .any(|w| w == "dispatcher" || w == "subscriber");
                if !calls_ecosync || run.contains("cargo install") {
                    continue;
                }
                out.push(WorkflowStep {
                    workflow: workflow.clone(),
                    job: job_id.clone(),
                    name: step["name"].as_str().unwrap_or("").to_owned(),
                    condition: condition.clone(),
                    run: run.to_owned(),
                    env: str_map(&step["env"]),
                    workflow_env: workflow_env.clone(),
                });
            }
        }
    }
    out
}

/// The values of the expressions the shipped workflows use, for one simulated run.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub values: BTreeMap<String, String>,
}

impl Context {
    pub fn set(mut self, expr: &str, value: &str) -> Self {
        self.values.insert(expr.to_owned(), value.to_owned());
        self
    }

    /// Evaluates every `${{ … }}` in `s`. An expression this context does not know fails the test, so a new
    /// expression in a workflow must be given a value here on purpose.
    pub fn eval(&self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("unclosed expression") + start;
            let expr = rest[start + 3..end].trim();
            // `a || b`: the first non-empty value, as Actions does for strings.
            let value = expr
                .split("||")
                .map(|alt| {
                    self.values
                        .get(alt.trim())
                        .unwrap_or_else(|| panic!("no value for expression `{}`", alt.trim()))
                })
                .find(|v| !v.is_empty())
                .cloned()
                .unwrap_or_default();
            out.push_str(&value);
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }
}

impl WorkflowStep {
    /// Runs the step's script with `bash --noprofile --norc -eo pipefail`, as Actions does, in `workspace`,
    /// with `env` (the runner's variables) plus the workflow's and step's `env:` evaluated in `ctx`, and the
    /// binaries under test first on `PATH`.
    pub fn run(&self, workspace: &Path, ctx: &Context, env: &BTreeMap<String, String>) -> Output {
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_dispatcher"))
            .parent()
            .unwrap()
            .to_path_buf();
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Cmd::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &self.run])
            .dir(workspace);
        cmd = cmd
            .env("PATH", path)
            .env("GITHUB_WORKSPACE", workspace)
            .env("GITHUB_ACTIONS", "true")
            .env("CI", "true");
        for (k, v) in env {
            cmd = cmd.env(k.clone(), v);
        }
        for (k, v) in self.workflow_env.iter().chain(&self.env) {
            cmd = cmd.env(k.clone(), ctx.eval(v));
        }
        cmd.run()
    }
}
