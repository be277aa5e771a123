//! Which process is still streaming into a reply: one advisory lock file per open history.
//!
//! Contract:
//! - Each [`HistoryDb`](super::HistoryDb) holds an exclusive lock on
//!   `<history file>.writers/<writer id>.lock` for as long as it lives; a reply row being
//!   streamed records that writer id. The lock is released by the operating system when the
//!   process dies, however it dies, so "the lock can be taken" means "the writer is gone".
//! - A lock file is created under a temporary name and renamed only once it is locked, so
//!   nobody can mistake a writer that is starting for a dead one.
//! - Locks are `File::try_lock` (flock on Unix, LockFileEx on Windows): they work the same on
//!   Linux, macOS and Windows, and conflict between two handles in one process as between
//!   two processes. A process id was used before; it cannot be checked cheaply on macOS and
//!   Windows, and a reused id looks alive.
//! - Writer ids read from the database are only used as file names once they parse as UUIDs.
//! - An in-memory history (`:memory:`) or one opened by URI has no lock directory; its rows
//!   are only ever seen by the process that wrote them.

use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

const LOCK_SUFFIX: &str = ".lock";

/// The lock this process holds while its history is open.
#[derive(Debug)]
pub(crate) struct WriterLock {
    id: String,
    path: PathBuf,
    file: File,
}

/// Where the lock files of the history at `db_path` live, if it is a plain file.
pub(crate) fn writers_dir(db_path: &Path) -> Option<PathBuf> {
    let shown = db_path.to_string_lossy();
    if shown.is_empty() || shown == ":memory:" || shown.starts_with("file:") {
        return None;
    }
    Some(PathBuf::from(format!("{shown}.writers")))
}

impl WriterLock {
    /// Creates and locks a lock file of our own in `dir` (created `0700` if missing).
    pub(crate) fn acquire(dir: &Path) -> std::io::Result<WriterLock> {
        crate::files::create_private_dir(dir)?;
        let id = uuid::Uuid::new_v4().to_string();
        let staging = dir.join(format!("{id}.starting"));
        let path = dir.join(format!("{id}{LOCK_SUFFIX}"));
        let file = private_options().open(&staging)?;
        let locked = file
            .try_lock()
            .map_err(std::io::Error::from)
            .and_then(|()| {
                std::fs::rename(&staging, &path)?;
                Ok(())
            });
        if let Err(e) = locked {
            let _ = std::fs::remove_file(&staging);
            return Err(e);
        }
        Ok(WriterLock { id, path, file })
    }

    pub(crate) fn id(&self) -> &str {
        &self.id
    }
}

impl Drop for WriterLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
        let _ = std::fs::remove_file(&self.path);
    }
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Whether the writer `id` still holds its lock. A writer found dead has its lock file
/// removed. When the answer cannot be known (the file cannot be opened for another reason),
/// the writer counts as alive: a reply shown as still streaming is better than one cut off.
pub(crate) fn is_alive(dir: &Path, id: &str) -> bool {
    if uuid::Uuid::parse_str(id).is_err() {
        return false;
    }
    let path = dir.join(format!("{id}{LOCK_SUFFIX}"));
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return false,
        Err(e) => {
            tracing::warn!(error = %e, "cannot tell whether another writer is alive");
            return true;
        }
    };
    match file.try_lock() {
        Ok(()) => {
            let _ = std::fs::remove_file(&path);
            let _ = file.unlock();
            false
        }
        Err(std::fs::TryLockError::WouldBlock) => true,
        Err(std::fs::TryLockError::Error(e)) => {
            tracing::warn!(error = %e, "cannot tell whether another writer is alive");
            true
        }
    }
}

/// Removes the lock files of writers that died without cleaning up (a crash, a kill).
pub(crate) fn remove_stale(dir: &Path, me: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(id) = name.to_str().and_then(|n| n.strip_suffix(LOCK_SUFFIX)) else {
            continue;
        };
        if id != me {
            is_alive(dir, id);
        }
    }
}
