//! `LocalForge`: a code host in a directory, for trying ecosync and for tests (no token, no network).
//!
//! Layout under the root `DIR` given as `--forge local:DIR`:
//!
//! ```text
//! DIR/<owner>/<name>.git                      bare repository: the git URL of `owner/name`
//! DIR/<owner>/<name>.forge/dispatches/N.json  one received repository_dispatch event each (N = 000001, ...)
//! DIR/<owner>/<name>.forge/pulls/N.json       one pull request record each (N = its number)
//!                                             (a person closes one by setting `state` to `closed` and
//!                                             `closed_by` to their name)
//! DIR/<owner>/<name>.forge/issues/N.json      one issue record each (numbers shared with pull requests)
//! DIR/<owner>/<name>.forge/statuses/SHA.json  the commit statuses of one commit, newest first
//! ```
//!
//! A dispatch file holds exactly the event a `repository_dispatch` workflow receives as `github.event`:
//! `action` (the event type), `branch`, `client_payload`, `repository` and `sender`. Every write goes to a
//! temporary file in the same directory that is then renamed over the target, so a crash never leaves a
//! half-written record; new records are created without replacing an existing file, so two writers cannot
//! take the same number. Every operation needs the bare repository to exist, as on GitHub.

mod buttons;

pub use buttons::MergeMethod;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use tokio::sync::Mutex;

use super::{Delivered, ForgeError, Issue, NewPullRequest, PullRequest};
use crate::forge::commit_status::{CommitStatus, NewCommitStatus};
use crate::forge::permissions::{RepoAccess, RolePermissions};
use crate::repo_name::RepoName;

/// The login the local forge records as the sender of events and the author of records.
pub const LOCAL_SENDER: &str = "ecosync-local";

/// A comment as the local forge stores it: who wrote it and what. Read from a plain string too (records
/// written before comments had authors), then written by [`LOCAL_SENDER`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommentRecord {
    /// Who wrote it.
    pub author: String,
    /// Its text.
    pub body: String,
}

impl CommentRecord {
    /// A comment by `author`.
    pub fn new(author: &str, body: &str) -> Self {
        CommentRecord {
            author: author.to_owned(),
            body: body.to_owned(),
        }
    }
}

impl<'de> Deserialize<'de> for CommentRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Text(String),
            Full {
                #[serde(default)]
                author: Option<String>,
                body: String,
            },
        }
        Ok(match Written::deserialize(d)? {
            Written::Text(body) => CommentRecord::new(LOCAL_SENDER, &body),
            Written::Full { author, body } => CommentRecord {
                author: author.unwrap_or_else(|| LOCAL_SENDER.to_owned()),
                body,
            },
        })
    }
}

/// Now, as the local forge writes times: RFC 3339 in UTC, to the nanosecond (so that what happened in one
/// second keeps its order).
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_nanos(std::time::SystemTime::now()).to_string()
}

/// A pull request as the local forge stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRecord {
    /// Its number (shared sequence with issues).
    pub number: u64,
    /// `open` or `closed`.
    pub state: String,
    /// A `file://` URL of this record.
    pub html_url: String,
    /// Its title.
    pub title: String,
    /// Its description.
    pub body: String,
    /// The head branch.
    pub head: String,
    /// The base branch.
    pub base: String,
    /// Whether it is a draft.
    pub draft: bool,
    /// Its labels, in the order added.
    pub labels: Vec<String>,
    /// Users asked to review.
    pub reviewers: Vec<String>,
    /// Teams asked to review.
    pub team_reviewers: Vec<String>,
    /// Its assignees.
    pub assignees: Vec<String>,
    /// Comments, oldest first.
    pub comments: Vec<CommentRecord>,
    /// When merged: the commit the merge made on the base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_commit: Option<String>,
    /// When it was opened (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// When it was closed, merged or not (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    /// Who closed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<String>,
}

/// An issue as the local forge stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueRecord {
    /// Its number (shared sequence with pull requests).
    pub number: u64,
    /// `open` or `closed`.
    pub state: String,
    /// A `file://` URL of this record.
    pub html_url: String,
    /// Its title.
    pub title: String,
    /// Its description.
    pub body: String,
    /// Its labels.
    pub labels: Vec<String>,
    /// Its assignees.
    pub assignees: Vec<String>,
    /// Comments, oldest first.
    pub comments: Vec<CommentRecord>,
}

