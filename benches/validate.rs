//! Benchmark of checking a large `ecosystem.json`: does the cost grow with the size of the file, and only
//! with it?
//!
//! Run with `cargo bench --bench validate` (add `-- --runs N` for more runs). It writes files of 1,000 and
//! 10,000 entries (3 patterns each, a third of them negated), each both pretty-printed and on one line,
//! and for each prints the best of N wall times of:
//! - `parse`: the library's `Ecosystem::parse` on the text;
//! - `warn`: `Ecosystem::unmatched_pattern_warnings` against an empty tree, i.e. one located warning per
//!   pattern (30,000 of them on the same line in the one-line 10,000-entry file);
//! - `validate`: the real `dispatcher validate --config FILE` (process start and reading included).
//!
//! It then prints the ratio 10,000 / 1,000 of each: about 10 means the cost is linear in the size of the
//! file; about 100 would mean it is quadratic.

use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use ecosync::Ecosystem;

const SIZES: [usize; 2] = [1_000, 10_000];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(5usize);
    match run(runs) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The entries of a synthetic ecosystem: `acme/repo-N` follows its service and its docs, less the drafts.
fn entries(n: usize) -> serde_json::Value {
    let entries: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "repo": format!("acme/repo-{i}"),
                "subscriptions": [
                    format!("services/svc-{i}/**"),
                    format!("docs/area-{i}"),
                    format!("!docs/area-{i}/drafts/**"),
                ],
            })
        })
        .collect();
    serde_json::Value::Array(entries)
}

/// The best wall time of `runs` calls of `f`.
fn best(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn run(runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::Builder::new()
        .prefix("ecosync-bench-validate")
        .tempdir()?;
    // Not a repository: `validate` checks the file and warns once that it has no tree to check against.
    let not_a_repo = dir.path().join("not-a-repo");
    std::fs::create_dir(&not_a_repo)?;
    let dispatcher = env!("CARGO_BIN_EXE_dispatcher");
    let empty: &[&str] = &[];

    println!("best of {runs} runs, seconds");
    println!(
        "{:<10} {:>7} {:>10} {:>10} {:>10} {:>10}",
        "layout", "entries", "bytes", "parse", "warn", "validate"
    );
    let mut figures = Vec::new();
    for layout in ["pretty", "one-line"] {
        for n in SIZES {
            let value = entries(n);
            let text = match layout {
                "pretty" => serde_json::to_string_pretty(&value)?,
                _ => serde_json::to_string(&value)?,
            };
            let path = dir.path().join(format!("ecosystem-{n}-{layout}.json"));
            std::fs::write(&path, &text)?;
            let file = path.display().to_string();

            // One checked run first: the file must be valid, or the figures would measure an early exit.
            let (ecosystem, _) = Ecosystem::parse(&file, &text)
                .map_err(|d| format!("the generated file is invalid: {}", d[0]))?;
            let warnings = ecosystem.unmatched_pattern_warnings(empty, "HEAD")?;
            if warnings.len() != 3 * n || warnings.iter().any(|w| w.location.is_none()) {
                return Err(format!(
                    "expected {} located warnings, got {}",
                    3 * n,
                    warnings.len()
                )
                .into());
            }
            let parse = best(runs, || {
                std::hint::black_box(Ecosystem::parse(&file, &text).is_ok());
            });
            let warn = best(runs, || {
                std::hint::black_box(ecosystem.unmatched_pattern_warnings(empty, "HEAD").is_ok());
            });
            let mut failed = None;
            let validate = best(runs, || {
                let status = Command::new(dispatcher)
                    .args(["validate", "--config"])
                    .arg(&path)
                    .arg("--repo")
                    .arg(&not_a_repo)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
                match status {
                    Ok(s) if s.success() => {}
                    other => failed = Some(format!("{other:?}")),
                }
            });
            if let Some(f) = failed {
                return Err(format!("`dispatcher validate --config {file}` failed: {f}").into());
            }
            println!(
                "{layout:<10} {n:>7} {:>10} {:>10.4} {:>10.4} {:>10.4}",
                text.len(),
                parse.as_secs_f64(),
                warn.as_secs_f64(),
                validate.as_secs_f64()
            );
            figures.push((layout, n, parse, warn, validate));
        }
    }
    println!();
    println!(
        "ratio {} / {} entries (about 10 is linear)",
        SIZES[1], SIZES[0]
    );
    for layout in ["pretty", "one-line"] {
        let of = |n: usize| {
            figures
                .iter()
                .find(|f| f.0 == layout && f.1 == n)
                .map(|f| (f.2, f.3, f.4))
        };
        if let (Some(small), Some(large)) = (of(SIZES[0]), of(SIZES[1])) {
            let ratio = |a: Duration, b: Duration| b.as_secs_f64() / a.as_secs_f64().max(1e-9);
            println!(
                "{layout:<10} parse {:>6.1}   warn {:>6.1}   validate {:>6.1}",
                ratio(small.0, large.0),
                ratio(small.1, large.1),
                ratio(small.2, large.2)
            );
        }
    }
    Ok(())
}
