//! One container on the engine (upstream's `DockerContainer` instance): `/init` and
//! `/run` through the action client, pause and unpause through the API, logs up to
//! the sentinels, removal with force, and out-of-memory detection.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bollard::query_parameters::EventsOptionsBuilder;
use futures_util::StreamExt;
use proxy_core::container::classify::{classify_init, classify_run};
use proxy_core::container::client::{ActionClient, ConnectionError, RunResult};
use proxy_core::container::response::messages;
use proxy_core::container::{
    ActivationResponse, ActivationStatus, Container, ContainerId, HealthError, InitError, Interval, Logs,
    OperationError, ResponseLimits,
};
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use crate::error::{status, DockerError};
use crate::factory::{remove, Shared};
use crate::logs::{self, LogCursor, ReadLimits};
use crate::stamp::Stamp;

/// How long, after an HTTP answer that blames the action, the engine is asked
/// whether an out-of-memory kill happened in the container (the kill's event may
/// trail the answer by a little).
const OOM_AFTER_ANSWER: Duration = Duration::from_millis(50);

/// A started container. Created by [`DockerFactory`](crate::DockerFactory).
pub struct DockerContainer {
    shared: Arc<Shared>,
    id: ContainerId,
    name: String,
    addr: SocketAddr,
    client: ActionClient,
    /// Where the last log read stopped; held for the whole read, so that reads
    /// follow each other.
    cursor: Mutex<LogCursor>,
    /// Paused by this backend (so resume unpauses only what suspend paused).
    paused: AtomicBool,
}

impl std::fmt::Debug for DockerContainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerContainer")
            .field("id", &self.id.0)
            .field("name", &self.name)
            .field("addr", &self.addr)
            .field("paused", &self.paused.load(Ordering::Relaxed))
            .finish()
    }
}

impl DockerContainer {
    pub(crate) fn new(
        shared: Arc<Shared>,
        id: ContainerId,
        name: String,
        addr: SocketAddr,
        token: String,
    ) -> Self {
        DockerContainer {
            shared,
            id,
            name,
            addr,
            client: ActionClient::new(addr).with_token(token),
            cursor: Mutex::new(LogCursor::default()),
            paused: AtomicBool::new(false),
        }
    }

    /// The container's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The action runtime's address.
    pub fn runtime_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether the engine reported an out-of-memory kill in this container since
    /// `since`: the container's `State.OOMKilled` (set when it died of it), or an
    /// `oom` event (also sent when the kill hit a child process and the runtime
    /// lived on). Waits up to `wait` for an event still on its way.
    pub async fn oom_killed_since(&self, since: std::time::SystemTime, wait: Duration) -> bool {
        let docker = &self.shared.docker;
        if let Ok(inspected) = docker.inspect_container(&self.id.0, None).await {
            if inspected.state.and_then(|s| s.oom_killed) == Some(true) {
                return true;
            }
        }
        let until = Stamp::from_system(std::time::SystemTime::now() + wait);
        let filters = HashMap::from([
            ("type", vec!["container".to_string()]),
            ("container", vec![self.id.0.clone()]),
            ("event", vec!["oom".to_string()]),
        ]);
        let options = EventsOptionsBuilder::default()
            .since(&Stamp::from_system(since).to_param())
            .until(&until.to_param())
            .filters(&filters)
            .build();
        let mut events = std::pin::pin!(docker.events(Some(options)));
        let bound = wait + Duration::from_secs(2);
        matches!(tokio::time::timeout(bound, events.next()).await, Ok(Some(Ok(_))))
    }