/// A forge kept in a directory.
#[derive(Debug)]
pub struct LocalForge {
    root: PathBuf,
    // Serializes read-modify-write of records within this process (numbers are also protected across
    // processes by creating files without replacing).
    lock: Mutex<()>,
}

impl LocalForge {
    /// A local forge rooted at `root` (which need not exist yet).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalForge {
            root: root.into(),
            lock: Mutex::new(()),
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The bare repository of `repo`.
    pub fn repo_path(&self, repo: &RepoName) -> PathBuf {
        self.root
            .join(repo.owner())
            .join(format!("{}.git", repo.name()))
    }

    /// The directory holding the records of `repo`.
    pub fn records_path(&self, repo: &RepoName) -> PathBuf {
        self.root
            .join(repo.owner())
            .join(format!("{}.forge", repo.name()))
    }

    /// The dispatch events `repo` received, oldest first.
    pub fn dispatches(&self, repo: &RepoName) -> Result<Vec<serde_json::Value>, ForgeError> {
        read_all(&self.records_path(repo).join("dispatches"))
    }

    /// The files of the dispatch events `repo` received, oldest first: each is what a listener workflow
    /// would find at `$GITHUB_EVENT_PATH`.
    pub fn dispatch_files(&self, repo: &RepoName) -> Result<Vec<PathBuf>, ForgeError> {
        record_files(&self.records_path(repo).join("dispatches"))
    }

    /// The pull request records of `repo`, by number.
    pub fn pulls(&self, repo: &RepoName) -> Result<Vec<PullRecord>, ForgeError> {
        read_all(&self.records_path(repo).join("pulls"))
    }

    /// The issue records of `repo`, by number.
    pub fn issues(&self, repo: &RepoName) -> Result<Vec<IssueRecord>, ForgeError> {
        read_all(&self.records_path(repo).join("issues"))
    }

