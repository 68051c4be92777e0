//! `--audit-log FILE`: one JSON line per action, appended, on `subscriber apply`, `dispatcher dispatch` and
//! `dispatcher watch`.

use serde_json::{Value, json};

use crate::support::dispatch::{dispatch_local, local_forge, source};
use crate::support::subscriber_fixture::{Pair, config, mapped};

fn lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn apply_records_each_action_and_appends() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let p = Pair::new(config(mapped(), "diff-apply"));
    let up = p.upstream.head().to_string();
    let arg = log.to_str().unwrap();
    p.apply(&["--latest", "--audit-log", arg]).success();
    let first = lines(&log);
    let actions: Vec<&str> = first
        .iter()
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["branch_pushed", "pull_request_opened"],
        "{first:?}"
    );
    for l in &first {
        assert_eq!(l["target"], "acme/cousin");
        assert_eq!(l["source_commit"], up.as_str());
        assert_eq!(l["result"], "ok");
        assert!(l["time"].as_str().unwrap().ends_with('Z'));
    }
    // Upstream moves: the branch is pushed again and the pull request updated; the old lines stay.
    p.upstream.write("features/x/b.txt", "b2\n");
    p.upstream.commit("upstream: b2");
    p.apply(&["--latest", "--audit-log", arg]).success();
    let all = lines(&log);
    assert_eq!(&all[..2], &first[..]);
    let actions: Vec<&str> = all[2..]
        .iter()
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["branch_pushed", "pull_request_updated"]);
    // A dry run takes no action and writes no line.
    p.apply(&["--latest", "--dry-run", "--audit-log", arg])
        .success();
    assert_eq!(lines(&log).len(), 4);
}

#[test]
fn dispatch_records_each_dispatch() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let (repo, cfg) = source(&["acme/a", "acme/missing"]);
    let forge = local_forge(&["acme/a"]);
    dispatch_local(&repo, &cfg, forge.path())
        .arg("--audit-log")
        .arg(&log)
        .run()
        .expect_code(1);
    let all = lines(&log);
    assert_eq!(all.len(), 2, "{all:?}");
    let by = |t: &str| all.iter().find(|l| l["target"] == t).unwrap().clone();
    assert_eq!(by("acme/a")["result"], "ok");
    assert_eq!(by("acme/a")["action"], "dispatch_sent");
    assert_eq!(
        by("acme/a")["source_commit"],
        repo.head().to_string().as_str()
    );
    assert!(by("acme/a")["dispatch_id"].is_string());
    assert_eq!(by("acme/missing")["result"], "failed");
    assert!(by("acme/missing")["detail"].is_string());
}

#[test]
fn an_audit_log_that_cannot_be_opened_is_a_usage_error() {
    let p = Pair::new(config(json!(["features/x"]), "diff-apply"));
    p.apply(&["--latest", "--audit-log", "/nonexistent-dir/audit.jsonl"])
        .expect_code(2)
        .expect_stderr("cannot open the audit log");
    assert!(
        p.remote_branch("ecosync/acme-mono").is_none(),
        "nothing done"
    );
}
