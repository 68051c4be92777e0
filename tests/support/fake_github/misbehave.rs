//! Servers that hang: the three ways a server can hold a client forever without an error, as answers a
//! hyper service can give. A client that gives up only on an error, or restarts its timeout with every
//! byte, waits for ever on each of them.
//!
//! - [`Misbehavior::NeverAnswer`]: the request is read, and no answer ever comes.
//! - [`Misbehavior::StallAfterHeaders`]: the status and headers come (a `content-length` promising a body),
//!   then nothing.
//! - [`Misbehavior::Drip`]: the status and headers come, then the body one byte a second, never ending.

use std::convert::Infallible;
use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use hyper::body::{Body, Bytes, Frame};
use hyper::{Response, StatusCode};

/// A body that may never end, as every answer of a server that can misbehave is sent.
pub type AnyBody = BoxBody<Bytes, Infallible>;

/// How a server holds its client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehavior {
    /// Read the request, never answer.
    NeverAnswer,
    /// Send the status and headers, then nothing.
    StallAfterHeaders,
    /// Send the status and headers, then one byte a second for ever.
    Drip,
}

impl Misbehavior {
    /// All three, for tables.
    pub const ALL: [Misbehavior; 3] = [
        Misbehavior::NeverAnswer,
        Misbehavior::StallAfterHeaders,
        Misbehavior::Drip,
    ];

    /// A short name for test names and tables.
    pub fn name(self) -> &'static str {
        match self {
            Misbehavior::NeverAnswer => "never answers",
            Misbehavior::StallAfterHeaders => "stalls after the headers",
            Misbehavior::Drip => "drips a byte a second",
        }
    }
}

/// The answer `how` gives to a request for `path`: for git's smart HTTP paths, with the content type git
/// expects (so the client reads on), else as a JSON API would. For [`Misbehavior::NeverAnswer`] this never
/// returns.
pub async fn misbehave(how: Misbehavior, path: &str, query: &str) -> Response<AnyBody> {
    let content_type = if path.ends_with("/info/refs") {
        let service = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("service="))
            .unwrap_or("git-upload-pack");
        format!("application/x-{service}-advertisement")
    } else if let Some(service) = path.rsplit('/').next().filter(|s| s.starts_with("git-")) {
        format!("application/x-{service}-result")
    } else {
        "application/json; charset=utf-8".to_owned()
    };
    let body: AnyBody = match how {
        Misbehavior::NeverAnswer => std::future::pending().await,
        Misbehavior::StallAfterHeaders => Stall.boxed(),
        Misbehavior::Drip => Drip::new().boxed(),
    };
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", content_type)
        // A long body is promised, so the client keeps reading.
        .header("content-length", "1000000")
        .body(body)
        .expect("response")
}

/// A body that never sends anything and never ends.
struct Stall;

impl Body for Stall {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Pending
    }
}

/// A body that sends one byte a second for ever: a git packet line's length first (`fff0`, the longest,
/// so a git client waits for its data), then `#`s; to a JSON client, text it keeps reading.
struct Drip {
    sent: usize,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl Drip {
    fn new() -> Self {
        Drip {
            sent: 0,
            sleep: Box::pin(tokio::time::sleep(Duration::ZERO)),
        }
    }
}

impl Body for Drip {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let byte = b"fff0".get(self.sent).copied().unwrap_or(b'#');
        self.sent += 1;
        let next = tokio::time::Instant::now() + Duration::from_secs(1);
        self.sleep.as_mut().reset(next);
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![byte])))))
    }
}
