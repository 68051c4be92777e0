//! `Prism`: one shared Prism mock server serving GitHub's official `OpenAPI` description, for contract tests.
//!
//! Started lazily, once per test binary run (it takes about 15 s and 300 MB), on a free loopback port. A
//! small shell watcher kills it when this process goes away, so no Prism outlives the tests. Prism answers
//! a request that breaks GitHub's spec with 422 and an `sl-violations` header; valid requests get one of
//! the spec's examples. Installed by `npm ci` from the repository's package-lock. When it is missing, the
//! tests are skipped with a printed reason, except under CI (`CI=true`) where they fail.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// The spec Prism serves, relative to the repository root.
pub const SPEC: &str = "node_modules/@octokit/openapi/generated/api.github.com.json";

/// How long Prism may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// A running Prism.
#[derive(Debug)]
pub struct Prism {
    port: u16,
    log: PathBuf,
}

impl Prism {
    /// The API root to give `--api-url`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Prism's log (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

static PRISM: OnceLock<Result<Prism, String>> = OnceLock::new();

/// Contract tests take turns, so that each can read exactly its own part of Prism's log.
static TURN: Mutex<()> = Mutex::new(());

/// One test's use of the shared Prism.
pub struct Session {
    prism: &'static Prism,
    log_start: usize,
    _turn: MutexGuard<'static, ()>,
}

impl Session {
    /// The API root to give `--api-url`.
    pub fn url(&self) -> String {
        self.prism.url()
    }

    /// The request violations Prism logged since this session started (response violations are GitHub's
    /// own examples breaking its schema, and are not ours).
    pub fn request_violations(&self) -> Vec<String> {
        // Prism writes its log just after answering.
        std::thread::sleep(Duration::from_millis(300));
        let log = self.prism.log();
        log.get(self.log_start..)
            .unwrap_or("")
            .lines()
            .filter(|l| l.to_ascii_lowercase().contains("violation: request"))
            .map(String::from)
            .collect()
    }
}

/// The shared Prism, started on first use, for this test alone until the session is dropped; `None`
/// (after printing why) when it is not installed and this is not CI. Panics under CI when it is missing or
/// does not start.
pub fn prism() -> Option<Session> {
    let turn = TURN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let result = PRISM.get_or_init(start);
    match result {
        Ok(p) => Some(Session {
            prism: p,
            log_start: p.log().len(),
            _turn: turn,
        }),
        Err(reason) => {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true" || v == "1"),
                "contract tests need Prism under CI: {reason}"
            );
            eprintln!("skipping contract test: {reason} (run `npm ci --no-audit --no-fund` first)");
            None
        }
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn start() -> Result<Prism, String> {
    let bin = root().join("node_modules/.bin/prism");
    let spec = root().join(SPEC);
    if !bin.exists() {
        return Err(format!("`{}` is not installed", bin.display()));
    }
    if !spec.exists() {
        return Err(format!("`{}` is not installed", spec.display()));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let log = std::env::temp_dir().join(format!("ecosync-prism-{}-{port}.log", std::process::id()));
    let log_file =
        std::fs::File::create(&log).map_err(|e| format!("cannot create the log: {e}"))?;
    // Prism runs in the background of a shell that polls this test process and kills Prism once it is
    // gone: a parent-death signal without unsafe code. Arguments come from this file, never from input.
    let script = r#"
"$1" mock -h 127.0.0.1 -p "$2" "$3" &
prism=$!
trap 'kill $prism 2>/dev/null' EXIT INT TERM
while kill -0 "$4" 2>/dev/null && kill -0 $prism 2>/dev/null; do sleep 1; done
"#;
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("prism-watcher")
        .arg(&bin)
        .arg(port.to_string())
        .arg(&spec)
        .arg(std::process::id().to_string())
        .env("SCARF_ANALYTICS", "false")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
        .stderr(log_file)
        .spawn()
        .map_err(|e| format!("cannot start prism: {e}"))?;
    let prism = Prism { port, log };
    let started = Instant::now();
    while started.elapsed() < START_TIMEOUT {
        if ready(port) {
            return Ok(prism);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Err(format!(
        "prism did not answer within {START_TIMEOUT:?}; its log:\n{}",
        prism.log()
    ))
}

/// Whether Prism answers a request from the spec.
fn ready(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let req = "GET /repos/acme/widget HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(n) if n >= 12 && buf.starts_with(b"HTTP/1.1 200"))
}
