//! git's smart HTTP protocol over rustls, registered with libgit2 for `https://` and `http://` remotes.
//!
//! Why not libgit2's own HTTPS: it links OpenSSL dynamically (so a release binary would need `libssl` on the
//! machine that runs it) and initialises it on the first git2 call of every process, `dispatcher plan`
//! included, which never talks to a network (about 17 ms). This transport is plain Rust on top of `ureq`
//! and rustls (ring, as octocrab uses), and costs nothing until a remote is actually reached: the HTTP agent
//! and the root certificates are loaded on the first request.
//!
//! libgit2 does not hand a custom transport its credentials callback, so credentials are lent here instead:
//! [`lend`] records the user name and secret for one remote URL (done by `GitAuth::callbacks`, next to the
//! credentials callback it always set), and the transport sends them as HTTP Basic authentication on every
//! request to exactly that URL, never in the URL itself, and only over https (or plain http to a loopback
//! address, which the tests use). Nothing here logs or prints a secret.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use git2::transport::{Service, SmartSubtransport, SmartSubtransportStream, Transport};

/// The user agent: GitHub (like git's own servers) expects smart HTTP clients to call themselves `git/…`.
const USER_AGENT: &str = concat!("git/2.0 (ecosync ", env!("CARGO_PKG_VERSION"), ")");

/// How long git over http waits: for a connection and for an answer's headers (`--request-timeout`), and
/// the least speed of an answer's body, in bytes a second over a window (as git's `http.lowSpeedLimit`
/// and `http.lowSpeedTime`). A transfer is never cut off for its length, only for being slower than the
/// limit for the whole window: a large, healthy fetch always finishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GitTimeouts {
    /// Connecting, TLS included.
    pub connect: Duration,
    /// From the request sent to the answer's headers; also the longest wait for any one read or write.
    pub response: Duration,
    /// The least bytes a second over `low_speed_time`; 0 turns the check off.
    pub low_speed_limit: u64,
    /// The window of the low-speed check.
    pub low_speed_time: Duration,
}

impl Default for GitTimeouts {
    /// The command line's defaults: 30 seconds, and at least 10 bytes a second over 30 seconds (a live
    /// server's progress messages and keep-alives are more).
    fn default() -> Self {
        GitTimeouts {
            connect: Duration::from_secs(30),
            response: Duration::from_secs(30),
            low_speed_limit: DEFAULT_LOW_SPEED_LIMIT,
            low_speed_time: Duration::from_secs(30),
        }
    }
}

/// The low-speed limit when none is given, in bytes a second.
pub const DEFAULT_LOW_SPEED_LIMIT: u64 = 10;

fn timeouts_cell() -> &'static RwLock<GitTimeouts> {
    static TIMEOUTS: OnceLock<RwLock<GitTimeouts>> = OnceLock::new();
    TIMEOUTS.get_or_init(|| RwLock::new(GitTimeouts::default()))
}

/// Sets how long every later git request over http waits (the forge sets it from its settings).
pub fn set_timeouts(timeouts: GitTimeouts) {
    *timeouts_cell()
        .write()
        .unwrap_or_else(PoisonError::into_inner) = timeouts;
}

/// How long git requests over http wait.
pub fn timeouts() -> GitTimeouts {
    *timeouts_cell()
        .read()
        .unwrap_or_else(PoisonError::into_inner)
}

/// A user name and secret lent for one remote URL.
#[derive(Clone)]
struct Lent {
    username: String,
    secret: String,
}

fn registry() -> &'static Mutex<HashMap<String, Lent>> {
    static REGISTRY: OnceLock<Mutex<HashMap<String, Lent>>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

/// The key of a remote URL: as written, without a trailing `/`.
fn key(url: &str) -> &str {
    url.trim_end_matches('/')
}

/// Lends `userpass` (user name, secret) to the transport for requests to the remote `url`, replacing what
/// was lent for it before; `None` takes it back, so requests to `url` go without credentials.
pub fn lend(url: &str, userpass: Option<(&str, &str)>) {
    let mut map = registry().lock().unwrap_or_else(PoisonError::into_inner);
    match userpass {
        Some((username, secret)) => {
            map.insert(
                key(url).to_owned(),
                Lent {
                    username: username.to_owned(),
                    secret: secret.to_owned(),
                },
            );
        }
        None => {
            map.remove(key(url));
        }
    }
}

fn lent(url: &str) -> Option<Lent> {
    let map = registry().lock().unwrap_or_else(PoisonError::into_inner);
    map.get(key(url)).cloned()
}

