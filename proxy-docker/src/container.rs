//! One container on the engine (upstream's `DockerContainer` instance): `/init` and
//! `/run` through the action client, reported raw (proxy-core classifies them), pause
//! and unpause through the API, logs up to the sentinels, removal with force, and the
//! engine's facts (an out-of-memory event, paused from outside, running) on request.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bollard::query_parameters::EventsOptionsBuilder;
use futures_util::StreamExt;
use proxy_core::container::client::{run_body, ActionClient, RunResult};
use proxy_core::container::logs::LogCursor;
use proxy_core::container::stamp::Stamp;
use proxy_core::container::{
    Container, ContainerFacts, ContainerId, LogRead, Logs, OperationError, ResponseLimits, Symptom,
};
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use crate::error::{status, DockerError};
use crate::factory::{remove, Shared};
use crate::logs::LogTail;

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
    /// Where its log starts: the beginning, or an adoption's moment.
    log_start: LogCursor,
    /// The log, followed from the first read on; held for the whole read, so that
    /// reads follow each other.
    log: Mutex<Option<LogTail>>,
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
            log_start: LogCursor::default(),
            log: Mutex::new(None),
            paused: AtomicBool::new(false),
        }
    }

    /// A container an earlier process left, adopted now: its logs are read from
    /// now on, and, when `paused`, the first resume unpauses it.
    pub(crate) fn adopted(
        shared: Arc<Shared>,
        id: ContainerId,
        name: String,
        addr: SocketAddr,
        token: String,
        paused: bool,
    ) -> Self {
        let mut container = DockerContainer::new(shared, id, name, addr, token);
        container.log_start = LogCursor::starting_at(Stamp::now());
        container.paused.store(paused, Ordering::SeqCst);
        container
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
    /// `since`: an `oom` event (sent when the kernel killed a process of the
    /// container, whether the runtime itself or a child it lived on after). Waits up to
    /// `wait` for an event still on its way.
    ///
    /// `State.OOMKilled` is not asked: it is sticky (any process of the container ever
    /// killed for memory, reported once the container exits), so a container killed
    /// from outside after an earlier activation's child ran out of memory says `true`.
    /// Only the event is dated.
    pub async fn oom_killed_since(&self, since: std::time::SystemTime, wait: Duration) -> bool {
        let docker = &self.shared.docker;
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
            Err(e) if matches!(status(&e), Some(404 | 409)) => Err(OperationError::new("pause", e)),
            Err(e) if self.shared.pause_works.get().is_none() => {
                let error = DockerError::PauseUnsupported { source: e };
                if self.shared.pause_works.set(false).is_ok() {
                    tracing::warn!(%error, "pausing is not supported: warm containers stay unpaused");
                }
                Ok(())
            }
            Err(e) => Err(OperationError::new("pause", e)),
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

    async fn initialize(&self, initializer: Value, timeout: Duration, _max_concurrent: usize) -> RunResult {
        self.client.init(initializer, timeout).await
    }

    async fn run(
        &self,
        parameters: Value,
        environment: Map<String, Value>,
        timeout: Duration,
        limits: ResponseLimits,
    ) -> RunResult {
        self.client.run(run_body(parameters, environment), timeout, limits).await
    }

    async fn facts(&self, since: std::time::SystemTime, symptom: Symptom) -> ContainerFacts {
        let state = match self.shared.docker.inspect_container(&self.id.0, None).await {
            Ok(inspected) => inspected.state.unwrap_or_default(),
            Err(error) => {
                // Gone, or the engine did not answer: nothing paused, nothing running.
                tracing::debug!(container = %self.name, %error, "inspect for the container's facts failed");
                Default::default()
            }
        };
        let wait = match symptom {
            // The runtime died or hung up: maybe the kernel killed it.
            Symptom::ConnectionLost => Some(self.shared.config.oom_wait),
            // The runtime answered; a child of it may have been killed.
            Symptom::Answered => Some(OOM_AFTER_ANSWER),
            // A timeout stays a timeout: only a pause from outside explains it.
            Symptom::TimedOut => None,
        };
        let oom_killed = match wait {
            Some(wait) => self.oom_killed_since(since, wait).await,
            None => false,
        };
        ContainerFacts {
            oom_killed,
            // This backend's own pause is never in force during a call (resume comes first).
            paused: state.paused == Some(true) && !self.paused.load(Ordering::SeqCst),
            running: state.running == Some(true),
        }
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
        self.shared.docker.unpause_container(&self.id.0).await.map_err(|e| OperationError::new("unpause", e))
    }

    async fn logs(&self, limit_bytes: usize, read: LogRead) -> Result<Logs, OperationError> {
        let mut log = self.log.lock().await;
        let config = &self.shared.config;
        let tail = log
            .get_or_insert_with(|| LogTail::follow(&self.shared.docker, &self.id.0, self.log_start, config));
        Ok(tail.read(limit_bytes, read, config.log_idle_timeout).await)
    }

    async fn destroy(&self) -> Result<(), OperationError> {
        remove(&self.shared.docker, &self.id.0).await.map_err(|e| OperationError::new("remove", e))
    }
}
