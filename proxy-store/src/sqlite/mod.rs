//! The SQLite store: one database file in a data directory, in WAL mode.
//!
//! Four kinds of connection, each for one job:
//! - the writer thread's (module `writer`): activations, in group commits;
//! - the checkpointer thread's (module `checkpoint`): WAL checkpoints, off the
//!   writer's path;
//! - one for the other writes (actions, subjects), on the blocking pool: they are rare,
//!   and a conflict check must run in the transaction of its write;
//! - a small pool of read-only ones (module `pool`) for every query.
//!
//! SQLite allows one writer at a time; the two writing connections wait for each
//! other through `busy_timeout`, and readers never wait (WAL).

mod actions;
mod activations;
mod checkpoint;
mod pool;
mod schema;
mod subjects;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::mpsc;

use self::pool::ConnectionPool;
pub use self::writer::WriterStats;
use self::writer::{Command, Counters};
use crate::clock::{now_ms, WallClock};
use crate::doc::{
    ActionDoc, ActivationBrief, ActivationDoc, Credentials, ResponseDoc, StoredAction, Subject,
};
use crate::{ActivationQuery, Durable, Page, PutMode, Store, StoreError};

/// The database's file name in the data directory.
pub const DB_FILE: &str = "proxy.db";

/// The schema version this binary migrates to (its `PRAGMA user_version`).
pub const SCHEMA_VERSION: u32 = schema::MIGRATIONS.len() as u32;

/// How the store is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Read connections (default: the number of cores, at least 2).
    pub readers: usize,
    /// Activations that may wait for the writer before queueing waits (default 16,384).
    pub queue: usize,
    /// Most records in one commit (default: no limit, everything queued). 1 commits
    /// each record alone: the baseline of the benchmark, not for use.
    pub batch_limit: usize,
    /// Whether a commit waits for the disk (`synchronous=FULL`: what is durable also
    /// survives a power cut, at the cost of an fsync per commit, 6-8 ms on our VM) or
    /// only for the OS (`NORMAL`, the default: what is durable survives a crash or a
    /// `kill -9` of the process, which is what the server promises; a power cut may
    /// lose the last commits, never corrupt the database).
    pub sync_to_disk: bool,
    /// How long a write waits for the other writing connection's lock before it
    /// fails (default 5 s).
    pub busy_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Options {
            readers: cores.max(2),
            queue: 16_384,
            batch_limit: usize::MAX,
            sync_to_disk: false,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// An opened store, and the guest's key when this open created the guest.
#[derive(Debug)]
pub struct Opened {
    /// The store.
    pub store: SqliteStore,
    /// The guest's key, only on the open that created it: print it once, it is not
    /// kept (only its hash is).
    pub guest: Option<Credentials>,
}

/// A handle to the SQLite store; clones share the database, the writer and the
/// connections. The writer stops when the last handle is dropped, after committing
/// what was queued; [`SqliteStore::close`] waits for that.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    queue: mpsc::Sender<Command>,
    counters: Arc<Counters>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    writes: Arc<ConnectionPool>,
    reads: Arc<ConnectionPool>,
    clock: WallClock,
}

impl SqliteStore {
    /// Opens (creating it if need be) the store in `dir` with default options.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use proxy_store::{SqliteStore, Store};
    /// let dir = tempfile::tempdir().unwrap();
    /// let opened = SqliteStore::open(dir.path()).unwrap();
    /// let guest = opened.guest.expect("the first open creates the guest");
    /// let subject = opened.store.authenticate(&guest.uuid, guest.key()).await.unwrap().unwrap();
    /// assert_eq!(subject.namespace, "guest");
    /// opened.store.close().await;
    /// assert!(SqliteStore::open(dir.path()).unwrap().guest.is_none());
    /// # });
    /// ```
    pub fn open(dir: &Path) -> Result<Opened, StoreError> {
        SqliteStore::open_with(dir, &Options::default())
    }