/// Registers this transport with libgit2 for `https` and `http`, once per process.
///
/// Call it before the first git2 remote operation and before starting any thread that uses git2: the
/// binaries do so first thing in `main`. Later calls do nothing.
pub fn install() -> Result<(), git2::Error> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            for scheme in ["https", "http"] {
                // SAFETY: libgit2 requires registration to be synchronised with the creation of other
                // transports. This runs once (the `OnceLock` makes concurrent callers wait), and the binaries
                // call it at the start of `main`, before any other thread exists and before any remote is
                // opened, so no transport can be created concurrently.
                #[allow(unsafe_code)]
                let registered = unsafe {
                    git2::transport::register(scheme, move |remote| {
                        Transport::smart(remote, true, HttpsTransport::default())
                    })
                };
                registered.map_err(|e| e.message().to_owned())?;
            }
            Ok(())
        })
        .clone()
        .map_err(|message| {
            git2::Error::from_str(&format!("cannot register the https transport: {message}"))
        })
}

/// The HTTP client, built on the first request (root certificates are read then, never at start-up).
fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        // The system's roots, as octocrab's API client uses them (so a GitHub Enterprise Server with a private
        // CA works for git as it does for the API); Mozilla's when the system has none.
        let native = rustls_native_certs::load_native_certs().certs;
        let roots = if native.is_empty() {
            ureq::tls::RootCerts::WebPki
        } else {
            let certs = native
                .into_iter()
                .map(|der| ureq::tls::Certificate::from_der(der.as_ref()).to_owned())
                .collect();
            ureq::tls::RootCerts::Specific(Arc::new(certs))
        };
        // The timeouts are set on each request, from [`timeouts`].
        ureq::Agent::config_builder()
            .user_agent(USER_AGENT)
            .http_status_as_error(false)
            .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
            .build()
            .into()
    })
}

/// One remote's smart subtransport: each action is one HTTP request.
#[derive(Default)]
struct HttpsTransport {
    /// The remote URL libgit2 asked for (the first action's), so later actions reuse it.
    base: Mutex<Option<String>>,
}

impl SmartSubtransport for HttpsTransport {
    fn action(
        &self,
        url: &str,
        action: Service,
    ) -> Result<Box<dyn SmartSubtransportStream>, git2::Error> {
        let base = self
            .base
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert_with(|| url.to_owned())
            .clone();
        Ok(Box::new(HttpStream {
            request: Request::new(&base, action),
            body: Vec::new(),
            response: None,
        }))
    }

    fn close(&self) -> Result<(), git2::Error> {
        Ok(())
    }
}