    /// An exclusive lock on `repo`'s records, held until the file is dropped, so that looking for an open
    /// pull request or issue and creating one is atomic across processes.
    fn file_lock(&self, repo: &RepoName) -> Result<std::fs::File, ForgeError> {
        self.existing(repo)?;
        let dir = self.records_path(repo);
        std::fs::create_dir_all(&dir).map_err(io("create directory", &dir))?;
        let path = dir.join("lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io("open", &path))?;
        file.lock().map_err(io("lock", &path))?;
        Ok(file)
    }

    fn existing(&self, repo: &RepoName) -> Result<PathBuf, ForgeError> {
        let path = self.repo_path(repo);
        if path.is_dir() {
            Ok(path)
        } else {
            Err(ForgeError::LocalNoRepo {
                repo: repo.to_string(),
                path,
            })
        }
    }

    pub(super) async fn dispatch(
        &self,
        repo: &RepoName,
        event_type: &str,
        client_payload: &serde_json::Value,
    ) -> Result<Delivered, ForgeError> {
        let branch = self.default_branch(repo)?;
        let event = serde_json::json!({
            "action": event_type,
            "branch": branch,
            "client_payload": client_payload,
            "repository": {
                "name": repo.name(),
                "full_name": repo.as_str(),
                "owner": { "login": repo.owner() },
                "default_branch": branch,
                "clone_url": self.git_url(repo),
            },
            "sender": { "login": LOCAL_SENDER, "type": "Bot" },
        });
        let dir = self.records_path(repo).join("dispatches");
        let _guard = self.lock.lock().await;
        let mut seq = count_json(&dir)? + 1;
        loop {
            let path = dir.join(format!("{seq:06}.json"));
            if write_new(&path, &event)? {
                return Ok(Delivered {
                    attempts: 1,
                    status: None,
                });
            }
            seq += 1;
        }
    }

    pub(super) fn default_branch(&self, repo: &RepoName) -> Result<String, ForgeError> {
        let path = self.existing(repo)?;
        let git = git2::Repository::open_bare(&path).map_err(|e| ForgeError::LocalIo {
            action: "open bare repository",
            path: path.clone(),
            source: std::io::Error::other(e.message().to_string()),
        })?;
        let head = git.find_reference("HEAD").ok();
        let target = head
            .as_ref()
            .and_then(|h| h.symbolic_target().ok().flatten())
            .and_then(|t| t.strip_prefix("refs/heads/"))
            .unwrap_or("main");
        Ok(target.to_string())
    }

    // Async like the GitHub forge's, so `Forge` calls both alike.
    #[allow(clippy::unused_async)]
    pub(super) async fn find_open_pull_request(
        &self,
        repo: &RepoName,
        head_branch: &str,
        base: &str,
    ) -> Result<Option<PullRequest>, ForgeError> {
        self.existing(repo)?;
        Ok(self
            .pulls(repo)?
            .into_iter()
            .find(|p| p.state == "open" && p.head == head_branch && p.base == base)
            .map(to_pull))
    }

    pub(super) fn closed_pull_requests(
        &self,
        repo: &RepoName,
        base: &str,
    ) -> Result<Vec<PullRequest>, ForgeError> {
        self.existing(repo)?;
        let mut closed: Vec<PullRequest> = self
            .pulls(repo)?
            .into_iter()
            .filter(|p| p.base == base && p.state == "closed")
            .map(to_pull)
            .collect();
        closed.reverse();
        Ok(closed)
    }

    pub(super) fn open_pull_requests(
        &self,
        repo: &RepoName,
        base: &str,
    ) -> Result<Vec<PullRequest>, ForgeError> {
        self.existing(repo)?;
        let mut open: Vec<PullRequest> = self
            .pulls(repo)?
            .into_iter()
            .filter(|p| p.base == base && p.state == "open")
            .map(to_pull)
            .collect();
        open.reverse();
        Ok(open)
    }

    pub(super) fn closed_by(
        &self,
        repo: &RepoName,
        number: u64,
    ) -> Result<Option<String>, ForgeError> {
        self.existing(repo)?;
        let path = self.pull_path(repo, number);
        if !path.exists() {
            return Err(ForgeError::LocalNotFound {
                repo: repo.to_string(),
                what: "pull request",
                number,
            });
        }
        let record: PullRecord = read(&path)?;
        Ok(record.closed_by.filter(|_| record.state == "closed"))
    }

    pub(super) fn open_issues(
        &self,
        repo: &RepoName,
        label: &str,
    ) -> Result<Vec<Issue>, ForgeError> {
        self.existing(repo)?;
        let mut open: Vec<Issue> = self
            .issues(repo)?
            .into_iter()
            .filter(|i| i.state == "open" && i.labels.iter().any(|l| l == label))
            .map(to_issue)
            .collect();
        open.reverse();
        Ok(open)
    }

    pub(super) async fn update_issue(
        &self,
        repo: &RepoName,
        number: u64,
        body: &str,
        labels: &[String],
    ) -> Result<(), ForgeError> {
        self.existing(repo)?;
        let _guard = self.lock.lock().await;
        let path = self.issue_path(repo, number);
        if !path.exists() {
            return Err(ForgeError::LocalNotFound {
                repo: repo.to_string(),
                what: "issue",
                number,
            });
        }
        let mut record: IssueRecord = read(&path)?;
        body.clone_into(&mut record.body);
        record.labels = labels.to_vec();
        write_replace(&path, &record)
    }

    pub(super) async fn create_pull_request(
        &self,
        repo: &RepoName,
        new: &NewPullRequest,
    ) -> Result<PullRequest, ForgeError> {
        let _guard = self.lock.lock().await;
        // Look again under the repository's lock: two runs at once make one pull request.
        let _file_lock = self.file_lock(repo)?;
        if let Some(open) = self
            .find_open_pull_request(repo, &new.head, &new.base)
            .await?
        {
            return Ok(open);
        }
        loop {
            let number = self.next_number(repo)?;
            let path = self.pull_path(repo, number);
            let record = PullRecord {
                number,
                state: "open".into(),
                html_url: file_url(&path),
                title: new.title.clone(),
                body: new.body.clone(),
                head: new.head.clone(),
                base: new.base.clone(),
                draft: new.draft,
                labels: Vec::new(),
                reviewers: Vec::new(),
                team_reviewers: Vec::new(),
                assignees: Vec::new(),
                comments: Vec::new(),
                merged_commit: None,
                created_at: Some(now_rfc3339()),
                closed_at: None,
                closed_by: None,
            };
            if write_new(&path, &record)? {
                return Ok(to_pull(record));
            }
        }
    }

    pub(super) async fn update_pull_request(
        &self,
        repo: &RepoName,
        number: u64,
        title: &str,
        body: &str,
    ) -> Result<PullRequest, ForgeError> {
        let record = self
            .edit_pull(repo, number, |p| {
                p.title = title.to_string();
                p.body = body.to_string();
            })
            .await?;
        Ok(to_pull(record))
    }

    pub(super) async fn close_pull_request(
        &self,
        repo: &RepoName,
        number: u64,
    ) -> Result<(), ForgeError> {
        self.edit_pull(repo, number, close_pull).await.map(|_| ())
    }

    pub(super) async fn close_issue(&self, repo: &RepoName, number: u64) -> Result<(), ForgeError> {
        self.edit_either(repo, number, close_pull, |i| {
            i.state = "closed".into();
        })
        .await
    }

    pub(super) async fn request_reviewers(
        &self,
        repo: &RepoName,
        number: u64,
        users: &[String],
        teams: &[String],
    ) -> Result<(), ForgeError> {
        self.edit_pull(repo, number, |p| {
            add_unique(&mut p.reviewers, users);
            add_unique(&mut p.team_reviewers, teams);
        })
        .await
        .map(|_| ())
    }

    pub(super) async fn add_labels(
        &self,
        repo: &RepoName,
        number: u64,
        labels: &[String],
    ) -> Result<(), ForgeError> {
        self.edit_either(
            repo,
            number,
            |p| add_unique(&mut p.labels, labels),
            |i| add_unique(&mut i.labels, labels),
        )
        .await
    }

    pub(super) async fn add_assignees(
        &self,
        repo: &RepoName,
        number: u64,
        assignees: &[String],
    ) -> Result<(), ForgeError> {
        self.edit_either(
            repo,
            number,
            |p| add_unique(&mut p.assignees, assignees),
            |i| add_unique(&mut i.assignees, assignees),
        )
        .await
    }

    // Async like the GitHub forge's, so `Forge` calls both alike.
    #[allow(clippy::unused_async)]
    pub(super) async fn find_open_issue(
        &self,
        repo: &RepoName,
        title: &str,
        label: Option<&str>,
    ) -> Result<Option<Issue>, ForgeError> {
        self.existing(repo)?;
        Ok(self
            .issues(repo)?
            .into_iter()
            .find(|i| {
                i.state == "open"
                    && i.title == title
                    && label.is_none_or(|l| i.labels.iter().any(|x| x == l))
            })
            .map(to_issue))
    }

    pub(super) async fn create_issue(
        &self,
        repo: &RepoName,
        title: &str,
        body: &str,
        labels: &[String],
    ) -> Result<Issue, ForgeError> {
        let _guard = self.lock.lock().await;
        // Look again under the repository's lock: two runs at once open one issue.
        let _file_lock = self.file_lock(repo)?;
        if let Some(open) = self
            .find_open_issue(repo, title, labels.first().map(String::as_str))
            .await?
        {
            return Ok(open);
        }
        loop {
            let number = self.next_number(repo)?;
            let path = self.issue_path(repo, number);
            let record = IssueRecord {
                number,
                state: "open".into(),
                html_url: file_url(&path),
                title: title.to_string(),
                body: body.to_string(),
                labels: labels.to_vec(),
                assignees: Vec::new(),
                comments: Vec::new(),
            };
            if write_new(&path, &record)? {
                return Ok(to_issue(record));
            }
        }
    }

    pub(super) async fn comment(
        &self,
        repo: &RepoName,
        number: u64,
        body: &str,
    ) -> Result<(), ForgeError> {
        self.edit_either(
            repo,
            number,
            |p| p.comments.push(CommentRecord::new(LOCAL_SENDER, body)),
            |i| i.comments.push(CommentRecord::new(LOCAL_SENDER, body)),
        )
        .await
    }

    pub(super) async fn set_commit_status(
        &self,
        repo: &RepoName,
        sha: &str,
        status: &NewCommitStatus,
    ) -> Result<(), ForgeError> {
        let path = self.status_path(repo, sha)?;
        let _guard = self.lock.lock().await;
        let _file = self.file_lock(repo)?;
        let mut all = self.commit_statuses(repo, sha)?;
        all.insert(
            0,
            CommitStatus {
                state: status.state,
                context: status.context.clone(),
                description: Some(status.description.clone()),
                target_url: status.target_url.clone(),
                updated_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now())
                    .to_string(),
            },
        );
        write_replace(&path, &all)
    }

