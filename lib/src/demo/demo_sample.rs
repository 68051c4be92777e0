//! `DemoSample`: a small source monorepo and three downstream repositories on a local forge, built with git2,
//! for `dispatcher demo` (the README's first command) and for tests of the whole chain.
//!
//! Layout under the root:
//!
//! ```text
//! forge/acme/webdev-monorepo.git   the source repository (upstream), with ecosystem.json
//! forge/acme/flask-webpush.git     a cousin holding features/webpush/flask under app/ (diff-apply)
//! forge/acme/react-webpush.git     a cousin holding features/webpush/react at its root (squash)
//! forge/acme/webdev-fork.git       a fork sharing the monorepo's history (merge)
//! work/<name>                      a clone of each, as a workflow's checkout would be
//! ```
//!
//! The cousins start in sync with the first source commit; [`DemoSample::push_update`] then pushes a second
//! commit that changes both webpush features, which is what the demo dispatches.

use std::path::{Path, PathBuf};

use git2::{IndexAddOption, Oid, Repository, RepositoryInitOptions, Signature, Time};

use crate::demo::demo_forge::{DemoForge, DemoTarget};
use crate::error_kind::UserError;
use crate::repo_name::RepoName;

/// What can go wrong while building the sample.
#[derive(Debug, thiserror::Error)]
pub enum DemoSampleError {
    /// A git operation failed.
    #[error("cannot build the demo repositories in `{dir}`: {source}")]
    Git {
        /// The directory being built.
        dir: PathBuf,
        /// The git error.
        #[source]
        source: git2::Error,
    },
    /// A file could not be written.
    #[error("cannot write `{path}`: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl UserError for DemoSampleError {}

/// The source repository of the sample.
pub const SOURCE: &str = "acme/webdev-monorepo";
/// The cousins of the sample: name, and their `.github/ecosync.json`.
const COUSINS: [(&str, &str); 3] = [
    (
        "acme/flask-webpush",
        r#"{
  "upstream": { "repo": "acme/webdev-monorepo" },
  "subscriptions": [{ "path": "features/webpush/flask", "to": "app" }],
  "strategy": "diff-apply",
  "notify": "self"
}
"#,
    ),
    (
        "acme/react-webpush",
        r#"{
  "upstream": { "repo": "acme/webdev-monorepo" },
  "subscriptions": [{ "path": "features/webpush/react", "to": "" }],
  "strategy": "squash",
  "notify": "self"
}
"#,
    ),
    (
        "acme/webdev-fork",
        r#"{
  "upstream": { "repo": "acme/webdev-monorepo" },
  "subscriptions": ["features"],
  "strategy": "merge",
  "notify": "self"
}
"#,
    ),
];

const ECOSYSTEM: &str = r#"[
  { "repo": "acme/flask-webpush", "subscriptions": ["features/webpush/flask"] },
  { "repo": "acme/react-webpush", "subscriptions": ["features/webpush/react", "!features/webpush/react/**/*.test.js"] },
  { "repo": "acme/webdev-fork", "subscriptions": ["features/**"] },
  { "repo": "acme/django-auth", "subscriptions": ["features/auth/django"] }
]
"#;

/// The sample's repositories, on disk.
#[derive(Debug)]
pub struct DemoSample {
    root: PathBuf,
    clock: std::cell::Cell<i64>,
    /// The first source commit, which every cousin holds.
    pub first: Oid,
}