/// What one action sends: where, how, and with which credentials.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Request {
    /// The full URL, without any user name or password.
    pub(crate) url: String,
    /// `GET` for a ref advertisement, `POST` for a pack exchange.
    pub(crate) post: bool,
    /// `upload-pack` (fetch) or `receive-pack` (push).
    pub(crate) service: &'static str,
    /// The `Authorization` header's value.
    authorization: Option<String>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("url", &self.url)
            .field("post", &self.post)
            .field("service", &self.service)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Request {
    /// The request for `action` on the remote `base`, with the credentials lent for it (or, as git does,
    /// those written in the URL itself, which never go out as part of the URL).
    pub(crate) fn new(base: &str, action: Service) -> Request {
        let (post, service, path) = match action {
            Service::UploadPackLs => (false, "upload-pack", "/info/refs?service=git-upload-pack"),
            Service::UploadPack => (true, "upload-pack", "/git-upload-pack"),
            Service::ReceivePackLs => {
                (false, "receive-pack", "/info/refs?service=git-receive-pack")
            }
            Service::ReceivePack => (true, "receive-pack", "/git-receive-pack"),
        };
        let (clean, in_url) = split_userinfo(base);
        let creds = lent(base).or(in_url);
        let authorization = creds
            .filter(|_| may_send_credentials(&clean))
            .map(|c| basic(&c.username, &c.secret));
        Request {
            url: format!("{}{path}", key(&clean)),
            post,
            service,
            authorization,
        }
    }

    /// Whether the request carries credentials.
    pub(crate) fn is_authorized(&self) -> bool {
        self.authorization.is_some()
    }

    /// Sends the request with `body` (for a `POST`) and checks that the answer is what git expects.
    fn send(&self, body: &[u8], limits: GitTimeouts) -> io::Result<ureq::Body> {
        let service = self.service;
        let response = if self.post {
            let mut req = agent()
                .post(&self.url)
                .config()
                .timeout_connect(Some(limits.connect))
                .timeout_recv_response(Some(limits.response))
                .timeout_per_read(Some(limits.response))
                .timeout_per_write(Some(limits.response))
                .build()
                .header(
                    "Content-Type",
                    format!("application/x-git-{service}-request"),
                )
                .header("Accept", format!("application/x-git-{service}-result"));
            if let Some(a) = &self.authorization {
                req = req.header("Authorization", a);
            }
            req.send(body)
        } else {
            let mut req = agent()
                .get(&self.url)
                .config()
                .timeout_connect(Some(limits.connect))
                .timeout_recv_response(Some(limits.response))
                .timeout_per_read(Some(limits.response))
                .timeout_per_write(Some(limits.response))
                .build()
                .header("Accept", "*/*");
            if let Some(a) = &self.authorization {
                req = req.header("Authorization", a);
            }
            req.call()
        }
        .map_err(|e| match e {
            ureq::Error::Timeout(which) => io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "`{}` did not answer in time ({which}, after {}; `--request-timeout`)",
                    self.url,
                    humantime::format_duration(match which {
                        ureq::Timeout::Connect => limits.connect,
                        _ => limits.response,
                    })
                ),
            ),
            e => io::Error::other(format!("cannot reach `{}`: {e}", self.url)),
        })?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(io::Error::other(self.refusal(status)));
        }
        let expected = if self.post {
            format!("application/x-git-{service}-result")
        } else {
            format!("application/x-git-{service}-advertisement")
        };
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !content_type.starts_with(&expected) {
            return Err(io::Error::other(format!(
                "`{}` answered with `{content_type}`, not `{expected}`: it is not a git smart HTTP server",
                self.url
            )));
        }
        Ok(response.into_body())
    }

    /// The message for a status other than 200.
    fn refusal(&self, status: u16) -> String {
        let url = &self.url;
        match status {
            401 if self.is_authorized() => {
                format!(
                    "`{url}` refused the credentials (401): check that the token is valid and not expired"
                )
            }
            401 => {
                format!("`{url}` wants credentials (401): give ecosync a token for this repository")
            }
            403 => format!(
                "`{url}` refused access (403): the token lacks the permission (Contents: read to fetch, \
                 Contents: write to push)"
            ),
            404 => format!(
                "`{url}` was not found (404): check the repository's name and the token's access"
            ),
            _ => format!("`{url}` answered HTTP {status}"),
        }
    }
}

/// Whether credentials may go to `url`: over https, or over plain http to this machine only.
fn may_send_credentials(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `url` without a `user:password@` in its authority, and the user name and password that were there
/// (percent-decoded), when there was a password.
pub fn split_credentials(url: &str) -> (String, Option<(String, String)>) {
    let (clean, lent) = split_userinfo(url);
    (clean, lent.map(|l| (l.username, l.secret)))
}

/// `url` without a `user:password@` in its authority, and what was there (percent-decoded).
fn split_userinfo(url: &str) -> (String, Option<Lent>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return (url.to_owned(), None);
    };
    let (userinfo, host) = (&rest[..at], &rest[at + 1..]);
    let (user, secret) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let creds = (!secret.is_empty()).then(|| Lent {
        username: percent_decode(user),
        secret: percent_decode(secret),
    });
    (format!("{scheme}://{host}"), creds)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `Basic base64(user:secret)`.
fn basic(username: &str, secret: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{username}:{secret}");
    let mut out = String::from("Basic ");
    for chunk in input.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One action's stream: libgit2 writes the request body, then reads the answer, which is sent for on the
/// first read.
struct HttpStream {
    request: Request,
    body: Vec<u8>,
    response: Option<(ureq::BodyReader<'static>, LowSpeed)>,
}

impl Read for HttpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.response.is_none() {
            let limits = timeouts();
            let body = std::mem::take(&mut self.body);
            let reader = self.request.send(&body, limits)?.into_reader();
            self.response = Some((reader, LowSpeed::new(limits)));
        }
        let Some((reader, speed)) = self.response.as_mut() else {
            return Ok(0);
        };
        let n = reader.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::TimedOut
                || e.get_ref()
                    .is_some_and(|inner| inner.to_string().contains("timeout"))
            {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "`{}` sent nothing for {} (`--request-timeout`)",
                        self.request.url,
                        humantime::format_duration(speed.window)
                    ),
                )
            } else {
                io::Error::new(
                    e.kind(),
                    format!("cannot read the answer of `{}`: {e}", self.request.url),
                )
            }
        })?;
        speed.check(n, &self.request.url)?;
        Ok(n)
    }
}

