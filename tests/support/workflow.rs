//! `WorkflowStep`: the steps of the shipped workflows that run `dispatcher` or `subscriber`, extracted from
//! `workflows/*.yml`, and a way to run one the way GitHub Actions would (`bash -eo pipefail`, the step's `env:`
//! with its expressions evaluated, the runner's `GITHUB_*` variables, and the binaries under test on `PATH`).
//!
//! A step that `uses:` the ecosync action runs through the action's own definition, `action.yml`: its `with:`
//! must name declared inputs, the inputs' defaults fill the rest, and each of the composite action's `run:`
//! steps runs with its `env:` evaluated against those inputs, as the runner does. Only the install step is
//! left out (the binaries under test are already on `PATH`; `tests/install.rs` runs the install script).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

use super::cmd::{Cmd, Output};

/// The repository part of `uses:` that names the ecosync action (see `action/pin.txt`).
pub const ACTION_REPOSITORY: &str = "ecosync-dev/ecosync";

/// One step of a shipped workflow that calls an ecosync binary: a `run:` script, or the ecosync action.
#[derive(Debug, Clone)]
pub struct WorkflowStep {
    pub workflow: String,
    pub job: String,
    pub name: String,
    /// The job's `if:` condition, as written.
    pub condition: Option<String>,
    /// The script of a `run:` step; for an action step, its `command` and `args` inputs, as written.
    pub run: String,
    /// For a step that `uses:` the ecosync action: the `uses:` value and its `with:`, values as written.
    pub action: Option<(String, BTreeMap<String, String>)>,
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

/// Every step of every shipped workflow whose script runs `dispatcher` or `subscriber`, or that uses the
/// ecosync action.
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
                if let Some(uses) = step["uses"].as_str()
                    && uses.starts_with(&format!("{ACTION_REPOSITORY}@"))
                {
                    let with = str_map(&step["with"]);
                    out.push(WorkflowStep {
                        workflow: workflow.clone(),
                        job: job_id.clone(),
                        name: step["name"].as_str().unwrap_or("").to_owned(),
                        condition: condition.clone(),
                        run: format!(
                            "{} {}",
                            with.get("command").map_or("", String::as_str),
                            with.get("args").map_or("", String::as_str)
                        ),
                        action: Some((uses.to_owned(), with)),
                        env: str_map(&step["env"]),
                        workflow_env: workflow_env.clone(),
                    });
                    continue;
                }
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
                    action: None,
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
            out.push_str(&self.expression(expr).to_string());
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// One expression, in the part of GitHub's expression language the shipped workflows and the action
    /// use: names looked up in this context, `'strings'`, `==`, `!=`, `&&` and `||` (which return one of
    /// their operands, as in Actions), in that order of precedence.
    fn expression(&self, expr: &str) -> Value {
        let tokens = tokenize(expr);
        let mut pos = 0;
        let v = self.or(&tokens, &mut pos);
        assert_eq!(pos, tokens.len(), "cannot evaluate `{expr}`");
        v
    }

    fn or(&self, t: &[Token], pos: &mut usize) -> Value {
        let mut left = self.and(t, pos);
        while t.get(*pos) == Some(&Token::Or) {
            *pos += 1;
            let right = self.and(t, pos);
            left = if left.truthy() { left } else { right };
        }
        left
    }

    fn and(&self, t: &[Token], pos: &mut usize) -> Value {
        let mut left = self.comparison(t, pos);
        while t.get(*pos) == Some(&Token::And) {
            *pos += 1;
            let right = self.comparison(t, pos);
            left = if left.truthy() { right } else { left };
        }
        left
    }

    fn comparison(&self, t: &[Token], pos: &mut usize) -> Value {
        let left = self.atom(t, pos);
        let equal = match t.get(*pos) {
            Some(Token::Eq) => true,
            Some(Token::Ne) => false,
            _ => return left,
        };
        *pos += 1;
        let right = self.atom(t, pos);
        // Actions compares strings case-insensitively.
        let same = left.to_string().eq_ignore_ascii_case(&right.to_string());
        Value::Bool(same == equal)
    }

    fn atom(&self, t: &[Token], pos: &mut usize) -> Value {
        let token = t.get(*pos).cloned();
        *pos += 1;
        match token {
            Some(Token::Str(s)) => Value::Str(s),
            Some(Token::Name(name)) => Value::Str(
                self.values
                    .get(&name)
                    .unwrap_or_else(|| panic!("no value for expression `{name}`"))
                    .clone(),
            ),
            other => panic!("unexpected {other:?} in an expression"),
        }
    }
}

/// A value of an expression.
#[derive(Debug, Clone)]
enum Value {
    Str(String),
    Bool(bool),
}

