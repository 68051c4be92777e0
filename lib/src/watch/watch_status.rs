//! `WatchStatus`: what a running watcher shows the outside, fed by its [`WatchEvent`]s: metrics in the
//! Prometheus text format at `/metrics` and a JSON health document at `/healthz`, served on `--listen`.
//!
//! `/healthz` answers 200 while the loop is alive and has polled within three intervals (or, before its
//! first poll, started within three intervals and its initial delay), 503 otherwise.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Response, StatusCode};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use serde::Serialize;

use crate::watch::watcher::WatchEvent;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TargetLabel {
    target: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: String,
}

/// The metrics.
struct Metrics {
    registry: Registry,
    duration: Family<TargetLabel, Histogram>,
    files: Family<TargetLabel, Counter>,
    failures: Family<TargetLabel, Counter>,
    deliveries: Family<ResultLabel, Counter>,
    active: Gauge,
    queue: Gauge,
    last_success: Gauge<f64, std::sync::atomic::AtomicU64>,
    breaker: Family<TargetLabel, Gauge>,
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::default();
        let duration = Family::<TargetLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.005, 2.0, 14))
        });
        let files = Family::<TargetLabel, Counter>::default();
        let failures = Family::<TargetLabel, Counter>::default();
        let deliveries = Family::<ResultLabel, Counter>::default();
        let active = Gauge::default();
        let queue = Gauge::default();
        let last_success = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        let breaker = Family::<TargetLabel, Gauge>::default();
        registry.register(
            "ecosync_sync_duration_seconds",
            "Time one delivery took, retries included",
            duration.clone(),
        );
        // The text encoder adds `_total` to counters.
        registry.register(
            "ecosync_files_processed",
            "Changed paths delivered",
            files.clone(),
        );
        registry.register(
            "ecosync_sync_failures",
            "Deliveries that failed",
            failures.clone(),
        );
        registry.register(
            "ecosync_deliveries",
            "Deliveries by result",
            deliveries.clone(),
        );
        registry.register(
            "ecosync_active_syncs",
            "Deliveries in flight",
            active.clone(),
        );
        registry.register(
            "ecosync_queue_depth",
            "Targets behind their branch (waiting for a retry or for more changes)",
            queue.clone(),
        );
        registry.register(
            "ecosync_last_success_timestamp_seconds",
            "When the last delivery succeeded, in seconds since the epoch",
            last_success.clone(),
        );
        registry.register(
            "ecosync_breaker_open",
            "1 while a target's circuit is open",
            breaker.clone(),
        );
        Metrics {
            registry,
            duration,
            files,
            failures,
            deliveries,
            active,
            queue,
            last_success,
            breaker,
        }
    }
}

impl Metrics {
    /// One delivery to `repo` that took `duration` and ended as `result` (`delivered` or `failed`), its
    /// circuit now open or not; returns the target's label for the caller's own counters.
    fn attempt(&self, repo: &str, duration: Duration, result: &str, open: bool) -> TargetLabel {
        let target = TargetLabel {
            target: repo.to_owned(),
        };
        self.duration
            .get_or_create(&target)
            .observe(duration.as_secs_f64());
        self.deliveries
            .get_or_create(&ResultLabel {
                result: result.to_owned(),
            })
            .inc();
        self.breaker.get_or_create(&target).set(i64::from(open));
        target
    }
}

/// The `/healthz` document.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Health {
    /// `ok` or `stale`.
    pub status: &'static str,
    /// When the last poll ended (RFC 3339).
    pub last_poll: Option<String>,
    /// When the last delivery succeeded.
    pub last_success: Option<String>,
    /// The source commit it delivered.
    pub last_success_commit: Option<String>,
    /// The last failure, with its time.
    pub last_failure: Option<String>,
    /// Targets whose circuit is open.
    pub open_breakers: Vec<String>,
}

#[derive(Debug, Default)]
struct HealthState {
    last_poll: Option<SystemTime>,
    last_success: Option<(SystemTime, String)>,
    last_failure: Option<(SystemTime, String)>,
    open: BTreeSet<String>,
}

/// The shared status of one watcher.
#[derive(Clone)]
pub struct WatchStatus {
    metrics: Arc<Metrics>,
    health: Arc<Mutex<HealthState>>,
    started: SystemTime,
    grace: Duration,
    interval: Duration,
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

impl WatchStatus {
    /// A status for a watcher polling every `interval` after `initial_delay`.
    pub fn new(interval: Duration, initial_delay: Duration) -> WatchStatus {
        WatchStatus {
            metrics: Arc::new(Metrics::new()),
            health: Arc::new(Mutex::new(HealthState::default())),
            started: SystemTime::now(),
            grace: initial_delay,
            interval,
        }
    }

    fn health_state(&self) -> std::sync::MutexGuard<'_, HealthState> {
        self.health
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes in what the watcher did.
    pub fn observe(&self, event: &WatchEvent) {
        let m = &self.metrics;
        let now = SystemTime::now();
        match event {
            WatchEvent::Delivered {
                repo,
                head,
                paths,
                duration,
                ..
            } => {
                let target = m.attempt(repo, *duration, "delivered", false);
                m.files
                    .get_or_create(&target)
                    .inc_by(u64::try_from(*paths).unwrap_or(u64::MAX));
                m.last_success.set(
                    now.duration_since(std::time::UNIX_EPOCH)
                        .map_or(0.0, |d| d.as_secs_f64()),
                );
                let mut h = self.health_state();
                h.last_success = Some((now, head.clone()));
                h.open.remove(repo);
            }
            WatchEvent::Failed {
                repo,
                error,
                breaker_open,
                duration,
                ..
            } => {
                let target = m.attempt(repo, *duration, "failed", *breaker_open);
                m.failures.get_or_create(&target).inc();
                let mut h = self.health_state();
                h.last_failure = Some((now, format!("{repo}: {error}")));
                if *breaker_open {
                    h.open.insert(repo.clone());
                }
            }
            WatchEvent::PollFailed { error, .. } => {
                self.health_state().last_failure = Some((now, format!("poll: {error}")));
            }
            WatchEvent::Delivering { count } => {
                m.active.set(i64::try_from(*count).unwrap_or(i64::MAX));
            }
            WatchEvent::Polled { pending } => {
                m.queue.set(i64::try_from(*pending).unwrap_or(i64::MAX));
                self.health_state().last_poll = Some(now);
            }
            _ => {}
        }
    }

