//! What a test does with a running fake: makes repositories exist and sets them up (fork, role, grants,
//! pull requests, refs), adds faults and latency, and reads back what the fake received and holds.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::faults::Fault;
use super::issues::issue_json;
use super::pulls::{pull_json, set_state};
use super::server::FakeGitHub;
use super::state::{PullState, Recorded, RepoState, now};

impl FakeGitHub {
    /// Makes `owner/name` exist, with default branch `main`.
    pub fn add_repo(&self, repo: &str) -> &Self {
        self.add_repo_with_branch(repo, "main")
    }

    /// Makes `owner/name` exist with this default branch.
    pub fn add_repo_with_branch(&self, repo: &str, branch: &str) -> &Self {
        self.lock().repos.insert(
            repo.to_string(),
            RepoState {
                default_branch: branch.into(),
                next_number: 1,
                ..RepoState::default()
            },
        );
        self
    }

    /// Makes `repo` a fork of `parent` (`fork` and `parent` in `GET /repos/{repo}`).
    pub fn set_fork(&self, repo: &str, parent: &str) -> &Self {
        self.lock()
            .repos
            .get_mut(repo)
            .expect("add the repository first")
            .parent = Some(parent.into());
        self
    }

    /// The branches `merge-upstream` synced in `repo`, in order.
    pub fn merged_upstream(&self, repo: &str) -> Vec<String> {
        self.lock().repos[repo].merged_upstream.clone()
    }

    /// Adds a failure rule (rules are checked in the order added; the first that applies wins).
    pub fn fail(&self, fault: Fault) -> &Self {
        self.lock().faults.push(fault);
        self
    }

    /// Serves git's smart HTTP for the bare repositories under `root` (`OWNER/NAME.git`, as the local forge
    /// keeps them) at `/OWNER/NAME.git`, without asking for credentials: the fake's URL is then also the
    /// forge's git host.
    pub fn serve_git(&self, root: &std::path::Path) -> &Self {
        self.lock().git_root = Some(root.to_path_buf());
        self
    }

    /// Adds this delay to every answer.
    pub fn set_latency(&self, latency: Duration) -> &Self {
        self.lock().latency = latency;
        self
    }

    /// Every request received, in order of arrival.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// The requests with this method whose path ends with `suffix`.
    pub fn requests_to(&self, method: &str, suffix: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method && r.path.ends_with(suffix))
            .collect()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// The role a personal token has on `repo` (`GET /repos/{r}`'s `permissions`), e.g.
    /// `{"pull": true, "triage": true, "push": false}`.
    pub fn set_role(&self, repo: &str, role: Value) -> &Self {
        self.edit(repo, |r| r.role = Some(role))
    }

    /// A GitHub App installation's grants on `repo`, e.g. `{"contents": "write", "pull_requests": "read"}`.
    pub fn set_grants(&self, repo: &str, grants: Value) -> &Self {
        self.edit(repo, |r| r.grants = Some(grants))
    }

    /// Turns off "Allow GitHub Actions to create and approve pull requests" in `repo`.
    pub fn forbid_actions_pull_requests(&self, repo: &str) -> &Self {
        self.edit(repo, |r| r.actions_may_not_create_prs = true)
    }

    /// The commit statuses of `sha` in `repo`, newest first.
    pub fn statuses(&self, repo: &str, sha: &str) -> Vec<Value> {
        self.read(repo, |r| r.statuses.get(sha).cloned().unwrap_or_default())
    }

    /// The dispatch bodies (`event_type`, `client_payload`) `repo` accepted.
    pub fn dispatches(&self, repo: &str) -> Vec<Value> {
        self.read(repo, |r| r.dispatches.clone())
    }

    /// The pull requests of `repo`, as GitHub would return them.
    pub fn pulls(&self, repo: &str) -> Vec<Value> {
        let base = self.url();
        self.read(repo, |r| {
            r.pulls.iter().map(|p| pull_json(&base, repo, p)).collect()
        })
    }

