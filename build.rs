//! Stamps the binaries' `--version` with the commit and the build date, so a bug report names exactly what
//! ran: `dispatcher 0.1.0 (42259ce 2026-12-01)`.
//!
//! The commit comes from `ECOSYNC_BUILD_COMMIT` when set (release builds, the action's build from source,
//! which has no `.git`), else from the repository's own files (`HEAD`, the loose ref it names, or
//! `packed-refs`; a linked worktree's `commondir` is followed), without the git CLI; else `unknown`. The date
//! is `SOURCE_DATE_EPOCH`'s (reproducible builds) when set, else today's, in UTC.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    println!("cargo:rerun-if-env-changed=ECOSYNC_BUILD_COMMIT");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let commit = match std::env::var("ECOSYNC_BUILD_COMMIT") {
        Ok(c) if !c.trim().is_empty() => c.trim().to_owned(),
        _ => git_commit(&root).unwrap_or_else(|| "unknown".to_owned()),
    };
    let short: String = if commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        commit[..7].to_owned()
    } else {
        commit.clone()
    };
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
        });
    let date = civil_date(epoch);
    println!("cargo:rustc-env=ECOSYNC_BUILD_COMMIT={commit}");
    println!("cargo:rustc-env=ECOSYNC_BUILD_DATE={date}");
    println!(
        "cargo:rustc-env=ECOSYNC_VERSION_LINE={} ({short} {date})",
        std::env::var("CARGO_PKG_VERSION").expect("cargo sets it")
    );
}

/// The commit `HEAD` names, read from the files of the repository at `root`, with `rerun-if-changed` on
/// every file it read.
pub(crate) fn git_commit(root: &Path) -> Option<String> {
    let dot_git = root.join(".git");
    // A linked worktree (or a submodule) has a `.git` file that points at its git directory.
    let git_dir = if dot_git.is_file() {
        let text = std::fs::read_to_string(&dot_git).ok()?;
        let target = text.trim().strip_prefix("gitdir:")?.trim();
        root.join(target)
    } else {
        dot_git
    };
    let head_path = git_dir.join("HEAD");
    let head = std::fs::read_to_string(&head_path).ok()?;
    println!("cargo:rerun-if-changed={}", head_path.display());
    let head = head.trim();
    let Some(name) = head.strip_prefix("ref:").map(str::trim) else {
        return is_sha(head).then(|| head.to_owned());
    };
    // Refs live in the common directory of a linked worktree.
    let common = std::fs::read_to_string(git_dir.join("commondir"))
        .map_or_else(|_| git_dir.clone(), |c| git_dir.join(c.trim()));
    for dir in [&git_dir, &common] {
        let loose = dir.join(name);
        if let Ok(text) = std::fs::read_to_string(&loose) {
            println!("cargo:rerun-if-changed={}", loose.display());
            let sha = text.trim();
            return is_sha(sha).then(|| sha.to_owned());
        }
    }
    let packed_path = common.join("packed-refs");
    let packed = std::fs::read_to_string(&packed_path).ok()?;
    println!("cargo:rerun-if-changed={}", packed_path.display());
    // The loose ref does not exist yet; when a commit creates it, its directory changes.
    println!(
        "cargo:rerun-if-changed={}",
        common.join("refs/heads").display()
    );
    packed.lines().find_map(|line| {
        let (sha, r) = line.split_once(' ')?;
        (r == name && is_sha(sha)).then(|| sha.to_owned())
    })
}

fn is_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `YYYY-MM-DD` (UTC) of a Unix time (Howard Hinnant's days-to-civil algorithm).
pub(crate) fn civil_date(epoch: i64) -> String {
    let z = epoch.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