impl Value {
    fn truthy(&self) -> bool {
        match self {
            Value::Str(s) => !s.is_empty(),
            Value::Bool(b) => *b,
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Str(s) => f.write_str(s),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Name(String),
    Str(String),
    Eq,
    Ne,
    And,
    Or,
}

fn tokenize(expr: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = expr.chars().peekable();
    while let Some(&c) = chars.peek() {
        let two = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>, second: char| {
            chars.next();
            assert_eq!(chars.next(), Some(second), "in `{expr}`");
        };
        match c {
            ' ' => {
                chars.next();
            }
            '\'' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next().expect("unclosed string") {
                        '\'' if chars.peek() == Some(&'\'') => {
                            chars.next();
                            s.push('\'');
                        }
                        '\'' => break,
                        c => s.push(c),
                    }
                }
                tokens.push(Token::Str(s));
            }
            '=' => {
                two(&mut chars, '=');
                tokens.push(Token::Eq);
            }
            '!' => {
                two(&mut chars, '=');
                tokens.push(Token::Ne);
            }
            '&' => {
                two(&mut chars, '&');
                tokens.push(Token::And);
            }
            '|' => {
                two(&mut chars, '|');
                tokens.push(Token::Or);
            }
            _ => {
                let mut name = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_ascii_alphanumeric() || "._-".contains(c) {
                        name.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                assert!(!name.is_empty(), "unexpected `{c}` in `{expr}`");
                tokens.push(Token::Name(name));
            }
        }
    }
    tokens
}

/// `action.yml`, parsed.
pub fn action_definition() -> Yaml {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml");
    let text = std::fs::read_to_string(&path).expect("action.yml");
    YamlLoader::load_from_str(&text)
        .unwrap_or_else(|e| panic!("action.yml: {e}"))
        .remove(0)
}

/// The ecosync binaries' directory, first on `PATH`.
fn path_with_binaries() -> String {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_dispatcher"))
        .parent()
        .unwrap()
        .to_path_buf();
    format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

impl WorkflowStep {
    /// Runs the step as Actions would, in `workspace`, with `env` (the runner's variables) plus the
    /// workflow's and step's `env:` evaluated in `ctx`, and the binaries under test first on `PATH`: a
    /// `run:` step's script with `bash --noprofile --norc -eo pipefail`; an action step through `action.yml`
    /// ([`WorkflowStep::run_action`]).
    pub fn run(&self, workspace: &Path, ctx: &Context, env: &BTreeMap<String, String>) -> Output {
        let mut vars: BTreeMap<String, String> = env.clone();
        for (k, v) in self.workflow_env.iter().chain(&self.env) {
            vars.insert(k.clone(), ctx.eval(v));
        }
        match &self.action {
            None => run_bash(&self.run, workspace, &vars),
            Some((uses, with)) => self.run_action(uses, with, workspace, ctx, &vars),
        }
    }

    /// Runs the composite action's `run:` steps but the install (`id: install`), as the runner would: the
    /// inputs are the step's `with:` (each must be a declared input) over the declared defaults, each
    /// step's `env:` is evaluated with them, and `GITHUB_ACTION_PATH` is this checkout. Stops at the first
    /// step that fails and returns its output, else the last one's.
    fn run_action(
        &self,
        uses: &str,
        with: &BTreeMap<String, String>,
        workspace: &Path,
        ctx: &Context,
        vars: &BTreeMap<String, String>,
    ) -> Output {
        let action = action_definition();
        let declared = action["inputs"].as_hash().expect("action.yml: inputs");
        let mut action_ctx = Context::default()
            .set("github.action_ref", uses.split('@').nth(1).unwrap_or(""))
            .set(
                "runner.tool_cache",
                &vars.get("RUNNER_TEMP").cloned().unwrap_or_default(),
            );
        for (name, input) in declared {
            let name = name.as_str().expect("input name");
            let value = if let Some(v) = with.get(name) {
                ctx.eval(v)
            } else {
                assert!(
                    input["required"].as_bool() != Some(true),
                    "{}/{}/{}: the required input `{name}` is not given",
                    self.workflow,
                    self.job,
                    self.name
                );
                input["default"].as_str().unwrap_or("").to_owned()
            };
            action_ctx = action_ctx.set(&format!("inputs.{name}"), &value);
        }
        for name in with.keys() {
            assert!(
                declared.contains_key(&Yaml::String(name.clone())),
                "{}/{}/{}: `with: {name}` is not an input of action.yml",
                self.workflow,
                self.job,
                self.name
            );
        }
        let mut last = None;
        for step in action["runs"]["steps"]
            .as_vec()
            .expect("action.yml: runs.steps")
        {
            let Some(script) = step["run"].as_str() else {
                continue;
            };
            if step["id"].as_str() == Some("install") {
                continue;
            }
            assert_eq!(step["shell"].as_str(), Some("bash"), "action.yml: shell");
            let mut step_vars = vars.clone();
            step_vars.insert(
                "GITHUB_ACTION_PATH".into(),
                env!("CARGO_MANIFEST_DIR").to_owned(),
            );
            for (k, v) in str_map(&step["env"]) {
                step_vars.insert(k, action_ctx.eval(&v));
            }
            let out = run_bash(script, workspace, &step_vars);
            if out.code != Some(0) {
                return out;
            }
            last = Some(out);
        }
        last.expect("action.yml runs no script")
    }
}

/// Runs `script` with `bash --noprofile --norc -eo pipefail` in `workspace`, with `vars` and the binaries
/// under test first on `PATH`.
fn run_bash(script: &str, workspace: &Path, vars: &BTreeMap<String, String>) -> Output {
    let mut cmd = Cmd::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .dir(workspace)
        .env("PATH", path_with_binaries())
        .env("GITHUB_WORKSPACE", workspace)
        .env("GITHUB_ACTIONS", "true")
        .env("CI", "true");
    for (k, v) in vars {
        cmd = cmd.env(k.clone(), v);
    }
    cmd.run()
}
