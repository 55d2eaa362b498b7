//! The pool's activation sink: the store, plus the blocking requests waiting for
//! their activations.
//!
//! `ack` wakes the request waiting for that activation (a blocking invoke is
//! answered by the acknowledgement, not by polling the store); `store` queues the
//! record for the store's writer, which returns at once (writes never block the ack
//! path), and hands the waiting request the record's [`Durable`], so that the request
//! answers only once the record is committed: an answered activation survives a
//! `kill -9` of the server (deviation D45: upstream answers from the ack alone).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use proxy_core::container::{AckKind, Activation, ActivationSink};
use proxy_store::doc::ActivationDoc;
use proxy_store::{Durable, SqliteStore, Store as _, StoreError};

use crate::board::Board;
use tokio::sync::mpsc;

/// What a waiting request hears about its activation, in this order.
#[derive(Debug)]
pub enum Heard {
    /// The result is in (a `Result` or `CombinedCompletionAndResult` ack).
    Result(Box<ActivationDoc>),
    /// The record, with logs, was queued; the future says when it is durable (or
    /// the error that kept it from the store).
    Stored(Box<ActivationDoc>, Result<Durable, StoreError>),
}

/// The requests waiting for their activations, by activation id.
#[derive(Debug, Default)]
pub struct Waiters {
    waiting: Mutex<HashMap<String, mpsc::UnboundedSender<Heard>>>,
}

/// A request's place among the [`Waiters`]; leaving it (drop) takes it out.
#[derive(Debug)]
pub struct Waiting {
    waiters: Arc<Waiters>,
    activation_id: String,
    /// What the request hears.
    pub heard: mpsc::UnboundedReceiver<Heard>,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.waiters.lock().remove(&self.activation_id);
    }
}

impl Waiters {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, mpsc::UnboundedSender<Heard>>> {
        // The map stays consistent whatever panicked while holding it.
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a request waiting for `activation_id` (before the run is submitted,
    /// so that no acknowledgement can come first).
    pub fn wait_for(self: &Arc<Self>, activation_id: &str) -> Waiting {
        let (tx, heard) = mpsc::unbounded_channel();
        self.lock().insert(activation_id.to_string(), tx);
        Waiting { waiters: Arc::clone(self), activation_id: activation_id.to_string(), heard }
    }

    fn tell(&self, activation_id: &str, heard: Heard) {
        if let Some(tx) = self.lock().get(activation_id) {
            // A request that gave up (answered 202) dropped its receiver: nothing to tell.
            let _ = tx.send(heard);
        }
    }

    /// How many requests wait (for tests and shutdown logs).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The store as the pool's sink, waking the waiting requests.
#[derive(Debug, Clone)]
pub struct ServerSink {
    store: SqliteStore,
    waiters: Arc<Waiters>,
    board: Arc<Board>,
}

impl ServerSink {
    /// A sink storing into `store`, telling `waiters`, and counting on `board`.
    pub fn new(store: SqliteStore, waiters: Arc<Waiters>, board: Arc<Board>) -> Self {
        ServerSink { store, waiters, board }
    }

    fn doc(&self, activation: &Activation) -> ActivationDoc {
        ActivationDoc::from_activation(activation, self.store.clock())
    }
}

#[async_trait]
impl ActivationSink for ServerSink {
    async fn ack(&self, kind: AckKind, activation: &Activation, blocking: bool) {
        let carries_result = matches!(kind, AckKind::Result | AckKind::CombinedCompletionAndResult);
        if blocking && carries_result {
            self.waiters.tell(&activation.activation_id, Heard::Result(Box::new(self.doc(activation))));
        }
    }

    async fn store(&self, activation: &Activation, blocking: bool) {
        self.board.record(activation);
        let doc = self.doc(activation);
        let queued = self.store.insert_activation(doc.clone()).await;
        if let Err(error) = &queued {
            tracing::error!(%error, activation_id = %activation.activation_id, "activation not queued for the store");
        }
        if blocking {
            self.waiters.tell(&activation.activation_id, Heard::Stored(Box::new(doc), queued));
        }
    }
}
