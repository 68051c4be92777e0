//! What the release binaries are: `--version` names the version, the commit and the build date (read by
//! `build.rs` without the git CLI), and no OpenSSL library is linked (git's https goes through rustls).

use std::path::Path;

use crate::support::Cmd;

/// `build.rs` itself, for its commit and date readers.
#[allow(dead_code)]
#[path = "../build.rs"]
mod build_script;

/// Both binaries print `NAME VERSION (COMMIT DATE)`, the commit being this checkout's `HEAD` when built
/// from a git checkout without `ECOSYNC_BUILD_COMMIT`.
#[test]
fn version_names_commit_and_date() {
    let re = regex::Regex::new(r"^(dispatcher|subscriber) (\S+) \((\S+) (\d{4}-\d{2}-\d{2})\)\n$")
        .unwrap();
    for cmd in [Cmd::dispatcher(), Cmd::subscriber()] {
        let out = cmd.arg("--version").run().success();
        let caps = re.captures(&out.stdout).unwrap_or_else(|| panic!("{out}"));
        assert_eq!(&caps[2], env!("CARGO_PKG_VERSION"));
        let commit = &caps[3];
        if std::env::var_os("ECOSYNC_BUILD_COMMIT").is_none()
            && let Ok(repo) = git2::Repository::open(env!("CARGO_MANIFEST_DIR"))
            && let Ok(head) = repo.head().and_then(|h| h.peel_to_commit())
        {
            assert_eq!(commit, &head.id().to_string()[..7], "{out}");
        }
    }
    // A subcommand's `--version` too.
    Cmd::dispatcher()
        .args(["plan", "--version"])
        .run()
        .success()
        .expect_stdout(concat!("dispatcher-plan ", env!("CARGO_PKG_VERSION"), " ("));
}

#[test]
fn build_date_is_utc_civil_date() {
    assert_eq!(build_script::civil_date(0), "1970-01-01");
    assert_eq!(build_script::civil_date(951_782_400), "2000-02-29");
    assert_eq!(build_script::civil_date(1_796_083_199), "2026-11-30");
    assert_eq!(build_script::civil_date(1_796_083_200), "2026-12-01");
}

/// The commit is read from a loose ref, from `packed-refs`, from a detached `HEAD`, and through a linked
/// worktree's `.git` file and `commondir`; no repository gives `None`.
#[test]
fn build_commit_is_read_from_git_files() {
    let tmp = tempfile::tempdir().unwrap();
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let other = "89abcdef0123456789abcdef0123456789abcdef";
    let main = tmp.path().join("main");
    let git = main.join(".git");
    std::fs::create_dir_all(git.join("refs/heads")).unwrap();
    std::fs::write(git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::write(
        git.join("packed-refs"),
        format!("# pack-refs with: peeled\n{sha} refs/heads/main\n"),
    )
    .unwrap();
    assert_eq!(build_script::git_commit(&main).as_deref(), Some(sha));
    std::fs::write(git.join("refs/heads/main"), format!("{other}\n")).unwrap();
    assert_eq!(build_script::git_commit(&main).as_deref(), Some(other));
    // A linked worktree on branch `feature`, whose ref is in the main repository.
    let wt = tmp.path().join("wt");
    let wt_git = git.join("worktrees/wt");
    std::fs::create_dir_all(&wt_git).unwrap();
    std::fs::create_dir_all(&wt).unwrap();
    std::fs::write(wt.join(".git"), format!("gitdir: {}\n", wt_git.display())).unwrap();
    std::fs::write(wt_git.join("HEAD"), "ref: refs/heads/feature\n").unwrap();
    std::fs::write(wt_git.join("commondir"), "../..\n").unwrap();
    std::fs::write(git.join("refs/heads/feature"), format!("{sha}\n")).unwrap();
    assert_eq!(build_script::git_commit(&wt).as_deref(), Some(sha));
    std::fs::write(wt_git.join("HEAD"), format!("{other}\n")).unwrap();
    assert_eq!(build_script::git_commit(&wt).as_deref(), Some(other));
    assert_eq!(build_script::git_commit(&tmp.path().join("none")), None);
}

/// `readelf -d`: the binaries need no `libssl` or `libcrypto` (they run on a machine without OpenSSL).
#[cfg(target_os = "linux")]
#[test]
fn binaries_need_no_openssl() {
    for bin in [
        env!("CARGO_BIN_EXE_dispatcher"),
        env!("CARGO_BIN_EXE_subscriber"),
    ] {
        let out = Cmd::new("readelf")
            .arg("-d")
            .arg(Path::new(bin))
            .run()
            .success();
        let needed: Vec<&str> = out
            .stdout
            .lines()
            .filter(|l| l.contains("(NEEDED)"))
            .collect();
        assert!(needed.iter().any(|l| l.contains("libc.so")), "{out}");
        assert!(
            !needed
                .iter()
                .any(|l| l.contains("libssl") || l.contains("libcrypto")),
            "{bin} links OpenSSL: {needed:#?}"
        );
    }
}
