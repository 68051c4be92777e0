//! Fan-out benchmark: `cargo bench --bench fanout`.
//!
//! Sends one dispatch to each of 1,000 repositories through the library's GitHub forge (the same
//! `ForgeArgs` → `Forge` → `FanOut` path `dispatcher dispatch` takes, without the process start and the
//! plan) against the fake GitHub on loopback, which adds 50 ms to every answer. The minimum interval is 0;
//! concurrency 1, 8 and 32. Prints the wall time, requests per second, and the overhead per dispatch beyond
//! the fake's latency: `(wall − ideal) / repos`, where `ideal = latency × ceil(repos / concurrency)`.
//!
//! The fake's own timer is not exact (a tokio sleep ends on the next millisecond tick), so each run is
//! preceded by a baseline: the same requests from a bare keep-alive HTTP/1.1 client with the same
//! concurrency. `ecosync − baseline` is the cost of ecosync's stack (octocrab, pacer, fan-out).
//!
//! Settings: `ECOSYNC_BENCH_REPOS` (default 1000), `ECOSYNC_BENCH_LATENCY_MS` (default 50),
//! `ECOSYNC_BENCH_CONCURRENCY` (default `1,8,32`).
//!
//! `cargo bench --bench fanout -- --schedule` instead prints what `ECOSYNC_BENCH_REPOS` dispatches cost in
//! wall time under several pacings, from the pacer's own [`ContentBudget`] run on a simulated clock (each
//! request taking `ECOSYNC_BENCH_LATENCY_MS`, serial): no request is sent and nothing sleeps. It also prints
//! the most requests started in any minute and in any hour, against GitHub's 80 and 500.

// Figures: counts and nanoseconds far below 2^52 become f64 exactly enough to print.
#![allow(clippy::cast_precision_loss)]

#[path = "../tests/support/fake_github.rs"]
mod fake_github;

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use clap::Parser;
use ecosync::dispatch::deliver::delivery_report::DeliveryStatus;
use ecosync::dispatch::deliver::fan_out::{FanOut, Outgoing};
use ecosync::payload::PAYLOAD_VERSION;
use ecosync::{Payload, RepoName};
use ecosync_cli::forge_args::ForgeArgs;
use fake_github::FakeGitHub;

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    forge: ForgeArgs,
}

fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let repos: usize = setting("ECOSYNC_BENCH_REPOS", 1000);
    let latency = Duration::from_millis(setting("ECOSYNC_BENCH_LATENCY_MS", 50));
    if std::env::args().any(|a| a == "--schedule") {
        schedule(repos, latency);
        return;
    }
    let widths: Vec<usize> = std::env::var("ECOSYNC_BENCH_CONCURRENCY")
        .unwrap_or_else(|_| "1,8,32".into())
        .split(',')
        .filter_map(|w| w.trim().parse().ok())
        .collect();
    println!(
        "fan-out: {repos} dispatches, {} ms added latency per request, min interval 0, library (FanOut over GitHubForge)",
        latency.as_millis()
    );
    println!(
        "{:>11} {:>9} {:>10} {:>12} {:>10} {:>24}",
        "concurrency", "client", "wall (s)", "requests/s", "ideal (s)", "overhead/dispatch (ms)"
    );
    for width in widths {
        let fake = FakeGitHub::start();
        let names: Vec<String> = (0..repos).map(|i| format!("bench/repo-{i}")).collect();
        for n in &names {
            fake.add_repo(n);
        }
        fake.set_latency(latency);
        let outgoing: Vec<Outgoing> = names
            .iter()
            .map(|n| Outgoing {
                repo: RepoName::parse(n).expect("valid name"),
                event_type: "ecosync".into(),
                payload: Payload {
                    ecosync: PAYLOAD_VERSION,
                    source_repo: RepoName::parse("bench/source").expect("valid name"),
                    git_ref: "refs/heads/main".into(),
                    base_sha: "a".repeat(40),
                    commit_sha: "b".repeat(40),
                    updated_feature: "src/**".into(),
                    updated_features: vec!["src/**".into()],
                    changed_paths: vec!["src/lib.rs".into(), "src/main.rs".into()],
                    changed_paths_truncated: false,
                    dispatch_id: Some("bench".into()),
                },
            })
            .collect();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let ideal = latency.as_secs_f64() * (repos as f64 / width as f64).ceil();
        let row = |client: &str, wall: Duration| {
            let overhead_ms = (wall.as_secs_f64() - ideal) * 1000.0 / repos as f64;
            println!(
                "{:>11} {:>9} {:>10.2} {:>12.1} {:>10.2} {:>24.3}",
                width,
                client,
                wall.as_secs_f64(),
                repos as f64 / wall.as_secs_f64(),
                ideal,
                overhead_ms
            );
        };

        let base_wall = runtime.block_on(bare_client(&fake.url(), &names, width));
        assert_eq!(
            fake.requests().len(),
            repos,
            "baseline: one request per dispatch"
        );
        row("baseline", base_wall);
        fake.clear_requests();

        let (wall, delivered) = runtime.block_on(async {
            let width_text = width.to_string();
            let args = Args::parse_from([
                "bench",
                "--api-url",
                &fake.url(),
                "--token-env",
                "PATH",
                "--min-interval",
                "0",
                "--max-writes-per-minute",
                "0",
                "--max-writes-per-hour",
                "0",
                "--concurrency",
                &width_text,
            ]);
            let forge = args.forge.build().expect("forge");
            let started = Instant::now();
            let results = FanOut::new(&forge, width)
                .deliver(
                    &outgoing,
                    &ecosync::stop_signal::StopSignal::new(),
                    |_, _| {},
                )
                .await;
            let wall = started.elapsed();
            let delivered = results
                .iter()
                .filter(|r| r.status == DeliveryStatus::Delivered)
                .count();
            (wall, delivered)
        });
        assert_eq!(delivered, repos, "every dispatch delivered");
        assert_eq!(fake.requests().len(), repos, "one request per dispatch");
        row("ecosync", wall);
    }
}

