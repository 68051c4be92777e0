//! The action's install script (`action/install.sh`), the real one, against a fake release on loopback: the
//! right asset is installed and runs, a second run finds it installed, a tampered asset is refused naming
//! both hashes, and a platform with no asset is built from source (a tiny stand-in crate).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::Cmd;
use crate::support::loopback_http::{LoopbackHttp, static_files};

const VERSION: &str = "9.9.9";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("action/install.sh")
}

/// The target triple the script picks on this machine, by the same rule.
fn this_target() -> String {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => "x86_64-unknown-linux-gnu".into(),
        ("linux", "aarch64") => "aarch64-unknown-linux-gnu".into(),
        ("macos", "x86_64") => "x86_64-apple-darwin".into(),
        ("macos", "aarch64") => "aarch64-apple-darwin".into(),
        (os, arch) => panic!("no release target for {os}/{arch}"),
    }
}

fn sha256(path: &Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_owned()
}

/// A release archive as the release workflow packs it: `ecosync-V-TARGET/` with both binaries (here
/// scripts that print a version line) and the docs.
fn release_archive(dir: &Path, target: &str, marker: &str) -> PathBuf {
    let name = format!("ecosync-{VERSION}-{target}");
    let top = dir.join(&name);
    std::fs::create_dir_all(&top).unwrap();
    for bin in ["dispatcher", "subscriber"] {
        let path = top.join(bin);
        std::fs::write(
            &path,
            format!("#!/bin/sh\necho \"{bin} {VERSION} ({marker})\"\n"),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
    }
    std::fs::write(top.join("README.md"), "readme\n").unwrap();
    let archive = dir.join(format!("{name}.tar.gz"));
    let status = std::process::Command::new("tar")
        .arg("-C")
        .arg(dir)
        .arg("-czf")
        .arg(&archive)
        .arg(&name)
        .status()
        .unwrap();
    assert!(status.success());
    archive
}

struct Setup {
    tmp: tempfile::TempDir,
    server: LoopbackHttp,
    checksums: PathBuf,
}

impl Setup {
    /// Serves `served` as this machine's release asset; `action/checksums.txt` stand-in holds the sum of
    /// `committed` (the same archive, or another one for a tampered release).
    fn new(tampered: bool) -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        let target = this_target();
        let good = release_archive(&tmp.path().join("good"), &target, "release");
        let archive = if tampered {
            release_archive(&tmp.path().join("evil"), &target, "tampered")
        } else {
            good.clone()
        };
        let asset = format!("ecosync-{VERSION}-{target}.tar.gz");
        let checksums = tmp.path().join("checksums.txt");
        std::fs::write(
            &checksums,
            format!("# comment\n{}  {asset}\n", sha256(&good)),
        )
        .unwrap();
        let files = BTreeMap::from([(
            format!("/v{VERSION}/{asset}"),
            std::fs::read(&archive).unwrap(),
        )]);
        let server = LoopbackHttp::start(static_files(files));
        Setup {
            tmp,
            server,
            checksums,
        }
    }

    fn bin_dir(&self) -> PathBuf {
        self.tmp.path().join("tools/ecosync/bin")
    }

    fn install(&self) -> Cmd {
        Cmd::new("bash")
            .arg(script())
            .env("ECOSYNC_VERSION", VERSION)
            .env("ECOSYNC_RELEASE_BASE_URL", self.server.url())
            .env("ECOSYNC_CHECKSUMS", &self.checksums)
            .env("ECOSYNC_INSTALL_DIR", self.bin_dir())
            .env("GITHUB_PATH", self.tmp.path().join("github_path"))
            .timeout(Duration::from_secs(60))
    }
}

/// The asset for this platform is downloaded, checked against the committed sum, unpacked, and runs; its
/// directory is added to `$GITHUB_PATH`; a second run (the cache restored it) downloads nothing.
#[test]
fn release_asset_is_verified_and_installed() {
    let s = Setup::new(false);
    let out = s.install().run().success();
    assert!(out.stdout.contains("matches checksums.txt"), "{out}");
    let version = Cmd::new(s.bin_dir().join("dispatcher")).run().success();
    assert_eq!(version.stdout, format!("dispatcher {VERSION} (release)\n"));
    assert!(s.bin_dir().join("subscriber").exists());
    let path = std::fs::read_to_string(s.tmp.path().join("github_path")).unwrap();
    assert_eq!(path.trim(), s.bin_dir().display().to_string());
    assert_eq!(s.server.seen().len(), 1);

    let again = s.install().run().success();
    assert!(again.stdout.contains("already installed"), "{again}");
    assert_eq!(s.server.seen().len(), 1, "a second run downloaded again");
}