    pub(super) fn commit_statuses(
        &self,
        repo: &RepoName,
        sha: &str,
    ) -> Result<Vec<CommitStatus>, ForgeError> {
        let path = self.status_path(repo, sha)?;
        if path.is_file() {
            read(&path)
        } else {
            Ok(Vec::new())
        }
    }

    /// The file of `sha`'s statuses; `sha` must be a full hexadecimal commit id (it names a file).
    fn status_path(&self, repo: &RepoName, sha: &str) -> Result<PathBuf, ForgeError> {
        self.existing(repo)?;
        if sha.len() != 40 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ForgeError::LocalRecord {
                path: self.records_path(repo).join("statuses"),
                message: format!("`{sha}` is not a full commit SHA"),
            });
        }
        Ok(self
            .records_path(repo)
            .join("statuses")
            .join(format!("{}.json", sha.to_ascii_lowercase())))
    }

    /// The local forge has no permissions: a repository that exists may be written.
    pub(super) fn repo_access(&self, repo: &RepoName) -> RepoAccess {
        let visible = self.existing(repo).is_ok();
        RepoAccess {
            visible,
            default_branch: visible.then(|| self.default_branch(repo).ok()).flatten(),
            role: visible.then_some(RolePermissions {
                admin: true,
                maintain: true,
                push: true,
                triage: true,
                pull: true,
            }),
            grants: None,
        }
    }

    pub(super) fn branch_exists(&self, repo: &RepoName, branch: &str) -> bool {
        git2::Repository::open_bare(self.repo_path(repo))
            .is_ok_and(|git| git.find_reference(&format!("refs/heads/{branch}")).is_ok())
    }

    pub(super) fn comments(
        &self,
        repo: &RepoName,
        number: u64,
    ) -> Result<Vec<super::Comment>, ForgeError> {
        self.existing(repo)?;
        let bodies = match (self.pull_path(repo, number), self.issue_path(repo, number)) {
            (p, _) if p.exists() => read::<PullRecord>(&p)?.comments,
            (_, i) if i.exists() => read::<IssueRecord>(&i)?.comments,
            _ => {
                return Err(ForgeError::LocalNotFound {
                    repo: repo.to_string(),
                    what: "issue or pull request",
                    number,
                });
            }
        };
        Ok(bodies
            .into_iter()
            .zip(0u64..)
            .map(|(c, id)| super::Comment {
                id,
                body: c.body,
                author: Some(c.author),
            })
            .collect())
    }

    pub(super) async fn update_comment(
        &self,
        repo: &RepoName,
        number: u64,
        comment: u64,
        body: &str,
    ) -> Result<(), ForgeError> {
        let index = usize::try_from(comment).unwrap_or(usize::MAX);
        let set = |comments: &mut Vec<CommentRecord>| {
            if let Some(c) = comments.get_mut(index) {
                body.clone_into(&mut c.body);
            }
        };
        self.edit_either(
            repo,
            number,
            |p| set(&mut p.comments),
            |i| set(&mut i.comments),
        )
        .await
    }

    pub(super) fn git_url(&self, repo: &RepoName) -> String {
        self.repo_path(repo).display().to_string()
    }

    fn pull_path(&self, repo: &RepoName, number: u64) -> PathBuf {
        self.records_path(repo)
            .join("pulls")
            .join(format!("{number}.json"))
    }

    fn issue_path(&self, repo: &RepoName, number: u64) -> PathBuf {
        self.records_path(repo)
            .join("issues")
            .join(format!("{number}.json"))
    }

    fn next_number(&self, repo: &RepoName) -> Result<u64, ForgeError> {
        let pulls = self.pulls(repo)?.iter().map(|p| p.number).max();
        let issues = self.issues(repo)?.iter().map(|i| i.number).max();
        Ok(pulls.max(issues).unwrap_or(0) + 1)
    }

    async fn edit_pull(
        &self,
        repo: &RepoName,
        number: u64,
        change: impl FnOnce(&mut PullRecord),
    ) -> Result<PullRecord, ForgeError> {
        self.existing(repo)?;
        let _guard = self.lock.lock().await;
        let path = self.pull_path(repo, number);
        if !path.exists() {
            return Err(ForgeError::LocalNotFound {
                repo: repo.to_string(),
                what: "pull request",
                number,
            });
        }
        let mut record: PullRecord = read(&path)?;
        change(&mut record);
        write_replace(&path, &record)?;
        Ok(record)
    }

    /// Issues and pull requests share numbers: edit whichever has `number`.
    async fn edit_either(
        &self,
        repo: &RepoName,
        number: u64,
        pull: impl FnOnce(&mut PullRecord),
        issue: impl FnOnce(&mut IssueRecord),
    ) -> Result<(), ForgeError> {
        self.existing(repo)?;
        let _guard = self.lock.lock().await;
        let pull_path = self.pull_path(repo, number);
        let issue_path = self.issue_path(repo, number);
        if pull_path.exists() {
            let mut record: PullRecord = read(&pull_path)?;
            pull(&mut record);
            write_replace(&pull_path, &record)
        } else if issue_path.exists() {
            let mut record: IssueRecord = read(&issue_path)?;
            issue(&mut record);
            write_replace(&issue_path, &record)
        } else {
            Err(ForgeError::LocalNotFound {
                repo: repo.to_string(),
                what: "issue or pull request",
                number,
            })
        }
    }
}

