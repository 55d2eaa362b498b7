//! The activation writer: one thread that owns a connection and commits activations
//! in batches (group commit). Whatever is queued when a commit starts goes into that
//! one transaction, so under load the cost of a commit (its fsync) is shared by every
//! record that arrived while the previous one ran, and a lone record is committed at
//! once, without waiting for company.
//!
//! Callers only queue (a bounded channel: when the writer falls that far behind,
//! queueing waits, which bounds memory). Each record comes with a sender that is
//! resolved when its batch commits; a flush marker is resolved with the batch that
//! holds it, which, the channel being in order, also holds or follows every record
//! queued before it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use super::activations;
use super::checkpoint::Nudge;
use crate::doc::ActivationDoc;
use crate::StoreError;

/// What the writer is asked to do.
#[derive(Debug)]
pub(crate) enum Command {
    /// Store the record; answer when it is durable.
    Insert(Box<ActivationDoc>, oneshot::Sender<Result<(), StoreError>>),
    /// Answer when everything queued before is durable.
    Flush(oneshot::Sender<Result<(), StoreError>>),
    /// Commit everything queued before, then stop; what is queued after is dropped,
    /// and its callers learn that from their senders being dropped.
    Stop,
}

/// What the writer has done so far.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    batches: AtomicU64,
    records: AtomicU64,
}

/// How many batches the writer committed and how many records they held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriterStats {
    /// Transactions committed.
    pub batches: u64,
    /// Records inserted by them (duplicates not counted).
    pub records: u64,
}

impl Counters {
    pub(crate) fn read(&self) -> WriterStats {
        WriterStats {
            batches: self.batches.load(Ordering::Relaxed),
            records: self.records.load(Ordering::Relaxed),
        }
    }
}

/// A started writer.
pub(crate) struct Writer {
    /// Where commands go.
    pub(crate) queue: mpsc::Sender<Command>,
    /// What it has done.
    pub(crate) counters: Arc<Counters>,
    /// Its thread.
    pub(crate) thread: std::thread::JoinHandle<()>,
}

/// Starts the writer on `conn`; it stops when every sender is dropped and the queue
/// is drained, or at a [`Command::Stop`]. `batch_limit` caps a batch (usize::MAX:
/// everything queued). `checkpoints` is nudged after each commit: the writer's
/// connection does not checkpoint itself (see the `checkpoint` module).
pub(crate) fn spawn(
    conn: Connection,
    checkpoints: Nudge,
    capacity: usize,
    batch_limit: usize,
) -> Result<Writer, StoreError> {
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    let (tx, rx) = mpsc::channel(capacity);
    let counters = Arc::new(Counters::default());
    let thread_counters = Arc::clone(&counters);
    let thread = std::thread::Builder::new()
        .name("proxy-store-writer".into())
        .spawn(move || run(conn, rx, &thread_counters, &checkpoints, batch_limit.max(1)))
        .map_err(|source| StoreError::ThreadSpawn { thread: "writer", source })?;
    Ok(Writer { queue: tx, counters, thread })
}

fn run(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Command>,
    counters: &Counters,
    checkpoints: &Nudge,
    batch_limit: usize,
) {
    let mut batch = Vec::new();
    let mut stopping = false;
    while !stopping {
        let Some(first) = rx.blocking_recv() else { break };
        let mut next = Some(first);
        while let Some(command) = next.take() {
            batch.push(match command {
                Command::Insert(doc, done) => Entry::Insert(doc, done),
                Command::Flush(done) => Entry::Flush(done),
                Command::Stop => {
                    stopping = true;
                    break;
                }
            });
            if batch.len() < batch_limit {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            commit(&mut conn, &mut batch, counters);
            checkpoints.nudge();
        }
    }
}

/// A command of a batch.
enum Entry {
    Insert(Box<ActivationDoc>, oneshot::Sender<Result<(), StoreError>>),
    Flush(oneshot::Sender<Result<(), StoreError>>),
}

/// Commits `batch` in one transaction and answers each command of it, leaving it empty.
fn commit(conn: &mut Connection, batch: &mut Vec<Entry>, counters: &Counters) {
    let mut answers = Vec::with_capacity(batch.len());
    let outcome = (|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut inserted = 0;
        for command in batch.drain(..) {
            match command {
                Entry::Insert(doc, done) => {
                    // One record's failure (a duplicate id) is its own: the rest commit.
                    let answer = match activations::insert(&tx, &doc) {
                        Ok(true) => {
                            inserted += 1;
                            Ok(())
                        }
                        Ok(false) => Err(StoreError::DuplicateActivation {
                            namespace: doc.namespace.clone(),
                            activation_id: doc.activation_id.clone(),
                        }),
                        Err(error) => Err(error),
                    };
                    answers.push((done, answer));
                }
                Entry::Flush(done) => answers.push((done, Ok(()))),
            }
        }
        tx.commit()?;
        Ok::<_, StoreError>(inserted)
    })();
    match outcome {
        Ok(inserted) => {
            counters.batches.fetch_add(1, Ordering::Relaxed);
            counters.records.fetch_add(inserted, Ordering::Relaxed);
            for (done, answer) in answers {
                if let Err(error) = &answer {
                    tracing::warn!(%error, "activation not stored");
                }
                // A caller that stopped waiting does not mind.
                let _ = done.send(answer);
            }
        }
        Err(error) => {
            tracing::error!(%error, records = answers.len(), "activation batch failed to commit; its records are lost");
            let error = Arc::new(error);
            // Commands drained before the failure got answers queued; those not yet
            // drained (the transaction could not begin) are still in `batch`.
            let unanswered = batch.drain(..).map(|entry| match entry {
                Entry::Insert(_, done) | Entry::Flush(done) => done,
            });
            for done in answers.into_iter().map(|(done, _)| done).chain(unanswered) {
                let _ = done.send(Err(StoreError::Batch(Arc::clone(&error))));
            }
        }
    }
}