/// An asset whose SHA-256 is not the committed one is refused: exit 1, both hashes named, nothing installed
/// and no fallback to a build.
#[test]
fn tampered_asset_is_refused() {
    let s = Setup::new(true);
    let out = s.install().run().expect_code(1);
    let expected = std::fs::read_to_string(&s.checksums).unwrap();
    let expected = expected.lines().nth(1).unwrap().split(' ').next().unwrap();
    let served = s.server.seen();
    assert_eq!(served.len(), 1);
    let actual = sha256(
        &s.tmp
            .path()
            .join(format!("evil/ecosync-{VERSION}-{}.tar.gz", this_target())),
    );
    assert_ne!(expected, actual);
    assert!(
        out.stderr.contains("checksum mismatch")
            && out.stderr.contains(&format!("expected sha256 {expected}"))
            && out.stderr.contains(&format!("got {actual}")),
        "{out}"
    );
    assert!(!out.stdout.contains("building"), "{out}");
    assert!(!s.bin_dir().join("dispatcher").exists());
}

/// A stand-in for the action's checkout: a crate of version `VERSION` with two binaries that print the
/// commit the build was stamped with.
fn stand_in_crate(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"ecosync\"\nversion = \"{VERSION}\"\nedition = \"2021\"\n\n\
             [[bin]]\nname = \"dispatcher\"\npath = \"dispatcher.rs\"\n\n\
             [[bin]]\nname = \"subscriber\"\npath = \"subscriber.rs\"\n\n[workspace]\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("Cargo.lock"),
        format!("version = 4\n\n[[package]]\nname = \"ecosync\"\nversion = \"{VERSION}\"\n"),
    )
    .unwrap();
    for bin in ["dispatcher", "subscriber"] {
        std::fs::write(
            dir.join(format!("{bin}.rs")),
            format!(
                "fn main() {{ println!(\"{bin} {VERSION} (built {{}})\", \
                 option_env!(\"ECOSYNC_BUILD_COMMIT\").unwrap_or(\"unstamped\")); }}\n"
            ),
        )
        .unwrap();
    }
}

/// A platform with no asset in the checksums is built from the action's own source with `cargo install
/// --locked --path`, stamped with the action's commit; asking for a version the source is not fails.
#[test]
fn platform_without_asset_is_built_from_source() {
    let s = Setup::new(false);
    let source = s.tmp.path().join("action");
    stand_in_crate(&source);
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let cargo_env = |cmd: Cmd| {
        cmd.env("ECOSYNC_SOURCE_DIR", &source)
            .env("ECOSYNC_TARGET", "riscv64gc-unknown-linux-gnu")
            .env(
                "CARGO_HOME",
                std::env::var("CARGO_HOME").unwrap_or_else(|_| format!("{home}/.cargo")),
            )
            .env(
                "RUSTUP_HOME",
                std::env::var("RUSTUP_HOME").unwrap_or_else(|_| format!("{home}/.rustup")),
            )
            .env("CARGO_NET_OFFLINE", "true")
    };
    let wrong = cargo_env(s.install())
        .env("ECOSYNC_VERSION", "9.9.8")
        .run()
        .expect_code(1);
    assert!(
        wrong.stderr.contains(
            "cannot build ecosync 9.9.8 from the action's source, which is version 9.9.9"
        ),
        "{wrong}"
    );
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let out = cargo_env(s.install())
        .env("ECOSYNC_ACTION_REF", sha)
        .timeout(Duration::from_secs(300))
        .run()
        .success();
    assert!(
        out.stdout
            .contains("no release asset for riscv64gc-unknown-linux-gnu"),
        "{out}"
    );
    assert!(
        s.server.seen().is_empty(),
        "nothing is downloaded without a committed sum"
    );
    let version = Cmd::new(s.bin_dir().join("subscriber")).run().success();
    assert_eq!(
        version.stdout,
        format!("subscriber {VERSION} (built {sha})\n")
    );
}
