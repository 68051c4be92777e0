//! The glue both binaries share (the library must not install a log subscriber or print): log set-up, the
//! one error type at the binaries' boundary, printing an error once with its chain and its hints, the exit
//! status, and a closed stdout treated as success.
//!
//! Exit status, the same in both binaries: 0 success (also "nothing to do"); for an error, its
//! [`ErrorKind`]'s code (the kinds and their codes are documented there); 130 stopped by a signal. A library
//! error brings its kind and its hint itself ([`UserError`]): [`CliError::of`] takes both before the error
//! becomes an `anyhow::Error`.

use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;

use ecosync::actions::{self, Actions, Level};
use ecosync::config::diagnostic::Diagnostic;
use ecosync::{ErrorKind, UserError};

use crate::forge_args::ForgeArgs;

/// Both binaries allocate with mimalloc (its version 2: version 3 commits more memory per thread, which
/// transparent huge pages then zero). A plan of a large push makes hundreds of thousands of small
/// allocations on two threads, and glibc's allocator grows the second thread's arena by `mprotect` calls
/// that contend with the other thread's page faults: on the 10,500-path benchmark mimalloc 2 cut the
/// plan's wall time by about 20% and its CPU time by about 30% (see the README's benchmark section).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How a command ended without an error: its exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done, or nothing to do.
    Success,
    /// 1: something failed and was already said (for example a dispatch that failed, a dry run's conflict).
    Failed,
    /// 130: stopped by SIGINT or SIGTERM before everything was done (what was done was said).
    #[allow(dead_code)] // Only `dispatcher dispatch` stops between requests.
    Interrupted,
}

/// The error that ends a command: its kind (which decides the exit status), what went wrong with its chain,
/// what to do about it, and the configuration's problems, each stored once and printed once.
#[derive(Debug)]
pub struct CliError {
    kind: ErrorKind,
    error: anyhow::Error,
    hints: Vec<String>,
    diagnostics: Vec<Diagnostic>,
}

/// What a subcommand returns.
pub type CliResult = Result<Exit, CliError>;