fn to_pull(p: PullRecord) -> PullRequest {
    PullRequest {
        number: p.number,
        html_url: p.html_url,
        title: p.title,
        body: p.body,
        head: p.head,
        base: p.base,
        draft: p.draft,
        state: p.state,
        labels: p.labels,
        reviewers: p.reviewers,
        team_reviewers: p.team_reviewers,
        assignees: p.assignees,
        merge_commit: p.merged_commit,
        created_at: p.created_at,
        closed_at: p.closed_at,
    }
}

fn to_issue(i: IssueRecord) -> Issue {
    Issue {
        number: i.number,
        html_url: i.html_url,
        title: i.title,
        body: i.body,
        labels: i.labels,
    }
}

/// Closes a pull request as the forge's own identity does.
fn close_pull(p: &mut PullRecord) {
    if p.state != "closed" {
        p.state = "closed".into();
        p.closed_at = Some(now_rfc3339());
        p.closed_by = Some(LOCAL_SENDER.to_owned());
    }
}

fn add_unique(list: &mut Vec<String>, new: &[String]) {
    for n in new {
        if !list.contains(n) {
            list.push(n.clone());
        }
    }
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ForgeError {
    let path = path.to_path_buf();
    move |source| ForgeError::LocalIo {
        action,
        path,
        source,
    }
}

fn read<T: DeserializeOwned>(path: &Path) -> Result<T, ForgeError> {
    let text = std::fs::read_to_string(path).map_err(io("read", path))?;
    serde_json::from_str(&text).map_err(|e| ForgeError::LocalRecord {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Every `*.json` record of a directory (missing directory: none), ordered by the number in the file name.
fn read_all<T: DeserializeOwned>(dir: &Path) -> Result<Vec<T>, ForgeError> {
    record_files(dir)?.iter().map(|p| read(p)).collect()
}

/// The paths of the numbered `*.json` records of a directory (missing directory: none), by number.
fn record_files(dir: &Path) -> Result<Vec<PathBuf>, ForgeError> {
    let mut numbered = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io("read directory", dir)(e)),
    };
    for entry in entries {
        let path = entry.map_err(io("read directory", dir))?.path();
        let number = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".json"))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(number) = number {
            numbered.push((number, path));
        }
    }
    numbered.sort();
    Ok(numbered.into_iter().map(|(_, p)| p).collect())
}

