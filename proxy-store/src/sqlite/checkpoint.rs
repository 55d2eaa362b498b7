//! WAL checkpoints off the writer's path. SQLite's automatic checkpoint runs inside
//! the commit that crosses 1,000 WAL pages, on the committing connection: the records
//! of that batch wait for the whole checkpoint (copying pages into the database file
//! and syncing it). Measured on our machine, that put the p99 of `store()` -> durable
//! at 10 ms for a p50 of 0.15 ms (BENCHMARKS.md section 8). So the writer's
//! connection has automatic checkpoints off, and after each commit it nudges this
//! thread, which waits [`COALESCE`] for more commits and then runs a `PASSIVE`
//! checkpoint on its own connection: one that never waits for or blocks the writer.

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::time::Duration;

use rusqlite::Connection;

use crate::StoreError;

/// How long a nudge waits for more commits before the checkpoint runs.
pub(crate) const COALESCE: Duration = Duration::from_millis(20);

/// The writer's end: nudges the checkpointer, which stops when this is dropped.
#[derive(Debug)]
pub(crate) struct Nudge(SyncSender<()>);

impl Nudge {
    /// Asks for a checkpoint soon; never waits (one pending nudge is enough).
    pub(crate) fn nudge(&self) {
        // Full: a checkpoint is coming anyway. Disconnected: the checkpointer thread
        // panicked; the WAL then grows until the last connection closes, which
        // checkpoints it.
        let _ = self.0.try_send(());
    }
}

/// Starts the checkpointer on `conn`.
pub(crate) fn spawn(conn: Connection) -> Result<Nudge, StoreError> {
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("proxy-store-checkpoint".into())
        .spawn(move || run(&conn, &rx))
        .map_err(|source| StoreError::ThreadSpawn { thread: "checkpoint", source })?;
    Ok(Nudge(tx))
}

fn run(conn: &Connection, nudges: &Receiver<()>) {
    while nudges.recv().is_ok() {
        std::thread::sleep(COALESCE);
        // A checkpoint that could not copy everything (a reader still on old pages)
        // is finished by a later one; an error is logged and the next nudge retries.
        if let Err(error) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(%error, "store WAL checkpoint failed");
        }
    }
}
