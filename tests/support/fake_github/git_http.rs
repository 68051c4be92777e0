//! git's smart HTTP, served by `git http-backend` (a CGI program: the request in its environment and
//! standard input, the answer's headers and body on its standard output) over the bare repositories under
//! a directory, `OWNER/NAME.git`: what `FakeGitHub::serve_git` answers git's requests with, and what the
//! loopback server's git handler runs.

use std::path::Path;

/// One request to the backend.
pub struct GitRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub content_type: &'a str,
    pub body: &'a [u8],
}

/// Whether `path` is one of git's smart HTTP paths.
pub fn is_git_path(path: &str) -> bool {
    path.contains(".git/")
        && (path.ends_with("/info/refs")
            || path.ends_with("/git-upload-pack")
            || path.ends_with("/git-receive-pack"))
}

/// Runs `git http-backend` over `root` for `req`: the status, the headers and the body.
pub fn backend(root: &Path, req: &GitRequest<'_>) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut child = std::process::Command::new("git")
        .arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REMOTE_USER", "test")
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("REQUEST_METHOD", req.method)
        .env("PATH_INFO", req.path)
        .env("QUERY_STRING", req.query)
        .env("CONTENT_TYPE", req.content_type)
        .env("CONTENT_LENGTH", req.body.len().to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("git http-backend");
    let mut stdin = child.stdin.take().unwrap();
    let body = req.body.to_vec();
    let writer = std::thread::spawn(move || {
        use std::io::Write as _;
        let _ = stdin.write_all(&body);
    });
    let out = child.wait_with_output().expect("git http-backend ran");
    writer.join().unwrap();
    let text = out.stdout;
    let split = text
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| text.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)))
        .expect("CGI headers");
    let head = String::from_utf8_lossy(&text[..split.0]).into_owned();
    let mut status = 200;
    let mut headers = Vec::new();
    for line in head.lines() {
        let (k, v) = line.split_once(':').expect("CGI header");
        let v = v.trim().to_owned();
        if k.eq_ignore_ascii_case("status") {
            status = v[..3].parse().unwrap();
        } else {
            headers.push((k.to_owned(), v));
        }
    }
    (status, headers, text[split.0 + split.1..].to_vec())
}
