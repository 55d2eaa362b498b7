//! The store as the pool's activation sink: every activation the container proxies
//! finish is queued for the writer, and the proxy goes on at once.

use async_trait::async_trait;
use proxy_core::container::{AckKind, Activation, ActivationSink};

use crate::doc::ActivationDoc;
use crate::{Durable, SqliteStore, Store, StoreError};

impl SqliteStore {
    /// Queues `activation` (its instants placed on [`SqliteStore::clock`]); returns once
    /// it is queued, with the future that resolves when it is durable. A sink that
    /// must answer a blocking caller only with a durable record (the server's) calls
    /// this from its own `store` and hands the future to the waiting request.
    pub async fn queue_activation(&self, activation: &Activation) -> Result<Durable, StoreError> {
        self.insert_activation(ActivationDoc::from_activation(activation, self.clock())).await
    }
}

/// Stores, and acknowledges nothing: acknowledgements go to whoever waits for them
/// (the server's controller side), which wraps this sink.
#[async_trait]
impl ActivationSink for SqliteStore {
    async fn ack(&self, _kind: AckKind, _activation: &Activation, _blocking: bool) {}

    /// Queues the record; the writer logs a record it could not store.
    async fn store(&self, activation: &Activation, _blocking: bool) {
        if let Err(error) = self.queue_activation(activation).await {
            tracing::error!(%error, activation_id = %activation.activation_id, "activation not queued for the store");
        }
    }
}
