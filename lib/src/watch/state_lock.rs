//! `StateLock`: one watcher per state directory. Two watchers on one directory would both deliver every
//! push; the second one refuses to start and names the first (its process id, written in the lock file).
//!
//! An advisory lock on `watch.lock` in the directory, which the operating system releases when the
//! process ends, however it ends (a SIGKILL included): it never goes stale. Within one process the lock
//! is shared: asking again for a directory this process holds gives the same lock.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

use crate::watch::watch_state::WatchStateError;

/// The lock file's name in the state directory.
pub const LOCK_FILE: &str = "watch.lock";

/// A held lock on a state directory; released when the last clone is dropped (or the process ends).
#[derive(Debug)]
pub struct StateLock {
    path: PathBuf,
    _file: File,
}

/// The locks this process holds, by lock file.
fn held() -> &'static Mutex<HashMap<PathBuf, Weak<StateLock>>> {
    static HELD: OnceLock<Mutex<HashMap<PathBuf, Weak<StateLock>>>> = OnceLock::new();
    HELD.get_or_init(Mutex::default)
}

impl StateLock {
    /// Takes the lock of the state directory `dir` (creating the directory), or fails naming the process
    /// that holds it.
    pub fn acquire(dir: &Path) -> Result<Arc<StateLock>, WatchStateError> {
        std::fs::create_dir_all(dir).map_err(|source| WatchStateError::Io {
            what: "create the state directory",
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(LOCK_FILE);
        // The directory exists now: its canonical name is the same however it was spelled.
        let key = dir
            .canonicalize()
            .map_or_else(|_| path.clone(), |d| d.join(LOCK_FILE));
        let mut locks = held().lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(lock) = locks.get(&key).and_then(Weak::upgrade) {
            return Ok(lock);
        }
        let io = |what: &'static str| {
            let path = path.clone();
            move |source| WatchStateError::Io { what, path, source }
        };
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io("create the lock file"))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                return Err(WatchStateError::Locked {
                    dir: dir.to_path_buf(),
                    holder: text.trim().parse().ok(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io("lock")(e)),
        }
        // Who holds it, for the next one to name.
        file.set_len(0).map_err(io("write the lock file"))?;
        file.rewind().map_err(io("write the lock file"))?;
        writeln!(file, "{}", std::process::id()).map_err(io("write the lock file"))?;
        let lock = Arc::new(StateLock { path, _file: file });
        locks.insert(key, Arc::downgrade(&lock));
        Ok(lock)
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_process_shares_its_lock() {
        let dir = tempfile::tempdir().unwrap();
        // Not there yet at the first call, spelled differently at the second.
        let state = dir.path().join("state");
        let a = StateLock::acquire(&state).unwrap();
        let b = StateLock::acquire(&state.join("..").join("state")).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let pid = std::fs::read_to_string(a.path()).unwrap();
        assert_eq!(pid.trim(), std::process::id().to_string());
    }
}
