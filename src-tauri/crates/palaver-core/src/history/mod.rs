//! Conversation history in one SQLite file owned by Rust, readable and searchable offline.
//!
//! Contract:
//! - One file, `history.db` in the data directory, shared by the app and the CLI. WAL,
//!   `synchronous=NORMAL`, foreign keys on, a busy timeout so both can write.
//! - Migrations are numbered SQL files embedded in the binary; `PRAGMA user_version` says
//!   which ran. Before any migration of an existing file, a copy is written next to it
//!   (`history.db.before-v<N>`).
//! - A file that cannot be opened — corrupt, from a newer Palaver, on a read-only disk — is
//!   reported with a clear message and never written to.
//! - Nothing shown is lost: the user message is stored before the request goes out; the
//!   reply row exists from the start (`streaming`) and is checkpointed while it grows; rows
//!   left `streaming` by a writer that is gone (its lock file, see `writers`) become
//!   `interrupted` at the next start.
//! - A checkpoint costs what is new: the new text is appended to `message_parts`, and a
//!   streaming reply is kept out of the full-text index until it ends, when its whole text
//!   is written to `messages.content` and indexed once.
//! - Messages form a tree (`parent_id`): an edit or a regeneration adds a sibling, so the
//!   earlier versions stay. A conversation remembers which leaf it shows. Every walk of the
//!   tree is bounded by [`MAX_TREE_DEPTH`] and stops at a loop, so a damaged file is shown
//!   as far as it makes sense and never hangs a read; imports refuse such trees.
//! - Deleting a conversation removes its rows, its index entries (FTS5 `secure-delete`, so
//!   no term stays in the index blocks), and (with `secure_delete` and a WAL checkpoint) its
//!   text from the file.
//! - On Unix the data directory is `0700` and the history file `0600` (SQLite gives its
//!   `-wal` and `-shm` files the mode of the database); looser ones are tightened on open.
//!
//! It knows nothing of Tauri; the app and the CLI call it the same way.

mod export;
#[cfg(test)]
mod prop_tests;
mod search;
mod store;
mod writers;

pub use export::{ExportFile, ImportProgress, ImportReport, RejectedConversation};
pub use search::SearchHit;

/// The characters that mark a match in a search snippet.
pub mod search_marks {
    pub use super::search::{MARK_END as END, MARK_START as START};
}
pub use store::{
    ConversationSummary, ConversationView, MessageStatus, Source, StoredMessage, Turn, TurnKind,
    TurnRequest,
};

use crate::files::{create_private_dir, create_private_file};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

pub const FILE_NAME: &str = "history.db";