    /// Opens the store in `dir` with `options`: creates the directory and the
    /// database, migrates the schema, creates the guest on first open, starts the writer.
    pub fn open_with(dir: &Path, options: &Options) -> Result<Opened, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|source| StoreError::DataDir { path: dir.to_path_buf(), source })?;
        let path = dir.join(DB_FILE);
        let synchronous = if options.sync_to_disk { "FULL" } else { "NORMAL" };
        let connect = |flags: OpenFlags| -> Result<Connection, StoreError> {
            let fail = |source| StoreError::Open { path: path.clone(), source };
            let conn = Connection::open_with_flags(&path, flags).map_err(fail)?;
            schema::configure(&conn, synchronous, options.busy_timeout).map_err(fail)?;
            Ok(conn)
        };
        let rw = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut admin = connect(rw)?;
        schema::migrate(&mut admin, &path, schema::MIGRATIONS)?;
        let guest = subjects::ensure_guest(&mut admin, now_ms())?;
        let readers = (0..options.readers.max(1))
            .map(|_| {
                let conn = connect(rw)?;
                // Read-only by a pragma rather than SQLITE_OPEN_READ_ONLY: a read-only
                // open cannot create the WAL's shared-memory file, which may not exist
                // yet (the readers open before the writer).
                conn.pragma_update(None, "query_only", true)
                    .map_err(|source| StoreError::Open { path: path.clone(), source })?;
                Ok(conn)
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let checkpoints = checkpoint::spawn(connect(rw)?)?;
        let writer = writer::spawn(connect(rw)?, checkpoints, options.queue.max(1), options.batch_limit)?;
        let inner = Inner {
            path,
            queue: writer.queue,
            counters: writer.counters,
            writer: Mutex::new(Some(writer.thread)),
            writes: ConnectionPool::new(vec![admin]),
            reads: ConnectionPool::new(readers),
            clock: WallClock::now(),
        };
        Ok(Opened { store: SqliteStore { inner: Arc::new(inner) }, guest })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The clock that places activations' instants in wall time.
    pub fn clock(&self) -> &WallClock {
        &self.inner.clock
    }

    /// The batches and records the writer has committed.
    pub fn writer_stats(&self) -> WriterStats {
        self.inner.counters.read()
    }

    /// Commits what is queued, then stops the writer and waits for it. Later inserts
    /// through any clone fail with [`StoreError::WriterGone`]; reads and action
    /// writes still work.
    pub async fn close(&self) {
        let writer = self.inner.writer.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(writer) = writer {
            // The writer commits everything queued before the stop, then returns; a
            // send failing means it is gone already.
            let _ = self.inner.queue.send(Command::Stop).await;
            if tokio::task::spawn_blocking(move || writer.join()).await.is_err() {
                tracing::error!("the store's writer thread could not be joined");
            }
        }
    }

    /// Runs `read` for activation `activation_id` of `namespace` on a read connection.
    async fn read_activation<T: Send + 'static>(
        &self,
        namespace: &str,
        activation_id: &str,
        read: fn(&Connection, &str, &str) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let (namespace, id) = (namespace.to_string(), activation_id.to_string());
        self.inner.reads.run(move |conn| read(conn, &namespace, &id)).await
    }

    async fn queue(&self, command: Command) -> Result<(), StoreError> {
        self.inner.queue.send(command).await.map_err(|_| StoreError::WriterGone)
    }
}

/// A count as SQLite's integers take it (a count past `i64::MAX` means "all").
fn sql_count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait]
impl Store for SqliteStore {
    async fn put_action(&self, action: ActionDoc, mode: PutMode) -> Result<StoredAction, StoreError> {
        self.inner.writes.run(move |conn| actions::put(conn, action, &mode, now_ms())).await
    }

    async fn get_action(&self, namespace: &str, name: &str) -> Result<Option<StoredAction>, StoreError> {
        let (namespace, name) = (namespace.to_string(), name.to_string());
        self.inner.reads.run(move |conn| actions::get(conn, &namespace, &name)).await
    }

    async fn list_actions(&self, namespace: &str, page: Page) -> Result<Vec<StoredAction>, StoreError> {
        let namespace = namespace.to_string();
        self.inner.reads.run(move |conn| actions::list(conn, &namespace, page)).await
    }

    async fn delete_action(&self, namespace: &str, name: &str) -> Result<Option<StoredAction>, StoreError> {
        let (namespace, name) = (namespace.to_string(), name.to_string());
        self.inner.writes.run(move |conn| actions::delete(conn, &namespace, &name)).await
    }

    async fn insert_activation(&self, activation: ActivationDoc) -> Result<Durable, StoreError> {
        let (done, durable) = Durable::pair();
        self.queue(Command::Insert(Box::new(activation), done)).await?;
        Ok(durable)
    }

    async fn flush(&self) -> Result<(), StoreError> {
        let (done, durable) = Durable::pair();
        self.queue(Command::Flush(done)).await?;
        durable.await
    }

    async fn get_activation(
        &self,
        namespace: &str,
        activation_id: &str,
    ) -> Result<Option<ActivationDoc>, StoreError> {
        self.read_activation(namespace, activation_id, activations::get).await
    }

    async fn list_activations(
        &self,
        namespace: &str,
        query: &ActivationQuery,
    ) -> Result<Vec<ActivationDoc>, StoreError> {
        let (namespace, query) = (namespace.to_string(), query.clone());
        self.inner.reads.run(move |conn| activations::list(conn, &namespace, &query)).await
    }

    async fn list_activation_briefs(
        &self,
        namespace: &str,
        query: &ActivationQuery,
    ) -> Result<Vec<ActivationBrief>, StoreError> {
        let (namespace, query) = (namespace.to_string(), query.clone());
        self.inner.reads.run(move |conn| activations::list_briefs(conn, &namespace, &query)).await
    }

    async fn activation_logs(
        &self,
        namespace: &str,
        activation_id: &str,
    ) -> Result<Option<Vec<String>>, StoreError> {
        self.read_activation(namespace, activation_id, activations::logs).await
    }

    async fn activation_result(
        &self,
        namespace: &str,
        activation_id: &str,
    ) -> Result<Option<ResponseDoc>, StoreError> {
        self.read_activation(namespace, activation_id, activations::response).await
    }

    async fn create_subject(&self, subject: &str, namespace: &str) -> Result<Credentials, StoreError> {
        let (subject, namespace) = (subject.to_string(), namespace.to_string());
        self.inner.writes.run(move |conn| subjects::create(conn, &subject, &namespace, now_ms())).await
    }

    async fn authenticate(&self, uuid: &str, key: &str) -> Result<Option<Subject>, StoreError> {
        let (uuid, key) = (uuid.to_string(), key.to_string());
        self.inner.reads.run(move |conn| subjects::authenticate(conn, &uuid, &key)).await
    }
}
