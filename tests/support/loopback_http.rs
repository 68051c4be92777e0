//! `LoopbackHttp`: a small HTTP/1.1 server on 127.0.0.1 for one test, answering every request with a plain
//! function and recording what it was asked. Two uses: a fake release download site (`static_files`) for
//! the install script, and git's smart HTTP (`git_http_backend`, `git http-backend` run as a CGI program)
//! for the rustls transport.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};

// The fake GitHub's git backend, named by path: benchmarks include this file and the fake's alone, so
// each loads it.
#[allow(clippy::duplicate_mod)]
#[path = "fake_github/git_http.rs"]
mod git_http;
use hyper::body::Bytes;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// The path and the query.
    pub target: String,
    /// The `Authorization` header's value.
    pub authorization: Option<String>,
    /// The request's body (git's smart HTTP: the wants, `deepen` and haves of a fetch).
    pub body: Vec<u8>,
}

/// A request handed to the handler.
pub struct Req {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

/// The handler's answer: status, headers, body.
pub type Answer = (u16, Vec<(String, String)>, Vec<u8>);

type Handler = Arc<dyn Fn(&Req) -> Answer + Send + Sync>;

/// The running server; it stops when dropped (its runtime thread ends with the test process otherwise).
pub struct LoopbackHttp {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl LoopbackHttp {
    /// Starts a server on a free loopback port that answers with `handler`.
    pub fn start(handler: impl Fn(&Req) -> Answer + Send + Sync + 'static) -> LoopbackHttp {
        let handler: Handler = Arc::new(handler);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (shutdown, mut stop) = tokio::sync::oneshot::channel::<()>();
        let seen2 = Arc::clone(&seen);
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                loop {
                    let (stream, _) = tokio::select! {
                        accepted = listener.accept() => accepted.unwrap(),
                        _ = &mut stop => return,
                    };
                    let handler = Arc::clone(&handler);
                    let seen = Arc::clone(&seen2);
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            let handler = Arc::clone(&handler);
                            let seen = Arc::clone(&seen);
                            async move { Ok::<_, hyper::Error>(answer(&handler, &seen, req).await) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        let addr = addr_rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the loopback server started");
        LoopbackHttp {
            addr,
            seen,
            shutdown: Some(shutdown),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for LoopbackHttp {
    fn drop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
    }
}

async fn answer(
    handler: &Handler,
    seen: &Mutex<Vec<Seen>>,
    req: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    let headers: BTreeMap<String, String> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let req = Req {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers,
        body,
    };
    seen.lock().unwrap().push(Seen {
        method: req.method.clone(),
        target: parts
            .uri
            .path_and_query()
            .map_or_else(String::new, ToString::to_string),
        authorization: req.headers.get("authorization").cloned(),
        body: req.body.clone(),
    });
    let handler = Arc::clone(handler);
    let (status, headers, body) = tokio::task::spawn_blocking(move || handler(&req))
        .await
        .unwrap();
    let mut response = hyper::Response::builder().status(status);
    for (k, v) in headers {
        response = response.header(k, v);
    }
    response.body(Full::new(Bytes::from(body))).unwrap()
}

/// A handler serving `files` (path to bytes), 404 for anything else.
pub fn static_files(
    files: BTreeMap<String, Vec<u8>>,
) -> impl Fn(&Req) -> Answer + Send + Sync + use<> {
    move |req| match files.get(&req.path) {
        Some(bytes) if req.method == "GET" => (200, Vec::new(), bytes.clone()),
        _ => (404, Vec::new(), b"not found".to_vec()),
    }
}

/// A handler running `git http-backend` over the repositories under `root` (see
/// `fake_github/git_http.rs`). With `authorization`, every request must carry exactly
/// that header, else 401.
pub fn git_http_backend(
    root: &Path,
    authorization: Option<String>,
) -> impl Fn(&Req) -> Answer + Send + Sync + use<> {
    let root: PathBuf = root.to_owned();
    move |req| {
        if let Some(expected) = &authorization
            && req.headers.get("authorization") != Some(expected)
        {
            let challenge = (
                "WWW-Authenticate".to_owned(),
                "Basic realm=\"test\"".to_owned(),
            );
            return (401, vec![challenge], b"unauthorized".to_vec());
        }
        let content_type = req.headers.get("content-type").cloned().unwrap_or_default();
        git_http::backend(
            &root,
            &git_http::GitRequest {
                method: &req.method,
                path: &req.path,
                query: &req.query,
                content_type: &content_type,
                body: &req.body,
            },
        )
    }
}