fn count_json(dir: &Path) -> Result<u64, ForgeError> {
    match std::fs::read_dir(dir) {
        Ok(entries) => Ok(entries
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .count() as u64),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(io("read directory", dir)(e)),
    }
}

fn temp_with<T: Serialize>(path: &Path, value: &T) -> Result<tempfile::NamedTempFile, ForgeError> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io("create directory", dir))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io("create a file in", dir))?;
    let mut text = serde_json::to_vec_pretty(value).map_err(|e| ForgeError::LocalRecord {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    text.push(b'\n');
    tmp.write_all(&text).map_err(io("write", path))?;
    tmp.as_file().sync_all().map_err(io("write", path))?;
    Ok(tmp)
}

/// Writes `value` to `path` atomically, replacing what was there.
fn write_replace<T: Serialize>(path: &Path, value: &T) -> Result<(), ForgeError> {
    temp_with(path, value)?
        .persist(path)
        .map(|_| ())
        .map_err(|e| io("write", path)(e.error))
}

/// Writes `value` to `path` atomically unless `path` exists; false if it did.
fn write_new<T: Serialize>(path: &Path, value: &T) -> Result<bool, ForgeError> {
    match temp_with(path, value)?.persist_noclobber(path) {
        Ok(_) => Ok(true),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(io("write", path)(e.error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forge_with(repo: &RepoName) -> (tempfile::TempDir, LocalForge) {
        let dir = tempfile::tempdir().unwrap();
        let forge = LocalForge::new(dir.path());
        git2::Repository::init_bare(forge.repo_path(repo)).unwrap();
        (dir, forge)
    }

    #[tokio::test]
    async fn dispatch_writes_the_workflow_event() {
        let repo = RepoName::parse("acme/widget").unwrap();
        let (_dir, forge) = forge_with(&repo);
        let payload = serde_json::json!({"ecosync": 1});
        forge.dispatch(&repo, "ecosync", &payload).await.unwrap();
        forge.dispatch(&repo, "ecosync", &payload).await.unwrap();
        let events = forge.dispatches(&repo).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0]["action"], "ecosync");
        assert_eq!(events[0]["client_payload"], payload);
        assert_eq!(events[0]["repository"]["full_name"], "acme/widget");
        assert_eq!(events[0]["sender"]["login"], LOCAL_SENDER);
    }

    #[tokio::test]
    async fn missing_repository_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let forge = LocalForge::new(dir.path());
        let repo = RepoName::parse("acme/nothing").unwrap();
        let err = forge
            .dispatch(&repo, "x", &serde_json::json!({}))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("acme/nothing.git"), "{err}");
        assert_eq!(err.status(), Some(404));
    }

    #[tokio::test]
    async fn pull_requests_and_issues_share_numbers_and_creates_are_idempotent() {
        let repo = RepoName::parse("acme/widget").unwrap();
        let (_dir, local) = forge_with(&repo);
        // Through `Forge`, as every caller goes: it is what looks before it creates.
        let forge = crate::forge::Forge::Local(LocalForge::new(local.root()));
        let new = NewPullRequest {
            title: "t".into(),
            body: "b".into(),
            head: "sync".into(),
            base: "main".into(),
            draft: false,
        };
        let pr = forge.create_pull_request(&repo, &new).await.unwrap();
        assert_eq!(pr.number, 1);
        assert_eq!(forge.create_pull_request(&repo, &new).await.unwrap(), pr);
        let labels = vec!["sync-failed".to_string()];
        let issue = forge
            .create_issue(&repo, "i", "body", &labels)
            .await
            .unwrap();
        assert_eq!(issue.number, 2);
        let again = forge
            .create_issue(&repo, "i", "body", &labels)
            .await
            .unwrap();
        assert_eq!(again.number, 2);
        forge.comment(&repo, 2, "again").await.unwrap();
        forge.add_labels(&repo, 1, &labels).await.unwrap();
        forge
            .request_reviewers(&repo, 1, &["ann".into()], &["core".into()])
            .await
            .unwrap();
        forge
            .update_pull_request(&repo, 1, "t2", "b2")
            .await
            .unwrap();
        let pulls = local.pulls(&repo).unwrap();
        assert_eq!(pulls[0].title, "t2");
        assert_eq!(pulls[0].labels, labels);
        assert_eq!(pulls[0].reviewers, vec!["ann".to_string()]);
        assert_eq!(
            local.issues(&repo).unwrap()[0].comments,
            vec![CommentRecord::new(LOCAL_SENDER, "again")]
        );
        forge.close_pull_request(&repo, 1).await.unwrap();
        assert!(
            forge
                .find_open_pull_request(&repo, "sync", "main")
                .await
                .unwrap()
                .is_none()
        );
        assert!(forge.comment(&repo, 9, "x").await.is_err());
    }
}
