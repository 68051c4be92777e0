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
    assert!(commands[0].contains("dispatcher -- demo"), "{commands:?}");
    // Run through cargo, which knows where it built the binaries: a path under `target/` would break
    // whenever CARGO_TARGET_DIR is set.
    assert!(!commands[0].contains("target/"), "{commands:?}");
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

/// `--help` names each flag's variable: `[env: NAME]` when it is unset (never `NAME=`), with its value when
/// it is set, and never the value of a URL that carries credentials.
#[test]
fn help_shows_variables_without_a_trailing_equals_sign() {
    let out = Cmd::dispatcher().args(["plan", "--help"]).run().success();
    assert!(out.stdout.contains("[env: ECOSYNC_REPO]"), "{out}");
    assert!(!out.stdout.contains("ECOSYNC_REPO="), "{out}");
    let out = Cmd::subscriber()
        .args(["apply", "--help"])
        .env("ECOSYNC_REPO", "some/dir")
        .env(
            "ECOSYNC_API_URL",
            "https://x-access-token:SECRET@ghe.example.com/api/v3",
        )
        .run()
        .success();
    assert!(out.stdout.contains("[env: ECOSYNC_REPO=some/dir]"), "{out}");
    assert!(out.stdout.contains("[env: ECOSYNC_LATEST]"), "{out}");
    assert!(!out.stdout.contains("SECRET"), "{out}");
}

/// A closed stdout ends a command quietly with success instead of a panic (`subscriber apply | head`).
#[test]
fn a_closed_stdout_is_not_an_error() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    // The reading end is closed before the command starts, so its first write fails with EPIPE.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_subscriber"))
        .arg("check")
        .arg("--config")
        .arg(root.join("examples/ecosync.json"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