impl DemoSample {
    /// Builds the sample under `root` (which must be empty or absent). Commit times start at `now` minus a
    /// day, one minute apart, so the commits are recent enough for the subscriber's `max_age`.
    pub fn create(root: &Path, now: i64) -> Result<Self, DemoSampleError> {
        let mut sample = DemoSample {
            root: root.to_path_buf(),
            clock: std::cell::Cell::new(now - 86_400),
            first: Oid::ZERO_SHA1,
        };
        let source = sample.init_work(SOURCE)?;
        sample.write_all(
            SOURCE,
            &[
                ("README.md", "# webdev monorepo\n"),
                ("ecosystem.json", ECOSYSTEM),
                ("features/webpush/flask/app.py", FLASK_APP_V1),
                (
                    "features/webpush/flask/requirements.txt",
                    "flask==3.0.0\npywebpush==2.0.0\n",
                ),
                (
                    "features/webpush/react/package.json",
                    "{ \"name\": \"react-webpush\", \"version\": \"1.0.0\" }\n",
                ),
                (
                    "features/webpush/react/src/subscribe.js",
                    REACT_SUBSCRIBE_V1,
                ),
                (
                    "features/auth/django/views.py",
                    "def login(request):\n    ...\n",
                ),
            ],
        )?;
        sample.first = sample.commit(&source, "Add webpush features", &[])?;
        sample.publish(SOURCE)?;

        for (cousin, config) in COUSINS {
            let repo = sample.init_work(cousin)?;
            let trailer = format!("\n\nEcosync-Upstream: {SOURCE}@{}\n", sample.first);
            match cousin {
                "acme/flask-webpush" => {
                    sample.write_all(
                        cousin,
                        &[
                            ("README.md", "# flask-webpush\n\nThe Flask web-push example, synced from the monorepo.\n"),
                            (".github/ecosync.json", config),
                            ("app/app.py", FLASK_APP_V1),
                            ("app/requirements.txt", "flask==3.0.0\npywebpush==2.0.0\n"),
                            ("deploy/Procfile", "web: gunicorn app.app:app\n"),
                        ],
                    )?;
                    sample.commit(
                        &repo,
                        &format!("Import features/webpush/flask{trailer}"),
                        &[],
                    )?;
                }
                "acme/react-webpush" => {
                    sample.write_all(
                        cousin,
                        &[
                            (".github/ecosync.json", config),
                            (
                                "package.json",
                                "{ \"name\": \"react-webpush\", \"version\": \"1.0.0\" }\n",
                            ),
                            ("src/subscribe.js", REACT_SUBSCRIBE_V1),
                        ],
                    )?;
                    sample.commit(
                        &repo,
                        &format!("Import features/webpush/react{trailer}"),
                        &[],
                    )?;
                }
                _ => {
                    // A fork: the monorepo's history plus a commit of its own.
                    let first = repo.find_commit(sample.first).or_else(|_| {
                        let src =
                            Repository::open(sample.work_dir(SOURCE)).map_err(|e| sample.git(e))?;
                        copy_history(&src, &repo, sample.first).map_err(|e| sample.git(e))?;
                        repo.find_commit(sample.first).map_err(|e| sample.git(e))
                    })?;
                    let mut co = git2::build::CheckoutBuilder::new();
                    co.force();
                    repo.checkout_tree(first.as_object(), Some(&mut co))
                        .map_err(|e| sample.git(e))?;
                    repo.set_head_detached(first.id())
                        .map_err(|e| sample.git(e))?;
                    repo.branch("main", &first, true)
                        .map_err(|e| sample.git(e))?;
                    repo.set_head("refs/heads/main")
                        .map_err(|e| sample.git(e))?;
                    sample.write_all(
                        cousin,
                        &[(".github/ecosync.json", config), ("FORK.md", "Our fork.\n")],
                    )?;
                    sample.commit(&repo, "Fork: add our own notes", &[first.id()])?;
                }
            }
            sample.publish(cousin)?;
        }
        Ok(sample)
    }

    /// The root the sample was built under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The local forge's directory (`--forge local:<this>`).
    pub fn forge_dir(&self) -> PathBuf {
        self.root.join("forge")
    }

    /// The clone of `repo` (`owner/name`), as a workflow's checkout would be.
    pub fn work_dir(&self, repo: &str) -> PathBuf {
        let name = repo.split_once('/').map_or(repo, |(_, n)| n);
        self.root.join("work").join(name)
    }

    /// The source repository's name.
    pub fn source() -> RepoName {
        RepoName::parse(SOURCE).unwrap_or_else(|_| unreachable!("SOURCE is a valid name"))
    }

    /// The cousins' names, in the order of `ecosystem.json`.
    pub fn cousins() -> Vec<RepoName> {
        COUSINS
            .iter()
            .filter_map(|(n, _)| RepoName::parse(n).ok())
            .collect()
    }

