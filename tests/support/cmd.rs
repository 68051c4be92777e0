//! `Cmd`: runs `dispatcher` or `subscriber` with a clean environment, a time limit, and a readable failure.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Default time limit for one run of a binary.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// A command to run, built up step by step.
pub struct Cmd {
    program: PathBuf,
    args: Vec<String>,
    env: BTreeMap<String, String>,
    dir: Option<PathBuf>,
    timeout: Duration,
    /// This command's own empty `HOME`, removed when the command (and so its run) is dropped. Each command
    /// gets a fresh one so nothing a run leaves in `HOME` (git credentials, caches) can reach another test.
    home: tempfile::TempDir,
}

/// What a finished command did.
#[derive(Debug)]
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    pub description: String,
}

impl Cmd {
    /// The `dispatcher` binary.
    pub fn dispatcher() -> Self {
        Self::new(env!("CARGO_BIN_EXE_dispatcher"))
    }

    /// The `subscriber` binary.
    pub fn subscriber() -> Self {
        Self::new(env!("CARGO_BIN_EXE_subscriber"))
    }

    /// Any program. The environment is cleared but for `PATH`; `HOME` is a fresh empty directory of this
    /// command's own and git's global config points at nothing, so neither the user's settings nor another
    /// test's leftovers can leak in, and `GITHUB_*` variables are never inherited.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        let home = tempfile::Builder::new()
            .prefix("ecosync-home-")
            .tempdir()
            .expect("temp HOME");
        let mut env = BTreeMap::new();
        if let Ok(path) = std::env::var("PATH") {
            env.insert("PATH".into(), path);
        }
        env.insert("HOME".into(), home.path().display().to_string());
        env.insert("GIT_CONFIG_NOSYSTEM".into(), "1".into());
        env.insert("GIT_CONFIG_GLOBAL".into(), "/dev/null".into());
        env.insert("NO_COLOR".into(), "1".into());
        Cmd {
            program: program.into(),
            args: Vec::new(),
            env,
            dir: None,
            timeout: DEFAULT_TIMEOUT,
            home,
        }
    }

    pub fn arg(mut self, a: impl AsRef<std::ffi::OsStr>) -> Self {
        self.args.push(a.as_ref().to_string_lossy().into_owned());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        for a in args {
            self = self.arg(a);
        }
        self
    }

    pub fn env(mut self, k: impl Into<String>, v: impl AsRef<std::ffi::OsStr>) -> Self {
        self.env
            .insert(k.into(), v.as_ref().to_string_lossy().into_owned());
        self
    }

    pub fn env_remove(mut self, k: &str) -> Self {
        self.env.remove(k);
        self
    }

    pub fn dir(mut self, d: impl AsRef<Path>) -> Self {
        self.dir = Some(d.as_ref().to_path_buf());
        self
    }

    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    fn describe(&self) -> String {
        let mut s = String::new();
        for (k, v) in &self.env {
            if k != "PATH" {
                _ = write!(s, "{k}={v} ");
            }
        }
        s.push_str(&self.program.display().to_string());
        for a in &self.args {
            s.push(' ');
            s.push_str(a);
        }
        if let Some(d) = &self.dir {
            _ = write!(s, "  (in {})", d.display());
        }
        s
    }

    /// Runs the command to completion, killing it if it outlives its time limit (which fails the test).
    pub fn run(self) -> Output {
        self.run_with(|_| {})
    }

    /// Like [`Cmd::run`], calling `during` with the running process's id once it has started (to signal it,
    /// say), before waiting for it to end.
    pub fn run_with(self, during: impl FnOnce(u32)) -> Output {
        let description = self.describe();
        let mut c = Command::new(&self.program);
        c.args(&self.args)
            .env_clear()
            .envs(&self.env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(d) = &self.dir {
            c.current_dir(d);
        }
        let start = Instant::now();
        let mut child = c
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {description}: {e}"));
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let t_out = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = out.read_to_end(&mut s);
            s
        });
        let t_err = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = err.read_to_end(&mut s);
            s
        });
        during(child.id());
        let status = loop {
            if let Some(st) = child.try_wait().expect("wait for child") {
                break st;
            }
            if start.elapsed() > self.timeout {
                let _ = child.kill();
                let _ = child.wait();
                let stdout = String::from_utf8_lossy(&t_out.join().unwrap()).into_owned();
                let stderr = String::from_utf8_lossy(&t_err.join().unwrap()).into_owned();
                panic!(
                    "timed out after {:?}: {description}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
                    self.timeout
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let stdout = String::from_utf8_lossy(&t_out.join().unwrap()).into_owned();
        let stderr = String::from_utf8_lossy(&t_err.join().unwrap()).into_owned();
        Output {
            code: status.code(),
            stdout,
            stderr,
            elapsed: start.elapsed(),
            description,
        }
    }
}

impl Output {
    /// Panics with the whole output unless the exit code is `code`.
    pub fn expect_code(self, code: i32) -> Self {
        assert!(
            self.code == Some(code),
            "expected exit code {code}, got {:?}\n{self}",
            self.code
        );
        self
    }

    pub fn success(self) -> Self {
        self.expect_code(0)
    }

    /// Panics unless stdout or stderr contains `needle`.
    pub fn expect_output(self, needle: &str) -> Self {
        assert!(
            !(!self.stdout.contains(needle) && !self.stderr.contains(needle)),
            "expected output to contain {needle:?}\n{self}"
        );
        self
    }

    pub fn expect_stderr(self, needle: &str) -> Self {
        assert!(
            self.stderr.contains(needle),
            "expected stderr to contain {needle:?}\n{self}"
        );
        self
    }

    pub fn expect_stdout(self, needle: &str) -> Self {
        assert!(
            self.stdout.contains(needle),
            "expected stdout to contain {needle:?}\n{self}"
        );
        self
    }

    /// Stdout parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{self}"))
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "command: {}\nstatus: {:?} after {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.description, self.code, self.elapsed, self.stdout, self.stderr
        )
    }
}