    /// A developer error that an out-of-memory kill explains becomes upstream's
    /// "exhausted its memory". A timeout stays a timeout.
    async fn explain(
        &self,
        started: std::time::SystemTime,
        result: &RunResult,
        timeout: Duration,
        response: ActivationResponse,
    ) -> ActivationResponse {
        if response.status != ActivationStatus::DeveloperError || result.interval.duration() >= timeout {
            return response;
        }
        let wait = match &result.response {
            Err(ConnectionError::Timeout(_)) => return response,
            // The runtime died or hung up: maybe the kernel killed it.
            Err(_) => self.shared.config.oom_wait,
            // The runtime answered; a child of it may have been killed.
            Ok(_) => OOM_AFTER_ANSWER,
        };
        if self.oom_killed_since(started, wait).await {
            ActivationResponse::developer_error(messages::MEMORY_EXHAUSTED)
        } else {
            response
        }
    }

    fn op_error(&self, operation: &'static str, error: impl std::fmt::Display) -> OperationError {
        OperationError { operation, message: format!("container {}: {error}", self.name) }
    }

    /// The first pause also tells whether the engine can pause at all.
    async fn pause(&self) -> Result<(), OperationError> {
        let docker = &self.shared.docker;
        match docker.pause_container(&self.id.0).await {
            Ok(()) => {
                self.paused.store(true, Ordering::SeqCst);
                if self.shared.pause_works.set(true).is_ok() {
                    tracing::debug!("the engine pauses containers");
                }
                Ok(())
            }
            // Gone or not running: a fact about this container, not about the engine.
            Err(e) if matches!(status(&e), Some(404 | 409)) => Err(self.op_error("pause", e)),
            Err(e) if self.shared.pause_works.get().is_none() => {
                let error = DockerError::PauseUnsupported { source: e };
                if self.shared.pause_works.set(false).is_ok() {
                    tracing::warn!(%error, "pausing is not supported: warm containers stay unpaused");
                }
                Ok(())
            }
            Err(e) => Err(self.op_error("pause", e)),
        }
    }
}

#[async_trait]
impl Container for DockerContainer {
    fn id(&self) -> &ContainerId {
        &self.id
    }

    fn addr(&self) -> Option<SocketAddr> {
        Some(self.addr)
    }

    async fn initialize(
        &self,
        initializer: Value,
        timeout: Duration,
        _max_concurrent: usize,
    ) -> Result<Interval, InitError> {
        let started = std::time::SystemTime::now();
        let result = self.client.init(initializer, timeout).await;
        match classify_init(result.clone(), timeout) {
            Err(InitError::Failed { interval, response }) => {
                let response = self.explain(started, &result, timeout, response).await;
                Err(InitError::Failed { interval, response })
            }
            other => other,
        }
    }

    async fn run(
        &self,
        parameters: Value,
        environment: Map<String, Value>,
        timeout: Duration,
        limits: ResponseLimits,
        reschedule: bool,
    ) -> Result<(Interval, ActivationResponse), HealthError> {
        let started = std::time::SystemTime::now();
        let mut body = environment;
        body.insert("value".into(), parameters);
        let result = self.client.run(Value::Object(body), timeout, limits, reschedule).await?;
        let (interval, response) = classify_run(result.clone(), timeout)?;
        Ok((interval, self.explain(started, &result, timeout, response).await))
    }

    async fn suspend(&self) -> Result<(), OperationError> {
        // The client keeps no connection, so there is none to drop.
        if !self.shared.config.pause || self.shared.pause_works.get() == Some(&false) {
            return Ok(());
        }
        self.pause().await
    }

    async fn resume(&self) -> Result<(), OperationError> {
        if !self.paused.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        self.shared.docker.unpause_container(&self.id.0).await.map_err(|e| self.op_error("unpause", e))
    }

    async fn logs(&self, limit_bytes: usize, wait_for_sentinel: bool) -> Result<Logs, OperationError> {
        let mut cursor = self.cursor.lock().await;
        let limits = ReadLimits { limit_bytes, wait_for_sentinel, idle: self.shared.config.log_idle_timeout };
        let (logs, next) = logs::read(&self.shared.docker, &self.id.0, *cursor, limits).await;
        *cursor = next;
        Ok(logs)
    }

    async fn destroy(&self) -> Result<(), OperationError> {
        remove(&self.shared.docker, &self.id.0).await.map_err(|e| self.op_error("remove", e))
    }
}
