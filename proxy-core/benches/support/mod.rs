//! What the in-memory benches share: the `instant` backend, whose containers answer
//! every call at once without a timer or a record, and a sink that only counts.
//! `warm` measures the proxy on it, `pool` the pool and the proxies.

// Each bench uses the part it needs.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use proxy_core::container::client::{ContainerResponse, RunResult};
use proxy_core::container::{
    AckKind, Activation, ActivationSink, Container, ContainerFactory, ContainerFacts, ContainerId,
    CreateSpec, Interval, LogRead, Logs, OperationError, ResponseLimits, StartupError, Symptom,
};
use serde_json::{Map, Value};

pub(crate) mod pool;

/// Creates [`InstantContainer`]s and counts them.
#[derive(Default)]
pub(crate) struct InstantFactory {
    created: AtomicU64,
}

impl InstantFactory {
    /// How many containers it has created.
    pub(crate) fn created(&self) -> u64 {
        self.created.load(Ordering::Relaxed)
    }
}

#[async_trait]
impl ContainerFactory for InstantFactory {
    async fn create(&self, _spec: CreateSpec) -> Result<Arc<dyn Container>, StartupError> {
        let n = self.created.fetch_add(1, Ordering::Relaxed);
        Ok(Arc::new(InstantContainer { id: ContainerId(format!("instant-{n}")) }))
    }
}

/// A container whose every call succeeds at once, without a timer or a record.
#[derive(Debug)]
pub(crate) struct InstantContainer {
    id: ContainerId,
}

#[async_trait]
impl Container for InstantContainer {
    fn id(&self) -> &ContainerId {
        &self.id
    }

    fn addr(&self) -> Option<std::net::SocketAddr> {
        None
    }

    async fn initialize(&self, _: Value, _: Duration, _: usize) -> RunResult {
        answer("OK")
    }

    async fn run(&self, _: Value, _: Map<String, Value>, _: Duration, _: ResponseLimits) -> RunResult {
        answer("{}")
    }

    async fn facts(&self, _: std::time::SystemTime, _: Symptom) -> ContainerFacts {
        ContainerFacts::default()
    }

    async fn suspend(&self) -> Result<(), OperationError> {
        Ok(())
    }

    async fn resume(&self) -> Result<(), OperationError> {
        Ok(())
    }

    async fn logs(&self, _: usize, _: LogRead) -> Result<Logs, OperationError> {
        Ok(Logs::default())
    }

    async fn destroy(&self) -> Result<(), OperationError> {
        Ok(())
    }
}

/// A 200 with `entity`, at once.
fn answer(entity: &str) -> RunResult {
    let now = tokio::time::Instant::now();
    let response = ContainerResponse { status: 200, entity: entity.into(), truncated: None };
    RunResult { interval: Interval { start: now, end: now }, response: Ok(response) }
}

/// A sink that only counts.
#[derive(Default)]
pub(crate) struct CountingSink {
    pub(crate) acks: AtomicUsize,
    pub(crate) stores: AtomicUsize,
}

#[async_trait]
impl ActivationSink for CountingSink {
    async fn ack(&self, _: AckKind, _: &Activation, _: bool) {
        self.acks.fetch_add(1, Ordering::Relaxed);
    }

    async fn store(&self, _: &Activation, _: bool) {
        self.stores.fetch_add(1, Ordering::Relaxed);
    }
}