impl CliError {
    /// An error of `kind`, with no hint yet: for what the library did not say (a file, the runtime, the
    /// binary's own message). A library error goes through [`CliError::of`], which keeps its hint.
    pub fn new(kind: ErrorKind, error: impl Into<anyhow::Error>) -> Self {
        CliError {
            kind,
            error: error.into(),
            hints: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    /// A bad command line or setting (exit 2), with no hint yet.
    pub fn usage(error: impl Into<anyhow::Error>) -> Self {
        Self::new(ErrorKind::Usage, error)
    }

    /// A run that failed (exit 1), with no hint yet.
    pub fn failed(error: impl Into<anyhow::Error>) -> Self {
        Self::new(ErrorKind::Failed, error)
    }

    /// A library error, of the kind it says and with its hint, both taken before its type is erased. (Not a
    /// `From` impl: one for every [`UserError`] would overlap the one for `anyhow::Error`.)
    pub fn of(error: impl UserError) -> Self {
        let (kind, hint) = (error.kind(), error.hint());
        let error = Self::new(kind, error);
        match hint {
            Some(hint) => error.hint(hint),
            None => error,
        }
    }

    /// The same error as another kind, where the command line knows better than the library: a malformed
    /// commit is a rejected input in an event, a usage error in `--sha`.
    #[must_use]
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// The same error, its message preceded by `context` (`context: error`), as anyhow's `context` does.
    #[must_use]
    pub fn context(mut self, context: impl std::fmt::Display + Send + Sync + 'static) -> Self {
        self.error = self.error.context(context);
        self
    }

    /// An invalid configuration file (exit 2): its problems, printed first, then `summary`.
    pub fn config(diagnostics: Vec<Diagnostic>, summary: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::usage(summary);
        e.diagnostics = diagnostics;
        e
    }

    /// Adds a hint (once: a hint already there is not repeated).
    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        let hint = hint.into();
        if !self.hints.contains(&hint) {
            self.hints.push(hint);
        }
        self
    }

    /// The error's text with its chain and hints, as printed.
    fn render(&self) -> String {
        // libgit2's texts stay out of what users read (`error_chain` logs them at debug level).
        let mut s = format!(
            "error: {}",
            ecosync::error_kind::error_chain(AsRef::<dyn std::error::Error>::as_ref(&self.error))
        );
        for h in &self.hints {
            s.push_str("\n  hint: ");
            s.push_str(h);
        }
        s
    }
}

impl From<anyhow::Error> for CliError {
    /// A failure with no hint (`?` on the binaries' own `anyhow` errors); a library error keeps its kind and
    /// hint only through [`CliError::of`].
    fn from(error: anyhow::Error) -> Self {
        Self::failed(error)
    }
}

impl From<std::io::Error> for CliError {
    fn from(error: std::io::Error) -> Self {
        Self::failed(error)
    }
}

/// The fixed pipeline of both binaries: set up logging, parse the command line, run, print the error once,
/// map the outcome to an exit status.
pub fn main<C: clap::Parser>(run: impl FnOnce(C) -> CliResult) -> ExitCode {
    init_logging();
    // Before any thread or git2 call: git over https goes through rustls, not libgit2's OpenSSL.
    if let Err(e) = ecosync::git::git_https::install() {
        return finish(Err(CliError::failed(e)));
    }
    // `--help` shows `[env: NAME]` for an unset variable instead of `NAME=`.
    // An empty variable counts as unset (a workflow's `${{ inputs.x }}` of an input not given).
    let mut cmd = crate::cli_env::hide_unset_env_values(crate::cli_env::ignore_empty_env_values(
        C::command(),
    ));
    let matches = cmd.get_matches_mut();
    let cli = C::from_arg_matches(&matches).unwrap_or_else(|e| e.format(&mut cmd).exit());
    finish(run(cli))
}

fn finish(result: CliResult) -> ExitCode {
    let error = match result {
        Ok(Exit::Success) => return ExitCode::SUCCESS,
        Ok(Exit::Failed) => return ExitCode::FAILURE,
        Ok(Exit::Interrupted) => return ExitCode::from(130),
        Err(e) => e,
    };
    if is_broken_pipe(&error.error) {
        return ExitCode::SUCCESS;
    }
    for d in &error.diagnostics {
        eprintln!("{d}");
    }
    eprintln!("{}", error.render());
    // Under GitHub Actions the error is also an annotation, so it shows in the run's summary.
    if Actions::from_env().is_some() {
        let mut message = format!("{:#}", error.error);
        for h in &error.hints {
            _ = write!(message, " (hint: {h})");
        }
        let _ = print_stdout(&actions::annotation(Level::Error, "ecosync", &message));
    }
    ExitCode::from(error.kind.exit_code())
}

/// A single-threaded runtime and the forge `args` describe, built inside it (the GitHub client needs a
/// runtime to be built in): what every command that talks to a forge starts with.
pub fn runtime_and_forge(
    args: &ForgeArgs,
) -> Result<(tokio::runtime::Runtime, ecosync::Forge), CliError> {
    use anyhow::Context as _;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let forge = forge_in(&runtime, args)?;
    Ok((runtime, forge))
}

/// The forge `args` describe, built inside `runtime` (the GitHub client needs one to be built in).
pub fn forge_in(
    runtime: &tokio::runtime::Runtime,
    args: &ForgeArgs,
) -> Result<ecosync::Forge, CliError> {
    let _entered = runtime.enter();
    // What fails here is a setting (the forge's kind says so): a usage error, exit 2.
    args.build()
        .map_err(|e| CliError::of(e).context("cannot set up the forge"))
}

/// Writes to stdout; a closed pipe is an error that [`main`] treats as success (`subscriber apply | head`).
pub fn print_stdout(s: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())?;
    out.flush()
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Installs the tracing subscriber: level from `ECOSYNC_LOG` (default `warn`), to stderr, in colour only
/// when stderr is a terminal and `NO_COLOR` is unset or empty.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ECOSYNC_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_target(false)
        .init();
}

/// Opens `--audit-log FILE` for appending before anything happens; a file that cannot be opened is a usage
/// error (exit 2), found before any side effect.
pub fn open_audit_log(
    path: Option<&std::path::Path>,
) -> Result<Option<ecosync::audit_log::AuditLog>, CliError> {
    path.map(|p| {
        ecosync::audit_log::AuditLog::open(p).map_err(|e| {
            CliError::usage(anyhow::anyhow!(
                "cannot open the audit log `{}`: {e}",
                p.display()
            ))
            .hint("pass a file in a directory this user can write")
        })
    })
    .transpose()
}

/// Appends to the audit log; a failure to write is a warning, never the run's end (the actions were taken).
pub fn record_audit(
    log: &ecosync::audit_log::AuditLog,
    entries: &[ecosync::audit_log::AuditEntry],
) {
    if let Err(e) = log.record(entries) {
        eprintln!(
            "warning: cannot append to the audit log `{}`: {e}",
            log.path().display()
        );
    }
}

/// `--format` of the commands that print either a report for people or its JSON (`doctor`, `explain`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TextOrJson {
    /// For people.
    Text,
    /// JSON, for tools (the README documents its shape).
    Json,
}

/// Prints a doctor report as `format` asks; exit 1 when a check failed.
pub fn finish_doctor(report: &ecosync::doctor::DoctorReport, format: TextOrJson) -> CliResult {
    print_stdout(&match format {
        TextOrJson::Text => report.to_text(),
        TextOrJson::Json => report.to_json(),
    })?;
    Ok(if report.failed() {
        Exit::Failed
    } else {
        Exit::Success
    })
}