/// Each entry upgrades the schema by one version; index + 1 is the version it produces.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_initial.sql"),
    include_str!("migrations/002_secure_delete_and_appended_checkpoints.sql"),
    include_str!("migrations/003_profile_per_message.sql"),
];
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The deepest message tree the store walks or imports: far beyond any real conversation
/// (a reply every minute for two months), small enough that a walk of it is quick.
pub const MAX_TREE_DEPTH: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("The history file {path} cannot be opened: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("The history file {path} is damaged ({detail}). It was left untouched; move it away to start a new history, or restore a copy.")]
    Corrupt { path: PathBuf, detail: String },
    #[error("The history file {path} was written by a newer Palaver (schema {found}, this one knows {known}). It was left untouched; update Palaver to read it.")]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("Could not copy the history before upgrading it: {0}")]
    Backup(String),
    #[error("No such {0}.")]
    NotFound(&'static str),
    #[error("{0}")]
    Invalid(String),
    #[error("The history could not be read or written: {0}")]
    Sql(#[from] rusqlite::Error),
}

impl HistoryError {
    /// True when the disk is full or read-only: the user can fix it and nothing is lost yet.
    pub fn is_storage_full(&self) -> bool {
        matches!(self, HistoryError::Sql(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::DiskFull)
    }
}

pub type Result<T> = std::result::Result<T, HistoryError>;

pub struct HistoryDb {
    conn: Mutex<Connection>,
    path: PathBuf,
    /// Held while this history is open; none for an in-memory one.
    writer: Option<writers::WriterLock>,
}

impl HistoryDb {
    /// The history of this user: `history.db` in the data directory, which is created
    /// private (`0700`) or tightened to that.
    pub fn open_default() -> Result<HistoryDb> {
        let dir = crate::paths::data_dir();
        create_private_dir(&dir).map_err(|e| HistoryError::Open {
            path: dir.clone(),
            reason: e.to_string(),
        })?;
        HistoryDb::open(&dir.join(FILE_NAME))
    }

    pub fn open(path: &Path) -> Result<HistoryDb> {
        let existed = path.exists();
        let lock_dir = writers::writers_dir(path);
        if lock_dir.is_some() {
            create_private_file(path).map_err(|e| HistoryError::Open {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let open_error = |e: rusqlite::Error| HistoryError::Open {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        let conn = Connection::open_with_flags(path, flags).map_err(open_error)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(open_error)?;

        if existed {
            check_integrity(&conn, path)?;
        }
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| corrupt(path, e))?;
        if version > SCHEMA_VERSION {
            return Err(HistoryError::NewerSchema {
                path: path.to_owned(),
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        set_pragmas(&conn).map_err(|e| HistoryError::Open {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        if version < SCHEMA_VERSION {
            if existed && version > 0 {
                backup(&conn, path, version)?;
            }
            migrate(&conn, version)?;
        }
        let writer = match lock_dir {
            Some(dir) => {
                Some(
                    writers::WriterLock::acquire(&dir).map_err(|e| HistoryError::Open {
                        path: dir.clone(),
                        reason: e.to_string(),
                    })?,
                )
            }
            None => None,
        };
        Ok(HistoryDb {
            conn: Mutex::new(conn),
            path: path.to_owned(),
            writer,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn corrupt(path: &Path, e: rusqlite::Error) -> HistoryError {
    HistoryError::Corrupt {
        path: path.to_owned(),
        detail: e.to_string(),
    }
}

/// A cheap check that the file is a readable SQLite database. A full `quick_check` would
/// read the whole file and make start-up grow with the history; deeper damage surfaces as
/// an error on the query that meets it, and is never "repaired" by writing.
fn check_integrity(conn: &Connection, path: &Path) -> Result<()> {
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| corrupt(path, e))?;
    Ok(())
}

fn backup(conn: &Connection, path: &Path, version: i64) -> Result<()> {
    let copy = PathBuf::from(format!("{}.before-v{}", path.display(), SCHEMA_VERSION));
    // Each opener writes a copy of its own and renames it into place: two processes that
    // open an old file at once (the app and the CLI) must not write into one file together.
    let partial = PathBuf::from(format!(
        "{}.{}.partial",
        copy.display(),
        uuid::Uuid::new_v4().simple()
    ));
    let result = (|| {
        // The copy holds the whole history: create it private; VACUUM INTO fills an empty file.
        create_private_file(&partial).map_err(|e| HistoryError::Backup(e.to_string()))?;
        conn.execute("VACUUM INTO ?1", [partial.to_string_lossy()])
            .map_err(|e| HistoryError::Backup(format!("{e} (schema {version})")))?;
        std::fs::rename(&partial, &copy).map_err(|e| HistoryError::Backup(e.to_string()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// WAL and friends. Switching a new file to WAL takes a lock the busy handler does not
/// wait for, so a second process opening the same new file (the app and the CLI at once)
/// retries briefly instead of failing.
fn set_pragmas(conn: &Connection) -> rusqlite::Result<()> {
    let mut attempt = 0;
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
            Ok(_) => break,
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && attempt < 50 =>
            {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(e),
        }
    }
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON;",
    )
}

/// Runs each pending migration in its own write transaction. The version is read again
/// under the lock: another process may have migrated the file meanwhile.
fn migrate(conn: &Connection, from: i64) -> Result<()> {
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        let version = index as i64 + 1;
        conn.execute_batch("BEGIN IMMEDIATE;")?;
        let result = (|| -> rusqlite::Result<()> {
            let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if current < version {
                conn.execute_batch(&format!("{sql}\nPRAGMA user_version = {version};"))?;
            }
            Ok(())
        })();
        match result {
            Ok(()) => conn.execute_batch("COMMIT;")?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK;");
                return Err(e.into());
            }
        }
    }
    Ok(())
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_gets_the_latest_schema() {
        let dir = tempfile::tempdir().unwrap();
        let db = HistoryDb::open(&dir.path().join(FILE_NAME)).unwrap();
        let version: i64 = db
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let mode: String = db
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn a_file_from_before_profiles_per_reply_is_upgraded_after_a_copy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        {
            let conn = Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..2] {
                conn.execute_batch(sql).unwrap();
            }
            conn.execute_batch(
                "PRAGMA user_version = 2;
                 INSERT INTO conversations (id, title, created_at, updated_at, model, profile)
                   VALUES ('c', 'Old', 1, 1, 'llama3.2', 'home');
                 INSERT INTO messages (id, conversation_id, role, content, created_at, updated_at)
                   VALUES ('q', 'c', 'user', 'Hi', 1, 1);
                 INSERT INTO messages (id, conversation_id, parent_id, role, content, model, created_at, updated_at)
                   VALUES ('a', 'c', 'q', 'assistant', 'Hello', 'llama3.2', 2, 2);
                 UPDATE conversations SET current_leaf_id = 'a';",
            )
            .unwrap();
        }
        let db = HistoryDb::open(&path).unwrap();
        let view = db.conversation("c").unwrap();
        let reply = &view.messages[1];
        assert_eq!(
            (reply.profile.as_str(), reply.model.as_str()),
            ("home", "llama3.2")
        );
        assert_eq!(view.messages[0].profile, "", "a question has no profile");
        let copy = dir
            .path()
            .join(format!("{FILE_NAME}.before-v{SCHEMA_VERSION}"));
        let old = Connection::open(&copy).unwrap();
        let version: i64 = old
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 2, "the copy is the file as it was");
    }

    #[test]
    fn several_processes_may_open_a_new_file_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let handles: Vec<_> = (0..6)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || HistoryDb::open(&path).map(|_| ()))
            })
            .collect();
        for h in handles {
            h.join().unwrap().unwrap();
        }
    }

    #[test]
    fn a_corrupt_file_is_reported_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let garbage = b"this is not a database, but it is someone's file".repeat(200);
        std::fs::write(&path, &garbage).unwrap();
        let err = HistoryDb::open(&path).err().unwrap();
        assert!(matches!(err, HistoryError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("left untouched"));
        assert_eq!(std::fs::read(&path).unwrap(), garbage);
    }

    #[test]
    fn a_newer_schema_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        drop(HistoryDb::open(&path).unwrap());
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(&format!("PRAGMA user_version = {}", SCHEMA_VERSION + 5))
                .unwrap();
            conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
                .unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let err = HistoryDb::open(&path).err().unwrap();
        assert!(matches!(err, HistoryError::NewerSchema { .. }), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn a_read_only_file_gives_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let uri = format!("file:{}?mode=ro", path.display());
        // A database that cannot be created (read-only mode on a missing file).
        let err = HistoryDb::open(Path::new(&uri)).err().unwrap();
        assert!(err.to_string().contains("cannot be opened"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn the_history_file_is_private_and_a_looser_one_is_tightened() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        {
            let db = HistoryDb::open(&path).unwrap();
            db.conn()
                .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
                .unwrap();
            assert_eq!(mode(&path), 0o600);
            for suffix in ["-wal", "-shm"] {
                let side = PathBuf::from(format!("{}{suffix}", path.display()));
                assert_eq!(mode(&side), 0o600, "{}", side.display());
            }
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        drop(HistoryDb::open(&path).unwrap());
        assert_eq!(mode(&path), 0o600);
    }
}
