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

/// Every command runs with a `HOME` of its own: empty when it starts, never another command's, and gone
/// once the run is over, so nothing one test leaves there (git credentials, caches) reaches another.
#[test]
fn each_command_gets_a_fresh_empty_home() {
    let script = r#"printf '%s\n' "$HOME"; ls -A "$HOME"; touch "$HOME/left-behind""#;
    let run = || {
        let out = Cmd::new("sh").args(["-c", script]).run().success();
        assert_eq!(out.stdout.lines().count(), 1, "HOME was not empty\n{out}");
        std::path::PathBuf::from(out.stdout.trim_end())
    };
    let (first, second) = (run(), run());
    assert_ne!(first, second, "two commands shared a HOME");
    for home in [&first, &second] {
        assert!(home.is_absolute(), "{}", home.display());
        assert!(!home.exists(), "{} outlived its command", home.display());
    }
}