    /// The sample as the demo runs it, once [`DemoSample::push_update`] pushed `update`: the range
    /// `first..update` on `main`, one target per `ecosystem.json` entry (the fourth, `acme/django-auth`, is
    /// listed there but not built: nothing reaches it).
    pub fn demo_forge(&self, update: Oid) -> DemoForge {
        let synced = crate::git::short_oid(self.first);
        let built = [
            format!(
                "a copy of `features/webpush/flask` under `app/`, synced at {synced} (strategy `diff-apply`)"
            ),
            format!(
                "a copy of `features/webpush/react` at its root, synced at {synced} (strategy `squash`)"
            ),
            format!(
                "a fork: the source's history up to {synced} and a commit of its own (strategy `merge`)"
            ),
        ];
        let mut targets: Vec<DemoTarget> = Self::cousins()
            .into_iter()
            .zip(built)
            .map(|(repo, built)| DemoTarget {
                work_dir: Some(self.work_dir(repo.as_str())),
                repo,
                built,
                on_forge: true,
            })
            .collect();
        if let Ok(repo) = RepoName::parse("acme/django-auth") {
            targets.push(DemoTarget {
                repo,
                built: "not built: the sample only lists it in ecosystem.json".to_owned(),
                on_forge: false,
                work_dir: None,
            });
        }
        DemoForge {
            root: self.root.clone(),
            source: Self::source(),
            source_dir: self.work_dir(SOURCE),
            branch: "main".to_owned(),
            base: self.first,
            head: update,
            explicit_range: false,
            targets,
            pushed: format!(
                "{} to {SOURCE} `main`: \"webpush: retry failed subscriptions, bump flask\"",
                crate::git::short_oid(update)
            ),
        }
    }

    /// Pushes a second source commit that changes both webpush features (and a test file the react cousin
    /// excludes); returns it.
    pub fn push_update(&self) -> Result<Oid, DemoSampleError> {
        self.push(
            SOURCE,
            &[
                ("features/webpush/flask/app.py", FLASK_APP_V2),
                (
                    "features/webpush/flask/requirements.txt",
                    "flask==3.1.0\npywebpush==2.0.1\n",
                ),
                (
                    "features/webpush/react/src/subscribe.js",
                    REACT_SUBSCRIBE_V2,
                ),
                (
                    "features/webpush/react/src/subscribe.test.js",
                    "test('subscribes', () => {});\n",
                ),
            ],
            "webpush: retry failed subscriptions, bump flask",
        )
    }

    /// Commits `files` (path, content) on `main` of the clone of `repo` (`owner/name`) and pushes it to the
    /// forge, as a developer would; returns the new commit.
    pub fn push(
        &self,
        repo: &str,
        files: &[(&str, &str)],
        message: &str,
    ) -> Result<Oid, DemoSampleError> {
        let git = Repository::open(self.work_dir(repo)).map_err(|e| self.git(e))?;
        self.write_all(repo, files)?;
        let id = self.commit(&git, message, &[])?;
        self.publish(repo)?;
        Ok(id)
    }

    fn git(&self, source: git2::Error) -> DemoSampleError {
        DemoSampleError::Git {
            dir: self.root.clone(),
            source,
        }
    }

    fn init_work(&self, repo: &str) -> Result<Repository, DemoSampleError> {
        let dir = self.work_dir(repo);
        let mut opts = RepositoryInitOptions::new();
        opts.initial_head("main");
        let git = Repository::init_opts(&dir, &opts).map_err(|e| self.git(e))?;
        let bare = self.forge_dir().join(format!("{repo}.git"));
        let mut bare_opts = RepositoryInitOptions::new();
        bare_opts.bare(true).initial_head("main");
        Repository::init_opts(&bare, &bare_opts).map_err(|e| self.git(e))?;
        git.remote("origin", &bare.to_string_lossy())
            .map_err(|e| self.git(e))?;
        Ok(git)
    }

    fn write_all(&self, repo: &str, files: &[(&str, &str)]) -> Result<(), DemoSampleError> {
        let dir = self.work_dir(repo);
        for (rel, content) in files {
            let path = dir.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|source| DemoSampleError::Io {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
            std::fs::write(&path, content)
                .map_err(|source| DemoSampleError::Io { path, source })?;
        }
        Ok(())
    }

    /// Commits the whole work tree on `main` with the given parents (none: the current HEAD, if any).
    fn commit(
        &self,
        repo: &Repository,
        message: &str,
        parents: &[Oid],
    ) -> Result<Oid, DemoSampleError> {
        let git = |e| self.git(e);
        let mut index = repo.index().map_err(git)?;
        index
            .add_all(["*"], IndexAddOption::DEFAULT, None)
            .map_err(git)?;
        index.write().map_err(git)?;
        let tree = repo
            .find_tree(index.write_tree().map_err(git)?)
            .map_err(git)?;
        let t = self.clock.get() + 60;
        self.clock.set(t);
        let sig = Signature::new("Demo", "demo@example.com", &Time::new(t, 0)).map_err(git)?;
        let mut parent_ids = parents.to_vec();
        if parent_ids.is_empty()
            && let Ok(h) = repo.head().and_then(|h| h.peel_to_commit())
        {
            parent_ids.push(h.id());
        }
        let parents: Vec<git2::Commit> = parent_ids
            .iter()
            .map(|p| repo.find_commit(*p))
            .collect::<Result<_, _>>()
            .map_err(git)?;
        let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parent_refs)
            .map_err(git)
    }

