//! The binaries start and report their version.

use crate::support::Cmd;

#[test]
fn dispatcher_prints_version() {
    Cmd::dispatcher()
        .arg("--version")
        .run()
        .success()
        .expect_stdout(env!("CARGO_PKG_VERSION"));
}

#[test]
fn subscriber_prints_version() {
    Cmd::subscriber()
        .arg("--version")
        .run()
        .success()
        .expect_stdout(env!("CARGO_PKG_VERSION"));
}