    /// The issues of `repo` (not pull requests), with a `comment_bodies` list added.
    pub fn issues(&self, repo: &str) -> Vec<Value> {
        let base = self.url();
        self.read(repo, |r| {
            r.issues
                .iter()
                .map(|i| {
                    let mut v = issue_json(&base, repo, i);
                    v["comment_bodies"] = json!(i.comments);
                    v
                })
                .collect()
        })
    }

    /// Comments on pull request `number`.
    pub fn pull_comments(&self, repo: &str, number: u64) -> Vec<String> {
        self.read(repo, |r| {
            r.pull_comments.get(&number).cloned().unwrap_or_default()
        })
    }

    /// Opens a pull request directly (test set-up); returns its number.
    pub fn seed_pull(&self, repo: &str, head: &str, base: &str, title: &str) -> u64 {
        let mut st = self.lock();
        let r = st.repos.get_mut(repo).expect("seed_pull: add_repo first");
        let number = r.next_number;
        r.next_number += 1;
        r.pulls.push(PullState {
            number,
            state: "open".into(),
            title: title.into(),
            body: String::new(),
            head: head.into(),
            base: base.into(),
            draft: false,
            labels: vec![],
            reviewers: vec![],
            team_reviewers: vec![],
            assignees: vec![],
            created_at: now(),
            closed_at: None,
            closed_by: None,
            merged_at: None,
            merge_commit_sha: None,
        });
        number
    }

    /// Closes pull request `number` without merging it, as the user `by` would in the web interface.
    pub fn close_pull(&self, repo: &str, number: u64, by: &str) -> &Self {
        self.edit(repo, |r| {
            let p = r
                .pulls
                .iter_mut()
                .find(|p| p.number == number)
                .expect("no such pull request");
            set_state(p, "closed", by);
        })
    }

    /// Reopens pull request `number`, as a person would.
    pub fn reopen_pull(&self, repo: &str, number: u64) -> &Self {
        self.edit(repo, |r| {
            let p = r
                .pulls
                .iter_mut()
                .find(|p| p.number == number)
                .expect("no such pull request");
            set_state(p, "open", "");
        })
    }

    /// Records pull request `number` as merged by `by`, with the commit the merge made (`sha`).
    pub fn merge_pull(&self, repo: &str, number: u64, sha: &str, by: &str) -> &Self {
        self.edit(repo, |r| {
            let p = r
                .pulls
                .iter_mut()
                .find(|p| p.number == number)
                .expect("no such pull request");
            set_state(p, "closed", by);
            p.merged_at.clone_from(&p.closed_at);
            p.merge_commit_sha = Some(sha.into());
        })
    }

    /// Comments on issue or pull request `number` as the user `author`.
    pub fn comment_as(&self, repo: &str, number: u64, author: &str, body: &str) -> &Self {
        self.edit(repo, |r| {
            let index = if let Some(i) = r.issues.iter_mut().find(|i| i.number == number) {
                i.comments.push(body.into());
                i.comments.len() - 1
            } else {
                let list = r.pull_comments.entry(number).or_default();
                list.push(body.into());
                list.len() - 1
            };
            r.comment_authors.insert((number, index), author.into());
        })
    }

    /// Sets a branch ref directly (test set-up).
    pub fn seed_ref(&self, repo: &str, git_ref: &str, sha: &str) {
        let mut st = self.lock();
        let r = st.repos.get_mut(repo).expect("seed_ref: add_repo first");
        r.refs.insert(git_ref.into(), sha.into());
    }

    /// The refs of `repo` (`refs/heads/x` → sha).
    pub fn refs(&self, repo: &str) -> BTreeMap<String, String> {
        self.read(repo, |r| r.refs.clone())
    }

    /// What `f` reads from `repo`, or nothing (the default) when the fake does not have `repo`.
    fn read<T: Default>(&self, repo: &str, f: impl FnOnce(&RepoState) -> T) -> T {
        self.lock().repos.get(repo).map(f).unwrap_or_default()
    }

    /// Changes `repo` with `f`; nothing when the fake does not have `repo`.
    fn edit(&self, repo: &str, f: impl FnOnce(&mut RepoState)) -> &Self {
        if let Some(r) = self.lock().repos.get_mut(repo) {
            f(r);
        }
        self
    }
}