/// Prints the wall time of `repos` serial dispatches under several pacings, computed with the pacer's
/// budget on a simulated clock.
fn schedule(repos: usize, latency: Duration) {
    use ecosync::forge::github::content_budget::{
        ContentBudget, GITHUB_PER_HOUR, GITHUB_PER_MINUTE,
    };
    let busiest = |starts: &[Instant], window: Duration| {
        let mut most = 0;
        let mut first = 0;
        for (i, &s) in starts.iter().enumerate() {
            while starts[first] + window <= s {
                first += 1;
            }
            most = most.max(i + 1 - first);
        }
        most
    };
    println!(
        "{repos} serial dispatches, {} ms each, pacer budget on a simulated clock (GitHub allows 80 a minute, 500 an hour)",
        latency.as_millis()
    );
    println!(
        "| Pacing | Wall time | Most in a minute | Most in an hour | Within GitHub's limits |"
    );
    println!("|---|---:|---:|---:|---|");
    let second = Duration::from_secs(1);
    let cases = [
        (
            "`--min-interval 1s`, limits off (the old default)",
            second,
            0,
            0,
        ),
        ("`--min-interval 0`, limits off", Duration::ZERO, 0, 0),
        (
            "`--min-interval 0`, 80 a minute, 500 an hour",
            Duration::ZERO,
            GITHUB_PER_MINUTE,
            GITHUB_PER_HOUR,
        ),
        (
            "default: `--min-interval 1s`, 80 a minute, 500 an hour",
            second,
            GITHUB_PER_MINUTE,
            GITHUB_PER_HOUR,
        ),
    ];
    for (name, interval, per_minute, per_hour) in cases {
        let mut budget = ContentBudget::new(interval, per_minute, per_hour);
        let t0 = Instant::now();
        let mut now = t0;
        let mut starts = Vec::with_capacity(repos);
        for _ in 0..repos {
            let start = budget.reserve(now);
            starts.push(start);
            now = start + latency;
        }
        let wall = now - t0;
        let (minute, hour) = (
            busiest(&starts, Duration::from_secs(60)),
            busiest(&starts, Duration::from_secs(3600)),
        );
        let secs = wall.as_secs();
        println!(
            "| {name} | {} min {:02} s | {minute} | {hour} | {} |",
            secs / 60,
            secs % 60,
            if minute <= 80 && hour <= 500 {
                "yes"
            } else {
                "no"
            }
        );
    }
}

/// The same dispatches from `width` keep-alive connections writing HTTP/1.1 by hand: the fake's own cost.
async fn bare_client(url: &str, names: &[String], width: usize) -> Duration {
    let addr = url.trim_start_matches("http://").to_string();
    let body = r#"{"event_type":"ecosync","client_payload":{"ecosync":1}}"#;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in names.chunks(names.len().div_ceil(width)) {
        let chunk = chunk.to_vec();
        let addr = addr.clone();
        tasks.spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(&addr).await.expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            let mut buf = vec![0u8; 4096];
            for name in chunk {
                let request = format!(
                    "POST /repos/{name}/dispatches HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer x\r\n\
                     Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                stream.write_all(request.as_bytes()).await.expect("write");
                // A 204 has no body: the answer ends with its headers.
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = stream.read(&mut buf).await.expect("read");
                    assert!(n > 0, "connection closed");
                    got.extend_from_slice(&buf[..n]);
                }
                assert!(got.starts_with(b"HTTP/1.1 204"), "{}", String::from_utf8_lossy(&got));
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("baseline task");
    }
    started.elapsed()
}
