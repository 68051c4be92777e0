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

/// The README's set-up section has exactly two commands, and the second (the test command) is the one
/// `.ci/run` runs, so CI proves what a newcomer copies.
#[test]
fn readme_set_up_commands_are_the_ones_ci_runs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let set_up = readme
        .split("\n## Set up\n")
        .nth(1)
        .expect("a `## Set up` section");
    let set_up = set_up.split("\n## ").next().unwrap();
    let commands: Vec<&str> = set_up
        .split("```sh\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap().trim())
        .collect();
    assert_eq!(
        commands.len(),
        2,
        "exactly two set-up commands: {commands:?}"
    );
    assert!(commands[0].contains("dispatcher demo"), "{commands:?}");
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    let last = ci
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .unwrap();
    assert_eq!(
        last.trim(),
        commands[1],
        "the last command of .ci/run must be the README's test command"
    );
}
