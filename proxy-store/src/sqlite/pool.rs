//! Connections lent to blocking tasks. SQLite calls block, so each query runs on
//! tokio's blocking pool with a connection of its own; a semaphore bounds how many run
//! at once to the number of connections, and the rest wait asynchronously.
//!
//! Why a pool of readers rather than one mutex'd connection: in WAL mode readers do
//! not block each other or the writer, so with one connection an API list (tens of
//! ms for a page of large documents) would hold up every `GET` and every
//! authentication behind it; with a few, they run side by side. The pool is as large
//! as the machine has cores (SQLite work is CPU-bound once the pages are cached).

use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use crate::StoreError;

/// A fixed set of connections.
#[derive(Debug)]
pub(crate) struct ConnectionPool {
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl ConnectionPool {
    /// A pool of `connections` (at least one).
    pub(crate) fn new(connections: Vec<Connection>) -> Arc<Self> {
        assert!(!connections.is_empty(), "a connection pool needs a connection");
        let permits = Semaphore::new(connections.len());
        Arc::new(ConnectionPool { idle: Mutex::new(connections), permits })
    }

    /// Runs `query` with a connection of the pool on the blocking pool.
    pub(crate) async fn run<T, F>(self: &Arc<Self>, query: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let permit = self.permits.acquire().await.expect("the pool's semaphore is never closed");
        let pool = Arc::clone(self);
        let answer = tokio::task::spawn_blocking(move || {
            let mut lent = Lent { pool: &pool, conn: pool.take() };
            query(lent.conn.as_mut().expect("a permit guarantees an idle connection"))
        })
        .await
        .map_err(StoreError::Task);
        drop(permit);
        answer?
    }

    fn take(&self) -> Option<Connection> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop()
    }
}

/// A lent connection, given back when the query ends, even by a panic, so the pool
/// never shrinks.
struct Lent<'a> {
    pool: &'a ConnectionPool,
    conn: Option<Connection>,
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.idle.lock().unwrap_or_else(PoisonError::into_inner).push(conn);
        }
    }
}
