//! The server: a hyper HTTP/1 listener on loopback in a thread and runtime of its own, started by
//! `FakeGitHub::start` and stopped when the `FakeGitHub` is dropped, and what it does with each request
//! before a route answers it: record it, delay it, fail it as a fault says, refuse it without credentials.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use hyper::Request;
use hyper::body::Incoming;

use http_body_util::BodyExt as _;

use super::answer::{Answer, error};
use super::faults::{FaultKind, fault_answer, triggered};
use super::git_http::{GitRequest, backend, is_git_path};
use super::misbehave::{AnyBody, misbehave};
use super::permissions::INSTALLATION_TOKEN_PREFIX;
use super::routes::route;
use super::state::{Recorded, State};

/// A running fake GitHub. Stops when dropped.
pub struct FakeGitHub {
    pub(super) addr: SocketAddr,
    pub(super) state: Arc<Mutex<State>>,
    pub(super) started: Instant,
    pub(super) stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub(super) thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeGitHub {
    /// Starts a fake on 127.0.0.1 with a free port, in its own thread and runtime.
    pub fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(State {
            next_id: 1000,
            ..State::default()
        }));
        let started = Instant::now();
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let shared = state.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("fake runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    let (stream, _) = tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => match accepted {
                            Ok(a) => a,
                            Err(_) => continue,
                        },
                    };
                    let _ = stream.set_nodelay(true);
                    let state = shared.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            handle(state.clone(), started, req)
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
            rt.shutdown_timeout(Duration::from_millis(100));
        });
        FakeGitHub {
            addr,
            state,
            started,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The API root to give `--api-url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Time since the fake started (the clock of `Recorded::at`).
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Receives one request: records it, applies the latency and any fault, answers git's smart HTTP when
/// asked to serve git, refuses an API request without credentials, and has `route` answer it.
async fn handle(
    state: Arc<Mutex<State>>,
    started: Instant,
    req: Request<Incoming>,
) -> Result<hyper::Response<AnyBody>, std::io::Error> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let mut headers = BTreeMap::new();
    let mut authorized = false;
    let mut auth_kind = None;
    for (name, value) in req.headers() {
        if name == hyper::header::AUTHORIZATION {
            authorized = true;
            let secret = value.to_str().unwrap_or("");
            let secret = secret.split_whitespace().last().unwrap_or("");
            auth_kind = Some(if secret.starts_with(INSTALLATION_TOKEN_PREFIX) {
                "installation"
            } else if secret.starts_with("eyJ") && secret.matches('.').count() == 2 {
                "jwt"
            } else {
                "token"
            });
            continue;
        }
        headers.insert(
            name.as_str().to_string(),
            value.to_str().unwrap_or("").to_string(),
        );
    }
    let host = headers.get("host").cloned().unwrap_or_default();
    let content_type = headers.get("content-type").cloned().unwrap_or_default();
    let body_bytes = req
        .into_body()
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default()
        .to_vec();
    let body = String::from_utf8_lossy(&body_bytes).into_owned();
    let (latency, fault) = {
        let mut st = state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        st.requests.push(Recorded {
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            headers,
            authorized,
            auth_kind,
            body: body.clone(),
            at: started.elapsed(),
        });
        let fault = triggered(&mut st.faults, &method, &path);
        (st.latency, fault)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match &fault {
        Some(FaultKind::Hang(how)) => return Ok(misbehave(*how, &path, &query).await),
        Some(FaultKind::Drop) => {
            // An error from the service makes hyper close the connection without an answer.
            return Err(std::io::Error::other("fault: dropped connection"));
        }
        Some(FaultKind::Slow(d)) => tokio::time::sleep(*d).await,
        Some(kind) => {
            if let Some(answer) = fault_answer(kind) {
                return Ok(boxed(answer));
            }
        }
        None => {}
    }
    let git_root = state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .git_root
        .clone();
    if let Some(root) = git_root.filter(|_| is_git_path(&path)) {
        let (status, headers, body) = tokio::task::spawn_blocking(move || {
            backend(
                &root,
                &GitRequest {
                    method: &method,
                    path: &path,
                    query: &query,
                    content_type: &content_type,
                    body: &body_bytes,
                },
            )
        })
        .await
        .map_err(std::io::Error::other)?;
        let mut answer = hyper::Response::builder().status(status);
        for (k, v) in headers {
            answer = answer.header(k, v);
        }
        return Ok(boxed(
            answer
                .body(http_body_util::Full::new(hyper::body::Bytes::from(body)))
                .expect("git answer"),
        ));
    }
    if !authorized {
        return Ok(boxed(error(401, "Requires authentication")));
    }
    let base = format!("http://{host}");
    let answer = {
        let mut st = state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // GitHub Enterprise Server serves the API under `/api/v3`.
        let api_path = path.strip_prefix("/api/v3").unwrap_or(&path);
        st.current_auth = auth_kind;
        route(&mut st, &base, &method, api_path, &query, &body)
    };
    if matches!(fault, Some(FaultKind::LoseAnswer)) {
        return Err(std::io::Error::other("fault: answer lost"));
    }
    Ok(boxed(answer))
}

/// An ordinary answer as one of a server that can also hang.
fn boxed(answer: Answer) -> hyper::Response<AnyBody> {
    answer.map(|body| body.map_err(|never| match never {}).boxed())
}
