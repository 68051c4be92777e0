//! What both `watch` commands share: the service options (state, interval, backoff, `--listen`,
//! `--max-polls`), the multi-threaded runtime with the `/metrics` and `/healthz` server, and the timestamp
//! of each line they print.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use ecosync::watch::watch_status::WatchStatus;

use crate::glue::CliError;

/// The options of a long-running watcher.
#[derive(Debug, Clone, Args)]
pub struct ServiceArgs {
    /// Where the watcher keeps what it processed (created if missing).
    #[arg(long, env = "ECOSYNC_STATE_DIR", value_name = "DIR")]
    pub state_dir: PathBuf,

    /// Time between polls.
    #[arg(long, env = "ECOSYNC_INTERVAL", value_name = "DURATION", default_value = "60s", value_parser = humantime::parse_duration)]
    pub interval: Duration,

    /// Wait this long before the first poll.
    #[arg(long, env = "ECOSYNC_INITIAL_DELAY", value_name = "DURATION", default_value = "0s", value_parser = humantime::parse_duration)]
    pub initial_delay: Duration,

    /// First retry delay after a failure (doubled for each failure in a row, with jitter).
    #[arg(long, env = "ECOSYNC_RETRY_DELAY", value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration)]
    pub retry_delay: Duration,

    /// The longest retry delay.
    #[arg(long, env = "ECOSYNC_RETRY_MAX_DELAY", value_name = "DURATION", default_value = "15m", value_parser = humantime::parse_duration)]
    pub retry_max_delay: Duration,

    /// Serve `/metrics` (Prometheus text format) and `/healthz` (JSON) on this address, e.g.
    /// `127.0.0.1:9464`.
    #[arg(long, env = "ECOSYNC_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// Stop after this many polls [default: run until SIGTERM or SIGINT].
    #[arg(long, env = "ECOSYNC_MAX_POLLS", value_name = "N")]
    pub max_polls: Option<u64>,
}

impl ServiceArgs {
    /// Refuses settings no watcher can run with.
    pub fn check(&self) -> Result<(), CliError> {
        if self.interval.is_zero() {
            return Err(
                CliError::usage(anyhow::anyhow!("`--interval` must be more than 0s"))
                    .hint("e.g. `--interval 60s`"),
            );
        }
        Ok(())
    }

    /// The longest retry delay, never shorter than the first.
    pub fn retry_max(&self) -> Duration {
        self.retry_max_delay.max(self.retry_delay)
    }

    /// A runtime with two threads (so `/metrics` and `/healthz` answer while a poll waits on git), the
    /// watcher's status, and, with `--listen`, its server started.
    pub fn start(&self) -> Result<(tokio::runtime::Runtime, WatchStatus), CliError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let status = WatchStatus::new(self.interval, self.initial_delay);
        if let Some(addr) = self.listen {
            let listener = runtime
                .block_on(ecosync::watch::watch_status::bind(addr))
                .map_err(|e| listen_error(addr, e))?;
            runtime.spawn(status.clone().serve(listener));
            eprintln!("{} serving /metrics and /healthz on http://{addr}", stamp());
        }
        Ok((runtime, status))
    }
}

/// Why `--listen ADDR` cannot be served, with the fix: for a port in use, a free one next to it.
fn listen_error(addr: SocketAddr, error: std::io::Error) -> CliError {
    let busy = error.kind() == std::io::ErrorKind::AddrInUse;
    let hint = if busy {
        let free = (1..=20)
            .filter_map(|n| addr.port().checked_add(n))
            .map(|port| SocketAddr::new(addr.ip(), port))
            .find(|a| std::net::TcpListener::bind(a).is_ok());
        match free {
            Some(free) => format!(
                "port {} is in use (another watcher?); `{free}` is free: pass `--listen {free}`",
                addr.port()
            ),
            None => format!(
                "port {} is in use; pick another with `--listen`",
                addr.port()
            ),
        }
    } else {
        "pick an address of this machine and a free port, e.g. `127.0.0.1:9464`".to_owned()
    };
    CliError::usage(anyhow::Error::new(error).context(format!("cannot listen on `{addr}`")))
        .hint(hint)
}

/// The current time, UTC, to the second, starting each line a watcher prints.
pub fn stamp() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}
