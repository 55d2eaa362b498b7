//! The crate's one error type: each variant says what went wrong and, where a person
//! can do something about it, what.

use std::path::PathBuf;
use std::sync::Arc;

/// What went wrong opening, reading or writing the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The database file could not be opened or configured.
    #[error("cannot open the database {path}: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// SQLite's answer.
        #[source]
        source: rusqlite::Error,
    },
    /// The database was written by a newer binary: its schema is unknown to this one.
    #[error(
        "the database {path} has schema version {found}, newer than the {supported} this binary \
         knows; run the newer binary, or point the data directory elsewhere"
    )]
    SchemaTooNew {
        /// The database file.
        path: PathBuf,
        /// Its `PRAGMA user_version`.
        found: u32,
        /// The highest version this binary migrates to.
        supported: u32,
    },
    /// A migration failed; the database stays at the version before it.
    #[error("migration to schema version {version} failed: {source}")]
    Migration {
        /// The version it would have reached.
        version: u32,
        /// SQLite's answer.
        #[source]
        source: rusqlite::Error,
    },
    /// A query or statement failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored document could not be encoded or decoded.
    #[error("the stored {what} is not valid JSON of its shape: {source}")]
    Document {
        /// Which document (`action /guest/hello`, `activation annotations`).
        what: String,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
    /// An action of that name exists and the put did not allow replacing it (upstream's
    /// 409 `resource already exists`), or its revision is not the one expected.
    #[error("action /{namespace}/{name} already exists at another revision")]
    Conflict {
        /// The namespace.
        namespace: String,
        /// The action's name.
        name: String,
    },
    /// An activation with that id is stored already in the namespace; the first one stays.
    #[error("activation {activation_id} of {namespace} is stored already")]
    DuplicateActivation {
        /// The namespace.
        namespace: String,
        /// The id.
        activation_id: String,
    },
    /// A version is not `major.minor.patch`.
    #[error("version `{0}` is not of the form major.minor.patch")]
    Version(String),
    /// A number does not fit the database's 64-bit signed integers.
    #[error("{what} {value} is out of range for the database")]
    OutOfRange {
        /// What it is (`activation start`).
        what: &'static str,
        /// The value.
        value: u64,
    },
    /// The commit holding a record failed: every record of that batch is lost.
    #[error("the batch holding this record failed to commit: {0}")]
    Batch(#[source] Arc<StoreError>),
    /// The writer thread is gone (the store was closed, or the thread died).
    #[error("the store's writer thread is gone: the record was not stored")]
    WriterGone,
    /// One of the store's threads could not be started.
    #[error("cannot start the store's {thread} thread: {source}")]
    ThreadSpawn {
        /// Which (`writer`, `checkpoint`).
        thread: &'static str,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A blocking task running a query panicked or was cancelled.
    #[error("a database task did not finish: {0}")]
    Task(#[source] tokio::task::JoinError),
    /// The operating system gave no random bytes for a key or revision.
    #[error(transparent)]
    Random(#[from] proxy_core::random::NoRandomness),
}