    /// Pushes `main` of the clone to its bare repository on the forge.
    fn publish(&self, repo: &str) -> Result<(), DemoSampleError> {
        let git = Repository::open(self.work_dir(repo)).map_err(|e| self.git(e))?;
        let mut remote = git.find_remote("origin").map_err(|e| self.git(e))?;
        remote
            .push(&["+refs/heads/main:refs/heads/main"], None)
            .map_err(|e| self.git(e))?;
        // Keep the clone's view of its remote current, as after a real push.
        let head = git
            .refname_to_id("refs/heads/main")
            .map_err(|e| self.git(e))?;
        git.reference("refs/remotes/origin/main", head, true, "demo: publish")
            .map_err(|e| self.git(e))?;
        Ok(())
    }
}

/// Copies the objects reachable from `tip` in `from` into `to` (a fork shares its parent's history).
fn copy_history(from: &Repository, to: &Repository, tip: Oid) -> Result<(), git2::Error> {
    let path = from.path().to_string_lossy().into_owned();
    let mut remote = to.remote_anonymous(&path)?;
    remote.fetch(
        &["+refs/heads/main:refs/ecosync/demo-fork-base"],
        None,
        None,
    )?;
    // The source's `main` is `tip` while the sample is being built.
    debug_assert_eq!(to.refname_to_id("refs/ecosync/demo-fork-base")?, tip);
    to.find_reference("refs/ecosync/demo-fork-base")?.delete()?;
    Ok(())
}

const FLASK_APP_V1: &str = "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.post(\"/subscribe\")\ndef subscribe():\n    return {\"ok\": True}\n";
const FLASK_APP_V2: &str = "from flask import Flask\n\napp = Flask(__name__)\nMAX_RETRIES = 3\n\n\n@app.post(\"/subscribe\")\ndef subscribe():\n    return {\"ok\": True, \"retries\": MAX_RETRIES}\n";
const REACT_SUBSCRIBE_V1: &str = "export async function subscribe(reg) {\n  return reg.pushManager.subscribe({ userVisibleOnly: true });\n}\n";
const REACT_SUBSCRIBE_V2: &str = "export async function subscribe(reg, retries = 3) {\n  for (let i = 0; ; i++) {\n    try {\n      return await reg.pushManager.subscribe({ userVisibleOnly: true });\n    } catch (e) {\n      if (i + 1 >= retries) throw e;\n    }\n  }\n}\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_source_and_cousins_on_the_forge() {
        let dir = tempfile::tempdir().unwrap();
        let sample = DemoSample::create(dir.path(), 1_800_000_000).unwrap();
        let forge = sample.forge_dir();
        let source = Repository::open_bare(forge.join("acme/webdev-monorepo.git")).unwrap();
        assert_eq!(
            source.refname_to_id("refs/heads/main").unwrap(),
            sample.first
        );
        let fork = Repository::open_bare(forge.join("acme/webdev-fork.git")).unwrap();
        let fork_head = fork
            .find_commit(fork.refname_to_id("refs/heads/main").unwrap())
            .unwrap();
        assert_eq!(
            fork_head.parent_id(0).unwrap(),
            sample.first,
            "the fork shares the source's history"
        );
        let update = sample.push_update().unwrap();
        assert_eq!(source.refname_to_id("refs/heads/main").unwrap(), update);
        let flask = Repository::open_bare(forge.join("acme/flask-webpush.git")).unwrap();
        let msg = flask
            .find_commit(flask.refname_to_id("refs/heads/main").unwrap())
            .unwrap()
            .message()
            .unwrap()
            .to_owned();
        assert!(
            msg.contains(&format!(
                "Ecosync-Upstream: acme/webdev-monorepo@{}",
                sample.first
            )),
            "{msg}"
        );
    }
}