/// The low-speed check of one answer: at least `limit` bytes a second on average over each window.
struct LowSpeed {
    limit: u64,
    window: Duration,
    since: Instant,
    bytes: u64,
}

impl LowSpeed {
    fn new(limits: GitTimeouts) -> Self {
        LowSpeed {
            limit: limits.low_speed_limit,
            window: limits.low_speed_time.max(Duration::from_millis(1)),
            since: Instant::now(),
            bytes: 0,
        }
    }

    /// Counts `n` more bytes; an error when a whole window went by below the limit.
    fn check(&mut self, n: usize, url: &str) -> io::Result<()> {
        self.bytes += n as u64;
        let elapsed = self.since.elapsed();
        if self.limit == 0 || elapsed < self.window {
            return Ok(());
        }
        let wanted = self.limit.saturating_mul(elapsed.as_secs().max(1));
        if self.bytes < wanted && n > 0 {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "`{url}` sent {} bytes in {}, slower than the low-speed limit of {} bytes a second \
                     (`--git-low-speed-limit`, over `--request-timeout`)",
                    self.bytes,
                    humantime::format_duration(Duration::from_secs(elapsed.as_secs())),
                    self.limit
                ),
            ));
        }
        self.since = Instant::now();
        self.bytes = 0;
        Ok(())
    }
}

impl Write for HttpStream {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.response.is_some() {
            return Err(io::Error::other(
                "git wrote to an http request that was already sent",
            ));
        }
        self.body.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_authorization_is_base64() {
        assert_eq!(
            basic("x-access-token", "abc"),
            "Basic eC1hY2Nlc3MtdG9rZW46YWJj"
        );
        assert_eq!(basic("a", "b"), "Basic YTpi");
        assert_eq!(basic("ab", "c"), "Basic YWI6Yw==");
    }

    #[test]
    fn requests_follow_the_smart_http_protocol() {
        let r = Request::new("https://example.test/o/r.git/", Service::UploadPackLs);
        assert_eq!(
            r.url,
            "https://example.test/o/r.git/info/refs?service=git-upload-pack"
        );
        assert!(!r.post);
        let r = Request::new("https://example.test/o/r", Service::ReceivePack);
        assert_eq!(r.url, "https://example.test/o/r/git-receive-pack");
        assert!(r.post);
        assert_eq!(r.service, "receive-pack");
    }

    #[test]
    fn lent_credentials_go_to_that_url_only() {
        let url = "https://lend.example.test/acme/lent.git";
        lend(url, Some(("x-access-token", "s3cret")));
        let r = Request::new(url, Service::ReceivePackLs);
        assert!(r.is_authorized());
        assert!(!r.url.contains("s3cret") && !format!("{r:?}").contains("s3cret"));
        assert!(
            !Request::new(
                "https://lend.example.test/acme/other.git",
                Service::UploadPackLs
            )
            .is_authorized()
        );
        lend(url, None);
        assert!(!Request::new(url, Service::UploadPackLs).is_authorized());
    }

    #[test]
    fn credentials_in_the_url_become_a_header() {
        let r = Request::new(
            "https://u:p%40ss@example.test/o/r.git",
            Service::UploadPackLs,
        );
        assert_eq!(
            r.url,
            "https://example.test/o/r.git/info/refs?service=git-upload-pack"
        );
        assert_eq!(
            r.authorization.as_deref(),
            Some(basic("u", "p@ss").as_str())
        );
    }

    #[test]
    fn credentials_never_go_over_plain_http_to_another_machine() {
        assert!(may_send_credentials("https://github.com/o/r"));
        assert!(may_send_credentials("http://127.0.0.1:8080/o/r"));
        assert!(may_send_credentials("http://[::1]:8080/o/r"));
        assert!(may_send_credentials("http://localhost/o/r"));
        assert!(!may_send_credentials("http://github.com/o/r"));
        assert!(!may_send_credentials("http://127.0.0.1.example.test/o/r"));
        let url = "http://plain.example.test/o/r.git";
        lend(url, Some(("x-access-token", "s3cret")));
        assert!(!Request::new(url, Service::UploadPackLs).is_authorized());
        lend(url, None);
    }
}