    /// The metrics, in the Prometheus text format.
    pub fn metrics_text(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.metrics.registry);
        out
    }

    /// The health document, and whether the loop is healthy.
    pub fn health(&self) -> (Health, bool) {
        let h = self.health_state();
        let limit = self.interval * 3;
        let reference = h.last_poll.unwrap_or(self.started + self.grace);
        let healthy = SystemTime::now()
            .duration_since(reference)
            .is_ok_and(|age| age <= limit)
            || SystemTime::now() < reference;
        let doc = Health {
            status: if healthy { "ok" } else { "stale" },
            last_poll: h.last_poll.map(rfc3339),
            last_success: h.last_success.as_ref().map(|(t, _)| rfc3339(*t)),
            last_success_commit: h.last_success.as_ref().map(|(_, c)| c.clone()),
            last_failure: h
                .last_failure
                .as_ref()
                .map(|(t, e)| format!("{} {e}", rfc3339(*t))),
            open_breakers: h.open.iter().cloned().collect(),
        };
        (doc, healthy)
    }

    /// Serves `/metrics` and `/healthz` on `listener` until the task is dropped.
    ///
    /// A client cannot hold the server: at most [`MAX_CONNECTIONS`] connections are served at once, each
    /// must send its request's headers within [`HEADER_TIMEOUT`] and is closed after
    /// [`CONNECTION_TIMEOUT`] whatever it does, so connections that send nothing, or a byte at a time, free
    /// their place within seconds. An error accepting a connection (out of file descriptors) is waited out,
    /// not spun on.
    pub async fn serve(self, listener: tokio::net::TcpListener) {
        let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
        loop {
            // The semaphore is never closed.
            let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
                return;
            };
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            let status = self.clone();
            tokio::spawn(async move {
                let _slot = slot;
                let service = hyper::service::service_fn(
                    move |req: Request<hyper::body::Incoming>| {
                        let status = status.clone();
                        async move { Ok::<_, std::convert::Infallible>(status.answer(req.uri().path())) }
                    },
                );
                let io = hyper_util::rt::TokioIo::new(stream);
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .serve_connection(io, service);
                let _ = tokio::time::timeout(CONNECTION_TIMEOUT, connection).await;
            });
        }
    }

    fn answer(&self, path: &str) -> Response<Full<Bytes>> {
        let (status, kind, body) = match path {
            "/metrics" => (
                StatusCode::OK,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                self.metrics_text(),
            ),
            "/healthz" => {
                let (doc, healthy) = self.health();
                let code = if healthy {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                };
                (
                    code,
                    "application/json",
                    serde_json::to_string(&doc).unwrap_or_default() + "\n",
                )
            }
            _ => (
                StatusCode::NOT_FOUND,
                "text/plain",
                "not found: try /metrics or /healthz\n".to_owned(),
            ),
        };
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        if let Ok(v) = hyper::header::HeaderValue::from_str(kind) {
            response
                .headers_mut()
                .insert(hyper::header::CONTENT_TYPE, v);
        }
        response
    }
}

/// The most connections [`WatchStatus::serve`] serves at once; more wait to be accepted.
pub const MAX_CONNECTIONS: usize = 32;

/// How long a connection may take to send its request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a connection is kept, whatever it does.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(30);

/// Binds `addr` for [`WatchStatus::serve`].
pub async fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_goes_stale_without_polls_and_metrics_count_deliveries() {
        let status = WatchStatus::new(Duration::from_millis(1), Duration::ZERO);
        std::thread::sleep(Duration::from_millis(20));
        let (doc, healthy) = status.health();
        assert!(!healthy);
        assert_eq!(doc.status, "stale");
        status.observe(&WatchEvent::Polled { pending: 2 });
        assert!(status.health().1, "just polled");
        status.observe(&WatchEvent::Delivered {
            repo: "acme/a".into(),
            base: "b".into(),
            head: "h".into(),
            paths: 3,
            duration: Duration::from_millis(40),
            mode: crate::dispatch::ecosystem::delivery_mode::DeliveryMode::Dispatch,
        });
        let text = status.metrics_text();
        assert!(
            text.contains("ecosync_files_processed_total{target=\"acme/a\"} 3"),
            "{text}"
        );
        assert!(text.contains("ecosync_queue_depth 2"), "{text}");
        assert_eq!(status.health().0.last_success_commit.as_deref(), Some("h"));
        status.observe(&WatchEvent::Failed {
            repo: "acme/b".into(),
            mode: crate::dispatch::ecosystem::delivery_mode::DeliveryMode::Dispatch,
            error: "boom".into(),
            failures: 5,
            retry_in: Duration::from_secs(60),
            breaker_open: true,
            duration: Duration::from_millis(5),
        });
        let text = status.metrics_text();
        assert!(
            text.contains("ecosync_sync_failures_total{target=\"acme/b\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("ecosync_breaker_open{target=\"acme/b\"} 1"),
            "{text}"
        );
        assert_eq!(status.health().0.open_breakers, ["acme/b"]);
    }
}
